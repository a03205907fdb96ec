//! Linked-object values: which user is another's `manager` (or `sponsor`...), per the linked-object
//! definitions (`linked_object_definitions`). `GET /api/v1/users/{id}/linkedObjects/{name}` answers,
//! for a definition's primary name, the user's primary (one self link, or `[]`), and for its
//! associated name every user whose primary this user is (spec tag UserLinkedObject).
//!
//! Both directions are stored, under the parent `{userId}/{relationshipName}`, as the `ResponseLinks`
//! the route answers: a lookup per call, however many users the org has (the backup asks every user
//! for its primary). One link costs two small records; about one ACTIVE user in five has a primary
//! per definition, among a pool of one user in twenty.

use serde_json::{Value, json};

use super::{CheckParent, Resource, SeedCtx, Seeded, Shape, objects_of, put_object, remove_object};
use crate::errors::ApiError;
use crate::ratelimit::USER_GET;
use crate::store::{Org, Record};

pub const VALUES: &str = "linked_object_values";
const DEFINITIONS: &str = "linked_object_definitions";
pub const RESOURCES: &[Resource] = &[Resource {
    name: VALUES,
    route: "/api/v1/users/{userIdOrLogin}/linkedObjects/{relationshipName}",
    parent: Some("users"),
    // The spec gives this list no paging parameters.
    shape: Shape::Array(None),
    key: "/_links/self/href",
    scope: "okta.users.read",
    bucket: USER_GET,
    seed: seed_values,
    ..Resource::DEFAULTS
}];

pub const CHECKED: &[(&str, CheckParent)] = &[(VALUES, user_and_relationship)];

/// Which side of a definition a relationship name is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Side {
    /// The primary name (`manager`), with the definition's associated name.
    Primary { associated: String },
    /// The associated name (`subordinate`), with the definition's primary name.
    Associated { primary: String },
}

fn side_of(org: &Org, name: &str) -> Option<Side> {
    let definitions = org.resources.get(DEFINITIONS).and_then(|by_parent| by_parent.get(""))?;
    // Definitions are keyed by primary name: the frequent case is one lookup.
    if let Some(definition) = definitions.get(name) {
        let associated = definition.value()["associated"]["name"].as_str()?.to_string();
        return Some(Side::Primary { associated });
    }
    definitions.values().into_iter().find_map(|d| {
        (d["associated"]["name"] == name).then(|| Side::Associated {
            primary: d["primary"]["name"].as_str().unwrap_or_default().to_string(),
        })
    })
}

/// A user's id from its id or login; `me` is the first ACTIVE user, the simulator's API token holder.
fn user_id(org: &Org, id_or_login: &str) -> Result<String, ApiError> {
    let found = if id_or_login == "me" {
        org.users.iter().find(|r| &*r.status == "ACTIVE")
    } else {
        org.users.get(id_or_login).or_else(|| {
            org.logins
                .get(&id_or_login.to_lowercase())
                .and_then(|id| org.users.get(id))
        })
    };
    found
        .map(|r: &Record| r.id.to_string())
        .ok_or_else(|| ApiError::NotFound(format!("{id_or_login} (User)")))
}

fn unknown_relationship(name: &str) -> ApiError {
    ApiError::NotFound(format!("{name} (LinkedObject)"))
}

/// The GET route's parameters: a user (id or login) and a primary or associated name.
fn user_and_relationship(org: &Org, params: &[String]) -> Result<String, ApiError> {
    let [user, name] = params else {
        return Err(ApiError::NotFound("linkedObjects (route)".into()));
    };
    let user = user_id(org, user)?;
    side_of(org, name).ok_or_else(|| unknown_relationship(name))?;
    Ok(format!("{user}/{name}"))
}

/// What the route lists for a linked user: a link to it.
pub fn self_link(base: &str, user_id: &str) -> Value {
    json!({ "_links": { "self": { "href": format!("{base}/api/v1/users/{user_id}") } } })
}

/// The user id a stored self link points at.
fn linked_id(link: &Value) -> String {
    let href = link["_links"]["self"]["href"].as_str().unwrap_or_default();
    href.rsplit('/').next().unwrap_or_default().to_string()
}

