//! `/api/v1/groups`: list, read, create/replace/delete (OKTA_GROUP only, as in Okta), and members.
//!
//! Okta's built-in groups (Everyone, `BUILT_IN`) and app groups (`APP_GROUP`) are never changed,
//! deleted or given members through the API. A deleted group takes its memberships, app assignments,
//! role assignments and owners with it; group rules that assigned it or named it turn INVALID, and
//! policies and rules lose it from their conditions (`resources::cascade`).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::response::Response;
use serde_json::{Value, json};

use super::users::touch_membership;
use super::{
    ListCall, PageSizes, Sim, as_stored, json_value, list_expression, no_content, param, parse_body, query_pairs,
};
use crate::errors::ApiError;
use crate::filter::GROUP_FILTER;
use crate::ids::GROUP_PREFIX;
use crate::shapes::{self, GroupKind, GroupTimes};
use crate::store::{Org, Record};
use crate::syslog::{self, app_target, group_target, user_target};

/// The spec gives no default for groups and a maximum of 10000; Okta answers 10000 by default.
const GROUP_PAGES: PageSizes = PageSizes {
    default: 10_000,
    min: 1,
    max: 10_000,
};
/// Members default to 1000 (spec); the spec states no maximum, the simulator caps at 1000.
const MEMBER_PAGES: PageSizes = PageSizes {
    default: 1000,
    min: 1,
    max: 1000,
};

pub async fn list(sim: Sim, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw);
    let org = sim.read_org();
    let call = ListCall {
        sim: &sim,
        path: "/api/v1/groups",
        pairs: &pairs,
        list: "groups".into(),
        sizes: GROUP_PAGES,
    };
    let expression = list_expression(&pairs, GROUP_FILTER)?;
    let prefix = param(&pairs, "q").map(str::to_lowercase);
    let with_stats = param(&pairs, "expand").is_some_and(|e| e.split(',').any(|x| x == "stats"));
    let after = call.after()?;
    let keep = |r: &Record| {
        expression.as_ref().is_none_or(|e| e.matches(r))
            && prefix.as_ref().is_none_or(|p| {
                r.value()["profile"]["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().starts_with(p.as_str()))
            })
    };
    let render = |r: &Record| {
        if with_stats {
            with_group_stats(&org, r).to_string()
        } else {
            as_stored(r)
        }
    };
    call.respond(org.groups.after(after.as_deref()).iter(), keep, render)
}

/// `expand=stats`: member and app counts in `_embedded.stats`.
fn with_group_stats(org: &Org, record: &Record) -> Value {
    let mut group = record.value();
    let users = org.group_members.get(&*record.id).map_or(0, Vec::len);
    let apps = org
        .app_groups
        .values()
        .filter(|rows| rows.get(&record.id).is_some())
        .count();
    group["_embedded"] = json!({ "stats": {
        "usersCount": users, "appsCount": apps, "groupPushMappingsCount": 0, "hasAdminPrivilege": false,
    } });
    group
}

fn find_group(org: &Org, id: &str) -> Result<Value, ApiError> {
    org.groups
        .get(id)
        .map(Record::value)
        .ok_or_else(|| ApiError::NotFound(format!("{id} (UserGroup)")))
}

pub async fn get_one(sim: Sim, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(json_value(&find_group(&sim.read_org(), &id)?))
}

fn group_profile(body: &Value) -> Result<Value, ApiError> {
    let profile = body.get("profile").cloned().unwrap_or(Value::Null);
    match profile.get("name").and_then(Value::as_str) {
        Some(name) if !name.trim().is_empty() => Ok(profile),
        _ => Err(ApiError::validation("name", "name: The field cannot be left blank")),
    }
}

