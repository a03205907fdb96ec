//! FinalizeRestore: ends the restore job. A dry run is Completed with nothing written; a plan the guardrail
//! holds is Failed, naming the numbers; an applied plan is Completed, or Completed With Errors when any object
//! failed (each failure is a line of the job's log).

use serde::{Deserialize, Serialize};

use super::apply::tallies;
use crate::ids::JobId;
use crate::ports::{CategoryCounts, JobKind, JobStatus};
use crate::restore::stored;
use crate::timefmt;
use crate::workflow::job::running_job;
use crate::workflow::{StepContext, StepError, lease};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinalizeRestoreInput {
    pub job_id: JobId,
    pub owner: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinalizeRestoreOutput {
    pub job_id: JobId,
    pub status: JobStatus,
}

pub async fn finalize_restore(
    ctx: &StepContext,
    input: FinalizeRestoreInput,
) -> Result<FinalizeRestoreOutput, StepError> {
    let mut job = running_job(ctx, &input.job_id).await?;
    lease::renew(ctx, &job.org_id, JobKind::Restore, &job.job_id, &input.owner).await?;
    let summary = stored::read_head(&ctx.vault, &job.org_id, &job.job_id)
        .await?
        .ok_or_else(|| StepError::fatal(format!("restore job {} has no plan", job.job_id)))?;
    let tallies = tallies(ctx.catalog.as_ref(), &job.job_id).await?;
    job.categories = summary.stages.iter().flatten().cloned().collect();
    if let Some(held) = summary.held_message() {
        job.status = JobStatus::Failed;
        job.error = Some(held);
    } else if summary.dry_run {
        job.status = JobStatus::Completed;
    } else {
        let unfinished: Vec<&String> = job
            .categories
            .iter()
            .filter(|c| !tallies.get(*c).is_some_and(|(_, done)| *done))
            .collect();
        if !unfinished.is_empty() {
            return Err(StepError::fatal(format!(
                "restore job {}: {} not applied to the end; the workflow skipped them",
                job.job_id,
                unfinished.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        let failed: u64 = tallies.values().map(|(t, _)| t.failed).sum();
        job.status = if failed > 0 {
            job.error = Some(format!(
                "{failed} objects could not be restored; the job log says why, object by object"
            ));
            JobStatus::CompletedWithErrors
        } else {
            JobStatus::Completed
        };
    }
    for (category, (tally, _)) in &tallies {
        job.counts.insert(
            category.clone(),
            CategoryCounts {
                objects: tally.total(),
                new_objects: tally.created,
                errors: tally.failed,
                skipped: None,
            },
        );
    }
    let now = timefmt::rfc3339(timefmt::now());
    job.updated_at = now.clone();
    job.finished_at = Some(now);
    ctx.catalog.update_job(&job, JobStatus::Running).await?;
    ctx.alert(crate::service::alerts::job_ended(&job)).await;
    lease::release(ctx, &job.org_id, JobKind::Restore, &input.owner).await?;
    Ok(FinalizeRestoreOutput {
        job_id: job.job_id,
        status: job.status,
    })
}
