//! The order a restore writes in: categories in stages, each after every category its objects need (their parent,
//! the categories their references point at, and the row's `restore_after`), and objects within a category in
//! priority order. Backup's [`crate::categories::stages`] orders by parent depth only, which suits listing.
//!
//! A cycle of references cannot be written in one pass: it is broken by a two-phase write. The objects of one
//! category of the cycle are created without the deferred reference, and updated with it once the category it
//! points at is written ([`Deferred`]). Only references are deferred: a parent or an "after" edge never is.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::categories::{Category, Keep, Source};

/// The restore order of a selection of categories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreOrder {
    /// Restorable categories in stages: a stage's categories need only earlier stages (their objects can be
    /// written in parallel), in catalog order within a stage.
    pub stages: Vec<Vec<&'static str>>,
    /// The references written in a second pass, to break cycles.
    pub deferred: Vec<Deferred>,
}

/// A reference a restore writes in a second pass: `category`'s objects are created without it and updated with it
/// once `target` is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deferred {
    pub category: &'static str,
    /// The reference's declared path (`emailDomainId`).
    pub field: &'static str,
    pub target: &'static str,
    /// The cycle it breaks, from `category` back to itself (`brands -> email_domains -> brands`).
    pub cycle: Vec<&'static str>,
}

/// Why one category is written after another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Because {
    /// It is listed per object of the other.
    Parent,
    /// Its objects point at the other's by the reference at this path: deferrable.
    Reference(&'static str),
    /// The row's `restore_after`.
    After,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error(
        "the categories {} need each other through parents or restore_after edges, which no second write can break; \
         make one of them a reference or drop the edge in shared/src/categories.rs",
        cycle.join(" -> ")
    )]
    Unbreakable { cycle: Vec<&'static str> },
}

