//! A restore plan in the blob store: sealed like a snapshot (under the restore job's own data key, bound to the
//! target org), written once by PlanRestore, read a chunk at a time by ApplyRestore and by whoever shows it.
//!
//! The chunks go first and the head last: a head that can be read means the whole plan can.

use std::collections::BTreeMap;

use super::kinds::Kind;
use super::plan::{CategoryPlan, PlanSummary, PlannedObject};
use crate::ids::{JobId, OrgId};
use crate::snapshot::{BlobKind, SealingKey, SnapshotError, Vault, keys};

/// Planned objects per blob: small enough to apply in one step, big enough to keep the blob count low.
pub const CHUNK: usize = 500;

/// Writes the plan's objects; `summary.categories` gets each category's counts and chunks. The plan can be read
/// once [`write_head`] has written its head.
pub async fn write_objects(
    vault: &Vault,
    key: &SealingKey,
    summary: &mut PlanSummary,
    objects: &BTreeMap<Kind, Vec<PlannedObject>>,
) -> Result<(), SnapshotError> {
    let (org, job) = (summary.target_org.clone(), summary.job_id.clone());
    for (kind, planned) in objects {
        let counts = summary.categories.entry(kind.category().to_owned()).or_default();
        for p in planned {
            counts.count(p);
        }
        counts.chunks = planned.len().div_ceil(CHUNK);
        for (n, chunk) in planned.chunks(CHUNK).enumerate() {
            let bytes = serde_json::to_vec(chunk).expect("a plan serializes");
            let blob = keys::restore_plan_chunk(&org, &job, kind.category(), n);
            vault.put_sealed(key, &blob, BlobKind::Work, &bytes).await?;
        }
    }
    Ok(())
}

/// Writes the plan's head (after its objects).
pub async fn write_head(vault: &Vault, key: &SealingKey, summary: &PlanSummary) -> Result<(), SnapshotError> {
    let bytes = serde_json::to_vec(summary).expect("a plan serializes");
    let blob = keys::restore_plan_head(&summary.target_org, &summary.job_id);
    vault.put_sealed(key, &blob, BlobKind::Work, &bytes).await
}

/// The plan's head, or `None` when planning did not finish.
pub async fn read_head(vault: &Vault, org: &OrgId, job: &JobId) -> Result<Option<PlanSummary>, SnapshotError> {
    let blob = keys::restore_plan_head(org, job);
    match vault.get_opened(org, &blob, BlobKind::Work).await {
        Ok(bytes) => parse(&blob, &bytes).map(Some),
        Err(SnapshotError::Missing { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Chunk `n` of the plan's objects of `category`.
pub async fn read_chunk(
    vault: &Vault,
    org: &OrgId,
    job: &JobId,
    category: &str,
    n: usize,
) -> Result<Vec<PlannedObject>, SnapshotError> {
    let blob = keys::restore_plan_chunk(org, job, category, n);
    let bytes = vault.get_opened(org, &blob, BlobKind::Work).await?;
    parse(&blob, &bytes)
}

/// Every planned object of `category`, in plan order.
pub async fn read_category(
    vault: &Vault,
    summary: &PlanSummary,
    category: &str,
) -> Result<Vec<PlannedObject>, SnapshotError> {
    let chunks = summary.categories.get(category).map_or(0, |c: &CategoryPlan| c.chunks);
    let mut out = Vec::new();
    for n in 0..chunks {
        out.extend(read_chunk(vault, &summary.target_org, &summary.job_id, category, n).await?);
    }
    Ok(out)
}

/// Deletes everything stored for a restore job (its plan).
pub async fn delete(vault: &Vault, org: &OrgId, job: &JobId) -> Result<(), SnapshotError> {
    for blob in vault.blobs().list(&keys::restore_prefix(org, job)).await? {
        vault.blobs().delete(&blob).await?;
    }
    Ok(())
}

fn parse<T: serde::de::DeserializeOwned>(blob: &str, bytes: &[u8]) -> Result<T, SnapshotError> {
    serde_json::from_slice(bytes).map_err(|e| SnapshotError::Decode {
        key: blob.to_owned(),
        reason: format!("a restore plan that does not parse: {e}"),
    })
}
