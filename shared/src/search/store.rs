//! The index in the blob store: a compacted base (`orgs/<org>/search/base`) and one delta per later snapshot
//! (`orgs/<org>/search/deltas/<snapshot>`), all sealed under the org's index key.
//!
//! FinalizeBackup writes the new snapshot's delta ([`index_snapshot`]); every [`COMPACT_AFTER`] deltas it folds
//! them into the base, so one finalize writes a delta, and now and then the base. [`load`] reads the base and
//! the deltas of the snapshots after it, in the catalog's order; a delta that is missing, damaged, or made
//! against another snapshot than the one before it is computed again from the manifests, written back and
//! reported, never skipped.

use std::collections::HashSet;

use serde::Serialize;

use super::delta::{self, Delta};
use super::index::{BASE_FORMAT, SearchIndex, Stored};
use crate::ids::{OrgId, SnapshotId};
use crate::ports::SnapshotRecord;
use crate::snapshot::{BlobKind, SealingKey, SnapshotError, Vault, keys};

/// Deltas kept beside the base before finalize folds them into it: loading reads at most this many small blobs
/// after the base, and a finalize rewrites the base once in this many backups.
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

/// What [`index_snapshot`] did.
#[derive(Debug, Clone, Serialize)]
pub struct IndexUpdate {
    pub added: usize,
    pub removed: usize,
    pub compacted: bool,
    pub reindexed: Vec<Reindexed>,
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

/// Writes `index` as the org's base, then deletes the deltas it covers (a crash between leaves deltas the base
/// already holds, which the next compaction deletes).
async fn write_base(vault: &Vault, index: &SearchIndex) -> Result<(), SnapshotError> {
    let org = index.org();
    let blob_key = keys::search_base(org);
    let bytes = serde_json::to_vec(&index.to_stored()).map_err(|e| SnapshotError::InvalidInput {
        what: blob_key.clone(),
        reason: e.to_string(),
    })?;
    let key = vault.new_index_key(org).await?;
    vault.put_sealed(&key, &blob_key, BlobKind::Index, &bytes).await?;
    let covered: HashSet<String> = index.snapshots().iter().map(|s| keys::search_delta(org, s)).collect();
    for delta_key in vault.blobs().list(&keys::search_deltas_prefix(org)).await? {
        if covered.contains(&delta_key) {
            vault.blobs().delete(&delta_key).await?;
        }
    }
    Ok(())
}

/// Indexes `snapshot`, just sealed, by writing its delta against the snapshot before it in `snapshots` (the org's
/// records, the new one among them); once [`COMPACT_AFTER`] deltas are waiting, folds them into the base.
/// FinalizeBackup calls this; one backup of an org runs at a time, so these updates never race.
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
    let fresh: Delta = delta::compute(vault, org, snapshot, against).await?;
    let key = vault.new_index_key(org).await?;
    delta::write(vault, &key, &fresh).await?;
    let mut update = IndexUpdate {
        added: fresh.added.len(),
        removed: fresh.removed.len(),
        compacted: false,
        reindexed: Vec::new(),
    };
    let waiting = vault.blobs().list(&keys::search_deltas_prefix(org)).await?.len();
    if waiting >= COMPACT_AFTER {
        let loaded = load(vault, org, snapshots).await?;
        write_base(vault, &loaded.index).await?;
        update.compacted = true;
        update.reindexed = loaded.reindexed;
    }
    Ok(update)
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
    vault.blobs().delete(&keys::search_delta(org, snapshot)).await?;
    Ok(reindexed)
}
