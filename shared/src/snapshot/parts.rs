//! Manifest format 2: a small sealed head, and each category's entries in sealed parts sorted by id.
//!
//! A snapshot of a million users holds millions of entries; format 1 kept them all in one blob that every
//! reader (and every backup step building on the snapshot) had to hold whole. Format 2 lets a reader take one
//! category, or one part of it, at a time:
//!
//! ```text
//! orgs/<org>/snapshots/<snapshot>/manifest                     the head: per category, skipped or not, what it
//!                                                              lacks, its object count and its parts
//! orgs/<org>/snapshots/<snapshot>/parts/<category>/<n:06>      up to PART_ENTRIES entries, in id order
//! ```
//!
//! Ids are ordered by their `/`-separated components ([`id_order`]), so the children of one parent (ids
//! `<parent>/<child>`) are contiguous and parents come in their own id order: a backup walks the previous
//! snapshot's parents and children together, front to back, one part at a time.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};

use crate::ids::{JobId, OrgId, SnapshotId};

use super::error::SnapshotError;
use super::hash::ObjectHash;
use super::manifest::{Incomplete, ManifestEntry};

/// The manifest layout version this code writes. Version 1 (one blob, see [`super::Manifest`]) is still read.
pub const MANIFEST_FORMAT_VERSION: u32 = 2;

/// Entries per part: a part is a few megabytes of JSON before compression.
pub const PART_ENTRIES: usize = 50_000;

/// The order of ids in a manifest: by `/`-separated components, so `<parent>/<child>` ids group by parent in
/// the parents' own order.
pub fn id_order(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestHead {
    pub format_version: u32,
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
    pub job_id: JobId,
    /// RFC 3339.
    pub created_at: String,
    pub previous: Option<SnapshotId>,
    pub categories: BTreeMap<String, CategoryHead>,
}

/// One category of a snapshot: backed up (with its parts) or skipped, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryHead {
    pub skipped: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<Incomplete>,
    pub objects: u64,
    pub parts: Vec<PartRef>,
    /// Set when the category's values were carried from an earlier snapshot rather than read by this one (a
    /// category read on a cadence, such as linked-object values): the snapshot that last read them, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOf>,
}

/// When a carried category's values were last read from Okta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsOf {
    pub snapshot_id: SnapshotId,
    /// The start of that snapshot's job (RFC 3339).
    pub read_at: String,
}

/// Where a part is, and the range of ids it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRef {
    /// Blob key, or empty for the one in-memory part of a format 1 manifest's category.
    pub key: String,
    pub first_id: String,
    pub last_id: String,
    pub entries: u32,
}

impl CategoryHead {
    /// The part that would hold `id`, if any part's range covers it.
    pub fn part_for(&self, id: &str) -> Option<usize> {
        let after = self
            .parts
            .partition_point(|p| id_order(&p.first_id, id) != Ordering::Greater);
        let candidate = after.checked_sub(1)?;
        (id_order(id, &self.parts[candidate].last_id) != Ordering::Greater).then_some(candidate)
    }

    /// The first part whose range reaches `id` or beyond (where a walk from `id` starts).
    pub fn first_part_from(&self, id: &str) -> usize {
        self.parts
            .partition_point(|p| id_order(&p.last_id, id) == Ordering::Less)
    }
}

/// Up to [`PART_ENTRIES`] entries of one category, in [`id_order`]; `segment` indexes this part's own list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestPart {
    pub segments: Vec<String>,
    pub entries: Vec<ManifestEntry>,
}

impl ManifestPart {
    /// The entry with `id`.
    pub fn find(&self, id: &str) -> Option<&ManifestEntry> {
        self.entries
            .binary_search_by(|e| id_order(&e.id, id))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// The index of the first entry at `id` or after it.
    pub fn position_from(&self, id: &str) -> usize {
        self.entries.partition_point(|e| id_order(&e.id, id) == Ordering::Less)
    }

    pub fn segment_key(&self, entry: &ManifestEntry) -> &str {
        &self.segments[entry.segment as usize]
    }

    /// Checks what serde cannot: entries in id order, each pointing at a listed segment.
    fn validate(&self) -> Result<(), String> {
        if let Some(e) = self.entries.iter().find(|e| e.segment as usize >= self.segments.len()) {
            return Err(format!(
                "entry {} points at segment {} but the part lists {}",
                e.id,
                e.segment,
                self.segments.len()
            ));
        }
        if let Some(pair) = self
            .entries
            .windows(2)
            .find(|w| id_order(&w[0].id, &w[1].id) != Ordering::Less)
        {
            return Err(format!("entries {} and {} are out of id order", pair[0].id, pair[1].id));
        }
        Ok(())
    }
}

pub(super) fn encode_head(head: &ManifestHead) -> Result<Vec<u8>, SnapshotError> {
    serde_json::to_vec(head).map_err(|e| SnapshotError::InvalidInput {
        what: format!("manifest of snapshot {}", head.snapshot_id),
        reason: e.to_string(),
    })
}

pub(super) fn decode_head(blob_key: &str, bytes: &[u8]) -> Result<ManifestHead, SnapshotError> {
    let head: ManifestHead = serde_json::from_slice(bytes).map_err(|e| SnapshotError::Decode {
        key: blob_key.to_string(),
        reason: format!("manifest JSON: {e}"),
    })?;
    Ok(head)
}

/// The stored form of a part: one array per entry field, all the same length.
#[derive(Serialize)]
struct PartColumnsRef<'a> {
    segments: &'a [String],
    ids: Vec<&'a str>,
    hashes: Vec<&'a ObjectHash>,
    last_updated: Vec<Option<&'a str>>,
    segment: Vec<u32>,
    index: Vec<u32>,
}

