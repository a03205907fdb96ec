//! The snapshot a backup builds on: what it held for each object, read once per process and looked up by
//! category and id. A new snapshot carries an unchanged object by reference to the bytes the previous one
//! points at; on a full refresh, it first proves those bytes are there and whole.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::ids::{OrgId, SnapshotId};
use crate::snapshot::{CategoryManifest, Location, Manifest, ManifestEntry, ObjectHash, Vault};

pub struct Previous {
    manifest: Manifest,
    /// Per category: object id -> position in its entries (built on first use).
    index: Mutex<HashMap<String, Arc<HashMap<String, u32>>>>,
    /// Segments whose objects were checked in this process: the hash at each index, or why it cannot be read.
    proofs: Mutex<HashMap<String, Arc<Proof>>>,
}

enum Proof {
    Readable(Vec<ObjectHash>),
    Unreadable,
}

/// What the previous snapshot holds for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousEntry {
    pub hash: ObjectHash,
    pub last_updated: Option<String>,
    pub at: Location,
}

impl Previous {
    pub fn new(manifest: Manifest) -> Self {
        Self {
            manifest,
            index: Mutex::new(HashMap::new()),
            proofs: Mutex::new(HashMap::new()),
        }
    }

    pub fn snapshot_id(&self) -> &SnapshotId {
        &self.manifest.snapshot_id
    }

    /// The category as the previous snapshot recorded it, if it was backed up (not skipped).
    pub fn backed_up(&self, category: &str) -> Option<&CategoryManifest> {
        self.manifest.categories.get(category).filter(|c| c.skipped.is_none())
    }

    /// Whether the previous snapshot could not list `part` (a parent's id or a pass) of `category` completely.
    pub fn lacks(&self, category: &str, part: &str) -> bool {
        self.manifest
            .categories
            .get(category)
            .is_some_and(|c| c.incomplete.iter().any(|i| i.part == part))
    }

    /// The object `id` of `category` as the previous snapshot held it.
    pub fn entry(&self, category: &str, id: &str) -> Option<PreviousEntry> {
        let entries = &self.backed_up(category)?.entries;
        let position = *self.index_of(category, entries).get(id)?;
        Some(self.describe(&entries[position as usize]))
    }

    /// Every object of `category`, for a caller that groups or filters them itself.
    pub fn entries(&self, category: &str) -> impl Iterator<Item = (&str, PreviousEntry)> {
        self.backed_up(category)
            .into_iter()
            .flat_map(|c| &c.entries)
            .map(|e| (e.id.as_str(), self.describe(e)))
    }

    fn describe(&self, e: &ManifestEntry) -> PreviousEntry {
        PreviousEntry {
            hash: e.hash,
            last_updated: e.last_updated.clone(),
            at: self.manifest.location(e),
        }
    }

    fn index_of(&self, category: &str, entries: &[ManifestEntry]) -> Arc<HashMap<String, u32>> {
        let mut index = self.index.lock().expect("previous index lock");
        index
            .entry(category.to_owned())
            .or_insert_with(|| {
                Arc::new(
                    entries
                        .iter()
                        .enumerate()
                        .map(|(i, e)| (e.id.clone(), i as u32))
                        .collect(),
                )
            })
            .clone()
    }

    /// Whether the object with `hash` really is at `at`: its segment exists, opens, and holds that hash at that
    /// index. Each segment is read once per process; a segment that is missing or does not open proves nothing.
    pub async fn proves(&self, vault: &Vault, org: &OrgId, at: &Location, hash: &ObjectHash) -> bool {
        let known = self.proofs.lock().expect("proofs lock").get(&at.segment_key).cloned();
        let proof = match known {
            Some(proof) => proof,
            None => {
                let proof = Arc::new(match vault.read_segment(org, &at.segment_key).await {
                    Ok(segment) => Proof::Readable((0..segment.len() as u32).filter_map(|i| segment.hash(i)).collect()),
                    Err(e) => {
                        tracing::warn!(segment = %at.segment_key, error = %e, "a carried segment does not open");
                        Proof::Unreadable
                    }
                });
                self.proofs
                    .lock()
                    .expect("proofs lock")
                    .insert(at.segment_key.clone(), proof.clone());
                proof
            }
        };
        match proof.as_ref() {
            Proof::Readable(hashes) => hashes.get(at.index as usize) == Some(hash),
            Proof::Unreadable => false,
        }
    }
}
