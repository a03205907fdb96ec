//! Daily backups of large orgs read only what changed: users are listed by `lastUpdated`, the rest carried whole
//! from the previous snapshot; deleted users are named by the System Log, which one query per job reads.

use serde_json::Value;

use crate::support::*;

const USER_LISTS: &str = "GET /api/v1/users";
const FACTOR_LISTS: &str = "GET /api/v1/users/{userId}/factors";
const LOG_READS: &str = "GET /api/v1/logs";

/// `oktavault --json diff A B`'s entry for `category`.
async fn diffed(store: &std::path::Path, first: &Value, second: &Value, category: &str) -> Value {
    let (a, b) = (
        first["snapshot_id"].as_str().unwrap(),
        second["snapshot_id"].as_str().unwrap(),
    );
    let out = oktavault(store, &["--json", "diff", a, b]).await;
    assert!(out.status.success(), "{}", text(&out));
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    diff["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == category)
        .cloned()
        .unwrap_or_else(|| panic!("{category} is not in the diff: {diff}"))
}

/// After one user's profile change and another user's deletion, the next backup lists users once (only the
/// changed one comes back from `filter=lastUpdated gt`), lists only the changed user's factors, reads the System
/// Log twice (the `system_log` category's events, and one query for every incremental category), and still holds
/// every user: the carried ones are the previous snapshot's objects, the deleted one is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_backup_lists_only_the_changed_user_carries_the_others_and_leaves_out_the_deleted_one() {
    let sim = start_sim(1_500, 31).await;
    let store = tempfile::tempdir().unwrap();
    let first = backup_with_token(store.path(), &sim).await;
    let users_before = first["categories"]["users"]["objects"].as_u64().unwrap();

    let state = sim.snapshot_state();
    let changed = retitle_an_active_user(&sim, &state).await;
    let active = |u: &&Value| u["status"] == "ACTIVE" && u["id"] != changed.as_str();
    let deleted = state.users.iter().filter(active).nth(3).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let carried = state.users.iter().filter(active).nth(7).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    deactivate_and_delete(&sim, &format!("/api/v1/users/{deleted}")).await;

    sim.reset_calls();
    let second = backup_with_token(store.path(), &sim).await;
    let calls = sim.calls();
    assert_eq!(calls.get(USER_LISTS), 1, "one page of changed users: {calls:?}");
    assert_eq!(calls.get(FACTOR_LISTS), 1, "only the changed user's factors: {calls:?}");
    // The system_log category's events, and one read for every incremental category (app assignments, factors,
    // group roles, deleted users): one page each.
    assert_eq!(
        calls.get(LOG_READS),
        2,
        "the log is read twice, not once per category: {calls:?}"
    );
    assert_eq!(second["categories"]["users"]["objects"], users_before - 1, "{second}");
    assert_eq!(second["categories"]["users"]["new_objects"], 1, "{second}");

    // The snapshot is whole: what the simulator holds now, carried users included.
    let view = open_store(store.path());
    let contents = view.contents(&snapshot_id(&second)).await;
    assert!(!contents["users"].contains_key(&deleted));
    assert_eq!(
        contents["users"][&changed]["profile"]["title"], "Chief Restore Officer",
        "the changed user is the listed version"
    );
    assert_same_contents(&contents, &view.expected(&second, &sim).await);

    // A carried user is the same object for show and diff.
    let out = oktavault(store.path(), &["--json", "show", "latest", "users", &carried]).await;
    assert!(out.status.success(), "{}", text(&out));
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["object"]["id"], carried.as_str(), "{shown}");
    let users = diffed(store.path(), &first, &second, "users").await;
    assert_eq!(users["removed"], serde_json::json!([deleted]), "{users}");
    let ids: Vec<&str> = users["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [changed.as_str()], "{users}");
}

/// Without the System Log a deleted user could not be told from a carried one: every user is listed again (both
/// passes, DEPROVISIONED included), and the job log says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_system_log_every_user_is_listed_again_and_the_job_log_says_why() {
    let mut config = okta_sim::SimConfig::new(300, 32);
    config.rate.scale = 20.0;
    config.granted_scopes = okta_sim::DEFAULT_SCOPES
        .iter()
        .filter(|s| !s.starts_with("okta.logs."))
        .map(|s| s.to_string())
        .collect();
    let sim = okta_sim::start(config, 0).await.unwrap();
    let scopes = "okta.users.read";
    let (id, secret) = (sim.client_id(), sim.client_secret());
    let flags = [
        "--client-id",
        &id,
        "--client-secret",
        &secret,
        "--scopes",
        scopes,
        "--categories",
        "users",
    ];
    let store = tempfile::tempdir().unwrap();
    let first = backup(store.path(), &sim, &flags).await;
    assert_eq!(first.code, Some(0), "{}", first.output);
    let state = sim.snapshot_state();
    let gone = state.users.iter().find(|u| u["status"] == "ACTIVE").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    deactivate_and_delete(&sim, &format!("/api/v1/users/{gone}")).await;

    sim.reset_calls();
    let second = backup(store.path(), &sim, &flags).await;
    assert_eq!(second.code, Some(0), "{}", second.output);
    // 300 users at 200 a page, and the DEPROVISIONED pass.
    assert!(sim.calls().get(USER_LISTS) >= 3, "{:?}", sim.calls());
    let view = open_store(store.path());
    let contents = view.contents(&snapshot_id(&second.report)).await;
    assert!(!contents["users"].contains_key(&gone));
    assert_eq!(contents["users"].len(), sim.snapshot_state().users.len());
    let lines = view.job_log(&second.report).await;
    assert!(
        lines
            .iter()
            .any(|l| l.category == "users" && l.message.contains("System Log")),
        "the job log says why every user was listed: {lines:?}"
    );
}

