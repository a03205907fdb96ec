//! A snapshot's index delta: the object versions it holds that the snapshot before it (`against`) did not, with
//! their searchable text, and the versions that snapshot held and it does not. Computed by walking both manifests
//! in id order, a part at a time, reading from segments only the objects whose hash is new, so indexing a snapshot
//! costs its manifest and its changes, not its size.

use serde::{Deserialize, Serialize};

use super::names::searchable;
use crate::categories;
use crate::ids::{OrgId, SnapshotId};
use crate::snapshot::keys;
use crate::snapshot::walk::{Paired, PairedEntries};
use crate::snapshot::{BlobKind, ManifestEntry, ObjectHash, SealingKey, SnapshotError, SnapshotReader, Vault};

/// The one delta layout this code writes and reads.
pub const DELTA_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub format: u32,
    pub snapshot: SnapshotId,
    /// The snapshot this one is compared with: the org's snapshot before it (none for the first).
    pub against: Option<SnapshotId>,
    pub added: Vec<NewVersion>,
    pub removed: Vec<VersionKey>,
}

/// A version the snapshot adds, with what the index keeps of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewVersion {
    #[serde(rename = "c")]
    pub category: String,
    #[serde(rename = "i")]
    pub id: String,
    #[serde(rename = "h")]
    pub hash: ObjectHash,
    /// The object's own modification time, where its category has one.
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(rename = "n", default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

/// A version by what identifies it: category, id and content hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VersionKey {
    #[serde(rename = "c")]
    pub category: String,
    #[serde(rename = "i")]
    pub id: String,
    #[serde(rename = "h")]
    pub hash: ObjectHash,
}

/// The delta of `snapshot` against `against` (the org's snapshot before it, if any). The System Log is left out:
/// each snapshot holds the events of its own window, not a state to search.
pub async fn compute(
    vault: &Vault,
    org: &OrgId,
    snapshot: &SnapshotId,
    against: Option<&SnapshotId>,
) -> Result<Delta, SnapshotError> {
    let after = SnapshotReader::open(vault.clone(), org, snapshot).await?;
    let before = match against {
        Some(id) => Some(SnapshotReader::open(vault.clone(), org, id).await?),
        None => None,
    };
    let mut names: Vec<&String> = after.head().categories.keys().collect();
    if let Some(before) = &before {
        names.extend(before.head().categories.keys());
    }
    names.sort();
    names.dedup();
    let mut delta = Delta {
        format: DELTA_FORMAT,
        snapshot: snapshot.clone(),
        against: against.cloned(),
        added: Vec::new(),
        removed: Vec::new(),
    };
    for name in names {
        if categories::find(name).is_some_and(|c| c.is_event_log()) {
            continue;
        }
        compare_category(&after, before.as_ref(), name, &mut delta).await?;
    }
    Ok(delta)
}

async fn compare_category(
    after: &SnapshotReader,
    before: Option<&SnapshotReader>,
    category: &str,
    delta: &mut Delta,
) -> Result<(), SnapshotError> {
    let removed = |entry: ManifestEntry| VersionKey {
        category: category.to_owned(),
        id: entry.id,
        hash: entry.hash,
    };
    let mut pairs = PairedEntries::new(before, after, category);
    while let Some(pair) = pairs.next().await? {
        match pair {
            Paired::Removed(old) => delta.removed.push(removed(old)),
            Paired::Added(new) => delta.added.push(new_version(after, category, new).await?),
            Paired::Both(old, new) if old.hash != new.hash => {
                delta.removed.push(removed(old));
                delta.added.push(new_version(after, category, new).await?);
            }
            Paired::Both(..) => {}
        }
    }
    Ok(())
}

async fn new_version(
    reader: &SnapshotReader,
    category: &str,
    entry: ManifestEntry,
) -> Result<NewVersion, SnapshotError> {
    let object = reader
        .object(category, &entry.id)
        .await?
        .ok_or_else(|| SnapshotError::InvalidInput {
            what: format!("{category} {}", entry.id),
            reason: "the manifest lists it but its part does not hold it".to_owned(),
        })?;
    Ok(NewVersion {
        names: searchable(category, &object),
        category: category.to_owned(),
        id: entry.id,
        hash: entry.hash,
        last_updated: entry.last_updated,
    })
}

/// Seals `delta` at its snapshot's delta key.
pub async fn write(vault: &Vault, key: &SealingKey, delta: &Delta) -> Result<(), SnapshotError> {
    let blob_key = keys::search_delta(&key.org_id, &delta.snapshot);
    let bytes = serde_json::to_vec(delta).map_err(|e| SnapshotError::InvalidInput {
        what: blob_key.clone(),
        reason: e.to_string(),
    })?;
    vault.put_sealed(key, &blob_key, BlobKind::Index, &bytes).await
}

/// The stored delta of `snapshot`: `None` when there is none, an error when it is there but unreadable.
pub async fn read(vault: &Vault, org: &OrgId, snapshot: &SnapshotId) -> Result<Option<Delta>, SnapshotError> {
    let blob_key = keys::search_delta(org, snapshot);
    let bytes = match vault.get_opened(org, &blob_key, BlobKind::Index).await {
        Ok(bytes) => bytes,
        Err(SnapshotError::Missing { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let delta: Delta = serde_json::from_slice(&bytes).map_err(|e| SnapshotError::Decode {
        key: blob_key.clone(),
        reason: format!("search index delta JSON: {e}"),
    })?;
    if delta.format != DELTA_FORMAT || delta.snapshot != *snapshot {
        return Err(SnapshotError::Decode {
            key: blob_key,
            reason: format!(
                "a delta of format {} for snapshot {}, where format {DELTA_FORMAT} for {snapshot} belongs",
                delta.format, delta.snapshot
            ),
        });
    }
    Ok(Some(delta))
}
