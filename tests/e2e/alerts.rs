//! Alerts on the embedded host (`alerts.jsonl` in the store): a backup that completed with errors, and a snapshot
//! that removed more than 5% of the org's users.

use okta_sim::PathFault;
use oktavault_shared::local::AlertFile;
use oktavault_shared::ports::AlertKind;
use serde_json::Value;

use crate::support::*;

fn alerts(store: &std::path::Path) -> Vec<oktavault_shared::ports::Alert> {
    AlertFile::new(store.join("alerts.jsonl")).read().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_that_completes_with_errors_raises_an_alert_naming_its_job() {
    let sim = start_sim(40, 8).await;
    let store = tempfile::tempdir().unwrap();
    let (_, path) = group_with_members(&sim);
    sim.fail_path(PathFault::error(&path, 400, "E0000001", "Api validation failed: after"));

    let run = backup(store.path(), &sim, &["--token", &sim.api_token()]).await;

    assert_eq!(run.report["status"], "CompletedWithErrors", "{}", run.output);
    let sent = alerts(store.path());
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].kind, AlertKind::JobCompletedWithErrors);
    assert_eq!(
        sent[0].job_id.as_ref().map(|j| j.as_str()),
        run.report["job_id"].as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_that_removes_more_than_five_percent_of_the_users_raises_a_mass_change_alert() {
    let sim = start_sim(60, 9).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    assert!(alerts(store.path()).is_empty(), "a clean first backup raises nothing");

    let users: Value = admin(&sim, reqwest::Method::GET, "/api/v1/users?limit=200", None).await;
    let users = users.as_array().unwrap();
    let doomed: Vec<&str> = users.iter().take(6).map(|u| u["id"].as_str().unwrap()).collect();
    for id in &doomed {
        deactivate_and_delete(&sim, &format!("/api/v1/users/{id}")).await;
    }
    let second = backup_with_token(store.path(), &sim).await;

    let sent = alerts(store.path());
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].kind, AlertKind::MassChange);
    assert_eq!(
        sent[0].snapshot_id.as_ref().map(|s| s.as_str()),
        second["snapshot_id"].as_str()
    );
    assert!(sent[0].message.contains("users: 6 of"), "{}", sent[0].message);
}
