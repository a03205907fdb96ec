//! A snapshot's index delta: the object versions it holds that the snapshot before it (`against`) did not, with
//! their searchable text, and the versions that snapshot held and it does not. Computed by walking both manifests
//! in id order, a part at a time, reading from segments only the objects whose hash is new, so indexing a snapshot
//! costs its manifest and its changes, not its size. It is stored as a head and parts of at most [`PART_VERSIONS`]
//! versions, written as they fill, so the memory it takes does not grow with the org either.

use serde::{Deserialize, Serialize};

use super::names::searchable;
use crate::categories;
use crate::ids::{OrgId, SnapshotId};
use crate::snapshot::keys;
use crate::snapshot::walk::{Paired, PairedEntries};
use crate::snapshot::{BlobKind, ManifestEntry, ObjectHash, SealingKey, SnapshotError, SnapshotReader, Vault};

/// The delta layout this code writes: a head naming its parts, and the versions a part at a time. Format 1 (the
/// versions inline in one blob) is still read.
pub const DELTA_FORMAT: u32 = 2;
const INLINE_FORMAT: u32 = 1;

/// Versions (added and removed together) in one stored part: what indexing a snapshot holds at once, whatever
/// the org's size (a first snapshot adds every object it holds). About 4 MB in memory, 3 MB of JSON. The
/// library's own tests use parts of 3, so every test's deltas span parts.
pub const PART_VERSIONS: usize = if cfg!(test) { 3 } else { 20_000 };

/// A snapshot's delta, whole: what loading the index reads and applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub format: u32,
    pub snapshot: SnapshotId,
    /// The snapshot this one is compared with: the org's snapshot before it (none for the first).
    pub against: Option<SnapshotId>,
    pub added: Vec<NewVersion>,
    pub removed: Vec<VersionKey>,
}

/// The stored head of a delta: format 2 names how many parts follow; format 1 holds the versions itself.
#[derive(Serialize, Deserialize)]
struct StoredHead {
    format: u32,
    snapshot: SnapshotId,
    against: Option<SnapshotId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parts: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    added: Vec<NewVersion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    removed: Vec<VersionKey>,
}

/// One stored part of a format 2 delta.
#[derive(Default, Serialize, Deserialize)]
struct StoredPart {
    added: Vec<NewVersion>,
    removed: Vec<VersionKey>,
}

impl StoredPart {
    fn len(&self) -> usize {
        self.added.len() + self.removed.len()
    }
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

/// The delta of `snapshot` against `against` (the org's snapshot before it, if any), whole in memory: for a
/// loader, which holds the whole index anyway. The System Log is left out: each snapshot holds the events of its
/// own window, not a state to search.
pub async fn compute(
    vault: &Vault,
    org: &OrgId,
    snapshot: &SnapshotId,
    against: Option<&SnapshotId>,
) -> Result<Delta, SnapshotError> {
    let mut delta = Delta {
        format: DELTA_FORMAT,
        snapshot: snapshot.clone(),
        against: against.cloned(),
        added: Vec::new(),
        removed: Vec::new(),
    };
    walk(vault, org, snapshot, against, &mut Sink::Whole(&mut delta)).await?;
    Ok(delta)
}

/// Computes the delta of `snapshot` against `against` and seals it under `key` as it goes, a part of at most
/// [`PART_VERSIONS`] versions at a time, so indexing a snapshot holds one part whatever the org's size. Returns
/// how many versions it added and removed.
pub async fn compute_and_write(
    vault: &Vault,
    key: &SealingKey,
    snapshot: &SnapshotId,
    against: Option<&SnapshotId>,
) -> Result<(usize, usize), SnapshotError> {
    let mut writer = PartWriter::new(vault, key, snapshot);
    walk(vault, &key.org_id, snapshot, against, &mut Sink::Stored(&mut writer)).await?;
    writer.finish(against).await
}

/// Seals `delta`, computed whole, at its snapshot's keys.
pub async fn write(vault: &Vault, key: &SealingKey, delta: &Delta) -> Result<(), SnapshotError> {
    let mut writer = PartWriter::new(vault, key, &delta.snapshot);
    for v in &delta.added {
        writer.add(v.clone()).await?;
    }
    for k in &delta.removed {
        writer.remove(k.clone()).await?;
    }
    writer.finish(delta.against.as_ref()).await.map(|_| ())
}

/// Where a delta being computed goes: kept whole, or sealed a part at a time.
enum Sink<'s, 'a> {
    Whole(&'s mut Delta),
    Stored(&'s mut PartWriter<'a>),
}

impl Sink<'_, '_> {
    async fn add(&mut self, version: NewVersion) -> Result<(), SnapshotError> {
        match self {
            Sink::Whole(delta) => {
                delta.added.push(version);
                Ok(())
            }
            Sink::Stored(writer) => writer.add(version).await,
        }
    }

