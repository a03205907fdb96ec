//! What goes with a deleted object, as Okta does it: the objects listed under it (a policy's rules, an
//! app's grants and schema, an authorization server's scopes, claims, policies and their rules), and
//! the references other objects hold to a deleted group, app or user. A group rule that assigned a
//! deleted group, or whose expression named it, turns INVALID; policies and rules lose the group from
//! their people conditions; a deleted user or group stops owning groups and being a binding member.

use serde_json::{Value, json};

use super::{all, objects_of, put_object, remove_object};
use crate::store::Org;

/// Removes what every resource whose parent is `resource` lists under `full_id` (the deleted object's
/// key, `parent/key` for a nested one), and what is listed under those in turn.
pub fn children_gone(org: &mut Org, resource: &str, full_id: &str) {
    for child in all().filter(|r| r.parent == Some(resource)) {
        let removed = org
            .resources
            .get_mut(child.name)
            .and_then(|by_parent| by_parent.remove(full_id));
        for record in removed.iter().flat_map(|items| items.iter()) {
            children_gone(org, child.name, &format!("{full_id}/{}", record.id));
        }
    }
}

/// Where group ids sit in other objects: (resource, JSON pointers to arrays of ids).
const GROUP_REFERENCES: &[(&str, &[&str])] = &[
    (
        "policies",
        &["/conditions/people/groups/include", "/conditions/people/groups/exclude"],
    ),
    (
        "policy_rules",
        &[
            "/conditions/people/groups/include",
            "/conditions/people/groups/exclude",
            "/actions/profileEnrollment/targetGroupIds",
        ],
    ),
    ("authserver_policies", &["/conditions/people/groups/include"]),
    ("authserver_policy_rules", &["/conditions/people/groups/include"]),
    ("group_rules", &["/conditions/people/groups/exclude"]),
];

/// Where user ids sit in other objects.
const USER_REFERENCES: &[(&str, &[&str])] = &[
    (
        "policy_rules",
        &["/conditions/people/users/include", "/conditions/people/users/exclude"],
    ),
    ("authserver_policy_rules", &["/conditions/people/users/include"]),
    ("group_rules", &["/conditions/people/users/exclude"]),
];

/// Where app ids sit: app conditions of rules are `{type, id}` entries.
const APP_REFERENCES: &[(&str, &[&str])] = &[("policy_rules", &["/conditions/app/include"])];

/// Okta's side effects of deleting group `id` (memberships, app assignments and roles are the groups
/// handler's): rules that assigned it or name it in their expression turn INVALID, conditions lose it,
/// it no longer owns groups, and resource sets and bindings no longer name it.
pub fn group_gone(org: &mut Org, id: &str, now: &str) {
    invalidate_rules(org, id, now);
    for (resource, pointers) in GROUP_REFERENCES {
        scrub(org, resource, pointers, id, now);
    }
    drop_owner(org, id);
    principal_gone(org, &format!("/api/v1/groups/{id}"), id);
}

/// Okta's side effects of deleting user `id`: conditions lose it, it no longer owns groups.
pub fn user_gone(org: &mut Org, id: &str, now: &str) {
    for (resource, pointers) in USER_REFERENCES {
        scrub(org, resource, pointers, id, now);
    }
    drop_owner(org, id);
    principal_gone(org, &format!("/api/v1/users/{id}"), id);
}

/// Okta's side effects of deleting app `id` (its assignments are the apps handler's): what is listed
/// under it, mappings to or from it, role targets naming it, rules' app conditions, a brand's default app.
pub fn app_gone(org: &mut Org, id: &str, now: &str) {
    children_gone(org, "apps", id);
    for (resource, pointers) in APP_REFERENCES {
        scrub(org, resource, pointers, id, now);
    }
    remove_where(org, "profile_mappings", |m| {
        m["source"]["id"] == id || m["target"]["id"] == id
    });
    for targets in ["user_role_app_targets", "group_role_app_targets"] {
        remove_where(org, targets, |t| t["id"] == id);
    }
    remove_where(org, "resource_set_resources", |r| names(r, id));
    for brand in objects_of(&org.resources, "brands", "") {
        if brand.pointer("/defaultApp/appInstanceId") == Some(&json!(id)) {
            let mut brand = brand.clone();
            if let Some(fields) = brand.as_object_mut() {
                fields.remove("defaultApp");
            }
            put_object(&mut org.resources, "brands", "", &brand);
        }
    }
}

/// Group rules that assign group `id` or test it in their expression can no longer run: INVALID.
fn invalidate_rules(org: &mut Org, id: &str, now: &str) {
    for mut rule in objects_of(&org.resources, "group_rules", "") {
        let assigns = rule
            .pointer("/actions/assignUserToGroups/groupIds")
            .and_then(Value::as_array)
            .is_some_and(|ids| ids.iter().any(|g| g == id));
        let named = rule
            .pointer("/conditions/expression/value")
            .and_then(Value::as_str)
            .is_some_and(|e| e.contains(id));
        if (assigns || named) && rule["status"] != "INVALID" {
            rule["status"] = json!("INVALID");
            rule["lastUpdated"] = json!(now);
            put_object(&mut org.resources, "group_rules", "", &rule);
        }
    }
}

/// Removes `id` (an id, or an entry `{"id": id}`) from the arrays at `pointers` in every object of
/// `resource`, moving `lastUpdated` of the objects that held it.
fn scrub(org: &mut Org, resource: &str, pointers: &[&str], id: &str, now: &str) {
    let Some(by_parent) = org.resources.get(resource) else {
        return;
    };
    let parents: Vec<String> = by_parent.keys().cloned().collect();
    for parent in parents {
        for mut object in objects_of(&org.resources, resource, &parent) {
            let mut changed = false;
            for pointer in pointers {
                if let Some(Value::Array(items)) = object.pointer_mut(pointer) {
                    let before = items.len();
                    items.retain(|item| item != id && item.get("id").is_none_or(|i| i != id));
                    changed |= items.len() != before;
                }
            }
            if changed {
                if object.get("lastUpdated").is_some() {
                    object["lastUpdated"] = json!(now);
                }
                put_object(&mut org.resources, resource, &parent, &object);
            }
        }
    }
}

/// A deleted user or group no longer owns any group.
fn drop_owner(org: &mut Org, id: &str) {
    remove_where(org, "group_owners", |owner| owner["id"] == id);
}

/// A deleted user or group (by its API path) is no longer a binding member, and no resource set names it.
fn principal_gone(org: &mut Org, path: &str, id: &str) {
    remove_where(org, "resource_set_binding_members", |m| {
        m.pointer("/_links/self/href")
            .and_then(Value::as_str)
            .is_some_and(|href| href.ends_with(path))
    });
    remove_where(org, "resource_set_resources", |r| names(r, id));
}

/// Whether a resource set's resource names object `id` in its ORN (`orn:okta:directory:<org>:groups:<id>`).
fn names(resource: &Value, id: &str) -> bool {
    resource["orn"]
        .as_str()
        .is_some_and(|orn| orn.split(':').any(|part| part == id))
}

/// Removes every object of `resource` (any parent) that `gone` selects.
fn remove_where(org: &mut Org, resource: &str, gone: impl Fn(&Value) -> bool) {
    let Some(by_parent) = org.resources.get(resource) else {
        return;
    };
    let doomed: Vec<(String, String)> = by_parent
        .iter()
        .flat_map(|(parent, items)| {
            items
                .iter()
                .filter(|r| gone(&r.value()))
                .map(|r| (parent.clone(), r.id.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    for (parent, key) in doomed {
        remove_object(&mut org.resources, resource, &parent, &key);
    }
}
