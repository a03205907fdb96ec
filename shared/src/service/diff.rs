//! What changed between two snapshots of an org, or between a snapshot and the live org, per category, at
//! attribute level: objects added, removed and changed (with each changed attribute). Both snapshots are walked in
//! id order a part at a time, and only objects whose content differs are read. The live org is read as a backup
//! reads it ([`super::live`]), so an object nobody changed compares equal to its snapshot version.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::ServiceError;
use super::live::{self, LiveCategory};
use crate::categories::{self, Category};
use crate::compare::{self, Change};
use crate::ids::{OrgId, SnapshotId};
use crate::okta::OktaClient;
use crate::ports::SnapshotRecord;
use crate::snapshot::CanonicalObject;
use crate::snapshot::walk::{Paired, PairedEntries};
use crate::snapshot::{SnapshotError, SnapshotReader, Vault, id_order};

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
    let mut names: Vec<&String> = categories::in_catalog_order(
        before
            .head()
            .categories
            .keys()
            .chain(after.head().categories.keys())
            .map(|name| (name, ())),
    )
    .into_iter()
    .map(|(name, ())| name)
    .collect();
    names.dedup();
    let mut out = SnapshotDiff {
        from: from.snapshot_id.clone(),
        to: to.snapshot_id.clone(),
        categories: Vec::new(),
    };
    for name in names {
        if categories::find(name).is_some_and(|c| c.is_event_log()) {
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
    let mut pairs = PairedEntries::new(Some(before), after, category);
    while let Some(pair) = pairs.next().await? {
        match pair {
            Paired::Removed(old) => out.removed.push(old.id),
            Paired::Added(new) => out.added.push(new.id),
            Paired::Both(old, new) if old.hash != new.hash => {
                let (was, now) = (
                    before.object(category, &old.id).await?,
                    after.object(category, &new.id).await?,
                );
                if let (Some(was), Some(now)) = (was, now) {
                    out.changed.push(ObjectDiff {
                        id: old.id,
                        changes: compare::diff(&was, &now),
                    });
                }
            }
            Paired::Both(..) => {}
        }
    }
    Ok(out)
}

impl fmt::Display for SnapshotDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.categories.is_empty() {
            return writeln!(f, "No differences from {} to {}.", self.from, self.to);
        }
        writeln!(f, "From {} to {}:", self.from, self.to)?;
        write_categories(f, &self.categories)
    }
}

fn write_categories(f: &mut fmt::Formatter<'_>, categories: &[CategoryDiff]) -> fmt::Result {
    for c in categories {
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

/// What the live org added, removed and changed since a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct LiveDiff {
    pub snapshot: SnapshotId,
    pub org: OrgId,
    /// Only categories with a difference, in catalog order.
    pub categories: Vec<CategoryDiff>,
    /// Categories that could not be read from the live org, with why: not compared.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<NotCompared>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotCompared {
    pub category: String,
    pub reason: String,
}

/// The differences from `snapshot` to the live org `client` reaches, for `only` categories (default: every
/// category the snapshot holds, but the System Log). The live org must be the snapshot's.
pub async fn diff_live(
    vault: &Vault,
    snapshot: &SnapshotRecord,
    client: &OktaClient,
    only: &[String],
) -> Result<LiveDiff, ServiceError> {
    let reader = SnapshotReader::open(vault.clone(), &snapshot.org_id, &snapshot.snapshot_id).await?;
    let wanted = live_categories(&reader, only)?;
    let mut live = live::read(client, &wanted).await?;
    let mut out = LiveDiff {
        snapshot: snapshot.snapshot_id.clone(),
        org: snapshot.org_id.clone(),
        categories: Vec::new(),
        not_compared: Vec::new(),
    };
    for category in wanted {
        match live.remove(category.name) {
            Some(LiveCategory::Read(objects)) => {
                let diff = diff_with_live(&reader, category.name, objects).await?;
                if !(diff.added.is_empty() && diff.removed.is_empty() && diff.changed.is_empty()) {
                    out.categories.push(diff);
                }
            }
            Some(LiveCategory::Unavailable(reason)) => out.not_compared.push(NotCompared {
                category: category.name.to_owned(),
                reason,
            }),
            None => {}
        }
    }
    Ok(out)
}

/// The rows to compare, in catalog order: `only`, or every category of the snapshot; never the System Log.
fn live_categories(reader: &SnapshotReader, only: &[String]) -> Result<Vec<&'static Category>, ServiceError> {
    for name in only {
        match categories::find(name) {
            None => {
                return Err(ServiceError::Invalid(format!(
                    "{name:?} is not a category; `oktavault ls SNAPSHOT` lists them"
                )));
            }
            Some(c) if c.is_event_log() => {
                return Err(ServiceError::Invalid(format!(
                    "{name} is a log, not a state: each snapshot holds the events of its own window, so it has no live \
                     version to compare"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(categories::CATEGORIES
        .iter()
        .filter(|c| !c.is_event_log())
        .filter(|c| match only.is_empty() {
            true => reader.head().categories.contains_key(c.name),
            false => only.iter().any(|n| n == c.name),
        })
        .collect())
}

async fn diff_with_live(
    reader: &SnapshotReader,
    category: &str,
    mut live: BTreeMap<String, CanonicalObject>,
) -> Result<CategoryDiff, SnapshotError> {
    let mut out = CategoryDiff {
        category: category.to_owned(),
        ..CategoryDiff::default()
    };
    let mut entries = reader.entries(category);
    while let Some(old) = entries.next().await? {
        let Some(now) = live.remove(&old.id) else {
            out.removed.push(old.id.clone());
            continue;
        };
        if old.hash == now.hash {
            continue;
        }
        let Some(was) = reader.object(category, &old.id).await? else {
            continue;
        };
        let now: Value = serde_json::from_slice(&now.bytes).expect("a kept object is JSON");
        out.changed.push(ObjectDiff {
            id: old.id.clone(),
            changes: compare::diff(&was, &now),
        });
    }
    out.added = live.into_keys().collect();
    out.added.sort_by(|a, b| id_order(a, b));
    Ok(out)
}

impl fmt::Display for LiveDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.categories.is_empty() {
            writeln!(f, "No differences from {} to the live org {}.", self.snapshot, self.org)?;
        } else {
            writeln!(f, "From {} to the live org {}:", self.snapshot, self.org)?;
            write_categories(f, &self.categories)?;
        }
        for c in &self.not_compared {
            writeln!(f, "  {}: not compared: {}", c.category, c.reason)?;
        }
        Ok(())
    }
}
