//! Reading a snapshot's objects through its manifest, with a small cache of opened segments.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::ids::{OrgId, SnapshotId};

use super::error::SnapshotError;
use super::manifest::{Manifest, ManifestEntry};
use super::segment::Segment;
use super::vault::Vault;

/// Opened segments kept in memory: restore walks a category in manifest order, so consecutive
/// objects share a segment and a handful of slots is plenty. Each is at most a few megabytes.
const SEGMENT_CACHE_CAPACITY: usize = 8;

/// Reads objects of one snapshot, caching recently opened segments (small LRU).
pub struct SnapshotReader {
    vault: Vault,
    org: OrgId,
    manifest: Manifest,
    /// category -> object id -> position in that category's entries.
    by_id: HashMap<String, HashMap<String, usize>>,
    segments: Mutex<Vec<(u32, Arc<Segment>)>>,
}

impl SnapshotReader {
    /// Reads and authenticates the snapshot's manifest.
    pub async fn open(vault: Vault, org: &OrgId, snapshot: &SnapshotId) -> Result<Self, SnapshotError> {
        let manifest = vault.read_manifest(org, snapshot).await?;
        let by_id = manifest
            .categories
            .iter()
            .map(|(name, c)| {
                let mut ids = HashMap::with_capacity(c.entries.len());
                for (pos, e) in c.entries.iter().enumerate() {
                    ids.entry(e.id.clone()).or_insert(pos);
                }
                (name.clone(), ids)
            })
            .collect();
        Ok(SnapshotReader {
            vault,
            org: org.clone(),
            manifest,
            by_id,
            segments: Mutex::new(Vec::new()),
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub(super) fn vault(&self) -> &Vault {
        &self.vault
    }

    pub(super) fn org(&self) -> &OrgId {
        &self.org
    }

    /// The object `id` of `category`, or `None` when the snapshot does not hold it.
    pub async fn object(&self, category: &str, id: &str) -> Result<Option<Value>, SnapshotError> {
        let Some(&pos) = self.by_id.get(category).and_then(|ids| ids.get(id)) else {
            return Ok(None);
        };
        let entry = &self.manifest.categories[category].entries[pos];
        self.value(category, entry).await.map(Some)
    }

    /// Every object of `category` as (id, object), in manifest order; empty for an unknown category.
    pub async fn objects(&self, category: &str) -> Result<Vec<(String, Value)>, SnapshotError> {
        let Some(c) = self.manifest.categories.get(category) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(c.entries.len());
        for entry in &c.entries {
            out.push((entry.id.clone(), self.value(category, entry).await?));
        }
        Ok(out)
    }

    async fn value(&self, category: &str, entry: &ManifestEntry) -> Result<Value, SnapshotError> {
        let segment = self.segment(entry.segment).await?;
        check_entry(category, entry, &segment)?;
        segment.value(entry.index)
    }

    async fn segment(&self, segment: u32) -> Result<Arc<Segment>, SnapshotError> {
        if let Some(hit) = self.cached(segment) {
            return Ok(hit);
        }
        let key = &self.manifest.segments[segment as usize];
        let opened = Arc::new(self.vault.read_segment(&self.org, key).await?);
        let mut cache = self.segments.lock().expect("segment cache lock poisoned");
        if cache.len() >= SEGMENT_CACHE_CAPACITY {
            cache.pop();
        }
        cache.insert(0, (segment, opened.clone()));
        Ok(opened)
    }

    /// A cached segment, moved to the front (most recently used).
    fn cached(&self, segment: u32) -> Option<Arc<Segment>> {
        let mut cache = self.segments.lock().expect("segment cache lock poisoned");
        let pos = cache.iter().position(|(s, _)| *s == segment)?;
        let hit = cache.remove(pos);
        cache.insert(0, hit.clone());
        Some(hit.1)
    }
}

/// Checks that `segment` holds, at the entry's index, the object the manifest says it does.
pub(super) fn check_entry(category: &str, entry: &ManifestEntry, segment: &Segment) -> Result<(), SnapshotError> {
    match segment.hash(entry.index) {
        None => Err(SnapshotError::ObjectNotInSegment {
            key: segment.blob_key().to_string(),
            index: entry.index,
            len: segment.len(),
        }),
        Some(found) if found != entry.hash => Err(SnapshotError::ManifestMismatch {
            category: category.to_string(),
            id: entry.id.clone(),
            key: segment.blob_key().to_string(),
            index: entry.index,
            expected: entry.hash,
        }),
        Some(_) => Ok(()),
    }
}
