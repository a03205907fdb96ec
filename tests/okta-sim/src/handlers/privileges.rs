//! Changing who may do what: enrolling and resetting a user's MFA factors, and assigning and removing
//! admin roles of users and groups. Each change logs the event Okta logs (`user.mfa.factor.activate`,
//! `group.privilege.grant`, `user.account.privilege.revoke`...) with the user or group as target,
//! which is how an incremental backup learns whose factors and roles to list again.
//!
//! The functions take the simulator's shared state, not HTTP types, so `SimHandle` offers the same
//! changes to tests without a call.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::errors::ApiError;
use crate::handlers::{Sim, json_text, json_value, no_content, parse_body};
use crate::prng::SplitMix64;
use crate::resources::factors::{self, FACTOR_TYPES};
use crate::resources::roles::{self, Assignee};
use crate::resources::{iam, links, objects_of, put_object, remove_object, targets};
use crate::server::Shared;
use crate::store::{Org, Record};
use crate::syslog::{self, group_target, user_target};

const USER_FACTORS: &str = "user_factors";
const USER_ROLES: &str = "user_roles";
const GROUP_ROLES: &str = "group_roles";
const MEMBERS: &str = "resource_set_binding_members";

fn user(org: &Org, id: &str) -> Result<Value, ApiError> {
    org.users
        .get(id)
        .map(Record::value)
        .ok_or_else(|| ApiError::NotFound(format!("{id} (User)")))
}

fn group(org: &Org, id: &str) -> Result<Value, ApiError> {
    org.groups
        .get(id)
        .map(Record::value)
        .ok_or_else(|| ApiError::NotFound(format!("{id} (UserGroup)")))
}

/// Enrolls (and activates) a factor for `user_id` from a `UserFactor` body (`factorType`, optional
/// `profile`); `None` enrolls the first type the user lacks. Answers the new factor.
pub fn enroll_factor(sim: &Shared, user_id: &str, body: Option<&Value>) -> Result<Value, ApiError> {
    let mut org = sim.write_org();
    let owner = user(&org, user_id)?;
    let enrolled: Vec<String> = objects_of(&org.resources, USER_FACTORS, user_id)
        .iter()
        .filter_map(|f| f["factorType"].as_str().map(String::from))
        .collect();
    let factor_type = match body {
        Some(body) => {
            let wanted = body["factorType"].as_str().unwrap_or_default();
            FACTOR_TYPES.iter().find(|t| **t == wanted).copied().ok_or_else(|| {
                ApiError::validation(
                    "factorType",
                    format!("factorType: `{wanted}` is not one of {}", FACTOR_TYPES.join(", ")),
                )
            })?
        }
        None => FACTOR_TYPES
            .iter()
            .find(|t| !enrolled.iter().any(|e| e == *t))
            .copied()
            .ok_or_else(|| ApiError::validation("factorType", "the user has every factor type already"))?,
    };
    if enrolled.iter().any(|e| e == factor_type) {
        return Err(ApiError::validation(
            "factorType",
            format!("factorType: a `{factor_type}` factor is already set up for {user_id}"),
        ));
    }
    let text = |p: &str| owner.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    let id = lock_ids(sim).next(factors::id_prefix(factor_type).unwrap_or("ufs"));
    let mut rng = SplitMix64::derive(sim.clock.now_ms() as u64, &id);
    let mut profile = factors::profile(factor_type, &text("/profile/login"), &text("/profile/email"), &mut rng);
    if let Some(given) = body.and_then(|b| b["profile"].as_object()) {
        for (k, v) in given.iter().filter(|(k, _)| *k != "answer") {
            profile[k] = v.clone();
        }
    }
    let factor = factors::factor(&sim.base, user_id, factor_type, &id, &sim.clock.now(), profile);
    put_object(&mut org.resources, USER_FACTORS, user_id, &factor);
    syslog::emit(
        &mut org,
        &sim.clock,
        "user.mfa.factor.activate",
        vec![user_target(&owner)],
    );
    Ok(factor)
}

/// Unenrolls one factor of a user.
pub fn reset_factor(sim: &Shared, user_id: &str, factor_id: &str) -> Result<(), ApiError> {
    let mut org = sim.write_org();
    let owner = user(&org, user_id)?;
    remove_object(&mut org.resources, USER_FACTORS, user_id, factor_id)
        .ok_or_else(|| ApiError::NotFound(format!("{factor_id} (UserFactor)")))?;
    syslog::emit(
        &mut org,
        &sim.clock,
        "user.mfa.factor.deactivate",
        vec![user_target(&owner)],
    );
    Ok(())
}

