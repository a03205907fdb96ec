//! A new org, as Okta makes one: only the objects Okta creates itself, and the admin who holds the API token
//! (`SimConfig::defaults_only`). What a full-org restore into another org starts from.
//!
//! Kept: the first ACTIVE user (the admin, with their role assignments) and the Everyone group with them as its
//! member; the service app the simulator's OAuth clients authenticate as; the default user type and its schema;
//! the group schema; the org's settings, contacts, preferences and switches; built-in authenticators and their
//! methods; default (`system`) policies with their default rules; system network zones; the default brand with
//! its theme and templates; the `default` authorization server with its system scopes and claims, its default
//! policy and that policy's rules, and its keys. Everything else an admin would have made is left out.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::store::OrgState;

/// Okta's built-in authenticators, by `key`.
const BUILT_IN_AUTHENTICATORS: &[&str] = &[
    "okta_email",
    "okta_password",
    "okta_verify",
    "phone_number",
    "security_question",
    "webauthn",
];

/// The org's one-of-a-kind settings objects: every org has them.
const ORG_SINGLETONS: &[&str] = &[
    "group_schema",
    "org_settings",
    "org_contact_types",
    "org_contacts",
    "features",
    "threat_insight",
    "org_preferences",
    "org_okta_communication",
    "org_okta_support",
    "org_third_party_admin",
    "org_auto_assign_admin_app",
    "org_client_privileges",
];

/// Per-parent resources that come with their parent (kept when it is).
const WITH_PARENT: &[(&str, &str)] = &[
    ("authenticator_methods", "authenticators"),
    ("authserver_policy_rules", "authserver_policies"),
    ("authserver_keys", "authorization_servers"),
    ("brand_themes", "brands"),
    ("email_templates", "brands"),
    ("app_user_schemas", "apps"),
    ("app_keys", "apps"),
    ("user_roles", "users"),
];

/// Per-parent resources of which only Okta's own (`system`) objects are kept, under a kept parent.
const SYSTEM_CHILDREN: &[(&str, &str)] = &[
    ("policy_rules", "policies"),
    ("authserver_scopes", "authorization_servers"),
    ("authserver_claims", "authorization_servers"),
    ("authserver_policies", "authorization_servers"),
];

fn flag(object: &Value, field: &str) -> bool {
    object.get(field).and_then(Value::as_bool) == Some(true)
}

fn text<'v>(object: &'v Value, field: &str) -> &'v str {
    object.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// Whether a top-level object of `resource` is one Okta makes in every org.
fn okta_own(resource: &str, object: &Value) -> bool {
    match resource {
        "authenticators" => BUILT_IN_AUTHENTICATORS.contains(&text(object, "key")),
        "authorization_servers" => text(object, "name") == "default",
        "brands" => flag(object, "isDefault"),
        "network_zones" | "policies" => flag(object, "system"),
        "user_types" => flag(object, "default"),
        // Narrowed to the default type's schema below.
        "user_schemas" => true,
        other => ORG_SINGLETONS.contains(&other),
    }
}

