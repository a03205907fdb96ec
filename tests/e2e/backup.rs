use okta_sim::Faults;
use oktavault_shared::ports::JobStatus;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_thousand_user_org_is_backed_up_object_for_object() {
    let sim = start_sim(10_000, 7).await;
    let store = tempfile::tempdir().unwrap();
    let report = backup_with_token(store.path(), &sim).await;
    assert_eq!(report["status"], "Completed", "{report}");

    let view = open_store(store.path());
    let contents = view.contents(&snapshot_id(&report)).await;
    let state = sim.snapshot_state();
    assert!(
        state.users.iter().any(|u| u["status"] == "DEPROVISIONED"),
        "the seeded org has deprovisioned users"
    );
    assert_eq!(contents["users"].len(), 10_000, "every user, DEPROVISIONED included");
    assert_same_contents(&contents, &expected_contents(&state));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_backup_of_an_unchanged_org_writes_no_new_object_blobs() {
    let sim = start_sim(1_500, 11).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let first = backup_with_token(store.path(), &sim).await;
    let org = view.snapshot_org(&snapshot_id(&first)).await;
    let segments_prefix = format!("orgs/{org}/segments/");
    let segments_after_first = view.blob_keys(&segments_prefix).await;
    assert!(!segments_after_first.is_empty());

    let second = backup_with_token(store.path(), &sim).await;
    assert_ne!(first["snapshot_id"], second["snapshot_id"]);
    assert_eq!(
        view.blob_keys(&segments_prefix).await,
        segments_after_first,
        "no new segment was written"
    );
    for (category, counts) in second["categories"].as_object().unwrap() {
        assert_eq!(counts["new_objects"], 0, "{category} wrote new objects");
    }
    // Only a new manifest appeared, and both snapshots read back the same objects, except the System
    // Log events: each snapshot keeps those of its own window, and none were logged in between.
    let heads = view.blob_keys(&format!("orgs/{org}/snapshots/")).await;
    assert_eq!(heads.iter().filter(|k| k.ends_with("/manifest")).count(), 2);
    let (mut before, mut after) = (
        view.contents(&snapshot_id(&first)).await,
        view.contents(&snapshot_id(&second)).await,
    );
    assert!(!before.remove("system_log").unwrap().is_empty());
    assert!(after.remove("system_log").unwrap().is_empty());
    assert_same_contents(&after, &before);
    assert!(
        view.blob_keys(&format!("orgs/{org}/work/")).await.is_empty(),
        "work documents are cleaned up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_object_gets_a_new_blob_and_the_rest_is_carried_by_hash() {
    let sim = start_sim(800, 5).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let first = backup_with_token(store.path(), &sim).await;
    let changed_id = sim.with_state(|org| {
        let user = &mut org.users[3];
        user["profile"]["title"] = "Chief Restoration Officer".into();
        user["lastUpdated"] = "2030-01-01T00:00:00.000Z".into();
        user["id"].as_str().unwrap().to_owned()
    });
    let second = backup_with_token(store.path(), &sim).await;
    assert_eq!(second["categories"]["users"]["new_objects"], 1, "{second}");
    assert_eq!(second["categories"]["groups"]["new_objects"], 0);
    let before = view.contents(&snapshot_id(&first)).await;
    let after = view.contents(&snapshot_id(&second)).await;
    assert_eq!(
        after["users"][&changed_id]["profile"]["title"],
        "Chief Restoration Officer"
    );
    assert_ne!(
        before["users"][&changed_id], after["users"][&changed_id],
        "the older snapshot keeps the old version"
    );
    assert_same_contents(&after, &view.expected(&second, &sim).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_okta_outage_of_server_errors_and_dropped_connections_mid_job_loses_nothing() {
    let sim = start_sim(2_000, 3).await;
    sim.set_faults(Faults {
        error_5xx_share: 0.15,
        drop_share: 0.05,
        ..Faults::default()
    });
    let store = tempfile::tempdir().unwrap();
    let report = backup_with_token(store.path(), &sim).await;
    sim.set_faults(Faults::default());
    assert_eq!(report["status"], "Completed", "{report}");
    let view = open_store(store.path());
    assert_same_contents(
        &view.contents(&snapshot_id(&report)).await,
        &expected_contents(&sim.snapshot_state()),
    );
    assert_eq!(view.job(&report).await.status, JobStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_backs_up_the_bundled_simulator_offline() {
    let store = tempfile::tempdir().unwrap();
    let out = oktavault(store.path(), &["demo", "--users", "300"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Completed"), "{stdout}");
    assert!(stdout.contains("users") && stdout.contains("group_members"), "{stdout}");

    let listed = oktavault(store.path(), &["--json", "snapshots"]).await;
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["snapshots"].as_array().unwrap().len(), 1);
    let ls = oktavault(store.path(), &["ls", "latest", "users"]).await;
    assert!(
        ls.status.success() && String::from_utf8_lossy(&ls.stdout).contains("300 objects in users"),
        "{}",
        text(&ls)
    );

    // `show` resolves a membership's ids to the group's name and the user's login.
    let members = oktavault(store.path(), &["--json", "ls", "latest", "group_members"]).await;
    let members: serde_json::Value = serde_json::from_slice(&members.stdout).unwrap();
    let edge = members["objects"][0]["id"].as_str().unwrap();
    let shown = oktavault(store.path(), &["--json", "show", "latest", "group_members", edge]).await;
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let (group, user) = edge.split_once('/').unwrap();
    assert_eq!(shown["references"][0]["id"], group);
    assert_eq!(shown["references"][1]["id"], user);
    assert!(
        shown["references"][1]["name"].as_str().unwrap().contains('@'),
        "{shown}"
    );
}
