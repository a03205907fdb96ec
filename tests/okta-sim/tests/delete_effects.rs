//! What Okta does when an object is deleted, reproduced so tests see the damage a customer would: a
//! group takes its memberships, app assignments, role assignments and ownerships with it, the group
//! rules that assigned it or named it turn INVALID, and policies and rules lose it; an app (deactivated
//! first) takes its assignments, schema, grants and mappings; a user (deactivated, then deleted) stops
//! being named by rules and owning groups; a policy or an authorization server takes what is listed
//! under it.

mod common;

use common::{get, send, sim};
use okta_sim::SimHandle;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(sim: &SimHandle, method: Method, path: &str, body: Option<Value>) -> Value {
    let response = send(sim, method.clone(), path, body).await;
    let status = response.status().as_u16();
    let answer = response.json().await.unwrap_or(Value::Null);
    assert!(
        (200..300).contains(&status),
        "{method} {path} answered {status}: {answer}"
    );
    answer
}

async fn read(sim: &SimHandle, path: &str) -> Value {
    let response = get(sim, path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_group_takes_its_memberships_assignments_roles_and_ownerships_and_breaks_what_named_it() {
    let sim = sim(40, 61).await;
    let state = sim.snapshot_state();
    let users: Vec<String> = state.users.iter().filter(|u| u["status"] == "ACTIVE").map(id).collect();
    let other = state.groups.iter().find(|g| g["type"] == "OKTA_GROUP").map(id).unwrap();
    let app = id(&state.apps[0]);
    let group = id(&call(
        &sim,
        Method::POST,
        "/api/v1/groups",
        Some(json!({ "profile": { "name": "Doomed" } })),
    )
    .await);

    call(
        &sim,
        Method::PUT,
        &format!("/api/v1/groups/{group}/users/{}", users[0]),
        None,
    )
    .await;
    call(
        &sim,
        Method::PUT,
        &format!("/api/v1/apps/{app}/groups/{group}"),
        Some(json!({})),
    )
    .await;
    call(
        &sim,
        Method::POST,
        &format!("/api/v1/groups/{group}/roles"),
        Some(json!({ "type": "HELP_DESK_ADMIN" })),
    )
    .await;
    call(
        &sim,
        Method::POST,
        &format!("/api/v1/groups/{other}/owners"),
        Some(json!({ "id": group, "type": "GROUP" })),
    )
    .await;
    let expression = format!("isMemberOfAnyGroup(\"{group}\")");
    let assigning = json!({ "type": "group_rule", "name": "Into doomed",
        "conditions": { "expression": { "value": "user.title==\"Pilot\"", "type": "urn:okta:expression:1.0" } },
        "actions": { "assignUserToGroups": { "groupIds": [group] } } });
    let naming = json!({ "type": "group_rule", "name": "From doomed",
        "conditions": { "expression": { "value": expression, "type": "urn:okta:expression:1.0" } },
        "actions": { "assignUserToGroups": { "groupIds": [other] } } });
    let bystander = json!({ "type": "group_rule", "name": "Elsewhere",
        "conditions": { "expression": { "value": "user.title==\"Cook\"", "type": "urn:okta:expression:1.0" } },
        "actions": { "assignUserToGroups": { "groupIds": [other] } } });
    let mut rules = Vec::new();
    for body in [assigning, naming, bystander] {
        let rule = id(&call(&sim, Method::POST, "/api/v1/groups/rules", Some(body)).await);
        call(
            &sim,
            Method::POST,
            &format!("/api/v1/groups/rules/{rule}/lifecycle/activate"),
            None,
        )
        .await;
        rules.push(rule);
    }
    let policy = call(
        &sim,
        Method::POST,
        "/api/v1/policies",
        Some(json!({
        "type": "PASSWORD", "name": "Doomed's passwords",
        "conditions": { "people": { "groups": { "include": [group, other] } } } })),
    )
    .await;
    let policy = id(&policy);
    let rule = call(
        &sim,
        Method::POST,
        &format!("/api/v1/policies/{policy}/rules"),
        Some(json!({
        "type": "PASSWORD", "name": "Doomed rule",
        "conditions": { "people": { "groups": { "include": [group] } } },
        "actions": { "passwordChange": { "access": "ALLOW" } } })),
    )
    .await;
    let rule = id(&rule);
    let before = read(&sim, &format!("/api/v1/policies/{policy}")).await;

    // Okta's order: the group's app assignment is removed with it.
    let logged = sim.snapshot_state().logs.len();
    let response = send(&sim, Method::DELETE, &format!("/api/v1/groups/{group}"), None).await;
    assert_eq!(response.status(), 204);

    assert_eq!(get(&sim, &format!("/api/v1/groups/{group}")).await.status(), 404);
    let groups_of = read(&sim, &format!("/api/v1/users/{}/groups", users[0])).await;
    assert!(!ids(&groups_of).contains(&group), "the membership went with the group");
    assert!(!ids(&read(&sim, &format!("/api/v1/apps/{app}/groups")).await).contains(&group));
    assert_eq!(get(&sim, &format!("/api/v1/groups/{group}/roles")).await.status(), 404);
    assert!(!ids(&read(&sim, &format!("/api/v1/groups/{other}/owners")).await).contains(&group));
    for (rule, status) in rules.iter().zip(["INVALID", "INVALID", "ACTIVE"]) {
        assert_eq!(
            read(&sim, &format!("/api/v1/groups/rules/{rule}")).await["status"],
            status,
            "rule {rule}"
        );
    }
    let after = read(&sim, &format!("/api/v1/policies/{policy}")).await;
    assert_eq!(
        after["conditions"]["people"]["groups"]["include"],
        json!([other]),
        "the policy lost the group"
    );
    assert!(after["lastUpdated"].as_str() > before["lastUpdated"].as_str());
    let rule = read(&sim, &format!("/api/v1/policies/{policy}/rules/{rule}")).await;
    assert_eq!(
        rule["conditions"]["people"]["groups"]["include"],
        json!([]),
        "the rule lost the group"
    );

    let events: Vec<Value> = sim.snapshot_state().logs[logged..]
        .iter()
        .map(|e| e["eventType"].clone())
        .collect();
    assert!(
        events.contains(&json!("group.application_assignment.remove")),
        "{events:?}"
    );
    assert!(events.contains(&json!("group.lifecycle.delete")), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_app_takes_its_assignments_schema_grants_and_mappings_once_deactivated() {
    let sim = sim(40, 62).await;
    let state = sim.snapshot_state();
    let app = state
        .apps
        .iter()
        .find(|a| {
            let id = a["id"].as_str().unwrap();
            a["signOnMode"] == "OPENID_CONNECT"
                && state.resources["app_grants"].contains_key(id)
                && state.app_users.get(id).is_some_and(|u| !u.is_empty())
        })
        .map(id)
        .expect("a seeded OIDC app with grants and users");
    let users = ids(&read(&sim, &format!("/api/v1/apps/{app}/users")).await);
    let client_id = read(&sim, &format!("/api/v1/apps/{app}")).await["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        get(&sim, &format!("/oauth2/v1/clients/{client_id}")).await.status(),
        200
    );
    let response = send(&sim, Method::DELETE, &format!("/api/v1/apps/{app}"), None).await;
    assert_eq!(response.status(), 403, "an ACTIVE app is not deleted");
    call(
        &sim,
        Method::POST,
        &format!("/api/v1/apps/{app}/lifecycle/deactivate"),
        None,
    )
    .await;
    let response = send(&sim, Method::DELETE, &format!("/api/v1/apps/{app}"), None).await;
    assert_eq!(response.status(), 204);

    let after = sim.snapshot_state();
    assert!(!after.app_users.contains_key(&app) && !after.app_groups.contains_key(&app));
    for resource in ["app_user_schemas", "app_grants", "app_keys", "app_csrs"] {
        assert!(
            !after.resources[resource].contains_key(&app),
            "{resource} of the deleted app remain"
        );
    }
    assert!(
        after.resources["profile_mappings"][""]
            .iter()
            .all(|m| m["source"]["id"] != app.as_str() && m["target"]["id"] != app.as_str()),
        "mappings to or from the app went with it"
    );
    let client = get(&sim, &format!("/oauth2/v1/clients/{client_id}")).await;
    assert_eq!(client.status(), 404, "its OAuth client went with it");
    for user in users {
        assert_eq!(
            get(&sim, &format!("/api/v1/apps/{app}/users/{user}")).await.status(),
            404
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_no_longer_owns_groups_or_is_named_by_rules() {
    let sim = sim(40, 63).await;
    let state = sim.snapshot_state();
    let user = state.users.iter().find(|u| u["status"] == "ACTIVE").map(id).unwrap();
    let group = id(&call(
        &sim,
        Method::POST,
        "/api/v1/groups",
        Some(json!({ "profile": { "name": "Owned" } })),
    )
    .await);
    let (policy, _) = state.resources["policy_rules"].iter().next().unwrap();
    call(
        &sim,
        Method::POST,
        &format!("/api/v1/groups/{group}/owners"),
        Some(json!({ "id": user, "type": "USER" })),
    )
    .await;
    let rule = call(
        &sim,
        Method::POST,
        &format!("/api/v1/policies/{policy}/rules"),
        Some(json!({
        "type": "SIGN_ON", "name": "Everyone but them",
        "conditions": { "people": { "users": { "exclude": [user] } } },
        "actions": { "signon": { "access": "ALLOW" } } })),
    )
    .await;
    let rule = id(&rule);

    let path = format!("/api/v1/users/{user}");
    call(&sim, Method::DELETE, &path, None).await;
    assert_eq!(
        read(&sim, &path).await["status"],
        "DEPROVISIONED",
        "a first delete deactivates"
    );
    call(&sim, Method::DELETE, &path, None).await;
    assert_eq!(get(&sim, &path).await.status(), 404);
    assert!(!ids(&read(&sim, &format!("/api/v1/groups/{group}/owners")).await).contains(&user));
    let rule = read(&sim, &format!("/api/v1/policies/{policy}/rules/{rule}")).await;
    assert_eq!(rule["conditions"]["people"]["users"]["exclude"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_policy_or_authorization_server_takes_what_is_listed_under_it() {
    let sim = sim(30, 64).await;
    let state = sim.snapshot_state();
    let custom = state.resources["policies"][""]
        .iter()
        .find(|p| p["system"] == false && state.resources["policy_rules"].contains_key(p["id"].as_str().unwrap()))
        .map(id)
        .unwrap();
    call(&sim, Method::DELETE, &format!("/api/v1/policies/{custom}"), None).await;
    assert_eq!(
        get(&sim, &format!("/api/v1/policies/{custom}/rules")).await.status(),
        404
    );
    assert!(!sim.snapshot_state().resources["policy_rules"].contains_key(&custom));

    let server = id(&state.resources["authorization_servers"][""][0]);
    call(
        &sim,
        Method::DELETE,
        &format!("/api/v1/authorizationServers/{server}"),
        None,
    )
    .await;
    let after = sim.snapshot_state();
    for resource in [
        "authserver_scopes",
        "authserver_claims",
        "authserver_policies",
        "authserver_keys",
    ] {
        assert!(!after.resources[resource].contains_key(&server), "{resource} remain");
    }
    assert!(
        after.resources["authserver_policy_rules"]
            .keys()
            .all(|parent| !parent.starts_with(&format!("{server}/"))),
        "the rules of its policies went too"
    );
}
