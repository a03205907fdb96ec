//! `/api/v1/users`: list (DEPROVISIONED users only through `filter`/`search`), read, create, partial
//! update (POST), replace (PUT), delete (a first DELETE deactivates), and lifecycle operations.
//!
//! As in Okta: `POST /api/v1/users?activate=false` makes a STAGED user; activating a user without a
//! password makes it PROVISIONED and sends an activation email (counted per user, see
//! `SimHandle::activation_emails`) unless `sendEmail=false`; a DEPROVISIONED user ignores profile
//! updates until it is activated again; `groupIds` on create makes it a member of those groups.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::response::Response;
use serde_json::{Value, json};

use super::{
    ListCall, PageSizes, Sim, as_stored, flag, json_value, list_expression, no_content, param, parse_body, query_pairs,
};
use crate::errors::ApiError;
use crate::filter::USER_FILTER;
use crate::ids::USER_PREFIX;
use crate::server::Shared;
use crate::shapes::{self, UserTimes};
use crate::store::{Org, Record};
use crate::syslog::{self, app_target, group_target, user_target};

/// Okta documents no maximum for users; the simulator caps pages at 200, Okta's default and the
/// largest size Okta's own docs recommend.
const USER_PAGES: PageSizes = PageSizes {
    default: 200,
    min: 1,
    max: 200,
};
const REQUIRED_PROFILE: &[&str] = &["login", "email", "firstName", "lastName"];

pub async fn list(sim: Sim, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw);
    let org = sim.read_org();
    let call = ListCall {
        sim: &sim,
        path: "/api/v1/users",
        pairs: &pairs,
        list: "users".into(),
        sizes: USER_PAGES,
    };
    if let Some(q) = param(&pairs, "q") {
        // `q` is a people-picker prefix match: not pageable, 10 results unless `limit` says otherwise.
        let q = q.to_lowercase();
        let sizes = PageSizes {
            default: 10,
            min: 1,
            max: 200,
        };
        let quick = ListCall {
            list: "users-q".into(),
            sizes,
            ..call
        };
        let keep = |r: &Record| &*r.status != "DEPROVISIONED" && profile_starts_with(r, &q);
        let mut response = quick.respond(org.users.iter(), keep, as_stored)?;
        response.headers_mut().remove(axum::http::header::LINK);
        return Ok(response);
    }
    let expression = list_expression(&pairs, USER_FILTER)?;
    let after = call.after()?;
    let records = org.users.after(after.as_deref()).iter();
    match expression {
        Some(expr) => call.respond(records, |r| expr.matches(r), as_stored),
        // A plain list leaves DEPROVISIONED users out, as Okta does.
        None => call.respond(records, |r| &*r.status != "DEPROVISIONED", as_stored),
    }
}

fn profile_starts_with(record: &Record, prefix: &str) -> bool {
    let user = record.value();
    ["firstName", "lastName", "email"].iter().any(|k| {
        user["profile"][k]
            .as_str()
            .is_some_and(|v| v.to_lowercase().starts_with(prefix))
    })
}

/// A user by id, or by login (`GET /api/v1/users/{idOrLogin}`). `me` is the caller: the
/// simulator's API token belongs to its first ACTIVE user, standing in for the admin who made it.
fn find_user(org: &Org, id_or_login: &str) -> Result<Value, ApiError> {
    if id_or_login == "me" {
        return org
            .users
            .iter()
            .find(|r| &*r.status == "ACTIVE")
            .map(Record::value)
            .ok_or_else(|| ApiError::NotFound("me (User)".to_owned()));
    }
    if let Some(record) = org.users.get(id_or_login) {
        return Ok(record.value());
    }
    org.logins
        .get(&id_or_login.to_lowercase())
        .and_then(|id| org.users.get(id))
        .map(Record::value)
        .ok_or_else(|| ApiError::NotFound(format!("{id_or_login} (User)")))
}

/// A single user answers with its full set of `_links`.
fn single(sim: &Shared, mut user: Value) -> Response {
    user["_links"] = shapes::user_links_full(&sim.base, &user);
    json_value(&user)
}

pub async fn get_one(sim: Sim, Path(id): Path<String>) -> Result<Response, ApiError> {
    let user = find_user(&sim.read_org(), &id)?;
    Ok(single(&sim, user))
}

pub async fn groups_of(sim: Sim, Path(id): Path<String>) -> Result<Response, ApiError> {
    let org = sim.read_org();
    let user = find_user(&org, &id)?;
    let user_id = user["id"].as_str().unwrap_or_default();
    let groups: Vec<Value> = org
        .groups_of(user_id)
        .iter()
        .filter_map(|g| org.groups.get(g))
        .map(Record::value)
        .collect();
    Ok(json_value(&Value::Array(groups)))
}

