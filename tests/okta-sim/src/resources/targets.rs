//! Admin role targets: the groups a USER_ADMIN, HELP_DESK_ADMIN or GROUP_MEMBERSHIP_ADMIN assignment
//! is limited to (`…/roles/{roleAssignmentId}/targets/groups`, whole `Group` objects), and the OIN apps
//! or app instances an APP_ADMIN assignment is limited to (`…/targets/catalog/apps`,
//! `CatalogApplication` objects: an instance carries its app `id`, a whole OIN app only its `name`),
//! for users' and groups' assignments. An assignment without targets applies to the whole org and
//! answers `[]`.
//!
//! Asking for targets a role type does not take (group targets of an APP_ADMIN assignment, any target
//! of ORG_ADMIN or a custom role) answers what Okta answers when a role's type is not the one the
//! operation needs: 400 `E0000091` "The provided role type was not the same as required role type."
//!
//! Targets are stored under `{holderId}/{roleAssignmentId}`. Group targets are copies of the groups,
//! kept current when a group changes and dropped when it is deleted.

use axum::response::Response;
use serde_json::{Value, json};

use super::write::{Call, Op, WriteRequest, Writes, answer, call, emit};
use super::{CheckParent, QUERY_LIMIT, Resource, SeedCtx, Seeded, Shape, put_object, remove_object};
use crate::errors::ApiError;
use crate::ratelimit::{GROUP_ITEM, USER_GET};
use crate::server::Shared;
use crate::store::{Collection, Org};
use crate::syslog::{group_target, user_target};

pub const USER_GROUP_TARGETS: &str = "user_role_group_targets";
pub const USER_APP_TARGETS: &str = "user_role_app_targets";
pub const GROUP_GROUP_TARGETS: &str = "group_role_group_targets";
pub const GROUP_APP_TARGETS: &str = "group_role_app_targets";

/// The role types that take group targets, and those that take app targets.
pub const GROUP_TARGETED: &[&str] = &["USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"];
pub const APP_TARGETED: &[&str] = &["APP_ADMIN"];

/// Spec `queryLimit`: 20 by default, at most 200.
const fn targets(
    name: &'static str,
    route: &'static str,
    parent: &'static str,
    key: &'static str,
    bucket: crate::ratelimit::Bucket,
    seed: fn(&mut SeedCtx) -> Seeded,
    writes: &'static Writes,
) -> Resource {
    Resource {
        name,
        route,
        parent: Some(parent),
        shape: Shape::Array(Some(QUERY_LIMIT)),
        key,
        scope: "okta.roles.read",
        bucket,
        seed,
        writes: Some(writes),
        ..Resource::DEFAULTS
    }
}

const fn target_writes(calls: &'static [Call]) -> Writes {
    Writes {
        calls,
        ..Writes::DEFAULTS
    }
}

/// The target calls: adding a target (PUT) and removing it (DELETE), for a group target, an app
/// instance (`{appName}/{appId}`) or a whole OIN app (`{appName}`).
static USER_GROUP_TARGET_WRITES: Writes = target_writes(&[
    call(
        "PUT",
        "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/groups/{groupId}",
        Op::Custom(add_target),
        204,
    ),
    call(
        "DELETE",
        "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/groups/{groupId}",
        Op::Custom(remove_target),
        204,
    ),
]);
static USER_APP_TARGET_WRITES: Writes = target_writes(&[
    call(
        "PUT",
        "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}/{appId}",
        Op::Custom(add_target),
        204,
    ),
    call(
        "PUT",
        "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}",
        Op::Custom(add_target),
        204,
    ),
    call(
        "DELETE",
        "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}/{appId}",
        Op::Custom(remove_target),
        204,
    ),
    call(
        "DELETE",
        "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}",
        Op::Custom(remove_target),
        204,
    ),
]);
static GROUP_GROUP_TARGET_WRITES: Writes = target_writes(&[
    call(
        "PUT",
        "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/groups/{targetGroupId}",
        Op::Custom(add_target),
        204,
    ),
    call(
        "DELETE",
        "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/groups/{targetGroupId}",
        Op::Custom(remove_target),
        204,
    ),
]);
static GROUP_APP_TARGET_WRITES: Writes = target_writes(&[
    call(
        "PUT",
        "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}/{appId}",
        Op::Custom(add_target),
        204,
    ),
    // The spec declares 200 for a group's whole-app target, 204 for a user's.
    call(
        "PUT",
        "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}",
        Op::Custom(add_target),
        200,
    ),
    call(
        "DELETE",
        "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}/{appId}",
        Op::Custom(remove_target),
        204,
    ),
    call(
        "DELETE",
        "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}",
        Op::Custom(remove_target),
        204,
    ),
]);

