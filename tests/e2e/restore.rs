//! Restore: the real binary plans against the simulated org over HTTP and writes back what was lost, and the
//! simulator's state afterwards is compared with what the snapshot held.

use okta_sim::{PathFault, SimHandle};
use serde_json::{Value, json};

use crate::support::*;

/// Okta's management spec: the nearest ancestor of this crate holding `shared/okta/management-openapi.yaml` (a
/// worktree sits one level deeper than the main checkout).
pub(crate) fn spec_path() -> std::path::PathBuf {
    let crate_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .map(|dir| dir.join("shared/okta/management-openapi.yaml"))
        .find(|path| path.is_file())
        .expect("Okta's management spec in shared/okta above the repository")
}

/// A simulated org that refuses, as Okta does, every request body its spec does not allow: whatever a restore
/// sends must validate.
pub(crate) async fn validating_sim(users: usize, seed: u64) -> SimHandle {
    let mut config = okta_sim::SimConfig::new(users, seed).validating_requests(spec_path());
    config.rate.scale = 20.0;
    okta_sim::start(config, 0).await.expect("the simulator starts")
}

/// What one `oktavault --json restore` run printed.
pub(crate) struct RestoreRun {
    pub(crate) code: Option<i32>,
    pub(crate) report: Value,
    pub(crate) output: String,
}

pub(crate) async fn restore(store: &std::path::Path, sim: &SimHandle, args: &[&str]) -> RestoreRun {
    against_org(store, sim, "restore", args).await
}

/// One `oktavault --json COMMAND ARGS` run against the simulated org, with its token.
pub(crate) async fn against_org(store: &std::path::Path, sim: &SimHandle, command: &str, args: &[&str]) -> RestoreRun {
    let url = sim.url();
    let token = sim.api_token();
    let mut all = vec!["--json", command];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--org", &url, "--allow-local-org", "--token", &token]);
    let out = oktavault(store, &all).await;
    let output = text(&out);
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    RestoreRun {
        code: out.status.code(),
        report,
        output,
    }
}

/// Deletes a user for good, as an admin does: deactivate, then delete.
pub(crate) async fn delete_user(sim: &SimHandle, id: &str) {
    for _ in 0..2 {
        admin(sim, reqwest::Method::DELETE, &format!("/api/v1/users/{id}"), None).await;
    }
}

fn user_by_login(sim: &SimHandle, login: &str) -> Option<Value> {
    sim.snapshot_state()
        .users
        .into_iter()
        .find(|u| u["profile"]["login"].as_str() == Some(login))
}

