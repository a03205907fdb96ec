//! References between stored objects, extracted and rewritten in one place: `oktavault show` prints the names
//! they point at, and a restore remaps them to the target org's ids (and moves ORNs and hrefs to the target org).
//!
//! A catalog row declares its references ([`crate::categories::Reference`]): a path through the stored object
//! (with `[]` for arrays), the category pointed at (fixed, chosen by a field beside the value, a child of the
//! object itself, or named by the value), and the form of the value (an id, an Okta Expression Language string,
//! an ORN, an href, an OAuth client id). [`extract`] finds them in one object; [`rewrite`] replaces them.

mod expression;
mod href;
mod orn;
pub(crate) mod path;

use std::ops::Range;

use serde::Serialize;
use serde_json::Value;

use crate::categories::{Category, Form, Reference, Target};

/// The JSON pointer of an app's OAuth client id: what a [`Form::ClientId`] reference matches.
pub const CLIENT_ID_POINTER: &str = "/credentials/oauthClient/client_id";

/// Okta's keyword for every client in an authorization server policy's `conditions.clients.include`: no client id.
const EVERY_CLIENT: &str = "ALL_CLIENTS";

/// One reference found in an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundRef {
    /// The row's declared path (`conditions.people.users.exclude[]`).
    pub field: &'static str,
    /// JSON pointer to the string holding the id (`/conditions/people/users/exclude/0`). Several references can
    /// share one string (the group ids of an expression).
    pub pointer: String,
    /// The category pointed at.
    pub category: &'static str,
    /// The stored id of the object pointed at in `category` (`<app id>/<kid>` for an app's signing key), or, for
    /// [`Form::ClientId`], the OAuth client id of the app.
    pub id: String,
    pub form: Form,
}

