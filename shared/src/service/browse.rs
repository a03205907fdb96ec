//! Browsing one snapshot: its category tree, a category's objects a page at a time, and one object with the
//! objects it points at named (what `oktavault ls`/`show` print and the API's snapshot routes answer).

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::ServiceError;
use crate::categories::{self, Form};
use crate::ids::{OrgId, SnapshotId};
use crate::ports::SnapshotRecord;
use crate::references;
use crate::snapshot::{AsOf, Incomplete, SnapshotReader, Vault, id_order};

/// Objects on one page unless asked otherwise, and at most.
pub const DEFAULT_PAGE: usize = 200;
pub const MAX_PAGE: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct CategoryTree {
    pub snapshot_id: SnapshotId,
    pub org_id: OrgId,
    pub created_at: String,
    pub categories: Vec<CategoryRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryRow {
    pub name: String,
    pub title: String,
    pub objects: usize,
    pub skipped: Option<String>,
    /// What the snapshot lacks of the category: the parts Okta did not list completely, and why.
    pub incomplete: Vec<Incomplete>,
    /// Set when the values were carried from an earlier snapshot, not read by this one (linked-object values
    /// between their reads): the snapshot that read them, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOf>,
}

/// The categories of snapshot `record`, in catalog order, with their counts and what each lacks.
pub async fn category_tree(vault: &Vault, record: &SnapshotRecord) -> Result<CategoryTree, ServiceError> {
    let reader = SnapshotReader::open(vault.clone(), &record.org_id, &record.snapshot_id).await?;
    let categories = categories::in_catalog_order(reader.head().categories.iter())
        .into_iter()
        .map(|(name, c)| CategoryRow {
            name: name.clone(),
            title: categories::find(name).map_or_else(|| name.clone(), |c| c.title.to_owned()),
            objects: c.objects as usize,
            skipped: c.skipped.clone(),
            incomplete: c.incomplete.clone(),
            as_of: c.as_of.clone(),
        })
        .collect();
    Ok(CategoryTree {
        snapshot_id: record.snapshot_id.clone(),
        org_id: record.org_id.clone(),
        created_at: record.created_at.clone(),
        categories,
    })
}

/// A page of a category's objects, in id order.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectList {
    pub snapshot_id: SnapshotId,
    pub category: String,
    /// Objects in the category, all pages together.
    pub total: usize,
    pub objects: Vec<ObjectRow>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectRow {
    pub id: String,
    pub name: String,
}

/// Which objects of a category a page holds: those after the id `after`, at most `limit` of them.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub after: Option<String>,
    pub limit: Option<usize>,
}

/// One page of the objects of `category` in snapshot `record`.
pub async fn object_list(
    vault: &Vault,
    record: &SnapshotRecord,
    category: &str,
    page: &Page,
) -> Result<ObjectList, ServiceError> {
    let limit = match page.limit {
        None => DEFAULT_PAGE,
        Some(n @ 1..=MAX_PAGE) => n,
        Some(n) => {
            return Err(ServiceError::Invalid(format!(
                "a page holds 1 to {MAX_PAGE} objects; {n} were asked for"
            )));
        }
    };
    let reader = SnapshotReader::open(vault.clone(), &record.org_id, &record.snapshot_id).await?;
    if !reader.head().categories.contains_key(category) {
        let known: Vec<_> = reader.head().categories.keys().cloned().collect();
        return Err(ServiceError::NotFound(format!(
            "snapshot {} has no category {category:?}; it has {}",
            record.snapshot_id,
            known.join(", ")
        )));
    }
    // Only the page's objects are opened: parts wholly at or before `after` are skipped by their id range, and
    // reading stops one object past the page. Ids compare as the manifest orders them (`id_order`), so a
    // per-parent id (`parent/child`) pages as it is stored.
    let head = &reader.head().categories[category];
    let total = head.objects as usize;
    let after = page.after.as_deref();
    let past = |id: &str| after.is_none_or(|after| id_order(id, after) == Ordering::Greater);
    let mut rows: Vec<ObjectRow> = Vec::with_capacity(limit + 1);
    'parts: for (n, range) in head.parts.iter().enumerate() {
        if !past(&range.last_id) {
            continue;
        }
        let part = reader.part(category, n).await?;
        for entry in part.entries.iter().filter(|e| past(&e.id)) {
            if rows.len() > limit {
                break 'parts;
            }
            let value = reader.value(category, &part, entry).await?;
            rows.push(ObjectRow {
                name: display_name(&value),
                id: entry.id.clone(),
            });
        }
    }
    let next_after = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        rows.last().map(|r| r.id.clone()).unwrap_or_default()
    });
    Ok(ObjectList {
        snapshot_id: record.snapshot_id.clone(),
        category: category.to_owned(),
        total,
        objects: rows,
        next_after,
    })
}