fn validate_profile(profile: &Value) -> Result<(), ApiError> {
    let missing: Vec<String> = REQUIRED_PROFILE
        .iter()
        .filter(|k| profile.get(**k).and_then(Value::as_str).is_none_or(str::is_empty))
        .map(|k| format!("{k}: The field cannot be left blank"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation {
            field: "profile".into(),
            causes: missing,
        })
    }
}

fn check_login_free(org: &Org, login: &str, own_id: Option<&str>) -> Result<(), ApiError> {
    match org.logins.get(&login.to_lowercase()) {
        Some(holder) if Some(holder.as_str()) != own_id => Err(ApiError::validation(
            "login",
            format!("login: An object with this field already exists in the current organization ({login})"),
        )),
        _ => Ok(()),
    }
}

fn everyone_id(org: &Org) -> Option<String> {
    org.groups
        .iter()
        .find(|g| g.json.contains(r#""type":"BUILT_IN""#))
        .map(|g| g.id.to_string())
}

/// Sets a group's `lastMembershipUpdated`, as Okta does on every membership change.
pub fn touch_membership(org: &mut Org, group_id: &str, now: &str) {
    if let Some(record) = org.groups.get(group_id) {
        let mut group = record.value();
        group["lastMembershipUpdated"] = json!(now);
        org.groups.put_value(&group);
        crate::resources::targets::group_changed(org, &group);
    }
}

fn set_everyone_membership(org: &mut Org, user_id: &str, member: bool, now: &str) {
    let Some(everyone) = everyone_id(org) else { return };
    let changed = if member {
        org.add_member(&everyone, user_id)
    } else {
        org.remove_member(&everyone, user_id)
    };
    if changed {
        touch_membership(org, &everyone, now);
    }
}

fn store_user(org: &mut Org, user: &Value) {
    if let Some(login) = user.pointer("/profile/login").and_then(Value::as_str) {
        org.logins.retain(|_, id| id != user["id"].as_str().unwrap_or_default());
        org.logins.insert(
            login.to_lowercase(),
            user["id"].as_str().unwrap_or_default().to_string(),
        );
    }
    org.users.put_value(user);
}

pub async fn create(sim: Sim, RawQuery(raw): RawQuery, body: Bytes) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw);
    let body = parse_body(&body)?;
    let profile = body.get("profile").cloned().unwrap_or(Value::Null);
    validate_profile(&profile)?;
    let login = profile["login"].as_str().unwrap_or_default().to_string();
    let password = body
        .pointer("/credentials/password/value")
        .and_then(Value::as_str)
        .is_some();
    let activate = flag(&pairs, "activate", true);
    let status = match (activate, password) {
        (false, _) => "STAGED",
        (true, true) => "ACTIVE",
        (true, false) => "PROVISIONED",
    };
    let type_id = body
        .pointer("/type/id")
        .and_then(Value::as_str)
        .unwrap_or(&sim.user_type_id)
        .to_string();
    let group_ids: Vec<String> = body
        .get("groupIds")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_default();

    let mut org = sim.write_org();
    check_login_free(&org, &login, None)?;
    for group in &group_ids {
        match org.groups.get(group).map(Record::value) {
            None => {
                return Err(ApiError::validation(
                    "groupIds",
                    format!("groupIds: group {group} does not exist"),
                ));
            }
            Some(g) if g["type"] != "OKTA_GROUP" => {
                return Err(ApiError::validation(
                    "groupIds",
                    format!(
                        "groupIds: {group} is a {} group, whose members Okta manages; only OKTA_GROUP groups take members",
                        g["type"].as_str().unwrap_or("?")
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    let id = sim.ids.lock().unwrap_or_else(|p| p.into_inner()).next(USER_PREFIX);
    let now = sim.clock.now();
    let times = UserTimes {
        created: now.clone(),
        activated: activate.then(|| now.clone()),
        status_changed: activate.then(|| now.clone()),
        last_login: None,
        last_updated: now.clone(),
        password_changed: password.then(|| now.clone()),
    };
    let init = shapes::UserInit {
        base: &sim.base,
        id: &id,
        status,
        times: &times,
        type_id: &type_id,
        profile,
        password,
    };
    let user = shapes::user(init);
    if status == "PROVISIONED" {
        // Okta emails the activation link to a user it activates without a password.
        count_email(&sim, &id);
    }
    store_user(&mut org, &user);
    set_everyone_membership(&mut org, &id, true, &now);
    syslog::emit(&mut org, &sim.clock, "user.lifecycle.create", vec![user_target(&user)]);
    for group in &group_ids {
        if org.add_member(group, &id) {
            touch_membership(&mut org, group, &now);
            let group = org.groups.get(group).map(Record::value).unwrap_or_default();
            syslog::emit(
                &mut org,
                &sim.clock,
                "group.user_membership.add",
                vec![user_target(&user), group_target(&group)],
            );
        }
    }
    Ok(single(&sim, user))
}

/// Counts an activation email sent to `user_id`.
fn count_email(sim: &Shared, user_id: &str) {
    *sim.emails
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(user_id.to_string())
        .or_insert(0) += 1;
}

/// The stored user, unchanged, when it is DEPROVISIONED: Okta ignores profile updates of a deactivated
/// user (and answers it as it is) until it is activated again.
fn deprovisioned(sim: &Shared, id: &str) -> Result<Option<Value>, ApiError> {
    let user = find_user(&sim.read_org(), id)?;
    Ok((user["status"] == "DEPROVISIONED").then_some(user))
}

/// Applies a change to a stored user, stamps `lastUpdated`, and returns the new version.
fn update_user(
    sim: &Shared,
    id: &str,
    event_type: &str,
    change: impl FnOnce(&Org, &mut Value, &str) -> Result<(), ApiError>,
) -> Result<Value, ApiError> {
    let mut org = sim.write_org();
    let mut user = find_user(&org, id)?;
    let now = sim.clock.now();
    change(&org, &mut user, &now)?;
    user["lastUpdated"] = json!(now);
    store_user(&mut org, &user);
    let user_id = user["id"].as_str().unwrap_or_default().to_string();
    match user["status"].as_str() {
        Some("DEPROVISIONED") => set_everyone_membership(&mut org, &user_id, false, &now),
        _ => set_everyone_membership(&mut org, &user_id, true, &now),
    }
    syslog::emit(&mut org, &sim.clock, event_type, vec![user_target(&user)]);
    Ok(user)
}

fn apply_password(user: &mut Value, body: &Value, now: &str) {
    if body
        .pointer("/credentials/password/value")
        .and_then(Value::as_str)
        .is_some()
    {
        // Never store the password: Okta only shows that one is set.
        user["credentials"]["password"] = json!({});
        user["passwordChanged"] = json!(now);
    }
}

/// `POST /api/v1/users/{id}`: only the profile attributes given change.
pub async fn partial_update(sim: Sim, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    if let Some(user) = deprovisioned(&sim, &id)? {
        return Ok(single(&sim, user));
    }
    let user = update_user(&sim, &id, "user.account.update_profile", |org, user, now| {
        if let Some(changes) = body.get("profile").and_then(Value::as_object) {
            if let Some(login) = changes.get("login").and_then(Value::as_str) {
                check_login_free(org, login, user["id"].as_str())?;
            }
            for (k, v) in changes {
                user["profile"][k] = v.clone();
            }
            validate_profile(&user["profile"])?;
        }
        apply_password(user, &body, now);
        Ok(())
    })?;
    Ok(single(&sim, user))
}

/// `PUT /api/v1/users/{id}`: the profile is replaced as a whole; the only way to change `type`.
pub async fn replace(sim: Sim, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    if let Some(user) = deprovisioned(&sim, &id)? {
        return Ok(single(&sim, user));
    }
    let user = update_user(&sim, &id, "user.account.update_profile", |org, user, now| {
        let profile = body.get("profile").cloned().unwrap_or(Value::Null);
        validate_profile(&profile)?;
        check_login_free(org, profile["login"].as_str().unwrap_or_default(), user["id"].as_str())?;
        user["profile"] = profile;
        if let Some(type_id) = body.pointer("/type/id").and_then(Value::as_str) {
            user["type"] = json!({ "id": type_id });
        }
        apply_password(user, &body, now);
        Ok(())
    })?;
    Ok(single(&sim, user))
}

/// `DELETE /api/v1/users/{id}`: deactivates an active user; deletes a DEPROVISIONED one for good.
pub async fn delete(sim: Sim, Path(id): Path<String>) -> Result<Response, ApiError> {
    let status = find_user(&sim.read_org(), &id)?["status"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if status != "DEPROVISIONED" {
        update_user(&sim, &id, "user.lifecycle.deactivate", |_, user, now| {
            set_status(user, "DEPROVISIONED", now);
            Ok(())
        })?;
        return Ok(no_content());
    }
    let mut org = sim.write_org();
    let user = find_user(&org, &id)?;
    let user_id = user["id"].as_str().unwrap_or_default().to_string();
    let now = sim.clock.now();
    org.users.remove(&user_id);
    org.logins.retain(|_, holder| *holder != user_id);
    for group in org.groups_of(&user_id) {
        org.remove_member(&group, &user_id);
        touch_membership(&mut org, &group, &now);
        let group = org.groups.get(&group).map(Record::value).unwrap_or_default();
        syslog::emit(
            &mut org,
            &sim.clock,
            "group.user_membership.remove",
            vec![user_target(&user), group_target(&group)],
        );
    }
    // Okta removes the user's app assignments with the user, and logs each removal.
    let org_ref = &mut *org;
    let apps = crate::store::unassign_from_every_app(&mut org_ref.app_users, &org_ref.apps, &user_id);
    for app in apps {
        syslog::emit(
            &mut org,
            &sim.clock,
            "application.user_membership.remove",
            vec![user_target(&user), app_target(&app)],
        );
    }
    // Its factors and admin roles go with it, and what else named it.
    crate::handlers::privileges::forget(&mut org, &sim.base, crate::resources::roles::Assignee::User(&user_id));
    crate::resources::cascade::children_gone(&mut org, "users", &user_id);
    crate::resources::cascade::user_gone(&mut org, &user_id, &now);
    // Okta logs a deletion's start and its end; a reader may see either.
    for event_type in ["user.lifecycle.delete.initiated", "user.lifecycle.delete.completed"] {
        syslog::emit(&mut org, &sim.clock, event_type, vec![user_target(&user)]);
    }
    Ok(no_content())
}

fn set_status(user: &mut Value, status: &str, now: &str) {
    user["status"] = json!(status);
    user["statusChanged"] = json!(now);
}

/// `POST /api/v1/users/{id}/lifecycle/{op}`.
pub async fn lifecycle(
    sim: Sim,
    Path((id, op)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw);
    let send_email = flag(&pairs, "sendEmail", true);
    // (statuses the operation is allowed from, status after it)
    let (from, to): (&[&str], &str) = match op.as_str() {
        "activate" => (&["STAGED", "DEPROVISIONED"], "PROVISIONED"),
        "reactivate" => (&["PROVISIONED"], "PROVISIONED"),
        "deactivate" => (
            &[
                "STAGED",
                "PROVISIONED",
                "ACTIVE",
                "RECOVERY",
                "LOCKED_OUT",
                "PASSWORD_EXPIRED",
                "SUSPENDED",
            ],
            "DEPROVISIONED",
        ),
        "suspend" => (&["ACTIVE"], "SUSPENDED"),
        "unsuspend" => (&["SUSPENDED"], "ACTIVE"),
        "unlock" => (&["LOCKED_OUT"], "ACTIVE"),
        "expire_password" => (&["ACTIVE", "RECOVERY"], "PASSWORD_EXPIRED"),
        "reset_password" => (
            &["ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "PROVISIONED"],
            "RECOVERY",
        ),
        _ => return Err(ApiError::NotFound(format!("lifecycle operation {op}"))),
    };
    let event_type = match op.as_str() {
        "unlock" | "expire_password" | "reset_password" => format!("user.account.{op}"),
        _ => format!("user.lifecycle.{op}"),
    };
    let user = update_user(&sim, &id, &event_type, |_, user, now| {
        let current = user["status"].as_str().unwrap_or_default();
        if !from.contains(&current) {
            return Err(ApiError::WrongUserStatus);
        }
        let has_password = user.pointer("/credentials/password").is_some();
        let target = if op == "activate" && has_password { "ACTIVE" } else { to };
        set_status(user, target, now);
        if op == "activate" {
            user["activated"] = json!(now);
        }
        Ok(())
    })?;
    let user_id = user["id"].as_str().unwrap_or_default();
    let provisioned = user["status"] == "PROVISIONED";
    if matches!(op.as_str(), "activate" | "reactivate") && send_email && provisioned {
        count_email(&sim, user_id);
    }
    let answer = match op.as_str() {
        "expire_password" => return Ok(single(&sim, user)),
        "activate" | "reactivate" if !send_email => json!({
            "activationUrl": format!("{}/welcome/sim-activation-{user_id}", sim.base),
            "activationToken": format!("sim-activation-{user_id}"),
        }),
        "reset_password" if !send_email => {
            json!({ "resetPasswordUrl": format!("{}/reset_password/sim-{user_id}", sim.base) })
        }
        _ => json!({}),
    };
    Ok(json_value(&answer))
}
