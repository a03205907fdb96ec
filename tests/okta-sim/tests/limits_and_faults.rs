//! Rate-limit headers and 429s, and the injected faults (storm, 5xx, dropped connections, latency).

mod common;

use std::time::{Duration, Instant};

use common::{client, get, sim, sim_with};
use okta_sim::{Faults, RateConfig, SimConfig};
use serde_json::Value;

fn header(response: &reqwest::Response, name: &str) -> u64 {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} header"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn rate_limit_headers_count_down_and_429_follows_when_the_bucket_is_used_up() {
    let mut config = SimConfig::new(10, 1);
    // 600/min scaled to 6 for the users list; the GET-user bucket (1000) becomes 10.
    config.rate = RateConfig {
        window_secs: 60,
        scale: 0.01,
        enabled: true,
    };
    let sim = sim_with(config).await;
    let mut remaining = Vec::new();
    for _ in 0..6 {
        let r = get(&sim, "/api/v1/users").await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-rate-limit-limit"), 6);
        assert!(r.headers().contains_key("date"));
        remaining.push(header(&r, "x-rate-limit-remaining"));
    }
    assert_eq!(remaining, [5, 4, 3, 2, 1, 0]);
    let refused = get(&sim, "/api/v1/users").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_none());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = header(&refused, "x-rate-limit-reset");
    assert!(
        reset > now && reset <= now + 61,
        "reset {reset} is the end of the window"
    );
    assert_eq!(refused.json::<Value>().await.unwrap()["errorCode"], "E0000047");
    // Other buckets are counted separately.
    let user = sim.snapshot_state().users[0]["id"].as_str().unwrap().to_string();
    let one = get(&sim, &format!("/api/v1/users/{user}")).await;
    assert_eq!((one.status().as_u16(), header(&one, "x-rate-limit-limit")), (200, 10));
}

#[tokio::test]
async fn limits_come_back_after_the_window_and_can_be_switched_off() {
    let mut config = SimConfig::new(5, 2);
    config.rate = RateConfig {
        window_secs: 1,
        scale: 0.001,
        enabled: true,
    };
    let sim = sim_with(config).await;
    assert_eq!(get(&sim, "/api/v1/groups").await.status(), 200);
    assert_eq!(get(&sim, "/api/v1/groups").await.status(), 429);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&sim, "/api/v1/groups").await.status(), 200);

    let mut open = SimConfig::new(5, 2);
    open.rate = RateConfig {
        window_secs: 60,
        scale: 0.001,
        enabled: false,
    };
    let sim = sim_with(open).await;
    for _ in 0..3 {
        let r = get(&sim, "/api/v1/groups").await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("x-rate-limit-remaining"));
    }
}

