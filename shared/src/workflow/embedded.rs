//! The embedded host: runs `statemachines/backup.asl.json` and `restore.asl.json` in-process with the ASL
//! runner, each Task calling the same step a Lambda would. When a backup needs more than one execution (see
//! `ContinueBackup`), the host starts the next one itself, as Step Functions would on AWS.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Value, json};

use super::fail::{CaughtError, readable_cause};
use super::runner::local_runner;
use super::{STEPS, StepContext, dispatch};
use crate::asl::{
    ExecutionFailed, ExecutionOptions, StateMachine, TaskFailure, TaskInvoker, embedded_function_substitutions,
};
use crate::ids::{JobId, OrgId};
use crate::ports::BackupTrigger;

/// The backup workflow definition, compiled in so the command needs no files beside it.
pub const BACKUP_DEFINITION: &str = include_str!("../../../statemachines/backup.asl.json");
/// The restore workflow definition.
pub const RESTORE_DEFINITION: &str = include_str!("../../../statemachines/restore.asl.json");
/// The download workflow definition.
pub const DOWNLOAD_DEFINITION: &str = include_str!("../../../statemachines/download.asl.json");

struct StepInvoker {
    ctx: Arc<StepContext>,
    /// The job the plan step chose, once a step names it (PlanBackup's or PlanRestore's answer, or FailJob's when
    /// the plan step failed after choosing it).
    job: Mutex<Option<JobId>>,
    /// Why the workflow failed, as FailJob was told (the job record may not hold it: a backup refused
    /// because another runner holds the org's job never gets a job of its own).
    failure: Mutex<Option<String>>,
}

#[async_trait]
impl TaskInvoker for StepInvoker {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure> {
        if function == "FailJob"
            && let Ok(caught) = serde_json::from_value::<CaughtError>(payload["state"]["error"].clone())
        {
            *self.failure.lock().expect("failure lock") = Some(readable_cause(&caught));
        }
        let result = dispatch(&self.ctx, function, payload, None)
            .await
            .map_err(|e| TaskFailure {
                error: e.name().to_owned(),
                cause: e.message,
            })?;
        if matches!(function, "PlanBackup" | "PlanRestore" | "PlanDownload" | "FailJob")
            && let Some(job) = result
                .get("job_id")
                .and_then(|j| serde_json::from_value(j.clone()).ok())
        {
            *self.job.lock().expect("job lock") = Some(job);
        }
        Ok(result)
    }
}

/// What a caller may ask of a new backup job; a continued job keeps what it was started with.
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// Only these categories (and the parents they need); all when `None`.
    pub categories: Option<Vec<String>>,
    /// List every parent's children again even if a periodic full refresh is not due.
    pub full_refresh: bool,
    /// At most this many BackupPage calls per category in one execution (see `BackupRequest`).
    pub max_iterations: Option<u32>,
    /// What started the backup (the schedule when not said).
    pub trigger: BackupTrigger,
    /// The id a new job takes (see `BackupRequest::new_job_id`).
    pub new_job_id: Option<JobId>,
}

/// How an embedded backup ended.
#[derive(Debug)]
pub struct BackupRun {
    /// The job PlanBackup chose (none when it failed before choosing one: the org's job is running elsewhere).
    pub job_id: Option<JobId>,
    /// The last execution's output, or why it failed.
    pub outcome: Result<Value, ExecutionFailed>,
    /// Why the workflow failed, for a person (the error FailJob recorded).
    pub failure: Option<String>,
    /// Executions the job took (more than one when it was continued).
    pub executions: u32,
    /// The most history events one of them wrote (Step Functions allows 25,000).
    pub most_history_events: usize,
}

