//! ExportPage: renders the plan's units from where the last call stopped, each into a piece of its own, for a
//! bounded time; answers with the next position, or `done`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{piece_key, spec};
use crate::download::plan::{read_plan, write_piece};
use crate::download::render::render;
use crate::ids::{JobId, OrgId};
use crate::ports::JobKind;
use crate::snapshot::SnapshotReader;
use crate::workflow::job::running_job;
use crate::workflow::{StepContext, StepError, lease};

/// A step stops taking new units this long before its invocation's deadline.
const DEADLINE_MARGIN: Duration = Duration::from_secs(20);

/// Where the export stands: the next unit of the next file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportPageInput {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub owner: String,
    pub file: usize,
    pub unit: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportPageOutput {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub owner: String,
    pub file: usize,
    pub unit: usize,
    pub done: bool,
}

pub async fn export_page(
    ctx: &StepContext,
    input: ExportPageInput,
    deadline: Option<Instant>,
) -> Result<ExportPageOutput, StepError> {
    let started = Instant::now();
    let stop_at = match deadline {
        Some(deadline) => (started + ctx.page_budget).min(deadline.checked_sub(DEADLINE_MARGIN).unwrap_or(started)),
        None => started + ctx.page_budget,
    };
    let job = running_job(ctx, &input.job_id).await?;
    spec(&job)?;
    lease::renew(ctx, &job.org_id, JobKind::Download, &job.job_id, &input.owner).await?;
    let plan = read_plan(&ctx.vault, &job.org_id, &job.job_id)
        .await?
        .ok_or_else(|| StepError::fatal(format!("download job {} has no plan", job.job_id)))?;
    let key = piece_key(ctx, &job).await?;
    let mut reader: Option<(usize, SnapshotReader)> = None;
    let (mut file, mut unit) = (input.file, input.unit);
    let answer = |file, unit, done| ExportPageOutput {
        job_id: input.job_id.clone(),
        org_id: input.org_id.clone(),
        owner: input.owner.clone(),
        file,
        unit,
        done,
    };
    while file < plan.files.len() {
        let units = &plan.files[file].units;
        let snapshot = plan.files[file].snapshot;
        if units.len() > unit && reader.as_ref().is_none_or(|(open, _)| *open != snapshot) {
            let id = &plan.snapshots[snapshot].snapshot_id;
            reader = Some((
                snapshot,
                SnapshotReader::open(ctx.vault.clone(), &job.org_id, id).await?,
            ));
        }
        while unit < units.len() {
            let (_, reader) = reader.as_ref().expect("opened above");
            let piece = render(reader, plan.format, &plan.files[file], &units[unit]).await?;
            write_piece(&ctx.vault, &key, &plan, file, unit, &piece).await?;
            unit += 1;
            if Instant::now() >= stop_at {
                return Ok(answer(file, unit, false));
            }
        }
        file += 1;
        unit = 0;
    }
    Ok(answer(file, unit, true))
}