#[tokio::test]
async fn storm_429_switches_on_and_off_through_the_handle_and_the_admin_endpoint() {
    let sim = sim(5, 3).await;
    sim.set_faults(Faults {
        storm_429: true,
        ..Faults::default()
    });
    let r = get(&sim, "/api/v1/apps").await;
    assert_eq!(r.status(), 429);
    assert_eq!(header(&r, "x-rate-limit-remaining"), 0);
    sim.set_faults(Faults::default());
    assert_eq!(get(&sim, "/api/v1/apps").await.status(), 200);

    let admin = client()
        .post(format!("{}/__sim/faults", sim.url()))
        .json(&serde_json::json!({"storm_429": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
    assert!(sim.faults().storm_429);
    assert_eq!(get(&sim, "/api/v1/apps").await.status(), 429);
    client()
        .post(format!("{}/__sim/faults", sim.url()))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&sim, "/api/v1/apps").await.status(), 200);
    let bad = client()
        .post(format!("{}/__sim/faults", sim.url()))
        .json(&serde_json::json!({"drop_share": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn server_errors_come_with_okta_bodies_and_stop_when_switched_off() {
    let sim = sim(5, 4).await;
    sim.set_faults(Faults {
        error_5xx_share: 1.0,
        ..Faults::default()
    });
    for _ in 0..5 {
        let r = get(&sim, "/api/v1/users").await;
        assert!([500, 502, 503].contains(&r.status().as_u16()));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errorCode"], "E0000009");
        assert!(body["errorId"].is_string());
    }
    sim.set_faults(Faults::default());
    assert_eq!(get(&sim, "/api/v1/users").await.status(), 200);
}

#[tokio::test]
async fn dropped_connections_fail_the_call_and_stop_when_switched_off() {
    let sim = sim(300, 5).await;
    sim.set_faults(Faults {
        drop_share: 1.0,
        ..Faults::default()
    });
    let client = client();
    for _ in 0..6 {
        let outcome = async {
            let r = client
                .get(format!("{}/api/v1/users", sim.url()))
                .header("Authorization", common::ssws(&sim))
                .send()
                .await?;
            r.json::<Value>().await
        }
        .await;
        assert!(outcome.is_err(), "a dropped call never yields a full body: {outcome:?}");
    }
    sim.set_faults(Faults::default());
    let users: Vec<Value> = get(&sim, "/api/v1/users").await.json().await.unwrap();
    assert_eq!(users.len(), 200);
}

#[tokio::test]
async fn latency_is_added_to_api_calls() {
    let sim = sim(5, 6).await;
    sim.set_faults(Faults {
        latency_ms: 300,
        ..Faults::default()
    });
    let started = Instant::now();
    assert_eq!(get(&sim, "/api/v1/groups").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

/// A fault with a method fails one kind of write (`POST /api/v1/groups`) or the writes of one object
/// (`PUT /api/v1/groups/{id}`) with Okta's 400, while reads of the same path and other objects answer.
#[tokio::test]
async fn a_path_fault_with_a_method_refuses_one_write_and_leaves_reads_and_other_objects_alone() {
    use okta_sim::PathFault;
    use reqwest::Method;

    let sim = sim(20, 71).await;
    let groups: Vec<String> = sim
        .snapshot_state()
        .groups
        .iter()
        .filter(|g| g["type"] == "OKTA_GROUP")
        .map(|g| g["id"].as_str().unwrap().to_string())
        .collect();
    let (failing, other) = (&groups[0], &groups[1]);
    sim.fail_path(PathFault::refuse_write("POST", "/api/v1/groups"));
    sim.fail_path(PathFault::refuse_write("PUT", format!("/api/v1/groups/{failing}")).times(1));
    let created = common::send(
        &sim,
        Method::POST,
        "/api/v1/groups",
        Some(serde_json::json!({ "profile": { "name": "Refused" } })),
    )
    .await;
    assert_eq!(created.status(), 400);
    assert_eq!(
        created.json::<serde_json::Value>().await.unwrap()["errorCode"],
        "E0000001"
    );
    assert_eq!(
        get(&sim, "/api/v1/groups").await.status(),
        200,
        "the list still answers"
    );
    let rename = |name: &str| Some(serde_json::json!({ "profile": { "name": name } }));
    let path = format!("/api/v1/groups/{failing}");
    assert_eq!(
        common::send(&sim, Method::PUT, &path, rename("Renamed")).await.status(),
        400
    );
    assert_eq!(get(&sim, &path).await.status(), 200, "the object still reads");
    let other_path = format!("/api/v1/groups/{other}");
    assert_eq!(
        common::send(&sim, Method::PUT, &other_path, rename("Other"))
            .await
            .status(),
        200
    );
    assert_eq!(
        common::send(&sim, Method::PUT, &path, rename("Renamed")).await.status(),
        200,
        "the one-time fault is spent"
    );
    assert!(
        !sim.snapshot_state()
            .groups
            .iter()
            .any(|g| g["profile"]["name"] == "Refused"),
        "the refused create made nothing"
    );
}
