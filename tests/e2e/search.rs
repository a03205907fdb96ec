//! `oktavault search` and `oktavault history` over snapshots of the simulator, through the org's search index.

use oktavault_shared::snapshot::keys;
use serde_json::{Value, json};

use crate::support::*;

async fn run_json(store: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = oktavault(store, &all).await;
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out)))
}

fn result_ids(report: &Value) -> Vec<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}/{}", r["category"].as_str().unwrap(), r["id"].as_str().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_deleted_three_snapshots_ago_is_found_by_part_of_its_login_in_the_last_snapshot_that_had_it() {
    let sim = start_sim(120, 71).await;
    let store = tempfile::tempdir().unwrap();
    let state = sim.snapshot_state();
    let user = state
        .users
        .iter()
        .filter(|u| u["status"] == "ACTIVE")
        .nth(3)
        .unwrap()
        .clone();
    let user_id = user["id"].as_str().unwrap().to_owned();
    let login = user["profile"]["login"].as_str().unwrap().to_owned();
    let had_it = snapshot_id(&backup_with_token(store.path(), &sim).await);
    // Okta deletes a user in two steps: the first DELETE deactivates, the second deletes.
    for _ in 0..2 {
        admin(&sim, reqwest::Method::DELETE, &format!("/api/v1/users/{user_id}"), None).await;
    }
    let mut later = Vec::new();
    for _ in 0..3 {
        later.push(snapshot_id(&backup_with_token(store.path(), &sim).await));
    }
    // Part of the login, in another case: the part before the @, less its first letter.
    let local = login.split('@').next().unwrap();
    let part = local[1..].to_uppercase();

    let report = run_json(store.path(), &["search", &part]).await;
    assert_eq!(report["snapshots"], 4, "{report}");
    let found = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == user_id.as_str())
        .unwrap_or_else(|| panic!("{user_id} not found by {part:?}: {report}"));
    assert_eq!(found["category"], "users");
    assert_eq!(found["last_seen"], had_it.as_str(), "{found}");
    assert_eq!(found["deleted_since"], later[0].as_str(), "{found}");
    assert_eq!(
        found["versions"][0]["snapshots"],
        json!([{"first": had_it.as_str(), "last": had_it.as_str(), "count": 1}])
    );
    let shown = text(&oktavault(store.path(), &["search", &part]).await);
    assert!(shown.contains(&format!("deleted since {}", later[0])), "{shown}");

    // --type narrows to one category.
    let groups = run_json(store.path(), &["search", &part, "--type", "groups"]).await;
    assert!(!result_ids(&groups).contains(&format!("users/{user_id}")), "{groups}");
    let users = run_json(store.path(), &["search", &part, "--type", "users"]).await;
    assert!(result_ids(&users).iter().all(|id| id.starts_with("users/")), "{users}");
    assert!(result_ids(&users).contains(&format!("users/{user_id}")));
    let unknown = oktavault(store.path(), &["search", &part, "--type", "people"]).await;
    assert!(
        !unknown.status.success() && text(&unknown).contains("not a category"),
        "{}",
        text(&unknown)
    );

    // --from/--to filter on the object's own lastUpdated.
    let updated = user["lastUpdated"].as_str().unwrap();
    let day = &updated[..10];
    let inside = run_json(
        store.path(),
        &["search", &part, "--type", "users", "--from", day, "--to", day],
    )
    .await;
    assert!(result_ids(&inside).contains(&format!("users/{user_id}")), "{inside}");
    let after = run_json(
        store.path(),
        &["search", &part, "--type", "users", "--from", "2999-01-01"],
    )
    .await;
    assert!(result_ids(&after).is_empty(), "{after}");
    // Memberships have no lastUpdated: a date range cannot filter them, and the answer says so.
    let (group, member) = state
        .group_members
        .iter()
        .find_map(|(g, m)| m.iter().find(|u| **u != user_id).map(|u| (g.clone(), u.clone())))
        .unwrap();
    let edge = format!("{group}/{member}");
    let edges = run_json(store.path(), &["search", &edge, "--from", "2999-01-01"]).await;
    assert_eq!(result_ids(&edges), vec![format!("group_members/{edge}")], "{edges}");
    assert_eq!(edges["not_filtered_by_time"], json!(["group_members"]), "{edges}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_shows_the_profile_change_made_between_two_backups() {
    let sim = start_sim(100, 72).await;
    let store = tempfile::tempdir().unwrap();
    let first = snapshot_id(&backup_with_token(store.path(), &sim).await);
    let user = sim
        .snapshot_state()
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE")
        .unwrap()
        .clone();
    let user_id = user["id"].as_str().unwrap().to_owned();
    let login = user["profile"]["login"].as_str().unwrap().to_owned();
    let mut profile = user["profile"].clone();
    profile["title"] = json!("Head of Search");
    admin(
        &sim,
        reqwest::Method::POST,
        &format!("/api/v1/users/{user_id}"),
        Some(json!({"profile": profile})),
    )
    .await;
    let second = snapshot_id(&backup_with_token(store.path(), &sim).await);

    for name in [user_id.as_str(), login.as_str()] {
        let report = run_json(store.path(), &["history", "users", name]).await;
        assert_eq!(report["id"], user_id.as_str(), "{report}");
        let versions = report["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 2, "{report}");
        assert_eq!(versions[0]["snapshots"][0]["first"], first.as_str());
        assert_eq!(versions[0]["changes"], json!([]));
        assert_eq!(versions[1]["snapshots"][0]["first"], second.as_str());
        let title = versions[1]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"] == "profile.title")
            .unwrap_or_else(|| panic!("no profile.title change: {report}"));
        assert_eq!(title["after"], "Head of Search");
        assert!(report.get("deleted_since").is_none(), "{report}");
    }
    let shown = text(&oktavault(store.path(), &["history", "users", &login]).await);
    assert!(
        shown.contains("profile.title") && shown.contains("Head of Search"),
        "{shown}"
    );
    let missing = oktavault(store.path(), &["history", "users", "nobody@nowhere.example"]).await;
    assert!(
        !missing.status.success() && text(&missing).contains("oktavault search"),
        "{}",
        text(&missing)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_damaged_index_delta_is_indexed_again_from_the_manifest_not_skipped() {
    let sim = start_sim(80, 73).await;
    let store = tempfile::tempdir().unwrap();
    let first = snapshot_id(&backup_with_token(store.path(), &sim).await);
    let user = sim
        .snapshot_state()
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE")
        .unwrap()
        .clone();
    let user_id = user["id"].as_str().unwrap().to_owned();
    let mut profile = user["profile"].clone();
    profile["nickName"] = json!("Quokka");
    profile["firstName"] = json!("Zebediah");
    admin(
        &sim,
        reqwest::Method::POST,
        &format!("/api/v1/users/{user_id}"),
        Some(json!({"profile": profile})),
    )
    .await;
    let second = snapshot_id(&backup_with_token(store.path(), &sim).await);

    let view = open_store(store.path());
    let org = view.snapshot_org(&second).await;
    let deltas = view.blob_keys(&keys::search_deltas_prefix(&org)).await;
    assert_eq!(deltas.len(), 2, "finalize indexed each snapshot: {deltas:?}");
    // The second snapshot's delta, the only one holding the new first name, goes; the first one's is damaged.
    view.vault
        .blobs()
        .delete(&keys::search_delta(&org, &second))
        .await
        .unwrap();
    let first_key = keys::search_delta(&org, &first);
    let mut bytes = view.vault.blobs().get(&first_key).await.unwrap().unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    view.vault.blobs().put(&first_key, bytes).await.unwrap();

    let report = run_json(store.path(), &["search", "zebediah"]).await;
    assert_eq!(result_ids(&report), vec![format!("users/{user_id}")], "{report}");
    let reindexed = report["reindexed"].as_array().unwrap();
    let reason = |s: &str| {
        reindexed
            .iter()
            .find(|r| r["snapshot"] == s)
            .unwrap_or_else(|| panic!("{s} not reported: {report}"))["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(reason(first.as_str()).contains("unreadable"), "{report}");
    assert!(reason(second.as_str()).contains("missing"), "{report}");
    let shown = text(&oktavault(store.path(), &["search", "zebediah"]).await);
    assert!(
        !shown.contains("again from its manifest"),
        "repaired once, written back: {shown}"
    );
    assert!(shown.contains(&user_id), "{shown}");
}