    async fn remove(&mut self, key: VersionKey) -> Result<(), SnapshotError> {
        match self {
            Sink::Whole(delta) => {
                delta.removed.push(key);
                Ok(())
            }
            Sink::Stored(writer) => writer.remove(key).await,
        }
    }
}

/// Seals a delta's versions a part at a time, then its head: a delta without its head is missing, and is
/// computed again by the next load, so a finalize that stops half way leaves nothing a reader takes as whole.
struct PartWriter<'a> {
    vault: &'a Vault,
    key: &'a SealingKey,
    snapshot: SnapshotId,
    part: StoredPart,
    parts: u32,
    added: usize,
    removed: usize,
}

impl<'a> PartWriter<'a> {
    fn new(vault: &'a Vault, key: &'a SealingKey, snapshot: &SnapshotId) -> Self {
        Self {
            vault,
            key,
            snapshot: snapshot.clone(),
            part: StoredPart::default(),
            parts: 0,
            added: 0,
            removed: 0,
        }
    }

    async fn add(&mut self, version: NewVersion) -> Result<(), SnapshotError> {
        self.added += 1;
        self.part.added.push(version);
        self.flush_if_full().await
    }

    async fn remove(&mut self, key: VersionKey) -> Result<(), SnapshotError> {
        self.removed += 1;
        self.part.removed.push(key);
        self.flush_if_full().await
    }

