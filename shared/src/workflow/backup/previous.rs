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
#[derive(Debug, Default)]
struct HashTable {
    rows: Vec<(u128, u32, u32)>,
    segments: Vec<String>,
    /// Segment key -> its number in `segments`, while the table is built.
    numbers: HashMap<String, u32>,
}

impl HashTable {
    fn add(&mut self, hash: &ObjectHash, segment_key: &str, index: u32) {
        let segment = match self.numbers.get(segment_key) {
            Some(&s) => s,
            None => {
                self.segments.push(segment_key.to_owned());
                let s = (self.segments.len() - 1) as u32;
                self.numbers.insert(segment_key.to_owned(), s);
                s
            }
        };
        self.rows.push((prefix(hash), segment, index));
    }

    /// Done adding: sorted for [`HashTable::find`].
    fn seal(&mut self) {
        self.rows.sort_unstable_by_key(|row| row.0);
        self.rows.dedup_by_key(|row| row.0);
        self.rows.shrink_to_fit();
        self.numbers = HashMap::new();
    }

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
        let mut ids: Vec<Box<str>> = Vec::new();
        for n in 0..self.part_count(category) {
            let part = self.part(category, n).await?;
            ids.extend(part.entries.into_iter().map(|e| e.id.into_boxed_str()));
        }
        Ok(SortedIds::from_ids(ids))
    }

    /// How many manifest parts hold `category` (none when it was not backed up).
    fn part_count(&self, category: &str) -> usize {
        self.backed_up(category).map_or(0, |c| c.parts.len())
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
        let mut table = HashTable::default();
        for n in 0..self.part_count(category) {
            let part = self.part(category, n).await?;
            table.rows.reserve(part.entries.len());
            for entry in &part.entries {
                table.add(&entry.hash, part.segment_key(entry), entry.index);
            }
        }
        table.seal();
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
        self.walk_while(keep, |entry| {
            out.push(entry);
            true
        })
        .await?;
        Ok(out)
    }

    /// Moves past the entries from here while `belongs` says so, handing each to `each` until it answers false
    /// (the walk then stops at the entry after it). Holds one part at a time.
    async fn walk_while(
        &mut self,
        belongs: impl Fn(&str) -> bool,
        mut each: impl FnMut(PreviousEntry) -> bool,
    ) -> Result<(), SnapshotError> {
        let Some(head) = self.previous.backed_up(&self.category) else {
            return Ok(());
        };
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
            while let Some(entry) = part.entries.get(self.position) {
                if !belongs(&entry.id) {
                    return Ok(());
                }
                self.position += 1;
                let go_on = each(PreviousEntry {
                    id: entry.id.clone(),
                    hash: entry.hash,
                    last_updated: entry.last_updated.clone(),
                    at: Location {
                        segment_key: part.segment_key(entry).to_owned(),
                        index: entry.index,
                    },
                });
                if !go_on {
                    return Ok(());
                }
            }
            self.part = None;
        }
    }

    /// Where the walk stands: the part and the entry in it, for [`PartWalker::walk_from`].
    fn mark(&self) -> (usize, usize) {
        match self.part {
            Some(_) => (self.next_part - 1, self.position),
            None => (self.next_part, 0),
        }
    }

    /// A new walk over the same category from a [`PartWalker::mark`] (reading that part again).
    async fn walk_from(&self, (part, position): (usize, usize)) -> Result<PartWalker, SnapshotError> {
        let mut walker = self.previous.walker(&self.category);
        if part < self.previous.part_count(&self.category) {
            walker.part = Some(self.previous.part(&self.category, part).await?);
            walker.next_part = part + 1;
            walker.position = position;
        }
        Ok(walker)
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
    children: Children,
}

/// A parent's previous children: held when there are few (almost every parent), walked again on demand when there
/// are more than a carried page holds (a group of every user), so a BackupPage holds one part of them at a time.
#[derive(Debug, Clone)]
enum Children {
    Held(Vec<PreviousEntry>),
    /// Where they start in the category's parts; `table` finds one by content once a listing asked.
    Walked {
        from: (usize, usize),
        table: Option<Arc<HashTable>>,
    },
}

impl Default for Children {
    fn default() -> Self {
        Children::Held(Vec::new())
    }
}

