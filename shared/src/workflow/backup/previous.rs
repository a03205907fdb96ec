//! The snapshot a backup builds on, read a part at a time: a new snapshot carries an unchanged object by
//! reference to the bytes the previous one points at, and on a full refresh it first proves those bytes are
//! there and whole.
//!
//! Two ways to find what the previous snapshot held, both in bounded memory whatever the org's size:
//! - a list category (users, groups...) is listed in Okta's order, so its objects are found by content: a table
//!   of content hashes and locations, 28 bytes an object, built from the category's parts on first use;
//! - a per-parent category (memberships, assignments...) is listed parent after parent in id order, so the
//!   previous snapshot's parents and children, in the same order, are walked alongside ([`PartWalker`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use super::SortedIds;
use crate::categories::{Category, Keep};
use crate::ids::{OrgId, SnapshotId};
use crate::snapshot::{
    CategoryHead, Location, ManifestPart, ObjectHash, SnapshotError, StoredManifest, Vault, id_order,
};

pub struct Previous {
    vault: Vault,
    stored: StoredManifest,
    /// Per list category: content hash -> where its bytes are (built on first use).
    tables: tokio::sync::Mutex<HashMap<String, Arc<HashTable>>>,
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
    pub id: String,
    pub hash: ObjectHash,
    pub last_updated: Option<String>,
    pub at: Location,
}

/// A category's objects by content: the leading 128 bits of each hash (collisions are out of reach, and a
/// reader checks the whole hash of every object it opens) with the object's segment and index.
struct HashTable {
    rows: Vec<(u128, u32, u32)>,
    segments: Vec<String>,
}

impl HashTable {
    fn find(&self, hash: &ObjectHash) -> Option<Location> {
        let key = prefix(hash);
        let i = self.rows.binary_search_by(|row| row.0.cmp(&key)).ok()?;
        let (_, segment, index) = self.rows[i];
        Some(Location {
            segment_key: self.segments[segment as usize].clone(),
            index,
        })
    }
}

fn prefix(hash: &ObjectHash) -> u128 {
    u128::from_be_bytes(hash.as_bytes()[..16].try_into().expect("16 bytes"))
}

impl Previous {
    /// The previous snapshot, its head read and authenticated.
    pub async fn open(vault: Vault, org: &OrgId, snapshot: &SnapshotId) -> Result<Self, SnapshotError> {
        let stored = StoredManifest::open(&vault, org, snapshot).await?;
        Ok(Self {
            vault,
            stored,
            tables: tokio::sync::Mutex::new(HashMap::new()),
            proofs: Mutex::new(HashMap::new()),
        })
    }

    /// Whether every part of the previous snapshot's manifest opens (read one at a time).
    pub async fn check_parts(&self) -> Result<(), SnapshotError> {
        self.stored.check_parts(&self.vault).await
    }

    pub fn snapshot_id(&self) -> &SnapshotId {
        &self.stored.head().snapshot_id
    }

    /// When the previous snapshot's job started (RFC 3339).
    pub fn created_at(&self) -> &str {
        &self.stored.head().created_at
    }

    /// The ids of `category`'s objects in the previous snapshot, a few dozen bytes an object. Read a part at a
    /// time, straight into the set: a million users' entries whole (about 260 bytes each) would not fit a Lambda.
    pub async fn ids(&self, category: &str) -> Result<SortedIds, SnapshotError> {
        let parts = self.backed_up(category).map_or(0, |c| c.parts.len());
        let mut ids: Vec<Box<str>> = Vec::new();
        for n in 0..parts {
            let part = self.part(category, n).await?;
            ids.extend(part.entries.into_iter().map(|e| e.id.into_boxed_str()));
        }
        Ok(SortedIds::from_ids(ids))
    }

    /// The category as the previous snapshot recorded it, if it was backed up (not skipped).
    pub fn backed_up(&self, category: &str) -> Option<&CategoryHead> {
        self.stored.category(category).filter(|c| c.skipped.is_none())
    }

