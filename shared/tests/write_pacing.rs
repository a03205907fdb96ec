//! The client's writes against the simulator's Okta buckets over HTTP: a restore's writes are paced to the
//! configured share of each write bucket, even when they are sent all at once, are never refused with a 429, and
//! go again as soon as Okta's next window opens.

use std::time::{Duration, Instant};

use futures::future::join_all;
use okta_sim::{RateConfig, SimConfig};
use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, Secret};
use reqwest::Method;
use serde_json::json;

const WINDOW: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_assignments_sent_at_once_are_paced_to_the_share_of_the_apps_bucket_without_a_429() {
    let mut config = SimConfig::new(40, 11);
    // The apps bucket (100 a minute on Enterprise) becomes 10 a window; at a share of 0.5 the client may use 5.
    config.rate = RateConfig {
        window_secs: WINDOW.as_secs(),
        scale: 0.1,
        enabled: true,
    };
    let sim = okta_sim::start(config, 0).await.unwrap();
    let state = sim.snapshot_state();
    let app = state
        .apps
        .iter()
        .find(|a| a["status"] == "ACTIVE" && a["signOnMode"] == "BOOKMARK")
        .or_else(|| state.apps.iter().find(|a| a["status"] == "ACTIVE"))
        .unwrap();
    let app_id = app["id"].as_str().unwrap();
    let assigned: Vec<&str> = state.app_users[app_id]
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    let users: Vec<&str> = state
        .users
        .iter()
        .filter(|u| u["status"] == "ACTIVE")
        .map(|u| u["id"].as_str().unwrap())
        .filter(|id| !assigned.contains(id))
        .take(11)
        .collect();
    assert_eq!(users.len(), 11, "the seeded org has 11 unassigned active users");

    let mut client_config = ClientConfig::new(
        OrgUrl::parse(&sim.url(), true).unwrap(),
        Credentials::ApiToken(Secret::new(sim.api_token())),
    );
    client_config.rate_share = 0.5;
    let client = OktaClient::new(client_config).unwrap();
    let path = format!("/api/v1/apps/{app_id}/users");
    let started = Instant::now();
    let answers = join_all(users.iter().map(|user| {
        let (client, path) = (client.clone(), path.clone());
        let body = json!({"id": user, "scope": "USER"});
        async move { client.write(Method::POST, &path, Some(&body)).await }
    }))
    .await;
    let elapsed = started.elapsed();

    for answer in &answers {
        assert!(answer.is_ok(), "{answer:?}");
    }
    let stats = client.stats();
    assert_eq!(stats.rate_limited, 0, "no write was refused: {stats:?}");
    let apps = stats.buckets.iter().find(|b| b.bucket == "/api/v1/apps").unwrap();
    assert_eq!((apps.calls, apps.limit), (11, Some(10)));
    assert!(
        apps.max_used_share <= 0.5,
        "Okta saw at most half of the bucket used: {apps:?}"
    );
    // 5, 5 and 1 calls: the third window starts two windows after the first. The reset is read in whole seconds
    // (up to a second late each window); a wait for a window longer than Okta's real one would take far more.
    assert!(elapsed >= 2 * WINDOW, "11 writes at 5 a window took {elapsed:?}");
    assert!(elapsed < 5 * WINDOW, "11 writes at 5 a window took {elapsed:?}");
    let assigned_now = sim.snapshot_state().app_users[app_id].len();
    assert_eq!(assigned_now, assigned.len() + 11);
}