/// An ACTIVE user in at least one Okta group (not Everyone) and assigned to at least one app directly.
fn well_connected_user(sim: &SimHandle) -> (Value, Vec<String>, Vec<String>) {
    let state = sim.snapshot_state();
    let okta_groups: Vec<&str> = state
        .groups
        .iter()
        .filter(|g| g["type"] == "OKTA_GROUP")
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    for user in state.users.iter().filter(|u| u["status"] == "ACTIVE") {
        let id = user["id"].as_str().unwrap();
        let groups: Vec<String> = state
            .group_members
            .iter()
            .filter(|(g, members)| okta_groups.contains(&g.as_str()) && members.iter().any(|m| m == id))
            .map(|(g, _)| g.clone())
            .collect();
        let apps: Vec<String> = state
            .app_users
            .iter()
            .filter(|(_, rows)| rows.iter().any(|r| r["id"] == id && r["scope"] == "USER"))
            .map(|(a, _)| a.clone())
            .collect();
        if !groups.is_empty() && !apps.is_empty() {
            return (user.clone(), groups, apps);
        }
    }
    panic!("the seeded org has no user with groups and direct app assignments")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_comes_back_staged_then_activated_with_its_memberships_and_assignments() {
    let sim = validating_sim(120, 91).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let (user, groups, apps) = well_connected_user(&sim);
    let (old_id, login) = (user["id"].as_str().unwrap(), user["profile"]["login"].as_str().unwrap());
    delete_user(&sim, old_id).await;
    assert!(user_by_login(&sim, login).is_none());

    let selector = format!("users:{login}");
    let run = restore(store.path(), &sim, &["latest", "--select", &selector]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(run.report["state"]["state"], "completed", "{}", run.report);

    let back = user_by_login(&sim, login).expect("the user is back");
    let new_id = back["id"].as_str().unwrap();
    assert_ne!(new_id, old_id, "Okta gives a recreated user a new id");
    assert_eq!(
        back["status"], "PROVISIONED",
        "created STAGED, then activated (the email is pending): {back}"
    );
    assert_eq!(back["profile"], user["profile"], "the profile is the snapshot's");
    let state = sim.snapshot_state();
    for group in &groups {
        assert!(
            state.group_members[group].iter().any(|m| m == new_id),
            "member of {group} again"
        );
    }
    for app in &apps {
        assert!(
            state.app_users[app].iter().any(|r| r["id"] == new_id),
            "assigned to {app} again"
        );
    }
    let applied = &run.report["applied"];
    assert_eq!(applied["users"]["created"], 1, "{}", run.report);
    assert_eq!(applied["group_members"]["created"], groups.len(), "{}", run.report);
    assert_eq!(applied["group_members"]["failed"], 0, "{}", run.report);

    // The same restore again creates nothing: the user is found by login (and the id map), its relationships exist.
    let again = restore(store.path(), &sim, &["latest", "--select", &selector]).await;
    assert_eq!(again.code, Some(0), "{}", again.output);
    let applied = &again.report["applied"];
    for category in ["users", "group_members", "app_users"] {
        assert_eq!(applied[category]["created"], 0, "{category}: {}", again.report);
        assert_eq!(applied[category]["failed"], 0, "{category}: {}", again.report);
    }
    let users_now = sim
        .snapshot_state()
        .users
        .iter()
        .filter(|u| u["profile"]["login"] == login)
        .count();
    assert_eq!(users_now, 1, "no duplicate user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_shows_the_plan_and_writes_nothing() {
    let sim = validating_sim(60, 92).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let (user, _, _) = well_connected_user(&sim);
    let old_id = user["id"].as_str().unwrap();
    delete_user(&sim, old_id).await;
    let before = sim.snapshot_state();

    let run = restore(
        store.path(),
        &sim,
        &["latest", "--select", &format!("users:{old_id}"), "--dry-run"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(sim.snapshot_state(), before, "a dry run writes nothing");
    let objects = run.report["objects"]
        .as_array()
        .expect("a dry run lists the planned objects");
    let planned_user = objects
        .iter()
        .find(|o| o["category"] == "users")
        .expect("the user is planned");
    assert_eq!(planned_user["action"], "create");
    assert_eq!(
        planned_user["source_id"], old_id,
        "named by its old id: the new one is not known yet"
    );
    assert!(
        objects
            .iter()
            .any(|o| o["category"] == "group_members" && o["action"] == "create"),
        "its memberships are planned too: {objects:?}"
    );
    assert_eq!(run.report["plan"]["dry_run"], true);

    let human = oktavault(
        store.path(),
        &[
            "restore",
            "latest",
            "--select",
            &format!("users:{old_id}"),
            "--dry-run",
            "--org",
            &sim.url(),
            "--allow-local-org",
            "--token",
            &sim.api_token(),
        ],
    )
    .await;
    let shown = text(&human);
    assert!(shown.contains("create") && shown.contains(old_id), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_group_comes_back_with_a_new_id_its_members_and_its_app_assignments() {
    let sim = validating_sim(80, 93).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let state = sim.snapshot_state();
    let group = state
        .groups
        .iter()
        .filter(|g| g["type"] == "OKTA_GROUP")
        .find(|g| {
            let id = g["id"].as_str().unwrap();
            !state.group_members[id].is_empty()
                && state.app_groups.values().any(|rows| rows.iter().any(|r| r["id"] == id))
        })
        .expect("a group with members and an app assignment")
        .clone();
    let old_id = group["id"].as_str().unwrap();
    let members = state.group_members[old_id].clone();
    let apps: Vec<String> = state
        .app_groups
        .iter()
        .filter(|(_, rows)| rows.iter().any(|r| r["id"] == old_id))
        .map(|(a, _)| a.clone())
        .collect();
    admin(&sim, reqwest::Method::DELETE, &format!("/api/v1/groups/{old_id}"), None).await;

    let name = group["profile"]["name"].as_str().unwrap();
    let run = restore(store.path(), &sim, &["latest", "--select", &format!("groups:{name}")]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    let state = sim.snapshot_state();
    let back = state
        .groups
        .iter()
        .find(|g| g["profile"]["name"] == name)
        .expect("the group is back");
    let new_id = back["id"].as_str().unwrap();
    assert_ne!(new_id, old_id);
    // Every member is back; the group's rule, recreated and active again, may add the users it matches besides.
    let now: std::collections::BTreeSet<&String> = state.group_members[new_id].iter().collect();
    let was: std::collections::BTreeSet<&String> = members.iter().collect();
    assert!(now.is_superset(&was), "every member is back: {was:?} in {now:?}");
    for app in &apps {
        assert!(
            state.app_groups[app].iter().any(|r| r["id"] == new_id),
            "the assignment to {app} points at the new group"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_object_okta_refuses_fails_alone_and_the_job_completes_with_errors() {
    let sim = validating_sim(80, 94).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let state = sim.snapshot_state();
    let (group_id, members) = state
        .group_members
        .iter()
        .filter(|(g, m)| m.len() >= 3 && state.groups.iter().any(|x| x["id"] == **g && x["type"] == "OKTA_GROUP"))
        .map(|(g, m)| (g.clone(), m.clone()))
        .next()
        .expect("an Okta group with members");
    // Two members leave the group; adding one of them back is refused.
    for member in &members[..2] {
        admin(
            &sim,
            reqwest::Method::DELETE,
            &format!("/api/v1/groups/{group_id}/users/{member}"),
            None,
        )
        .await;
    }
    sim.fail_path(PathFault::error(
        format!("/api/v1/groups/{group_id}/users/{}", members[0]),
        400,
        "E0000001",
        "Api validation failed: the simulator refuses this one",
    ));
    let run = restore(
        store.path(),
        &sim,
        &["latest", "--select", &format!("groups:{group_id}")],
    )
    .await;
    assert_eq!(run.code, Some(2), "Completed With Errors: {}", run.output);
    assert_eq!(run.report["state"]["state"], "completed_with_errors");
    let failures = run.report["failures"].as_array().unwrap();
    let failed: Vec<&Value> = failures.iter().filter(|l| l["outcome"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{failures:?}");
    assert!(
        failed[0]["message"]
            .as_str()
            .unwrap()
            .contains("the simulator refuses this one"),
        "the log says why: {failed:?}"
    );
    let now = &sim.snapshot_state().group_members[&group_id];
    assert!(now.contains(&members[1]), "the other member is back");
    assert!(!now.contains(&members[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_only_categories_and_unknown_names_are_refused_before_any_job() {
    let sim = validating_sim(30, 95).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let run = restore(store.path(), &sim, &["latest", "--select", "devices"]).await;
    assert_eq!(run.code, Some(1));
    assert!(run.output.contains("download-only"), "{}", run.output);
    let run = restore(
        store.path(),
        &sim,
        &["latest", "--select", "users:nobody@nowhere.example"],
    )
    .await;
    assert_eq!(run.code, Some(1));
    assert!(run.output.contains("no users object"), "{}", run.output);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mass_overwrite_is_held_by_the_guardrail_until_confirmed() {
    let sim = validating_sim(100, 96).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let state = sim.snapshot_state();
    let changed: Vec<Value> = state
        .users
        .iter()
        .filter(|u| u["status"] == "ACTIVE")
        .take(15)
        .cloned()
        .collect();
    for user in &changed {
        let mut profile = user["profile"].clone();
        profile["title"] = json!("Changed by a script gone wrong");
        admin(
            &sim,
            reqwest::Method::POST,
            &format!("/api/v1/users/{}", user["id"].as_str().unwrap()),
            Some(json!({"profile": profile})),
        )
        .await;
    }
    let live = sim.snapshot_state().users.len();
    let held = restore(
        store.path(),
        &sim,
        &["latest", "--select", "users", "--on-conflict", "overwrite"],
    )
    .await;
    assert_eq!(held.code, Some(1), "{}", held.output);
    let error = held.report["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("15 of the {live} live users")) && error.contains("--yes"),
        "{}",
        held.report
    );
    assert!(
        sim.snapshot_state()
            .users
            .iter()
            .filter(|u| u["profile"]["title"] == "Changed by a script gone wrong")
            .count()
            == 15,
        "nothing was written"
    );

    // Confirmed the way the HTTP API confirms: with the held plan's token. A token of another plan confirms nothing.
    let token = held.report["plan"]["confirmation_token"]
        .as_str()
        .expect("a held plan has a token")
        .to_owned();
    assert!(error.contains(&token), "the message names the token: {error}");
    let confirm = |token: String| {
        let (store, sim) = (store.path().to_owned(), &sim);
        async move {
            let args = [
                "latest",
                "--select",
                "users",
                "--on-conflict",
                "overwrite",
                "--confirm",
                &token,
            ];
            restore(&store, sim, &args).await
        }
    };
    let wrong = confirm("0123456789abcdef01234567".into()).await;
    assert_eq!(wrong.code, Some(1), "{}", wrong.output);
    assert!(
        wrong.report["plan"]["notes"].to_string().contains("is not this plan's"),
        "{}",
        wrong.report
    );
    let confirmed = confirm(token).await;
    assert_eq!(confirmed.code, Some(0), "{}", confirmed.output);
    assert_eq!(
        confirmed.report["applied"]["users"]["updated"], 15,
        "{}",
        confirmed.report
    );
    let state = sim.snapshot_state();
    for user in &changed {
        let now = state.users.iter().find(|u| u["id"] == user["id"]).unwrap();
        assert_eq!(
            now["profile"], user["profile"],
            "overwritten with the snapshot's profile"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_killed_in_the_middle_of_applying_continues_and_creates_each_object_once() {
    use okta_sim::Faults;
    use oktavault_shared::ports::{Catalog, JobKind};

    let sim = validating_sim(100, 97).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let deleted: Vec<Value> = sim.snapshot_state().users.into_iter().take(70).collect();
    for user in &deleted {
        delete_user(&sim, user["id"].as_str().unwrap()).await;
    }
    let (url, token) = (sim.url(), sim.api_token());
    let args = [
        "--json",
        "restore",
        "latest",
        "--select",
        "users",
        "--no-relationships",
        "--yes",
        "--org",
        &url,
        "--allow-local-org",
        "--token",
        &token,
    ];
    // Slow calls down so the kill lands while users are being created.
    sim.set_faults(Faults {
        latency_ms: 25,
        ..Faults::default()
    });
    let view = open_store(store.path());
    let mut child = command(store.path()).args(args).spawn().unwrap();
    let job = 'wait: {
        for _ in 0..1200 {
            for org in view.catalog.list_orgs().await.unwrap_or_default() {
                for job in view.catalog.list_jobs(&org.org_id, None).await.unwrap_or_default() {
                    let progress = view.catalog.load_progress(&job.job_id).await.unwrap_or_default();
                    if job.kind == JobKind::Restore && progress.get("users").is_some_and(|p| p.pages >= 1 && !p.done) {
                        break 'wait job;
                    }
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the restore never saved a position in users");
    };
    // A few more users are created after the saved position before the process dies.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    child.kill().await.unwrap();
    child.wait().await.unwrap();
    sim.set_faults(Faults::default());
    let partly = sim.snapshot_state().users.len();
    assert!(partly > 30 + 50 && partly < 100, "killed in the middle: {partly} users");

    let out = command(store.path()).args(args).output().await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["job_id"],
        job.job_id.as_str(),
        "the same restore continued the interrupted job"
    );
    let state = sim.snapshot_state();
    for user in &deleted {
        let login = &user["profile"]["login"];
        let copies = state.users.iter().filter(|u| u["profile"]["login"] == *login).count();
        assert_eq!(copies, 1, "{login} exists once");
    }
    let users = &report["applied"]["users"];
    assert_eq!(
        users["created"].as_u64().unwrap() + users["matched"].as_u64().unwrap(),
        70,
        "every deleted user was created once, or found created by the killed run: {report}"
    );
    assert_eq!(users["failed"], 0, "{report}");
}
