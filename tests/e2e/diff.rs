use serde_json::{Value, json};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_shows_what_changed_between_two_snapshots_attribute_by_attribute() {
    let sim = start_sim(300, 61).await;
    let store = tempfile::tempdir().unwrap();
    let first = backup_with_token(store.path(), &sim).await;

    let state = sim.snapshot_state();
    let user_id = retitle_an_active_user(&sim, &state).await;
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
    add_member(&sim, &group, &newcomer).await;
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

fn ids(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_live_shows_exactly_what_changed_in_the_org_since_the_snapshot() {
    let sim = start_sim(200, 62).await;
    let store = tempfile::tempdir().unwrap();
    // A group with one member and nothing else naming it (every seeded group is named by a rule, a policy or an
    // app): deleting it takes only its membership with it.
    let state = sim.snapshot_state();
    admin(
        &sim,
        reqwest::Method::POST,
        "/api/v1/groups",
        Some(json!({"profile": {"name": "Restore drill", "description": "deleted by the test"}})),
    )
    .await;
    let group = sim
        .snapshot_state()
        .groups
        .iter()
        .find(|g| g["profile"]["name"] == "Restore drill")
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .unwrap();
    let member = state.users.iter().find(|u| u["status"] == "ACTIVE").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add_member(&sim, &group, &member).await;
    backup_with_token(store.path(), &sim).await;
    let live_args = ["--org", &sim.url(), "--token", &sim.api_token(), "--allow-local-org"].map(str::to_owned);
    let diff_live = |extra: &[&str]| {
        let mut args: Vec<String> = ["--json", "diff", "latest", "--live"].map(str::to_owned).to_vec();
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(live_args.iter().cloned());
        let store = store.path().to_owned();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = oktavault(&store, &args).await;
            assert!(out.status.success(), "{}", text(&out));
            serde_json::from_slice::<Value>(&out.stdout).unwrap()
        }
    };
    // Nothing changed yet: the live org reads as the snapshot holds it.
    let unchanged = diff_live(&[]).await;
    assert_eq!(unchanged["categories"], json!([]), "{unchanged}");

    let state = sim.snapshot_state();
    let user_id = retitle_an_active_user(&sim, &state).await;
    admin(&sim, reqwest::Method::DELETE, &format!("/api/v1/groups/{group}"), None).await;
    let zones_before: Vec<String> = state.resources["network_zones"]
        .values()
        .flatten()
        .map(|z| z["id"].as_str().unwrap().to_owned())
        .collect();
    admin(
        &sim,
        reqwest::Method::POST,
        "/api/v1/zones",
        Some(json!({
            "type": "IP",
            "name": "Restore drill office",
            "status": "ACTIVE",
            "usage": "POLICY",
            "gateways": [{"type": "CIDR", "value": "198.51.100.0/24"}],
        })),
    )
    .await;
    let zone = sim.snapshot_state().resources["network_zones"]
        .values()
        .flatten()
        .map(|z| z["id"].as_str().unwrap().to_owned())
        .find(|id| !zones_before.contains(id))
        .expect("the new zone is listed");

    let diff = diff_live(&[]).await;
    let categories: Vec<&str> = diff["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    let mut sorted = categories.clone();
    sorted.sort();
    assert_eq!(sorted, ["group_members", "groups", "network_zones", "users"], "{diff}");
    let category = |name: &str| {
        diff["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == name)
            .cloned()
            .unwrap()
    };
    let users = category("users");
    assert_eq!(
        (users["added"].clone(), users["removed"].clone()),
        (json!([]), json!([]))
    );
    let changed = users["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{users}");
    assert_eq!(changed[0]["id"], user_id.as_str());
    let title = changed[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "profile.title")
        .unwrap_or_else(|| panic!("{users}"));
    // Changed, or added when the user had no title.
    let now = title.get("after").or(title.get("value"));
    assert_eq!(now, Some(&json!("Chief Restore Officer")), "{title}");
    let groups = category("groups");
    assert_eq!(ids(&groups["removed"]), [group.as_str()]);
    assert_eq!(
        (groups["added"].clone(), groups["changed"].clone()),
        (json!([]), json!([]))
    );
    let zones = category("network_zones");
    assert_eq!(ids(&zones["added"]), [zone]);
    assert_eq!(
        (zones["removed"].clone(), zones["changed"].clone()),
        (json!([]), json!([]))
    );
    let members = category("group_members");
    assert_eq!(ids(&members["removed"]), [format!("{group}/{member}")]);
    assert_eq!(
        (members["added"].clone(), members["changed"].clone()),
        (json!([]), json!([]))
    );

    // --category reads only the named categories (and those they are listed from), and reports only them.
    let only = diff_live(&["--category", "network_zones"]).await;
    let only_names: Vec<&str> = only["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(only_names, ["network_zones"], "{only}");
    let log = oktavault(
        store.path(),
        &[
            "diff",
            "latest",
            "--live",
            "--category",
            "system_log",
            "--org",
            &sim.url(),
            "--token",
            &sim.api_token(),
            "--allow-local-org",
        ],
    )
    .await;
    assert!(!log.status.success());
    assert!(text(&log).contains("a log, not a state"), "{}", text(&log));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_live_lists_a_category_the_app_may_not_read_as_not_compared_and_compares_the_rest() {
    let sim = start_sim(60, 63).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let out = oktavault(
        store.path(),
        &[
            "--json",
            "diff",
            "latest",
            "--live",
            "--category",
            "users,network_zones",
            "--org",
            &sim.url(),
            "--client-id",
            &sim.client_id(),
            "--client-secret",
            &sim.client_secret(),
            "--scopes",
            "okta.users.read",
            "--allow-local-org",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        diff["categories"],
        json!([]),
        "the users read equal to the snapshot: {diff}"
    );
    let not_compared = diff["not_compared"].as_array().unwrap();
    assert_eq!(not_compared.len(), 1, "{diff}");
    assert_eq!(not_compared[0]["category"], "network_zones");
    let reason = not_compared[0]["reason"].as_str().unwrap();
    assert!(reason.contains("okta.networkZones.read"), "{reason}");
}
