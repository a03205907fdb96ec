//! What changed between two snapshots of an org, per category, at attribute level: objects added, removed and
//! changed (with each changed attribute). Both snapshots are walked in id order a part at a time, and only
//! objects whose content differs are read.

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

use crate::categories::{self, Source};
use crate::compare::{self, Change};
use crate::ids::SnapshotId;
use crate::ports::SnapshotRecord;
use crate::snapshot::{ManifestEntry, SnapshotError, SnapshotReader, Vault, id_order};

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotDiff {
    pub from: SnapshotId,
    pub to: SnapshotId,
    /// Only categories with a difference, in catalog order.
    pub categories: Vec<CategoryDiff>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CategoryDiff {
    pub category: String,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<ObjectDiff>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectDiff {
    pub id: String,
    pub changes: Vec<Change>,
}

/// The differences from snapshot `from` to snapshot `to` (of one org). The System Log is left out: each snapshot
/// holds the events of its own window, not a state.
pub async fn diff_snapshots(
    vault: &Vault,
    from: &SnapshotRecord,
    to: &SnapshotRecord,
) -> Result<SnapshotDiff, SnapshotError> {
    let before = SnapshotReader::open(vault.clone(), &from.org_id, &from.snapshot_id).await?;
    let after = SnapshotReader::open(vault.clone(), &to.org_id, &to.snapshot_id).await?;
    let mut names: Vec<&String> = before
        .head()
        .categories
        .keys()
        .chain(after.head().categories.keys())
        .collect();
    names.sort_by_key(|n| {
        categories::CATEGORIES
            .iter()
            .position(|c| c.name == n.as_str())
            .unwrap_or(usize::MAX)
    });
    names.dedup();
    let mut out = SnapshotDiff {
        from: from.snapshot_id.clone(),
        to: to.snapshot_id.clone(),
        categories: Vec::new(),
    };
    for name in names {
        if categories::find(name).is_some_and(|c| matches!(c.source, Source::Log { .. })) {
            continue;
        }
        let diff = diff_category(&before, &after, name).await?;
        if !(diff.added.is_empty() && diff.removed.is_empty() && diff.changed.is_empty()) {
            out.categories.push(diff);
        }
    }
    Ok(out)
}

async fn diff_category(
    before: &SnapshotReader,
    after: &SnapshotReader,
    category: &str,
) -> Result<CategoryDiff, SnapshotError> {
    let mut out = CategoryDiff {
        category: category.to_owned(),
        ..CategoryDiff::default()
    };
    let mut a = Entries::new(before, category);
    let mut b = Entries::new(after, category);
    let (mut x, mut y) = (a.next().await?, b.next().await?);
    loop {
        match (&x, &y) {
            (None, None) => return Ok(out),
            (Some(old), None) => {
                out.removed.push(old.id.clone());
                x = a.next().await?;
            }
            (None, Some(new)) => {
                out.added.push(new.id.clone());
                y = b.next().await?;
            }
            (Some(old), Some(new)) => match id_order(&old.id, &new.id) {
                Ordering::Less => {
                    out.removed.push(old.id.clone());
                    x = a.next().await?;
                }
                Ordering::Greater => {
                    out.added.push(new.id.clone());
                    y = b.next().await?;
                }
                Ordering::Equal => {
                    if old.hash != new.hash {
                        let (was, now) = (
                            before.object(category, &old.id).await?,
                            after.object(category, &new.id).await?,
                        );
                        if let (Some(was), Some(now)) = (was, now) {
                            out.changed.push(ObjectDiff {
                                id: old.id.clone(),
                                changes: compare::diff(&was, &now),
                            });
                        }
                    }
                    x = a.next().await?;
                    y = b.next().await?;
                }
            },
        }
    }
}

/// A category's manifest entries in id order, a part at a time.
struct Entries<'a> {
    reader: &'a SnapshotReader,
    category: &'a str,
    part: usize,
    position: usize,
    current: Option<std::sync::Arc<crate::snapshot::ManifestPart>>,
}

impl<'a> Entries<'a> {
    fn new(reader: &'a SnapshotReader, category: &'a str) -> Self {
        Self {
            reader,
            category,
            part: 0,
            position: 0,
            current: None,
        }
    }

    async fn next(&mut self) -> Result<Option<ManifestEntry>, SnapshotError> {
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

impl fmt::Display for SnapshotDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.categories.is_empty() {
            return writeln!(f, "No differences from {} to {}.", self.from, self.to);
        }
        writeln!(f, "From {} to {}:", self.from, self.to)?;
        for c in &self.categories {
            writeln!(
                f,
                "  {}: {} added, {} removed, {} changed",
                c.category,
                c.added.len(),
                c.removed.len(),
                c.changed.len()
            )?;
            for id in &c.added {
                writeln!(f, "    + {id}")?;
            }
            for id in &c.removed {
                writeln!(f, "    - {id}")?;
            }
            for object in &c.changed {
                writeln!(f, "    ~ {}", object.id)?;
                for change in &object.changes {
                    writeln!(f, "        {change}")?;
                }
            }
        }
        Ok(())
    }
}
