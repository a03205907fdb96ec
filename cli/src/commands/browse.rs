//! `oktavault snapshots`, `ls` and `show`: reading what backups stored.

use std::fmt;
use std::path::Path;

use anyhow::{Context, bail};
use oktavault_shared::categories::{self, Form};
use oktavault_shared::ids::{OrgId, SnapshotId};
use oktavault_shared::ports::SnapshotRecord;
use oktavault_shared::references;
use oktavault_shared::service::timeline::{self, Window};
use oktavault_shared::snapshot::{Incomplete, SnapshotReader};
use oktavault_shared::timefmt;
use serde::Serialize;
use serde_json::Value;

use crate::args::{LsArgs, ShowArgs, SnapshotsArgs};
use crate::output::{Output, category_width, title_width};
use crate::store::Store;

pub async fn snapshots(store_dir: &Path, args: SnapshotsArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let org = args.org.map(OrgId::new).transpose()?;
    let now = timefmt::now();
    let window = Window::parse(args.since.as_deref(), args.until.as_deref(), now)?;
    out.emit(&timeline::timeline(store.catalog.as_ref(), &store.vault, org.as_ref(), window, now).await?);
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn ls(store_dir: &Path, args: LsArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let record = store.resolve_snapshot(&args.snapshot).await?;
    match args.category {
        None => out.emit(&category_tree(&store, &record).await?),
        Some(category) => out.emit(&object_list(&store, &record, &category).await?),
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[derive(Serialize)]
pub struct CategoryTree {
    pub snapshot_id: SnapshotId,
    pub org_id: OrgId,
    pub created_at: String,
    pub categories: Vec<CategoryRow>,
}

#[derive(Serialize)]
pub struct CategoryRow {
    pub name: String,
    pub title: String,
    pub objects: usize,
    pub skipped: Option<String>,
    /// What the snapshot lacks of the category: the parts Okta did not list completely, and why.
    pub incomplete: Vec<Incomplete>,
}

pub async fn category_tree(store: &Store, record: &SnapshotRecord) -> anyhow::Result<CategoryTree> {
    let reader = SnapshotReader::open(store.vault.clone(), &record.org_id, &record.snapshot_id).await?;
    let categories = categories::in_catalog_order(reader.head().categories.iter())
        .into_iter()
        .map(|(name, c)| CategoryRow {
            name: name.clone(),
            title: categories::find(name).map_or_else(|| name.clone(), |c| c.title.to_owned()),
            objects: c.objects as usize,
            skipped: c.skipped.clone(),
            incomplete: c.incomplete.clone(),
        })
        .collect();
    Ok(CategoryTree {
        snapshot_id: record.snapshot_id.clone(),
        org_id: record.org_id.clone(),
        created_at: record.created_at.clone(),
        categories,
    })
}

impl fmt::Display for CategoryTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Snapshot {} of {} ({})",
            self.snapshot_id, self.org_id, self.created_at
        )?;
        let (width, title) = (category_width(), title_width());
        for c in &self.categories {
            match &c.skipped {
                Some(reason) => writeln!(
                    f,
                    "  {:<w$} {:<t$} skipped: {reason}",
                    c.name,
                    c.title,
                    w = width,
                    t = title
                )?,
                None => writeln!(
                    f,
                    "  {:<w$} {:<t$} {:>8}",
                    c.name,
                    c.title,
                    c.objects,
                    w = width,
                    t = title
                )?,
            }
            if !c.incomplete.is_empty() {
                writeln!(
                    f,
                    "  {:<w$} incomplete: {} part(s) could not be listed; the next backup lists them again",
                    "",
                    c.incomplete.len(),
                    w = width
                )?;
                for gap in &c.incomplete {
                    writeln!(f, "  {:<w$}   {}: {}", "", gap.part, gap.reason, w = width)?;
                }
            }
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct ObjectList {
    snapshot_id: SnapshotId,
    category: String,
    objects: Vec<ObjectRow>,
}

#[derive(Serialize)]
struct ObjectRow {
    id: String,
    name: String,
}

async fn object_list(store: &Store, record: &SnapshotRecord, category: &str) -> anyhow::Result<ObjectList> {
    let reader = SnapshotReader::open(store.vault.clone(), &record.org_id, &record.snapshot_id).await?;
    if !reader.head().categories.contains_key(category) {
        let known: Vec<_> = reader.head().categories.keys().cloned().collect();
        bail!(
            "snapshot {} has no category {category:?}; it has {}",
            record.snapshot_id,
            known.join(", ")
        );
    }
    let objects = reader
        .objects(category)
        .await?
        .into_iter()
        .map(|(id, value)| ObjectRow {
            name: display_name(&value),
            id,
        })
        .collect();
    Ok(ObjectList {
        snapshot_id: record.snapshot_id.clone(),
        category: category.to_owned(),
        objects,
    })
}

/// The name a person knows an object by: a user's login, a group's or app's name.
fn display_name(value: &Value) -> String {
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
        )
    }
}

pub async fn show(store_dir: &Path, args: ShowArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let record = store.resolve_snapshot(&args.snapshot).await?;
    let reader = SnapshotReader::open(store.vault.clone(), &record.org_id, &record.snapshot_id).await?;
    let object = reader.object(&args.category, &args.id).await?.with_context(|| {
        format!(
            "no object {} in {} of snapshot {}",
            args.id, args.category, record.snapshot_id
        )
    })?;
    let references = resolve_references(&reader, &args.category, &object).await?;
    out.emit(&ObjectView {
        snapshot_id: record.snapshot_id,
        category: args.category,
        id: args.id,
        object,
        references,
    });
    Ok(std::process::ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ObjectView {
    snapshot_id: SnapshotId,
    category: String,
    id: String,
    object: Value,
    /// The objects this one points at, by name, as they were in the same snapshot.
    references: Vec<ResolvedReference>,
}

#[derive(Serialize)]
struct ResolvedReference {
    /// The row's declared path (`actions.assignUserToGroups.groupIds[]`).
    field: String,
    /// Where in the object (`/actions/assignUserToGroups/groupIds/0`).
    pointer: String,
    category: String,
    /// The id as the object holds it (an OAuth client id for a client-id reference).
    id: String,
    /// `None` when the snapshot does not hold the object pointed at.
    name: Option<String>,
}

/// Names every object `object` points at, as the catalog's references find them (the same extraction a restore
/// remaps), from the same snapshot.
async fn resolve_references(
    reader: &SnapshotReader,
    category: &str,
    object: &Value,
) -> anyhow::Result<Vec<ResolvedReference>> {
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