/// What a target call names: the assignment (`holder/assignment`), the holder's event target, and the
/// target's key (a group id, an app id, or a whole OIN app's name).
struct Addressed {
    parent: String,
    holder: Value,
    grant: &'static str,
    key: String,
}

fn addressed(org: &Org, request: &WriteRequest) -> Result<Addressed, ApiError> {
    let resource = request.resource.name;
    let assignments = if resource.starts_with("group_") {
        "group_roles"
    } else {
        "user_roles"
    };
    let types = if resource.ends_with("group_targets") {
        GROUP_TARGETED
    } else {
        APP_TARGETED
    };
    let (holder_id, rest) = match request.params.as_slice() {
        [holder, assignment, rest @ ..] => ((holder.clone(), assignment.clone()), rest.to_vec()),
        _ => return Err(ApiError::NotFound("role target (route)".into())),
    };
    let parent = assignment_taking(org, assignments, types, &[holder_id.0.clone(), holder_id.1])?;
    let (holder, grant) = if assignments == "group_roles" {
        let group = org.groups.get(&holder_id.0).map(|g| g.value()).unwrap_or_default();
        (group_target(&group), "group.privilege.grant")
    } else {
        let user = org.users.get(&holder_id.0).map(|u| u.value()).unwrap_or_default();
        (user_target(&user), "user.account.privilege.grant")
    };
    let key = rest.last().cloned().unwrap_or_default();
    Ok(Addressed {
        parent,
        holder,
        grant,
        key,
    })
}

/// PUT of a target: a group (a copy of it), an app instance (its app must have that name) or a whole
/// OIN app (one of Okta's catalog, or the name of an app of the org).
fn add_target(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let resource = request.resource.name;
    let mut org = sim.write_org();
    let at = addressed(&org, request)?;
    let target = if resource.ends_with("group_targets") {
        let group = org
            .groups
            .get(&at.key)
            .map(|g| g.value())
            .ok_or_else(|| ApiError::NotFound(format!("{} (UserGroup)", at.key)))?;
        if group["type"] != "OKTA_GROUP" {
            return Err(ApiError::validation(
                "groupId",
                format!(
                    "groupId: {} is not an OKTA_GROUP group; roles are limited to Okta groups",
                    at.key
                ),
            ));
        }
        group
    } else {
        let call_params = request.call.route.matches('{').count();
        let app_name = &request.params[2];
        if call_params == 4 {
            let app = org
                .apps
                .get(&at.key)
                .map(|a| a.value())
                .ok_or_else(|| ApiError::NotFound(format!("{} (AppInstance)", at.key)))?;
            if app["name"] != app_name.as_str() {
                return Err(ApiError::validation(
                    "appName",
                    format!(
                        "appName: app {} is a `{}` app, not `{app_name}`",
                        at.key,
                        app["name"].as_str().unwrap_or("?")
                    ),
                ));
            }
            app_instance_of(&sim.base, &app)
        } else {
            let known = OIN_APPS.iter().find(|(name, ..)| name == app_name).copied();
            let in_org = org
                .apps
                .iter()
                .map(|a| a.value())
                .find(|a| a["name"] == app_name.as_str());
            match (known, in_org) {
                (Some(oin), _) => oin_app_of(&sim.base, oin, &sim.clock.now()),
                (None, Some(app)) => {
                    let mode = app["signOnMode"].as_str().unwrap_or("BOOKMARK").to_string();
                    let label = app["label"].as_str().unwrap_or(app_name).to_string();
                    oin_app_of(&sim.base, (app_name, &label, "CUSTOM", &mode), &sim.clock.now())
                }
                (None, None) => return Err(ApiError::NotFound(format!("{app_name} (CatalogApplication)"))),
            }
        }
    };
    put_object(&mut org.resources, resource, &at.parent, &target);
    emit(sim, &mut org, at.grant, at.holder);
    Ok(answer(request.call.status, &target))
}

/// DELETE of a target.
fn remove_target(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let resource = request.resource.name;
    let mut org = sim.write_org();
    let at = addressed(&org, request)?;
    remove_object(&mut org.resources, resource, &at.parent, &at.key)
        .ok_or_else(|| ApiError::NotFound(format!("{} (role target)", at.key)))?;
    let revoke = at.grant.replace("grant", "revoke");
    emit(sim, &mut org, &revoke, at.holder);
    Ok(answer(request.call.status, &Value::Null))
}