fn lock_ids(sim: &Shared) -> std::sync::MutexGuard<'_, crate::ids::IdGen> {
    sim.ids.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The assignments resource, the event target and the event names of a role holder.
fn holder(org: &Org, to: Assignee) -> Result<(&'static str, Value, &'static str, &'static str), ApiError> {
    Ok(match to {
        Assignee::User(id) => (
            USER_ROLES,
            user_target(&user(org, id)?),
            "user.account.privilege.grant",
            "user.account.privilege.revoke",
        ),
        Assignee::Group(id) => (
            GROUP_ROLES,
            group_target(&group(org, id)?),
            "group.privilege.grant",
            "group.privilege.revoke",
        ),
    })
}

fn holder_id(to: Assignee) -> String {
    match to {
        Assignee::User(id) | Assignee::Group(id) => id.to_string(),
    }
}

/// Finds a custom role or resource set by id or label.
fn by_id_or_label(org: &Org, resource: &str, wanted: &str) -> Option<Value> {
    objects_of(&org.resources, resource, "")
        .into_iter()
        .find(|o| o["id"] == wanted || o["label"] == wanted)
}

/// Assigns a role from a `StandardRoleAssignmentSchema` (`{"type": "ORG_ADMIN"}`) or
/// `CustomRoleAssignmentSchema` (`{"type": "CUSTOM", "role": ..., "resource-set": ...}`) body. A custom
/// role also makes the holder a member of the resource set's binding for that role (the binding is
/// created if needed); the assignment id is the member id, as in Okta.
pub fn assign_role(sim: &Shared, to: Assignee, body: &Value) -> Result<Value, ApiError> {
    let mut org = sim.write_org();
    let (resource, target, grant, _) = holder(&org, to)?;
    let holder = holder_id(to);
    let role_type = body["type"].as_str().unwrap_or_default();
    let held = objects_of(&org.resources, resource, &holder);
    let now = sim.clock.now();
    let assignment = if role_type == "CUSTOM" {
        let wanted = |field: &str| {
            body[field]
                .as_str()
                .ok_or_else(|| ApiError::validation(field, format!("{field}: The field cannot be left blank")))
        };
        let role = by_id_or_label(&org, "custom_roles", wanted("role")?)
            .ok_or_else(|| ApiError::NotFound(format!("{} (Role)", body["role"])))?;
        let set = by_id_or_label(&org, "resource_sets", wanted("resource-set")?)
            .ok_or_else(|| ApiError::NotFound(format!("{} (ResourceSet)", body["resource-set"])))?;
        let (role_id, set_id) = (
            role["id"].as_str().unwrap_or_default(),
            set["id"].as_str().unwrap_or_default(),
        );
        if held.iter().any(|a| a["role"] == role_id && a["resource-set"] == set_id) {
            return Err(ApiError::validation(
                "role",
                format!("{holder} already holds {role_id} over {set_id}"),
            ));
        }
        let member_id = lock_ids(sim).next("irb");
        let binding = iam::binding(&sim.base, set_id, role_id);
        put_object(&mut org.resources, "resource_set_bindings", set_id, &binding);
        let principal = format!("{}{}", sim.base, to.path());
        let member = iam::member(&member_id, &now, &now, &principal);
        put_object(&mut org.resources, MEMBERS, &format!("{set_id}/{role_id}"), &member);
        roles::custom_assignment(&sim.base, &member_id, &role, set_id, to, &now)
    } else {
        if roles::standard_label(role_type).is_none() {
            return Err(ApiError::validation(
                "type",
                format!("type: `{role_type}` is not a role type that can be assigned"),
            ));
        }
        if held.iter().any(|a| a["type"] == role_type) {
            return Err(ApiError::validation(
                "type",
                format!("{holder} already holds {role_type}"),
            ));
        }
        let id = lock_ids(sim).next(if resource == USER_ROLES { "ra1" } else { "gra" });
        roles::standard_assignment(&sim.base, &id, role_type, to, &now)
    };
    put_object(&mut org.resources, resource, &holder, &assignment);
    sync_assignee(&mut org, &sim.base, to);
    syslog::emit(&mut org, &sim.clock, grant, vec![target]);
    Ok(assignment)
}

