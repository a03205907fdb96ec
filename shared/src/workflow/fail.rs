//! FailJob: where every Catch of the state machine lands. Marks the runner's job Failed with a message a person
//! can act on, and whether the next backup of the org (or a restore asked to continue it) may continue it (any cause but our own fatal errors). A job
//! that already finished, or that another runner has taken over, is left as it is.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::backup::work;
use super::{StepContext, StepError, lease};
use crate::ids::{JobId, OrgId};
use crate::ports::{JobKind, JobStatus};
use crate::timefmt;

/// The state the Catch caught (wherever in the workflow), and the runner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailJobInput {
    pub state: CaughtState,
    pub owner: String,
    /// The workflow's kind of job (a backup when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<JobKind>,
    /// The state machine running this (`$$.StateMachine.Id`): a capture that waited for a failed backup starts on
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_machine: Option<String>,
}

/// What FailJob reads of the caught state: the org always, the job once PlanBackup chose it, and the error.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaughtState {
    pub org_id: OrgId,
    #[serde(default)]
    pub job_id: Option<JobId>,
    #[serde(default)]
    pub error: Option<CaughtError>,
}

/// What a Catch puts at its ResultPath.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaughtError {
    #[serde(rename = "Error", default)]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailJobOutput {
    pub job_id: Option<JobId>,
    /// The job's status afterwards (absent when no job was chosen yet).
    pub status: Option<JobStatus>,
}

pub async fn fail_job(ctx: &StepContext, input: FailJobInput) -> Result<FailJobOutput, StepError> {
    let org = &input.state.org_id;
    let kind = input.kind.unwrap_or(JobKind::Backup);
    let nothing = |job_id: Option<JobId>, status| Ok(FailJobOutput { job_id, status });
    // PlanBackup may fail after choosing a job (its credentials check): the runner's lease names it.
    let job_id = match &input.state.job_id {
        Some(job_id) => Some(job_id.clone()),
        None => ctx
            .catalog
            .get_lease(org, kind)
            .await?
            .filter(|l| l.owner == input.owner)
            .map(|l| l.job_id),
    };
    let Some(job_id) = job_id else {
        return nothing(None, None);
    };
    let error_name = input.state.error.as_ref().map_or("", |e| e.error.as_str());
    if error_name == StepError::SUPERSEDED || !lease::may_write(ctx, org, kind, &input.owner).await? {
        // Another runner has the job now: it is theirs to finish.
        let status = ctx.catalog.get_job(&job_id).await?.map(|j| j.status);
        return nothing(Some(job_id), status);
    }
    let Some(mut job) = ctx.catalog.get_job(&job_id).await? else {
        return nothing(Some(job_id), None);
    };
    if job.status.is_finished() {
        return nothing(Some(job_id), Some(job.status));
    }
    let now = timefmt::rfc3339(timefmt::now());
    job.status = JobStatus::Failed;
    job.resumable = StepError::leaves_job_resumable(error_name);
    job.error = Some(
        input
            .state
            .error
            .as_ref()
            .map(readable_cause)
            .unwrap_or_else(|| "the workflow failed".to_owned()),
    );
    job.updated_at = now.clone();
    job.finished_at = Some(now);
    ctx.catalog.update_job(&job, JobStatus::Running).await?;
    // A backup's work documents are of no use once it cannot be continued; a restore's plan stays, as the
    // record of what it meant to do.
    if !job.resumable && kind == JobKind::Backup {
        work::delete_all(&ctx.vault, org, &job.job_id).await?;
    }
    // A download's staged pieces are of no use once it failed: a download is asked for again, not continued.
    if kind == JobKind::Download {
        crate::download::plan::delete_staged(&ctx.vault, org, &job.job_id).await?;
    }
    lease::release(ctx, org, kind, &input.owner).await?;
    ctx.alert(crate::service::alerts::job_ended(&job)).await;
    if kind == JobKind::Backup {
        crate::capture::start_waiting(ctx, org, input.state_machine.as_deref()).await?;
    }
    nothing(Some(job.job_id), Some(JobStatus::Failed))
}

/// A Lambda's failure arrives as `{"errorType", "errorMessage"}` JSON in `Cause`; the embedded
/// runner passes the message itself. Either way the person reads the message.
pub(crate) fn readable_cause(caught: &CaughtError) -> String {
    let message = serde_json::from_str::<Value>(&caught.cause)
        .ok()
        .and_then(|v| v.get("errorMessage").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| caught.cause.clone());
    if message.is_empty() {
        caught.error.clone()
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_causes_are_unwrapped_to_their_message() {
        let lambda = CaughtError {
            error: "OktaVault.Fatal".into(),
            cause: r#"{"errorType":"OktaVault.Fatal","errorMessage":"bad token"}"#.into(),
        };
        assert_eq!(readable_cause(&lambda), "bad token");
        let embedded = CaughtError {
            error: "OktaVault.Fatal".into(),
            cause: "bad token".into(),
        };
        assert_eq!(readable_cause(&embedded), "bad token");
        let bare = CaughtError {
            error: "States.Timeout".into(),
            cause: String::new(),
        };
        assert_eq!(readable_cause(&bare), "States.Timeout");
    }

    #[test]
    fn only_our_own_fatal_errors_end_a_job_for_good() {
        for name in [
            "Sandbox.Timedout",
            "Lambda.Unknown",
            "States.Timeout",
            "OktaVault.Retryable",
            "OktaVault.Unauthorized",
        ] {
            assert!(StepError::leaves_job_resumable(name), "{name}");
        }
        assert!(!StepError::leaves_job_resumable("OktaVault.Fatal"));
    }
}
