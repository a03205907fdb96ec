//! OAuth clients (`/oauth2/v1/clients`): the org's OIDC apps in the client-metadata shape, paged
//! with `limit`/`after` and `Link` headers in their own rate-limit bucket, readable with
//! `okta.clients.read`, and following every change to their apps.

mod common;

use std::collections::BTreeSet;

use common::*;
use okta_sim::{SimHandle, everything_at};
use reqwest::Method;
use serde_json::{Value, json};

/// The status of an admin call.
async fn status_of(sim: &SimHandle, method: Method, path: &str, body: Option<Value>) -> u16 {
    send(sim, method, path, body).await.status().as_u16()
}

fn oidc_apps(sim: &SimHandle) -> Vec<Value> {
    let mut apps: Vec<Value> = sim
        .snapshot_state()
        .apps
        .into_iter()
        .filter(|a| a["signOnMode"] == "OPENID_CONNECT")
        .collect();
    apps.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    apps
}

fn clients_now(sim: &SimHandle) -> Vec<Value> {
    everything_at(&sim.snapshot_state().resources, "/oauth2/v1/clients").expect("the clients route is served")
}

#[tokio::test]
async fn every_oidc_app_is_listed_as_its_client_in_pages_of_two() {
    let sim = sim(300, 3).await;
    let apps = oidc_apps(&sim);
    let (listed, pages) = walk(&sim, "/oauth2/v1/clients?limit=2").await;
    assert!(pages >= 3, "{} clients came in {pages} pages of 2", listed.len());
    assert_eq!(listed.len(), apps.len());
    assert_eq!(listed, clients_now(&sim), "the pages hold what everything_at says");
    for (client, app) in listed.iter().zip(&apps) {
        assert_eq!(client["client_id"], app["credentials"]["oauthClient"]["client_id"]);
        assert_eq!(client["client_name"], app["label"]);
        let redirects = &app["settings"]["oauthClient"]["redirect_uris"];
        assert_eq!(
            client["redirect_uris"],
            if redirects.is_null() {
                json!([])
            } else {
                redirects.clone()
            }
        );
        assert_eq!(client["grant_types"], app["settings"]["oauthClient"]["grant_types"]);
        assert_eq!(
            client["token_endpoint_auth_method"],
            app["credentials"]["oauthClient"]["token_endpoint_auth_method"]
        );
        assert!(
            client.get("client_secret").is_none(),
            "a GET never answers the secret: {client}"
        );
        let app_link = format!("{}/api/v1/apps/{}", sim.url(), app["id"].as_str().unwrap());
        assert_eq!(client["_links"]["app"]["href"], json!(app_link));
    }
    let types: BTreeSet<&str> = listed.iter().filter_map(|c| c["application_type"].as_str()).collect();
    assert_eq!(types, BTreeSet::from(["browser", "native", "service", "web"]));
    // Public clients have no secret to expire; confidential ones say theirs never does.
    for client in &listed {
        let public =
            client["token_endpoint_auth_method"] == "none" || client["token_endpoint_auth_method"] == "private_key_jwt";
        assert_eq!(client.get("client_secret_expires_at").is_none(), public, "{client}");
    }

    let first = &listed[0];
    let id = first["client_id"].as_str().unwrap();
    let one = get(&sim, &format!("/oauth2/v1/clients/{id}")).await;
    assert_eq!(one.status(), 200);
    assert_eq!(&one.json::<Value>().await.unwrap(), first);
    assert_eq!(
        everything_at(&sim.snapshot_state().resources, &format!("/oauth2/v1/clients/{id}")),
        Some(vec![first.clone()])
    );
    assert_eq!(
        get(&sim, "/oauth2/v1/clients/0oaNoSuchClient000000").await.status(),
        404
    );
    assert_eq!(sim.calls().get("GET /oauth2/v1/clients/{clientId}"), 2);
    assert_eq!(sim.calls().get("GET /oauth2/v1/clients"), pages as u64);
}

