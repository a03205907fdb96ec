//! The Lambda host of the backup steps (feature `lambda`): each function in `functions/` is
//! `serve("<Step>")`. Clients and the [`StepContext`] are built once per container from its
//! environment; every invocation runs [`workflow::dispatch`](crate::workflow::dispatch) on the
//! event, and a [`StepError`] becomes an error whose type is `OktaVault.Retryable` or
//! `OktaVault.Fatal`, the names the state machine's Retry and Catch key on.
//!
//! Environment: `OKTAVAULT_BUCKET`, `OKTAVAULT_TABLE`, `OKTAVAULT_KMS_KEY_ID` (the envelope key),
//! `OKTAVAULT_BUCKET_KMS_KEY_ID` (the bucket's SSE-KMS key), optional
//! `OKTAVAULT_PAGE_BUDGET_SECS` (default 60) and `OKTAVAULT_ALLOW_LOCAL_ORGS` (tests only).

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;
use tracing::Instrument;

use crate::aws::{
    AwsConfig, DynamoCatalog, KmsKeyProvider, ObjectLocking, S3BlobStore, S3ExportStore, SfnExecutions, SnsAlerts,
    s3_client,
};
use crate::credentials::StoredCredentialsConnector;
use crate::ports::{Alerts, BlobStore, Catalog, ExportStore, KeyProvider, LockMode, LockRule};
use crate::snapshot::{Vault, keys};
use crate::workflow::{ExecutionStarter, STEPS, StepContext, StepError, dispatch};

pub use lambda_runtime::Error;

pub const ENV_BUCKET: &str = "OKTAVAULT_BUCKET";
pub const ENV_TABLE: &str = "OKTAVAULT_TABLE";
pub const ENV_KMS_KEY_ID: &str = "OKTAVAULT_KMS_KEY_ID";
pub const ENV_BUCKET_KMS_KEY_ID: &str = "OKTAVAULT_BUCKET_KMS_KEY_ID";
pub const ENV_PAGE_BUDGET_SECS: &str = "OKTAVAULT_PAGE_BUDGET_SECS";
pub const ENV_ALLOW_LOCAL_ORGS: &str = "OKTAVAULT_ALLOW_LOCAL_ORGS";
/// The SNS topic alerts are published to; without it, no alert is sent.
pub const ENV_ALERT_TOPIC_ARN: &str = "OKTAVAULT_ALERT_TOPIC_ARN";
/// S3 Object Lock on snapshot blobs: `GOVERNANCE`, `COMPLIANCE`, or `NONE`/unset for none.
pub const ENV_OBJECT_LOCK_MODE: &str = "OKTAVAULT_OBJECT_LOCK_MODE";
/// Days each snapshot blob is locked from its write, when a lock mode is set.
pub const ENV_OBJECT_LOCK_DAYS: &str = "OKTAVAULT_OBJECT_LOCK_DAYS";
/// Well under the functions' 300 s timeout: a page in flight when the budget ends still finishes.
pub const DEFAULT_PAGE_BUDGET: Duration = Duration::from_secs(60);

/// Why a function container could not start. Each names the variable and what it must hold.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("environment variable {name} is not set: it must name the {what} (the deployment template sets it)")]
    Missing { name: &'static str, what: &'static str },
    #[error("environment variable {name} is {value:?}: {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("this function serves the step {0:?}, which is not a backup step; the steps are {steps}", steps = STEPS.join(", "))]
    UnknownStep(String),
}

/// What a function container reads from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaSettings {
    pub bucket: String,
    pub table: String,
    /// The envelope key: wraps snapshot data keys and org credential keys.
    pub kms_key_id: String,
    /// The bucket's SSE-KMS key, apart from the envelope key: S3 calls KMS with a context of its
    /// own, which the envelope key's IAM conditions refuse.
    pub bucket_kms_key_id: String,
    pub page_budget: Duration,
    /// Accept loopback/private org URLs (the simulator). Never set in a deployment.
    pub allow_local_orgs: bool,
    /// Where alerts go (the deployment's SNS topic).
    pub alert_topic_arn: Option<String>,
    /// S3 Object Lock on snapshot blobs (segments and manifests), set on each write; `None` for none.
    pub object_lock: Option<LockRule>,
}

