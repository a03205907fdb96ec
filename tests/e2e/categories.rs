use okta_sim::{DEFAULT_SCOPES, SimConfig};
use oktavault_shared::categories::CATEGORIES;
use oktavault_shared::ports::JobStatus;

use crate::support::*;

/// An app whose token lacks one category's scope: that category is recorded as skipped, naming the
/// scope, every other category is backed up object for object, and the job is still Completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_category_whose_scope_is_not_granted_is_skipped_with_the_scope_named_and_the_job_completes() {
    let missing = "okta.networkZones.read";
    let mut config = SimConfig::new(300, 12);
    config.rate.scale = 20.0;
    config.granted_scopes = DEFAULT_SCOPES
        .iter()
        .filter(|s| !s.starts_with("okta.networkZones."))
        .map(|s| s.to_string())
        .collect();
    let sim = okta_sim::start(config, 0).await.unwrap();
    // Okta refuses a token request for a scope the app was not granted: ask for the others.
    let mut scopes: Vec<&str> = CATEGORIES.iter().map(|c| c.scope).filter(|s| *s != missing).collect();
    scopes.sort();
    scopes.dedup();
    let store = tempfile::tempdir().unwrap();
    let out = oktavault(
        store.path(),
        &[
            "--json",
            "backup",
            "--org",
            &sim.url(),
            "--client-id",
            &sim.client_id(),
            "--client-secret",
            &sim.client_secret(),
            "--scopes",
            &scopes.join(","),
            "--allow-local-org",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "Completed", "{report}");
    let skipped = report["categories"]["network_zones"]["skipped"]
        .as_str()
        .unwrap_or_default();
    assert!(skipped.contains(missing), "the reason names the scope: {report}");
    for (name, counts) in report["categories"].as_object().unwrap() {
        if name != "network_zones" {
            assert!(counts["skipped"].is_null(), "{name} was skipped: {counts}");
        }
    }

    let view = open_store(store.path());
    assert_eq!(view.job(&report).await.status, JobStatus::Completed);
    let mut contents = view.contents(&snapshot_id(&report)).await;
    assert!(contents.remove("network_zones").unwrap_or_default().is_empty());
    let mut expected = expected_contents(&sim.snapshot_state());
    expected.remove("network_zones");
    assert_same_contents(&contents, &expected);
}

/// Every catalog category has objects in the seeded org, so the object-for-object comparisons
/// cover each of them (an empty category would compare trivially).
#[tokio::test]
async fn the_seeded_org_has_objects_in_every_category() {
    let sim = start_sim(300, 13).await;
    let expected = expected_contents(&sim.snapshot_state());
    for category in CATEGORIES {
        let objects = expected.get(category.name).map_or(0, |o| o.len());
        assert!(objects > 0, "{} has no objects in the seeded org", category.name);
    }
    let policy_types: std::collections::BTreeSet<&str> = expected["policies"]
        .values()
        .filter_map(|p| p["type"].as_str())
        .collect();
    assert_eq!(policy_types.len(), 8, "{policy_types:?}");
}
