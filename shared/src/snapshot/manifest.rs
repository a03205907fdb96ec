//! The manifest: per category, which objects a snapshot holds, their hashes, and where their bytes are.
//!
//! Stored as JSON, sealed with kind `manifest`. Entries are columnar (one array per field) so
//! 100k objects stay a few megabytes: field names are written once per category, not per object,
//! and similar values sit next to each other for zstd.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize, Serializer};

use crate::ids::{JobId, OrgId, SnapshotId};

use super::error::SnapshotError;
use super::hash::{CanonicalObject, ObjectHash};

/// The version of the one-blob manifest layout this file reads (format 1). Snapshots are written in format 2
/// (see [`super::parts`]); [`Manifest`] stays the whole-snapshot view of either, in memory.
pub const FORMAT_1: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
    pub job_id: JobId,
    /// RFC 3339.
    pub created_at: String,
    /// The snapshot this one was made incrementally from, if any.
    pub previous: Option<SnapshotId>,
    /// Every segment blob key the entries point into (they may belong to earlier snapshots).
    pub segments: Vec<String>,
    pub categories: BTreeMap<String, CategoryManifest>,
}

/// One category of a snapshot: backed up (with its entries) or skipped, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryManifest {
    /// `Some(reason)` when the category was not backed up (e.g. the org lacks the feature).
    pub skipped: Option<String>,
    /// The parts Okta did not list completely (a parent whose children are missing, a list pass): the snapshot
    /// lacks them, and the next backup lists them again instead of carrying them.
    pub incomplete: Vec<Incomplete>,
    pub entries: Vec<ManifestEntry>,
}

/// A part of a category that a backup could not list completely, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incomplete {
    /// The parent's id, or the list pass's path.
    pub part: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The Okta id (or the category's own key for objects without one).
    pub id: String,
    pub hash: ObjectHash,
    /// Okta's `lastUpdated`, used to decide what to re-fetch next time.
    pub last_updated: Option<String>,
    /// Index into [`Manifest::segments`].
    pub segment: u32,
    /// Index of the object inside that segment.
    pub index: u32,
}

/// Where an object's bytes are: used to carry unchanged objects from the previous snapshot by hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    pub segment_key: String,
    pub index: u32,
}

/// Where an object's bytes are, as a number into the manifest's segment list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactLocation {
    pub segment: u32,
    pub index: u32,
}

impl Manifest {
    pub fn new(
        org_id: OrgId,
        snapshot_id: SnapshotId,
        job_id: JobId,
        created_at: String,
        previous: Option<SnapshotId>,
    ) -> Self {
        Manifest {
            format_version: super::parts::MANIFEST_FORMAT_VERSION,
            org_id,
            snapshot_id,
            job_id,
            created_at,
            previous,
            segments: Vec::new(),
            categories: BTreeMap::new(),
        }
    }

    /// Every object hash in the snapshot and one place its bytes can be read from.
    pub fn locations(&self) -> HashMap<ObjectHash, Location> {
        self.compact_locations()
            .into_iter()
            .map(|(hash, at)| (hash, self.location_at(at)))
            .collect()
    }

    /// [`Manifest::locations`] as (segment number, index) pairs: a few bytes an object instead of a copy
    /// of its segment key, for a backup that keeps a large previous snapshot's map in memory.
    pub fn compact_locations(&self) -> HashMap<ObjectHash, CompactLocation> {
        let mut out = HashMap::with_capacity(self.object_count());
        for entry in self.categories.values().flat_map(|c| &c.entries) {
            out.entry(entry.hash).or_insert(CompactLocation {
                segment: entry.segment,
                index: entry.index,
            });
        }
        out
    }

    /// The full location of a compact one taken from this manifest.
    pub fn location_at(&self, at: CompactLocation) -> Location {
        Location {
            segment_key: self.segments[at.segment as usize].clone(),
            index: at.index,
        }
    }

    /// Where `entry`'s bytes are. Panics if the entry points past the segment list, which
    /// [`Manifest::validate`] rules out for every manifest read from storage.
    pub fn location(&self, entry: &ManifestEntry) -> Location {
        Location {
            segment_key: self.segments[entry.segment as usize].clone(),
            index: entry.index,
        }
    }

