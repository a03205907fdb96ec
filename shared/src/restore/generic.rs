//! Every category without a hook of its own, planned and applied from its catalog row alone: references rewritten
//! into the target org's ids ([`crate::references::rewrite`] with the id map), matched by natural key or, for
//! Okta's own objects, by kind ([`super::keys`]), written with the row's calls and bodies
//! ([`Category::stripped`]), switched on or off as `on_when` says.
//!
//! Where Okta differs, a hook says so here: a group rule's `actions` cannot be updated and an INVALID rule can be
//! neither activated nor deactivated, so such a rule is deleted and created again; only an INACTIVE group rule can
//! be updated (deactivated around the write); a policy or policy rule is never deactivated for an edit, and one
//! that was INACTIVE is created with `activate=false`.

use reqwest::Method;
use serde_json::{Value, json};

use super::keys::{OwnWrite, natural_key, okta_own, own_key};
use super::kinds::urlencode;
use crate::categories::{Category, Endpoint, Keep, OnWhen, Response, Source};
use crate::references::{FoundRef, OrgMove, rewrite};
use serde::{Deserialize, Serialize};

/// The group rules row: the one generic row with a recreate.
pub const GROUP_RULES: &str = "group_rules";

/// Rows Okta creates only with values of related objects in the create body: (row, related row, the related
/// object's field naming the row's object). A custom role is created with its permissions, a resource set with
/// its resources, a binding with its members, an email domain with the brand that uses it.
pub const COMPANIONS: &[(&str, &str, &str)] = &[
    ("custom_roles", "role_permissions", "roleId"),
    ("resource_sets", "resource_set_resources", "resourceSetId"),
    ("resource_set_bindings", "resource_set_binding_members", "bindingId"),
    ("email_domains", "brands", "emailDomainId"),
];

/// Order beyond the catalog's: `(row, written after this row)`. A custom role assigned over a resource set makes
/// the set's binding in Okta, so the bindings (with their members) are written first and the assignments they
/// made are then matched, not made twice by two categories at once.
pub const WRITTEN_AFTER: &[(&str, &str)] = &[
    ("user_roles", "resource_set_bindings"),
    ("group_roles", "resource_set_bindings"),
];

/// Whether selecting an object of `row` selects its companions too: its children, not a brand that uses a domain.
pub fn brings_companions(row: &str) -> bool {
    row != "email_domains"
}

/// The field of the create body the companions fill, from each companion (its references already rewritten).
pub fn companion_field(row: &Category, companions: &[Value]) -> Option<(&'static str, Value)> {
    let values = |pointers: &[&str]| -> Value {
        companions
            .iter()
            .filter_map(|c| pointers.iter().find_map(|p| c.pointer(p).cloned()))
            .collect()
    };
    match row.name {
        "custom_roles" => Some(("permissions", values(&["/label"]))),
        "resource_sets" => Some(("resources", values(&["/orn", "/_links/self/href"]))),
        "resource_set_bindings" => Some(("members", values(&["/_links/self/href"]))),
        _ => None,
    }
}

/// Rows whose create takes `activate=false` (Okta activates them on create otherwise).
const CREATE_TAKES_ACTIVATE: &[&str] = &["policies", "policy_rules"];

/// Whether the generic path can write objects of `row`: kept whole, as one object, or with their parent, and listed
/// by a query (per parent or not) a restore can repeat in the target org.
pub fn supported(row: &Category) -> Result<(), String> {
    let keep = matches!(
        row.keep,
        Keep::Whole
            | Keep::Named { .. }
            | Keep::WithParent { .. }
            | Keep::OnePerParent { .. }
            | Keep::Edge { .. }
            | Keep::LinkedUser { .. }
    );
    let source = matches!(
        row.source,
        Source::List { .. } | Source::PerParent { .. } | Source::PerParentAndName { .. } | Source::PerParentLink { .. }
    );
    if keep && source {
        Ok(())
    } else {
        Err(format!(
            "restoring {} ({}) is not supported yet: its objects are not listed by a query a restore can repeat in \
             the target org",
            row.name, row.title
        ))
    }
}