fn check_name_free(org: &Org, name: &str, own_id: Option<&str>) -> Result<(), ApiError> {
    let taken = org.groups.iter().any(|g| {
        Some(&*g.id) != own_id
            && g.value()["profile"]["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    });
    if taken {
        return Err(ApiError::validation(
            "name",
            format!("name: An object with this field already exists in the current organization ({name})"),
        ));
    }
    Ok(())
}

fn require_okta_group(group: &Value, action: &str) -> Result<(), ApiError> {
    match group["type"].as_str() {
        Some("OKTA_GROUP") => Ok(()),
        other => Err(ApiError::validation(
            "type",
            format!(
                "type: cannot {action} a {} group; only OKTA_GROUP groups can be changed through the API",
                other.unwrap_or("?")
            ),
        )),
    }
}

pub async fn create(sim: Sim, body: Bytes) -> Result<Response, ApiError> {
    let profile = group_profile(&parse_body(&body)?)?;
    let mut org = sim.write_org();
    check_name_free(&org, profile["name"].as_str().unwrap_or_default(), None)?;
    let id = sim.ids.lock().unwrap_or_else(|p| p.into_inner()).next(GROUP_PREFIX);
    let now = sim.clock.now();
    let times = GroupTimes {
        created: &now,
        last_updated: &now,
        last_membership_updated: &now,
    };
    let group = shapes::group(&sim.base, &id, GroupKind::Okta, &times, profile, None);
    org.groups.put_value(&group);
    syslog::emit(
        &mut org,
        &sim.clock,
        "group.lifecycle.create",
        vec![group_target(&group)],
    );
    Ok(json_value(&group))
}

pub async fn replace(sim: Sim, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let profile = group_profile(&parse_body(&body)?)?;
    let mut org = sim.write_org();
    let mut group = find_group(&org, &id)?;
    require_okta_group(&group, "update")?;
    check_name_free(&org, profile["name"].as_str().unwrap_or_default(), Some(&id))?;
    group["profile"] = profile;
    group["lastUpdated"] = json!(sim.clock.now());
    org.groups.put_value(&group);
    crate::resources::targets::group_changed(&mut org, &group);
    syslog::emit(&mut org, &sim.clock, "group.profile.update", vec![group_target(&group)]);
    Ok(json_value(&group))
}

pub async fn delete(sim: Sim, Path(id): Path<String>) -> Result<Response, ApiError> {
    let mut org = sim.write_org();
    let group = find_group(&org, &id)?;
    // Okta refuses the delete of Everyone and of app groups as an action the caller may not take.
    if group["type"] != "OKTA_GROUP" {
        return Err(ApiError::AccessDenied);
    }
    let now = sim.clock.now();
    org.groups.remove(&id);
    org.group_members.remove(&id);
    // Okta removes the group's app assignments with it, and logs each removal.
    let org_ref = &mut *org;
    let apps = crate::store::unassign_from_every_app(&mut org_ref.app_groups, &org_ref.apps, &id);
    for app in apps {
        syslog::emit(
            &mut org,
            &sim.clock,
            "group.application_assignment.remove",
            vec![group_target(&group), app_target(&app)],
        );
    }
    // Its admin roles (and custom-role binding memberships) go with it, and what else named it.
    crate::handlers::privileges::forget(&mut org, &sim.base, crate::resources::roles::Assignee::Group(&id));
    crate::resources::cascade::children_gone(&mut org, "groups", &id);
    crate::resources::cascade::group_gone(&mut org, &id, &now);
    syslog::emit(
        &mut org,
        &sim.clock,
        "group.lifecycle.delete",
        vec![group_target(&group)],
    );
    Ok(no_content())
}

pub async fn members(sim: Sim, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw);
    let org = sim.read_org();
    find_group(&org, &id)?;
    let path = format!("/api/v1/groups/{id}/users");
    let call = ListCall {
        sim: &sim,
        path: &path,
        pairs: &pairs,
        list: format!("members:{id}"),
        sizes: MEMBER_PAGES,
    };
    let after = call.after()?;
    let member_ids: &[String] = org.group_members.get(&id).map_or(&[], Vec::as_slice);
    let start = after
        .as_deref()
        .map_or(0, |a| member_ids.partition_point(|m| m.as_str() <= a));
    let users = member_ids[start..].iter().filter_map(|m| org.users.get(m));
    call.respond(users, |_| true, as_stored)
}

fn change_membership(sim: &Sim, group_id: &str, user_id: &str, add: bool) -> Result<Response, ApiError> {
    let mut org = sim.write_org();
    let group = find_group(&org, group_id)?;
    require_okta_group(&group, if add { "add members to" } else { "remove members from" })?;
    let user = org
        .users
        .get(user_id)
        .map(Record::value)
        .ok_or_else(|| ApiError::NotFound(format!("{user_id} (User)")))?;
    let changed = if add {
        org.add_member(group_id, user_id)
    } else {
        org.remove_member(group_id, user_id)
    };
    if changed {
        let now = sim.clock.now();
        touch_membership(&mut org, group_id, &now);
        let event_type = if add {
            "group.user_membership.add"
        } else {
            "group.user_membership.remove"
        };
        syslog::emit(
            &mut org,
            &sim.clock,
            event_type,
            vec![user_target(&user), group_target(&group)],
        );
    }
    Ok(no_content())
}

pub async fn add_member(sim: Sim, Path((id, user_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    change_membership(&sim, &id, &user_id, true)
}

pub async fn remove_member(sim: Sim, Path((id, user_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    change_membership(&sim, &id, &user_id, false)
}
