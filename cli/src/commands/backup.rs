//! `oktavault backup`: authorizes the org, then runs the backup workflow to its end, resuming the
//! org's unfinished job when there is one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use oktavault_shared::categories::CATEGORIES;
use oktavault_shared::ids::{JobId, OrgId, SnapshotId};
use oktavault_shared::okta::{ClientConfig, ClientStats, Credentials, OktaClient, OrgUrl, OrgUrlPolicy, Secret};
use oktavault_shared::ports::{AuthKind, Catalog, CategoryCounts, JobRecord, JobStatus, OrgRecord};
use oktavault_shared::timefmt;
use oktavault_shared::workflow::embedded::{self, BackupOptions};
use oktavault_shared::workflow::{StaticConnector, StepContext};
use serde::Serialize;

use crate::args::BackupArgs;
use crate::output::{Output, category_width};
use crate::progress::BackupProgress;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: BackupArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open(store_dir)?;
    let (org, client) = authorize(&store, &args).await?;
    let job = BackupJob {
        org,
        client,
        options: BackupOptions {
            categories: args.categories,
            full_refresh: args.full,
            max_iterations: args.max_page_calls,
        },
        page_budget: Duration::from_secs(args.page_budget_secs),
    };
    let report = job.run(&store, out).await?;
    out.emit(&report);
    Ok(report.exit_code())
}

/// The org the flags name, registered in the store, and a client of it built from the flags' credentials.
pub async fn authorize(store: &Store, args: &BackupArgs) -> anyhow::Result<(OrgRecord, OktaClient)> {
    let policy = OrgUrlPolicy {
        allow_local: args.allow_local_org,
        allow_custom_domain: args.allow_custom_domain,
    };
    let url = OrgUrl::parse_with(&args.org, policy)?;
    if !(0.05..=1.0).contains(&args.rate_share) {
        bail!("--rate-share must be between 0.05 and 1.0 (got {})", args.rate_share);
    }
    let (credentials, auth) = credentials(args)?;
    let mut config = ClientConfig::new(url.clone(), credentials);
    config.rate_share = args.rate_share;
    let client = OktaClient::new(config)?;
    let org = register_org(store, url.org_id(), url.as_str(), auth, args.client_id.clone()).await?;
    Ok((org, client))
}

fn credentials(args: &BackupArgs) -> anyhow::Result<(Credentials, AuthKind)> {
    let scopes = args.scopes.clone().unwrap_or_else(default_scopes);
    match (&args.token, &args.client_id, &args.client_secret, &args.private_key) {
        (Some(token), None, None, None) => Ok((Credentials::ApiToken(Secret::new(token.clone())), AuthKind::ApiToken)),
        (None, Some(id), Some(secret), None) => Ok((
            Credentials::ClientSecret {
                client_id: id.clone(),
                secret: Secret::new(secret.clone()),
                scopes,
            },
            AuthKind::ClientSecret,
        )),
        (None, Some(id), None, Some(path)) => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the private key {}", path.display()))?;
            Ok((
                Credentials::PrivateKey {
                    client_id: id.clone(),
                    key_pem: Secret::new(pem),
                    key_id: args.key_id.clone(),
                    scopes,
                },
                AuthKind::PrivateKeyJwt,
            ))
        }
        _ => bail!(
            "give exactly one way to authenticate: --token T, or --client-id ID with --client-secret S, \
             or --client-id ID with --private-key FILE (or the OKTAVAULT_* environment variables)"
        ),
    }
}

