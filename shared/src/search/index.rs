//! The search index in memory. Each version (category, id, content hash) is held once, with its searchable text,
//! its own `lastUpdated`, and the spans of the org's snapshots (in order) that hold it. A keyword query scans
//! the lower-cased text of every version: a few hundred thousand short strings, which a substring match reads
//! in milliseconds.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::delta::{Delta, NewVersion, VersionKey};
use crate::ids::{OrgId, SnapshotId};
use crate::snapshot::ObjectHash;

/// Snapshots `from..to` (positions in the index's snapshot list, `to` exclusive) hold a version; `to` is
/// [`Span::OPEN`] while the newest snapshot still holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span(pub u32, pub u32);

impl Span {
    pub const OPEN: u32 = u32::MAX;

    pub fn is_open(&self) -> bool {
        self.1 == Self::OPEN
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    #[serde(rename = "c")]
    pub category: String,
    #[serde(rename = "i")]
    pub id: String,
    #[serde(rename = "h")]
    pub hash: ObjectHash,
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(rename = "n", default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// In snapshot order, never overlapping.
    #[serde(rename = "s")]
    pub spans: Vec<Span>,
    /// The names, lower-cased and joined by a separator no query holds.
    #[serde(skip)]
    haystack: String,
}

const SEPARATOR: char = '\u{1}';

impl Version {
    fn new(v: NewVersion) -> Self {
        let mut out = Version {
            category: v.category,
            id: v.id,
            hash: v.hash,
            last_updated: v.last_updated,
            names: v.names,
            spans: Vec::new(),
            haystack: String::new(),
        };
        out.fill_haystack();
        out
    }

    fn fill_haystack(&mut self) {
        self.haystack = self.names.join(&SEPARATOR.to_string()).to_lowercase();
    }

    /// Whether `needle` (lower-cased) is part of a name, or the whole id.
    fn matches(&self, needle: &str) -> bool {
        self.haystack.contains(needle) || self.id.eq_ignore_ascii_case(needle)
    }

    /// Whether the newest snapshot of the index holds this version.
    pub fn is_current(&self) -> bool {
        self.spans.last().is_some_and(Span::is_open)
    }
}

#[derive(Debug, Clone)]
pub struct SearchIndex {
    org: OrgId,
    snapshots: Vec<SnapshotId>,
    versions: Vec<Version>,
    /// (category, id) to its versions' positions in `versions`.
    objects: HashMap<(String, String), Vec<usize>>,
}

/// The stored form of a whole index (the compacted base).
#[derive(Deserialize)]
pub(super) struct Stored {
    pub format: u32,
    pub org: OrgId,
    pub snapshots: Vec<SnapshotId>,
    pub versions: Vec<Version>,
}

/// [`Stored`], borrowed from the index it writes: the base is serialized without a second copy of the versions.
#[derive(Serialize)]
pub(super) struct StoredRef<'a> {
    format: u32,
    org: &'a OrgId,
    snapshots: &'a [SnapshotId],
    versions: &'a [Version],
}

pub(super) const BASE_FORMAT: u32 = 1;

impl SearchIndex {
    pub fn empty(org: OrgId) -> Self {
        SearchIndex {
            org,
            snapshots: Vec::new(),
            versions: Vec::new(),
            objects: HashMap::new(),
        }
    }

    pub(super) fn from_stored(stored: Stored) -> Result<Self, String> {
        let count = stored.snapshots.len() as u32;
        for v in &stored.versions {
            let spans_ok = v.spans.windows(2).all(|w| w[0].1 < w[1].0)
                && v.spans
                    .iter()
                    .all(|s| s.0 < count && (s.is_open() || (s.0 < s.1 && s.1 <= count)));
            if v.spans.is_empty() || !spans_ok {
                return Err(format!(
                    "version {}/{} has spans {:?} outside {count} snapshots",
                    v.category, v.id, v.spans
                ));
            }
        }
        let mut index = SearchIndex {
            org: stored.org,
            snapshots: stored.snapshots,
            versions: stored.versions,
            objects: HashMap::new(),
        };
        index.versions.iter_mut().for_each(Version::fill_haystack);
        index.reindex_objects();
        Ok(index)
    }

    pub(super) fn to_stored(&self) -> StoredRef<'_> {
        StoredRef {
            format: BASE_FORMAT,
            org: &self.org,
            snapshots: &self.snapshots,
            versions: &self.versions,
        }
    }

    pub fn org(&self) -> &OrgId {
        &self.org
    }

    /// The snapshots indexed, oldest first: a [`Span`] counts positions in this list.
    pub fn snapshots(&self) -> &[SnapshotId] {
        &self.snapshots
    }

    pub fn version_count(&self) -> usize {
        self.versions.len()
    }

    /// The snapshots `span` covers.
    pub fn span_snapshots(&self, span: Span) -> &[SnapshotId] {
        let end = if span.is_open() {
            self.snapshots.len()
        } else {
            span.1 as usize
        };
        &self.snapshots[span.0 as usize..end]
    }