impl LambdaSettings {
    pub fn from_env() -> Result<Self, StartupError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The settings from `lookup` (an environment); empty values count as missing.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, StartupError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let required = |name: &'static str, what: &'static str| get(name).ok_or(StartupError::Missing { name, what });
        let page_budget = match get(ENV_PAGE_BUDGET_SECS) {
            None => DEFAULT_PAGE_BUDGET,
            Some(v) => match v.parse::<u64>() {
                Ok(secs @ 1..=840) => Duration::from_secs(secs),
                _ => {
                    return Err(StartupError::Invalid {
                        name: ENV_PAGE_BUDGET_SECS,
                        value: v,
                        expected: "a whole number of seconds from 1 to 840, below the function's timeout",
                    });
                }
            },
        };
        let allow_local_orgs = match get(ENV_ALLOW_LOCAL_ORGS).as_deref() {
            None | Some("0" | "false") => false,
            Some("1" | "true") => true,
            Some(other) => {
                return Err(StartupError::Invalid {
                    name: ENV_ALLOW_LOCAL_ORGS,
                    value: other.to_owned(),
                    expected: "true or false (true only in tests against a simulated org)",
                });
            }
        };
        Ok(Self {
            bucket: required(ENV_BUCKET, "S3 bucket that holds the snapshots")?,
            table: required(ENV_TABLE, "DynamoDB catalog table")?,
            kms_key_id: required(ENV_KMS_KEY_ID, "KMS key (id, ARN or alias) that wraps the data keys")?,
            bucket_kms_key_id: required(
                ENV_BUCKET_KMS_KEY_ID,
                "KMS key (id, ARN or alias) of the bucket's SSE-KMS encryption",
            )?,
            page_budget,
            allow_local_orgs,
            alert_topic_arn: get(ENV_ALERT_TOPIC_ARN),
            object_lock: object_lock(get(ENV_OBJECT_LOCK_MODE), get(ENV_OBJECT_LOCK_DAYS))?,
        })
    }
}

/// The lock from its two variables: a mode (or none) and, with a mode, its days.
fn object_lock(mode: Option<String>, days: Option<String>) -> Result<Option<LockRule>, StartupError> {
    let mode = match mode.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("NONE") => return Ok(None),
        Some("GOVERNANCE") => LockMode::Governance,
        Some("COMPLIANCE") => LockMode::Compliance,
        Some(_) => {
            return Err(StartupError::Invalid {
                name: ENV_OBJECT_LOCK_MODE,
                value: mode.unwrap_or_default(),
                expected: "GOVERNANCE, COMPLIANCE or NONE",
            });
        }
    };
    let days = days.ok_or(StartupError::Missing {
        name: ENV_OBJECT_LOCK_DAYS,
        what: "days each snapshot blob is locked (a lock mode is set)",
    })?;
    match days.parse::<u32>() {
        Ok(days @ 1..=36_500) => Ok(Some(LockRule { mode, days })),
        _ => Err(StartupError::Invalid {
            name: ENV_OBJECT_LOCK_DAYS,
            value: days,
            expected: "a whole number of days from 1 to 36500",
        }),
    }
}

/// The three ports on AWS, as a [`StepContext`] uses them. Public fields so a test can wrap one
/// (e.g. a blob store that fails once) and still build the context the way a Lambda does.
#[derive(Clone)]
pub struct Adapters {
    pub blobs: Arc<dyn BlobStore>,
    pub keys: Arc<dyn KeyProvider>,
    pub catalog: Arc<dyn Catalog>,
    /// Starts a job's continuation execution (Step Functions' StartExecution).
    pub executions: Arc<dyn ExecutionStarter>,
    /// Where finished downloads go (the bucket's `exports/` prefix).
    pub exports: Arc<dyn ExportStore>,
    /// Where alerts go, when the deployment has a topic.
    pub alerts: Option<Arc<dyn Alerts>>,
}

