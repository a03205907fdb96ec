//! The download workflow's steps (`statemachines/download.asl.json`): PlanDownload -> ExportPage (until every
//! file's units are rendered) -> FinalizeDownload, with a Catch on every path into FailJob.
//!
//! A download is a job of the org whose snapshot it reads, holding that org's download lease (one download of an
//! org at a time). Each ExportPage renders units for a bounded time, each into a piece of its own key, so a step
//! that runs again writes the same pieces again. FinalizeDownload streams the pieces into the file, which appears
//! at its path (or its S3 key) only once it is whole.

mod export;
mod finalize;
mod plan;

pub use export::{ExportPageInput, ExportPageOutput, export_page};
pub use finalize::{FinalizeDownloadInput, FinalizeDownloadOutput, finalize_download};
pub use plan::{DownloadRequest, PlanDownloadInput, plan_download};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::ports::{DownloadSpec, JobRecord};
use crate::snapshot::SealingKey;
use crate::workflow::{StepContext, StepError};

/// The download spec of a download job.
fn spec(job: &JobRecord) -> Result<&DownloadSpec, StepError> {
    job.download
        .as_ref()
        .ok_or_else(|| StepError::fatal(format!("job {} is not a download job", job.job_id)))
}

/// The key the job's plan and pieces are sealed with (a data key of its own, bound to the org).
async fn piece_key(ctx: &StepContext, job: &JobRecord) -> Result<SealingKey, StepError> {
    let spec = spec(job)?;
    let wrapped = job
        .wrapped_key
        .as_ref()
        .ok_or_else(|| StepError::fatal(format!("job {} has no download key", job.job_id)))?;
    let wrapped = BASE64.decode(wrapped).map_err(|e| {
        StepError::fatal(format!(
            "job {}: its wrapped download key is not base64: {e}",
            job.job_id
        ))
    })?;
    Ok(ctx
        .vault
        .sealing_key_from_wrapped(&job.org_id, &spec.piece_key, &wrapped)
        .await?)
}