/// Runs a backup of `org_id` to its end (or until the process is killed: the job then stays Running and the
/// next backup of the org continues it), in as many executions as it takes.
pub async fn run_backup(ctx: Arc<StepContext>, org_id: &OrgId, options: BackupOptions) -> BackupRun {
    let machine = match StateMachine::parse(BACKUP_DEFINITION, &embedded_function_substitutions(STEPS)) {
        Ok(machine) => machine,
        Err(e) => {
            return BackupRun {
                job_id: None,
                outcome: Err(ExecutionFailed {
                    error: "States.Runtime".into(),
                    cause: format!("backup.asl.json: {e}"),
                }),
                failure: None,
                executions: 0,
                most_history_events: 0,
            };
        }
    };
    let invoker = Arc::new(StepInvoker {
        ctx,
        job: Mutex::new(None),
        failure: Mutex::new(None),
    });
    let mut input = json!({
        "org_id": org_id,
        "categories": options.categories,
        "full_refresh": options.full_refresh,
        "max_iterations": options.max_iterations,
        "trigger": options.trigger,
        "new_job_id": options.new_job_id,
    });
    let (mut executions, mut most_history_events) = (0, 0);
    loop {
        executions += 1;
        let report = machine
            .run(
                input,
                invoker.clone(),
                &ExecutionOptions::new(local_runner().to_owned()),
            )
            .await;
        most_history_events = most_history_events.max(report.history_events());
        let outcome = report.outcome;
        let job_id = invoker.job.lock().expect("job lock").clone();
        match (&outcome, &job_id) {
            (Ok(output), Some(_)) if output.get("continued") == Some(&Value::Bool(true)) => {
                input = output["next_input"].clone();
            }
            _ => {
                return BackupRun {
                    job_id,
                    outcome,
                    failure: invoker.failure.lock().expect("failure lock").clone(),
                    executions,
                    most_history_events,
                };
            }
        }
    }
}

/// How an embedded restore ended.
#[derive(Debug)]
pub struct RestoreRun {
    /// The job PlanRestore chose (none when it failed before choosing one).
    pub job_id: Option<JobId>,
    /// The execution's output, or why it failed.
    pub outcome: Result<Value, ExecutionFailed>,
    /// Why the workflow failed, for a person (the error FailJob recorded).
    pub failure: Option<String>,
    /// The history events the execution wrote (Step Functions allows 25,000).
    pub history_events: usize,
}

/// Runs `restore.asl.json` for `request` (a `RestoreRequest`) to its end, or until the process is killed: the
/// job then stays Running, and the same restore asked again continues it.
pub async fn run_restore(ctx: Arc<StepContext>, request: &super::restore::RestoreRequest) -> RestoreRun {
    let failed = |cause: String| RestoreRun {
        job_id: None,
        outcome: Err(ExecutionFailed {
            error: "States.Runtime".into(),
            cause,
        }),
        failure: None,
        history_events: 0,
    };
    let machine = match StateMachine::parse(RESTORE_DEFINITION, &embedded_function_substitutions(STEPS)) {
        Ok(machine) => machine,
        Err(e) => return failed(format!("restore.asl.json: {e}")),
    };
    let input = match serde_json::to_value(request) {
        Ok(input) => input,
        Err(e) => return failed(format!("a restore request that does not serialize: {e}")),
    };
    let invoker = Arc::new(StepInvoker {
        ctx,
        job: Mutex::new(None),
        failure: Mutex::new(None),
    });
    let report = machine
        .run(
            input,
            invoker.clone(),
            &ExecutionOptions::new(local_runner().to_owned()),
        )
        .await;
    RestoreRun {
        job_id: invoker.job.lock().expect("job lock").clone(),
        history_events: report.history_events(),
        outcome: report.outcome,
        failure: invoker.failure.lock().expect("failure lock").clone(),
    }
}

/// How an embedded download ended.
#[derive(Debug)]
pub struct DownloadRun {
    /// The job PlanDownload chose (none when it failed before choosing one).
    pub job_id: Option<JobId>,
    /// The execution's output, or why it failed.
    pub outcome: Result<Value, ExecutionFailed>,
    /// Why the workflow failed, for a person (the error FailJob recorded).
    pub failure: Option<String>,
}

/// Runs `download.asl.json` for `request` to its end.
pub async fn run_download(ctx: Arc<StepContext>, request: &super::download::DownloadRequest) -> DownloadRun {
    let failed = |cause: String| DownloadRun {
        job_id: None,
        outcome: Err(ExecutionFailed {
            error: "States.Runtime".into(),
            cause,
        }),
        failure: None,
    };
    let machine = match StateMachine::parse(DOWNLOAD_DEFINITION, &embedded_function_substitutions(STEPS)) {
        Ok(machine) => machine,
        Err(e) => return failed(format!("download.asl.json: {e}")),
    };
    let input = match serde_json::to_value(request) {
        Ok(input) => input,
        Err(e) => return failed(format!("a download request that does not serialize: {e}")),
    };
    let invoker = Arc::new(StepInvoker {
        ctx,
        job: Mutex::new(None),
        failure: Mutex::new(None),
    });
    let report = machine
        .run(
            input,
            invoker.clone(),
            &ExecutionOptions::new(local_runner().to_owned()),
        )
        .await;
    DownloadRun {
        job_id: invoker.job.lock().expect("job lock").clone(),
        outcome: report.outcome,
        failure: invoker.failure.lock().expect("failure lock").clone(),
    }
}