/// `state` reduced to what a new org holds; `service_app` is the id of the app the OAuth clients are.
pub fn keep_okta_defaults(state: &mut OrgState, service_app: &str) {
    let admin = state.users.iter().find(|u| u["status"] == "ACTIVE").cloned();
    let admin_id = admin.as_ref().map(|u| text(u, "id").to_owned()).unwrap_or_default();
    state.users = admin.into_iter().collect();
    state.groups.retain(|g| g["type"] == "BUILT_IN");
    let everyone: BTreeSet<String> = state.groups.iter().map(|g| text(g, "id").to_owned()).collect();
    state.group_members.retain(|g, _| everyone.contains(g));
    for members in state.group_members.values_mut() {
        members.retain(|m| *m == admin_id);
    }
    state.apps.retain(|a| text(a, "id") == service_app);
    state.app_users.retain(|a, _| a == service_app);
    state.app_groups.clear();
    for users in state.app_users.values_mut() {
        users.retain(|u| text(u, "id") == admin_id);
    }

    // Kept ids per resource, top level first, then children in table order (a parent before its children).
    let mut kept: std::collections::BTreeMap<&str, BTreeSet<String>> = Default::default();
    kept.insert("users", BTreeSet::from([admin_id.clone()]));
    kept.insert("apps", BTreeSet::from([service_app.to_owned()]));
    let names: Vec<String> = state.resources.keys().cloned().collect();
    for name in &names {
        let by_parent = state.resources.get_mut(name).expect("listed above");
        if let Some(objects) = by_parent.get_mut("") {
            objects.retain(|o| okta_own(name, o));
        }
    }
    let full_ids = |state: &OrgState, resource: &str| -> BTreeSet<String> {
        state
            .resources
            .get(resource)
            .into_iter()
            .flatten()
            .flat_map(|(parent, objects)| {
                objects.iter().map(move |o| {
                    let id = text(o, "id");
                    if parent.is_empty() {
                        id.to_owned()
                    } else {
                        format!("{parent}/{id}")
                    }
                })
            })
            .collect()
    };
    for resource in ["authenticators", "authorization_servers", "brands", "policies"] {
        kept.insert(resource, full_ids(state, resource));
    }
    for (child, parent) in SYSTEM_CHILDREN {
        let parents = kept.get(parent).cloned().unwrap_or_default();
        if let Some(by_parent) = state.resources.get_mut(*child) {
            by_parent.retain(|p, _| parents.contains(p));
            for objects in by_parent.values_mut() {
                objects.retain(|o| flag(o, "system"));
            }
        }
        let ids = full_ids(state, child);
        kept.insert(child, ids);
    }
    for (child, parent) in WITH_PARENT {
        let parents = kept.get(parent).cloned().unwrap_or_default();
        if let Some(by_parent) = state.resources.get_mut(*child) {
            by_parent.retain(|p, _| parents.contains(p));
        }
    }
    // The default user type's schema is the one its link names.
    let schema_links: BTreeSet<String> = state
        .resources
        .get("user_types")
        .into_iter()
        .flat_map(|by_parent| by_parent.values().flatten())
        .filter_map(|t| t.pointer("/_links/schema/href").and_then(Value::as_str))
        .filter_map(|href| href.rsplit('/').next().map(str::to_owned))
        .collect();
    if let Some(by_parent) = state.resources.get_mut("user_schemas") {
        for objects in by_parent.values_mut() {
            objects.retain(|s| {
                text(s, "id")
                    .rsplit('/')
                    .next()
                    .is_some_and(|id| schema_links.contains(id))
            });
        }
    }
    if let Some(assignees) = state.resources.get_mut("role_assignees").and_then(|p| p.get_mut("")) {
        assignees.retain(|a| text(a, "id") == admin_id);
    }
    // Okta's default policies and rules apply to everyone: no group or user an admin made is named.
    let everyone: Vec<Value> = everyone.iter().map(|g| Value::String(g.clone())).collect();
    for resource in ["policies", "policy_rules", "authserver_policy_rules"] {
        for objects in state
            .resources
            .get_mut(resource)
            .into_iter()
            .flat_map(|p| p.values_mut())
        {
            for object in objects.iter_mut() {
                if let Some(people) = object.pointer_mut("/conditions/people") {
                    if let Some(groups) = people.pointer_mut("/groups/include") {
                        *groups = Value::Array(everyone.clone());
                    }
                    for list in ["/groups/exclude", "/users/include", "/users/exclude"] {
                        if let Some(ids) = people.pointer_mut(list) {
                            *ids = Value::Array(Vec::new());
                        }
                    }
                }
            }
        }
    }
    let handled: BTreeSet<&str> = ["user_schemas", "role_assignees", "org_contacts"]
        .into_iter()
        .chain(SYSTEM_CHILDREN.iter().map(|(c, _)| *c))
        .chain(WITH_PARENT.iter().map(|(c, _)| *c))
        .collect();
    for (name, by_parent) in state.resources.iter_mut() {
        if !handled.contains(name.as_str()) {
            by_parent.retain(|parent, _| parent.is_empty());
        }
    }
    state.logs.clear();
}