/// The name a person knows an object by: a user's login, a group's or app's name.
pub fn display_name(value: &Value) -> String {
    [
        "/profile/login",
        "/profile/name",
        "/label",
        "/name",
        "/credentials/userName",
    ]
    .iter()
    .find_map(|pointer| value.pointer(pointer).and_then(Value::as_str))
    .map(str::to_owned)
    .unwrap_or_default()
}

impl fmt::Display for ObjectList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for o in &self.objects {
            writeln!(f, "{:<44} {}", o.id, o.name)?;
        }
        writeln!(
            f,
            "{} objects in {} of snapshot {}",
            self.objects.len(),
            self.category,
            self.snapshot_id
        )?;
        if let Some(after) = &self.next_after {
            writeln!(f, "  more after {after}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectView {
    pub snapshot_id: SnapshotId,
    pub category: String,
    pub id: String,
    pub object: Value,
    /// The objects this one points at, by name, as they were in the same snapshot.
    pub references: Vec<ResolvedReference>,
    /// The objects that hold this one as a child (a user's groups and apps, a group's apps), by name.
    pub held_by: Vec<HeldBy>,
}

/// Objects of `category` that hold the viewed object in their `via` children (a group whose members include a
/// user: `via` is `group_members`).
#[derive(Debug, Clone, Serialize)]
pub struct HeldBy {
    pub via: String,
    pub category: String,
    pub objects: Vec<ObjectRow>,
    /// More hold it than are listed (at most [`HELD_BY_LIMIT`] are).
    pub truncated: bool,
}

/// How many holders of one kind an object page lists.
pub const HELD_BY_LIMIT: usize = 200;

#[derive(Debug, Clone, Serialize)]
pub struct ResolvedReference {
    /// The row's declared path (`actions.assignUserToGroups.groupIds[]`).
    pub field: String,
    /// Where in the object (`/actions/assignUserToGroups/groupIds/0`).
    pub pointer: String,
    pub category: String,
    /// The id as the object holds it (an OAuth client id for a client-id reference).
    pub id: String,
    /// `None` when the snapshot does not hold the object pointed at.
    pub name: Option<String>,
}

/// Object `id` of `category` as snapshot `record` holds it, with what it points at.
pub async fn object_view(
    vault: &Vault,
    record: &SnapshotRecord,
    category: &str,
    id: &str,
) -> Result<ObjectView, ServiceError> {
    let reader = SnapshotReader::open(vault.clone(), &record.org_id, &record.snapshot_id).await?;
    let object = reader.object(category, id).await?.ok_or_else(|| {
        ServiceError::NotFound(format!(
            "no object {id} in {category} of snapshot {}",
            record.snapshot_id
        ))
    })?;
    let references = resolve_references(&reader, category, &object).await?;
    let held_by = held_by(&reader, category, id).await?;
    Ok(ObjectView {
        snapshot_id: record.snapshot_id.clone(),
        category: category.to_owned(),
        id: id.to_owned(),
        object,
        references,
        held_by,
    })
}

/// Every per-parent category whose children point at `category` (memberships, assignments) names its entries
/// `<parent>/<child>`: the parents of the entries whose child is `id` hold the object. Only the manifest's ids
/// are read for the scan, then the holders' names.
async fn held_by(reader: &SnapshotReader, category: &str, id: &str) -> Result<Vec<HeldBy>, ServiceError> {
    let mut held = Vec::new();
    for row in categories::CATEGORIES {
        let categories::Source::PerParent { parent, .. } = row.source else {
            continue;
        };
        let points_here = row
            .references
            .iter()
            .any(|r| matches!(r.target, categories::Target::Category { name } if name == category && name != parent));
        if !points_here || !reader.head().categories.contains_key(row.name) {
            continue;
        }
        let suffix = format!("/{id}");
        let mut parents = Vec::new();
        let mut truncated = false;
        let mut entries = reader.entries(row.name);
        while let Some(entry) = entries.next().await? {
            let Some(parent_id) = entry.id.strip_suffix(&suffix) else {
                continue;
            };
            if parents.len() == HELD_BY_LIMIT {
                truncated = true;
                break;
            }
            parents.push(parent_id.to_owned());
        }
        if parents.is_empty() {
            continue;
        }
        let mut objects = Vec::with_capacity(parents.len());
        for parent_id in parents {
            let name = reader.object(parent, &parent_id).await?.as_ref().map(display_name);
            objects.push(ObjectRow {
                name: name.unwrap_or_else(|| parent_id.clone()),
                id: parent_id,
            });
        }
        held.push(HeldBy {
            via: row.name.to_owned(),
            category: parent.to_owned(),
            objects,
            truncated,
        });
    }
    Ok(held)
}

/// Names every object `object` points at, as the catalog's references find them (the same extraction a restore
/// remaps), from the same snapshot.
async fn resolve_references(
    reader: &SnapshotReader,
    category: &str,
    object: &Value,
) -> Result<Vec<ResolvedReference>, ServiceError> {
    let Some(row) = categories::find(category) else {
        return Ok(Vec::new());
    };
    let mut apps_by_client_id: Option<Vec<(String, Value)>> = None;
    let mut resolved = Vec::new();
    for found in references::extract(row, object) {
        let target = match found.form {
            Form::ClientId => {
                if apps_by_client_id.is_none() {
                    apps_by_client_id = Some(reader.objects(found.category).await?);
                }
                apps_by_client_id
                    .iter()
                    .flatten()
                    .find(|(_, app)| references::client_id_of(app) == Some(found.id.as_str()))
                    .map(|(_, app)| app.clone())
            }
            _ => reader.object(found.category, &found.id).await?,
        };
        resolved.push(ResolvedReference {
            field: found.field.to_owned(),
            pointer: found.pointer,
            category: found.category.to_owned(),
            id: found.id,
            name: target.as_ref().map(display_name),
        });
    }
    Ok(resolved)
}

impl fmt::Display for ObjectView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {} (snapshot {})", self.category, self.id, self.snapshot_id)?;
        for r in &self.references {
            let name = r.name.as_deref().unwrap_or("(not in this snapshot)");
            writeln!(f, "  {} -> {} {} {name}", r.pointer, r.category, r.id)?;
        }
        writeln!(
            f,
            "{}",
            serde_json::to_string_pretty(&self.object).map_err(|_| fmt::Error)?
        )
    }
}

