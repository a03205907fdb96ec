//! Generic resources: query filters Okta requires, per-parent lists, object routes and scopes.

mod common;

use common::*;
use okta_sim::SimConfig;
use serde_json::Value;

#[tokio::test]
async fn policies_need_a_known_type_and_list_only_that_type() {
    let sim = sim(200, 8).await;
    for query in ["", "?type=BOGUS"] {
        let response = get(&sim, &format!("/api/v1/policies{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errorCode"], "E0000001", "{body}");
        assert!(
            body["errorCauses"][0]["errorSummary"]
                .as_str()
                .unwrap()
                .contains("type"),
            "{body}"
        );
    }
    let (passwords, pages) = walk(&sim, "/api/v1/policies?type=PASSWORD&limit=1").await;
    assert!(
        passwords.len() >= 2 && pages == passwords.len(),
        "one policy per page, next links keep the type"
    );
    assert!(passwords.iter().all(|p| p["type"] == "PASSWORD"));
    // A type the spec knows but the org has none of is an empty list, not an error.
    let (none, _) = walk(&sim, "/api/v1/policies?type=CLIENT_UPDATE").await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn rules_reference_seeded_zones_and_groups_and_are_listed_per_policy() {
    let sim = sim(300, 9).await;
    let state = sim.snapshot_state();
    let zones: Vec<&str> = state.resources["network_zones"][""]
        .iter()
        .map(|z| z["id"].as_str().unwrap())
        .collect();
    let groups: Vec<&str> = state.groups.iter().map(|g| g["id"].as_str().unwrap()).collect();
    let (sign_on, _) = walk(&sim, "/api/v1/policies?type=OKTA_SIGN_ON").await;
    let policy = sign_on[0]["id"].as_str().unwrap();
    let (rules, _) = walk(&sim, &format!("/api/v1/policies/{policy}/rules")).await;
    let custom = rules.iter().find(|r| r["system"] == false).expect("a custom rule");
    assert!(zones.contains(&custom["conditions"]["network"]["include"][0].as_str().unwrap()));
    assert!(groups.contains(&custom["conditions"]["people"]["groups"]["include"][0].as_str().unwrap()));
    assert_eq!(get(&sim, "/api/v1/policies/00pNoSuchPolicy/rules").await.status(), 404);
}

#[tokio::test]
async fn the_default_user_schema_is_the_default_user_types_schema() {
    let sim = sim(100, 10).await;
    let by_alias: Value = get(&sim, "/api/v1/meta/schemas/user/default")
        .await
        .json()
        .await
        .unwrap();
    let types: Vec<Value> = get(&sim, "/api/v1/meta/types/user").await.json().await.unwrap();
    let default = types.iter().find(|t| t["default"] == true).unwrap();
    let href = default["_links"]["schema"]["href"].as_str().unwrap();
    let by_id: Value = reqwest_get(&sim, href).await;
    assert_eq!(by_alias, by_id);
    assert_eq!(
        get(&sim, "/api/v1/meta/schemas/user/oscNoSuchSchema").await.status(),
        404
    );
}

async fn reqwest_get(sim: &okta_sim::SimHandle, url: &str) -> Value {
    client()
        .get(url)
        .header("Authorization", ssws(sim))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_token_without_the_resources_scope_is_refused_and_calls_are_counted_per_route() {
    let mut config = SimConfig::new(100, 11);
    config.granted_scopes = vec!["okta.policies.read".into(), "okta.networkZones.read".into()];
    let sim = sim_with(config).await;
    let bearer = bearer(&sim, "okta.policies.read").await;
    let call = |path: &'static str| {
        let (url, bearer) = (format!("{}{path}", sim.url()), bearer.clone());
        async move {
            client()
                .get(url)
                .header("Authorization", bearer)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(call("/api/v1/policies?type=PASSWORD").await, 200);
    assert_eq!(
        call("/api/v1/zones").await,
        403,
        "the token did not ask for okta.networkZones.read"
    );
    let calls = sim.calls();
    assert_eq!(calls.get("GET /api/v1/policies"), 1);
    assert_eq!(calls.get("GET /api/v1/zones"), 1);
}