/// The target org's stored id of the parent of `object` (its references already rewritten), for a row kept with
/// its parent.
pub fn parent_of(row: &Category, object: &Value) -> Option<String> {
    let field = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
    match row.keep {
        Keep::WithParent { parent_field } | Keep::OnePerParent { parent_field } | Keep::Edge { parent_field, .. } => {
            field(parent_field)
        }
        // Listed per user and relationship name: `/users/{id}/linkedObjects/{name}`.
        Keep::LinkedUser {
            parent_field,
            name_field,
            ..
        } => Some(format!("{}/{}", field(parent_field)?, field(name_field)?)),
        _ => None,
    }
}

/// Whether the row is listed per parent (so a missing parent means nothing can be found or created).
pub fn has_parent(row: &Category) -> bool {
    parent_field(row).is_some()
}

/// The field holding the parent's id, for a row listed per parent: the role assignment of a role's target, the
/// user of a linked-object value.
pub fn parent_field(row: &Category) -> Option<&'static str> {
    match row.keep {
        Keep::WithParent { parent_field }
        | Keep::OnePerParent { parent_field }
        | Keep::Edge { parent_field, .. }
        | Keep::LinkedUser { parent_field, .. } => Some(parent_field),
        Keep::Whole | Keep::Named { .. } => None,
    }
}

/// The other end's id of a relationship row (a role target's group, a linked user's primary): the last id of its
/// write call's path.
fn child_of(row: &Category, object: &Value) -> Option<String> {
    match row.keep {
        Keep::Edge { child_field, .. } | Keep::LinkedUser { child_field, .. } => {
            object.get(child_field).and_then(Value::as_str).map(str::to_owned)
        }
        _ => None,
    }
}

/// An object's own id (the row's `id_pointer`).
pub fn own_id(row: &Category, object: &Value) -> Option<String> {
    row.id_pointer
        .split('|')
        .find_map(|pointer| object.pointer(pointer).and_then(Value::as_str))
        .map(str::to_owned)
}

/// `endpoint`'s path with its parameters filled in order: the parent's id parts (`aus1/00p1` is two), then, when
/// the template takes one more, the object's own id.
pub fn fill(endpoint: &Endpoint, parent: Option<&str>, own: Option<&str>) -> Result<String, String> {
    fill_template(endpoint.method, endpoint.path, parent, own)
}

