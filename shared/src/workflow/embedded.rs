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
/// `categories` limits a new job to those categories (and their parents); a resumed job keeps its own.
pub async fn run_backup(
    ctx: Arc<StepContext>,
    org_id: &OrgId,
    job_id: &JobId,
    categories: Option<Vec<String>>,
) -> Result<Value, ExecutionFailed> {
    let machine = StateMachine::parse(BACKUP_DEFINITION, &embedded_function_substitutions(STEPS)).map_err(|e| {
        ExecutionFailed {
            error: "States.Runtime".into(),
            cause: format!("backup.asl.json: {e}"),
        }
    })?;
    let options = ExecutionOptions::new(job_id.to_string());
    machine
        .execute(
            json!({"org_id": org_id, "job_id": job_id, "categories": categories}),
            Arc::new(StepInvoker { ctx }),
            &options,
        )
        .await
}
