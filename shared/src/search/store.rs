//! The index in the blob store: a compacted base (`orgs/<org>/search/base`) and one delta per later snapshot
//! (`orgs/<org>/search/deltas/<snapshot>` and its parts), all sealed under the org's index key.
//!
//! FinalizeBackup writes the new snapshot's delta ([`index_snapshot`]), a part at a time, and never loads the
//! whole index, so a backup step's memory does not grow with the index. The retention sweep folds the deltas into
//! the base once [`COMPACT_AFTER`] are waiting ([`compact_if_due`]), and whenever it forgets a snapshot. [`load`]
//! reads the base and the deltas of the snapshots after it, in the catalog's order; a delta that is missing,
//! damaged, or made against another snapshot than the one before it is computed again from the manifests,
//! written back and reported, never skipped.

use std::collections::HashSet;

use serde::Serialize;

use super::delta;
use super::index::{BASE_FORMAT, SearchIndex, Stored};
use crate::ids::{OrgId, SnapshotId};
use crate::ports::SnapshotRecord;
use crate::snapshot::{BlobKind, SealingKey, SnapshotError, Vault, keys};

/// Deltas kept beside the base before the retention sweep folds them into it: loading reads about this many
/// deltas after the base (more when no sweep runs), and the base is rewritten about once in this many backups.
pub const COMPACT_AFTER: usize = 16;

/// An index loaded from the store, and the snapshots it had to index again.
pub struct Loaded {
    pub index: SearchIndex,
    pub reindexed: Vec<Reindexed>,
}

/// A snapshot indexed again from its manifest, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reindexed {
    /// The snapshot, or none when the base itself was set aside.
    pub snapshot: Option<SnapshotId>,
    pub reason: String,
}

/// What [`index_snapshot`] wrote: the versions the snapshot added to the index and removed from it.
#[derive(Debug, Clone, Serialize)]
pub struct IndexUpdate {
    pub added: usize,
    pub removed: usize,
}

/// The org's snapshots in index order: by creation time, then id.
fn ordered(records: &[SnapshotRecord]) -> Vec<SnapshotId> {
    let mut sorted: Vec<&SnapshotRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.snapshot_id.cmp(&b.snapshot_id)));
    sorted.into_iter().map(|r| r.snapshot_id.clone()).collect()
}

/// The index of `org` over `snapshots` (the org's catalog records, any order).
pub async fn load(vault: &Vault, org: &OrgId, snapshots: &[SnapshotRecord]) -> Result<Loaded, SnapshotError> {
    let wanted = ordered(snapshots);
    let mut reindexed = Vec::new();
    let mut index = match read_base(vault, org).await {
        Ok(Some(index)) => index,
        Ok(None) => SearchIndex::empty(org.clone()),
        Err(e) if e.is_retryable() => return Err(e),
        Err(e) => {
            reindexed.push(Reindexed {
                snapshot: None,
                reason: format!("the index base is unreadable ({e}); every snapshot is indexed from its deltas"),
            });
            SearchIndex::empty(org.clone())
        }
    };
    // A snapshot the catalog no longer lists (deleted without forgetting it) leaves the index here.
    let keep: HashSet<&SnapshotId> = wanted.iter().collect();
    let gone: Vec<SnapshotId> = index
        .snapshots()
        .iter()
        .filter(|s| !keep.contains(s))
        .cloned()
        .collect();
    for s in &gone {
        index.forget(s);
    }
    if !wanted.starts_with(index.snapshots()) {
        reindexed.push(Reindexed {
            snapshot: None,
            reason: "the index base does not cover the org's oldest snapshots in order; every snapshot is indexed \
                     from its deltas"
                .to_owned(),
        });
        index = SearchIndex::empty(org.clone());
    }
    let mut key: Option<SealingKey> = None;
    for position in index.snapshots().len()..wanted.len() {
        let snapshot = &wanted[position];
        let against = position.checked_sub(1).map(|p| &wanted[p]);
        let problem = match delta::read(vault, org, snapshot).await {
            Ok(Some(d)) => match index.apply(&d) {
                Ok(()) => continue,
                Err(why) => why,
            },
            Ok(None) => "its index delta is missing".to_owned(),
            Err(e) if e.is_retryable() => return Err(e),
            Err(e) => format!("its index delta is unreadable: {e}"),
        };
        let fresh = delta::compute(vault, org, snapshot, against).await?;
        index.apply(&fresh).map_err(|why| SnapshotError::InvalidInput {
            what: format!("the search index of {org}"),
            reason: format!("snapshot {snapshot} indexed from its manifest does not fit: {why}"),
        })?;
        if key.is_none() {
            key = Some(vault.new_index_key(org).await?);
        }
        delta::write(vault, key.as_ref().expect("set above"), &fresh).await?;
        reindexed.push(Reindexed {
            snapshot: Some(snapshot.clone()),
            reason: problem,
        });
    }
    Ok(Loaded { index, reindexed })
}