impl Adapters {
    /// S3 (SSE-KMS under the bucket's own key as a second layer), KMS and DynamoDB clients from `config`.
    pub fn from_config(config: &SdkConfig, settings: &LambdaSettings) -> Self {
        let kms = aws_sdk_kms::Client::new(config);
        let dynamodb = aws_sdk_dynamodb::Client::new(config);
        Self {
            blobs: Arc::new(snapshot_store(config, settings)),
            keys: Arc::new(KmsKeyProvider::new(kms, settings.kms_key_id.clone())),
            catalog: Arc::new(DynamoCatalog::new(dynamodb, settings.table.clone())),
            executions: Arc::new(SfnExecutions::new(aws_sdk_sfn::Client::new(config))),
            exports: Arc::new(S3ExportStore::new(
                s3_client(config),
                settings.bucket.clone(),
                Some(settings.bucket_kms_key_id.clone()),
                config.credentials_provider(),
            )),
            alerts: settings.alert_topic_arn.as_ref().map(|topic| {
                Arc::new(SnsAlerts::new(aws_sdk_sns::Client::new(config), topic.clone())) as Arc<dyn Alerts>
            }),
        }
    }
}

/// The snapshot bucket's store, locking snapshot blobs as they are written when the deployment asks for it.
fn snapshot_store(config: &SdkConfig, settings: &LambdaSettings) -> S3BlobStore {
    let store = S3BlobStore::new(
        s3_client(config),
        settings.bucket.clone(),
        Some(settings.bucket_kms_key_id.clone()),
        None,
    );
    match settings.object_lock {
        Some(rule) => store.with_lock(ObjectLocking {
            rule,
            applies_to: keys::is_snapshot_blob,
        }),
        None => store,
    }
}

/// The context every step of a Lambda container shares: the adapters, and Okta clients opened
/// from the orgs' stored credentials.
pub fn step_context(adapters: Adapters, settings: &LambdaSettings) -> StepContext {
    let connector = StoredCredentialsConnector::new(adapters.keys.clone(), settings.allow_local_orgs);
    let ctx = StepContext::new(
        adapters.catalog,
        Vault::new(adapters.blobs, adapters.keys),
        Arc::new(connector),
    )
    .with_executions(adapters.executions)
    .with_exports(adapters.exports)
    .with_page_budget(settings.page_budget);
    match adapters.alerts {
        Some(alerts) => ctx.with_alerts(alerts),
        None => ctx,
    }
}

/// [`step_context`] from the container's environment and `config` (what [`serve`] runs with).
pub fn context_from_env(config: &SdkConfig) -> Result<StepContext, StartupError> {
    let settings = LambdaSettings::from_env().inspect_err(|e| tracing::error!("cannot start: {e}"))?;
    Ok(step_context(Adapters::from_config(config, &settings), &settings))
}

/// A step's failure as Lambda reports it: the type is the name Retry/Catch match.
pub fn diagnostic(error: &StepError) -> Diagnostic {
    Diagnostic {
        error_type: error.name().to_owned(),
        error_message: error.message.clone(),
    }
}

/// One invocation: the step on the event's payload, answering before `deadline` (the invocation's, when known).
pub async fn handle(
    ctx: &StepContext,
    step: &str,
    payload: Value,
    deadline: Option<tokio::time::Instant>,
) -> Result<Value, Diagnostic> {
    // Every line of the invocation names its step, job and org (see `logs`).
    let span = crate::logs::invocation_span(step, &payload);
    async {
        dispatch(ctx, step, payload, deadline).await.map_err(|e| {
            tracing::warn!(step, error_type = e.name(), error = %e.message, "step failed");
            diagnostic(&e)
        })
    }
    .instrument(span)
    .await
}

/// Runs the Lambda runtime loop for `step` ("PlanBackup", "BackupPage", "FinalizeBackup" or
/// "FailJob"). Logs JSON lines to stdout ([`crate::logs`]). Returns only when the container cannot start.
pub async fn serve(step: &'static str) -> Result<(), Error> {
    if !STEPS.contains(&step) {
        return Err(StartupError::UnknownStep(step.to_owned()).into());
    }
    crate::logs::init();
    // Settings first: a misconfigured container fails before any AWS call is attempted.
    let settings = LambdaSettings::from_env().inspect_err(|e| tracing::error!("cannot start: {e}"))?;
    let config = AwsConfig::load(None).await;
    let ctx = Arc::new(step_context(Adapters::from_config(&config, &settings), &settings));
    tracing::info!(step, "oktavault step function ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let ctx = ctx.clone();
        async move {
            let deadline = invocation_deadline(event.context.deadline);
            handle(&ctx, step, event.payload, deadline).await
        }
    }))
    .await
}

