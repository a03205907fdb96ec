//! The System Log: paging, Okta's polling `next` link, filters, time bounds, and the events API
//! mutations emit.

mod common;

use common::*;
use serde_json::{Value, json};

fn event_types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["eventType"].as_str().unwrap()).collect()
}

/// Every event of a bounded query (`until` given), following `next` links.
async fn bounded(sim: &okta_sim::SimHandle, query: &str) -> (Vec<Value>, usize) {
    let until = sim.timestamp_now();
    walk(sim, &format!("/api/v1/logs?until={until}&{query}")).await
}

#[tokio::test]
async fn the_seeded_history_pages_in_published_order_and_matches_the_state() {
    let sim = sim(300, 31).await;
    let state = sim.snapshot_state();
    assert!(state.logs.len() > 100, "a realistic history: {}", state.logs.len());
    let (events, pages) = bounded(&sim, "limit=50&sortOrder=ASCENDING").await;
    assert_eq!(pages, events.len().div_ceil(50));
    assert_eq!(events, state.logs, "all events, oldest first");
    let published: Vec<&str> = events.iter().map(|e| e["published"].as_str().unwrap()).collect();
    assert!(published.windows(2).all(|w| w[0] <= w[1]));
    let mut uuids: Vec<&str> = events.iter().map(|e| e["uuid"].as_str().unwrap()).collect();
    uuids.sort();
    uuids.dedup();
    assert_eq!(uuids.len(), events.len(), "uuids are unique");
    for kind in [
        "user.session.start",
        "user.lifecycle.create",
        "group.user_membership.add",
        "application.user_membership.add",
        "group.application_assignment.add",
    ] {
        assert!(event_types(&events).contains(&kind), "the history has {kind}");
    }

    let (descending, _) = bounded(&sim, "limit=70&sortOrder=DESCENDING").await;
    let mut reversed = events.clone();
    reversed.reverse();
    assert_eq!(descending, reversed);
}

#[tokio::test]
async fn a_polling_query_always_has_a_next_link_and_a_bounded_one_ends() {
    let sim = sim(100, 32).await;
    let total = sim.snapshot_state().logs.len();
    // Polling: ascending without `until`. The page after the last event is empty but still links on.
    let mut url = "/api/v1/logs?limit=1000".to_string();
    let mut seen = 0;
    for _ in 0..3 {
        let response = get(&sim, &url).await;
        assert_eq!(response.status(), 200);
        let next = link(&response, "next").expect("a polling query always links to a next page");
        let page: Vec<Value> = response.json().await.unwrap();
        seen += page.len();
        url = next.trim_start_matches(&sim.url()).to_string();
    }
    assert_eq!(seen, total);
    let empty: Vec<Value> = get(&sim, &url).await.json().await.unwrap();
    assert!(empty.is_empty());

    // A new event shows up on the polling link the client kept.
    let app = sim.snapshot_state().apps[0].clone();
    let mut body = app.clone();
    body["label"] = json!("Renamed by the log test");
    let response = client()
        .put(format!("{}/api/v1/apps/{}", sim.url(), app["id"].as_str().unwrap()))
        .header("Authorization", ssws(&sim))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let response = get(&sim, &url).await;
    assert!(link(&response, "next").is_some());
    let page: Vec<Value> = response.json().await.unwrap();
    assert_eq!(event_types(&page), ["application.lifecycle.update"]);

    // A bounded query has no next link once everything is returned.
    let response = get(&sim, &format!("/api/v1/logs?until={}&limit=1000", sim.timestamp_now())).await;
    assert!(link(&response, "next").is_none());
}

