//! What a restore covers: the objects a selection names in a snapshot, with their relationships.
//!
//! A selector is `CATEGORY` (every object of it), `CATEGORY:ID_OR_NAME` (one object, by its Okta id or by the
//! name a person knows it by: a login, a group's name, an app's label), or `all`. A name that matches several
//! objects is refused, listing them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::RestoreError;
use super::generic;
use super::kinds::{Kind, display_name};
use crate::categories;
use crate::snapshot::SnapshotReader;

/// The objects to restore, per kind, in the snapshot's id order; and the things edges point at that are not
/// restored themselves (to find them in the target org).
#[derive(Debug, Default)]
pub struct Selected {
    pub objects: BTreeMap<Kind, Vec<(String, Value)>>,
    pub context: BTreeMap<(Kind, String), Value>,
    /// The groups (snapshot ids) that an active group rule of the snapshot assigns, with the rule's name: their
    /// memberships may be the rule's, which the API cannot tell from direct ones.
    pub rule_groups: BTreeMap<String, String>,
    /// How many objects of each category the snapshot holds: what a listing of the live category may cost.
    pub counts: BTreeMap<Kind, u64>,
}

impl Selected {
    pub fn count(&self) -> usize {
        self.objects.values().map(Vec::len).sum()
    }

    fn contains(&self, kind: Kind, id: &str) -> bool {
        self.objects
            .get(&kind)
            .is_some_and(|objects| objects.iter().any(|(i, _)| i == id))
    }
}

/// Resolves `selection` against the snapshot `reader` opens; with `relationships`, adds the memberships and
/// assignments of the selected things.
pub async fn select(
    reader: &SnapshotReader,
    selection: &[String],
    relationships: bool,
) -> Result<Selected, RestoreError> {
    let mut chosen: BTreeMap<Kind, BTreeMap<String, Value>> = BTreeMap::new();
    let mut whole: BTreeSet<Kind> = BTreeSet::new();
    for selector in selection {
        let (category, object) = match selector.split_once(':') {
            Some((category, object)) => (category, Some(object)),
            None => (selector.as_str(), None),
        };
        if category == "all" && object.is_none() {
            whole.extend(Kind::all().filter(|k| supported(*k).is_ok()));
            continue;
        }
        let kind = kind_of(category)?;
        match object {
            None => {
                whole.insert(kind);
            }
            Some(wanted) => {
                let (id, value) = find(reader, kind, wanted).await?;
                chosen.entry(kind).or_default().insert(id, value);
            }
        }
    }
    for kind in &whole {
        let objects = reader.objects(kind.category()).await?;
        chosen.entry(*kind).or_default().extend(objects);
    }
    let mut selected = Selected {
        objects: chosen.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect(),
        context: BTreeMap::new(),
        rule_groups: BTreeMap::new(),
        counts: Kind::all()
            .filter_map(|k| Some((k, reader.head().categories.get(k.category())?.objects)))
            .collect(),
    };
    if relationships {
        add_relationships(reader, &mut selected, &whole).await?;
    }
    add_context(reader, &mut selected).await?;
    if selected.objects.contains_key(&Kind::MEMBERSHIP) {
        selected.rule_groups = rule_groups(reader).await?;
    }
    Ok(selected)
}

/// The groups each ACTIVE group rule of the snapshot assigns, with the rule's name.
async fn rule_groups(reader: &SnapshotReader) -> Result<BTreeMap<String, String>, RestoreError> {
    let mut out = BTreeMap::new();
    for (_, rule) in reader.objects(generic::GROUP_RULES).await? {
        if rule["status"] != "ACTIVE" {
            continue;
        }
        let name = rule["name"].as_str().unwrap_or_default();
        for group in rule
            .pointer("/actions/assignUserToGroups/groupIds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            out.insert(group.to_owned(), name.to_owned());
        }
    }
    Ok(out)
}

/// Checks every selector's form and category without reading a snapshot (a request is refused before a job
/// starts).
pub fn check(selection: &[String]) -> Result<(), RestoreError> {
    if selection.is_empty() {
        return Err(RestoreError::Invalid(
            "select what to restore: CATEGORY, CATEGORY:ID_OR_NAME or all".into(),
        ));
    }
    for selector in selection {
        let category = selector.split_once(':').map_or(selector.as_str(), |(c, _)| c);
        if category == "all" && !selector.contains(':') {
            continue;
        }
        if let Some((_, "")) = selector.split_once(':') {
            return Err(RestoreError::Invalid(format!(
                "{selector:?} names no object: give CATEGORY:ID_OR_NAME"
            )));
        }
        kind_of(category)?;
    }
    Ok(())
}

