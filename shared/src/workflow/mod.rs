//! The backup workflow's steps, as library functions with small JSON inputs and outputs.
//!
//! `statemachines/backup.asl.json` wires them: PlanBackup -> (per stage, per category: BackupPage
//! until done) -> FinalizeBackup, with a Catch on every path into FailJob. On AWS each step is a
//! thin Lambda; embedded, [`embedded`] runs the same definition in-process. Every write a step makes
//! is idempotent (deterministic keys, last-write-wins progress), so a step that crashes and runs
//! again repeats at most one page and never duplicates or loses an object.

mod batch;
mod carry;
mod context;
mod cursor;
pub mod embedded;
mod error;
mod fail;
mod finalize;
mod items;
pub mod log_window;
mod page;
mod parents;
mod plan;
mod work;

pub use context::{OktaConnector, StaticConnector, StepContext};
pub use error::StepError;
pub use fail::{FailJobInput, FailJobOutput, fail_job};
pub use finalize::{FinalizeInput, FinalizeOutput, finalize_backup};
pub use page::{BackupPageInput, BackupPageOutput, backup_page};
pub use plan::{PlanInput, PlanOutput, plan_backup};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The step names, as the state machine's substitutions and the Lambdas know them.
pub const STEPS: &[&str] = &["PlanBackup", "BackupPage", "FinalizeBackup", "FailJob"];

/// Runs the step `function` on a JSON payload: what a Lambda handler and the embedded runner call.
pub async fn dispatch(ctx: &StepContext, function: &str, payload: Value) -> Result<Value, StepError> {
    match function {
        "PlanBackup" => encode(plan_backup(ctx, decode(function, payload)?).await?),
        "BackupPage" => encode(backup_page(ctx, decode(function, payload)?).await?),
        "FinalizeBackup" => encode(finalize_backup(ctx, decode(function, payload)?).await?),
        "FailJob" => encode(fail_job(ctx, decode(function, payload)?).await?),
        other => Err(StepError::fatal(format!(
            "unknown step {other:?}; the steps are {}",
            STEPS.join(", ")
        ))),
    }
}

fn decode<T: DeserializeOwned>(function: &str, payload: Value) -> Result<T, StepError> {
    serde_json::from_value(payload).map_err(|e| StepError::fatal(format!("malformed input for {function}: {e}")))
}

fn encode<T: Serialize>(output: T) -> Result<Value, StepError> {
    serde_json::to_value(output).map_err(|e| StepError::fatal(format!("could not encode a step result: {e}")))
}
