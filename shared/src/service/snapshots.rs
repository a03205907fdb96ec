//! Snapshots as a person names them: by id, or `latest`.

use super::ServiceError;
use crate::ids::{OrgId, SnapshotId};
use crate::ports::{Catalog, SnapshotRecord};

/// Every snapshot of `org` (of every org when `None`), oldest first within an org.
pub async fn list(catalog: &dyn Catalog, org: Option<&OrgId>) -> Result<Vec<SnapshotRecord>, ServiceError> {
    let mut all = Vec::new();
    for record in catalog.list_orgs().await? {
        if org.is_none_or(|o| *o == record.org_id) {
            all.extend(catalog.list_snapshots(&record.org_id).await?);
        }
    }
    Ok(all)
}

/// The snapshot `wanted` names: its id, or `latest` (the newest snapshot of `org`, or of the store when `None`).
pub async fn resolve(catalog: &dyn Catalog, wanted: &str, org: Option<&OrgId>) -> Result<SnapshotRecord, ServiceError> {
    let mut all = list(catalog, org).await?;
    let whose = || org.map_or_else(|| "this store".to_owned(), |o| format!("org {o}"));
    if wanted == "latest" {
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.snapshot_id.cmp(&b.snapshot_id)));
        return all
            .pop()
            .ok_or_else(|| ServiceError::NotFound(format!("{} has no snapshots yet", whose())));
    }
    let id =
        SnapshotId::new(wanted).map_err(|e| ServiceError::Invalid(format!("{wanted:?} is not a snapshot id: {e}")))?;
    all.into_iter()
        .find(|s| s.snapshot_id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("no snapshot {wanted} in {}", whose())))
}
