//! The embedded host: runs `statemachines/backup.asl.json` in-process with the ASL runner, each
//! Task calling the same step a Lambda would.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{STEPS, StepContext, dispatch};
use crate::asl::{
    ExecutionFailed, ExecutionOptions, StateMachine, TaskFailure, TaskInvoker, embedded_function_substitutions,
};
use crate::ids::{JobId, OrgId};

/// The backup workflow definition, compiled in so the command needs no files beside it.
pub const BACKUP_DEFINITION: &str = include_str!("../../../statemachines/backup.asl.json");

struct StepInvoker {
    ctx: Arc<StepContext>,
}

#[async_trait]
impl TaskInvoker for StepInvoker {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure> {
        dispatch(&self.ctx, function, payload).await.map_err(|e| TaskFailure {
            error: e.name().to_owned(),
            cause: e.message,
        })
    }
}

/// Runs one backup job to its end (or until the process is killed: the job then stays Running
/// and the next run with the same job id resumes it).
/// What a caller may ask of a new backup job; a resumed job keeps what it was started with.
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// Only these categories (and the parents they need); all when `None`.
    pub categories: Option<Vec<String>>,
    /// List every parent's children again even if a periodic full refresh is not due.
    pub full_refresh: bool,
}

pub async fn run_backup(
    ctx: Arc<StepContext>,
    org_id: &OrgId,
    job_id: &JobId,
    options: BackupOptions,
) -> Result<Value, ExecutionFailed> {
    let machine = StateMachine::parse(BACKUP_DEFINITION, &embedded_function_substitutions(STEPS)).map_err(|e| {
        ExecutionFailed {
            error: "States.Runtime".into(),
            cause: format!("backup.asl.json: {e}"),
        }
    })?;
    let input = json!({
        "org_id": org_id,
        "job_id": job_id,
        "categories": options.categories,
        "full_refresh": options.full_refresh,
    });
    machine
        .execute(
            input,
            Arc::new(StepInvoker { ctx }),
            &ExecutionOptions::new(job_id.to_string()),
        )
        .await
}
