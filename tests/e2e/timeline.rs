//! The snapshot timeline: status, what a snapshot lacks, object counts and what changed since the one before.

use okta_sim::PathFault;
use oktavault_shared::ports::Catalog;
use serde_json::{Value, json};

use crate::support::*;

fn entries(timeline: &Value) -> &Vec<Value> {
    timeline["snapshots"].as_array().unwrap()
}

async fn timeline(store: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["--json", "snapshots"];
    args.extend_from_slice(extra);
    let out = oktavault(store, &args).await;
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_shows_each_snapshots_status_what_it_lacks_and_what_changed_since_the_one_before() {
    let sim = start_sim(300, 71).await;
    let store = tempfile::tempdir().unwrap();
    let (group, path) = group_with_members(&sim);
    sim.fail_path(PathFault::error(&path, 400, "E0000001", "Api validation failed: after"));
    let first = backup(store.path(), &sim, &["--token", &sim.api_token()]).await;
    assert_eq!(first.report["status"], "CompletedWithErrors", "{}", first.output);
    sim.clear_path_faults();

    let state = sim.snapshot_state();
    let user = retitle_an_active_user(&sim, &state).await;
    admin(
        &sim,
        reqwest::Method::POST,
        "/api/v1/groups",
        Some(json!({"profile": {"name": "Timeline newcomer"}})),
    )
    .await;
    let second = backup_with_token(store.path(), &sim).await;

    let view = open_store(store.path());
    let org = view.snapshot_org(&snapshot_id(&second)).await;
    let all = timeline(store.path(), &["--org", org.as_str()]).await;
    let listed = entries(&all);
    assert_eq!(listed.len(), 2, "{all}");
    let (newest, oldest) = (&listed[0], &listed[1]);
    assert_eq!(newest["snapshot_id"], second["snapshot_id"], "newest first");
    assert_eq!(newest["period"], "last24_hours");
    assert_eq!(newest["complete"], true);
    assert_eq!(newest["previous"], first.report["snapshot_id"]);
    let changes = &newest["changes"]["categories"];
    assert_eq!(newest["changes"]["kind"], "counted");
    assert_eq!(
        changes["users"],
        json!({"added": 0, "removed": 0, "changed": 1}),
        "{user}: {newest}"
    );
    assert_eq!(changes["groups"], json!({"added": 1, "removed": 0, "changed": 0}));
    assert!(changes.get("system_log").is_none(), "events are not a state: {newest}");
    assert_eq!(
        newest["objects"],
        newest["counts"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum::<u64>()
    );

    assert_eq!(oldest["changes"]["kind"], "first");
    assert_eq!(oldest["complete"], false);
    assert_eq!(oldest["status"], "CompletedWithErrors");
    let lacks = oldest["lacks"].as_array().unwrap();
    assert!(
        lacks.iter().any(|l| l["category"] == "group_members"
            && l["part"] == group.as_str()
            && l["reason"].as_str().unwrap().contains("E0000001")),
        "{oldest}"
    );

    // The same for a person, grouped by period.
    let out = oktavault(store.path(), &["snapshots"]).await;
    let shown = text(&out);
    assert!(shown.contains("Last 24 hours"), "{shown}");
    assert!(shown.contains("users ~1") && shown.contains("groups +1"), "{shown}");
    assert!(shown.contains("first snapshot of the org"), "{shown}");
    assert!(shown.contains(&format!("lacks group_members of {group}")), "{shown}");

    // The window narrows it; a window that cannot be read is refused with what to write.
    assert_eq!(entries(&timeline(store.path(), &["--since", "1h"]).await).len(), 2);
    assert!(entries(&timeline(store.path(), &["--until", "2000-01-01"]).await).is_empty());
    let out = oktavault(store.path(), &["snapshots", "--since", "last tuesday"]).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("is not a time"), "{}", text(&out));

    // A snapshot recorded before its changes were kept: the timeline compares the manifests and says the same.
    let mut record = view
        .catalog
        .get_snapshot(&org, &snapshot_id(&second))
        .await
        .unwrap()
        .unwrap();
    record.changes = None;
    record.previous = None;
    view.catalog.put_snapshot(&record).await.unwrap();
    let again = timeline(store.path(), &[]).await;
    assert_eq!(entries(&again)[0]["changes"], newest["changes"]);
    assert_eq!(entries(&again)[0]["previous"], newest["previous"]);
}