async fn read_base(vault: &Vault, org: &OrgId) -> Result<Option<SearchIndex>, SnapshotError> {
    let blob_key = keys::search_base(org);
    let bytes = match vault.get_opened(org, &blob_key, BlobKind::Index).await {
        Ok(bytes) => bytes,
        Err(SnapshotError::Missing { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let decode_error = |reason: String| SnapshotError::Decode {
        key: blob_key.clone(),
        reason,
    };
    let stored: Stored =
        serde_json::from_slice(&bytes).map_err(|e| decode_error(format!("search index base JSON: {e}")))?;
    if stored.format != BASE_FORMAT || stored.org != *org {
        return Err(decode_error(format!(
            "an index base of format {} for org {}, where format {BASE_FORMAT} for {org} belongs",
            stored.format, stored.org
        )));
    }
    SearchIndex::from_stored(stored).map(Some).map_err(decode_error)
}

/// Writes `index` as the org's base, then deletes the deltas it covers, heads and parts (a crash between leaves
/// deltas the base already holds, which the next compaction deletes).
async fn write_base(vault: &Vault, index: &SearchIndex) -> Result<(), SnapshotError> {
    let org = index.org();
    let blob_key = keys::search_base(org);
    let bytes = serde_json::to_vec(&index.to_stored()).map_err(|e| SnapshotError::InvalidInput {
        what: blob_key.clone(),
        reason: e.to_string(),
    })?;
    let key = vault.new_index_key(org).await?;
    vault.put_sealed(&key, &blob_key, BlobKind::Index, &bytes).await?;
    drop(bytes);
    let covered: HashSet<String> = index.snapshots().iter().map(|s| keys::search_delta(org, s)).collect();
    for delta_key in vault.blobs().list(&keys::search_deltas_prefix(org)).await? {
        if covered.contains(&delta_key) {
            vault.blobs().delete(&delta_key).await?;
        }
    }
    // Parts go by their snapshot, so those of a delta whose head a stopped write never stored go too.
    let parts_prefix = keys::search_all_delta_parts_prefix(org);
    for part_key in vault.blobs().list(&parts_prefix).await? {
        let snapshot = part_key[parts_prefix.len()..].split('/').next().unwrap_or_default();
        if index.snapshots().iter().any(|s| s.as_str() == snapshot) {
            vault.blobs().delete(&part_key).await?;
        }
    }
    Ok(())
}

/// Indexes `snapshot`, just sealed, by writing its delta against the snapshot before it in `snapshots` (the org's
/// records, the new one among them), a part at a time: FinalizeBackup calls this, and it holds one part of the
/// delta at once, never the index.
pub async fn index_snapshot(
    vault: &Vault,
    org: &OrgId,
    snapshots: &[SnapshotRecord],
    snapshot: &SnapshotId,
) -> Result<IndexUpdate, SnapshotError> {
    let order = ordered(snapshots);
    let position = order
        .iter()
        .position(|s| s == snapshot)
        .ok_or_else(|| SnapshotError::InvalidInput {
            what: format!("indexing snapshot {snapshot}"),
            reason: format!("the catalog lists no such snapshot of {org}"),
        })?;
    let against = position.checked_sub(1).map(|p| &order[p]);
    let key = vault.new_index_key(org).await?;
    let (added, removed) = delta::compute_and_write(vault, &key, snapshot, against).await?;
    Ok(IndexUpdate { added, removed })
}

/// Folds the org's deltas into its base when at least [`COMPACT_AFTER`] are waiting: the retention sweep calls
/// this for every org it sweeps. Loads the whole index (as a search does). Returns whether it compacted, and the
/// snapshots it had to index again.
pub async fn compact_if_due(
    vault: &Vault,
    org: &OrgId,
    snapshots: &[SnapshotRecord],
) -> Result<Option<Vec<Reindexed>>, SnapshotError> {
    let waiting = vault.blobs().list(&keys::search_deltas_prefix(org)).await?.len();
    if waiting < COMPACT_AFTER || snapshots.is_empty() {
        return Ok(None);
    }
    let loaded = load(vault, org, snapshots).await?;
    write_base(vault, &loaded.index).await?;
    Ok(Some(loaded.reindexed))
}

/// Removes `snapshot` from the org's index, before retention deletes it: the versions no other snapshot holds
/// leave the index. `snapshots` are the org's records, the one forgotten among them or not. Rewrites the base
/// and drops every delta (the snapshot's own, and the next one's, made against it).
pub async fn forget_snapshot(
    vault: &Vault,
    org: &OrgId,
    snapshots: &[SnapshotRecord],
    snapshot: &SnapshotId,
) -> Result<Vec<Reindexed>, SnapshotError> {
    let Loaded { mut index, reindexed } = load(vault, org, snapshots).await?;
    index.forget(snapshot);
    write_base(vault, &index).await?;
    delta::delete(vault, org, snapshot).await?;
    Ok(reindexed)
}