    async fn flush_if_full(&mut self) -> Result<(), SnapshotError> {
        if self.part.len() >= PART_VERSIONS {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SnapshotError> {
        if self.part.len() == 0 {
            return Ok(());
        }
        let blob_key = keys::search_delta_part(&self.key.org_id, &self.snapshot, self.parts);
        let bytes = to_json(&blob_key, &std::mem::take(&mut self.part))?;
        self.vault
            .put_sealed(self.key, &blob_key, BlobKind::Index, &bytes)
            .await?;
        self.parts += 1;
        Ok(())
    }

    async fn finish(mut self, against: Option<&SnapshotId>) -> Result<(usize, usize), SnapshotError> {
        self.flush().await?;
        let head = StoredHead {
            format: DELTA_FORMAT,
            snapshot: self.snapshot.clone(),
            against: against.cloned(),
            parts: Some(self.parts),
            added: Vec::new(),
            removed: Vec::new(),
        };
        let blob_key = keys::search_delta(&self.key.org_id, &self.snapshot);
        let bytes = to_json(&blob_key, &head)?;
        self.vault
            .put_sealed(self.key, &blob_key, BlobKind::Index, &bytes)
            .await?;
        Ok((self.added, self.removed))
    }
}

fn to_json(blob_key: &str, value: &impl Serialize) -> Result<Vec<u8>, SnapshotError> {
    serde_json::to_vec(value).map_err(|e| SnapshotError::InvalidInput {
        what: blob_key.to_owned(),
        reason: e.to_string(),
    })
}

/// Walks both manifests in id order, category by category, and gives `sink` each version added or removed.
async fn walk(
    vault: &Vault,
    org: &OrgId,
    snapshot: &SnapshotId,
    against: Option<&SnapshotId>,
    sink: &mut Sink<'_, '_>,
) -> Result<(), SnapshotError> {
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
    for name in names {
        if categories::find(name).is_some_and(|c| c.is_event_log()) {
            continue;
        }
        compare_category(&after, before.as_ref(), name, sink).await?;
    }
    Ok(())
}

async fn compare_category(
    after: &SnapshotReader,
    before: Option<&SnapshotReader>,
    category: &str,
    sink: &mut Sink<'_, '_>,
) -> Result<(), SnapshotError> {
    let removed = |entry: ManifestEntry| VersionKey {
        category: category.to_owned(),
        id: entry.id,
        hash: entry.hash,
    };
    let mut pairs = PairedEntries::new(before, after, category);
    while let Some(pair) = pairs.next().await? {
        match pair {
            Paired::Removed(old) => sink.remove(removed(old)).await?,
            Paired::Added(new) => sink.add(new_version(after, category, new).await?).await?,
            Paired::Both(old, new) if old.hash != new.hash => {
                sink.remove(removed(old)).await?;
                sink.add(new_version(after, category, new).await?).await?;
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

/// The stored delta of `snapshot`, whole: `None` when its head is missing, an error when it or a part it names is
/// unreadable.
pub async fn read(vault: &Vault, org: &OrgId, snapshot: &SnapshotId) -> Result<Option<Delta>, SnapshotError> {
    let blob_key = keys::search_delta(org, snapshot);
    let bytes = match vault.get_opened(org, &blob_key, BlobKind::Index).await {
        Ok(bytes) => bytes,
        Err(SnapshotError::Missing { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let head: StoredHead = from_json(&blob_key, &bytes)?;
    let format_ok = match head.parts {
        Some(_) => head.format == DELTA_FORMAT,
        None => head.format == INLINE_FORMAT,
    };
    if !format_ok || head.snapshot != *snapshot {
        return Err(SnapshotError::Decode {
            key: blob_key,
            reason: format!(
                "a delta of format {} for snapshot {}, where format {DELTA_FORMAT} (or {INLINE_FORMAT}) for \
                 {snapshot} belongs",
                head.format, head.snapshot
            ),
        });
    }
    let mut delta = Delta {
        format: head.format,
        snapshot: head.snapshot,
        against: head.against,
        added: head.added,
        removed: head.removed,
    };
    for n in 0..head.parts.unwrap_or(0) {
        let part_key = keys::search_delta_part(org, snapshot, n);
        let part: StoredPart = match vault.get_opened(org, &part_key, BlobKind::Index).await {
            Ok(bytes) => from_json(&part_key, &bytes)?,
            // The head names it, so it is damage, not absence: the delta is unreadable.
            Err(SnapshotError::Missing { .. }) => {
                return Err(SnapshotError::Decode {
                    key: part_key,
                    reason: format!("part {n} of the delta is missing"),
                });
            }
            Err(e) => return Err(e),
        };
        delta.added.extend(part.added);
        delta.removed.extend(part.removed);
    }
    Ok(Some(delta))
}

fn from_json<T: serde::de::DeserializeOwned>(blob_key: &str, bytes: &[u8]) -> Result<T, SnapshotError> {
    serde_json::from_slice(bytes).map_err(|e| SnapshotError::Decode {
        key: blob_key.to_owned(),
        reason: format!("search index delta JSON: {e}"),
    })
}

/// Deletes the delta of `snapshot`: its head first (a reader then finds it missing, not damaged), then its parts.
pub async fn delete(vault: &Vault, org: &OrgId, snapshot: &SnapshotId) -> Result<(), SnapshotError> {
    vault.blobs().delete(&keys::search_delta(org, snapshot)).await?;
    for part in vault
        .blobs()
        .list(&keys::search_delta_parts_prefix(org, snapshot))
        .await?
    {
        vault.blobs().delete(&part).await?;
    }
    Ok(())
}