#[derive(Deserialize)]
struct PartColumns {
    segments: Vec<String>,
    ids: Vec<String>,
    hashes: Vec<ObjectHash>,
    last_updated: Vec<Option<String>>,
    segment: Vec<u32>,
    index: Vec<u32>,
}

impl Serialize for ManifestPart {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = &self.entries;
        PartColumnsRef {
            segments: &self.segments,
            ids: e.iter().map(|e| e.id.as_str()).collect(),
            hashes: e.iter().map(|e| &e.hash).collect(),
            last_updated: e.iter().map(|e| e.last_updated.as_deref()).collect(),
            segment: e.iter().map(|e| e.segment).collect(),
            index: e.iter().map(|e| e.index).collect(),
        }
        .serialize(serializer)
    }
}

pub(super) fn encode_part(blob_key: &str, part: &ManifestPart) -> Result<Vec<u8>, SnapshotError> {
    part.validate().map_err(|reason| SnapshotError::InvalidInput {
        what: format!("manifest part {blob_key}"),
        reason,
    })?;
    serde_json::to_vec(part).map_err(|e| SnapshotError::InvalidInput {
        what: format!("manifest part {blob_key}"),
        reason: e.to_string(),
    })
}

pub(super) fn decode_part(blob_key: &str, bytes: &[u8]) -> Result<ManifestPart, SnapshotError> {
    let decode_error = |reason: String| SnapshotError::Decode {
        key: blob_key.to_string(),
        reason,
    };
    let c: PartColumns = serde_json::from_slice(bytes).map_err(|e| decode_error(format!("manifest part JSON: {e}")))?;
    let n = c.ids.len();
    if [c.hashes.len(), c.last_updated.len(), c.segment.len(), c.index.len()]
        .iter()
        .any(|&len| len != n)
    {
        return Err(decode_error("a part's entry columns have different lengths".into()));
    }
    let entries = c
        .ids
        .into_iter()
        .zip(c.hashes)
        .zip(c.last_updated)
        .zip(c.segment.into_iter().zip(c.index))
        .map(|(((id, hash), last_updated), (segment, index))| ManifestEntry {
            id,
            hash,
            last_updated,
            segment,
            index,
        })
        .collect();
    let part = ManifestPart {
        segments: c.segments,
        entries,
    };
    part.validate().map_err(decode_error)?;
    Ok(part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_order_by_component_so_children_follow_their_parent() {
        let mut ids = vec!["00g1x", "00g1/00u9", "00g1/00u1", "00g1", "00g0/zz", "00g1.a"];
        ids.sort_by(|a, b| id_order(a, b));
        assert_eq!(ids, ["00g0/zz", "00g1", "00g1/00u1", "00g1/00u9", "00g1.a", "00g1x"]);
    }

    fn part_ref(first: &str, last: &str) -> PartRef {
        PartRef {
            key: String::new(),
            first_id: first.into(),
            last_id: last.into(),
            entries: 1,
        }
    }

    #[test]
    fn the_part_for_an_id_is_found_by_its_range() {
        let head = CategoryHead {
            parts: vec![part_ref("a", "c"), part_ref("e", "g")],
            ..CategoryHead::default()
        };
        assert_eq!(head.part_for("a"), Some(0));
        assert_eq!(head.part_for("b"), Some(0));
        assert_eq!(head.part_for("d"), None, "between the parts");
        assert_eq!(head.part_for("g"), Some(1));
        assert_eq!(head.part_for("h"), None);
        assert_eq!(head.first_part_from("d"), 1);
        assert_eq!(head.first_part_from("0"), 0);
        assert_eq!(head.first_part_from("z"), 2);
    }

    #[test]
    fn a_part_round_trips_and_refuses_disorder_and_dangling_segments() {
        let entry = |id: &str, segment| ManifestEntry {
            id: id.into(),
            hash: ObjectHash([7; 32]),
            last_updated: None,
            segment,
            index: 3,
        };
        let part = ManifestPart {
            segments: vec!["s0".into()],
            entries: vec![entry("a", 0), entry("b", 0)],
        };
        let bytes = encode_part("k", &part).unwrap();
        assert_eq!(decode_part("k", &bytes).unwrap(), part);
        assert_eq!(part.find("b").unwrap().id, "b");
        assert!(part.find("c").is_none());
        let disorder = ManifestPart {
            entries: vec![entry("b", 0), entry("a", 0)],
            ..part.clone()
        };
        assert!(
            encode_part("k", &disorder)
                .unwrap_err()
                .to_string()
                .contains("out of id order")
        );
        let dangling = ManifestPart {
            entries: vec![entry("a", 4)],
            ..part
        };
        assert!(encode_part("k", &dangling).is_err());
    }
}
