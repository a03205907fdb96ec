//! Writes (users, groups, apps, assignments), errors, call counting, admin endpoints, determinism.

mod common;

use common::{client, get, send, sim, ssws};
use okta_sim::SimHandle;
use reqwest::{Method, Response};
use serde_json::{Value, json};

async fn body(response: Response) -> Value {
    response.json().await.unwrap()
}

fn new_user(login: &str) -> Value {
    json!({"profile": {"firstName": "Ada", "lastName": "Lovelace", "email": login, "login": login}})
}

#[tokio::test]
async fn user_lifecycle_create_update_replace_deactivate_delete() {
    let sim = sim(30, 1).await;
    let created = send(
        &sim,
        Method::POST,
        "/api/v1/users?activate=false",
        Some(new_user("ada@example.com")),
    )
    .await;
    assert_eq!(created.status(), 200);
    let user = body(created).await;
    let id = user["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("00u") && id.len() == 20);
    assert_eq!(user["status"], "STAGED");
    assert!(
        user["_links"]["activate"]["href"].is_string(),
        "a single user has its lifecycle links"
    );

    let dup = send(&sim, Method::POST, "/api/v1/users", Some(new_user("ADA@example.com"))).await;
    assert_eq!(dup.status(), 400);
    assert_eq!(body(dup).await["errorCode"], "E0000001");

    let activated = send(
        &sim,
        Method::POST,
        &format!("/api/v1/users/{id}/lifecycle/activate?sendEmail=false"),
        None,
    )
    .await;
    assert!(body(activated).await["activationToken"].is_string());
    let fetched = body(get(&sim, &format!("/api/v1/users/{id}")).await).await;
    assert_eq!(fetched["status"], "PROVISIONED");
    let by_login = body(get(&sim, "/api/v1/users/ada@example.com").await).await;
    assert_eq!(by_login["id"], id.as_str());

    let replaced = body(
        send(&sim, Method::PUT, &format!("/api/v1/users/{id}"), Some(json!({"profile": {"firstName": "Ada", "lastName": "King", "email": "ada@example.com", "login": "ada@example.com"}}))).await,
    )
    .await;
    assert_eq!(replaced["profile"]["lastName"], "King");
    assert!(replaced["lastUpdated"].as_str() > fetched["lastUpdated"].as_str());

    let incomplete = send(
        &sim,
        Method::PUT,
        &format!("/api/v1/users/{id}"),
        Some(json!({"profile": {"firstName": "Ada"}})),
    )
    .await;
    assert_eq!(incomplete.status(), 400);

    assert_eq!(
        send(&sim, Method::DELETE, &format!("/api/v1/users/{id}"), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        body(get(&sim, &format!("/api/v1/users/{id}")).await).await["status"],
        "DEPROVISIONED"
    );
    let wrong_status = send(
        &sim,
        Method::POST,
        &format!("/api/v1/users/{id}/lifecycle/suspend"),
        None,
    )
    .await;
    assert_eq!(body(wrong_status).await["errorCode"], "E0000038");
    assert_eq!(
        send(&sim, Method::DELETE, &format!("/api/v1/users/{id}"), None)
            .await
            .status(),
        204
    );
    let gone = get(&sim, &format!("/api/v1/users/{id}")).await;
    assert_eq!(gone.status(), 404);
    assert_eq!(body(gone).await["errorCode"], "E0000007");
}

#[tokio::test]
async fn passwords_are_never_stored_or_returned() {
    let sim = sim(5, 2).await;
    let mut request = new_user("pw@example.com");
    request["credentials"] = json!({"password": {"value": "Sup3r-Secret!"}});
    let user = body(send(&sim, Method::POST, "/api/v1/users", Some(request)).await).await;
    assert_eq!(user["status"], "ACTIVE");
    assert_eq!(user["credentials"]["password"], json!({}));
    assert!(
        !serde_json::to_string(&sim.snapshot_state())
            .unwrap()
            .contains("Sup3r-Secret!")
    );
}

#[tokio::test]
async fn groups_and_memberships_change_as_in_okta() {
    let sim = sim(30, 3).await;
    let group = body(
        send(
            &sim,
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Backup Testers"}})),
        )
        .await,
    )
    .await;
    let gid = group["id"].as_str().unwrap().to_string();
    assert_eq!(group["type"], "OKTA_GROUP");
    assert_eq!(
        send(
            &sim,
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "backup testers"}}))
        )
        .await
        .status(),
        400
    );

    let uid = sim.snapshot_state().users[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        send(&sim, Method::PUT, &format!("/api/v1/groups/{gid}/users/{uid}"), None)
            .await
            .status(),
        204
    );
    let after_add = body(get(&sim, &format!("/api/v1/groups/{gid}")).await).await;
    assert!(after_add["lastMembershipUpdated"].as_str() > group["lastMembershipUpdated"].as_str());
    assert_eq!(
        after_add["lastUpdated"], group["lastUpdated"],
        "membership changes leave lastUpdated alone"
    );
    let members = body(get(&sim, &format!("/api/v1/groups/{gid}/users")).await).await;
    assert_eq!(common::ids(members.as_array().unwrap()), [uid.as_str()]);

    let renamed = body(
        send(
            &sim,
            Method::PUT,
            &format!("/api/v1/groups/{gid}"),
            Some(json!({"profile": {"name": "Restore Testers"}})),
        )
        .await,
    )
    .await;
    assert_eq!(renamed["profile"]["name"], "Restore Testers");
    let everyone = sim
        .snapshot_state()
        .groups
        .iter()
        .find(|g| g["type"] == "BUILT_IN")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        send(&sim, Method::DELETE, &format!("/api/v1/groups/{everyone}"), None)
            .await
            .status(),
        403
    );
    assert_eq!(
        send(
            &sim,
            Method::PUT,
            &format!("/api/v1/groups/{everyone}/users/{uid}"),
            None
        )
        .await
        .status(),
        400
    );

    assert_eq!(
        send(&sim, Method::DELETE, &format!("/api/v1/groups/{gid}/users/{uid}"), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        send(&sim, Method::DELETE, &format!("/api/v1/groups/{gid}"), None)
            .await
            .status(),
        204
    );
    assert!(!sim.snapshot_state().group_members.contains_key(&gid));
}