fn fill_template(method: &str, template: &str, parent: Option<&str>, own: Option<&str>) -> Result<String, String> {
    let params = template.matches('{').count();
    let mut values: Vec<&str> = parent.map(|p| p.split('/').collect()).unwrap_or_default();
    if params == values.len() + 1
        && let Some(own) = own
    {
        values.push(own);
    }
    if params != values.len() {
        return Err(format!(
            "the catalog's call {method} {template} takes {params} ids and the object gives {}",
            values.len()
        ));
    }
    let mut out = String::new();
    let mut rest = template;
    for value in values {
        let (before, after) = rest.split_once('{').expect("counted above");
        let (_, after) = after.split_once('}').expect("a parameter is closed");
        out.push_str(before);
        out.push_str(&urlencode(value));
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// The query that lists `row`'s live objects (of one parent, for a per-parent row).
pub fn listing_paths(row: &Category, parent: Option<&str>) -> Vec<String> {
    match (row.source, parent) {
        (Source::List { passes }, _) => passes.iter().map(|p| (*p).to_owned()).collect(),
        (Source::PerParentAndName { path, .. }, Some(parent)) => {
            let Some((id, name)) = parent.rsplit_once('/') else {
                return Vec::new();
            };
            vec![path.replace("{id}", &urlencode(id)).replace("{name}", &urlencode(name))]
        }
        (Source::PerParent { path, .. }, Some(parent)) => {
            let mut out = path.replace("{id}", &urlencode(parent));
            for (n, part) in parent.split('/').enumerate() {
                out = out.replace(&format!("{{{n}}}"), &urlencode(part));
            }
            vec![out]
        }
        _ => Vec::new(),
    }
}

/// The items of one answer of a listing query, as the row's response holds them.
pub fn items(row: &Category, answer: Value) -> Vec<Value> {
    match (row.response, answer) {
        (Response::Wrapped { field }, Value::Object(mut o)) => match o.remove(field) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        (Response::Object, Value::Object(o)) => vec![Value::Object(o)],
        (_, Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// A live object as the row keeps it: with its parent's id under the parent field; a listed relationship (a role's
/// group target, a linked user) as the backup keeps it. `None` for an item a backup would not keep either.
pub fn kept(row: &Category, object: Value, parent: Option<&str>) -> Option<Value> {
    if let Keep::Edge { child_field, .. } | Keep::LinkedUser { child_field, .. } = row.keep {
        if object.get(child_field).is_some() {
            return Some(object);
        }
        return crate::workflow::backup::keep_value(row, parent, object)
            .ok()
            .map(|(_, v)| v);
    }
    Some(kept_with_parent(row, object, parent))
}

fn kept_with_parent(row: &Category, mut object: Value, parent: Option<&str>) -> Value {
    if let (Keep::WithParent { parent_field } | Keep::OnePerParent { parent_field }, Some(parent)) = (row.keep, parent)
        && let Some(fields) = object.as_object_mut()
    {
        fields.insert(parent_field.to_owned(), json!(parent));
    }
    object
}

/// The two orgs of a restore into another org, as ORNs and hrefs name them: what moves an ORN's org id and an
/// href's origin from the source org to the target org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orgs {
    pub from_url: String,
    pub to_url: String,
    pub from_id: String,
    pub to_id: String,
}

impl Orgs {
    pub fn as_move(&self) -> OrgMove<'_> {
        OrgMove {
            from_url: &self.from_url,
            to_url: &self.to_url,
            from_id: &self.from_id,
            to_id: &self.to_id,
        }
    }
}

/// Rewrites `object`'s references with `map` (the target org's stored id of each, when known), and with `orgs`
/// moves its ORNs and hrefs to the target org; the references it could not map are returned beside it.
pub fn rewritten(
    row: &Category,
    object: &Value,
    map: &dyn Fn(&FoundRef) -> Option<String>,
    orgs: Option<&Orgs>,
) -> (Value, Vec<FoundRef>) {
    let moved = orgs.map(Orgs::as_move);
    let r = rewrite(row, object, map, moved.as_ref());
    (r.object, r.unresolved)
}

/// The live object in `lives` that is the snapshot's `object` (references rewritten): Okta's own objects by kind,
/// then the object the id map or (same org) its own id names, then one with its natural key.
pub fn find_live<'v>(row: &Category, object: &Value, target_id: Option<&str>, lives: &'v [Value]) -> Option<&'v Value> {
    if let Some(own) = okta_own(row, object) {
        let key = own_key(row, &own, object);
        return lives
            .iter()
            .find(|live| okta_own(row, live).is_some() && own_key(row, &own, live) == key);
    }
    if let Some(target) = target_id
        && let Some(live) = lives.iter().find(|l| row.stored_id(l).as_deref() == Some(target))
    {
        return Some(live);
    }
    let key = natural_key(row, object);
    lives
        .iter()
        .find(|live| okta_own(row, live).is_none() && natural_key(row, live) == key)
}

/// Whether the stored object was on (`Some(true)`), off, or neither, as the row's `on_when` reads it.
pub fn wants_on(row: &Category, object: &Value) -> Option<bool> {
    match row.restore.on_when? {
        OnWhen::Status { on, off } => {
            let status = object.get("status").and_then(Value::as_str)?;
            if on.contains(&status) {
                Some(true)
            } else if off.contains(&status) {
                Some(false)
            } else {
                None
            }
        }
        OnWhen::Flag { field, on } => object.get(field).and_then(Value::as_bool).map(|v| v == on),
    }
}

/// What Okta's own object gets: `Err` with why when a restore leaves it.
pub fn own_write(row: &Category, object: &Value) -> Result<Option<&'static str>, String> {
    match okta_own(row, object) {
        None => Ok(None),
        Some(own) => match own.write {
            OwnWrite::Update => Ok(Some(own.what)),
            OwnWrite::Untouched => Err(format!(
                "{} is Okta's own: it cannot be created or changed through the API",
                own.what
            )),
            OwnWrite::FirstPartyApp { .. } => Err(format!(
                "{} is configured through Okta's first-party app settings, not restored as an app",
                own.what
            )),
        },
    }
}

