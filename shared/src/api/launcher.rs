//! Starting a job's workflow and answering at once: the API names the job (its id is chosen before the workflow
//! runs, see `new_job_id` on the requests) and a [`JobLauncher`] starts it. Embedded, the workflow runs on the
//! server's runtime ([`EmbeddedLauncher`]); on AWS, Step Functions runs it ([`StateMachineLauncher`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::StatusCode;

use super::error::{ApiError, ErrorCode};
use crate::ids::JobId;
use crate::ports::{BackupTrigger, Catalog};
use crate::snapshot::Vault;
use crate::workflow::backup::BackupRequest;
use crate::workflow::download::DownloadRequest;
use crate::workflow::embedded::{BackupOptions, run_backup, run_download, run_restore};
use crate::workflow::restore::RestoreRequest;
use crate::workflow::{ExecutionStarter, OktaConnector, StepContext};

/// A workflow to start, with the id of the job it runs.
#[derive(Debug, Clone)]
pub enum Launch {
    Backup(BackupRequest),
    Restore(RestoreRequest),
    Download(DownloadRequest),
}

impl Launch {
    /// The job the workflow runs: the one it continues or the id chosen for the new one.
    pub fn job_id(&self) -> Option<&JobId> {
        match self {
            Launch::Backup(r) => r.job_id.as_ref().or(r.new_job_id.as_ref()),
            Launch::Restore(r) => r.job_id.as_ref().or(r.new_job_id.as_ref()),
            Launch::Download(r) => r.new_job_id.as_ref(),
        }
    }
}

#[async_trait]
pub trait JobLauncher: Send + Sync + 'static {
    /// Starts the workflow and returns without waiting for it.
    async fn launch(&self, launch: Launch) -> Result<(), ApiError>;
}

/// Runs workflows in this process (`oktavault serve`), each in a task of its own with a context whose Okta
/// clients come from the orgs' sealed credentials.
pub struct EmbeddedLauncher {
    catalog: Arc<dyn Catalog>,
    vault: Vault,
    okta: Arc<dyn OktaConnector>,
    page_budget: Duration,
}

impl EmbeddedLauncher {
    pub fn new(catalog: Arc<dyn Catalog>, vault: Vault, okta: Arc<dyn OktaConnector>) -> Self {
        Self {
            catalog,
            vault,
            okta,
            page_budget: Duration::from_secs(20),
        }
    }

    fn context(&self) -> Arc<StepContext> {
        Arc::new(
            StepContext::new(self.catalog.clone(), self.vault.clone(), self.okta.clone())
                .with_page_budget(self.page_budget),
        )
    }
}

#[async_trait]
impl JobLauncher for EmbeddedLauncher {
    async fn launch(&self, launch: Launch) -> Result<(), ApiError> {
        let ctx = self.context();
        let job = launch.job_id().map(ToString::to_string).unwrap_or_default();
        tokio::spawn(async move {
            let failure = match &launch {
                Launch::Backup(request) => {
                    let options = BackupOptions {
                        categories: request.categories.clone(),
                        full_refresh: request.full_refresh,
                        max_iterations: request.max_iterations,
                        trigger: request.trigger,
                        new_job_id: request.new_job_id.clone(),
                    };
                    let run = run_backup(ctx, &request.org_id, options).await;
                    run.outcome.err().map(|e| run.failure.unwrap_or(e.cause))
                }
                Launch::Restore(request) => {
                    let run = run_restore(ctx, request).await;
                    run.outcome.err().map(|e| run.failure.unwrap_or(e.cause))
                }
                Launch::Download(request) => {
                    let run = run_download(ctx, request).await;
                    run.outcome.err().map(|e| run.failure.unwrap_or(e.cause))
                }
            };
            match failure {
                Some(why) => tracing::warn!(job = %job, error = %why, "the job's workflow failed"),
                None => tracing::info!(job = %job, "the job's workflow ended"),
            }
        });
        Ok(())
    }
}

/// The ARNs of the three state machines the API starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachines {
    pub backup: String,
    pub restore: String,
    pub download: String,
}

/// Starts workflows as Step Functions executions (on AWS), each named after its job.
pub struct StateMachineLauncher {
    starter: Arc<dyn ExecutionStarter>,
    machines: StateMachines,
}

impl StateMachineLauncher {
    pub fn new(starter: Arc<dyn ExecutionStarter>, machines: StateMachines) -> Self {
        Self { starter, machines }
    }
}

#[async_trait]
impl JobLauncher for StateMachineLauncher {
    async fn launch(&self, launch: Launch) -> Result<(), ApiError> {
        let (machine, input) = match &launch {
            Launch::Backup(request) => (&self.machines.backup, serde_json::to_value(request)),
            Launch::Restore(request) => (&self.machines.restore, serde_json::to_value(request)),
            Launch::Download(request) => (&self.machines.download, serde_json::to_value(request)),
        };
        let input = input.map_err(|e| launch_failed(format!("the request does not serialize: {e}")))?;
        let job = launch
            .job_id()
            .ok_or_else(|| launch_failed("the request names no job to run".into()))?;
        // The job id names the execution: one execution per job start, and a retried start is refused, not doubled.
        let name = format!("{job}-api");
        self.starter
            .start(machine, &name, input)
            .await
            .map_err(|e| launch_failed(e.message))
    }
}

fn launch_failed(message: String) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::LaunchFailed, message)
}

/// What `oktavault backup` and the schedule ask for, as "backup now" asks for it.
pub fn backup_now(org_id: crate::ids::OrgId, job_id: JobId) -> BackupRequest {
    BackupRequest {
        org_id,
        job_id: None,
        categories: None,
        full_refresh: false,
        max_iterations: None,
        trigger: BackupTrigger::Manual,
        new_job_id: Some(job_id),
    }
}