#[tokio::test]
async fn apps_and_assignments_can_be_created_and_removed() {
    let sim = sim(30, 4).await;
    let app = body(
        send(&sim, Method::POST, "/api/v1/apps", Some(json!({"label": "Payroll", "signOnMode": "SAML_2_0", "settings": {"signOn": {"audience": "urn:payroll"}}}))).await,
    )
    .await;
    let aid = app["id"].as_str().unwrap().to_string();
    assert_eq!(app["status"], "ACTIVE");
    assert_eq!(app["settings"]["signOn"]["audience"], "urn:payroll");
    assert_eq!(
        app["settings"]["signOn"]["signatureAlgorithm"], "RSA_SHA256",
        "defaults fill the rest"
    );
    assert_eq!(
        send(
            &sim,
            Method::POST,
            "/api/v1/apps",
            Some(json!({"label": "X", "signOnMode": "MAGIC"}))
        )
        .await
        .status(),
        400
    );

    let state = sim.snapshot_state();
    let uid = state.users[1]["id"].as_str().unwrap().to_string();
    let gid = state.groups.iter().find(|g| g["type"] == "OKTA_GROUP").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let row = body(
        send(
            &sim,
            Method::POST,
            &format!("/api/v1/apps/{aid}/users"),
            Some(json!({"id": uid, "scope": "USER", "credentials": {"userName": "ada"}})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (row["id"].as_str(), row["scope"].as_str()),
        (Some(uid.as_str()), Some("USER"))
    );
    let assigned = body(
        send(
            &sim,
            Method::PUT,
            &format!("/api/v1/apps/{aid}/groups/{gid}"),
            Some(json!({"priority": 2})),
        )
        .await,
    )
    .await;
    assert_eq!(assigned["priority"], 2);
    assert_eq!(
        common::ids(
            body(get(&sim, &format!("/api/v1/apps/{aid}/groups")).await)
                .await
                .as_array()
                .unwrap()
        ),
        [gid.as_str()]
    );

    assert_eq!(
        send(&sim, Method::DELETE, &format!("/api/v1/apps/{aid}"), None)
            .await
            .status(),
        403,
        "active apps cannot be deleted"
    );
    assert_eq!(
        send(&sim, Method::DELETE, &format!("/api/v1/apps/{aid}/users/{uid}"), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        send(&sim, Method::DELETE, &format!("/api/v1/apps/{aid}/groups/{gid}"), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        send(
            &sim,
            Method::POST,
            &format!("/api/v1/apps/{aid}/lifecycle/deactivate"),
            None
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        send(&sim, Method::DELETE, &format!("/api/v1/apps/{aid}"), None)
            .await
            .status(),
        204
    );
    assert_eq!(get(&sim, &format!("/api/v1/apps/{aid}")).await.status(), 404);
}

#[tokio::test]
async fn unknown_routes_and_methods_get_okta_errors() {
    let sim = sim(5, 5).await;
    let missing = get(&sim, "/api/v1/nothing-here").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(body(missing).await["errorCode"], "E0000007");
    let method = send(&sim, Method::PATCH, "/api/v1/users", None).await;
    assert_eq!(method.status(), 405);
    let malformed = client()
        .post(format!("{}/api/v1/groups", sim.url()))
        .header("Authorization", ssws(&sim))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(body(malformed).await["errorCode"], "E0000003");
}

#[tokio::test]
async fn calls_are_counted_per_endpoint_template_and_reset() {
    let sim = sim(30, 6).await;
    let state = sim.snapshot_state();
    let groups: Vec<&str> = state.groups.iter().take(3).map(|g| g["id"].as_str().unwrap()).collect();
    for g in &groups {
        get(&sim, &format!("/api/v1/groups/{g}/users")).await;
    }
    get(&sim, "/api/v1/users").await;
    client()
        .get(format!("{}/api/v1/users", sim.url()))
        .send()
        .await
        .unwrap();
    let calls = sim.calls();
    assert_eq!(calls.get("GET /api/v1/groups/{id}/users"), 3);
    assert_eq!(calls.get("GET /api/v1/users"), 2, "refused calls count too");
    assert_eq!(calls.total(), 5);
    let over_http: Value = client()
        .get(format!("{}/__sim/calls", sim.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(over_http["GET /api/v1/groups/{id}/users"], 3);
    assert_eq!(sim.calls().total(), 5, "admin calls are not counted");
    client()
        .post(format!("{}/__sim/calls/reset", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.calls().total(), 0);
    get(&sim, "/api/v1/apps").await;
    sim.reset_calls();
    assert_eq!(sim.calls().total(), 0);
}

#[tokio::test]
async fn same_seed_gives_the_same_org_and_credentials() {
    let (a, b, c) = (sim(250, 42).await, sim(250, 42).await, sim(250, 43).await);
    let normalized = |s: &SimHandle| {
        serde_json::to_string(&s.snapshot_state())
            .unwrap()
            .replace(&s.url(), "BASE")
    };
    assert_eq!(normalized(&a), normalized(&b));
    assert_ne!(normalized(&a), normalized(&c));
    assert_eq!(
        (a.api_token(), a.client_id(), a.client_secret()),
        (b.api_token(), b.client_id(), b.client_secret())
    );
    assert_ne!(a.api_token(), c.api_token());
    let over_http: Value = client()
        .get(format!("{}/__sim/state", a.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(over_http["users"].as_array().unwrap().len(), 250);
}

#[tokio::test]
async fn with_state_changes_what_the_api_serves() {
    let sim = sim(20, 7).await;
    let stamp = sim.timestamp_now();
    let id = sim.with_state(|state| {
        let user = &mut state.users[0];
        user["profile"]["title"] = json!("Edited directly");
        user["lastUpdated"] = json!(stamp);
        user["id"].as_str().unwrap().to_string()
    });
    let served = body(get(&sim, &format!("/api/v1/users/{id}")).await).await;
    assert_eq!(served["profile"]["title"], "Edited directly");
    let changed: Vec<Value> = body(get(&sim, &format!("/api/v1/users?filter=lastUpdated%20ge%20%22{stamp}%22")).await)
        .await
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(common::ids(&changed), [id]);
    sim.shutdown().await;
}
