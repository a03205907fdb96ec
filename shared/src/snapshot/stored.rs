//! Writing and reading a snapshot's manifest a category, a part at a time (format 2, see [`super::parts`]),
//! and reading format 1 manifests, which hold everything in one blob, through the same interface.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::ids::{JobId, OrgId, SnapshotId};

use super::envelope::BlobKind;
use super::error::SnapshotError;
use super::hash::ObjectHash;
use super::keys;
use super::manifest::{self, Incomplete, Location, Manifest, ManifestEntry};
use super::parts::{
    self, AsOf, CategoryHead, MANIFEST_FORMAT_VERSION, ManifestHead, ManifestPart, PART_ENTRIES, PartRef, id_order,
};
use super::sealing_key::SealingKey;
use super::vault::Vault;

/// Writes a manifest category by category, each in parts of [`PART_ENTRIES`] entries in id order, holding one
/// part at a time; the head goes last, so a manifest whose head is there is whole.
pub struct ManifestWriter<'a> {
    vault: &'a Vault,
    key: &'a SealingKey,
    head: ManifestHead,
    open: Option<OpenCategory>,
}

struct OpenCategory {
    name: String,
    head: CategoryHead,
    part: ManifestPart,
    segments: HashMap<String, u32>,
}

impl<'a> ManifestWriter<'a> {
    pub fn new(
        vault: &'a Vault,
        key: &'a SealingKey,
        job_id: JobId,
        created_at: String,
        previous: Option<SnapshotId>,
    ) -> Self {
        ManifestWriter {
            vault,
            key,
            head: ManifestHead {
                format_version: MANIFEST_FORMAT_VERSION,
                org_id: key.org_id.clone(),
                snapshot_id: key.snapshot_id.clone(),
                job_id,
                created_at,
                previous,
                categories: BTreeMap::new(),
            },
            open: None,
        }
    }

    /// Records that `category` was not backed up, and why.
    pub fn skipped(&mut self, category: &str, reason: String) {
        self.head.categories.insert(
            category.to_owned(),
            CategoryHead {
                skipped: Some(reason),
                ..CategoryHead::default()
            },
        );
    }

    /// Starts `category`; its entries follow with [`ManifestWriter::push`], in id order.
    pub async fn begin(&mut self, category: &str, incomplete: Vec<Incomplete>) -> Result<(), SnapshotError> {
        self.end().await?;
        self.open = Some(OpenCategory {
            name: category.to_owned(),
            head: CategoryHead {
                incomplete,
                ..CategoryHead::default()
            },
            part: ManifestPart::default(),
            segments: HashMap::new(),
        });
        Ok(())
    }

    /// Adds one object of the open category. Ids must come in [`id_order`], each once.
    pub async fn push(
        &mut self,
        id: String,
        hash: ObjectHash,
        last_updated: Option<String>,
        at: &Location,
    ) -> Result<(), SnapshotError> {
        let open = self.open.as_mut().expect("push follows begin");
        let previous = open.part.entries.last().map(|e| e.id.as_str()).or(open
            .head
            .parts
            .last()
            .map(|p| p.last_id.as_str()));
        if let Some(previous) = previous
            && id_order(previous, &id) != Ordering::Less
        {
            return Err(SnapshotError::InvalidInput {
                what: format!("manifest category {}", open.name),
                reason: format!("entry {id} comes after {previous}: entries must come once each, in id order"),
            });
        }
        let segment = match open.segments.get(&at.segment_key) {
            Some(&i) => i,
            None => {
                let i = open.part.segments.len() as u32;
                open.part.segments.push(at.segment_key.clone());
                open.segments.insert(at.segment_key.clone(), i);
                i
            }
        };
        open.part.entries.push(ManifestEntry {
            id,
            hash,
            last_updated,
            segment,
            index: at.index,
        });
        if open.part.entries.len() >= PART_ENTRIES {
            self.flush().await?;
        }
        Ok(())
    }

    /// Seals the open category's pending part.
    async fn flush(&mut self) -> Result<(), SnapshotError> {
        let open = self.open.as_mut().expect("flush of an open category");
        if open.part.entries.is_empty() {
            return Ok(());
        }
        let part = std::mem::take(&mut open.part);
        open.segments.clear();
        let blob_key = keys::manifest_part(
            &self.key.org_id,
            &self.key.snapshot_id,
            &open.name,
            open.head.parts.len(),
        );
        let bytes = parts::encode_part(&blob_key, &part)?;
        self.vault
            .put_sealed(self.key, &blob_key, BlobKind::Manifest, &bytes)
            .await?;
        open.head.objects += part.entries.len() as u64;
        open.head.parts.push(PartRef {
            key: blob_key,
            first_id: part.entries.first().expect("not empty").id.clone(),
            last_id: part.entries.last().expect("not empty").id.clone(),
            entries: part.entries.len() as u32,
        });
        Ok(())
    }

