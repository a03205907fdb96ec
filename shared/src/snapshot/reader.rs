//! Reading a snapshot's objects through its manifest, a part at a time, with small caches of opened parts and
//! segments.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::ids::{OrgId, SnapshotId};

use super::error::SnapshotError;
use super::manifest::ManifestEntry;
use super::parts::{ManifestHead, ManifestPart};
use super::segment::Segment;
use super::stored::StoredManifest;
use super::vault::Vault;

/// Opened segments kept in memory: consecutive objects of a part share a segment more often than not, and a
/// handful of slots is plenty. Each is at most a few megabytes.
const SEGMENT_CACHE_CAPACITY: usize = 8;
/// Opened manifest parts kept in memory (each up to `PART_ENTRIES` entries).
const PART_CACHE_CAPACITY: usize = 2;

/// Reads objects of one snapshot.
pub struct SnapshotReader {
    vault: Vault,
    org: OrgId,
    stored: StoredManifest,
    parts: Mutex<Vec<((String, usize), Arc<ManifestPart>)>>,
    segments: Mutex<Vec<(String, Arc<Segment>)>>,
}

impl SnapshotReader {
    /// Reads and authenticates the snapshot's manifest head.
    pub async fn open(vault: Vault, org: &OrgId, snapshot: &SnapshotId) -> Result<Self, SnapshotError> {
        let stored = StoredManifest::open(&vault, org, snapshot).await?;
        Ok(SnapshotReader {
            vault,
            org: org.clone(),
            stored,
            parts: Mutex::new(Vec::new()),
            segments: Mutex::new(Vec::new()),
        })
    }

    /// What the snapshot holds per category (counts, skipped, incomplete) and where its entries are.
    pub fn head(&self) -> &ManifestHead {
        self.stored.head()
    }

    /// Part `n` of `category`, from the cache or read.
    pub async fn part(&self, category: &str, n: usize) -> Result<Arc<ManifestPart>, SnapshotError> {
        let wanted = (category.to_owned(), n);
        if let Some(hit) = cached(&self.parts, &wanted) {
            return Ok(hit);
        }
        let part = Arc::new(self.stored.part(&self.vault, category, n).await?);
        remember(&self.parts, wanted, part.clone(), PART_CACHE_CAPACITY);
        Ok(part)
    }

    /// The object `id` of `category`, or `None` when the snapshot does not hold it.
    pub async fn object(&self, category: &str, id: &str) -> Result<Option<Value>, SnapshotError> {
        let Some(n) = self.stored.category(category).and_then(|c| c.part_for(id)) else {
            return Ok(None);
        };
        let part = self.part(category, n).await?;
        match part.find(id) {
            Some(entry) => self.value(category, &part, entry).await.map(Some),
            None => Ok(None),
        }
    }

    /// Every segment key the manifest names, over every category: what the snapshot needs kept.
    pub async fn named_segments(&self) -> Result<BTreeSet<String>, SnapshotError> {
        let mut named = BTreeSet::new();
        for (category, head) in &self.head().categories {
            for n in 0..head.parts.len() {
                named.extend(self.part(category, n).await?.segments.iter().cloned());
            }
        }
        Ok(named)
    }

    /// Every object of `category` as (id, object), in id order; empty for an unknown category.
    pub async fn objects(&self, category: &str) -> Result<Vec<(String, Value)>, SnapshotError> {
        let parts = self.stored.category(category).map_or(0, |c| c.parts.len());
        let mut out = Vec::new();
        for n in 0..parts {
            let part = self.part(category, n).await?;
            for entry in &part.entries {
                out.push((entry.id.clone(), self.value(category, &part, entry).await?));
            }
        }
        Ok(out)
    }

    /// The entries of `category` in id order, a part at a time (none for a category the snapshot lacks).
    pub fn entries<'a>(&'a self, category: &'a str) -> Entries<'a> {
        Entries {
            reader: self,
            category,
            part: 0,
            position: 0,
            current: None,
        }
    }

    /// How many manifest parts `category` has (none for a category the snapshot lacks): what a reader that keeps
    /// one part in memory at a time walks.
    pub fn part_count(&self, category: &str) -> usize {
        self.stored.category(category).map_or(0, |c| c.parts.len())
    }

    /// The object `entry` of `part` names, checked against the manifest's hash.
    pub async fn value(
        &self,
        category: &str,
        part: &ManifestPart,
        entry: &ManifestEntry,
    ) -> Result<Value, SnapshotError> {
        let segment = self.segment(part.segment_key(entry)).await?;
        check_entry(category, entry, &segment)?;
        segment.value(entry.index)
    }

    pub(super) async fn segment(&self, key: &str) -> Result<Arc<Segment>, SnapshotError> {
        let wanted = key.to_owned();
        if let Some(hit) = cached(&self.segments, &wanted) {
            return Ok(hit);
        }
        let opened = Arc::new(self.vault.read_segment(&self.org, key).await?);
        remember(&self.segments, wanted, opened.clone(), SEGMENT_CACHE_CAPACITY);
        Ok(opened)
    }
}

/// A category's manifest entries in id order, a part at a time: see [`SnapshotReader::entries`].
pub struct Entries<'a> {
    reader: &'a SnapshotReader,
    category: &'a str,
    part: usize,
    position: usize,
    current: Option<Arc<ManifestPart>>,
}

impl Entries<'_> {
    pub async fn next(&mut self) -> Result<Option<ManifestEntry>, SnapshotError> {
        let parts = self
            .reader
            .head()
            .categories
            .get(self.category)
            .map_or(0, |c| c.parts.len());
        loop {
            if let Some(part) = &self.current
                && let Some(entry) = part.entries.get(self.position)
            {
                self.position += 1;
                return Ok(Some(entry.clone()));
            }
            if self.part >= parts {
                return Ok(None);
            }
            self.current = Some(self.reader.part(self.category, self.part).await?);
            self.part += 1;
            self.position = 0;
        }
    }
}

/// A cached value, moved to the front (most recently used).
fn cached<K: PartialEq, V: Clone>(cache: &Mutex<Vec<(K, V)>>, key: &K) -> Option<V> {
    let mut cache = cache.lock().expect("reader cache lock poisoned");
    let pos = cache.iter().position(|(k, _)| k == key)?;
    let hit = cache.remove(pos);
    cache.insert(0, (hit.0, hit.1.clone()));
    Some(hit.1)
}

fn remember<K, V>(cache: &Mutex<Vec<(K, V)>>, key: K, value: V, capacity: usize) {
    let mut cache = cache.lock().expect("reader cache lock poisoned");
    if cache.len() >= capacity {
        cache.pop();
    }
    cache.insert(0, (key, value));
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
