//! The restore workflow's steps (`statemachines/restore.asl.json`): PlanRestore -> (per stage, per category:
//! ApplyRestore until done) -> FinalizeRestore, with a Catch on every path into FailJob.
//!
//! A restore is a job of the org restored into: it holds that org's restore lease (one restore into an org at a
//! time), saves its position per category after every few objects, and continues from there after a crash.

mod apply;
mod finalize;
mod plan;

pub use apply::{ApplyInput, ApplyOutput, Tally, apply_restore, tallies};
pub use finalize::{FinalizeRestoreInput, FinalizeRestoreOutput, finalize_restore};
pub use plan::{PlanRestoreInput, PlanRestoreOutput, RestoreRequest, plan_restore};

use std::collections::BTreeMap;

use crate::ids::OrgId;
use crate::ports::{JobRecord, RestoreSpec};
use crate::workflow::{StepContext, StepError};

/// The restore spec of a restore job.
fn spec(job: &JobRecord) -> Result<&RestoreSpec, StepError> {
    job.restore
        .as_ref()
        .ok_or_else(|| StepError::fatal(format!("job {} is not a restore job", job.job_id)))
}

/// The categories whose id maps a restore reads: every restorable one (what it restores, and what restored
/// objects refer to).
fn mapped() -> impl Iterator<Item = &'static str> {
    crate::categories::CATEGORIES
        .iter()
        .filter(|c| c.restorable)
        .map(|c| c.name)
        .chain([crate::restore::live::CLIENT_IDS])
}

/// The id maps (snapshot id -> target id) kept for restores from `source` into `target`.
async fn id_maps(
    ctx: &StepContext,
    source: &OrgId,
    target: &OrgId,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, StepError> {
    let mut maps = BTreeMap::new();
    for category in mapped() {
        maps.insert(category.to_owned(), ctx.catalog.id_map(source, target, category).await?);
    }
    Ok(maps)
}

/// Keeps `pairs` in the id map, under `batch`.
async fn keep_ids(
    ctx: &StepContext,
    spec: &RestoreSpec,
    target: &OrgId,
    batch: &str,
    pairs: Vec<(&str, String, String)>,
) -> Result<(), StepError> {
    let mut by_category: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for (category, old, new) in pairs {
        by_category.entry(category).or_default().push((old, new));
    }
    for (category, pairs) in by_category {
        ctx.catalog
            .put_id_map(&spec.source_org, target, category, batch, &pairs)
            .await?;
    }
    Ok(())
}