    /// The index of `segment_key` in the segment list, adding it if new. Searches from the end:
    /// entries are added segment by segment, so the key is almost always the last one.
    pub fn intern_segment(&mut self, segment_key: &str) -> u32 {
        if let Some(pos) = self.segments.iter().rposition(|k| k == segment_key) {
            return pos as u32;
        }
        self.segments.push(segment_key.to_string());
        (self.segments.len() - 1) as u32
    }

    /// The category's entry list, created (as backed up, empty) if absent.
    pub fn category_mut(&mut self, category: &str) -> &mut CategoryManifest {
        self.categories.entry(category.to_string()).or_default()
    }

    /// Adds one object whose bytes are at `location` (a fresh segment or a carried one).
    pub fn add_entry(
        &mut self,
        category: &str,
        id: String,
        hash: ObjectHash,
        last_updated: Option<String>,
        location: &Location,
    ) {
        let segment = self.intern_segment(&location.segment_key);
        self.category_mut(category).entries.push(ManifestEntry {
            id,
            hash,
            last_updated,
            segment,
            index: location.index,
        });
    }

    /// Adds every object of a segment just written at `segment_key`, in segment order.
    pub fn add_segment(&mut self, category: &str, segment_key: &str, objects: &[CanonicalObject]) {
        let segment = self.intern_segment(segment_key);
        let entries = &mut self.category_mut(category).entries;
        entries.reserve(objects.len());
        for (index, o) in objects.iter().enumerate() {
            entries.push(ManifestEntry {
                id: o.id.clone(),
                hash: o.hash,
                last_updated: o.last_updated.clone(),
                segment,
                index: index as u32,
            });
        }
    }

    /// Records that `category` was not backed up, and why.
    pub fn mark_skipped(&mut self, category: &str, reason: impl Into<String>) {
        let c = self.category_mut(category);
        c.skipped = Some(reason.into());
        c.entries.clear();
    }

    pub fn object_count(&self) -> usize {
        self.categories.values().map(|c| c.entries.len()).sum()
    }

    /// Checks what serde cannot: every entry pointing at a listed segment.
    pub fn validate(&self) -> Result<(), String> {
        for (name, category) in &self.categories {
            if let Some(e) = category
                .entries
                .iter()
                .find(|e| e.segment as usize >= self.segments.len())
            {
                return Err(format!(
                    "entry {name}/{} points at segment {} but the manifest lists {}",
                    e.id,
                    e.segment,
                    self.segments.len()
                ));
            }
        }
        Ok(())
    }
}

/// Format 1's one-blob encoding: written no more, kept to make format 1 manifests in tests.
#[cfg(test)]
pub(super) fn encode(manifest: &Manifest) -> Result<Vec<u8>, SnapshotError> {
    serde_json::to_vec(manifest).map_err(|e| SnapshotError::InvalidInput {
        what: format!("manifest of snapshot {}", manifest.snapshot_id),
        reason: e.to_string(),
    })
}

pub(super) fn decode(blob_key: &str, bytes: &[u8]) -> Result<Manifest, SnapshotError> {
    let decode_error = |reason: String| SnapshotError::Decode {
        key: blob_key.to_string(),
        reason,
    };
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| decode_error(format!("manifest JSON: {e}")))?;
    if manifest.format_version != FORMAT_1 {
        return Err(decode_error(format!(
            "manifest format version {} is not {FORMAT_1}; upgrade oktavault",
            manifest.format_version
        )));
    }
    manifest.validate().map_err(decode_error)?;
    Ok(manifest)
}

/// The stored form of a category: one array per entry field, all the same length.
#[derive(Serialize)]
struct ColumnsRef<'a> {
    skipped: &'a Option<String>,
    #[serde(skip_serializing_if = "<[Incomplete]>::is_empty")]
    incomplete: &'a [Incomplete],
    ids: Vec<&'a str>,
    hashes: Vec<&'a ObjectHash>,
    last_updated: Vec<Option<&'a str>>,
    segments: Vec<u32>,
    indexes: Vec<u32>,
}

#[derive(Deserialize)]
struct Columns {
    skipped: Option<String>,
    #[serde(default)]
    incomplete: Vec<Incomplete>,
    ids: Vec<String>,
    hashes: Vec<ObjectHash>,
    last_updated: Vec<Option<String>>,
    segments: Vec<u32>,
    indexes: Vec<u32>,
}

