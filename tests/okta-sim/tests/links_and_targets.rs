//! Linked-object values (a user's manager, a manager's subordinates) and admin role targets (the groups
//! and apps an admin role is limited to): seeded data that references real objects, the errors Okta
//! answers, and the changes that keep them in step (linking users, deleting users and groups, removing
//! role assignments).

mod common;

use std::collections::BTreeSet;

use common::*;
use okta_sim::{OrgState, SimHandle, everything_at};
use reqwest::Method;
use serde_json::{Value, json};

async fn send(sim: &SimHandle, method: Method, path: &str) -> (u16, Value) {
    let response = client()
        .request(method, format!("{}{path}", sim.url()))
        .header("Authorization", ssws(sim))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// The user ids a list of self links points at.
fn linked(links: &Value) -> Vec<String> {
    links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let href = l["_links"]["self"]["href"].as_str().unwrap();
            href.rsplit('/').next().unwrap().to_string()
        })
        .collect()
}

/// (user, primary) pairs of the relationship `name`, from the stored links.
fn pairs(state: &OrgState, name: &str) -> Vec<(String, String)> {
    state.resources["linked_object_values"]
        .iter()
        .filter_map(|(parent, links)| {
            let (user, relationship) = parent.split_once('/')?;
            (relationship == name).then(|| (user.to_string(), linked(&json!(links))[0].clone()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_answers_its_primary_and_a_primary_its_associated_users() {
    let sim = sim(300, 51).await;
    let state = sim.snapshot_state();
    let managed = pairs(&state, "manager");
    let active = state.users.iter().filter(|u| u["status"] == "ACTIVE").count();
    assert!(
        managed.len() > active / 10 && managed.len() < active / 3,
        "about one ACTIVE user in five has a manager: {} of {active}",
        managed.len()
    );
    assert!(!pairs(&state, "sponsor").is_empty());
    let (user, manager) = &managed[0];
    assert!(state.users.iter().any(|u| id(u) == manager), "{manager} is a real user");

    let (status, body) = send(
        &sim,
        Method::GET,
        &format!("/api/v1/users/{user}/linkedObjects/manager"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(linked(&body), [manager.clone()]);
    assert_eq!(
        body[0]["_links"]["self"]["href"],
        format!("{}/api/v1/users/{manager}", sim.url())
    );
    let subordinates: BTreeSet<String> = managed
        .iter()
        .filter(|(_, m)| m == manager)
        .map(|(u, _)| u.clone())
        .collect();
    let (status, body) = send(
        &sim,
        Method::GET,
        &format!("/api/v1/users/{manager}/linkedObjects/subordinate"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(linked(&body).into_iter().collect::<BTreeSet<_>>(), subordinates);

    // By login too; a user without a manager answers an empty list.
    let login = state.users.iter().find(|u| id(u) == user).unwrap()["profile"]["login"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, by_login) = send(
        &sim,
        Method::GET,
        &format!("/api/v1/users/{login}/linkedObjects/manager"),
    )
    .await;
    assert_eq!(linked(&by_login), [manager.clone()]);
    let unmanaged = state
        .users
        .iter()
        .map(|u| id(u).to_string())
        .find(|u| !managed.iter().any(|(m, _)| m == u))
        .unwrap();
    let path = format!("/api/v1/users/{unmanaged}/linkedObjects/manager");
    assert_eq!(send(&sim, Method::GET, &path).await, (200, json!([])));
    assert_eq!(everything_at(&state.resources, &path), Some(vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_relationships_and_users_are_not_found() {
    let sim = sim(100, 52).await;
    let user = id(&sim.snapshot_state().users[0]).to_string();
    let (status, body) = send(&sim, Method::GET, &format!("/api/v1/users/{user}/linkedObjects/mentor")).await;
    assert_eq!(status, 404);
    assert_eq!(body["errorCode"], "E0000007");
    let (status, _) = send(&sim, Method::GET, "/api/v1/users/00uNoSuchUser/linkedObjects/manager").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_replaces_the_previous_primary_and_unlinking_removes_it() {
    let sim = sim(200, 53).await;
    let state = sim.snapshot_state();
    let (user, old) = pairs(&state, "manager")[0].clone();
    let new = state
        .users
        .iter()
        .map(|u| id(u).to_string())
        .find(|u| *u != user && *u != old)
        .unwrap();
    let of = |u: &str, name: &str| format!("/api/v1/users/{u}/linkedObjects/{name}");

    let (status, _) = send(&sim, Method::PUT, &format!("{}/{new}", of(&user, "manager"))).await;
    assert_eq!(status, 204);
    assert_eq!(
        linked(&send(&sim, Method::GET, &of(&user, "manager")).await.1),
        [new.clone()]
    );
    assert!(linked(&send(&sim, Method::GET, &of(&new, "subordinate")).await.1).contains(&user));
    assert!(!linked(&send(&sim, Method::GET, &of(&old, "subordinate")).await.1).contains(&user));
    let after = sim.snapshot_state();
    assert_eq!(
        everything_at(&after.resources, &of(&user, "manager")).map(|l| linked(&json!(l))),
        Some(vec![new.clone()])
    );

    // Links are made and removed by the primary name only.
    let (status, body) = send(&sim, Method::PUT, &format!("{}/{new}", of(&user, "subordinate"))).await;
    assert_eq!((status, body["errorCode"].clone()), (400, json!("E0000001")));
    let (status, _) = send(&sim, Method::PUT, &format!("{}/{user}", of(&user, "manager"))).await;
    assert_eq!(status, 400, "a user is not its own manager");

    assert_eq!(send(&sim, Method::DELETE, &of(&user, "manager")).await.0, 204);
    assert_eq!(send(&sim, Method::GET, &of(&user, "manager")).await.1, json!([]));
    assert!(!linked(&send(&sim, Method::GET, &of(&new, "subordinate")).await.1).contains(&user));
    assert_eq!(
        send(&sim, Method::DELETE, &of(&user, "manager")).await.0,
        204,
        "no link is no error"
    );

    sim.link_users(&user, "sponsor", &old);
    assert_eq!(
        linked(&send(&sim, Method::GET, &of(&user, "sponsor")).await.1),
        [old.clone()]
    );
    assert!(linked(&send(&sim, Method::GET, &of(&old, "sponsored")).await.1).contains(&user));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_leaves_no_links_behind() {
    let sim = sim(200, 54).await;
    let state = sim.snapshot_state();
    let (_, manager) = pairs(&state, "manager")[0].clone();
    // A manager who also has a manager and a sponsor: links in both directions.
    let others: Vec<String> = state
        .users
        .iter()
        .map(|u| id(u).to_string())
        .filter(|u| *u != manager)
        .take(2)
        .collect();
    sim.link_users(&manager, "manager", &others[0]);
    sim.link_users(&manager, "sponsor", &others[1]);
    for _ in 0..2 {
        assert_eq!(
            send(&sim, Method::DELETE, &format!("/api/v1/users/{manager}")).await.0,
            204
        );
    }
    let after = sim.snapshot_state();
    for (parent, links) in &after.resources["linked_object_values"] {
        assert!(!parent.starts_with(&format!("{manager}/")), "{parent} is left");
        assert!(
            !linked(&json!(links)).contains(&manager),
            "{parent} still links {manager}"
        );
    }
}

/// Every (holder, assignment, type) of `user_roles` or `group_roles`.
fn assignments(state: &OrgState, resource: &str) -> Vec<(String, String, String)> {
    state.resources[resource]
        .iter()
        .flat_map(|(holder, held)| {
            held.iter().map(move |a| {
                (
                    holder.clone(),
                    id(a).to_string(),
                    a["type"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_targets_name_real_groups_and_apps_and_some_roles_stay_unscoped() {
    let sim = sim(300, 55).await;
    let state = sim.snapshot_state();
    let group_ids: BTreeSet<&str> = state.groups.iter().map(id).collect();
    let app_ids: BTreeSet<&str> = state.apps.iter().map(id).collect();
    for (holders, roles) in [("users", "user_roles"), ("groups", "group_roles")] {
        let (mut scoped_groups, mut unscoped_groups, mut scoped_apps, mut unscoped_apps) = (0, 0, 0, 0);
        let (mut instances, mut whole_apps) = (0, 0);
        for (holder, assignment, role_type) in assignments(&state, roles) {
            let base = format!("/api/v1/{holders}/{holder}/roles/{assignment}/targets");
            let takes_groups =
                ["USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"].contains(&role_type.as_str());
            let takes_apps = role_type == "APP_ADMIN";
            for (kind, takes) in [("groups", takes_groups), ("catalog/apps", takes_apps)] {
                let path = format!("{base}/{kind}");
                if !takes {
                    let (status, body) = send(&sim, Method::GET, &path).await;
                    assert_eq!((status, &body["errorCode"]), (400, &json!("E0000091")), "{path}");
                    continue;
                }
                let (targets, _) = walk(&sim, &format!("{path}?limit=1")).await;
                assert_eq!(Some(targets.clone()), everything_at(&state.resources, &path), "{path}");
                match (kind, targets.is_empty()) {
                    ("groups", true) => unscoped_groups += 1,
                    ("groups", false) => scoped_groups += 1,
                    (_, true) => unscoped_apps += 1,
                    (_, false) => scoped_apps += 1,
                }
                for target in &targets {
                    if kind == "groups" {
                        assert!(group_ids.contains(id(target)), "{path}: {target}");
                        let group = state.groups.iter().find(|g| g["id"] == target["id"]).unwrap();
                        assert_eq!(target, group, "{path}: the whole group, as listed");
                    } else if let Some(app) = target["id"].as_str() {
                        instances += 1;
                        assert!(app_ids.contains(app), "{path}: {target}");
                        let app = state.apps.iter().find(|a| a["id"] == app).unwrap();
                        assert_eq!(target["name"], app["name"]);
                    } else {
                        whole_apps += 1;
                        assert!(target["name"].is_string(), "{path}: {target}");
                    }
                }
            }
        }
        assert!(
            scoped_groups >= 2 && unscoped_groups >= 1,
            "{roles}: {scoped_groups}/{unscoped_groups}"
        );
        assert!(
            scoped_apps >= 1 && unscoped_apps >= 1,
            "{roles}: {scoped_apps}/{unscoped_apps}"
        );
        assert!(
            instances >= 1 && whole_apps >= 1,
            "{roles}: {instances} instances, {whole_apps} OIN apps"
        );
    }
    let (holder, assignment, _) = assignments(&state, "user_roles").remove(0);
    let (status, body) = send(
        &sim,
        Method::GET,
        &format!("/api/v1/users/{holder}/roles/ra1Nope/targets/groups"),
    )
    .await;
    assert_eq!((status, &body["errorCode"]), (404, &json!("E0000007")));
    let (status, _) = send(
        &sim,
        Method::GET,
        &format!("/api/v1/users/00uNope/roles/{assignment}/targets/groups"),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_targets_follow_their_groups_and_go_with_their_assignment() {
    let sim = sim(300, 56).await;
    let state = sim.snapshot_state();
    let (parent, targets) = state.resources["user_role_group_targets"]
        .iter()
        .find(|(_, t)| t.iter().any(|g| g["type"] == "OKTA_GROUP"))
        .map(|(p, t)| (p.clone(), t.clone()))
        .expect("a scoped USER_ADMIN-like assignment");
    let (holder, assignment) = parent.split_once('/').unwrap();
    let path = format!("/api/v1/users/{holder}/roles/{assignment}/targets/groups");
    let target = id(&targets[0]).to_string();

    let renamed = json!({ "profile": { "name": "Renamed target group", "description": "renamed" } });
    let response = client()
        .put(format!("{}/api/v1/groups/{target}", sim.url()))
        .header("Authorization", ssws(&sim))
        .json(&renamed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, listed) = send(&sim, Method::GET, &path).await;
    let copy = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == target.as_str())
        .unwrap();
    assert_eq!(copy["profile"]["name"], "Renamed target group");
    let (_, group) = send(&sim, Method::GET, &format!("/api/v1/groups/{target}")).await;
    assert_eq!(copy["lastUpdated"], group["lastUpdated"]);

    assert_eq!(
        send(&sim, Method::DELETE, &format!("/api/v1/groups/{target}")).await.0,
        204
    );
    let (_, listed) = send(&sim, Method::GET, &path).await;
    assert!(!listed.as_array().unwrap().iter().any(|g| g["id"] == target.as_str()));

    assert_eq!(
        send(
            &sim,
            Method::DELETE,
            &format!("/api/v1/users/{holder}/roles/{assignment}")
        )
        .await
        .0,
        204
    );
    assert_eq!(send(&sim, Method::GET, &path).await.0, 404);
    assert!(!sim.snapshot_state().resources["user_role_group_targets"].contains_key(&parent));
}