    /// Sets what the open category lacks (known once all its pages were read).
    pub fn set_incomplete(&mut self, incomplete: Vec<Incomplete>) {
        self.open.as_mut().expect("an open category").head.incomplete = incomplete;
    }

    /// Records that the open category's values were carried from the snapshot that read them (see [`AsOf`]).
    pub fn set_as_of(&mut self, as_of: AsOf) {
        self.open.as_mut().expect("an open category").head.as_of = Some(as_of);
    }

    /// Forgets the open category: it is written again from its first part (whose blobs the new ones replace).
    pub fn restart(&mut self) {
        self.open = None;
    }

    /// Ends the open category, if one is open.
    pub async fn end(&mut self) -> Result<(), SnapshotError> {
        if self.open.is_none() {
            return Ok(());
        }
        self.flush().await?;
        let open = self.open.take().expect("checked above");
        self.head.categories.insert(open.name, open.head);
        Ok(())
    }

    /// Seals the head at the snapshot's manifest key and returns that key.
    pub async fn finish(mut self) -> Result<String, SnapshotError> {
        self.end().await?;
        let blob_key = keys::manifest(&self.head.org_id, &self.head.snapshot_id);
        self.vault
            .put_sealed(
                self.key,
                &blob_key,
                BlobKind::Manifest,
                &parts::encode_head(&self.head)?,
            )
            .await?;
        Ok(blob_key)
    }
}

/// A snapshot's manifest as stored: the head, read first, and its parts, read on demand. A format 1 manifest
/// is read whole; its categories then have one in-memory part each.
#[derive(Debug, Clone)]
pub struct StoredManifest {
    head: ManifestHead,
    /// A format 1 manifest, whole.
    legacy: Option<std::sync::Arc<Manifest>>,
}

#[derive(Deserialize)]
struct FormatVersion {
    format_version: u32,
}

impl StoredManifest {
    /// Reads and authenticates the head of `snapshot`'s manifest.
    pub async fn open(vault: &Vault, org: &OrgId, snapshot: &SnapshotId) -> Result<Self, SnapshotError> {
        let blob_key = keys::manifest(org, snapshot);
        let bytes = vault.get_opened(org, &blob_key, BlobKind::Manifest).await?;
        let version = serde_json::from_slice::<FormatVersion>(&bytes)
            .map_err(|e| SnapshotError::Decode {
                key: blob_key.clone(),
                reason: format!("manifest JSON: {e}"),
            })?
            .format_version;
        let stored = match version {
            1 => {
                let whole = manifest::decode(&blob_key, &bytes)?;
                StoredManifest {
                    head: legacy_head(&whole),
                    legacy: Some(std::sync::Arc::new(whole)),
                }
            }
            MANIFEST_FORMAT_VERSION => StoredManifest {
                head: parts::decode_head(&blob_key, &bytes)?,
                legacy: None,
            },
            other => {
                return Err(SnapshotError::Decode {
                    key: blob_key,
                    reason: format!(
                        "manifest format version {other} is not one this oktavault reads (1 and \
                         {MANIFEST_FORMAT_VERSION}); upgrade oktavault"
                    ),
                });
            }
        };
        if &stored.head.org_id != org || &stored.head.snapshot_id != snapshot {
            return Err(SnapshotError::Decode {
                key: blob_key,
                reason: format!(
                    "it describes snapshot {} of org {}",
                    stored.head.snapshot_id, stored.head.org_id
                ),
            });
        }
        Ok(stored)
    }

    pub fn head(&self) -> &ManifestHead {
        &self.head
    }

    pub fn category(&self, name: &str) -> Option<&CategoryHead> {
        self.head.categories.get(name)
    }

    /// Part `n` of `category`, read and authenticated.
    pub async fn part(&self, vault: &Vault, category: &str, n: usize) -> Result<ManifestPart, SnapshotError> {
        let part_ref = &self.head.categories[category].parts[n];
        match &self.legacy {
            Some(whole) => Ok(legacy_part(whole, category)),
            None => {
                let bytes = vault
                    .get_opened(&self.head.org_id, &part_ref.key, BlobKind::Manifest)
                    .await?;
                let part = parts::decode_part(&part_ref.key, &bytes)?;
                if part.entries.len() != part_ref.entries as usize {
                    return Err(SnapshotError::Decode {
                        key: part_ref.key.clone(),
                        reason: format!(
                            "it holds {} entries where the manifest says {}",
                            part.entries.len(),
                            part_ref.entries
                        ),
                    });
                }
                Ok(part)
            }
        }
    }

