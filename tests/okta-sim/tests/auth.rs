//! Authentication: SSWS, client_secret_basic and private_key_jwt token flows, scopes and expiry.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{client, sim, sim_with};
use okta_sim::SimConfig;
use okta_sim::jwt::sign_rs256;
use reqwest::Response;
use serde_json::{Value, json};

async fn token_with_secret(sim: &okta_sim::SimHandle, id: &str, secret: &str, scope: &str) -> Response {
    client()
        .post(sim.token_url())
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn assertion(sim: &okta_sim::SimHandle, pem: &str, jti: &str, aud: &str) -> String {
    let id = sim.jwt_client_id();
    sign_rs256(
        pem,
        Some("sim-service-key"),
        &json!({"iss": id, "sub": id, "aud": aud, "exp": now() + 300, "iat": now(), "jti": jti}),
    )
    .unwrap()
}

async fn token_with_jwt(sim: &okta_sim::SimHandle, assertion: &str, scope: &str) -> Response {
    client()
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .unwrap()
}

async fn call(sim: &okta_sim::SimHandle, method: reqwest::Method, path: &str, authorization: Option<&str>) -> Response {
    let mut request = client().request(method, format!("{}{path}", sim.url()));
    if let Some(a) = authorization {
        request = request.header("Authorization", a);
    }
    request.send().await.unwrap()
}

async fn assert_invalid_token(response: Response) {
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000011");
    assert_eq!(body["errorSummary"], "Invalid token provided");
}

#[tokio::test]
async fn ssws_token_works_and_wrong_or_missing_credentials_get_401() {
    let sim = sim(20, 1).await;
    let ok = call(&sim, reqwest::Method::GET, "/api/v1/users", Some(&common::ssws(&sim))).await;
    assert_eq!(ok.status(), 200);
    assert_invalid_token(call(&sim, reqwest::Method::GET, "/api/v1/users", Some("SSWS not-the-token")).await).await;
    assert_invalid_token(call(&sim, reqwest::Method::GET, "/api/v1/users", None).await).await;
    assert_invalid_token(call(&sim, reqwest::Method::GET, "/api/v1/users", Some("Bearer made-up")).await).await;
}

#[tokio::test]
async fn client_secret_token_grants_only_its_scopes() {
    let sim = sim(20, 2).await;
    let response = token_with_secret(&sim, &sim.client_id(), &sim.client_secret(), "okta.users.read").await;
    assert_eq!(response.status(), 200);
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 3600);
    assert_eq!(token["scope"], "okta.users.read");
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());

    assert_eq!(
        call(&sim, reqwest::Method::GET, "/api/v1/users", Some(&bearer))
            .await
            .status(),
        200
    );
    let denied = call(&sim, reqwest::Method::GET, "/api/v1/groups", Some(&bearer)).await;
    assert_eq!(denied.status(), 403);
    assert_eq!(denied.json::<Value>().await.unwrap()["errorCode"], "E0000006");
    let user = sim.snapshot_state().users[0]["id"].as_str().unwrap().to_string();
    let write = call(
        &sim,
        reqwest::Method::POST,
        &format!("/api/v1/users/{user}/lifecycle/suspend"),
        Some(&bearer),
    )
    .await;
    assert_eq!(write.status(), 403, "read scope does not allow writes");
}