#[tokio::test]
async fn filters_and_time_bounds_select_events() {
    let sim = sim(200, 33).await;
    let state = sim.snapshot_state();
    let filter = "eventType eq \"group.user_membership.add\" or eventType eq \"application.user_membership.add\"";
    let (events, _) = bounded(&sim, &format!("filter={}", urlencode(filter))).await;
    let want: Vec<&Value> = state
        .logs
        .iter()
        .filter(|e| {
            e["eventType"] == "group.user_membership.add" || e["eventType"] == "application.user_membership.add"
        })
        .collect();
    assert_eq!(events.iter().collect::<Vec<_>>(), want);

    // `since` is inclusive, `until` exclusive.
    let middle = &state.logs[state.logs.len() / 2];
    let at = middle["published"].as_str().unwrap();
    let (after, _) = bounded(&sim, &format!("since={at}")).await;
    assert_eq!(after.first().map(|e| &e["published"]), Some(&middle["published"]));
    let (before, _) = walk(&sim, &format!("/api/v1/logs?since=2020-01-01T00:00:00.000Z&until={at}")).await;
    assert!(before.iter().all(|e| e["published"].as_str().unwrap() < at));
    assert_eq!(before.len() + after.len(), state.logs.len());

    for bad in [
        "sortOrder=SIDEWAYS",
        "since=yesterday",
        "filter=nonsense%20eq%20%22x%22",
    ] {
        let response = get(&sim, &format!("/api/v1/logs?{bad}")).await;
        assert_eq!(response.status(), 400, "{bad}");
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn api_mutations_emit_the_events_okta_would_with_their_targets() {
    let sim = sim(200, 34).await;
    let state = sim.snapshot_state();
    let since = sim.timestamp_now();
    let app = state
        .apps
        .iter()
        .find(|a| state.app_groups.contains_key(a["id"].as_str().unwrap()))
        .unwrap();
    let app_id = app["id"].as_str().unwrap();
    let assigned: Vec<&str> = state
        .app_users
        .get(app_id)
        .map_or(vec![], |r| r.iter().map(|u| u["id"].as_str().unwrap()).collect());
    let user = state
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE" && !assigned.contains(&u["id"].as_str().unwrap()))
        .unwrap();
    let user_id = user["id"].as_str().unwrap();
    let app_groups: Vec<&str> = state.app_groups[app_id]
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    let group = state
        .groups
        .iter()
        .find(|g| g["type"] == "OKTA_GROUP" && !app_groups.contains(&g["id"].as_str().unwrap()))
        .unwrap();
    let group_id = group["id"].as_str().unwrap();
    let api = |method: reqwest::Method, path: String| {
        client()
            .request(method, format!("{}{path}", sim.url()))
            .header("Authorization", ssws(&sim))
    };
    use reqwest::Method;
    let calls = [
        api(Method::POST, format!("/api/v1/apps/{app_id}/users")).json(&json!({"id": user_id})),
        api(Method::POST, format!("/api/v1/apps/{app_id}/users")).json(&json!({"id": user_id, "profile": {"x": 1}})),
        api(Method::DELETE, format!("/api/v1/apps/{app_id}/users/{user_id}")),
        api(Method::PUT, format!("/api/v1/apps/{app_id}/groups/{group_id}")).json(&json!({})),
        api(Method::PUT, format!("/api/v1/apps/{app_id}/groups/{group_id}")).json(&json!({"priority": 0})),
        api(Method::DELETE, format!("/api/v1/apps/{app_id}/groups/{group_id}")),
        api(Method::PUT, format!("/api/v1/groups/{group_id}/users/{user_id}")),
        api(Method::DELETE, format!("/api/v1/groups/{group_id}/users/{user_id}")),
        api(Method::POST, format!("/api/v1/users/{user_id}/lifecycle/suspend")),
        api(Method::POST, format!("/api/v1/users/{user_id}")).json(&json!({"profile": {"nickName": "Logged"}})),
    ];
    for call in calls {
        let response = call.send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }
    let (events, _) = bounded(&sim, &format!("since={since}")).await;
    assert_eq!(
        event_types(&events),
        [
            "application.user_membership.add",
            "application.user_membership.change_profile",
            "application.user_membership.remove",
            "group.application_assignment.add",
            "group.application_assignment.update",
            "group.application_assignment.remove",
            "group.user_membership.add",
            "group.user_membership.remove",
            "user.lifecycle.suspend",
            "user.account.update_profile",
        ]
    );
    let targets = |e: &Value| -> Vec<(String, String)> {
        e["target"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["type"].as_str().unwrap().to_owned(),
                    t["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pair =
        |a: (&str, &str), b: (&str, &str)| vec![(a.0.to_owned(), a.1.to_owned()), (b.0.to_owned(), b.1.to_owned())];
    for e in &events[..3] {
        assert_eq!(targets(e), pair(("User", user_id), ("AppInstance", app_id)));
    }
    for e in &events[3..6] {
        assert_eq!(targets(e), pair(("UserGroup", group_id), ("AppInstance", app_id)));
    }
    for e in &events[6..8] {
        assert_eq!(targets(e), pair(("User", user_id), ("UserGroup", group_id)));
    }
    assert_eq!(targets(&events[8]), vec![("User".to_owned(), user_id.to_owned())]);
    // Published by the simulator's clock, after the mark and in call order.
    assert!(
        events
            .iter()
            .all(|e| e["published"].as_str().unwrap() >= since.as_str())
    );
}

#[tokio::test]
async fn the_log_has_its_own_rate_limit_bucket() {
    let sim = sim(50, 35).await;
    let response = get(&sim, "/api/v1/logs?limit=1").await;
    assert_eq!(response.status(), 200);
    let header = |r: &reqwest::Response, name: &str| -> u64 { r.headers()[name].to_str().unwrap().parse().unwrap() };
    // Okta's Enterprise limit for /api/v1/logs is 50 a minute, counted apart from other endpoints.
    assert_eq!(header(&response, "x-rate-limit-limit"), 50);
    assert_eq!(header(&response, "x-rate-limit-remaining"), 49);
    let users = get(&sim, "/api/v1/users?limit=1").await;
    assert_ne!(header(&users, "x-rate-limit-limit"), 50);
}
