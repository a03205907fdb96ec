//! Request bodies checked against Okta's spec (`SimConfig::validate_requests`): a wrong type, a missing
//! required field, an unknown enum value and a read-only field are each refused as Okta refuses a body,
//! 400 `E0000001` with `errorCauses`, before anything changes; without the spec the simulator takes
//! them as before.

mod common;
mod spec;

use common::{send, sim};
use okta_sim::{SimConfig, SimHandle};
use reqwest::Method;
use serde_json::{Value, json};

async fn validating(users: usize, seed: u64) -> SimHandle {
    let config = SimConfig::new(users, seed).validating_requests(spec::spec_path("management-openapi.yaml"));
    okta_sim::start(config, 0).await.expect("simulator starts")
}

fn zone() -> Value {
    json!({ "type": "IP", "name": "Lab", "usage": "POLICY", "gateways": [{ "type": "CIDR", "value": "192.0.2.0/24" }] })
}

/// `(status, body)` of a call.
async fn call(sim: &SimHandle, method: Method, path: &str, body: Value) -> (u16, Value) {
    let response = send(sim, method, path, Some(body)).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The error causes of a refusal, after checking it has Okta's shape.
fn refusal_causes(status: u16, body: &Value) -> Vec<String> {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorCode"], "E0000001", "{body}");
    assert!(
        body["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("Api validation failed: "),
        "{body}"
    );
    let error = spec::response_schema("/api/v1/zones", 400).unwrap();
    assert_eq!(
        spec::problems(&error, body).unwrap(),
        vec![],
        "the refusal is in the spec's Error shape"
    );
    body["errorCauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["errorSummary"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_type_a_missing_field_an_unknown_enum_and_a_read_only_field_are_refused_with_their_causes() {
    let sim = validating(20, 41).await;
    let zones_before = sim.snapshot_state().resources["network_zones"][""].len();
    let events_before = sim.snapshot_state().logs.len();

    let mut wrong_type = zone();
    wrong_type["name"] = json!(42);
    let mut missing = zone();
    missing.as_object_mut().unwrap().remove("name");
    let mut unknown_enum = zone();
    unknown_enum["usage"] = json!("EVERYWHERE");
    let mut read_only = zone();
    read_only["created"] = json!("2024-01-01T00:00:00.000Z");
    for (what, body, field) in [
        ("a wrong type", wrong_type, "name"),
        ("a missing required field", missing, "name"),
        ("an unknown enum value", unknown_enum, "usage"),
        ("a read-only field", read_only, "created"),
    ] {
        let (status, answer) = call(&sim, Method::POST, "/api/v1/zones", body).await;
        let causes = refusal_causes(status, &answer);
        assert!(
            causes.iter().any(|c| c.starts_with(&format!("{field}: "))),
            "{what}: no cause names `{field}`: {causes:?}"
        );
        assert_eq!(
            answer["errorSummary"],
            format!("Api validation failed: {field}"),
            "{what}"
        );
    }
    let state = sim.snapshot_state();
    assert_eq!(
        state.resources["network_zones"][""].len(),
        zones_before,
        "nothing was created"
    );
    assert_eq!(state.logs.len(), events_before, "nothing was logged");

    let (status, created) = call(&sim, Method::POST, "/api/v1/zones", zone()).await;
    assert_eq!(status, 200, "a body the spec allows is taken: {created}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_is_held_to_the_variant_its_discriminator_names_and_nested_requirements() {
    let sim = validating(20, 42).await;
    let policy = json!({ "type": "PASSWORD", "name": "Strict",
                         "settings": { "password": { "complexity": { "minLength": "twelve" } } } });
    let (status, answer) = call(&sim, Method::POST, "/api/v1/policies", policy).await;
    let causes = refusal_causes(status, &answer);
    assert!(
        causes
            .iter()
            .any(|c| c.contains("settings.password.complexity.minLength")),
        "the PASSWORD variant's schema applies: {causes:?}"
    );
    // An app's sign-on mode picks its schema: a bookmark app needs its `settings.app.url`.
    let app = json!({ "name": "bookmark", "label": "Docs", "signOnMode": "BOOKMARK", "settings": { "app": {} } });
    let (status, answer) = call(&sim, Method::POST, "/api/v1/apps", app).await;
    let causes = refusal_causes(status, &answer);
    assert!(causes.iter().any(|c| c.starts_with("settings.app.url: ")), "{causes:?}");
    // Okta owns an app's status: a create that sets it is refused.
    let app = json!({ "name": "bookmark", "label": "Docs", "signOnMode": "BOOKMARK", "status": "ACTIVE",
                      "settings": { "app": { "url": "https://docs.example.com" } } });
    let (status, answer) = call(&sim, Method::POST, "/api/v1/apps", app).await;
    let causes = refusal_causes(status, &answer);
    assert!(
        causes.iter().any(|c| c.starts_with("status: is read-only")),
        "{causes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_body_that_is_not_an_object_or_not_json_is_refused_as_malformed() {
    let sim = validating(10, 43).await;
    let response = common::client()
        .post(format!("{}/api/v1/groups", sim.url()))
        .header("Authorization", common::ssws(&sim))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["errorCode"], "E0000003");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_spec_the_simulator_takes_what_it_always_took() {
    let sim = sim(10, 44).await;
    let mut read_only = zone();
    read_only["created"] = json!("2024-01-01T00:00:00.000Z");
    let (status, created) = call(&sim, Method::POST, "/api/v1/zones", read_only).await;
    assert_eq!(status, 200, "validation is off by default: {created}");
    assert_ne!(
        created["created"], "2024-01-01T00:00:00.000Z",
        "Okta's own time, not the body's"
    );
}

#[tokio::test]
async fn a_spec_that_cannot_be_read_stops_the_start_and_names_the_path() {
    let config = SimConfig::new(5, 45).validating_requests("/nonexistent/management-openapi.yaml");
    let error = okta_sim::start(config, 0).await.expect_err("no spec, no start");
    assert!(
        error.to_string().contains("/nonexistent/management-openapi.yaml"),
        "{error}"
    );
}
