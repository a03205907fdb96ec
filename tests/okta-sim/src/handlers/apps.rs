//! `/api/v1/apps`: list, read, create/replace/delete (an app must be INACTIVE to be deleted), lifecycle,
//! user assignments (AppUser) and group assignments (ApplicationGroupAssignment).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::response::Response;
use serde_json::{Value, json};

use super::{
    ListCall, PageSizes, Sim, as_stored, flag, json_value, list_expression, no_content, param, parse_body, query_pairs,
};
use crate::errors::ApiError;
use crate::filter::APP_FILTER;
use crate::ids::APP_PREFIX;
use crate::server::Shared;
use crate::shapes::{self, SIGN_ON_MODES};
use crate::store::{Collection, Org, Record};
use crate::syslog::{self, app_target, group_target, user_target};

/// The spec's default of -1 means "no limit"; pages are capped at the spec's maximum of 200.
const APP_PAGES: PageSizes = PageSizes {
    default: 200,
    min: 1,
    max: 200,
};
const APP_USER_PAGES: PageSizes = PageSizes {
    default: 50,
    min: 1,
    max: 500,
};
const APP_GROUP_PAGES: PageSizes = PageSizes {
    default: 20,
    min: 20,
    max: 200,
};
/// Fields the server owns: ignored in create and replace bodies, as Okta ignores them.
const READ_ONLY: &[&str] = &["id", "status", "created", "lastUpdated", "_links", "_embedded", "orn"];

pub async fn list(sim: Sim, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw);
    let org = sim.read_org();
    let call = ListCall {
        sim: &sim,
        path: "/api/v1/apps",
        pairs: &pairs,
        list: "apps".into(),
        sizes: APP_PAGES,
    };
    let expression = list_expression(&pairs, APP_FILTER)?;
    let prefix = param(&pairs, "q").map(str::to_lowercase);
    let after = call.after()?;
    let keep = |r: &Record| {
        expression.as_ref().is_none_or(|e| e.matches(r))
            && prefix.as_ref().is_none_or(|p| {
                let app = r.value();
                ["name", "label"].iter().any(|k| {
                    app[k]
                        .as_str()
                        .is_some_and(|v| v.to_lowercase().starts_with(p.as_str()))
                })
            })
    };
    call.respond(org.apps.after(after.as_deref()).iter(), keep, as_stored)
}

fn find_app(org: &Org, id: &str) -> Result<Value, ApiError> {
    org.apps
        .get(id)
        .map(Record::value)
        .ok_or_else(|| ApiError::NotFound(format!("{id} (AppInstance)")))
}

/// The ACCESS_POLICY policies (app sign-in policies) of the org: the default (`system`) one first.
fn access_policies(org: &Org) -> Vec<Value> {
    let mut policies: Vec<Value> = crate::resources::objects_of(&org.resources, "policies", "")
        .into_iter()
        .filter(|p| p["type"] == "ACCESS_POLICY")
        .collect();
    policies.sort_by_key(|p| p["system"] != true);
    policies
}

/// Points `app` at the app sign-in policy `policy_id` (`_links.accessPolicy`), as Okta shows it.
fn link_access_policy(base: &str, app: &mut Value, policy_id: &str) {
    app["_links"]["accessPolicy"] = json!({ "href": format!("{base}/api/v1/policies/{policy_id}") });
}

/// Gives every seeded app an app sign-in policy as Okta does: the default one, and a custom one for every third
/// app (so a restore has one to give back).
pub fn seed_access_policies(org: &mut Org, base: &str) {
    let policies = access_policies(org);
    let Some(default) = policies.first().and_then(|p| p["id"].as_str()).map(str::to_owned) else {
        return;
    };
    let custom: Vec<String> = policies[1..]
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect();
    let apps: Vec<Value> = org.apps.iter().map(Record::value).collect();
    for (i, mut app) in apps.into_iter().enumerate() {
        let policy = if i % 3 == 0 && !custom.is_empty() {
            &custom[(i / 3) % custom.len()]
        } else {
            &default
        };
        link_access_policy(base, &mut app, policy);
        org.apps.put_value(&app);
    }
}

