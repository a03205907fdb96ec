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
    /// List everything again even if a full refresh is not due.
    #[serde(default)]
    pub full_refresh: bool,
}

/// Every this many snapshots, a backup lists every parent's children again rather than trusting
/// change markers: a safety net under incremental backups.
pub const FULL_REFRESH_EVERY: usize = 7;

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
        None => {
            let full_refresh = input.full_refresh || full_refresh_due(ctx, &input.org_id).await?;
            (
                create_job(ctx, &input, org.last_snapshot.clone(), full_refresh).await?,
                false,
            )
        }
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

/// Whether none of the org's last [`FULL_REFRESH_EVERY`] snapshots listed everything.
async fn full_refresh_due(ctx: &StepContext, org: &OrgId) -> Result<bool, StepError> {
    let snapshots = ctx.catalog.list_snapshots(org).await?;
    Ok(!snapshots.iter().rev().take(FULL_REFRESH_EVERY).any(|s| s.full_refresh))
}

async fn create_job(
    ctx: &StepContext,
    input: &PlanInput,
    previous: Option<SnapshotId>,
    full_refresh: bool,
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
        full_refresh: full_refresh || previous.is_none(),
        previous_snapshot: previous,
        wrapped_key: Some(BASE64.encode(key.wrapped())),
        categories: selected.iter().map(|c| c.name.to_owned()).collect(),
        counts: BTreeMap::new(),
        error: None,
    };
    ctx.catalog.create_job(&job).await?;
    Ok(job)
}