#[tokio::test]
async fn limit_is_checked_and_the_calls_use_the_clients_bucket() {
    let sim = sim(100, 5).await;
    let page = get(&sim, "/oauth2/v1/clients").await;
    assert_eq!(page.status(), 200);
    // Okta's Enterprise limit for `/oauth2/v1/clients`, not the 600 of the rest of `/api/v1`.
    assert_eq!(page.headers()["x-rate-limit-limit"], "100");
    assert_eq!(page.headers()["x-rate-limit-remaining"], "99");
    assert_eq!(
        get(&sim, "/oauth2/v1/clients/whatever").await.headers()["x-rate-limit-remaining"],
        "98"
    );
    assert_eq!(get(&sim, "/api/v1/zones").await.headers()["x-rate-limit-limit"], "600");
    // As everywhere in the simulator: a limit out of range is brought into it, a non-number refused.
    assert_eq!(get(&sim, "/oauth2/v1/clients?limit=two").await.status(), 400);
    let one: Vec<Value> = get(&sim, "/oauth2/v1/clients?limit=0").await.json().await.unwrap();
    assert_eq!(one.len(), 1);
    let (all, pages) = walk(&sim, "/oauth2/v1/clients?limit=201").await;
    assert_eq!((all.len(), pages), (clients_now(&sim).len(), 1));
}

#[tokio::test]
async fn a_changed_app_changes_its_client_and_a_deleted_app_takes_it_away() {
    let sim = sim(100, 6).await;
    let mut app = oidc_apps(&sim)
        .into_iter()
        .find(|a| a["settings"]["oauthClient"]["application_type"] == "web")
        .expect("a web OIDC app is seeded");
    let id = app["id"].as_str().unwrap().to_string();
    app["label"] = json!("Renamed Portal");
    app["settings"]["oauthClient"]["redirect_uris"] =
        json!(["https://portal.example.com/cb", "https://portal.example.com/cb2"]);
    assert_eq!(
        status_of(&sim, Method::PUT, &format!("/api/v1/apps/{id}"), Some(app)).await,
        200
    );
    let renamed: Value = get(&sim, &format!("/oauth2/v1/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["client_name"], "Renamed Portal");
    assert_eq!(
        renamed["redirect_uris"],
        json!(["https://portal.example.com/cb", "https://portal.example.com/cb2"])
    );
    assert!(clients_now(&sim).contains(&renamed));

    // A new OIDC app is a new client, with the app id as its client id.
    let created: Value = send(
        &sim,
        Method::POST,
        "/api/v1/apps",
        Some(json!({
            "name": "oidc_client", "label": "New Native", "signOnMode": "OPENID_CONNECT",
            "credentials": { "oauthClient": { "token_endpoint_auth_method": "none" } },
            "settings": { "oauthClient": { "application_type": "native", "grant_types": ["authorization_code"],
                                            "response_types": ["code"], "redirect_uris": ["com.example.new:/cb"] } },
        })),
    )
    .await
    .json()
    .await
    .unwrap();
    let new_id = created["id"].as_str().expect("the app is created").to_string();
    let new_client: Value = get(&sim, &format!("/oauth2/v1/clients/{new_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(new_client["client_id"], json!(new_id));
    assert_eq!(new_client["application_type"], "native");

    let lifecycle = format!("/api/v1/apps/{id}/lifecycle/deactivate");
    assert_eq!(status_of(&sim, Method::POST, &lifecycle, None).await, 200);
    assert_eq!(
        status_of(&sim, Method::DELETE, &format!("/api/v1/apps/{id}"), None).await,
        204
    );
    assert_eq!(get(&sim, &format!("/oauth2/v1/clients/{id}")).await.status(), 404);
    let (listed, _) = walk(&sim, "/oauth2/v1/clients").await;
    assert!(
        listed.iter().all(|c| c["client_id"] != json!(id)),
        "{id} is still listed"
    );
    assert_eq!(listed, clients_now(&sim));

    // Edits made straight to the state (as tests do) are followed too.
    sim.with_state(|state| {
        let app = state.apps.iter_mut().find(|a| a["id"] == json!(new_id)).unwrap();
        app["label"] = json!("Edited In State");
    });
    let edited: Value = get(&sim, &format!("/oauth2/v1/clients/{new_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(edited["client_name"], "Edited In State");
}

#[tokio::test]
async fn service_apps_read_clients_with_the_default_okta_clients_read_grant() {
    let sim = sim(50, 7).await;
    let status = |bearer: String| {
        let sim = &sim;
        async move {
            client()
                .get(format!("{}/oauth2/v1/clients", sim.url()))
                .header("Authorization", bearer)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(bearer(&sim, "okta.clients.read").await).await, 200);
    assert_eq!(status(bearer(&sim, "okta.apps.read").await).await, 403);
}