    /// Whether the previous snapshot could not list `part` (a parent's id or a pass) of `category` completely.
    pub fn lacks(&self, category: &str, part: &str) -> bool {
        self.stored
            .category(category)
            .is_some_and(|c| c.incomplete.iter().any(|i| i.part == part))
    }

    async fn part(&self, category: &str, n: usize) -> Result<ManifestPart, SnapshotError> {
        self.stored.part(&self.vault, category, n).await
    }

    /// Where the previous snapshot holds an object of `category` with this content, if it does.
    pub async fn location_of(&self, category: &str, hash: &ObjectHash) -> Result<Option<Location>, SnapshotError> {
        let table = {
            let mut tables = self.tables.lock().await;
            match tables.get(category) {
                Some(table) => table.clone(),
                None => {
                    let table = Arc::new(self.hash_table(category).await?);
                    tables.insert(category.to_owned(), table.clone());
                    table
                }
            }
        };
        Ok(table.find(hash))
    }

    async fn hash_table(&self, category: &str) -> Result<HashTable, SnapshotError> {
        let mut table = HashTable {
            rows: Vec::new(),
            segments: Vec::new(),
        };
        let parts = self.backed_up(category).map_or(0, |c| c.parts.len());
        let mut segment_numbers: HashMap<String, u32> = HashMap::new();
        for n in 0..parts {
            let part = self.part(category, n).await?;
            table.rows.reserve(part.entries.len());
            for entry in &part.entries {
                let key = part.segment_key(entry);
                let segment = match segment_numbers.get(key) {
                    Some(&s) => s,
                    None => {
                        table.segments.push(key.to_owned());
                        let s = (table.segments.len() - 1) as u32;
                        segment_numbers.insert(key.to_owned(), s);
                        s
                    }
                };
                table.rows.push((prefix(&entry.hash), segment, entry.index));
            }
        }
        table.rows.sort_unstable_by_key(|row| row.0);
        table.rows.dedup_by_key(|row| row.0);
        table.rows.shrink_to_fit();
        Ok(table)
    }

    /// A walk over `category`'s entries in id order.
    pub fn walker(self: &Arc<Self>, category: &str) -> PartWalker {
        PartWalker {
            previous: self.clone(),
            category: category.to_owned(),
            part: None,
            next_part: 0,
            position: 0,
        }
    }

