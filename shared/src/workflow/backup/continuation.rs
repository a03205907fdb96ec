//! ContinueBackup: hands an unfinished job to a new execution. Step Functions keeps at most 25,000 history
//! events per execution, so a backup that needs more BackupPage calls than one execution may make (see
//! `PlanOutput::max_iterations`) ends its execution here and continues in a fresh one, from the saved positions,
//! as often as it takes: the workflow stays correct for any org size.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ids::{JobId, OrgId};
use crate::ports::JobKind;
use crate::workflow::{StepContext, StepError, lease};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContinueInput {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub owner: String,
    /// The cap on BackupPage calls per category the job runs with (carried into the next execution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
    /// The state machine to start again (`$$.StateMachine.Id`); the embedded host runs it itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_machine: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContinueOutput {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub continued: bool,
    /// The next execution's input.
    pub next_input: serde_json::Value,
    /// The new execution's name, when this step started it.
    pub execution: Option<String>,
}

pub async fn continue_backup(ctx: &StepContext, input: ContinueInput) -> Result<ContinueOutput, StepError> {
    // Free the job for the next runner first: if starting it fails, the job is an interrupted one that the next
    // scheduled backup continues.
    lease::release(ctx, &input.org_id, JobKind::Backup, &input.owner).await?;
    let next_input = json!({"org_id": input.org_id, "job_id": input.job_id, "max_iterations": input.max_iterations});
    let execution = match (&ctx.executions, &input.state_machine) {
        (Some(executions), Some(state_machine)) => {
            let name = format!("{}-{}", input.job_id, crate::ids::random_suffix());
            executions.start(state_machine, &name, next_input.clone()).await?;
            Some(name)
        }
        _ => None,
    };
    Ok(ContinueOutput {
        job_id: input.job_id,
        org_id: input.org_id,
        continued: true,
        next_input,
        execution,
    })
}
