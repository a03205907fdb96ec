//! `oktavault backup`: authorizes the org, then runs the backup workflow to its end (the workflow continues the
//! org's unfinished job when there is one).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use oktavault_shared::ids::{JobId, OrgId, SnapshotId};
use oktavault_shared::okta::{ClientStats, OktaClient};
use oktavault_shared::ports::{BackupTrigger, Catalog, CategoryCounts, JobRecord, JobStatus, OrgRecord};
use oktavault_shared::workflow::StaticConnector;
use oktavault_shared::workflow::embedded::{self, BackupOptions};
use serde::Serialize;

use super::authorize::{backup_scopes, connect};
use crate::args::BackupArgs;
use crate::output::{Output, category_width};
use crate::progress::BackupProgress;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: BackupArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let connection = connect(&args.org, backup_scopes)?;
    let store = Store::open(store_dir)?;
    let (org, client) = connection.register(&store).await?;
    let job = BackupJob {
        org,
        client,
        options: BackupOptions {
            categories: args.categories,
            full_refresh: args.full,
            max_iterations: args.max_page_calls,
            trigger: BackupTrigger::Manual,
            new_job_id: None,
        },
        page_budget: Duration::from_secs(args.page_budget_secs),
    };
    let report = job.run(&store, out).await?;
    out.emit(&report);
    Ok(report.exit_code())
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
            store
                .step_context(Arc::new(connector))
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
        for (name, c) in oktavault_shared::categories::in_catalog_order(self.categories.iter()) {
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
