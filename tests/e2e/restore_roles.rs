//! Restore of relationships kept as pairs of ids: the group targets of admin role assignments (with the plan's
//! warning when adding one narrows a live assignment that applies to every group) and linked-object values (a
//! user's manager).

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;

use crate::restore::{restore, validating_sim};
use crate::support::*;

fn ids(value: &Value, field: &str) -> BTreeSet<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v[field].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_group_targets_of_a_role_assignment_come_back_and_the_plan_says_they_narrow_it() {
    let sim = validating_sim(60, 121).await;
    let state = sim.snapshot_state();
    let (parent, targets) = state.resources["user_role_group_targets"]
        .iter()
        .find(|(_, t)| !t.is_empty())
        .expect("a user role assignment with group targets");
    let (user, assignment) = parent.split_once('/').unwrap();
    let path = format!("/api/v1/users/{user}/roles/{assignment}/targets/groups");
    let groups: BTreeSet<String> = targets.iter().map(|g| g["id"].as_str().unwrap().to_owned()).collect();
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;

    // Every target removed: the assignment now applies to every group.
    for group in &groups {
        admin(&sim, Method::DELETE, &format!("{path}/{group}"), None).await;
    }
    assert!(ids(&admin(&sim, Method::GET, &path, None).await, "id").is_empty());

    let plan = restore(
        store.path(),
        &sim,
        &["latest", "--select", "user_role_group_targets", "--dry-run"],
    )
    .await;
    assert_eq!(plan.code, Some(0), "{}", plan.output);
    let planned: Vec<&Value> = plan.report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["source_id"].as_str().unwrap().starts_with(parent.as_str()))
        .collect();
    assert_eq!(planned.len(), groups.len(), "{}", plan.report);
    for p in &planned {
        assert_eq!(p["action"], "create", "{p}");
        assert!(p["notes"].to_string().contains("narrows it"), "{p}");
    }
    assert_eq!(
        plan.report["plan"]["categories"]["user_role_group_targets"]["create"],
        groups.len() as u64,
        "only the removed targets are written: {}",
        plan.report["plan"]
    );

    let run = restore(store.path(), &sim, &["latest", "--select", "user_role_group_targets"]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(ids(&admin(&sim, Method::GET, &path, None).await, "id"), groups);
    let again = restore(store.path(), &sim, &["latest", "--select", "user_role_group_targets"]).await;
    assert_eq!(again.code, Some(0), "{}", again.output);
    assert_eq!(
        again.report["applied"]["user_role_group_targets"]["created"], 0,
        "a second restore writes nothing: {}",
        again.report
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_linked_object_value_comes_back() {
    let sim = validating_sim(60, 122).await;
    let store = tempfile::tempdir().unwrap();
    let run = backup_with_token(store.path(), &sim).await;
    let view = open_store(store.path());
    let contents = view.contents(&snapshot_id(&run)).await;
    let (id, link) = contents["linked_object_values"]
        .iter()
        .next()
        .map(|(id, v)| (id.clone(), v.clone()))
        .expect("a user with a manager (a linked object value)");
    let (user, relationship, primary) = (
        link["userId"].as_str().unwrap(),
        link["relationship"].as_str().unwrap(),
        link["primaryUserId"].as_str().unwrap(),
    );
    let path = format!("/api/v1/users/{user}/linkedObjects/{relationship}");
    let linked = |answer: &Value| {
        answer
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["_links"]["self"]["href"].as_str())
            .any(|href| href.ends_with(&format!("/users/{primary}")))
    };
    assert!(linked(&admin(&sim, Method::GET, &path, None).await));
    admin(&sim, Method::DELETE, &path, None).await;
    assert!(!linked(&admin(&sim, Method::GET, &path, None).await));

    let select = format!("linked_object_values:{id}");
    let run = restore(store.path(), &sim, &["latest", "--select", &select]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(
        run.report["applied"]["linked_object_values"]["created"], 1,
        "{}",
        run.report
    );
    assert!(linked(&admin(&sim, Method::GET, &path, None).await), "the link is back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_comes_back_with_its_admin_role_its_targets_and_its_manager() {
    let sim = validating_sim(60, 123).await;
    let store = tempfile::tempdir().unwrap();
    let run = backup_with_token(store.path(), &sim).await;
    let view = open_store(store.path());
    let contents = view.contents(&snapshot_id(&run)).await;
    let holder = |id: &str| id.split('/').next().unwrap().to_owned();
    let managed: BTreeSet<String> = contents["linked_object_values"].keys().map(|id| holder(id)).collect();
    let (target_id, _) = contents["user_role_group_targets"]
        .iter()
        .find(|(id, _)| managed.contains(&holder(id)))
        .expect("a user with a group-targeted admin role and a manager");
    let user = holder(target_id);
    let roles: Vec<&Value> = contents["user_roles"]
        .iter()
        .filter(|(id, _)| holder(id) == user)
        .map(|(_, v)| v)
        .collect();
    let targets: BTreeSet<String> = contents["user_role_group_targets"]
        .keys()
        .filter(|id| holder(id) == user)
        .map(|id| id.rsplit('/').next().unwrap().to_owned())
        .collect();
    let link = contents["linked_object_values"]
        .iter()
        .find(|(id, _)| holder(id) == user)
        .unwrap()
        .1
        .clone();
    let login = contents["users"][&user]["profile"]["login"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::restore::delete_user(&sim, &user).await;

    let run = restore(store.path(), &sim, &["latest", "--select", &format!("users:{login}")]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    for category in ["user_roles", "user_role_group_targets", "linked_object_values"] {
        assert!(
            run.report["applied"][category]["created"].as_u64().unwrap_or(0) > 0,
            "{category} comes back with the user: {}",
            run.report["applied"]
        );
    }
    let state = sim.snapshot_state();
    let back = state
        .users
        .iter()
        .find(|u| u["profile"]["login"] == login.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let live_roles = admin(&sim, Method::GET, &format!("/api/v1/users/{back}/roles"), None).await;
    let types = |roles: Vec<&Value>| {
        roles
            .iter()
            .map(|r| r["type"].as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(types(live_roles.as_array().unwrap().iter().collect()), types(roles));
    let targeted = live_roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "USER_ADMIN" || r["type"] == "HELP_DESK_ADMIN" || r["type"] == "GROUP_MEMBERSHIP_ADMIN")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/users/{back}/roles/{targeted}/targets/groups");
    assert_eq!(ids(&admin(&sim, Method::GET, &path, None).await, "id"), targets);
    let relationship = link["relationship"].as_str().unwrap();
    let primary = link["primaryUserId"].as_str().unwrap();
    let links = admin(
        &sim,
        Method::GET,
        &format!("/api/v1/users/{back}/linkedObjects/{relationship}"),
        None,
    )
    .await;
    assert!(
        links.to_string().contains(&format!("/users/{primary}")),
        "the manager link is back: {links}"
    );
}