/// The create call of `object` (references rewritten) under its parent in the target org.
pub fn create_call(row: &Category, object: &Value, parent: Option<&str>) -> Result<(Method, String, Value), String> {
    let endpoint = row
        .restore
        .create
        .ok_or_else(|| format!("{} has no create call in Okta's API", row.name))?;
    if APP_TARGETS.contains(&row.name) {
        return app_target_call(&endpoint, parent, object);
    }
    if let Some(child) = child_of(row, object) {
        // A relationship is made by naming both ends in the path (`PUT .../targets/groups/{groupId}`), no body.
        return Ok((method(&endpoint), fill(&endpoint, parent, Some(&child))?, Value::Null));
    }
    let mut path = fill(&endpoint, parent, None)?;
    if CREATE_TAKES_ACTIVATE.contains(&row.name) && wants_on(row, object) == Some(false) {
        path.push_str("?activate=false");
    }
    let body = match row.name {
        // A binding is created by the role it binds (its `id`); its members come with it (see COMPANIONS).
        "resource_set_bindings" => json!({ "role": object.get("id") }),
        _ => row.stripped(object, crate::categories::Write::Create),
    };
    Ok((method(&endpoint), path, body))
}

/// The two kinds of target a role assignment has (groups, apps), as pairs of rows. An assignment with no target of
/// either kind applies to every group and app, so adding one narrows it.
const ROLE_TARGETS: &[(&str, &str)] = &[
    ("user_role_group_targets", "user_role_app_targets"),
    ("group_role_group_targets", "group_role_app_targets"),
];

/// The row holding the other kind of target of the same role assignments, for a role-target row.
pub fn other_role_targets(row: &Category) -> Option<&'static str> {
    ROLE_TARGETS.iter().find_map(|(groups, apps)| {
        if row.name == *groups {
            Some(*apps)
        } else if row.name == *apps {
            Some(*groups)
        } else {
            None
        }
    })
}

/// The rows whose object is an app a role assignment targets: `PUT .../catalog/apps/{appName}/{appId}` names one
/// instance, `PUT .../catalog/apps/{appName}` every instance of an OIN app (the target has no `id` then).
const APP_TARGETS: &[&str] = &["user_role_app_targets", "group_role_app_targets"];

