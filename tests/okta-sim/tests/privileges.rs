//! Admin roles, IAM resource sets and MFA factors: seeded data that references real objects, and the
//! changes (enroll/reset a factor, assign/remove a role) with the System Log events Okta emits for them.

mod common;

use std::collections::BTreeSet;

use common::*;
use okta_sim::{OrgState, SimHandle, everything_at};
use reqwest::Method;
use serde_json::{Value, json};

async fn send(sim: &SimHandle, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = client()
        .request(method, format!("{}{path}", sim.url()))
        .header("Authorization", ssws(sim));
    if let Some(b) = body {
        request = request.json(&b);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn at(state: &OrgState, path: &str) -> Vec<Value> {
    everything_at(&state.resources, path).unwrap_or_else(|| panic!("nothing is served at {path}"))
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// The last event of the log and the (type, id) of its targets.
fn last_event(sim: &SimHandle) -> (String, Vec<(String, String)>) {
    let logs = sim.snapshot_state().logs;
    let event = logs.last().expect("an event was logged");
    let targets = event["target"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["type"].as_str().unwrap().to_string(), id(t).to_string()))
        .collect();
    (event["eventType"].as_str().unwrap().to_string(), targets)
}

/// Every object a (relative or absolute) simulator URL names must exist: GET it.
async fn resolves(sim: &SimHandle, href: &str) {
    let path = href.strip_prefix(&sim.url()).unwrap_or(href);
    let response = get(sim, path).await;
    assert_eq!(response.status(), 200, "{href} does not name a real object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_org_has_objects_in_every_new_category_that_reference_real_objects() {
    let sim = sim(150, 41).await;
    let state = sim.snapshot_state();
    for category in [
        "custom_roles",
        "role_permissions",
        "resource_sets",
        "resource_set_resources",
        "resource_set_bindings",
        "resource_set_binding_members",
        "role_assignees",
        "user_roles",
        "group_roles",
        "user_factors",
        "profile_mappings",
        "sms_templates",
        "org_preferences",
        "org_okta_communication",
        "org_okta_support",
        "org_third_party_admin",
        "org_auto_assign_admin_app",
        "org_client_privileges",
    ] {
        let objects: usize = state
            .resources
            .get(category)
            .map_or(0, |p| p.values().map(Vec::len).sum());
        assert!(objects > 0, "{category} has no objects");
    }

    // Role assignees are exactly the users holding a role.
    let assignees: BTreeSet<String> = at(&state, "/api/v1/iam/assignees/users")
        .iter()
        .map(|a| id(a).to_string())
        .collect();
    let holders: BTreeSet<String> = state.resources["user_roles"]
        .iter()
        .filter(|(_, roles)| !roles.is_empty())
        .map(|(user, _)| user.clone())
        .collect();
    assert_eq!(assignees, holders);
    assert!(assignees.len() >= 5);

    // Resource set resources, binding members, roles' assignees and mappings name real objects.
    for set in at(&state, "/api/v1/iam/resource-sets") {
        for resource in at(&state, &format!("/api/v1/iam/resource-sets/{}/resources", id(&set))) {
            resolves(&sim, resource["_links"]["self"]["href"].as_str().unwrap()).await;
            assert!(resource["orn"].as_str().unwrap().starts_with("orn:okta:"));
        }
        for binding in at(&state, &format!("/api/v1/iam/resource-sets/{}/bindings", id(&set))) {
            resolves(&sim, binding["_links"]["self"]["href"].as_str().unwrap()).await;
            let members = format!(
                "/api/v1/iam/resource-sets/{}/bindings/{}/members",
                id(&set),
                id(&binding)
            );
            for member in at(&state, &members) {
                resolves(&sim, member["_links"]["self"]["href"].as_str().unwrap()).await;
            }
        }
    }
    let mut custom = 0;
    for (resource, collection) in [("user_roles", "users"), ("group_roles", "groups")] {
        for (holder, assignments) in &state.resources[resource] {
            for a in assignments {
                let assignee = a["_links"]["assignee"]["href"].as_str().unwrap();
                assert!(assignee.ends_with(&format!("/api/v1/{collection}/{holder}")), "{a}");
                if a["type"] == "CUSTOM" {
                    custom += 1;
                    let member = a["_links"]["member"]["href"].as_str().unwrap();
                    resolves(&sim, member).await;
                }
            }
        }
    }
    assert!(custom >= 2, "only {custom} custom role assignments");
    for mapping in at(&state, "/api/v1/mappings") {
        assert!(mapping.get("properties").is_none(), "the list leaves properties out");
        resolves(&sim, mapping["source"]["_links"]["self"]["href"].as_str().unwrap()).await;
        resolves(&sim, mapping["target"]["_links"]["self"]["href"].as_str().unwrap()).await;
        let full = at(&state, &format!("/api/v1/mappings/{}", id(&mapping)));
        assert!(
            full[0]["properties"].is_object(),
            "the item route serves the properties"
        );
    }

    // About a third of ACTIVE users have factors; other users none.
    let active: Vec<&str> = state.users.iter().filter(|u| u["status"] == "ACTIVE").map(id).collect();
    let with_factors = &state.resources["user_factors"];
    assert!(with_factors.keys().all(|u| active.contains(&u.as_str())));
    let share = with_factors.len() as f64 / active.len() as f64;
    assert!((0.2..0.5).contains(&share), "{share} of active users have factors");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolling_and_resetting_a_factor_logs_it_against_the_user() {
    let sim = sim(120, 42).await;
    let state = sim.snapshot_state();
    let user = state
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE" && !state.resources["user_factors"].contains_key(id(u)))
        .unwrap();
    let user_id = id(user);
    let factors = format!("/api/v1/users/{user_id}/factors");
    assert_eq!(send(&sim, Method::GET, &factors, None).await, (200, json!([])));

    let body = json!({ "factorType": "sms", "provider": "OKTA", "profile": { "phoneNumber": "+15554151337" } });
    let (status, factor) = send(&sim, Method::POST, &factors, Some(body.clone())).await;
    assert_eq!(status, 200, "{factor}");
    assert_eq!(factor["profile"]["phoneNumber"], "+15554151337");
    assert_eq!(
        last_event(&sim),
        ("user.mfa.factor.activate".into(), vec![("User".into(), user_id.into())])
    );
    let (_, listed) = send(&sim, Method::GET, &factors, None).await;
    assert_eq!(listed, json!([factor]));
    let (status, _) = send(&sim, Method::POST, &factors, Some(body)).await;
    assert_eq!(status, 400, "a second SMS factor is refused");

    let second = sim.enroll_factor(user_id);
    let (_, listed) = send(&sim, Method::GET, &factors, None).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed.as_array().unwrap().iter().any(|f| f["id"] == second.as_str()));

    let (status, _) = send(&sim, Method::DELETE, &format!("{factors}/{}", id(&factor)), None).await;
    assert_eq!(status, 204);
    assert_eq!(
        last_event(&sim),
        (
            "user.mfa.factor.deactivate".into(),
            vec![("User".into(), user_id.into())]
        )
    );
    let (status, _) = send(&sim, Method::DELETE, &format!("{factors}/{}", id(&factor)), None).await;
    assert_eq!(status, 404);
    let (status, _) = send(
        &sim,
        Method::POST,
        "/api/v1/users/00uNoSuchUser/factors",
        Some(json!({"factorType": "sms"})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_role_grants_and_revokes_are_logged_against_the_group() {
    let sim = sim(120, 43).await;
    let state = sim.snapshot_state();
    let group = state
        .groups
        .iter()
        .find(|g| g["type"] == "OKTA_GROUP" && !state.resources["group_roles"].contains_key(id(g)))
        .unwrap();
    let group_id = id(group);
    let roles = format!("/api/v1/groups/{group_id}/roles");
    assert_eq!(send(&sim, Method::GET, &roles, None).await, (200, json!([])));

    let assignment = sim.assign_group_role(group_id, "HELP_DESK_ADMIN");
    assert_eq!(
        last_event(&sim),
        (
            "group.privilege.grant".into(),
            vec![("UserGroup".into(), group_id.into())]
        )
    );
    let (status, created) = send(&sim, Method::POST, &roles, Some(json!({ "type": "APP_ADMIN" }))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["assignmentType"], "GROUP");
    let (_, listed) = send(&sim, Method::GET, &roles, None).await;
    let types: BTreeSet<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, BTreeSet::from(["APP_ADMIN", "HELP_DESK_ADMIN"]));
    let (status, _) = send(&sim, Method::POST, &roles, Some(json!({ "type": "APP_ADMIN" }))).await;
    assert_eq!(status, 400, "a role held already is refused");

    let (status, _) = send(&sim, Method::DELETE, &format!("{roles}/{assignment}"), None).await;
    assert_eq!(status, 204);
    assert_eq!(
        last_event(&sim),
        (
            "group.privilege.revoke".into(),
            vec![("UserGroup".into(), group_id.into())]
        )
    );
    let (_, listed) = send(&sim, Method::GET, &roles, None).await;
    assert_eq!(listed, json!([created]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_roles_keep_the_assignees_and_binding_members_in_step() {
    let sim = sim(120, 44).await;
    let state = sim.snapshot_state();
    let assignees = at(&state, "/api/v1/iam/assignees/users");
    let user = state
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE" && !assignees.iter().any(|a| a["id"] == u["id"]))
        .unwrap();
    let user_id = id(user);
    let role = &at(&state, "/api/v1/iam/roles")[0];
    let set = &at(&state, "/api/v1/iam/resource-sets")[1];
    let roles = format!("/api/v1/users/{user_id}/roles");

    // A custom role by label over a resource set: the user becomes a binding member and an assignee.
    let body = json!({ "type": "CUSTOM", "role": role["label"], "resource-set": id(set) });
    let (status, custom) = send(&sim, Method::POST, &roles, Some(body)).await;
    assert_eq!(status, 201, "{custom}");
    assert_eq!(
        (custom["role"].as_str(), custom["resource-set"].as_str()),
        (Some(id(role)), Some(id(set)))
    );
    assert_eq!(
        last_event(&sim),
        (
            "user.account.privilege.grant".into(),
            vec![("User".into(), user_id.into())]
        )
    );
    let members = format!("/api/v1/iam/resource-sets/{}/bindings/{}/members", id(set), id(role));
    let now = sim.snapshot_state();
    let member = at(&now, &members)
        .into_iter()
        .find(|m| m["id"] == custom["id"])
        .expect("a binding member");
    assert!(member["_links"]["self"]["href"].as_str().unwrap().ends_with(user_id));
    assert!(
        at(&now, "/api/v1/iam/assignees/users")
            .iter()
            .any(|a| a["id"] == user_id)
    );
    let standard = sim.assign_user_role(user_id, &json!({ "type": "REPORT_ADMIN" }));

    for assignment in [id(&custom).to_string(), standard] {
        let (status, _) = send(&sim, Method::DELETE, &format!("{roles}/{assignment}"), None).await;
        assert_eq!(status, 204);
        assert_eq!(
            last_event(&sim),
            (
                "user.account.privilege.revoke".into(),
                vec![("User".into(), user_id.into())]
            )
        );
    }
    let after = sim.snapshot_state();
    assert!(
        !at(&after, &members).iter().any(|m| m["id"] == custom["id"]),
        "the member went with the role"
    );
    assert!(
        !at(&after, "/api/v1/iam/assignees/users")
            .iter()
            .any(|a| a["id"] == user_id)
    );
    assert_eq!(send(&sim, Method::GET, &roles, None).await, (200, json!([])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_takes_its_factors_and_roles_along() {
    let sim = sim(120, 45).await;
    let state = sim.snapshot_state();
    let user_id = state.resources["user_factors"].keys().next().unwrap().clone();
    sim.assign_user_role(&user_id, &json!({ "type": "ORG_ADMIN" }));
    for _ in 0..2 {
        let (status, _) = send(&sim, Method::DELETE, &format!("/api/v1/users/{user_id}"), None).await;
        assert_eq!(status, 204);
    }
    let after = sim.snapshot_state();
    assert!(!after.resources["user_factors"].contains_key(&user_id));
    assert!(!after.resources["user_roles"].contains_key(&user_id));
    assert!(
        !at(&after, "/api/v1/iam/assignees/users")
            .iter()
            .any(|a| a["id"] == user_id.as_str())
    );
}