/// Okta tells a missing scope apart from a refused object only in the challenge: both are 403 E0000006.
#[tokio::test]
async fn a_missing_scope_gets_okta_s_insufficient_scope_challenge_and_an_api_token_never_does() {
    let sim = sim(20, 6).await;
    let bearer = common::bearer(&sim, "okta.users.read").await;

    let denied = call(&sim, reqwest::Method::GET, "/api/v1/groups?limit=5", Some(&bearer)).await;
    assert_eq!(denied.status(), 403);
    let challenge = denied.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert_eq!(denied.json::<Value>().await.unwrap()["errorCode"], "E0000006");
    let base = sim.url();
    assert_eq!(
        challenge,
        format!(
            "Bearer authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\", scope=\"okta.groups.read\", \
             error=\"insufficient_scope\", error_description=\"The access token provided does not contain the \
             required scopes.\", resource=\"/api/v1/groups\""
        )
    );

    // An API token has no scopes: a refusal it gets is about the object, with no challenge.
    let everyone = sim
        .snapshot_state()
        .groups
        .into_iter()
        .find(|g| g["type"] == "BUILT_IN")
        .unwrap();
    let path = format!("/api/v1/groups/{}", everyone["id"].as_str().unwrap());
    let refused = call(&sim, reqwest::Method::DELETE, &path, Some(&common::ssws(&sim))).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("www-authenticate").is_none());
    assert_eq!(refused.json::<Value>().await.unwrap()["errorCode"], "E0000006");
    let listed = call(&sim, reqwest::Method::GET, "/api/v1/groups", Some(&common::ssws(&sim))).await;
    assert_eq!(listed.status(), 200);
}

#[tokio::test]
async fn wrong_client_secret_or_unknown_scope_is_refused_in_oauth_shape() {
    let sim = sim(5, 3).await;
    let wrong = token_with_secret(&sim, &sim.client_id(), "nope", "okta.users.read").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "invalid_client");
    let stranger = token_with_secret(&sim, "0oaSomebodyElse", &sim.client_secret(), "okta.users.read").await;
    assert_eq!(stranger.status(), 401);
    let scope = token_with_secret(
        &sim,
        &sim.client_id(),
        &sim.client_secret(),
        // A real scope the simulator's apps are not granted (inline hooks are read-only here).
        "okta.users.read okta.inlineHooks.manage",
    )
    .await;
    assert_eq!(scope.status(), 400);
    assert_eq!(scope.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let body_secret = client()
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "okta.users.read"),
            ("client_id", &sim.client_id()),
            ("client_secret", &sim.client_secret()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        body_secret.status(),
        401,
        "the integration is registered for client_secret_basic"
    );
}

#[tokio::test]
async fn private_key_jwt_token_works_and_replays_forgeries_and_wrong_audience_are_refused() {
    let sim = sim(5, 4).await;
    let pem = sim.jwt_private_key_pem();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));

    let good = assertion(&sim, &pem, "jti-1", &sim.token_url());
    let response = token_with_jwt(&sim, &good, "okta.users.read okta.groups.read").await;
    assert_eq!(response.status(), 200);
    let token: Value = response.json().await.unwrap();
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    assert_eq!(
        call(&sim, reqwest::Method::GET, "/api/v1/groups", Some(&bearer))
            .await
            .status(),
        200
    );

    let replay = token_with_jwt(&sim, &good, "okta.users.read").await;
    assert_eq!(replay.status(), 401, "a jti is single-use");

    let other_key = okta_sim::start(SimConfig::new(1, 999), 0)
        .await
        .unwrap()
        .jwt_private_key_pem();
    let forged = assertion(&sim, &other_key, "jti-2", &sim.token_url());
    let refused = token_with_jwt(&sim, &forged, "okta.users.read").await;
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "invalid_client");

    let wrong_aud = assertion(&sim, &pem, "jti-3", "https://example.okta.com/oauth2/v1/token");
    assert_eq!(token_with_jwt(&sim, &wrong_aud, "okta.users.read").await.status(), 401);
}

#[tokio::test]
async fn access_tokens_expire_after_their_ttl() {
    let mut config = SimConfig::new(5, 5);
    config.token_ttl_secs = 1;
    let sim = sim_with(config).await;
    let token: Value = token_with_secret(&sim, &sim.client_id(), &sim.client_secret(), "okta.users.read")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(token["expires_in"], 1);
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    assert_eq!(
        call(&sim, reqwest::Method::GET, "/api/v1/users", Some(&bearer))
            .await
            .status(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_invalid_token(call(&sim, reqwest::Method::GET, "/api/v1/users", Some(&bearer)).await).await;
}