    /// Adds the next snapshot's delta, which must be made against the newest snapshot indexed; a delta that does
    /// not fit (it removes a version the index does not hold, or adds one it holds) changes nothing.
    pub fn apply(&mut self, delta: &Delta) -> Result<(), String> {
        if delta.against.as_ref() != self.snapshots.last() {
            return Err(format!(
                "the delta of {} is made against {}, but the newest snapshot indexed is {}",
                delta.snapshot,
                delta.against.as_ref().map_or("nothing".to_owned(), |s| s.to_string()),
                self.snapshots.last().map_or("none".to_owned(), |s| s.to_string())
            ));
        }
        if self.snapshots.contains(&delta.snapshot) {
            return Err(format!("snapshot {} is indexed already", delta.snapshot));
        }
        let mut closing = Vec::with_capacity(delta.removed.len());
        for key in &delta.removed {
            match self.find(key) {
                Some(at) if self.versions[at].is_current() => closing.push(at),
                _ => {
                    return Err(format!(
                        "the delta of {} removes {}/{} {}, which the snapshot before it does not hold",
                        delta.snapshot, key.category, key.id, key.hash
                    ));
                }
            }
        }
        for v in &delta.added {
            let key = VersionKey {
                category: v.category.clone(),
                id: v.id.clone(),
                hash: v.hash,
            };
            if self.find(&key).is_some_and(|at| self.versions[at].is_current()) {
                return Err(format!(
                    "the delta of {} adds {}/{} {}, which the snapshot before it holds already",
                    delta.snapshot, v.category, v.id, v.hash
                ));
            }
        }
        let position = self.snapshots.len() as u32;
        self.snapshots.push(delta.snapshot.clone());
        for at in closing {
            if let Some(span) = self.versions[at].spans.last_mut() {
                span.1 = position;
            }
        }
        for v in &delta.added {
            let key = VersionKey {
                category: v.category.clone(),
                id: v.id.clone(),
                hash: v.hash,
            };
            let at = match self.find(&key) {
                Some(at) => at,
                None => {
                    self.versions.push(Version::new(v.clone()));
                    let at = self.versions.len() - 1;
                    self.objects
                        .entry((v.category.clone(), v.id.clone()))
                        .or_default()
                        .push(at);
                    at
                }
            };
            self.versions[at].spans.push(Span(position, Span::OPEN));
        }
        Ok(())
    }

    fn find(&self, key: &VersionKey) -> Option<usize> {
        self.objects
            .get(&(key.category.clone(), key.id.clone()))?
            .iter()
            .copied()
            .find(|&at| self.versions[at].hash == key.hash)
    }

    /// Removes `snapshot` from the index; the versions no other snapshot holds leave it. Returns whether the
    /// index held the snapshot.
    pub fn forget(&mut self, snapshot: &SnapshotId) -> bool {
        let Some(k) = self.snapshots.iter().position(|s| s == snapshot) else {
            return false;
        };
        let k = k as u32;
        let len = self.snapshots.len() as u32;
        self.snapshots.remove(k as usize);
        let new_len = len - 1;
        for v in &mut self.versions {
            let mut spans: Vec<Span> = Vec::with_capacity(v.spans.len());
            for span in &v.spans {
                let to = if span.is_open() { len } else { span.1 };
                let shift = |p: u32| if p > k { p - 1 } else { p };
                let (from, to) = (shift(span.0), if to > k { to - 1 } else { to });
                if from >= to {
                    continue;
                }
                // Two spans that met only across the forgotten snapshot are one now.
                match spans.last_mut() {
                    Some(last) if last.1 == from => last.1 = to,
                    _ => spans.push(Span(from, to)),
                }
            }
            for span in &mut spans {
                if span.1 == new_len {
                    span.1 = Span::OPEN;
                }
            }
            v.spans = spans;
        }
        self.versions.retain(|v| !v.spans.is_empty());
        self.reindex_objects();
        true
    }

    fn reindex_objects(&mut self) {
        self.objects.clear();
        for (at, v) in self.versions.iter().enumerate() {
            self.objects
                .entry((v.category.clone(), v.id.clone()))
                .or_default()
                .push(at);
        }
        for positions in self.objects.values_mut() {
            let versions = &self.versions;
            positions.sort_by_key(|&at| versions[at].spans[0].0);
        }
    }

    /// The objects (category, id) with a version whose name contains `query` (any case) or whose id is `query`,
    /// in `category` when given, sorted by category and id.
    pub fn matching(&self, query: &str, category: Option<&str>) -> Vec<(String, String)> {
        let needle = query.to_lowercase();
        let mut out: Vec<(String, String)> = self
            .versions
            .iter()
            .filter(|v| category.is_none_or(|c| v.category == c))
            .filter(|v| v.matches(&needle))
            .map(|v| (v.category.clone(), v.id.clone()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The versions of one object, in the order they first appeared.
    pub fn versions_of(&self, category: &str, id: &str) -> Vec<&Version> {
        self.objects
            .get(&(category.to_owned(), id.to_owned()))
            .map(|at| at.iter().map(|&i| &self.versions[i]).collect())
            .unwrap_or_default()
    }

    /// The ids of `category`'s objects one of whose names is `name` (any case).
    pub fn named(&self, category: &str, name: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .versions
            .iter()
            .filter(|v| v.category == category && v.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|v| v.id.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}
