//! A category's manifest entries side by side with another snapshot's, in id order ([`SnapshotReader::entries`]
//! walks one alone). Only hashes are compared here; objects are read by whoever needs their content, so the timeline,
//! `diff` and the search index all see the same pairing of two snapshots and read no more than they must.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::reader::Entries;
use super::{ManifestEntry, ManifestHead, SnapshotError, SnapshotReader, id_order};
use crate::categories;
use crate::ports::{ChangeCounts, Lack};

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
    before: Option<Entries<'a>>,
    after: Entries<'a>,
    x: Option<ManifestEntry>,
    y: Option<ManifestEntry>,
    started: bool,
}

impl<'a> PairedEntries<'a> {
    pub fn new(before: Option<&'a SnapshotReader>, after: &'a SnapshotReader, category: &'a str) -> Self {
        Self {
            before: before.map(|b| b.entries(category)),
            after: after.entries(category),
            x: None,
            y: None,
            started: false,
        }
    }

    pub async fn next(&mut self) -> Result<Option<Paired>, SnapshotError> {
        if !self.started {
            self.x = self.next_before().await?;
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
                let next = self.next_before().await?;
                let old = std::mem::replace(&mut self.x, next);
                Paired::Removed(old.expect("an entry"))
            }
            Ordering::Greater => {
                let new = std::mem::replace(&mut self.y, self.after.next().await?);
                Paired::Added(new.expect("an entry"))
            }
            Ordering::Equal => {
                let next = self.next_before().await?;
                let old = std::mem::replace(&mut self.x, next);
                let new = std::mem::replace(&mut self.y, self.after.next().await?);
                Paired::Both(old.expect("an entry"), new.expect("an entry"))
            }
        }))
    }
}

impl PairedEntries<'_> {
    async fn next_before(&mut self) -> Result<Option<ManifestEntry>, SnapshotError> {
        match &mut self.before {
            Some(entries) => entries.next().await,
            None => Ok(None),
        }
    }
}

/// Per category of `after`, how many objects were added, removed and changed since `before`, by hash alone. Categories of events (the System Log) are left out, and so is a category `after`
/// skipped. Reads both manifests a part at a time.
pub async fn count_changes(
    before: &SnapshotReader,
    after: &SnapshotReader,
) -> Result<BTreeMap<String, ChangeCounts>, SnapshotError> {
    let mut out = BTreeMap::new();
    for (name, head) in &after.head().categories {
        if head.skipped.is_some() || categories::find(name).is_some_and(|c| c.is_event_log()) {
            continue;
        }
        let mut counts = ChangeCounts::default();
        let mut pairs = PairedEntries::new(Some(before), after, name);
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
