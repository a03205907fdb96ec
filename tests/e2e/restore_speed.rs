//! Restore speed: planning reads the live org in as few calls as the selection allows, and the relationships of
//! restored users are written beside the users' creates (each after its user exists), through a crash too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use okta_sim::{Faults, SimHandle};
use serde_json::Value;

use crate::restore::{restore, validating_sim};
use crate::support::*;

/// Deletes the first `n` users that are not DEPROVISIONED (but the admin the token belongs to), as an admin does.
async fn delete_users(sim: &SimHandle, n: usize) -> Vec<Value> {
    let state = sim.snapshot_state();
    let admin = state
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE")
        .map(|u| u["id"].clone());
    let deleted: Vec<Value> = state
        .users
        .into_iter()
        .filter(|u| u["status"] != "DEPROVISIONED" && Some(&u["id"]) != admin.as_ref())
        .take(n)
        .collect();
    for user in &deleted {
        let path = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
        for _ in 0..2 {
            admin_call(sim, reqwest::Method::DELETE, &path).await;
        }
    }
    deleted
}

async fn admin_call(sim: &SimHandle, method: reqwest::Method, path: &str) {
    admin(sim, method, path, None).await;
}

/// The direct (USER-scoped) app assignments of each login, by app id.
fn assignments_by_login(sim: &SimHandle) -> BTreeMap<String, Vec<String>> {
    let state = sim.snapshot_state();
    let login_of: BTreeMap<&str, &str> = state
        .users
        .iter()
        .filter_map(|u| Some((u["id"].as_str()?, u["profile"]["login"].as_str()?)))
        .collect();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (app, rows) in &state.app_users {
        for row in rows.iter().filter(|r| r["scope"] == "USER") {
            if let Some(login) = row["id"].as_str().and_then(|id| login_of.get(id)) {
                out.entry((*login).to_owned()).or_default().push(app.clone());
            }
        }
    }
    out
}