impl Serialize for CategoryManifest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = &self.entries;
        ColumnsRef {
            skipped: &self.skipped,
            incomplete: &self.incomplete,
            ids: e.iter().map(|e| e.id.as_str()).collect(),
            hashes: e.iter().map(|e| &e.hash).collect(),
            last_updated: e.iter().map(|e| e.last_updated.as_deref()).collect(),
            segments: e.iter().map(|e| e.segment).collect(),
            indexes: e.iter().map(|e| e.index).collect(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CategoryManifest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let c = Columns::deserialize(deserializer)?;
        let n = c.ids.len();
        if [c.hashes.len(), c.last_updated.len(), c.segments.len(), c.indexes.len()]
            .iter()
            .any(|&len| len != n)
        {
            return Err(serde::de::Error::custom(
                "a category's entry columns have different lengths",
            ));
        }
        let entries = c
            .ids
            .into_iter()
            .zip(c.hashes)
            .zip(c.last_updated)
            .zip(c.segments.into_iter().zip(c.indexes))
            .map(|(((id, hash), last_updated), (segment, index))| ManifestEntry {
                id,
                hash,
                last_updated,
                segment,
                index,
            })
            .collect();
        Ok(CategoryManifest {
            skipped: c.skipped,
            incomplete: c.incomplete,
            entries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::hash::hash_object;
    use serde_json::json;

    /// A format 1 manifest (the one-blob layout these tests encode and decode).
    fn manifest() -> Manifest {
        Manifest {
            format_version: FORMAT_1,
            ..Manifest::new(
                OrgId::new("acme.okta.com").unwrap(),
                SnapshotId::new("20260102T000000Z-bbbb").unwrap(),
                JobId::new("job-2").unwrap(),
                "2026-01-02T00:00:00Z".into(),
                Some(SnapshotId::new("20260101T000000Z-aaaa").unwrap()),
            )
        }
    }

    #[test]
    fn manifest_round_trips_through_its_columnar_json() {
        let mut m = manifest();
        let fresh = [CanonicalObject::new(
            "00u1".into(),
            Some("2026-01-02T00:00:00.000Z".into()),
            &json!({"a": 1}),
        )];
        m.add_segment(
            "users",
            "orgs/acme.okta.com/segments/20260102T000000Z-bbbb/users/00000000",
            &fresh,
        );
        let carried = Location {
            segment_key: "orgs/acme.okta.com/segments/20260101T000000Z-aaaa/users/00000000".into(),
            index: 7,
        };
        m.add_entry("users", "00u2".into(), hash_object(b"{}"), None, &carried);
        m.mark_skipped("app_users", "the org has no apps");
        let json = encode(&m).unwrap();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.contains(r#""ids":["00u1","00u2"]"#), "{text}");
        assert_eq!(decode("k", &json).unwrap(), m);
        assert_eq!(m.segments.len(), 2);
        let locations = m.locations();
        assert_eq!(locations[&hash_object(b"{}")], carried);
        assert_eq!(locations[&fresh[0].hash].index, 0);
    }

    #[test]
    fn interning_a_segment_key_twice_gives_one_index() {
        let mut m = manifest();
        assert_eq!(m.intern_segment("a"), 0);
        assert_eq!(m.intern_segment("b"), 1);
        assert_eq!(m.intern_segment("a"), 0);
        assert_eq!(m.segments, ["a", "b"]);
    }

    #[test]
    fn decode_refuses_dangling_segment_indexes_ragged_columns_and_unknown_versions() {
        let mut m = manifest();
        m.add_entry(
            "users",
            "00u1".into(),
            hash_object(b"{}"),
            None,
            &Location {
                segment_key: "s".into(),
                index: 0,
            },
        );
        m.categories.get_mut("users").unwrap().entries[0].segment = 5;
        let err = decode("the/key", &encode(&m).unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("the/key") && err.to_string().contains("segment 5"),
            "{err}"
        );

        let mut v: serde_json::Value = serde_json::from_slice(&encode(&manifest()).unwrap()).unwrap();
        v["categories"]["users"] = json!({"skipped": null, "ids": ["x"], "hashes": [], "last_updated": [null], "segments": [0], "indexes": [0]});
        assert!(decode("k", &serde_json::to_vec(&v).unwrap()).is_err());

        let mut future = manifest();
        future.format_version = 3;
        assert!(
            decode("k", &encode(&future).unwrap())
                .unwrap_err()
                .to_string()
                .contains("upgrade")
        );
    }
}
