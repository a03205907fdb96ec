//! Browsing one snapshot: its category tree, a category's objects a page at a time, and one object with the
//! objects it points at named (what `oktavault ls`/`show` print and the API's snapshot routes answer).

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::ServiceError;
use crate::categories::{self, Form};
use crate::ids::{OrgId, SnapshotId};
use crate::ports::SnapshotRecord;
use crate::references;
use crate::snapshot::{AsOf, Incomplete, SnapshotReader, Vault};

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
    let all = reader.objects(category).await?;
    let total = all.len();
    let mut rows: Vec<ObjectRow> = all
        .into_iter()
        .filter(|(id, _)| page.after.as_deref().is_none_or(|after| id.as_str() > after))
        .take(limit + 1)
        .map(|(id, value)| ObjectRow {
            name: display_name(&value),
            id,
        })
        .collect();
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
}

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
    Ok(ObjectView {
        snapshot_id: record.snapshot_id.clone(),
        category: category.to_owned(),
        id: id.to_owned(),
        object,
        references,
    })
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