/// The read scopes of every category, each once.
pub fn default_scopes() -> Vec<String> {
    let mut scopes: Vec<String> = CATEGORIES.iter().map(|c| c.scope.to_owned()).collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

pub async fn register_org(
    store: &Store,
    org_id: OrgId,
    url: &str,
    auth: AuthKind,
    client_id: Option<String>,
) -> anyhow::Result<OrgRecord> {
    let existing = store.catalog.get_org(&org_id).await?;
    let org = OrgRecord {
        org_id: org_id.clone(),
        url: url.to_owned(),
        auth,
        client_id,
        sealed_credentials: None,
        backup_enabled: true,
        created_at: existing
            .as_ref()
            .map_or_else(|| timefmt::rfc3339(timefmt::now()), |o| o.created_at.clone()),
        last_snapshot: existing.and_then(|o| o.last_snapshot),
    };
    store.catalog.put_org(&org).await?;
    Ok(org)
}

/// One backup of one org through the embedded workflow.
pub struct BackupJob {
    pub org: OrgRecord,
    pub client: OktaClient,
    pub options: BackupOptions,
    pub page_budget: Duration,
}

impl BackupJob {
    pub async fn run(self, store: &Store, out: &Output) -> anyhow::Result<BackupReport> {
        let started = Instant::now();
        let catalog: Arc<dyn Catalog> = store.catalog.clone();
        // Checked here too so a typo never starts a job; a continued job keeps its own selection.
        let names: Vec<String> = oktavault_shared::categories::select(self.options.categories.as_deref())?
            .iter()
            .map(|c| c.name.to_owned())
            .collect();
        let connector = StaticConnector::default();
        connector.register(self.org.org_id.clone(), self.client.clone());
        let ctx = Arc::new(
            StepContext::new(catalog.clone(), store.vault.clone(), Arc::new(connector))
                .with_page_budget(self.page_budget),
        );
        let bars = BackupProgress::start(catalog.clone(), self.org.org_id.clone(), names, !out.is_json());
        let run = embedded::run_backup(ctx, &self.org.org_id, self.options.clone()).await;
        bars.finish();
        let execution_error = run
            .outcome
            .as_ref()
            .err()
            .map(|e| run.failure.clone().unwrap_or_else(|| e.cause.clone()));
        let resumed = run
            .outcome
            .as_ref()
            .ok()
            .and_then(|output| output.get("resumed"))
            .and_then(|r| r.as_bool())
            .unwrap_or(false);
        let stats = self.client.stats();
        let job = match &run.job_id {
            Some(job_id) => Some(
                catalog
                    .get_job(job_id)
                    .await?
                    .context("the backup job record disappeared")?,
            ),
            None => None,
        };
        if let Some(job) = &job
            && resumed
        {
            out.note(format!(
                "Continued unfinished backup job {} of {}",
                job.job_id, job.org_id
            ));
        }
        let mut report = BackupReport::new(
            &self.org.org_id,
            job.as_ref(),
            resumed,
            execution_error,
            started.elapsed(),
            &stats,
        );
        report.executions = run.executions;
        report.history_events = run.most_history_events;
        Ok(report)
    }
}

#[derive(Debug, Serialize)]
pub struct BackupReport {
    pub org_id: OrgId,
    /// None when no job ran: the org's backup is running elsewhere (the error says which job).
    pub job_id: Option<JobId>,
    pub status: JobStatus,
    pub snapshot_id: Option<SnapshotId>,
    pub resumed: bool,
    pub categories: BTreeMap<String, CategoryCounts>,
    pub error: Option<String>,
    pub okta_calls: u64,
    /// Executions of the workflow the job took (more than one when it outgrew one execution's history).
    pub executions: u32,
    /// The most history events one of them wrote (Step Functions allows 25,000 per execution).
    pub history_events: usize,
    /// 429 answers seen (each waited out until the bucket reset, then retried).
    pub rate_limited: u64,
    pub seconds: f64,
    /// This process's peak resident memory, where the platform tells it (Linux).
    pub peak_memory_mib: Option<f64>,
}

impl BackupReport {
    fn new(
        org_id: &OrgId,
        job: Option<&JobRecord>,
        resumed: bool,
        execution_error: Option<String>,
        elapsed: Duration,
        stats: &ClientStats,
    ) -> Self {
        let status = job.map_or(JobStatus::Failed, |j| j.status);
        Self {
            org_id: org_id.clone(),
            job_id: job.map(|j| j.job_id.clone()),
            status,
            snapshot_id: job
                .and_then(|j| j.snapshot_id.clone())
                .filter(|_| matches!(status, JobStatus::Completed | JobStatus::CompletedWithErrors)),
            resumed,
            categories: job.map(|j| j.counts.clone()).unwrap_or_default(),
            error: job.and_then(|j| j.error.clone()).or(execution_error),
            okta_calls: stats.calls,
            executions: 0,
            history_events: 0,
            rate_limited: stats.rate_limited,
            peak_memory_mib: peak_memory_mib(),
            seconds: elapsed.as_secs_f64(),
        }
    }

    pub fn exit_code(&self) -> std::process::ExitCode {
        match self.status {
            JobStatus::Completed => std::process::ExitCode::SUCCESS,
            JobStatus::CompletedWithErrors => std::process::ExitCode::from(2),
            JobStatus::Failed | JobStatus::Running => std::process::ExitCode::from(1),
        }
    }
}

/// `VmHWM` of this process: the high-water mark of its resident memory since it started.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

impl fmt::Display for BackupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.job_id {
            Some(job) => writeln!(f, "Backup of {}: {} (job {job})", self.org_id, self.status)?,
            None => writeln!(f, "Backup of {}: not started", self.org_id)?,
        }
        if let Some(error) = &self.error {
            writeln!(f, "  error: {error}")?;
        }
        if let Some(snapshot) = &self.snapshot_id {
            writeln!(f, "  snapshot: {snapshot}")?;
        }
        let w = category_width();
        for (name, c) in super::browse::in_catalog_order(self.categories.iter()) {
            match &c.skipped {
                Some(reason) => writeln!(f, "  {name:<w$} skipped: {reason}")?,
                None => writeln!(
                    f,
                    "  {name:<w$} {:>8} objects {:>8} new {:>4} errors",
                    c.objects, c.new_objects, c.errors
                )?,
            }
        }
        writeln!(
            f,
            "  {} Okta calls ({} rate limited) in {:.1} s",
            self.okta_calls, self.rate_limited, self.seconds
        )
    }
}