fn app_target_call(
    endpoint: &Endpoint,
    parent: Option<&str>,
    object: &Value,
) -> Result<(Method, String, Value), String> {
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or("an app target without the app's name")?;
    let instance = object.get("id").and_then(Value::as_str);
    let template = match instance {
        Some(_) => endpoint.path,
        None => endpoint
            .path
            .strip_suffix("/{appId}")
            .ok_or_else(|| format!("{} does not end in an app id", endpoint.path))?,
    };
    let parts: Vec<&str> = parent
        .map(|p| p.split('/').collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([name])
        .chain(instance)
        .collect();
    let path = fill_template(endpoint.method, template, Some(&parts.join("/")), None)?;
    Ok((method(endpoint), path, Value::Null))
}

/// The update call that writes `body` to the live object `live` (kept with its parent).
pub fn update_call(row: &Category, live: &Value, body: Value) -> Result<(Method, String, Value), String> {
    let endpoint = row
        .restore
        .update
        .ok_or_else(|| format!("{} has no update call in Okta's API", row.name))?;
    match row.name {
        // One call per state: `POST /api/v1/features/{featureId}/enable` or `.../disable`, no body.
        "features" => {
            let id = own_id(row, live).ok_or("a feature without an id")?;
            let on = body.get("status").and_then(Value::as_str) == Some("ENABLED");
            let lifecycle = if on { "enable" } else { "disable" };
            let path = fill(&endpoint, Some(&format!("{id}/{lifecycle}")), None)?;
            return Ok((method(&endpoint), path, Value::Null));
        }
        // A user schema is addressed by its own id, the last segment of its `id` URL (a type names it by link).
        "user_schemas" => {
            let id = live
                .get("id")
                .and_then(Value::as_str)
                .and_then(|u| u.rsplit('/').next());
            let path = fill(&endpoint, None, id)?;
            return Ok((method(&endpoint), path, body));
        }
        _ => {}
    }
    let path = fill(&endpoint, parent_of(row, live).as_deref(), own_id(row, live).as_deref())?;
    Ok((method(&endpoint), path, body))
}

/// The lifecycle call that switches the live object `live` on or off, when the row has one.
pub fn switch_call(row: &Category, live: &Value, on: bool) -> Option<Result<String, String>> {
    let endpoint = if on {
        row.restore.activate
    } else {
        row.restore.deactivate
    }?;
    Some(fill(
        &endpoint,
        parent_of(row, live).as_deref(),
        own_id(row, live).as_deref(),
    ))
}

/// What an update writes: the object's own attributes (`Category::stripped` for an update).
pub fn own(row: &Category, object: &Value) -> Value {
    match row.name {
        // A feature is on or off: nothing else of it is written.
        "features" => json!({ "status": object.get("status") }),
        // A template is listed with its settings (`expand=settings`); only the settings are written.
        "email_templates" => {
            let mut settings = object
                .pointer("/_embedded/settings")
                .cloned()
                .unwrap_or_else(|| json!({}));
            if let Some(fields) = settings.as_object_mut() {
                fields.remove("_links");
            }
            settings
        }
        _ => row.stripped(object, crate::categories::Write::Update),
    }
}

/// The delete call of a group rule, keeping the memberships it made (`removeUsers=false`): they stay until the
/// rule, created again and active, manages them.
pub fn delete_rule_path(live: &Value) -> Option<String> {
    let id = live.get("id").and_then(Value::as_str)?;
    Some(format!("/api/v1/groups/rules/{}?removeUsers=false", urlencode(id)))
}

/// Why a live group rule must be deleted and created again rather than updated, if it must: it is INVALID (Okta
/// can neither switch nor fix it), or its `actions` differ (Okta cannot update them).
pub fn rule_recreate_reason(snapshot: &Value, live: &Value) -> Option<String> {
    if live.get("status").and_then(Value::as_str) == Some("INVALID") {
        return Some("INVALID in the target (a group it names was deleted): deleted and created again".into());
    }
    if snapshot.get("actions") != live.get("actions") {
        return Some("its actions differ, which Okta cannot update: deleted and created again".into());
    }
    None
}

fn method(endpoint: &Endpoint) -> Method {
    Method::from_bytes(endpoint.method.as_bytes()).expect("the catalog names HTTP methods")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_restorable_row_of_the_catalog_is_restored_by_a_hook_or_the_generic_path() {
        let refused: Vec<String> = crate::categories::CATEGORIES
            .iter()
            .filter(|row| row.restorable)
            .filter_map(|row| match super::super::kinds::Kind::of(row.name) {
                Some(kind) if !kind.is_generic() => None,
                _ => supported(row).err(),
            })
            .collect();
        assert!(refused.is_empty(), "{refused:#?}");
    }
    use crate::categories::find;

    #[test]
    fn paths_take_the_parent_parts_then_the_own_id() {
        let rules = find("authserver_policy_rules").unwrap();
        let create = rules.restore.create.unwrap();
        assert_eq!(
            fill(&create, Some("aus1/00p1"), None).unwrap(),
            "/api/v1/authorizationServers/aus1/policies/00p1/rules"
        );
        let update = rules.restore.update.unwrap();
        assert_eq!(
            fill(&update, Some("aus1/00p1"), Some("0pr1")).unwrap(),
            "/api/v1/authorizationServers/aus1/policies/00p1/rules/0pr1"
        );
        let zones = find("network_zones").unwrap();
        assert_eq!(
            fill(&zones.restore.update.unwrap(), None, Some("nzo1")).unwrap(),
            "/api/v1/zones/nzo1"
        );
        assert!(fill(&update, None, Some("0pr1")).is_err(), "a rule needs its parents");
    }

    #[test]
    fn per_parent_listings_name_the_parent_parts() {
        let rules = find("authserver_policy_rules").unwrap();
        assert_eq!(
            listing_paths(rules, Some("aus1/00p1")),
            vec!["/api/v1/authorizationServers/aus1/policies/00p1/rules".to_owned()]
        );
        let policy_rules = find("policy_rules").unwrap();
        assert_eq!(
            listing_paths(policy_rules, Some("00p1")),
            vec!["/api/v1/policies/00p1/rules".to_owned()]
        );
    }

    #[test]
    fn default_objects_are_found_by_kind_and_others_by_natural_key() {
        let rules = find("policy_rules").unwrap();
        let lives = vec![
            json!({"id": "r1", "policyId": "P2", "name": "Default Rule", "system": true}),
            json!({"id": "r2", "policyId": "P2", "name": "Office", "system": false}),
        ];
        let default = json!({"id": "x", "policyId": "P2", "name": "Renamed default", "system": true});
        assert_eq!(find_live(rules, &default, None, &lives).unwrap()["id"], "r1");
        let office = json!({"id": "y", "policyId": "P2", "name": "Office"});
        assert_eq!(find_live(rules, &office, None, &lives).unwrap()["id"], "r2");
        assert!(find_live(rules, &json!({"policyId": "P2", "name": "Gone"}), None, &lives).is_none());
        assert_eq!(
            find_live(
                rules,
                &json!({"policyId": "P2", "name": "Renamed"}),
                Some("P2/r2"),
                &lives
            )
            .unwrap()["id"],
            "r2"
        );
    }

    #[test]
    fn okta_s_first_party_apps_and_built_in_groups_are_never_written() {
        let console = json!({"name": "saasure", "label": "Okta Admin Console", "signOnMode": "OPENID_CONNECT"});
        assert!(
            own_write(find("apps").unwrap(), &console)
                .unwrap_err()
                .contains("first-party")
        );
        let everyone = json!({"type": "BUILT_IN", "profile": {"name": "Everyone"}});
        assert!(own_write(find("groups").unwrap(), &everyone).is_err());
        let default_policy = json!({"type": "PASSWORD", "system": true});
        assert_eq!(
            own_write(find("policies").unwrap(), &default_policy),
            Ok(Some("the default policy of its type"))
        );
    }

    #[test]
    fn an_inactive_policy_rule_is_created_inactive_and_an_invalid_group_rule_is_recreated() {
        let rules = find("policy_rules").unwrap();
        let (_, path, body) = create_call(
            rules,
            &json!({"policyId": "P", "name": "r", "status": "INACTIVE"}),
            Some("P"),
        )
        .unwrap();
        assert_eq!(path, "/api/v1/policies/P/rules?activate=false");
        assert_eq!(body, json!({"name": "r"}));
        let snapshot = json!({"actions": {"assignUserToGroups": {"groupIds": ["g2"]}}});
        assert!(
            rule_recreate_reason(&snapshot, &json!({"status": "INVALID", "actions": snapshot["actions"]})).is_some()
        );
        assert!(
            rule_recreate_reason(
                &snapshot,
                &json!({"status": "ACTIVE", "actions": {"assignUserToGroups": {"groupIds": ["g1"]}}})
            )
            .is_some()
        );
        assert!(
            rule_recreate_reason(&snapshot, &json!({"status": "ACTIVE", "actions": snapshot["actions"]})).is_none()
        );
    }
}