fn login(user: &Value) -> String {
    user["profile"]["login"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planning_lists_the_groups_and_apps_of_restored_users_once_rather_than_reading_each() {
    let sim = validating_sim(120, 41).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    // Fewer than the guardrail's 50 activation emails: the dry run is not held.
    delete_users(&sim, 40).await;
    let state = sim.snapshot_state();
    let groups_with_members = state.group_members.values().filter(|m| !m.is_empty()).count();
    let apps_with_users = state.app_users.values().filter(|m| !m.is_empty()).count();
    assert!(
        groups_with_members > 1 && apps_with_users > 1,
        "the seeded org has groups and apps in use"
    );
    sim.reset_calls();

    let run = restore(store.path(), &sim, &["latest", "--select", "users", "--dry-run"]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    let calls = sim.calls();
    // One listing each, where reading each group and app the users name one by one took a call per object.
    assert_eq!(calls.get("GET /api/v1/groups/{id}"), 0, "{:?}", calls.by_endpoint);
    assert_eq!(calls.get("GET /api/v1/apps/{id}"), 0, "{:?}", calls.by_endpoint);
    assert_eq!(calls.get("GET /api/v1/groups"), 1, "{:?}", calls.by_endpoint);
    assert_eq!(calls.get("GET /api/v1/apps"), 1, "{:?}", calls.by_endpoint);
    let live_calls = run.report["plan"]["live_calls"].as_u64().unwrap();
    assert!(
        live_calls > 0 && live_calls <= calls.total(),
        "the plan counts the calls it made ({live_calls} of {})",
        calls.total()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_assignments_are_written_while_later_users_are_still_being_created_each_after_its_user() {
    let sim = Arc::new(validating_sim(160, 43).await);
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let assigned_before = assignments_by_login(&sim);
    let deleted = delete_users(&sim, 120).await;
    let logins: BTreeSet<String> = deleted.iter().map(login).collect();
    assert!(
        logins.iter().filter(|l| assigned_before.contains_key(*l)).count() > 10,
        "the deleted users have direct app assignments"
    );
    // Slow every call so the restore takes long enough to watch.
    sim.set_faults(Faults {
        latency_ms: 15,
        ..Faults::default()
    });
    let watcher = {
        let (sim, logins) = (sim.clone(), logins.clone());
        // The first moment a restored user has an app assignment back, how many deleted users are still missing.
        tokio::spawn(async move {
            loop {
                let assigned = assignments_by_login(&sim);
                let present: BTreeSet<String> = sim
                    .snapshot_state()
                    .users
                    .iter()
                    .filter_map(|u| u["profile"]["login"].as_str().map(str::to_owned))
                    .collect();
                let missing = logins.iter().filter(|l| !present.contains(*l)).count();
                if logins.iter().any(|l| assigned.contains_key(l)) || missing == 0 {
                    return missing;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let run = restore(store.path(), &sim, &["latest", "--select", "users", "--yes"]).await;
    sim.set_faults(Faults::default());
    assert_eq!(run.code, Some(0), "{}", run.output);
    let missing = watcher.await.unwrap();
    assert!(
        missing > 0,
        "the first app assignment came back only once every user was created"
    );
    // Each assignment went to a user that existed (the simulator, as Okta, refuses one to an unknown user), and
    // every one came back.
    let applied = &run.report["applied"];
    assert_eq!(applied["app_users"]["failed"], 0, "{}", run.report);
    assert_eq!(applied["group_members"]["failed"], 0, "{}", run.report);
    let assigned_after = assignments_by_login(&sim);
    for login in &logins {
        let mut before = assigned_before.get(login).cloned().unwrap_or_default();
        let mut after = assigned_after.get(login).cloned().unwrap_or_default();
        before.sort();
        after.sort();
        assert_eq!(before, after, "{login}'s direct assignments came back");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_killed_while_assignments_run_beside_user_creates_continues_and_writes_each_once() {
    let sim = validating_sim(160, 47).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let assigned_before = assignments_by_login(&sim);
    let deleted = delete_users(&sim, 120).await;
    let logins: BTreeSet<String> = deleted.iter().map(login).collect();
    let (url, token) = (sim.url(), sim.api_token());
    let args = [
        "--json",
        "restore",
        "latest",
        "--select",
        "users",
        "--yes",
        "--org",
        &url,
        "--allow-local-org",
        "--token",
        &token,
    ];
    sim.set_faults(Faults {
        latency_ms: 15,
        ..Faults::default()
    });
    let mut child = command(store.path()).args(args).spawn().unwrap();
    // Killed once assignments have begun and some users are still to be created.
    let mut overlapped = false;
    for _ in 0..3000 {
        let assigned = assignments_by_login(&sim);
        let present: BTreeSet<String> = sim
            .snapshot_state()
            .users
            .iter()
            .filter_map(|u| u["profile"]["login"].as_str().map(str::to_owned))
            .collect();
        let missing = logins.iter().filter(|l| !present.contains(*l)).count();
        if logins.iter().any(|l| assigned.contains_key(l)) && missing > 0 {
            overlapped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().await.unwrap();
    child.wait().await.unwrap();
    sim.set_faults(Faults::default());
    assert!(overlapped, "assignments never ran beside the users' creates");

    let out = command(store.path()).args(args).output().await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["applied"]["app_users"]["failed"], 0, "{report}");
    let state = sim.snapshot_state();
    for login in &logins {
        let copies = state.users.iter().filter(|u| u["profile"]["login"] == *login).count();
        assert_eq!(copies, 1, "{login} exists once");
    }
    let assigned_after = assignments_by_login(&sim);
    for login in &logins {
        let mut before = assigned_before.get(login).cloned().unwrap_or_default();
        let mut after = assigned_after.get(login).cloned().unwrap_or_default();
        before.sort();
        after.sort();
        assert_eq!(before, after, "{login}'s direct assignments, each once");
    }
}