/// Removes one role assignment (and, for a custom role, the binding member it made).
pub fn unassign_role(sim: &Shared, to: Assignee, assignment_id: &str) -> Result<(), ApiError> {
    let mut org = sim.write_org();
    let (resource, target, _, revoke) = holder(&org, to)?;
    let removed = remove_object(&mut org.resources, resource, &holder_id(to), assignment_id)
        .ok_or_else(|| ApiError::NotFound(format!("{assignment_id} (RoleAssignment)")))?;
    targets::forget_assignment(&mut org, resource, &holder_id(to), assignment_id);
    if let (Some(role), Some(set)) = (removed["role"].as_str(), removed["resource-set"].as_str()) {
        remove_object(&mut org.resources, MEMBERS, &format!("{set}/{role}"), assignment_id);
    }
    sync_assignee(&mut org, &sim.base, to);
    syslog::emit(&mut org, &sim.clock, revoke, vec![target]);
    Ok(())
}

/// Keeps `role_assignees` exactly the users holding some role.
fn sync_assignee(org: &mut Org, base: &str, to: Assignee) {
    let Assignee::User(user_id) = to else { return };
    if objects_of(&org.resources, USER_ROLES, user_id).is_empty() {
        remove_object(&mut org.resources, "role_assignees", "", user_id);
    } else {
        let org_id = objects_of(&org.resources, "org_settings", "")
            .first()
            .and_then(|o| o["id"].as_str().map(String::from))
            .unwrap_or_default();
        let assignee = roles::role_assignee(base, &org_id, user_id);
        put_object(&mut org.resources, "role_assignees", "", &assignee);
    }
}

/// Drops what a deleted user or group held: factors, linked objects, role assignments and their
/// targets, binding memberships; and a deleted group as a role target.
pub fn forget(org: &mut Org, base: &str, to: Assignee) {
    let id = holder_id(to);
    let resource = match to {
        Assignee::User(_) => {
            remove_parent(org, USER_FACTORS, &id);
            links::forget_user(org, &id);
            USER_ROLES
        }
        Assignee::Group(_) => {
            targets::group_gone(org, &id);
            GROUP_ROLES
        }
    };
    for assignment in objects_of(&org.resources, resource, &id) {
        if let Some(assignment_id) = assignment["id"].as_str() {
            targets::forget_assignment(org, resource, &id, assignment_id);
        }
        if let (Some(role), Some(set), Some(member)) = (
            assignment["role"].as_str(),
            assignment["resource-set"].as_str(),
            assignment["id"].as_str(),
        ) {
            remove_object(&mut org.resources, MEMBERS, &format!("{set}/{role}"), member);
        }
    }
    remove_parent(org, resource, &id);
    sync_assignee(org, base, to);
}

fn remove_parent(org: &mut Org, resource: &str, parent: &str) {
    if let Some(by_parent) = org.resources.get_mut(resource) {
        by_parent.remove(parent);
    }
}

/// `POST /api/v1/users/{userId}/factors`.
pub async fn enroll(sim: Sim, Path(user_id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    Ok(json_value(&enroll_factor(&sim, &user_id, Some(&body))?))
}

/// `DELETE /api/v1/users/{userId}/factors/{factorId}`.
pub async fn unenroll(sim: Sim, Path((user_id, factor_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    reset_factor(&sim, &user_id, &factor_id)?;
    Ok(no_content())
}

fn created(assignment: &Value) -> Response {
    json_text(StatusCode::CREATED, assignment.to_string())
}

/// `POST /api/v1/users/{userId}/roles`.
pub async fn assign_user_role(sim: Sim, Path(user_id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    Ok(created(&assign_role(&sim, Assignee::User(&user_id), &body)?))
}

/// `DELETE /api/v1/users/{userId}/roles/{roleAssignmentId}`.
pub async fn unassign_user_role(sim: Sim, Path((user_id, id)): Path<(String, String)>) -> Result<Response, ApiError> {
    unassign_role(&sim, Assignee::User(&user_id), &id)?;
    Ok(no_content())
}

/// `POST /api/v1/groups/{groupId}/roles`.
pub async fn assign_group_role(sim: Sim, Path(group_id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    Ok(created(&assign_role(&sim, Assignee::Group(&group_id), &body)?))
}

/// `DELETE /api/v1/groups/{groupId}/roles/{roleAssignmentId}`.
pub async fn unassign_group_role(sim: Sim, Path((group_id, id)): Path<(String, String)>) -> Result<Response, ApiError> {
    unassign_role(&sim, Assignee::Group(&group_id), &id)?;
    Ok(no_content())
}