/// The restore order of `selected` (download-only rows are left out: nothing writes them). Only edges between
/// selected categories count: a category outside the selection is not written, so nothing waits for it.
pub fn restore_order(selected: &[&'static Category]) -> Result<RestoreOrder, OrderError> {
    restore_order_with(selected, &[])
}

/// The same, with `after` edges beyond the rows' own: `(category, written after this one)`. A row Okta creates
/// together with its children's values (a resource set with its resources) waits for what those children name.
pub fn restore_order_with(
    selected: &[&'static Category],
    after: &[(&'static str, &'static str)],
) -> Result<RestoreOrder, OrderError> {
    let rows: Vec<&'static Category> = selected.iter().copied().filter(|c| c.restorable).collect();
    let mut needs = needs_with(&rows, after);
    let mut placed: Vec<&'static str> = Vec::new();
    let mut stages = Vec::new();
    let mut deferred = Vec::new();
    while placed.len() < rows.len() {
        let ready: Vec<&'static str> = rows
            .iter()
            .map(|r| r.name)
            .filter(|n| !placed.contains(n))
            .filter(|n| needs[n].iter().all(|(other, _)| placed.contains(other)))
            .collect();
        if ready.is_empty() {
            deferred.extend(break_a_cycle(&rows, &placed, &mut needs)?);
            continue;
        }
        placed.extend(&ready);
        stages.push(ready);
    }
    Ok(RestoreOrder { stages, deferred })
}

/// For each restorable row of `selected`, the rows it is written right after (its parent, the rows its references
/// point at, its `restore_after` and the `after` edges), among the selected ones.
pub fn direct_needs(
    selected: &[&'static Category],
    after: &[(&'static str, &'static str)],
) -> BTreeMap<&'static str, Vec<&'static str>> {
    let rows: Vec<&'static Category> = selected.iter().copied().filter(|c| c.restorable).collect();
    needs_with(&rows, after)
        .into_iter()
        .map(|(row, edges)| (row, edges.into_iter().map(|(other, _)| other).collect()))
        .collect()
}

fn needs_with(
    rows: &[&'static Category],
    after: &[(&'static str, &'static str)],
) -> BTreeMap<&'static str, Vec<(&'static str, Because)>> {
    let mut needs = needs(rows);
    for (category, before) in after {
        if let Some(edges) = needs.get_mut(category)
            && rows.iter().any(|r| r.name == *before)
            && before != category
            && !edges.iter().any(|(o, _)| o == before)
        {
            edges.push((before, Because::After));
        }
    }
    needs
}

/// For each row, the rows it is written after and why (one reason per pair: parent, then after, then the first
/// reference).
fn needs(rows: &[&'static Category]) -> BTreeMap<&'static str, Vec<(&'static str, Because)>> {
    let selected = |name: &str| rows.iter().find(|r| r.name == name).map(|r| r.name);
    rows.iter()
        .map(|row| {
            let parent = match row.source {
                Source::PerParent { parent, .. }
                | Source::PerParentLink { parent, .. }
                | Source::PerParentAndName { parent, .. } => Some(parent),
                Source::List { .. } | Source::Log { .. } => None,
            };
            let mut edges: Vec<(&'static str, Because)> = Vec::new();
            let candidates = parent
                .map(|p| (p, Because::Parent))
                .into_iter()
                .chain(row.restore_after.iter().map(|a| (*a, Because::After)))
                .chain(
                    row.references
                        .iter()
                        .flat_map(|r| r.categories().into_iter().map(move |c| (c, Because::Reference(r.path)))),
                );
            for (other, because) in candidates {
                let Some(other) = selected(other) else { continue };
                if other != row.name && !edges.iter().any(|(o, _)| *o == other) {
                    edges.push((other, because));
                }
            }
            (row.name, edges)
        })
        .collect()
}

/// Defers the references of the first category (in catalog order) on a cycle whose unmet needs are all references
/// that lead back to it. Errs with a cycle when no category qualifies.
fn break_a_cycle(
    rows: &[&'static Category],
    placed: &[&'static str],
    needs: &mut BTreeMap<&'static str, Vec<(&'static str, Because)>>,
) -> Result<Vec<Deferred>, OrderError> {
    let open = |name: &str| !placed.contains(&name);
    for row in rows.iter().filter(|r| open(r.name)) {
        let unmet: Vec<(&'static str, Because)> = needs[row.name].iter().copied().filter(|(o, _)| open(o)).collect();
        let cycles: Vec<Option<Vec<&'static str>>> = unmet
            .iter()
            .map(|(other, _)| path_back(needs, placed, other, row.name))
            .collect();
        let breakable = !unmet.is_empty()
            && unmet
                .iter()
                .zip(&cycles)
                .all(|((_, because), cycle)| matches!(because, Because::Reference(_)) && cycle.is_some());
        if !breakable {
            continue;
        }
        let mut deferred = Vec::new();
        for ((target, because), cycle) in unmet.into_iter().zip(cycles) {
            let Because::Reference(field) = because else {
                unreachable!("checked above")
            };
            let mut cycle = cycle.expect("checked above");
            cycle.insert(0, row.name);
            deferred.push(Deferred {
                category: row.name,
                field,
                target,
                cycle,
            });
            needs
                .get_mut(row.name)
                .expect("every row has needs")
                .retain(|(o, _)| *o != target);
        }
        return Ok(deferred);
    }
    let start = rows
        .iter()
        .map(|r| r.name)
        .find(|n| open(n))
        .expect("an open row remains");
    let cycle = needs[start]
        .iter()
        .filter(|(o, _)| open(o))
        .find_map(|(other, _)| path_back(needs, placed, other, start))
        .map(|path| std::iter::once(start).chain(path).collect())
        .unwrap_or_else(|| vec![start]);
    Err(OrderError::Unbreakable { cycle })
}

/// A path of unmet needs from `from` to `to` (both included), breadth first.
fn path_back(
    needs: &BTreeMap<&'static str, Vec<(&'static str, Because)>>,
    placed: &[&'static str],
    from: &'static str,
    to: &'static str,
) -> Option<Vec<&'static str>> {
    let mut came_from: BTreeMap<&'static str, &'static str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(at) = queue.pop_front() {
        if at == to {
            let mut path = vec![to];
            while let Some(previous) = came_from.get(path.last().expect("path is not empty")) {
                path.push(previous);
            }
            path.reverse();
            return Some(path);
        }
        for (next, _) in needs.get(at).into_iter().flatten() {
            if !placed.contains(next) && *next != from && !came_from.contains_key(next) {
                came_from.insert(next, at);
                queue.push_back(next);
            }
        }
    }
    None
}

impl fmt::Display for RestoreOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, stage) in self.stages.iter().enumerate() {
            writeln!(f, "stage {}: {}", i + 1, stage.join(", "))?;
        }
        for d in &self.deferred {
            writeln!(
                f,
                "{}.{} is written in a second pass, after {} (cycle {})",
                d.category,
                d.field,
                d.target,
                d.cycle.join(" -> ")
            )?;
        }
        Ok(())
    }
}

/// Sorts a category's objects into the order a restore writes them: within their parent (a policy's rules) and
/// type (policies of one type), by `priority`, lowest first; objects without one last; then by stored id. Okta
/// inserts an object at its priority, so writing them in order keeps the order the snapshot had.
pub fn priority_order(row: &Category, objects: &mut [(String, Value)]) {
    let parent = match row.keep {
        Keep::WithParent { parent_field } | Keep::OnePerParent { parent_field } => Some(parent_field),
        _ => None,
    };
    let group = |object: &Value| {
        (
            parent.and_then(|p| object.get(p)).map(Value::to_string),
            object.get("type").map(Value::to_string),
        )
    };
    let priority = |object: &Value| object.get("priority").and_then(Value::as_i64);
    objects.sort_by(|(a_id, a), (b_id, b)| {
        group(a)
            .cmp(&group(b))
            .then_with(|| match (priority(a), priority(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| a_id.cmp(b_id))
    });
}

#[cfg(test)]
mod tests;
