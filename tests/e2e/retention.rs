//! `oktavault retention` and `oktavault prune` over snapshots of the simulator that deduplicate against each other.

use std::collections::BTreeSet;

use oktavault_shared::ids::{OrgId, SnapshotId};
use oktavault_shared::ports::Catalog;
use oktavault_shared::snapshot::{SnapshotReader, keys};
use serde_json::Value;

use crate::support::*;

async fn run_json(store: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = oktavault(store, &all).await;
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out)))
}

/// Every segment the manifests of `snapshots` name.
async fn named_segments(view: &StoreView, org: &OrgId, snapshots: &[SnapshotId]) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for snapshot in snapshots {
        let reader = SnapshotReader::open(view.vault.clone(), org, snapshot).await.unwrap();
        for (category, head) in &reader.head().categories {
            for n in 0..head.parts.len() {
                named.extend(reader.part(category, n).await.unwrap().segments.iter().cloned());
            }
        }
    }
    named
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_deletes_the_expired_snapshot_and_only_the_segments_no_later_snapshot_names() {
    let sim = start_sim(120, 83).await;
    let store = tempfile::tempdir().unwrap();
    let state = sim.snapshot_state();
    let mut active = state.users.iter().filter(|u| u["status"] == "ACTIVE");
    let gone = active.nth(2).unwrap().clone();
    let renamed = active.nth(5).unwrap()["id"].as_str().unwrap().to_owned();
    let gone_id = gone["id"].as_str().unwrap().to_owned();
    let login = gone["profile"]["login"].as_str().unwrap().to_owned();

    let first = snapshot_id(&backup_with_token(store.path(), &sim).await);
    // Okta deletes a user in two steps: the first DELETE deactivates, the second deletes.
    for _ in 0..2 {
        admin(&sim, reqwest::Method::DELETE, &format!("/api/v1/users/{gone_id}"), None).await;
    }
    let second = snapshot_id(&backup_with_token(store.path(), &sim).await);
    let profile = serde_json::json!({"profile": {"title": "Renamed between backups"}});
    admin(
        &sim,
        reqwest::Method::POST,
        &format!("/api/v1/users/{renamed}"),
        Some(profile),
    )
    .await;
    let third = snapshot_id(&backup_with_token(store.path(), &sim).await);

    let view = open_store(store.path());
    let org = view.snapshot_org(&first).await;
    let later = named_segments(&view, &org, &[second.clone(), third.clone()]).await;
    let written_first: BTreeSet<String> = view
        .blob_keys(&keys::segments_prefix(&org, &first))
        .await
        .into_iter()
        .collect();
    let (still_named, unnamed): (BTreeSet<String>, BTreeSet<String>) =
        written_first.iter().cloned().partition(|k| later.contains(k));
    assert!(!still_named.is_empty(), "later snapshots deduplicate against the first");
    assert!(
        !unnamed.is_empty(),
        "some of the first snapshot's segments are named by no later one"
    );
    let search_before = run_json(store.path(), &["search", &login]).await;
    assert!(search_before.to_string().contains(first.as_str()), "{search_before}");

    // Keep the newest two: the first expires.
    let url = sim.url();
    let set = run_json(store.path(), &["retention", "--org", &url, "--count", "2"]).await;
    assert_eq!(set["policy"]["count"], 2, "{set}");
    assert_eq!(set["policy"]["days"], 365, "the days stay as they were: {set}");
    let shown = text(&oktavault(store.path(), &["retention", "--org", org.as_str()]).await);
    assert!(shown.contains("at most the newest 2 scheduled and manual"), "{shown}");

    let plan = run_json(store.path(), &["prune", "--dry-run"]).await;
    let expire = &plan["plans"][0]["expire"];
    assert_eq!(expire.as_array().unwrap().len(), 1, "{plan}");
    assert_eq!(expire[0]["snapshot_id"], first.as_str(), "{plan}");
    assert_eq!(
        view.catalog.list_snapshots(&org).await.unwrap().len(),
        3,
        "a dry run deletes nothing"
    );

    let report = run_json(store.path(), &["prune", "--org", &url]).await;
    assert_eq!(report["snapshots_deleted"], 1, "{report}");
    assert_eq!(report["segments_deleted"], unnamed.len(), "{report}");
    assert_eq!(report["errors"], 0, "{report}");

    let listed = text(&oktavault(store.path(), &["snapshots"]).await);
    // No row lists the first snapshot (a later one may still say its carried values are as of it).
    assert!(
        !listed
            .lines()
            .any(|l| l.contains(first.as_str()) && l.contains("objects")),
        "{listed}"
    );
    assert!(
        listed.contains(second.as_str()) && listed.contains(third.as_str()),
        "{listed}"
    );
    let left: BTreeSet<String> = view.blob_keys(&format!("orgs/{org}/")).await.into_iter().collect();
    for key in &still_named {
        assert!(left.contains(key), "{key} is named by a later snapshot and stays");
    }
    for key in &unnamed {
        assert!(!left.contains(key), "{key} is named by no remaining snapshot and goes");
    }
    let manifest = keys::snapshot_prefix(&org, &first);
    assert!(
        !left.iter().any(|k| k.starts_with(&manifest)),
        "the first manifest is deleted"
    );
    for key in later {
        assert!(left.contains(&key), "{key}, named by a remaining snapshot, is there");
    }

    let verified = oktavault(store.path(), &["verify"]).await;
    assert!(verified.status.success(), "{}", text(&verified));
    let search_after = run_json(store.path(), &["search", &login]).await;
    assert_eq!(search_after["snapshots"], 2, "{search_after}");
    assert!(!search_after.to_string().contains(first.as_str()), "{search_after}");
    assert!(
        !search_after["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == gone_id.as_str()),
        "the user only the deleted snapshot held is no longer found: {search_after}"
    );

    // Nothing more to do; a bad limit is refused with what to give instead.
    let again = run_json(store.path(), &["prune"]).await;
    assert_eq!(again["snapshots_deleted"], 0, "{again}");
    let refused = oktavault(store.path(), &["retention", "--org", &url, "--days", "0"]).await;
    assert!(
        !refused.status.success() && text(&refused).contains("none"),
        "{}",
        text(&refused)
    );
}