/// The previous snapshot's per-parent category, parent by parent. Parents are asked for in increasing id order
/// (the order a backup lists them in), so the walks only move forward; what was read ahead for a parent (the
/// batch logic looks ahead for parents whose children can be carried) is kept until the parent is done.
pub struct PreviousChildren {
    category: &'static Category,
    parents: Option<PartWalker>,
    children: PartWalker,
    known: BTreeMap<String, Known>,
    /// Children of one parent held in memory, at most; a parent with more is walked again when asked.
    held: usize,
}

impl PreviousChildren {
    /// `category`'s previous children, and its parents' previous objects when `with_parents`; `None` when the
    /// previous snapshot did not back the category up. A parent's children are held when there are at most `held`
    /// (a carried page's worth), else walked again from the store when asked.
    pub fn new(previous: &Arc<Previous>, category: &'static Category, with_parents: bool, held: usize) -> Option<Self> {
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
            held,
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
            let belongs = |id: &str| parent_of(category, id) == query_id;
            let from = self.children.mark();
            let mut held = Vec::new();
            let limit = self.held;
            self.children
                .walk_while(belongs, |entry| {
                    held.push(entry);
                    held.len() <= limit
                })
                .await?;
            let children = if held.len() <= limit {
                Children::Held(held)
            } else {
                drop(held);
                self.children.walk_while(belongs, |_| true).await?;
                Children::Walked { from, table: None }
            };
            self.known.insert(query_id.to_owned(), Known { before, children });
        }
        Ok(&self.known[query_id])
    }

    /// At most `at_most` of the previous children of `query_id` that `keep` keeps, from the `from`th kept one
    /// on, and whether more kept ones follow.
    pub async fn children(
        &mut self,
        query_id: &str,
        keep: impl Fn(&str) -> bool,
        from: usize,
        at_most: usize,
    ) -> Result<(Vec<PreviousEntry>, bool), SnapshotError> {
        let category = self.category;
        let mut skipped = 0;
        let mut out = Vec::new();
        let mut more = false;
        let mut each = |entry: &PreviousEntry| {
            if !keep(&entry.id) {
                return true;
            }
            if skipped < from {
                skipped += 1;
                return true;
            }
            if out.len() == at_most {
                more = true;
                return false;
            }
            out.push(entry.clone());
            true
        };
        self.of(query_id).await?;
        match &self.known[query_id].children {
            Children::Held(held) => {
                for entry in held {
                    if !each(entry) {
                        break;
                    }
                }
            }
            Children::Walked { from: mark, .. } => {
                let mut walker = self.children.walk_from(*mark).await?;
                walker
                    .walk_while(|id| parent_of(category, id) == query_id, |entry| each(&entry))
                    .await?;
            }
        }
        Ok((out, more))
    }

    /// Where the previous snapshot holds the child `id` of `query_id` with this content, if it does.
    pub async fn location(
        &mut self,
        query_id: &str,
        id: &str,
        hash: &ObjectHash,
    ) -> Result<Option<Location>, SnapshotError> {
        self.of(query_id).await?;
        let category = self.category;
        let known = self.known.get_mut(query_id).expect("read above");
        match &mut known.children {
            Children::Held(held) => Ok(held
                .iter()
                .find(|e| e.id == id && &e.hash == hash)
                .map(|e| e.at.clone())),
            Children::Walked { from, table } => {
                if table.is_none() {
                    // By content, like a list category: 24 bytes a child, built once per parent.
                    let mut built = HashTable::default();
                    let mut walker = self.children.walk_from(*from).await?;
                    walker
                        .walk_while(
                            |child| parent_of(category, child) == query_id,
                            |entry| {
                                built.add(&entry.hash, &entry.at.segment_key, entry.at.index);
                                true
                            },
                        )
                        .await?;
                    built.seal();
                    *table = Some(Arc::new(built));
                }
                Ok(table.as_ref().expect("built above").find(hash))
            }
        }
    }

    /// Drops what was read for parents up to `query_id`: they are done.
    pub fn done_through(&mut self, query_id: &str) {
        self.known
            .retain(|id, _| id_order(id, query_id) == std::cmp::Ordering::Greater);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::find;
    use crate::ids::JobId;
    use crate::local::{LocalBlobStore, LocalKeyProvider};
    use crate::snapshot::{CategoryManifest, Manifest, ManifestEntry, PART_ENTRIES};

    const SEGMENT: &str = "orgs/acme/segments/s1/group_members/00000000";

    fn member(group: &str, n: usize) -> ManifestEntry {
        let mut hash = [0u8; 32];
        hash[..8].copy_from_slice(&(n as u64).to_be_bytes());
        hash[8] = group.len() as u8 + group.as_bytes()[3];
        ManifestEntry {
            id: format!("{group}/00u{n:07}"),
            hash: ObjectHash(hash),
            last_updated: None,
            segment: 0,
            index: n as u32,
        }
    }

    /// Groups 00g0 (1 member), 00gA (more members than a manifest part holds) and 00gB (2), stored as the
    /// previous snapshot.
    async fn previous(dir: &std::path::Path, big: usize) -> Arc<Previous> {
        let vault = Vault::new(
            Arc::new(LocalBlobStore::open(dir.join("blobs")).unwrap()),
            Arc::new(LocalKeyProvider::open(dir.join("master.key")).unwrap()),
        );
        let org = OrgId::new("acme").unwrap();
        let mut entries = vec![member("00g0", 0)];
        entries.extend((0..big).map(|n| member("00gA", n)));
        entries.extend((0..2).map(|n| member("00gB", n)));
        let manifest = Manifest {
            format_version: 2,
            org_id: org.clone(),
            snapshot_id: SnapshotId::new("s1").unwrap(),
            job_id: JobId::new("j1").unwrap(),
            created_at: "2026-11-23T10:00:00Z".into(),
            previous: None,
            segments: vec![SEGMENT.into()],
            categories: BTreeMap::from([(
                "group_members".into(),
                CategoryManifest {
                    entries,
                    ..CategoryManifest::default()
                },
            )]),
        };
        let key = vault.new_sealing_key(&org, &manifest.snapshot_id).await.unwrap();
        vault.write_manifest(&key, &manifest).await.unwrap();
        Arc::new(Previous::open(vault, &org, &manifest.snapshot_id).await.unwrap())
    }

    fn ids(entries: &[PreviousEntry]) -> Vec<String> {
        entries.iter().map(|e| e.id.clone()).collect()
    }

    #[tokio::test]
    async fn a_parent_with_more_children_than_are_held_is_walked_again_a_run_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let big = PART_ENTRIES + 5;
        let previous = previous(dir.path(), big).await;
        let category = find("group_members").unwrap();
        let mut history = PreviousChildren::new(&previous, category, false, 10).unwrap();

        let (small, more) = history.children("00g0", |_| true, 0, 100).await.unwrap();
        assert_eq!((ids(&small), more), (vec!["00g0/00u0000000".to_owned()], false));
        assert!(matches!(history.of("00g0").await.unwrap().children, Children::Held(_)));

        let (first, more) = history.children("00gA", |_| true, 0, 20_000).await.unwrap();
        assert!(matches!(
            history.of("00gA").await.unwrap().children,
            Children::Walked { .. }
        ));
        assert_eq!((first.len(), more), (20_000, true));
        assert_eq!(first[0].id, "00gA/00u0000000");
        // The last run crosses into the second manifest part and ends with the group.
        let (last, more) = history.children("00gA", |_| true, 40_000, 20_000).await.unwrap();
        assert_eq!((last.len(), more), (big - 40_000, false));
        assert_eq!(last.last().unwrap().id, format!("00gA/00u{:07}", big - 1));
        assert_eq!(last.last().unwrap().at.index, (big - 1) as u32);
        // Only what `keep` keeps counts toward `from` and `at_most`.
        let even = |id: &str| id.ends_with(['0', '2', '4', '6', '8']);
        let (kept, more) = history.children("00gA", even, 1, 3).await.unwrap();
        assert_eq!(ids(&kept), ["00gA/00u0000002", "00gA/00u0000004", "00gA/00u0000006"]);
        assert!(more);

        // A walked parent's child is found by content, in either part; a listing of a new one is not.
        let far = member("00gA", big - 2);
        let at = history.location("00gA", &far.id, &far.hash).await.unwrap().unwrap();
        assert_eq!((at.segment_key.as_str(), at.index), (SEGMENT, far.index));
        let new = member("00gA", big + 7);
        assert_eq!(history.location("00gA", &new.id, &new.hash).await.unwrap(), None);

        // The walk moved past the big group: the next parent is read as it should be.
        let (after, more) = history.children("00gB", |_| true, 0, 100).await.unwrap();
        assert_eq!(ids(&after), ["00gB/00u0000000", "00gB/00u0000001"]);
        assert!(!more);
        let held = member("00gB", 1);
        let at = history.location("00gB", &held.id, &held.hash).await.unwrap().unwrap();
        assert_eq!(at.index, 1);
    }
}