    /// Whether the object with `hash` really is at `at`: its segment exists, opens, and holds that hash at that
    /// index. Each segment is read once per process; a segment that is missing or does not open proves nothing.
    pub async fn proves(&self, org: &OrgId, at: &Location, hash: &ObjectHash) -> bool {
        let known = self.proofs.lock().expect("proofs lock").get(&at.segment_key).cloned();
        let proof = match known {
            Some(proof) => proof,
            None => {
                let proof = Arc::new(match self.vault.read_segment(org, &at.segment_key).await {
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

/// A forward walk over a category of the previous snapshot, in id order, holding one part at a time.
pub struct PartWalker {
    previous: Arc<Previous>,
    category: String,
    part: Option<ManifestPart>,
    /// The part to read when the current one is used up.
    next_part: usize,
    /// The next entry of the current part.
    position: usize,
}

impl PartWalker {
    /// Moves to the first entry at `id` or after it (never backwards), reading only the parts it needs.
    pub async fn seek(&mut self, id: &str) -> Result<(), SnapshotError> {
        let Some(head) = self.previous.backed_up(&self.category) else {
            return Ok(());
        };
        // Skip whole parts that end before `id`, without reading them.
        let first = head.first_part_from(id);
        let in_current = self
            .part
            .as_ref()
            .and_then(|p| p.entries.last())
            .is_some_and(|last| id_order(&last.id, id) != std::cmp::Ordering::Less);
        if !in_current && first >= self.next_part {
            self.part = None;
            self.next_part = first;
        }
        loop {
            if self.part.is_none() {
                if self.next_part >= head.parts.len() {
                    return Ok(());
                }
                self.part = Some(self.previous.part(&self.category, self.next_part).await?);
                self.next_part += 1;
                self.position = 0;
            }
            let part = self.part.as_ref().expect("read above");
            self.position = self.position.max(part.position_from(id));
            if self.position < part.entries.len() {
                return Ok(());
            }
            self.part = None;
        }
    }

    /// The entries from here while `keep` says so, moving past them.
    pub async fn take_while(&mut self, keep: impl Fn(&str) -> bool) -> Result<Vec<PreviousEntry>, SnapshotError> {
        let mut out = Vec::new();
        let Some(head) = self.previous.backed_up(&self.category) else {
            return Ok(out);
        };
        loop {
            if self.part.is_none() {
                if self.next_part >= head.parts.len() {
                    return Ok(out);
                }
                self.part = Some(self.previous.part(&self.category, self.next_part).await?);
                self.next_part += 1;
                self.position = 0;
            }
            let part = self.part.as_ref().expect("read above");
            while let Some(entry) = part.entries.get(self.position) {
                if !keep(&entry.id) {
                    return Ok(out);
                }
                out.push(PreviousEntry {
                    id: entry.id.clone(),
                    hash: entry.hash,
                    last_updated: entry.last_updated.clone(),
                    at: Location {
                        segment_key: part.segment_key(entry).to_owned(),
                        index: entry.index,
                    },
                });
                self.position += 1;
            }
            self.part = None;
        }
    }
}

/// The parent id inside a child's id: the child's id is `<parent>/<own id>`, or the parent's id itself for
/// one-per-parent objects.
pub fn parent_of<'a>(category: &Category, child_id: &'a str) -> &'a str {
    match category.keep {
        Keep::OnePerParent { .. } => child_id,
        _ => child_id.rsplit_once('/').map_or(child_id, |(parent, _)| parent),
    }
}

/// What the previous snapshot held for one parent of a per-parent category: the parent itself (for a
/// category whose parent is a category of its own) and its children.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub before: Option<PreviousEntry>,
    pub children: Vec<PreviousEntry>,
}

/// The previous snapshot's per-parent category, parent by parent. Parents are asked for in increasing id order
/// (the order a backup lists them in), so the walks only move forward; what was read ahead for a parent (the
/// batch logic looks ahead for parents whose children can be carried) is kept until the parent is done.
pub struct PreviousChildren {
    category: &'static Category,
    parents: Option<PartWalker>,
    children: PartWalker,
    known: BTreeMap<String, Known>,
}

impl PreviousChildren {
    /// `category`'s previous children, and its parents' previous objects when `with_parents`; `None` when the
    /// previous snapshot did not back the category up.
    pub fn new(previous: &Arc<Previous>, category: &'static Category, with_parents: bool) -> Option<Self> {
        previous.backed_up(category.name)?;
        let parents = match (with_parents, category.parent()) {
            (true, Some(parent)) if previous.backed_up(parent.name).is_some() => Some(previous.walker(parent.name)),
            _ => None,
        };
        Some(Self {
            category,
            parents,
            children: previous.walker(category.name),
            known: BTreeMap::new(),
        })
    }

    /// What the previous snapshot held for the parent `query_id` (a parent's id, or `<parent>/<name>`).
    pub async fn of(&mut self, query_id: &str) -> Result<&Known, SnapshotError> {
        if !self.known.contains_key(query_id) {
            let before = match &mut self.parents {
                Some(parents) => {
                    parents.seek(query_id).await?;
                    parents.take_while(|id| id == query_id).await?.pop()
                }
                None => None,
            };
            self.children.seek(query_id).await?;
            let category = self.category;
            let children = self
                .children
                .take_while(|id| parent_of(category, id) == query_id)
                .await?;
            self.known.insert(query_id.to_owned(), Known { before, children });
        }
        Ok(&self.known[query_id])
    }

    /// Drops what was read for parents up to `query_id`: they are done.
    pub fn done_through(&mut self, query_id: &str) {
        self.known
            .retain(|id, _| id_order(id, query_id) == std::cmp::Ordering::Greater);
    }
}
