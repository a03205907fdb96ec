//! The backup and restore workflows' steps, as library functions with small JSON inputs and outputs.
//!
//! `statemachines/backup.asl.json` wires them: PlanBackup -> (per stage, per category: BackupPage
//! until done) -> FinalizeBackup (-> ContinueBackup when the job needs another execution), with a Catch on
//! every path into FailJob. Every step holds the job's lease ([`lease`]): one writer per job. On AWS each step is a
//! thin Lambda; embedded, [`embedded`] runs the same definition in-process. Every write a step makes
//! is idempotent (deterministic keys, last-write-wins progress), so a step that crashes and runs
//! again repeats at most one page and never duplicates or loses an object.

pub mod backup;
mod context;
pub mod download;
pub mod embedded;
mod error;
mod fail;
pub mod job;
pub mod lease;
pub mod restore;
pub mod runner;

pub use backup::{
    BackupPageInput, BackupPageOutput, BackupRequest, ContinueInput, ContinueOutput, FinalizeInput, FinalizeOutput,
    PlanInput, PlanOutput, backup_page, continue_backup, finalize_backup, plan_backup,
};
pub use context::{ExecutionStarter, OktaConnector, StaticConnector, StepContext};
pub use error::{StepError, StepErrorKind};
pub use fail::{FailJobInput, FailJobOutput, fail_job};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The step names, as the state machine's substitutions and the Lambdas know them.
pub const STEPS: &[&str] = &[
    "PlanBackup",
    "BackupPage",
    "FinalizeBackup",
    "ContinueBackup",
    "PlanRestore",
    "ApplyRestore",
    "FinalizeRestore",
    "PlanDownload",
    "ExportPage",
    "FinalizeDownload",
    "FailJob",
];

/// Runs the step `function` on a JSON payload: what a Lambda handler and the embedded runner call. `deadline`
/// is when the invocation must have answered (a Lambda's), if it has one: a step stops its work in time.
pub async fn dispatch(
    ctx: &StepContext,
    function: &str,
    payload: Value,
    deadline: Option<tokio::time::Instant>,
) -> Result<Value, StepError> {
    match function {
        "PlanBackup" => encode(plan_backup(ctx, decode(function, payload)?).await?),
        "BackupPage" => encode(backup_page(ctx, decode(function, payload)?, deadline).await?),
        "FinalizeBackup" => encode(finalize_backup(ctx, decode(function, payload)?).await?),
        "ContinueBackup" => encode(continue_backup(ctx, decode(function, payload)?).await?),
        "PlanRestore" => encode(restore::plan_restore(ctx, decode(function, payload)?).await?),
        "ApplyRestore" => encode(restore::apply_restore(ctx, decode(function, payload)?, deadline).await?),
        "FinalizeRestore" => encode(restore::finalize_restore(ctx, decode(function, payload)?).await?),
        "PlanDownload" => encode(download::plan_download(ctx, decode(function, payload)?).await?),
        "ExportPage" => encode(download::export_page(ctx, decode(function, payload)?, deadline).await?),
        "FinalizeDownload" => encode(download::finalize_download(ctx, decode(function, payload)?).await?),
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