/// Whether this version restores `kind`.
fn supported(kind: Kind) -> Result<(), String> {
    if kind.is_generic() {
        generic::supported(kind.row())
    } else {
        Ok(())
    }
}

fn kind_of(category: &str) -> Result<Kind, RestoreError> {
    if let Some(kind) = Kind::of(category) {
        return supported(kind).map(|()| kind).map_err(RestoreError::Invalid);
    }
    Err(match categories::find(category) {
        None => RestoreError::Invalid(format!(
            "unknown category {category:?}; give CATEGORY, CATEGORY:ID_OR_NAME or all"
        )),
        Some(row) => RestoreError::Invalid(format!(
            "{category} ({}) is download-only: Okta has no way to write it back; use `oktavault download` to take \
             it out of the snapshot",
            row.title
        )),
    })
}

/// The one object of `kind` that `wanted` names: its id, or its login, name or label.
async fn find(reader: &SnapshotReader, kind: Kind, wanted: &str) -> Result<(String, Value), RestoreError> {
    let category = kind.category();
    if let Some(value) = reader.object(category, wanted).await? {
        return Ok((wanted.to_owned(), value));
    }
    let lower = wanted.to_lowercase();
    let matches: Vec<(String, Value)> = reader
        .objects(category)
        .await?
        .into_iter()
        .filter(|(_, value)| display_name(kind, value).to_lowercase() == lower)
        .collect();
    match matches.len() {
        1 => Ok(matches.into_iter().next().expect("one match")),
        0 => Err(RestoreError::NotFound(format!(
            "the snapshot has no {category} object with the id or name {wanted:?}"
        ))),
        _ => Err(RestoreError::Invalid(format!(
            "{wanted:?} names {} {category} objects in the snapshot; give one of their ids: {}",
            matches.len(),
            matches
                .iter()
                .map(|(id, value)| format!("{id} ({})", display_name(kind, value)))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The edges whose ends are selected things: a user's memberships and app assignments, a group's members and
/// app assignments, an app's assignments. Edge kinds selected whole are already there.
async fn add_relationships(
    reader: &SnapshotReader,
    selected: &mut Selected,
    whole: &BTreeSet<Kind>,
) -> Result<(), RestoreError> {
    add_group_rules(reader, selected, whole).await?;
    add_companions(reader, selected, whole).await?;
    add_children(reader, selected, whole).await?;
    for edge in Kind::all().filter(|k| k.is_edge() && !whole.contains(k)) {
        let ((parent_kind, parent_field), (child_kind, child_field)) = edge.ends().expect("an edge");
        let wanted = |object: &Value, selected: &Selected| {
            let end = |field: &str| object.get(field).and_then(Value::as_str).unwrap_or_default().to_owned();
            selected.contains(parent_kind, &end(parent_field)) || selected.contains(child_kind, &end(child_field))
        };
        let objects: Vec<(String, Value)> = reader
            .objects(edge.category())
            .await?
            .into_iter()
            .filter(|(_, object)| wanted(object, selected))
            .collect();
        let existing = selected.objects.entry(edge).or_default();
        for (id, object) in objects {
            if !existing.iter().any(|(i, _)| *i == id) {
                existing.push((id, object));
            }
        }
    }
    selected.objects.retain(|_, objects| !objects.is_empty());
    Ok(())
}

/// The objects listed under selected objects, down the catalog's parents: a user's role assignments with their
/// targets and linked-object values; a group's role assignments and owners; a policy's rules; an
/// authorization server's scopes, claims and policies. (Memberships and app assignments are the edges above.)
async fn add_children(
    reader: &SnapshotReader,
    selected: &mut Selected,
    whole: &BTreeSet<Kind>,
) -> Result<(), RestoreError> {
    // Catalog order puts a parent before its children, so one pass reaches a user's role targets.
    for row in categories::CATEGORIES.iter() {
        let (Some(kind), Some(owner)) = (Kind::of(row.name), owner_row(row)) else {
            continue;
        };
        let Some(parent_kind) = Kind::of(owner) else {
            continue;
        };
        if kind.is_edge() || whole.contains(&kind) || supported(kind).is_err() || NOT_WITH_PARENT.contains(&row.name) {
            continue;
        }
        let parents: BTreeSet<&str> = match selected.objects.get(&parent_kind) {
            Some(objects) => objects.iter().map(|(id, _)| id.as_str()).collect(),
            None => continue,
        };
        // Looked up once per entry: a set, since a whole-category selection brings thousands of children.
        let already: BTreeSet<&str> = selected
            .objects
            .get(&kind)
            .map(|objects| objects.iter().map(|(id, _)| id.as_str()).collect())
            .unwrap_or_default();
        let mut children = Vec::new();
        let mut entries = reader.entries(row.name);
        while let Some(entry) = entries.next().await? {
            if parents.contains(owner_of(row, &entry.id)) && !already.contains(entry.id.as_str()) {
                children.push(entry.id);
            }
        }
        for id in children {
            if let Some(object) = reader.object(row.name, &id).await? {
                selected.objects.entry(kind).or_default().push((id, object));
            }
        }
    }
    Ok(())
}

/// Children a selected parent does not bring along: a user's factors are enrolled again by the person (only those
/// they need not enrol are restored, and only when selected).
const NOT_WITH_PARENT: &[&str] = &["user_factors"];

/// The category of the object a row's objects are listed under, as the reference on its parent field names it (a
/// user's role assignment is listed under the admins, and names its user).
fn owner_row(row: &categories::Category) -> Option<&'static str> {
    let field = super::generic::parent_field(row)?;
    row.references.iter().find_map(|r| match r.target {
        categories::Target::Category { name } if r.path == field => Some(name),
        _ => None,
    })
}

/// The stored id of the object a child of `row` is listed under (`00u1/ra1/00g1` -> `00u1/ra1`; a linked-object
/// value `00u1/manager/00u2` -> `00u1`).
fn owner_of<'a>(row: &categories::Category, id: &'a str) -> &'a str {
    match row.keep {
        categories::Keep::OnePerParent { .. } => id,
        categories::Keep::LinkedUser { .. } => id.split('/').next().unwrap_or(id),
        _ => id.rsplit_once('/').map_or(id, |(parent, _)| parent),
    }
}

/// The group rules that assign a selected group or name it in their expression: a group deleted and created again
/// gets a new id, which only a rule created again can hold (Okta cannot update a rule's actions).
async fn add_group_rules(
    reader: &SnapshotReader,
    selected: &mut Selected,
    whole: &BTreeSet<Kind>,
) -> Result<(), RestoreError> {
    let Some(rules) = Kind::of(generic::GROUP_RULES) else {
        return Ok(());
    };
    if whole.contains(&rules) || !selected.objects.contains_key(&Kind::GROUP) {
        return Ok(());
    }
    let wanted: Vec<(String, Value)> = reader
        .objects(rules.category())
        .await?
        .into_iter()
        .filter(|(_, rule)| {
            crate::references::extract(rules.row(), rule)
                .iter()
                .any(|r| r.category == Kind::GROUP.category() && selected.contains(Kind::GROUP, &r.id))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let existing = selected.objects.entry(rules).or_default();
    for (id, rule) in wanted {
        if !existing.iter().any(|(i, _)| *i == id) {
            existing.push((id, rule));
        }
    }
    Ok(())
}

/// The children Okta creates with their parent (a custom role's permissions, a resource set's resources), of every
/// selected parent.
async fn add_companions(
    reader: &SnapshotReader,
    selected: &mut Selected,
    whole: &BTreeSet<Kind>,
) -> Result<(), RestoreError> {
    for (parent, child, field) in generic::COMPANIONS
        .iter()
        .filter(|(p, _, _)| generic::brings_companions(p))
    {
        let (Some(parent), Some(child)) = (Kind::of(parent), Kind::of(child)) else {
            continue;
        };
        if whole.contains(&child) || !selected.objects.contains_key(&parent) {
            continue;
        }
        let wanted: Vec<(String, Value)> = reader
            .objects(child.category())
            .await?
            .into_iter()
            .filter(|(_, c)| {
                c.get(*field)
                    .and_then(Value::as_str)
                    .is_some_and(|p| selected.contains(parent, p))
            })
            .collect();
        let existing = selected.objects.entry(child).or_default();
        for (id, object) in wanted {
            if !existing.iter().any(|(i, _)| *i == id) {
                existing.push((id, object));
            }
        }
    }
    selected.objects.retain(|_, objects| !objects.is_empty());
    Ok(())
}

/// The snapshot objects at the ends of every selected edge that are not restored themselves.
async fn add_context(reader: &SnapshotReader, selected: &mut Selected) -> Result<(), RestoreError> {
    let mut ends: BTreeSet<(Kind, String)> = BTreeSet::new();
    for (kind, objects) in &selected.objects {
        let Some(((parent_kind, parent_field), (child_kind, child_field))) = kind.ends() else {
            continue;
        };
        for (_, object) in objects {
            for (end_kind, field) in [(parent_kind, parent_field), (child_kind, child_field)] {
                if let Some(id) = object.get(field).and_then(Value::as_str)
                    && !selected.contains(end_kind, id)
                {
                    ends.insert((end_kind, id.to_owned()));
                }
            }
        }
    }
    for (kind, id) in ends {
        if let Some(value) = reader.object(kind.category(), &id).await? {
            selected.context.insert((kind, id), value);
        }
    }
    Ok(())
}