/// `PUT /api/v1/apps/{appId}/policies/{policyId}`: assigns an app sign-in policy to the app (204).
pub async fn assign_policy(sim: Sim, Path((id, policy_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    let mut org = sim.write_org();
    let mut app = find_app(&org, &id)?;
    if !access_policies(&org).iter().any(|p| p["id"] == policy_id.as_str()) {
        return Err(ApiError::NotFound(format!(
            "{policy_id} (Policy of type ACCESS_POLICY)"
        )));
    }
    link_access_policy(&sim.base, &mut app, &policy_id);
    app["lastUpdated"] = json!(sim.clock.now());
    org.apps.put_value(&app);
    syslog::emit(
        &mut org,
        &sim.clock,
        "application.lifecycle.update",
        vec![app_target(&app)],
    );
    Ok(no_content())
}

pub async fn get_one(sim: Sim, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(json_value(&find_app(&sim.read_org(), &id)?))
}

/// Overlays `patch` on `base`, object by object (other values replace).
fn deep_merge(base: &mut Value, patch: &Value) {
    match (base.as_object_mut(), patch.as_object()) {
        (Some(target), Some(source)) => {
            for (k, v) in source {
                deep_merge(target.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        _ => *base = patch.clone(),
    }
}

fn strip_read_only(body: &mut Value) {
    if let Some(fields) = body.as_object_mut() {
        for key in READ_ONLY {
            fields.remove(*key);
        }
    }
}

pub async fn create(sim: Sim, RawQuery(raw): RawQuery, body: Bytes) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw);
    let mut body = parse_body(&body)?;
    strip_read_only(&mut body);
    let mode = body["signOnMode"].as_str().unwrap_or_default().to_string();
    if !SIGN_ON_MODES.contains(&mode.as_str()) {
        return Err(ApiError::validation(
            "signOnMode",
            format!("signOnMode: `{mode}` is not one of {}", SIGN_ON_MODES.join(", ")),
        ));
    }
    let label = body["label"].as_str().unwrap_or_default().to_string();
    if label.trim().is_empty() {
        return Err(ApiError::validation("label", "label: The field cannot be left blank"));
    }
    let status = if flag(&pairs, "activate", true) {
        "ACTIVE"
    } else {
        "INACTIVE"
    };
    let slug: String = label
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let (default_name, credentials, settings) = shapes::app_mode_defaults(&mode, &label, &slug);
    let name = body["name"].as_str().map(String::from).unwrap_or(default_name);

    let mut ids = sim.ids.lock().unwrap_or_else(|p| p.into_inner());
    let id = ids.next(APP_PREFIX);
    let now = sim.clock.now();
    let init = shapes::AppInit {
        id: &id,
        name: &name,
        label: &label,
        mode: &mode,
        status,
        created: &now,
        last_updated: &now,
        credentials,
        settings_extra: settings,
    };
    let mut app = shapes::app(&sim.base, init);
    deep_merge(&mut app, &body);
    if mode == "OPENID_CONNECT" {
        let client = &mut app["credentials"]["oauthClient"];
        if client["client_id"].as_str().is_none() {
            // Okta uses the app id as client id unless one is supplied.
            client["client_id"] = json!(id);
        }
        let method = client["token_endpoint_auth_method"]
            .as_str()
            .unwrap_or("client_secret_basic")
            .to_string();
        if method.starts_with("client_secret") && client["client_secret"].as_str().is_none() {
            client["client_secret"] = json!(ids.random_text(64));
        }
    }
    drop(ids);
    let mut org = sim.write_org();
    // Okta gives a new app the default app sign-in policy.
    if let Some(default) = access_policies(&org)
        .first()
        .and_then(|p| p["id"].as_str())
        .map(str::to_owned)
    {
        link_access_policy(&sim.base, &mut app, &default);
    }
    org.apps.put_value(&app);
    // As Okta does, the new app comes with its user schema (base attributes only).
    let schema = crate::resources::directory::app_user_schema(&sim.base, &app, &now, &now, json!({}));
    crate::resources::put_object(&mut org.resources, "app_user_schemas", &id, &schema);
    crate::resources::clients::sync(&mut org, &sim.base);
    syslog::emit(
        &mut org,
        &sim.clock,
        "application.lifecycle.create",
        vec![app_target(&app)],
    );
    Ok(json_value(&app))
}

/// `PUT /api/v1/apps/{id}`: the body replaces the app, except the server-owned fields and `name`.
pub async fn replace(sim: Sim, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let mut body = parse_body(&body)?;
    strip_read_only(&mut body);
    if body["label"].as_str().is_none_or(|l| l.trim().is_empty()) {
        return Err(ApiError::validation("label", "label: The field cannot be left blank"));
    }
    let mut org = sim.write_org();
    let current = find_app(&org, &id)?;
    let mut app = body;
    for key in ["id", "name", "status", "created", "_links"] {
        app[key] = current[key].clone();
    }
    app["lastUpdated"] = json!(sim.clock.now());
    org.apps.put_value(&app);
    crate::resources::clients::sync(&mut org, &sim.base);
    syslog::emit(
        &mut org,
        &sim.clock,
        "application.lifecycle.update",
        vec![app_target(&app)],
    );
    Ok(json_value(&app))
}

pub async fn delete(sim: Sim, Path(id): Path<String>) -> Result<Response, ApiError> {
    let mut org = sim.write_org();
    let app = find_app(&org, &id)?;
    if app["status"] != "INACTIVE" {
        return Err(ApiError::AppMustBeInactive);
    }
    org.apps.remove(&id);
    org.app_users.remove(&id);
    org.app_groups.remove(&id);
    // What is listed under the app (its schema, grants, keys) and what named it go with it.
    crate::resources::cascade::app_gone(&mut org, &id, &sim.clock.now());
    crate::resources::clients::sync(&mut org, &sim.base);
    syslog::emit(
        &mut org,
        &sim.clock,
        "application.lifecycle.delete",
        vec![app_target(&app)],
    );
    Ok(no_content())
}

pub async fn lifecycle(sim: Sim, Path((id, op)): Path<(String, String)>) -> Result<Response, ApiError> {
    let status = match op.as_str() {
        "activate" => "ACTIVE",
        "deactivate" => "INACTIVE",
        _ => return Err(ApiError::NotFound(format!("lifecycle operation {op}"))),
    };
    let mut org = sim.write_org();
    let mut app = find_app(&org, &id)?;
    if app["status"] != status {
        app["status"] = json!(status);
        app["lastUpdated"] = json!(sim.clock.now());
        let policy = app["_links"]["accessPolicy"].clone();
        app["_links"] = shapes::app_links(&sim.base, &id, app["name"].as_str().unwrap_or_default(), status);
        if !policy.is_null() {
            app["_links"]["accessPolicy"] = policy;
        }
        org.apps.put_value(&app);
        crate::resources::clients::sync(&mut org, &sim.base);
        syslog::emit(
            &mut org,
            &sim.clock,
            &format!("application.lifecycle.{op}"),
            vec![app_target(&app)],
        );
    }
    Ok(json_value(&json!({})))
}

fn sub_list(
    sim: &Shared,
    id: &str,
    pairs: &[(String, String)],
    kind: &str,
    sizes: PageSizes,
) -> Result<Response, ApiError> {
    let org = sim.read_org();
    find_app(&org, id)?;
    let path = format!("/api/v1/apps/{id}/{kind}");
    let call = ListCall {
        sim,
        path: &path,
        pairs,
        list: format!("app-{kind}:{id}"),
        sizes,
    };
    let after = call.after()?;
    let rows = if kind == "users" {
        org.app_users.get(id)
    } else {
        org.app_groups.get(id)
    };
    let empty = Collection::default();
    call.respond(
        rows.unwrap_or(&empty).after(after.as_deref()).iter(),
        |_| true,
        as_stored,
    )
}

pub async fn users(sim: Sim, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    sub_list(&sim, &id, &query_pairs(raw), "users", APP_USER_PAGES)
}

pub async fn groups(sim: Sim, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    sub_list(&sim, &id, &query_pairs(raw), "groups", APP_GROUP_PAGES)
}

fn find_row(rows: Option<&Collection>, id: &str, what: &str) -> Result<Value, ApiError> {
    rows.and_then(|r| r.get(id))
        .map(Record::value)
        .ok_or_else(|| ApiError::NotFound(format!("{id} ({what})")))
}

pub async fn get_user(sim: Sim, Path((id, user_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    let org = sim.read_org();
    find_app(&org, &id)?;
    Ok(json_value(&find_row(org.app_users.get(&id), &user_id, "AppUser")?))
}

pub async fn get_group(sim: Sim, Path((id, group_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    let org = sim.read_org();
    find_app(&org, &id)?;
    Ok(json_value(&find_row(
        org.app_groups.get(&id),
        &group_id,
        "ApplicationGroupAssignment",
    )?))
}

/// `POST /api/v1/apps/{id}/users` (AppUserAssignRequest). An assignment Okta makes from a group
/// assignment (`scope: GROUP`) cannot be made directly: the group is assigned instead.
pub async fn assign_user(sim: Sim, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    let user_id = body["id"]
        .as_str()
        .ok_or_else(|| ApiError::validation("id", "id: The field cannot be left blank"))?;
    if body["scope"] == "GROUP" {
        return Err(ApiError::validation(
            "scope",
            "scope: a GROUP assignment comes from assigning one of the user's groups to the app; assign the group, \
             or assign the user with scope USER",
        ));
    }
    let mut org = sim.write_org();
    let app = find_app(&org, &id)?;
    let user = org
        .users
        .get(user_id)
        .map(Record::value)
        .ok_or_else(|| ApiError::NotFound(format!("{user_id} (User)")))?;
    let mut credentials = body.get("credentials").cloned().unwrap_or_else(|| json!({}));
    if credentials.get("password").is_some() {
        // Write-only: Okta only shows that a password is set.
        credentials["password"] = json!({});
    }
    if credentials.get("userName").is_none() {
        credentials["userName"] = user["profile"]["login"].clone();
    }
    let now = sim.clock.now();
    let created = find_row(org.app_users.get(&id), user_id, "AppUser")
        .ok()
        .and_then(|row| row["created"].as_str().map(String::from));
    let row = shapes::app_user(
        &sim.base,
        shapes::AppUserInit {
            app_id: &id,
            user_id,
            scope: body["scope"].as_str().unwrap_or("USER"),
            status: "ACTIVE",
            created: created.as_deref().unwrap_or(&now),
            last_updated: &now,
            credentials,
            profile: body.get("profile").cloned().unwrap_or_else(|| json!({})),
        },
    );
    org.app_users.entry(id).or_default().put_value(&row);
    // Okta emits `.add` for a new assignment and `.change_profile` when an existing one is updated.
    let event_type = if created.is_some() {
        "application.user_membership.change_profile"
    } else {
        "application.user_membership.add"
    };
    syslog::emit(
        &mut org,
        &sim.clock,
        event_type,
        vec![user_target(&user), app_target(&app)],
    );
    Ok(json_value(&row))
}

/// `POST /api/v1/apps/{id}/users/{userId}` (AppUserUpdateRequest): the assignment's app profile (merged,
/// a `null` removes an attribute) or credentials change.
pub async fn update_user(
    sim: Sim,
    Path((id, user_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    let mut org = sim.write_org();
    let app = find_app(&org, &id)?;
    let mut row = find_row(org.app_users.get(&id), &user_id, "AppUser")?;
    let user = org
        .users
        .get(&user_id)
        .map_or_else(|| json!({"id": user_id}), Record::value);
    if let Some(profile) = body.get("profile") {
        crate::resources::write::merge_removing_nulls(&mut row["profile"], profile);
    }
    if let Some(credentials) = body.get("credentials") {
        let mut credentials = credentials.clone();
        if credentials.get("password").is_some() {
            // Write-only: Okta only shows that a password is set.
            credentials["password"] = json!({});
            row["passwordChanged"] = json!(sim.clock.now());
        }
        crate::resources::write::merge_removing_nulls(&mut row["credentials"], &credentials);
    }
    row["lastUpdated"] = json!(sim.clock.now());
    org.app_users.entry(id).or_default().put_value(&row);
    syslog::emit(
        &mut org,
        &sim.clock,
        "application.user_membership.change_profile",
        vec![user_target(&user), app_target(&app)],
    );
    Ok(json_value(&row))
}

pub async fn unassign_user(sim: Sim, Path((id, user_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    let mut org = sim.write_org();
    let app = find_app(&org, &id)?;
    org.app_users
        .get_mut(&id)
        .and_then(|rows| rows.remove(&user_id))
        .ok_or_else(|| ApiError::NotFound(format!("{user_id} (AppUser)")))?;
    let user = org
        .users
        .get(&user_id)
        .map_or_else(|| json!({"id": user_id}), Record::value);
    syslog::emit(
        &mut org,
        &sim.clock,
        "application.user_membership.remove",
        vec![user_target(&user), app_target(&app)],
    );
    Ok(no_content())
}

/// `PUT /api/v1/apps/{id}/groups/{groupId}`: assigns (or re-assigns) a group.
pub async fn assign_group(
    sim: Sim,
    Path((id, group_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    let mut org = sim.write_org();
    let app = find_app(&org, &id)?;
    let group = org
        .groups
        .get(&group_id)
        .map(Record::value)
        .ok_or_else(|| ApiError::NotFound(format!("{group_id} (UserGroup)")))?;
    let rows = org.app_groups.entry(id.clone()).or_default();
    // Without a priority the group goes after the ones already assigned.
    let next_priority = rows
        .iter()
        .filter_map(|r| r.value()["priority"].as_u64())
        .max()
        .map_or(0, |p| p + 1);
    let priority = body["priority"].as_u64().unwrap_or(next_priority);
    let profile = body.get("profile").cloned().unwrap_or_else(|| json!({}));
    let existed = rows.get(&group_id).is_some();
    let row = shapes::app_group(&sim.base, &id, &group_id, priority, &sim.clock.now(), profile);
    rows.put_value(&row);
    let event_type = if existed {
        "group.application_assignment.update"
    } else {
        "group.application_assignment.add"
    };
    syslog::emit(
        &mut org,
        &sim.clock,
        event_type,
        vec![group_target(&group), app_target(&app)],
    );
    Ok(json_value(&row))
}

pub async fn unassign_group(sim: Sim, Path((id, group_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    let mut org = sim.write_org();
    let app = find_app(&org, &id)?;
    org.app_groups
        .get_mut(&id)
        .and_then(|rows| rows.remove(&group_id))
        .ok_or_else(|| ApiError::NotFound(format!("{group_id} (ApplicationGroupAssignment)")))?;
    let group = org
        .groups
        .get(&group_id)
        .map_or_else(|| json!({"id": group_id}), Record::value);
    syslog::emit(
        &mut org,
        &sim.clock,
        "group.application_assignment.remove",
        vec![group_target(&group), app_target(&app)],
    );
    Ok(no_content())
}
