//! A new org (`SimConfig::okta_defaults_only`): only what Okta makes itself, and the admin who holds the token. And
//! what Okta makes with an object an admin creates: a policy's catch-all rule, a server's default policy, an app's
//! user schema.

mod common;

use common::{get, send, sim, sim_with};
use okta_sim::SimConfig;
use reqwest::Method;
use serde_json::{Value, json};

async fn list(sim: &okta_sim::SimHandle, path: &str) -> Vec<Value> {
    let response = get(sim, path).await;
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json::<Vec<Value>>().await.unwrap()
}

#[tokio::test]
async fn a_new_org_holds_only_okta_s_own_objects_and_its_admin() {
    let org = sim_with(SimConfig::new(40, 21).okta_defaults_only()).await;
    let state = org.snapshot_state();
    assert_eq!(state.users.len(), 1, "the admin who holds the token");
    assert_eq!(get(&org, "/api/v1/users/me").await.status(), 200);
    assert!(state.groups.iter().all(|g| g["type"] == "BUILT_IN"), "only Everyone");
    for policy in list(&org, "/api/v1/policies?type=PASSWORD").await {
        assert_eq!(policy["system"], true, "{policy}");
        let everyone = state.groups[0]["id"].clone();
        assert_eq!(policy["conditions"]["people"]["groups"]["include"], json!([everyone]));
    }
    let zones = list(&org, "/api/v1/zones").await;
    assert!(!zones.is_empty() && zones.iter().all(|z| z["system"] == true));
    let servers = list(&org, "/api/v1/authorizationServers").await;
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0]["name"], "default");
    let brands = list(&org, "/api/v1/brands").await;
    assert!(brands.iter().all(|b| b["isDefault"] == true));
    assert_eq!(list(&org, "/api/v1/trustedOrigins").await, Vec::<Value>::new());
    let seeded = sim(40, 21).await.snapshot_state();
    assert!(seeded.resources["policies"][""].len() > state.resources["policies"][""].len());
}

#[tokio::test]
async fn okta_makes_a_policy_s_catch_all_rule_a_server_s_default_policy_and_an_app_s_user_schema() {
    let org = sim_with(SimConfig::new(10, 22).okta_defaults_only()).await;
    let policy: Value = send(
        &org,
        Method::POST,
        "/api/v1/policies",
        Some(json!({ "type": "PASSWORD", "name": "Contractors", "conditions": null })),
    )
    .await
    .json()
    .await
    .unwrap();
    let rules = list(
        &org,
        &format!("/api/v1/policies/{}/rules", policy["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(
        (rules[0]["system"].clone(), rules[0]["priority"].clone()),
        (json!(true), json!(99))
    );

    let server: Value = send(
        &org,
        Method::POST,
        "/api/v1/authorizationServers",
        Some(json!({ "name": "Orders", "audiences": ["api://orders"] })),
    )
    .await
    .json()
    .await
    .unwrap();
    let policies = list(
        &org,
        &format!(
            "/api/v1/authorizationServers/{}/policies",
            server["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0]["system"], true);

    let app: Value = send(
        &org,
        Method::POST,
        "/api/v1/apps",
        Some(json!({ "name": "bookmark", "label": "Wiki", "signOnMode": "BOOKMARK",
                     "settings": { "app": { "url": "https://wiki.example.com" } } })),
    )
    .await
    .json()
    .await
    .unwrap();
    let schema = get(
        &org,
        &format!("/api/v1/meta/schemas/apps/{}/default", app["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(schema.status(), 200, "the app's user schema comes with it");
}
