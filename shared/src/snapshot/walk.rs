//! Walking a category's manifest entries in id order, a part at a time, alone or side by side with another
//! snapshot's. Only hashes are compared here; objects are read by whoever needs their content, so the timeline,
//! `diff` and the search index all see the same pairing of two snapshots and read no more than they must.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::{ManifestEntry, ManifestHead, ManifestPart, SnapshotError, SnapshotReader, id_order};
use crate::categories;
use crate::ports::{ChangeCounts, Lack};

/// A category's manifest entries in id order, a part at a time.
pub struct CategoryEntries<'a> {
    reader: Option<&'a SnapshotReader>,
    category: &'a str,
    part: usize,
    position: usize,
    current: Option<Arc<ManifestPart>>,
}

impl<'a> CategoryEntries<'a> {
    /// The entries of `category` in `reader`; none when `reader` is `None` (no snapshot before the first one).
    pub fn new(reader: Option<&'a SnapshotReader>, category: &'a str) -> Self {
        Self {
            reader,
            category,
            part: 0,
            position: 0,
            current: None,
        }
    }

    pub async fn next(&mut self) -> Result<Option<ManifestEntry>, SnapshotError> {
        let Some(reader) = self.reader else {
            return Ok(None);
        };
        let parts = reader.head().categories.get(self.category).map_or(0, |c| c.parts.len());
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
            self.current = Some(reader.part(self.category, self.part).await?);
            self.part += 1;
            self.position = 0;
        }
    }
}

/// One id of a category, as two snapshots hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paired {
    /// Only the earlier snapshot holds it.
    Removed(ManifestEntry),
    /// Only the later snapshot holds it.
    Added(ManifestEntry),
    /// Both hold it; the hashes say whether it changed.
    Both(ManifestEntry, ManifestEntry),
}

impl Paired {
    /// Held by both with different content.
    pub fn is_changed(&self) -> bool {
        matches!(self, Paired::Both(a, b) if a.hash != b.hash)
    }
}

/// A category of two snapshots side by side, in id order.
pub struct PairedEntries<'a> {
    before: CategoryEntries<'a>,
    after: CategoryEntries<'a>,
    x: Option<ManifestEntry>,
    y: Option<ManifestEntry>,
    started: bool,
}

impl<'a> PairedEntries<'a> {
    pub fn new(before: Option<&'a SnapshotReader>, after: &'a SnapshotReader, category: &'a str) -> Self {
        Self {
            before: CategoryEntries::new(before, category),
            after: CategoryEntries::new(Some(after), category),
            x: None,
            y: None,
            started: false,
        }
    }

    pub async fn next(&mut self) -> Result<Option<Paired>, SnapshotError> {
        if !self.started {
            self.x = self.before.next().await?;
            self.y = self.after.next().await?;
            self.started = true;
        }
        let order = match (&self.x, &self.y) {
            (None, None) => return Ok(None),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(old), Some(new)) => id_order(&old.id, &new.id),
        };
        Ok(Some(match order {
            Ordering::Less => {
                let old = std::mem::replace(&mut self.x, self.before.next().await?);
                Paired::Removed(old.expect("an entry"))
            }
            Ordering::Greater => {
                let new = std::mem::replace(&mut self.y, self.after.next().await?);
                Paired::Added(new.expect("an entry"))
            }
            Ordering::Equal => {
                let old = std::mem::replace(&mut self.x, self.before.next().await?);
                let new = std::mem::replace(&mut self.y, self.after.next().await?);
                Paired::Both(old.expect("an entry"), new.expect("an entry"))
            }
        }))
    }
}

/// Per category of `after`, how many objects were added, removed and changed since `before` (`None`: everything
/// is added), by hash alone. Categories of events (the System Log) are left out, and so is a category `after`
/// skipped. Reads both manifests a part at a time.
pub async fn count_changes(
    before: Option<&SnapshotReader>,
    after: &SnapshotReader,
) -> Result<BTreeMap<String, ChangeCounts>, SnapshotError> {
    let mut out = BTreeMap::new();
    for (name, head) in &after.head().categories {
        if head.skipped.is_some() || categories::find(name).is_some_and(|c| c.is_event_log()) {
            continue;
        }
        let mut counts = ChangeCounts::default();
        let mut pairs = PairedEntries::new(before, after, name);
        while let Some(pair) = pairs.next().await? {
            match pair {
                Paired::Added(_) => counts.added += 1,
                Paired::Removed(_) => counts.removed += 1,
                Paired::Both(a, b) if a.hash != b.hash => counts.changed += 1,
                Paired::Both(..) => {}
            }
        }
        out.insert(name.clone(), counts);
    }
    Ok(out)
}

/// What a snapshot lacks: the categories it skipped and the parts Okta did not list completely, in catalog order.
pub fn lacks(head: &ManifestHead) -> Vec<Lack> {
    let mut out = Vec::new();
    for (name, category) in categories::in_catalog_order(head.categories.iter()) {
        if let Some(reason) = &category.skipped {
            out.push(Lack {
                category: name.clone(),
                part: None,
                reason: reason.clone(),
            });
        }
        out.extend(category.incomplete.iter().map(|i| Lack {
            category: name.clone(),
            part: Some(i.part.clone()),
            reason: i.reason.clone(),
        }));
    }
    out
}
