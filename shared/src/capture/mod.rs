//! Near-real-time capture: admin changes an org's Okta log stream sends to EventBridge start a backup of only the
//! categories they touch, within minutes, while the scheduled backups go on (some changes are never logged).
//!
//! - [`events`]: which events are admin changes, and which categories each touches.
//! - [`pending`]: the changes waiting for a capture, one blob per event under the org's prefix, so concurrent
//!   invocations never lose one another's changes and a repeated event is kept once.
//! - [`handle`]: what the capture function does with a batch of events: record them, and make sure one capture
//!   runs at the end of the debounce window.
//!
//! PlanBackup takes every pending change when a capture runs (`workflow::backup::plan`); a capture that finds the
//! org's backup running waits, and the ending job starts it (at most one waits per org: whatever is pending is
//! taken by the next capture). A capture is a whole snapshot: the categories it does not list are carried whole
//! from the previous snapshot.

pub mod events;
mod handle;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod pending;

pub use handle::{CaptureReport, capture_input, handle};

use crate::ids::OrgId;
use crate::workflow::{StepContext, StepError};

/// Starts the capture waiting for the org's backup that just ended, if changes are pending: on AWS a new execution
/// of the backup state machine (`state_machine`) with the capture trigger; the embedded host runs no captures.
pub(crate) async fn start_waiting(
    ctx: &StepContext,
    org: &OrgId,
    state_machine: Option<&str>,
) -> Result<(), StepError> {
    let (Some(executions), Some(state_machine)) = (&ctx.executions, state_machine) else {
        return Ok(());
    };
    if !pending::any(ctx.vault.blobs().as_ref(), org).await? {
        return Ok(());
    }
    let name = format!("capture-{}", crate::ids::random_suffix());
    executions
        .start(state_machine, &name, handle::capture_input(org))
        .await?;
    tracing::info!(%org, execution = %name, "started the capture that waited for the org's backup");
    Ok(())
}
