//! What every workflow step does with its job: load it while it runs, open its snapshot's sealing key,
//! and write lines to its log.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{StepContext, StepError};
use crate::ids::JobId;
use crate::ports::{JobRecord, JobStatus, LogEntry};
use crate::snapshot::SealingKey;
use crate::timefmt;

pub async fn running_job(ctx: &StepContext, job_id: &JobId) -> Result<JobRecord, StepError> {
    let job = ctx
        .catalog
        .get_job(job_id)
        .await?
        .ok_or_else(|| StepError::fatal(format!("job {job_id} not found")))?;
    // The steps whose input names only the job: their log lines name the org from here on (see `logs`).
    tracing::Span::current().record("org_id", job.org_id.as_str());
    if job.status != JobStatus::Running {
        return Err(StepError::fatal(format!("job {job_id} is {}, not running", job.status)));
    }
    Ok(job)
}

pub async fn sealing_key(ctx: &StepContext, job: &JobRecord) -> Result<SealingKey, StepError> {
    let (Some(snapshot), Some(wrapped)) = (&job.snapshot_id, &job.wrapped_key) else {
        return Err(StepError::fatal(format!("job {} has no snapshot key", job.job_id)));
    };
    let wrapped = BASE64
        .decode(wrapped)
        .map_err(|e| StepError::fatal(format!("job {}: its wrapped data key is not base64: {e}", job.job_id)))?;
    Ok(ctx
        .vault
        .sealing_key_from_wrapped(&job.org_id, snapshot, &wrapped)
        .await?)
}

/// An item or a call that could not be kept, with why: it becomes a job log line.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub object_id: Option<String>,
    pub message: String,
}

pub fn log_line(category: &str, r: Rejected, outcome: &str) -> LogEntry {
    LogEntry {
        at: timefmt::rfc3339(timefmt::now()),
        category: category.to_owned(),
        object_id: r.object_id,
        outcome: outcome.to_owned(),
        message: r.message,
    }
}

/// The category name job-level lines of a job log carry.
pub const JOB_LOG: &str = "job";

/// Reopens a job that failed for a transient cause: Running again, from its saved positions.
pub(crate) async fn reopen(ctx: &StepContext, failed: &JobRecord) -> Result<JobRecord, StepError> {
    let now = timefmt::rfc3339(timefmt::now());
    let job = JobRecord {
        status: JobStatus::Running,
        updated_at: now,
        finished_at: None,
        resumable: false,
        reopened: failed.reopened + 1,
        error: None,
        ..failed.clone()
    };
    ctx.catalog.update_job(&job, JobStatus::Failed).await?;
    let why = failed.error.as_deref().unwrap_or("a transient failure");
    job_log(
        ctx,
        &job.job_id,
        &format!("reopened-{}", job.reopened),
        format!("reopened after it failed ({why}); continuing from its saved positions"),
    )
    .await?;
    Ok(job)
}

/// Writes one job-level line to the job's log, under a fixed batch name so a repeated step writes it once.
pub(crate) async fn job_log(ctx: &StepContext, job: &JobId, batch: &str, message: String) -> Result<(), StepError> {
    let line = LogEntry {
        at: timefmt::rfc3339(timefmt::now()),
        category: JOB_LOG.to_owned(),
        object_id: None,
        outcome: "note".to_owned(),
        message,
    };
    ctx.catalog
        .append_log(job, &format!("{JOB_LOG}/{batch}"), &[line])
        .await?;
    Ok(())
}