/// One ACTIVE user in five gets a primary per definition, drawn from the first twentieth of them
/// (the managers, the sponsors).
fn seed_values(ctx: &mut SeedCtx) -> Seeded {
    let active = ctx.user_ids("ACTIVE");
    let mut out = Seeded::new();
    if active.len() < 2 {
        return out;
    }
    let pool = &active[..(active.len() / 20).max(2)];
    for definition in ctx.objects(DEFINITIONS) {
        let (Some(primary_name), Some(associated_name)) = (
            definition["primary"]["name"].as_str(),
            definition["associated"]["name"].as_str(),
        ) else {
            continue;
        };
        for user in &active {
            if ctx.rng.below(5) != 0 {
                continue;
            }
            let primary = ctx.rng.pick(pool);
            if primary == user {
                continue;
            }
            let links = out.entry(format!("{user}/{primary_name}")).or_default();
            links.push(self_link(ctx.base, primary));
            let links = out.entry(format!("{primary}/{associated_name}")).or_default();
            links.push(self_link(ctx.base, user));
        }
    }
    out
}

/// The primary relationship `name` names, refusing associated names (links are made and removed by
/// the primary name).
fn primary_side(org: &Org, name: &str) -> Result<String, ApiError> {
    match side_of(org, name) {
        Some(Side::Primary { associated }) => Ok(associated),
        Some(Side::Associated { primary }) => Err(ApiError::validation(
            "primaryRelationshipName",
            format!("`{name}` is an associated name; links are made and removed with the primary name `{primary}`"),
        )),
        None => Err(unknown_relationship(name)),
    }
}

/// Makes `primary` the primary of `associated` for the relationship `primary_name`, replacing a
/// previous primary (`PUT /api/v1/users/{associated}/linkedObjects/{primaryName}/{primaryUserId}`).
pub fn link(org: &mut Org, base: &str, associated: &str, primary_name: &str, primary: &str) -> Result<(), ApiError> {
    let associated = user_id(org, associated)?;
    let primary = user_id(org, primary)?;
    let associated_name = primary_side(org, primary_name)?;
    if associated == primary {
        return Err(ApiError::validation(
            "primaryUserId",
            format!("{primary} cannot be linked to itself as its own {primary_name}"),
        ));
    }
    unlink_known(org, &associated, primary_name, &associated_name);
    let key = format!("{associated}/{primary_name}");
    put_object(&mut org.resources, VALUES, &key, &self_link(base, &primary));
    let key = format!("{primary}/{associated_name}");
    put_object(&mut org.resources, VALUES, &key, &self_link(base, &associated));
    Ok(())
}

/// Removes the primary of `user` for the relationship `primary_name`; no primary is no error
/// (`DELETE /api/v1/users/{user}/linkedObjects/{primaryName}`).
pub fn unlink(org: &mut Org, user: &str, primary_name: &str) -> Result<(), ApiError> {
    let user = user_id(org, user)?;
    let associated_name = primary_side(org, primary_name)?;
    unlink_known(org, &user, primary_name, &associated_name);
    Ok(())
}

fn unlink_known(org: &mut Org, user: &str, primary_name: &str, associated_name: &str) {
    for link in take(org, &format!("{user}/{primary_name}")) {
        let primary = linked_id(&link);
        let href = self_link_href(&link, user);
        remove_object(
            &mut org.resources,
            VALUES,
            &format!("{primary}/{associated_name}"),
            &href,
        );
    }
}

/// The stored key of the link to `user` in a list where `link` is stored: the same base URL.
fn self_link_href(link: &Value, user: &str) -> String {
    let href = link["_links"]["self"]["href"].as_str().unwrap_or_default();
    let base = href.rsplit_once('/').map_or("", |(base, _)| base);
    format!("{base}/{user}")
}

/// Removes and answers every link stored under `parent`.
fn take(org: &mut Org, parent: &str) -> Vec<Value> {
    let links = objects_of(&org.resources, VALUES, parent);
    if let Some(by_parent) = org.resources.get_mut(VALUES) {
        by_parent.remove(parent);
    }
    links
}

/// Drops every link to or from a deleted user, as Okta does.
pub fn forget_user(org: &mut Org, user: &str) {
    let definitions = objects_of(&org.resources, DEFINITIONS, "");
    for definition in definitions {
        let (Some(primary_name), Some(associated_name)) = (
            definition["primary"]["name"].as_str(),
            definition["associated"]["name"].as_str(),
        ) else {
            continue;
        };
        unlink_known(org, user, primary_name, associated_name);
        for link in take(org, &format!("{user}/{associated_name}")) {
            let associated = linked_id(&link);
            take(org, &format!("{associated}/{primary_name}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_names_the_user_it_points_at_and_its_siblings_share_the_base() {
        let link = self_link("http://127.0.0.1:9", "00u1");
        assert_eq!(linked_id(&link), "00u1");
        assert_eq!(self_link_href(&link, "00u2"), "http://127.0.0.1:9/api/v1/users/00u2");
    }
}