pub const RESOURCES: &[Resource] = &[
    targets(
        USER_GROUP_TARGETS,
        "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/groups",
        "user_roles",
        "/id",
        USER_GET,
        |ctx| seed_group_targets(ctx, "user_roles"),
        &USER_GROUP_TARGET_WRITES,
    ),
    targets(
        USER_APP_TARGETS,
        "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps",
        "user_roles",
        // An app instance by its id, a whole OIN app by its name.
        "/id|/name",
        USER_GET,
        |ctx| seed_app_targets(ctx, "user_roles"),
        &USER_APP_TARGET_WRITES,
    ),
    targets(
        GROUP_GROUP_TARGETS,
        "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/groups",
        "group_roles",
        "/id",
        GROUP_ITEM,
        |ctx| seed_group_targets(ctx, "group_roles"),
        &GROUP_GROUP_TARGET_WRITES,
    ),
    targets(
        GROUP_APP_TARGETS,
        "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/catalog/apps",
        "group_roles",
        "/id|/name",
        GROUP_ITEM,
        |ctx| seed_app_targets(ctx, "group_roles"),
        &GROUP_APP_TARGET_WRITES,
    ),
];

pub const CHECKED: &[(&str, CheckParent)] = &[
    (USER_GROUP_TARGETS, |org, p| {
        assignment_taking(org, "user_roles", GROUP_TARGETED, p)
    }),
    (USER_APP_TARGETS, |org, p| {
        assignment_taking(org, "user_roles", APP_TARGETED, p)
    }),
    (GROUP_GROUP_TARGETS, |org, p| {
        assignment_taking(org, "group_roles", GROUP_TARGETED, p)
    }),
    (GROUP_APP_TARGETS, |org, p| {
        assignment_taking(org, "group_roles", APP_TARGETED, p)
    }),
];

/// The target resources of an assignments resource: (group targets, app targets).
pub fn of_assignments(assignments: &str) -> (&'static str, &'static str) {
    match assignments {
        "group_roles" => (GROUP_GROUP_TARGETS, GROUP_APP_TARGETS),
        _ => (USER_GROUP_TARGETS, USER_APP_TARGETS),
    }
}

/// The assignment `{holder}/{roleAssignmentId}` of `assignments`, if its type is one of `types`.
fn assignment_taking(org: &Org, assignments: &str, types: &[&str], params: &[String]) -> Result<String, ApiError> {
    let [holder, assignment_id] = params else {
        return Err(ApiError::NotFound("targets (route)".into()));
    };
    let assignment = org
        .resources
        .get(assignments)
        .and_then(|by_holder| by_holder.get(holder))
        .and_then(|held| held.get(assignment_id))
        .ok_or_else(|| ApiError::NotFound(format!("{assignment_id} (RoleAssignment of {holder})")))?
        .value();
    let role_type = assignment["type"].as_str().unwrap_or_default();
    if !types.contains(&role_type) {
        return Err(ApiError::WrongRoleType);
    }
    Ok(format!("{holder}/{assignment_id}"))
}

/// The assignments of `assignments` whose type is one of `types`, as (holder, assignment id), in
/// holder then id order.
fn assignments_taking(ctx: &SeedCtx, assignments: &str, types: &[&str]) -> Vec<(String, String)> {
    let Some(by_holder) = ctx.org.resources.get(assignments) else {
        return Vec::new();
    };
    by_holder
        .iter()
        .flat_map(|(holder, held)| {
            held.values().into_iter().filter_map(move |a| {
                let role_type = a["type"].as_str()?;
                types
                    .contains(&role_type)
                    .then(|| (holder.clone(), a["id"].as_str().unwrap_or_default().to_string()))
            })
        })
        .collect()
}

/// Every assignment that takes group targets but the first (left unscoped) is limited to 1-3 OKTA
/// groups.
fn seed_group_targets(ctx: &mut SeedCtx, assignments: &str) -> Seeded {
    let groups: Vec<Value> = ctx
        .org
        .groups
        .iter()
        .map(|g| g.value())
        .filter(|g| g["type"] == "OKTA_GROUP")
        .collect();
    let mut out = Seeded::new();
    if groups.is_empty() {
        return out;
    }
    for (holder, assignment) in assignments_taking(ctx, assignments, GROUP_TARGETED).into_iter().skip(1) {
        let count = ctx.rng.range(1, 3) as usize;
        let mut chosen: Vec<Value> = (0..count).map(|_| ctx.rng.pick(&groups).clone()).collect();
        chosen.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        chosen.dedup_by(|a, b| a["id"] == b["id"]);
        out.insert(format!("{holder}/{assignment}"), chosen);
    }
    out
}

/// OIN apps an admin can be given whole (`name`, display name, category, sign-on mode).
const OIN_APPS: &[(&str, &str, &str, &str)] = &[
    ("salesforce", "Salesforce.com", "CRM", "SAML_2_0"),
    ("box", "Box", "COLLABORATION", "SAML_2_0"),
    ("slack", "Slack", "COLLABORATION", "SAML_2_0"),
    ("zoomus", "Zoom", "COLLABORATION", "SAML_2_0"),
    ("office365", "Microsoft Office 365", "PRODUCTIVITY", "WS_FEDERATION"),
];

