//! FailJob: where every Catch of the state machine lands. Marks a running job Failed with a
//! message a person can act on; a job that already finished is left as it is.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{StepContext, StepError};
use crate::ids::JobId;
use crate::ports::JobStatus;
use crate::timefmt;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailJobInput {
    pub job_id: JobId,
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
    pub job_id: JobId,
    pub status: JobStatus,
}

pub async fn fail_job(ctx: &StepContext, input: FailJobInput) -> Result<FailJobOutput, StepError> {
    let mut job = ctx
        .catalog
        .get_job(&input.job_id)
        .await?
        .ok_or_else(|| StepError::fatal(format!("job {} not found", input.job_id)))?;
    if job.status.is_finished() {
        return Ok(FailJobOutput {
            job_id: job.job_id,
            status: job.status,
        });
    }
    let now = timefmt::rfc3339(timefmt::now());
    job.status = JobStatus::Failed;
    job.error = Some(
        input
            .error
            .as_ref()
            .map(readable_cause)
            .unwrap_or_else(|| "the workflow failed".to_owned()),
    );
    job.updated_at = now.clone();
    job.finished_at = Some(now);
    ctx.catalog.update_job(&job, JobStatus::Running).await?;
    Ok(FailJobOutput {
        job_id: job.job_id,
        status: JobStatus::Failed,
    })
}

/// A Lambda's failure arrives as `{"errorType", "errorMessage"}` JSON in `Cause`; the embedded
/// runner passes the message itself. Either way the person reads the message.
fn readable_cause(caught: &CaughtError) -> String {
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
}