    /// Reads and authenticates every part, one at a time: whether every entry of the snapshot can be found.
    pub async fn check_parts(&self, vault: &Vault) -> Result<(), SnapshotError> {
        for (name, category) in &self.head.categories {
            for n in 0..category.parts.len() {
                self.part(vault, name, n).await?;
            }
        }
        Ok(())
    }

    /// The whole manifest in memory, in format 1's shape (for small snapshots and tests).
    pub async fn whole(&self, vault: &Vault) -> Result<Manifest, SnapshotError> {
        if let Some(whole) = &self.legacy {
            return Ok(whole.as_ref().clone());
        }
        let mut out = Manifest::new(
            self.head.org_id.clone(),
            self.head.snapshot_id.clone(),
            self.head.job_id.clone(),
            self.head.created_at.clone(),
            self.head.previous.clone(),
        );
        for (name, category) in &self.head.categories {
            let target = out.category_mut(name);
            target.skipped = category.skipped.clone();
            target.incomplete = category.incomplete.clone();
            for n in 0..category.parts.len() {
                let part = self.part(vault, name, n).await?;
                for entry in &part.entries {
                    let at = Location {
                        segment_key: part.segment_key(entry).to_owned(),
                        index: entry.index,
                    };
                    out.add_entry(name, entry.id.clone(), entry.hash, entry.last_updated.clone(), &at);
                }
            }
        }
        Ok(out)
    }
}

/// A format 1 manifest's head: each backed-up category has one in-memory part.
fn legacy_head(whole: &Manifest) -> ManifestHead {
    let categories = whole
        .categories
        .iter()
        .map(|(name, c)| {
            let part = legacy_part(whole, name);
            let parts = match (part.entries.first(), part.entries.last()) {
                (Some(first), Some(last)) => vec![PartRef {
                    key: String::new(),
                    first_id: first.id.clone(),
                    last_id: last.id.clone(),
                    entries: part.entries.len() as u32,
                }],
                _ => Vec::new(),
            };
            let head = CategoryHead {
                skipped: c.skipped.clone(),
                incomplete: c.incomplete.clone(),
                objects: c.entries.len() as u64,
                parts,
                as_of: None,
            };
            (name.clone(), head)
        })
        .collect();
    ManifestHead {
        format_version: 1,
        org_id: whole.org_id.clone(),
        snapshot_id: whole.snapshot_id.clone(),
        job_id: whole.job_id.clone(),
        created_at: whole.created_at.clone(),
        previous: whole.previous.clone(),
        categories,
    }
}

/// A format 1 category as one part in id order (its own segment list; a repeated id keeps its last entry).
fn legacy_part(whole: &Manifest, category: &str) -> ManifestPart {
    let mut entries: Vec<&ManifestEntry> = whole
        .categories
        .get(category)
        .map(|c| c.entries.iter().collect())
        .unwrap_or_default();
    entries.sort_by(|a, b| id_order(&a.id, &b.id));
    entries.dedup_by(|later, earlier| later.id == earlier.id);
    let mut part = ManifestPart::default();
    let mut segments: HashMap<u32, u32> = HashMap::new();
    for e in entries {
        let segment = *segments.entry(e.segment).or_insert_with(|| {
            part.segments.push(whole.segments[e.segment as usize].clone());
            (part.segments.len() - 1) as u32
        });
        part.entries.push(ManifestEntry { segment, ..e.clone() });
    }
    part
}

/// Writes `manifest` (whole, in memory) as a format 2 manifest: each category's entries sorted by id.
pub async fn write_whole(vault: &Vault, key: &SealingKey, manifest: &Manifest) -> Result<String, SnapshotError> {
    let mut writer = ManifestWriter::new(
        vault,
        key,
        manifest.job_id.clone(),
        manifest.created_at.clone(),
        manifest.previous.clone(),
    );
    for (name, category) in &manifest.categories {
        if let Some(reason) = &category.skipped {
            writer.skipped(name, reason.clone());
            continue;
        }
        writer.begin(name, category.incomplete.clone()).await?;
        let mut entries: Vec<&ManifestEntry> = category.entries.iter().collect();
        entries.sort_by(|a, b| id_order(&a.id, &b.id));
        for e in entries {
            writer
                .push(e.id.clone(), e.hash, e.last_updated.clone(), &manifest.location(e))
                .await?;
        }
    }
    writer.finish().await
}
