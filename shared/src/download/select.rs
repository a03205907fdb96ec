//! What a download holds: the selection (`CATEGORY`, `CATEGORY:ID_OR_NAME`, `all`) resolved against a snapshot,
//! with the relationships of the selected objects when asked. Everything is read a manifest part at a time and
//! only ids are kept, so a selection over 100,000 users needs memory for their ids, not their objects.
//!
//! Relationships follow the catalog's references: the objects of other categories that name a selected object
//! (a user's memberships, app assignments, factors, admin roles; a group's memberships, rules, app assignments,
//! roles and owners), and for those that are relationships themselves (kept with a parent, or as an edge), the
//! objects at their other end (the groups of a user's memberships, the apps of its assignments, a group's members).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::categories::{self, CATEGORIES, Category, Keep, Target};
use crate::references;
use crate::snapshot::{SnapshotError, SnapshotReader};

/// Why a selection cannot be resolved: the caller's mistake, or a snapshot that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

/// What to write of one category: every object, or only these ids.
pub type Chosen = BTreeMap<String, Option<BTreeSet<String>>>;

/// Checks the form of every selector and its category, without reading a snapshot.
pub fn check(selection: &[String]) -> Result<(), SelectError> {
    if selection.is_empty() {
        return Err(SelectError::Invalid(
            "select what to download: --select CATEGORY, CATEGORY:ID_OR_NAME or all".into(),
        ));
    }
    for selector in selection {
        let (category, object) = split(selector);
        if category == "all" && object.is_none() {
            continue;
        }
        if object == Some("") {
            return Err(SelectError::Invalid(format!(
                "{selector:?} names no object: give CATEGORY:ID_OR_NAME"
            )));
        }
        if categories::find(category).is_none() {
            return Err(SelectError::Invalid(format!(
                "{selector:?}: unknown category {category:?}; give CATEGORY, CATEGORY:ID_OR_NAME or all \
                 (docs/catalog.md lists the categories)"
            )));
        }
    }
    Ok(())
}

fn split(selector: &str) -> (&str, Option<&str>) {
    match selector.split_once(':') {
        Some((category, object)) => (category, Some(object)),
        None => (selector, None),
    }
}

/// Resolves `selection` in the snapshot `reader` opens; with `relationships`, adds what the selected objects relate to.
pub async fn resolve(
    reader: &SnapshotReader,
    selection: &[String],
    relationships: bool,
) -> Result<Chosen, SelectError> {
    check(selection)?;
    let mut whole: BTreeSet<&'static str> = BTreeSet::new();
    let mut ids: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for selector in selection {
        let (category, object) = split(selector);
        match object {
            None if category == "all" => {
                whole.extend(CATEGORIES.iter().map(|c| c.name).filter(|c| reader.part_count(c) > 0));
            }
            None => {
                whole.insert(categories::find(category).expect("checked").name);
            }
            Some(wanted) => {
                let row = categories::find(category).expect("checked");
                let id = find(reader, row, wanted).await?;
                ids.entry(row.name).or_default().insert(id);
            }
        }
    }
    if relationships {
        add_relationships(reader, &mut whole, &mut ids).await?;
    }
    let mut chosen = Chosen::new();
    for category in &whole {
        chosen.insert((*category).to_owned(), None);
    }
    for (category, ids) in ids {
        if !whole.contains(category) {
            chosen.insert(category.to_owned(), Some(ids));
        }
    }
    Ok(chosen)
}

/// The id of the one object of `row` that `wanted` names: its id, or its login, name or label (any case).
async fn find(reader: &SnapshotReader, row: &Category, wanted: &str) -> Result<String, SelectError> {
    let category = row.name;
    if reader.object(category, wanted).await?.is_some() {
        return Ok(wanted.to_owned());
    }
    let lower = wanted.to_lowercase();
    let mut matches = Vec::new();
    for n in 0..reader.part_count(category) {
        let part = reader.part(category, n).await?;
        for entry in &part.entries {
            let object = reader.value(category, &part, entry).await?;
            let name = display_name(&object);
            if let Some(name) = name.filter(|name| name.to_lowercase() == lower) {
                matches.push((entry.id.clone(), name.to_owned()));
            }
        }
    }
    match matches.len() {
        1 => Ok(matches.remove(0).0),
        0 => Err(SelectError::NotFound(format!(
            "the snapshot has no {category} object with the id or name {wanted:?}"
        ))),
        n => Err(SelectError::Invalid(format!(
            "{wanted:?} names {n} {category} objects in the snapshot; give one of their ids: {}",
            matches
                .iter()
                .map(|(id, name)| format!("{id} ({name})"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The name a person knows an object by: a login, a group's name, an app's label, or a name.
fn display_name(object: &Value) -> Option<&str> {
    ["/profile/login", "/profile/name", "/label", "/name"]
        .iter()
        .find_map(|p| object.pointer(p).and_then(Value::as_str))
}

/// Whether objects of `row` can name an object of `category` (the catalog's declared references).
fn may_refer_to(row: &Category, category: &str) -> bool {
    row.references.iter().any(|r| match r.target {
        Target::Category { name } => name == category,
        Target::ChosenBy { among, .. } => among.iter().any(|(_, name)| *name == category),
        Target::OwnChild { category: child } => child == category,
        Target::AnyOf { names } => names.contains(&category),
        Target::InValue => true,
    })
}

/// A row kept as a relationship (with its parent, or as an edge): its other ends come along.
fn is_relationship(row: &Category) -> bool {
    !matches!(row.keep, Keep::Whole | Keep::Named { .. })
}

async fn add_relationships(
    reader: &SnapshotReader,
    whole: &mut BTreeSet<&'static str>,
    ids: &mut BTreeMap<&'static str, BTreeSet<String>>,
) -> Result<(), SelectError> {
    // A category taken whole brings every object that refers to it: those categories, whole.
    let referring_whole: Vec<&'static str> = CATEGORIES
        .iter()
        .filter(|row| !whole.contains(row.name) && whole.iter().any(|c| may_refer_to(row, c)))
        .map(|row| row.name)
        .collect();
    let selected: BTreeMap<&'static str, BTreeSet<String>> = ids.clone();
    let mut ends: Vec<(&'static str, String)> = Vec::new();
    for row in CATEGORIES {
        if whole.contains(row.name) || !selected.keys().any(|c| may_refer_to(row, c)) {
            continue;
        }
        for n in 0..reader.part_count(row.name) {
            let part = reader.part(row.name, n).await?;
            for entry in &part.entries {
                let object = reader.value(row.name, &part, entry).await?;
                let found = references::extract(row, &object);
                if !found
                    .iter()
                    .any(|r| selected.get(r.category).is_some_and(|s| s.contains(&r.id)))
                {
                    continue;
                }
                ids.entry(row.name).or_default().insert(entry.id.clone());
                if is_relationship(row) {
                    ends.extend(found.into_iter().map(|r| (r.category, r.id)));
                }
            }
        }
    }
    // The other ends, in categories not selected themselves: a user's groups, but not the other users of a
    // relationship (a manager, a fellow group owner); a group's members, but not other groups.
    for (category, id) in ends {
        if !selected.contains_key(category) {
            ids.entry(category).or_default().insert(id);
        }
    }
    whole.extend(referring_whole);
    Ok(())
}