/// Kept back from the retention sweep's invocation deadline (at most a quarter of the time left): a delete in
/// flight when the budget ends still finishes, and the report is still sent.
pub const SWEEP_MARGIN: Duration = Duration::from_secs(30);

/// One retention sweep over every org, deleted and disabled ones included
/// ([`service::retention::sweep_all`](crate::service::retention::sweep_all)), that stops starting new work
/// [`SWEEP_MARGIN`] before `deadline`; a sweep cut short is finished by the next invocation. Answers the report.
/// One org's failure is in the report (and logged), never the others' end.
pub async fn sweep_retention(
    catalog: &dyn Catalog,
    vault: &Vault,
    deadline: Option<tokio::time::Instant>,
) -> Result<Value, Diagnostic> {
    let budget_end = deadline.map(|d| {
        let left = d.saturating_duration_since(tokio::time::Instant::now());
        d - SWEEP_MARGIN.min(left / 4)
    });
    let now = crate::timefmt::now();
    let report = crate::service::retention::sweep_all(catalog, vault, None, now, budget_end)
        .await
        .map_err(|e| {
            let error = StepError::retryable(format!("the retention sweep could not list the orgs: {e}"));
            tracing::error!(error = %error.message, "retention sweep failed");
            diagnostic(&error)
        })?;
    for org in report.orgs.iter().filter(|o| o.error.is_some()) {
        tracing::error!(org = %org.org_id, error = org.error.as_deref().unwrap_or_default(), "retention sweep of an org failed");
    }
    tracing::info!(
        snapshots_deleted = report.snapshots_deleted,
        segments_deleted = report.segments_deleted,
        finished = report.finished,
        "retention sweep done"
    );
    Ok(serde_json::to_value(&report).expect("the sweep report serializes"))
}

/// Runs the Lambda runtime loop of the retention-sweep function (a schedule invokes it daily; its event is not
/// read). The same environment as the step functions. Returns only when the container cannot start.
pub async fn serve_retention_sweep() -> Result<(), Error> {
    crate::logs::init();
    let settings = LambdaSettings::from_env().inspect_err(|e| tracing::error!("cannot start: {e}"))?;
    let config = AwsConfig::load(None).await;
    let adapters = Adapters::from_config(&config, &settings);
    let (catalog, vault) = (adapters.catalog, Arc::new(Vault::new(adapters.blobs, adapters.keys)));
    tracing::info!("oktavault retention sweep ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (catalog, vault) = (catalog.clone(), vault.clone());
        async move {
            let deadline = invocation_deadline(event.context.deadline);
            sweep_retention(catalog.as_ref(), &vault, deadline).await
        }
    }))
    .await
}

/// How often the backup check runs (the template's hourly schedule): a stale backup is alerted once, by the first
/// check after its deadline, not by every check after it.
pub const CHECK_PERIOD: time::Duration = time::Duration::hours(1);

/// One stale-backup check over every backed-up org at `now` ([`service::alerts::check_backups`]
/// (crate::service::alerts::check_backups) with [`CHECK_PERIOD`]): sends an alert per org whose newest complete
/// snapshot is older than its schedule plus grace, and answers the report. An alert that could not be sent is in the
/// report's `unsent` (and logged); a catalog that cannot be read fails the invocation, as retryable.
pub async fn check_backups(
    catalog: &dyn Catalog,
    alerts: &dyn Alerts,
    now: time::OffsetDateTime,
) -> Result<Value, Diagnostic> {
    let check = crate::service::alerts::check_backups(catalog, alerts, now, CHECK_PERIOD)
        .await
        .map_err(|e| {
            let error = StepError::retryable(format!("the backup check could not read the catalog: {e}"));
            tracing::error!(error = %error.message, "backup check failed");
            diagnostic(&error)
        })?;
    for alert in &check.alerts {
        tracing::warn!(org_id = %alert.org_id, subject = %alert.subject, "stale backup");
    }
    for unsent in &check.unsent {
        tracing::error!(error = %unsent, "a stale-backup alert could not be sent");
    }
    tracing::info!(
        orgs_checked = check.orgs_checked,
        stale = check.alerts.len(),
        "backup check done"
    );
    Ok(serde_json::to_value(&check).expect("the backup check report serializes"))
}