const LINK_READS: &str = "GET /api/v1/users/{userIdOrLogin}/linkedObjects/{relationshipName}";

/// `oktavault --json ls latest`'s row for `category`.
async fn listed_row(store: &std::path::Path, category: &str) -> Value {
    let out = oktavault(store, &["--json", "ls", "latest"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let tree: Value = serde_json::from_slice(&out.stdout).unwrap();
    tree["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == category)
        .cloned()
        .unwrap_or_else(|| panic!("{category} is not in the snapshot: {tree}"))
}

/// Linked-object values have no change signal (no System Log event; the spec does not say a link moves the user's
/// `lastUpdated`), so they are read on a cadence in time. Within it, a backup after one user change, one user
/// deletion and one link change reads no value and records them "as of" the snapshot that read them (shown by
/// `ls`); at the end of the cadence every (user, relationship) pair is read again and the link change is in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linked_object_values_are_carried_as_of_their_last_read_within_the_cadence_and_read_again_at_its_end() {
    let sim = start_sim(400, 33).await;
    let store = tempfile::tempdir().unwrap();
    let url = sim.url();
    let token = sim.api_token();
    let flags = ["--token", token.as_str(), "--categories", "linked_object_values"];
    let first = backup(store.path(), &sim, &flags).await;
    assert_eq!(first.code, Some(0), "{}", first.output);
    let definitions = first.report["categories"]["linked_object_definitions"]["objects"]
        .as_u64()
        .unwrap();
    assert!(
        definitions > 0,
        "the seeded org defines relationships: {}",
        first.report
    );

    let state = sim.snapshot_state();
    let changed = retitle_an_active_user(&sim, &state).await;
    let active: Vec<&str> = state
        .users
        .iter()
        .filter(|u| u["status"] == "ACTIVE" && u["id"] != changed.as_str())
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    let deleted = active[3];
    deactivate_and_delete(&sim, &format!("/api/v1/users/{deleted}")).await;
    let relationship = admin(
        &sim,
        reqwest::Method::GET,
        "/api/v1/meta/schemas/user/linkedObjects",
        None,
    )
    .await[0]["primary"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let (subordinate, manager) = (active[5], active[6]);
    let link = format!("/api/v1/users/{subordinate}/linkedObjects/{relationship}/{manager}");
    admin(&sim, reqwest::Method::PUT, &link, None).await;
    let new_link = format!("{subordinate}/{relationship}/{manager}");

    // Within the cadence: no value is read; they are carried as of the first snapshot.
    sim.reset_calls();
    let second = backup(store.path(), &sim, &flags).await;
    assert_eq!(second.code, Some(0), "{}", second.output);
    let calls = sim.calls();
    assert_eq!(calls.get(LINK_READS), 0, "no value read within the cadence: {calls:?}");
    assert_eq!(calls.get(USER_LISTS), 1, "one page of changed users: {calls:?}");
    let row = listed_row(store.path(), "linked_object_values").await;
    assert_eq!(row["as_of"]["snapshot_id"], first.report["snapshot_id"], "{row}");
    let shown = text(&oktavault(store.path(), &["ls", "latest"]).await);
    assert!(shown.contains("as of"), "ls says the values are carried: {shown}");
    let out = oktavault(store.path(), &["--json", "snapshots"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let timeline: Value = serde_json::from_slice(&out.stdout).unwrap();
    let newest = &timeline["snapshots"][0];
    assert_eq!(newest["snapshot_id"], second.report["snapshot_id"], "{timeline}");
    assert_eq!(
        newest["as_of"]["linked_object_values"]["snapshot_id"], first.report["snapshot_id"],
        "the timeline says the values are carried: {timeline}"
    );
    let view = open_store(store.path());
    let carried = view.contents(&snapshot_id(&second.report)).await;
    assert!(
        !carried["linked_object_values"].contains_key(&new_link),
        "the link change waits for the next read"
    );
    assert!(
        carried["linked_object_values"]
            .keys()
            .all(|id| !id.split('/').any(|part| part == deleted)),
        "the deleted user's links go with it"
    );

    // At the end of the cadence (here: every backup), every pair is read again.
    let set = oktavault(store.path(), &["org", "set", &url, "--linked-objects-every-days", "0"]).await;
    assert!(set.status.success(), "{}", text(&set));
    sim.reset_calls();
    let third = backup(store.path(), &sim, &flags).await;
    assert_eq!(third.code, Some(0), "{}", third.output);
    let users = third.report["categories"]["users"]["objects"].as_u64().unwrap();
    let calls = sim.calls();
    assert_eq!(
        calls.get(LINK_READS),
        users * definitions,
        "every (user, relationship) pair: {calls:?}"
    );
    assert_eq!(calls.get(USER_LISTS), 1, "users are still listed by change: {calls:?}");
    let row = listed_row(store.path(), "linked_object_values").await;
    assert!(row.get("as_of").is_none(), "read by this snapshot: {row}");
    let out = oktavault(store.path(), &["--json", "snapshots"]).await;
    let timeline: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(timeline["snapshots"][0].get("as_of").is_none(), "{timeline}");
    let read = view.contents(&snapshot_id(&third.report)).await;
    assert!(read["linked_object_values"].contains_key(&new_link));
    let mut expected = view.expected(&third.report, &sim).await;
    expected.retain(|category, _| read.contains_key(category));
    assert_same_contents(&read, &expected);
}