/// A `CatalogApplication` for a whole OIN app.
fn oin_app(ctx: &mut SeedCtx, oin: (&str, &str, &str, &str)) -> Value {
    let (_, updated) = ctx.times();
    oin_app_of(ctx.base, oin, &updated)
}

fn oin_app_of(base: &str, (name, display, category, mode): (&str, &str, &str, &str), updated: &str) -> Value {
    json!({
        "name": name, "displayName": display, "description": format!("{display} from the Okta Integration Network"),
        "status": "ACTIVE", "lastUpdated": updated, "category": category, "verificationStatus": "OKTA_VERIFIED",
        "website": format!("https://www.{name}.example.com"), "signOnModes": [mode], "features": [],
        "_links": {
            "logo": [{ "name": "medium", "href": format!("{base}/img/logos/catalog/{name}-medium.png") }],
            "self": { "href": format!("{base}/api/v1/catalog/apps/{name}") },
        },
    })
}

/// A `CatalogApplication` for one app instance of the org: its OIN name and its id.
fn app_instance(ctx: &SeedCtx, app: &Value) -> Value {
    app_instance_of(ctx.base, app)
}

fn app_instance_of(base: &str, app: &Value) -> Value {
    let (id, name) = (
        app["id"].as_str().unwrap_or_default(),
        app["name"].as_str().unwrap_or_default(),
    );
    json!({
        "id": id, "name": name, "displayName": app["label"], "description": format!("{} instance", app["label"]),
        "status": app["status"], "lastUpdated": app["lastUpdated"], "category": "CUSTOM",
        "verificationStatus": "OKTA_VERIFIED", "signOnModes": [app["signOnMode"]], "features": [],
        "_links": {
            "logo": [{ "name": "medium", "href": format!("{base}/assets/img/logos/default.png") }],
            "self": { "href": format!("{base}/api/v1/apps/{id}") },
        },
    })
}

/// Every APP_ADMIN assignment but the first (left unscoped) is limited to a mix: one or two app
/// instances, and (every other one) a whole OIN app none of those instances is of, as Okta requires.
fn seed_app_targets(ctx: &mut SeedCtx, assignments: &str) -> Seeded {
    let apps: Vec<Value> = ctx.org.apps.iter().map(|a| a.value()).collect();
    let mut out = Seeded::new();
    if apps.is_empty() {
        return out;
    }
    let scoped = assignments_taking(ctx, assignments, APP_TARGETED).into_iter().skip(1);
    for (i, (holder, assignment)) in scoped.enumerate() {
        let count = ctx.rng.range(1, 2) as usize;
        let mut chosen = Vec::new();
        for _ in 0..count {
            let app = ctx.rng.pick(&apps);
            chosen.push(app_instance(ctx, app));
        }
        chosen.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        chosen.dedup_by(|a, b| a["id"] == b["id"]);
        if i % 2 == 0 {
            let free: Vec<_> = OIN_APPS
                .iter()
                .filter(|(name, ..)| !chosen.iter().any(|c| c["name"] == *name))
                .copied()
                .collect();
            if !free.is_empty() {
                let whole = *ctx.rng.pick(&free);
                chosen.push(oin_app(ctx, whole));
            }
        }
        out.insert(format!("{holder}/{assignment}"), chosen);
    }
    out
}

/// Drops the targets of a removed role assignment.
pub fn forget_assignment(org: &mut Org, assignments: &str, holder: &str, assignment_id: &str) {
    let (groups, apps) = of_assignments(assignments);
    let parent = format!("{holder}/{assignment_id}");
    for resource in [groups, apps] {
        if let Some(by_parent) = org.resources.get_mut(resource) {
            by_parent.remove(&parent);
        }
    }
}

/// Keeps the copies of a changed group in every group target list that holds it.
pub fn group_changed(org: &mut Org, group: &Value) {
    let id = group["id"].as_str().unwrap_or_default();
    for resource in [USER_GROUP_TARGETS, GROUP_GROUP_TARGETS] {
        for parent in parents_holding(org, resource, id) {
            put_object(&mut org.resources, resource, &parent, group);
        }
    }
}

/// Removes a deleted group from every group target list.
pub fn group_gone(org: &mut Org, group_id: &str) {
    for resource in [USER_GROUP_TARGETS, GROUP_GROUP_TARGETS] {
        for parent in parents_holding(org, resource, group_id) {
            remove_object(&mut org.resources, resource, &parent, group_id);
        }
    }
}

fn parents_holding(org: &Org, resource: &str, key: &str) -> Vec<String> {
    org.resources
        .get(resource)
        .map(|by_parent| {
            by_parent
                .iter()
                .filter(|(_, items): &(&String, &Collection)| items.get(key).is_some())
                .map(|(parent, _)| parent.clone())
                .collect()
        })
        .unwrap_or_default()
}