/// Every reference `row` declares that `object` (stored as the row keeps it) holds, in the row's order and then
/// in the object's. Values that name nothing (an ORN for every user, an owner of an unknown `type`) are skipped.
pub fn extract(row: &Category, object: &Value) -> Vec<FoundRef> {
    let own_id = row.stored_id(object);
    row.references
        .iter()
        .flat_map(|reference| {
            path::sites(object, reference.path)
                .into_iter()
                .flat_map(|site| {
                    ids_in(reference, site.value, site.holder, own_id.as_deref())
                        .into_iter()
                        .map(move |(category, id, _)| FoundRef {
                            field: reference.path,
                            pointer: site.pointer.clone(),
                            category,
                            id,
                            form: reference.form,
                        })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The source and target org of a restore into another org: ORNs name the org by id, hrefs by URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgMove<'a> {
    /// The source org's URL as its hrefs start (`https://acme.okta.com`, no trailing slash).
    pub from_url: &'a str,
    pub to_url: &'a str,
    /// The source org's id (`00o…`) as its ORNs hold it.
    pub from_id: &'a str,
    pub to_id: &'a str,
}

/// An object with its references rewritten, and the ones that could not be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rewritten {
    pub object: Value,
    /// References `map` had no new id for: left as they were.
    pub unresolved: Vec<FoundRef>,
}

/// `object` with every reference replaced by what `map` answers for it (the new stored id in the reference's
/// category; for a [`Target::OwnChild`] reference `<new parent>/<new value>`, of which the value is written; for
/// [`Form::ClientId`] the new client id), and, with `org`, every ORN and href of the source org moved to the
/// target org (those naming no object too). The text around an id is kept: the rest of an expression, an ORN's
/// other segments, an href's path.
pub fn rewrite(
    row: &Category,
    object: &Value,
    map: &dyn Fn(&FoundRef) -> Option<String>,
    org: Option<&OrgMove<'_>>,
) -> Rewritten {
    let own_id = row.stored_id(object);
    let mut rewritten = object.clone();
    let mut unresolved = Vec::new();
    for reference in row.references {
        // The discriminators beside each value, read before anything changes.
        let holders: Vec<(String, serde_json::Map<String, Value>)> = path::sites(object, reference.path)
            .into_iter()
            .map(|site| (site.pointer, site.holder.clone()))
            .collect();
        path::edit(&mut rewritten, reference.path, &mut |pointer, value| {
            let Some((_, holder)) = holders.iter().find(|(p, _)| p == pointer) else {
                return;
            };
            let mut edits: Vec<(Range<usize>, String)> = Vec::new();
            for (category, id, range) in ids_in(reference, value, holder, own_id.as_deref()) {
                let found = FoundRef {
                    field: reference.path,
                    pointer: pointer.to_owned(),
                    category,
                    id,
                    form: reference.form,
                };
                match map(&found) {
                    Some(new) => {
                        let written = match reference.target {
                            Target::OwnChild { .. } => new.rsplit_once('/').map_or(new.clone(), |(_, v)| v.to_owned()),
                            _ => new,
                        };
                        edits.push((range, written));
                    }
                    None => unresolved.push(found),
                }
            }
            if let Some(org) = org {
                edits.extend(org_edit(reference.form, value, org));
            }
            // From the end, so earlier ranges stay valid.
            edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
            for (range, text) in edits {
                value.replace_range(range, &text);
            }
        });
    }
    Rewritten {
        object: rewritten,
        unresolved,
    }
}

/// The (category, stored id, byte range of the id in the value) of every object one value names.
fn ids_in(
    reference: &Reference,
    value: &str,
    holder: &serde_json::Map<String, Value>,
    own_id: Option<&str>,
) -> Vec<(&'static str, String, Range<usize>)> {
    let whole = 0..value.len();
    let in_value = |object: Option<(&'static str, Range<usize>)>| {
        object
            .map(|(category, range)| (category, value[range.clone()].to_owned(), range))
            .into_iter()
            .collect()
    };
    match (reference.form, reference.target) {
        (Form::Orn, _) => in_value(orn::parse(value).and_then(|o| o.object)),
        (Form::Href, _) => in_value(href::parse(value).and_then(|h| h.object)),
        (Form::Expression, Target::Category { name }) => expression::group_ids(value)
            .into_iter()
            .map(|range| (name, value[range.clone()].to_owned(), range))
            .collect(),
        (_, _) if value.is_empty() => Vec::new(),
        (Form::ClientId, _) if value == EVERY_CLIENT => Vec::new(),
        (Form::Id | Form::ClientId, Target::Category { name }) => vec![(name, value.to_owned(), whole)],
        (Form::Id, Target::ChosenBy { by, among }) => {
            let chosen = holder.get(by).and_then(Value::as_str);
            among
                .iter()
                .find(|(v, _)| Some(*v) == chosen)
                .map(|(_, category)| (*category, value.to_owned(), whole))
                .into_iter()
                .collect()
        }
        (Form::Id, Target::OwnChild { category }) => own_id
            .map(|own| (category, format!("{own}/{value}"), whole))
            .into_iter()
            .collect(),
        // Combinations the catalog's tests rule out (an expression naming a chosen category...).
        _ => Vec::new(),
    }
}

/// The edit that moves an ORN's or href's org part from the source org to the target org.
fn org_edit(form: Form, value: &str, org: &OrgMove<'_>) -> Option<(Range<usize>, String)> {
    let (range, from, to) = match form {
        Form::Orn => (orn::parse(value)?.org, org.from_id, org.to_id),
        Form::Href => (
            href::parse(value)?.origin,
            org.from_url.trim_end_matches('/'),
            org.to_url.trim_end_matches('/'),
        ),
        Form::Id | Form::Expression | Form::ClientId => return None,
    };
    (value[range.clone()] == *from).then(|| (range, to.to_owned()))
}

/// Every string a reference path reaches in `object`, with its JSON pointer, whether or not it names an object (an
/// ORN for every user names none): what a path finds before its form is read.
pub fn strings_at<'v>(object: &'v Value, path: &str) -> Vec<(String, &'v str)> {
    path::sites(object, path)
        .into_iter()
        .map(|site| (site.pointer, site.value))
        .collect()
}

/// An app's OAuth client id, which [`Form::ClientId`] references name.
pub fn client_id_of(app: &Value) -> Option<&str> {
    app.pointer(CLIENT_ID_POINTER).and_then(Value::as_str)
}

#[cfg(test)]
mod tests;
