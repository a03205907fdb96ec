//! PlanBackup: creates the job (or picks up the unfinished one with the same id), proves the
//! credentials work, and answers with the stages of categories to back up.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::{StepContext, StepError};
use crate::categories::{self, Category};
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{JobKind, JobRecord, JobStatus};
use crate::timefmt;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanInput {
    pub org_id: OrgId,
    /// Chosen by the caller (the execution name on AWS), so a retried or resumed run finds its job.
    pub job_id: JobId,
    /// Only these categories (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanOutput {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
    /// Categories grouped in stages: a stage starts when the one before it is complete.
    pub stages: Vec<Vec<String>>,
    /// True when an unfinished job was picked up rather than created.
    pub resumed: bool,
}

pub async fn plan_backup(ctx: &StepContext, input: PlanInput) -> Result<PlanOutput, StepError> {
    let org = ctx
        .catalog
        .get_org(&input.org_id)
        .await?
        .ok_or_else(|| StepError::fatal(format!("org {} is not registered; authorize it first", input.org_id)))?;

    let (job, resumed) = match ctx.catalog.get_job(&input.job_id).await? {
        Some(job) if job.org_id != input.org_id => {
            return Err(StepError::fatal(format!(
                "job {} belongs to org {}, not {}",
                job.job_id, job.org_id, input.org_id
            )));
        }
        Some(job) if job.status == JobStatus::Running => (job, true),
        Some(job) => {
            return Err(StepError::fatal(format!(
                "job {} already finished ({}); start a new job",
                job.job_id, job.status
            )));
        }
        None => (create_job(ctx, &input, org.last_snapshot.clone()).await?, false),
    };

    // A wrong credential must fail the job here, before any page is fetched.
    let client = ctx.okta.client_for(&org).await?;
    client.check_credentials().await?;

    let selected: Vec<&'static Category> = job
        .categories
        .iter()
        .filter_map(|name| categories::find(name))
        .collect();
    let snapshot_id = job
        .snapshot_id
        .clone()
        .ok_or_else(|| StepError::fatal(format!("job {} has no snapshot id", job.job_id)))?;
    Ok(PlanOutput {
        job_id: job.job_id,
        org_id: job.org_id,
        snapshot_id,
        stages: categories::stages(&selected)
            .into_iter()
            .map(|s| s.into_iter().map(str::to_owned).collect())
            .collect(),
        resumed,
    })
}

async fn create_job(
    ctx: &StepContext,
    input: &PlanInput,
    previous: Option<SnapshotId>,
) -> Result<JobRecord, StepError> {
    let selected = categories::select(input.categories.as_deref()).map_err(|e| StepError::fatal(e.to_string()))?;
    let now = timefmt::now();
    let snapshot_id = SnapshotId::generate(now);
    let key = ctx.vault.new_sealing_key(&input.org_id, &snapshot_id).await?;
    let job = JobRecord {
        job_id: input.job_id.clone(),
        org_id: input.org_id.clone(),
        kind: JobKind::Backup,
        status: JobStatus::Running,
        created_at: timefmt::rfc3339(now),
        updated_at: timefmt::rfc3339(now),
        finished_at: None,
        snapshot_id: Some(snapshot_id),
        previous_snapshot: previous,
        wrapped_key: Some(BASE64.encode(key.wrapped())),
        categories: selected.iter().map(|c| c.name.to_owned()).collect(),
        counts: BTreeMap::new(),
        error: None,
    };
    ctx.catalog.create_job(&job).await?;
    Ok(job)
}