impl fmt::Display for CategoryTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Snapshot {} of {} ({})",
            self.snapshot_id, self.org_id, self.created_at
        )?;
        let (width, title) = (categories::name_width(), categories::title_width());
        for c in &self.categories {
            match &c.skipped {
                Some(reason) => writeln!(f, "  {:<width$} {:<title$} skipped: {reason}", c.name, c.title)?,
                None => writeln!(f, "  {:<width$} {:<title$} {:>8}", c.name, c.title, c.objects)?,
            }
            if let Some(as_of) = &c.as_of {
                writeln!(
                    f,
                    "  {:<width$} as of {} (snapshot {}): carried, not read again by this snapshot",
                    "", as_of.read_at, as_of.snapshot_id
                )?;
            }
            if !c.incomplete.is_empty() {
                writeln!(
                    f,
                    "  {:<width$} incomplete: {} part(s) could not be listed; the next backup lists them again",
                    "",
                    c.incomplete.len()
                )?;
                for gap in &c.incomplete {
                    writeln!(f, "  {:<width$}   {}: {}", "", gap.part, gap.reason)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::sync::atomic::Ordering as Atomic;

    use serde_json::json;

    use super::*;
    use crate::ids::JobId;
    use crate::ports::{BackupTrigger, JobStatus};
    use crate::snapshot::tests::fakes::{MasterKeyProvider, MemoryStore};
    use crate::snapshot::{CanonicalObject, Location, ManifestWriter};

    /// 20 users written as a backup writes them: five pages of four, a segment each.
    async fn snapshot(store: Arc<MemoryStore>) -> (Vault, SnapshotRecord) {
        let vault = Vault::new(store, Arc::new(MasterKeyProvider::new()));
        let org = OrgId::new("acme.okta.com").unwrap();
        let id = SnapshotId::new("20261128T120000Z-0001").unwrap();
        let key = vault.new_sealing_key(&org, &id).await.unwrap();
        let mut writer = ManifestWriter::new(
            &vault,
            &key,
            JobId::new("job-1").unwrap(),
            "2026-11-28T12:00:00Z".into(),
            None,
        );
        writer.begin("users", Vec::new()).await.unwrap();
        for page in 0..5u32 {
            let objects: Vec<CanonicalObject> = (0..4)
                .map(|i| {
                    let n = page * 4 + i;
                    let user = json!({"id": format!("00u{n:02}"), "profile": {"login": format!("u{n:02}@acme.test")}});
                    CanonicalObject::new(format!("00u{n:02}"), None, &user)
                })
                .collect();
            let segment = vault.write_page_segment(&key, "users", page, &objects).await.unwrap();
            for (index, o) in objects.iter().enumerate() {
                let at = Location {
                    segment_key: segment.clone(),
                    index: index as u32,
                };
                writer.push(o.id.clone(), o.hash, None, &at).await.unwrap();
            }
        }
        let manifest_key = writer.finish().await.unwrap();
        let record = SnapshotRecord {
            snapshot_id: id,
            org_id: org,
            job_id: JobId::new("job-1").unwrap(),
            created_at: "2026-11-28T12:00:00Z".into(),
            manifest_key,
            counts: BTreeMap::new(),
            status: JobStatus::Completed,
            full_refresh: true,
            previous: None,
            changes: None,
            lacks: Vec::new(),
            trigger: BackupTrigger::Manual,
            as_of: BTreeMap::new(),
        };
        (vault, record)
    }

    #[tokio::test]
    async fn a_page_of_objects_opens_only_the_segments_its_objects_are_in_and_pages_reach_every_object_once() {
        let store = Arc::new(MemoryStore::default());
        let (vault, record) = snapshot(store.clone()).await;
        let page = |after: Option<String>| Page { after, limit: Some(3) };

        let before = store.gets.load(Atomic::SeqCst);
        let first = object_list(&vault, &record, "users", &page(None)).await.unwrap();
        let reads = store.gets.load(Atomic::SeqCst) - before;
        assert_eq!(first.total, 20);
        assert_eq!(first.objects.len(), 3);
        assert_eq!(first.objects[0].name, "u00@acme.test");
        // The manifest's head and part, and the one segment the first four users are in; not all five.
        assert!(reads <= 3, "{reads} blobs read for a page in one segment");

        let mut seen: Vec<String> = first.objects.iter().map(|o| o.id.clone()).collect();
        let mut after = first.next_after;
        while let Some(next) = after {
            let list = object_list(&vault, &record, "users", &page(Some(next))).await.unwrap();
            seen.extend(list.objects.iter().map(|o| o.id.clone()));
            after = list.next_after;
        }
        let expected: Vec<String> = (0..20).map(|n| format!("00u{n:02}")).collect();
        assert_eq!(seen, expected, "every user once, in order");
    }
}
