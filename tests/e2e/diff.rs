use serde_json::{Value, json};

use crate::support::*;

async fn admin(sim: &okta_sim::SimHandle, method: reqwest::Method, path: &str, body: Option<Value>) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.url()))
        .header("Authorization", format!("SSWS {}", sim.api_token()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_shows_what_changed_between_two_snapshots_attribute_by_attribute() {
    let sim = start_sim(300, 61).await;
    let store = tempfile::tempdir().unwrap();
    let first = backup_with_token(store.path(), &sim).await;

    let state = sim.snapshot_state();
    let user = state.users.iter().find(|u| u["status"] == "ACTIVE").unwrap();
    let user_id = user["id"].as_str().unwrap().to_owned();
    let mut profile = user["profile"].clone();
    profile["title"] = json!("Chief Restore Officer");
    admin(
        &sim,
        reqwest::Method::POST,
        &format!("/api/v1/users/{user_id}"),
        Some(json!({"profile": profile})),
    )
    .await;
    // Only an OKTA_GROUP takes members from an admin; Everyone and app groups are Okta's to fill.
    let okta_group = |id: &String| {
        state
            .groups
            .iter()
            .any(|g| g["id"].as_str() == Some(id.as_str()) && g["type"] == "OKTA_GROUP")
    };
    let (group, members) = state
        .group_members
        .iter()
        .find(|(id, m)| !m.is_empty() && okta_group(id))
        .unwrap();
    let newcomer = state
        .users
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .find(|id| !members.iter().any(|m| m == id))
        .unwrap()
        .to_owned();
    admin(
        &sim,
        reqwest::Method::PUT,
        &format!("/api/v1/groups/{group}/users/{newcomer}"),
        None,
    )
    .await;
    let second = backup_with_token(store.path(), &sim).await;

    let out = oktavault(
        store.path(),
        &[
            "--json",
            "diff",
            first["snapshot_id"].as_str().unwrap(),
            second["snapshot_id"].as_str().unwrap(),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    let category = |name: &str| {
        diff["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} is not in the diff: {diff}"))
    };
    assert_eq!(
        category("group_members")["added"],
        json!([format!("{group}/{newcomer}")])
    );
    let users = category("users");
    let changed = users["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{users}");
    assert_eq!(changed[0]["id"], user_id.as_str());
    let paths: Vec<&str> = changed[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"profile.title"), "{paths:?}");
    assert!(
        diff["categories"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["category"] != "system_log")
    );

    let same = oktavault(store.path(), &["diff", "latest", "latest"]).await;
    assert!(text(&same).contains("No differences"), "{}", text(&same));
}