/// Runs the Lambda runtime loop of the check-backups function (a schedule invokes it hourly; its event is not read).
/// The step functions' environment, and `OKTAVAULT_ALERT_TOPIC_ARN` is required: a check with nowhere to send its
/// alerts would find stale backups and tell no one. Returns only when the container cannot start.
pub async fn serve_check_backups() -> Result<(), Error> {
    crate::logs::init();
    let settings = LambdaSettings::from_env().inspect_err(|e| tracing::error!("cannot start: {e}"))?;
    let config = AwsConfig::load(None).await;
    let adapters = Adapters::from_config(&config, &settings);
    let Some(alerts) = adapters.alerts else {
        let error = StartupError::Missing {
            name: ENV_ALERT_TOPIC_ARN,
            what: "SNS topic the stale-backup alerts are published to",
        };
        tracing::error!("cannot start: {error}");
        return Err(error.into());
    };
    let catalog = adapters.catalog;
    tracing::info!("oktavault backup check ready");
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<Value>| {
        let (catalog, alerts) = (catalog.clone(), alerts.clone());
        async move { check_backups(catalog.as_ref(), alerts.as_ref(), crate::timefmt::now()).await }
    }))
    .await
}

/// The invocation's deadline (Lambda's milliseconds since the epoch) as an instant of this process's clock.
fn invocation_deadline(deadline_ms: u64) -> Option<tokio::time::Instant> {
    let now_ms = u64::try_from(crate::timefmt::now_millis()).ok()?;
    (deadline_ms > 0)
        .then(|| tokio::time::Instant::now() + std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    const BASE: [(&str, &str); 4] = [
        (ENV_BUCKET, "backups"),
        (ENV_TABLE, "catalog"),
        (ENV_KMS_KEY_ID, "alias/oktavault"),
        (ENV_BUCKET_KMS_KEY_ID, "alias/oktavault-bucket"),
    ];

    #[test]
    fn settings_come_from_the_environment_with_defaults() {
        let settings = LambdaSettings::from_vars(vars(&BASE)).unwrap();
        assert_eq!(settings.bucket, "backups");
        assert_eq!(settings.table, "catalog");
        assert_eq!(settings.kms_key_id, "alias/oktavault");
        assert_eq!(settings.bucket_kms_key_id, "alias/oktavault-bucket");
        assert_eq!(settings.page_budget, DEFAULT_PAGE_BUDGET);
        assert!(!settings.allow_local_orgs);

        let mut more = BASE.to_vec();
        more.extend([(ENV_PAGE_BUDGET_SECS, "20"), (ENV_ALLOW_LOCAL_ORGS, "true")]);
        let settings = LambdaSettings::from_vars(vars(&more)).unwrap();
        assert_eq!(settings.page_budget, Duration::from_secs(20));
        assert!(settings.allow_local_orgs);
        assert_eq!(settings.object_lock, None);

        for (mode, expected) in [
            ("COMPLIANCE", LockMode::Compliance),
            ("governance", LockMode::Governance),
        ] {
            let mut locked = BASE.to_vec();
            locked.extend([(ENV_OBJECT_LOCK_MODE, mode), (ENV_OBJECT_LOCK_DAYS, "30")]);
            let settings = LambdaSettings::from_vars(vars(&locked)).unwrap();
            assert_eq!(
                settings.object_lock,
                Some(LockRule {
                    mode: expected,
                    days: 30
                })
            );
        }
        let mut none = BASE.to_vec();
        none.extend([(ENV_OBJECT_LOCK_MODE, "NONE"), (ENV_OBJECT_LOCK_DAYS, "30")]);
        assert_eq!(LambdaSettings::from_vars(vars(&none)).unwrap().object_lock, None);
    }

    #[test]
    fn a_missing_or_bad_variable_is_named_at_startup() {
        let err = LambdaSettings::from_vars(vars(&[BASE[0], BASE[1], BASE[3]])).unwrap_err();
        assert!(err.to_string().contains(ENV_KMS_KEY_ID), "{err}");
        let err = LambdaSettings::from_vars(vars(&BASE[..3])).unwrap_err();
        assert!(err.to_string().contains(ENV_BUCKET_KMS_KEY_ID), "{err}");
        let err = LambdaSettings::from_vars(vars(&[(ENV_BUCKET, " "), BASE[1], BASE[2], BASE[3]])).unwrap_err();
        assert!(err.to_string().contains(ENV_BUCKET), "{err}");

        for (name, value) in [
            (ENV_PAGE_BUDGET_SECS, "soon"),
            (ENV_PAGE_BUDGET_SECS, "0"),
            (ENV_ALLOW_LOCAL_ORGS, "yes"),
            (ENV_OBJECT_LOCK_MODE, "FOREVER"),
        ] {
            let mut bad = BASE.to_vec();
            bad.push((name, value));
            let err = LambdaSettings::from_vars(vars(&bad)).unwrap_err();
            assert!(
                err.to_string().contains(name) && err.to_string().contains(value),
                "{err}"
            );
        }
    }

    #[test]
    fn a_lock_mode_needs_its_days() {
        let mut no_days = BASE.to_vec();
        no_days.push((ENV_OBJECT_LOCK_MODE, "GOVERNANCE"));
        let err = LambdaSettings::from_vars(vars(&no_days)).unwrap_err();
        assert!(err.to_string().contains(ENV_OBJECT_LOCK_DAYS), "{err}");
        no_days.push((ENV_OBJECT_LOCK_DAYS, "0"));
        let err = LambdaSettings::from_vars(vars(&no_days)).unwrap_err();
        assert!(err.to_string().contains(ENV_OBJECT_LOCK_DAYS), "{err}");
    }

    #[test]
    fn step_errors_become_the_names_retry_and_catch_match() {
        let d = diagnostic(&StepError::retryable("Okta answered 503 for /api/v1/users"));
        assert_eq!(d.error_type, "OktaVault.Retryable");
        assert_eq!(d.error_message, "Okta answered 503 for /api/v1/users");
        assert_eq!(diagnostic(&StepError::fatal("no")).error_type, "OktaVault.Fatal");
    }

    #[tokio::test]
    async fn a_retention_sweep_invoked_at_its_deadline_starts_nothing_and_says_the_next_one_goes_on() {
        use crate::local::LocalCatalog;
        use crate::ports::{AuthKind, OrgRecord};
        use crate::snapshot::tests::fakes::{MasterKeyProvider, MemoryStore};

        let dir = tempfile::tempdir().unwrap();
        let catalog = LocalCatalog::open(dir.path().join("catalog")).unwrap();
        let org = crate::ids::OrgId::new("acme.okta.com").unwrap();
        let record = OrgRecord::new(
            org,
            "https://acme.okta.com".into(),
            AuthKind::ApiToken,
            None,
            "x".into(),
        );
        catalog.put_org(&record).await.unwrap();
        let vault = Vault::new(Arc::new(MemoryStore::default()), Arc::new(MasterKeyProvider::new()));

        let now = tokio::time::Instant::now();
        let report = sweep_retention(&catalog, &vault, Some(now)).await.unwrap();
        assert_eq!(report["finished"], false, "{report}");
        assert_eq!(report["orgs"].as_array().unwrap().len(), 0, "{report}");

        let report = sweep_retention(&catalog, &vault, Some(now + Duration::from_secs(600)))
            .await
            .unwrap();
        assert_eq!(report["finished"], true, "{report}");
        assert_eq!(report["orgs"][0]["org_id"], "acme.okta.com", "{report}");
    }

    #[tokio::test]
    async fn every_log_line_of_a_dispatched_step_names_its_job_and_the_org_read_from_the_job() {
        use crate::ids::{JobId, OrgId};
        use crate::local::LocalCatalog;
        use crate::logs::tests::Captured;
        use crate::ports::{BackupTrigger, JobKind, JobRecord, JobStatus};
        use crate::snapshot::tests::fakes::{MasterKeyProvider, MemoryStore};
        use crate::workflow::StaticConnector;

        let dir = tempfile::tempdir().unwrap();
        let catalog = Arc::new(LocalCatalog::open(dir.path().join("catalog")).unwrap());
        let org = OrgId::new("acme.okta.com").unwrap();
        let job = JobRecord {
            status: JobStatus::Completed,
            finished_at: Some("2026-11-28T12:01:00Z".into()),
            trigger: BackupTrigger::Manual,
            ..JobRecord::new(
                JobId::new("job-20261128T120000Z-0a1b").unwrap(),
                org.clone(),
                JobKind::Restore,
                "2026-11-28T12:00:00Z".into(),
            )
        };
        catalog.create_job(&job).await.unwrap();
        let vault = Vault::new(Arc::new(MemoryStore::default()), Arc::new(MasterKeyProvider::new()));
        let ctx = StepContext::new(catalog, vault, Arc::new(StaticConnector::default()));

        let captured = Captured::default();
        let _logger = tracing::subscriber::set_default(crate::logs::subscriber(
            captured.clone(),
            tracing_subscriber::filter::LevelFilter::INFO,
        ));
        // FinalizeRestore's input names only the job; the job is no longer running, so the step fails and says so.
        let input = serde_json::json!({"job_id": job.job_id.as_str(), "owner": "exec-1"});
        let error = handle(&ctx, "FinalizeRestore", input, None).await.unwrap_err();
        assert_eq!(error.error_type, "OktaVault.Fatal");

        let lines = captured.lines();
        let failed = lines
            .iter()
            .find(|l| l["message"] == "step failed")
            .unwrap_or_else(|| panic!("no step failed line in {lines:?}"));
        assert!(failed["error"].as_str().unwrap().contains("not running"), "{failed}");
        for line in &lines {
            assert_eq!(line["job_id"], job.job_id.as_str(), "{line}");
            assert_eq!(line["org_id"], org.as_str(), "{line}");
            assert_eq!(line["step"], "FinalizeRestore", "{line}");
        }
    }

    #[tokio::test]
    async fn the_hourly_check_alerts_a_backup_whose_deadline_passed_within_the_hour_once() {
        use crate::ids::OrgId;
        use crate::local::{AlertFile, LocalCatalog};
        use crate::ports::{AlertKind, AuthKind, OrgRecord};

        let dir = tempfile::tempdir().unwrap();
        let catalog = LocalCatalog::open(dir.path().join("catalog")).unwrap();
        let alerts = AlertFile::new(dir.path().join("alerts.jsonl"));
        let now = crate::timefmt::parse_rfc3339("2026-11-28T12:00:00Z").unwrap();
        // Daily backups with 2 hours' grace: the deadline is 26 hours after the org was authorized (no snapshot yet).
        for (org, authorized_hours_ago) in [
            ("late.okta.com", 26.5),
            ("later.okta.com", 27.5),
            ("fresh.okta.com", 3.0),
        ] {
            let authorized = now - time::Duration::seconds_f64(authorized_hours_ago * 3600.0);
            let record = OrgRecord::new(
                OrgId::new(org).unwrap(),
                format!("https://{org}"),
                AuthKind::ApiToken,
                None,
                crate::timefmt::rfc3339(authorized),
            );
            catalog.put_org(&record).await.unwrap();
        }

        let report = check_backups(&catalog, &alerts, now).await.unwrap();
        assert_eq!(report["orgs_checked"], 3, "{report}");
        let sent = alerts.read().unwrap();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].kind, AlertKind::BackupStale);
        assert_eq!(
            sent[0].org_id.as_str(),
            "late.okta.com",
            "the one an hour ago was alerted by the last check"
        );
        assert_eq!(report["alerts"][0]["org_id"], "late.okta.com", "{report}");

        check_backups(&catalog, &alerts, now + CHECK_PERIOD).await.unwrap();
        assert_eq!(
            alerts.read().unwrap().len(),
            1,
            "the next hourly check does not repeat it"
        );
    }

    #[tokio::test]
    async fn an_unknown_step_is_refused_before_anything_is_built() {
        let err = serve("Backup").await.unwrap_err();
        assert!(err.to_string().contains("PlanBackup"), "{err}");
    }
}
