use crate::support::*;

const MEMBER_LISTS: &str = "GET /api/v1/groups/{id}/users";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_one_membership_change_only_that_groups_members_are_listed_again() {
    let sim = start_sim(1_500, 21).await;
    let store = tempfile::tempdir().unwrap();
    let first = backup_with_token(store.path(), &sim).await;
    let groups = first["categories"]["groups"]["objects"].as_u64().unwrap();

    let state = sim.snapshot_state();
    let group = state.groups.iter().find(|g| g["type"] == "OKTA_GROUP").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let members = &state.group_members[&group];
    let newcomer = state
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE" && !members.iter().any(|m| m == u["id"].as_str().unwrap()))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add_member(&sim, &group, &newcomer).await;

    sim.reset_calls();
    let second = backup_with_token(store.path(), &sim).await;
    let pages_of_that_group = (members.len() + 1).div_ceil(1000) as u64;
    assert_eq!(
        sim.calls().get(MEMBER_LISTS),
        pages_of_that_group,
        "only the changed group's members were listed"
    );
    assert_eq!(second["categories"]["group_members"]["new_objects"], 1, "{second}");
    let view = open_store(store.path());
    let mut contents = view.contents(&snapshot_id(&second)).await;
    assert!(contents["group_members"].contains_key(&format!("{group}/{newcomer}")));
    assert_same_contents(&contents, &view.expected(&second, &sim).await);

    // --full lists every group's members again (the periodic safety net does the same).
    sim.reset_calls();
    let run = backup(store.path(), &sim, &["--full", "--token", &sim.api_token()]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert!(
        sim.calls().get(MEMBER_LISTS) >= groups,
        "a full refresh lists every group again"
    );
    // The same data; each snapshot keeps only the System Log events of its own window.
    let mut full = view.contents(&snapshot_id(&run.report)).await;
    assert!(
        full.remove("system_log").unwrap().is_empty(),
        "nothing was logged since the last snapshot"
    );
    contents.remove("system_log");
    assert_eq!(full, contents);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_membership_removed_since_the_last_snapshot_is_gone_from_the_next() {
    let sim = start_sim(600, 22).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let state = sim.snapshot_state();
    let group = state.groups.iter().find(|g| g["type"] == "OKTA_GROUP").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let leaving = state.group_members[&group][0].clone();
    let response = reqwest::Client::new()
        .delete(format!("{}/api/v1/groups/{group}/users/{leaving}", sim.url()))
        .header("Authorization", format!("SSWS {}", sim.api_token()))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let second = backup_with_token(store.path(), &sim).await;
    let view = open_store(store.path());
    let contents = view.contents(&snapshot_id(&second)).await;
    assert!(!contents["group_members"].contains_key(&format!("{group}/{leaving}")));
    assert_same_contents(&contents, &view.expected(&second, &sim).await);
}

const APP_USER_LISTS: &str = "GET /api/v1/apps/{id}/users";
const APP_GROUP_LISTS: &str = "GET /api/v1/apps/{id}/groups";

/// Calls to list `rows` objects in pages of `page` (an empty list is one call too).
fn pages(rows: usize, page: usize) -> u64 {
    rows.div_ceil(page).max(1) as u64
}

/// An app's label change moves its `lastUpdated`; an assignment change does not, but Okta logs it.
/// The next backup lists the assignments of exactly those two apps and carries every other app's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_one_assignment_and_one_app_change_only_those_apps_assignments_are_listed_again() {
    let sim = start_sim(1_500, 23).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;

    let state = sim.snapshot_state();
    let count = |rows: &std::collections::BTreeMap<String, Vec<serde_json::Value>>, app: &str| {
        rows.get(app).map_or(0, Vec::len)
    };
    let assigned_app = state
        .apps
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .find(|a| count(&state.app_users, a) > 0)
        .unwrap();
    let relabelled = state
        .apps
        .iter()
        .find(|a| a["id"] != assigned_app.as_str() && a["status"] == "ACTIVE")
        .unwrap()
        .clone();
    let relabelled_app = relabelled["id"].as_str().unwrap().to_owned();
    let holders: Vec<&str> = state.app_users[&assigned_app]
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    let newcomer = state
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE" && !holders.contains(&u["id"].as_str().unwrap()))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = reqwest::Client::new();
    let auth = format!("SSWS {}", sim.api_token());
    let response = api
        .post(format!("{}/api/v1/apps/{assigned_app}/users", sim.url()))
        .header("Authorization", &auth)
        .json(&serde_json::json!({ "id": newcomer, "scope": "USER" }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "assigning failed: {}",
        response.status()
    );
    let mut body = relabelled.clone();
    body["label"] = "Relabelled by the incremental test".into();
    let response = api
        .put(format!("{}/api/v1/apps/{relabelled_app}", sim.url()))
        .header("Authorization", &auth)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "relabelling failed: {}",
        response.status()
    );

    sim.reset_calls();
    let second = backup_with_token(store.path(), &sim).await;
    let state = sim.snapshot_state();
    let calls = sim.calls();
    assert_eq!(
        calls.get(APP_USER_LISTS),
        pages(count(&state.app_users, &assigned_app), 500) + pages(count(&state.app_users, &relabelled_app), 500),
        "only the two changed apps' users were listed: {calls:?}"
    );
    // A user assignment is not a group assignment: only the relabelled app's groups are listed.
    assert_eq!(
        calls.get(APP_GROUP_LISTS),
        pages(count(&state.app_groups, &relabelled_app), 200),
        "only the relabelled app's groups were listed: {calls:?}"
    );

    let view = open_store(store.path());
    let contents = view.contents(&snapshot_id(&second)).await;
    assert!(contents["app_users"].contains_key(&format!("{assigned_app}/{newcomer}")));
    assert_same_contents(&contents, &view.expected(&second, &sim).await);
    let logged: Vec<&str> = contents["system_log"]
        .values()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        logged.len(),
        2,
        "the snapshot keeps only the events since the last one: {logged:?}"
    );
    assert!(logged.contains(&"application.user_membership.add") && logged.contains(&"application.lifecycle.update"));
    assert_eq!(second["categories"]["system_log"]["objects"], 2, "{second}");
}

/// Without the System Log (scope not granted) nothing tells which apps' assignments changed: every
/// app's assignments are listed again rather than carried, so no change is missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_system_log_every_apps_assignments_are_listed_again() {
    let mut config = okta_sim::SimConfig::new(400, 24);
    config.rate.scale = 20.0;
    config.granted_scopes = okta_sim::DEFAULT_SCOPES
        .iter()
        .filter(|s| !s.starts_with("okta.logs."))
        .map(|s| s.to_string())
        .collect();
    let sim = okta_sim::start(config, 0).await.unwrap();
    let mut scopes: Vec<&str> = oktavault_shared::categories::CATEGORIES
        .iter()
        .map(|c| c.scope)
        .filter(|s| *s != "okta.logs.read")
        .collect();
    scopes.sort();
    scopes.dedup();
    let scopes = scopes.join(",");
    let (id, secret) = (sim.client_id(), sim.client_secret());
    let flags = ["--client-id", &id, "--client-secret", &secret, "--scopes", &scopes];
    let store = tempfile::tempdir().unwrap();
    let first = backup(store.path(), &sim, &flags).await;
    assert_eq!(first.code, Some(0), "{}", first.output);
    assert!(
        first.report["categories"]["system_log"]["skipped"].is_string(),
        "{}",
        first.report
    );

    sim.reset_calls();
    let second = backup(store.path(), &sim, &flags).await;
    assert_eq!(second.code, Some(0), "{}", second.output);
    let apps = sim.snapshot_state().apps.len() as u64;
    assert!(
        sim.calls().get(APP_USER_LISTS) >= apps,
        "every app's users were listed again"
    );
    assert!(
        sim.calls().get(APP_GROUP_LISTS) >= apps,
        "every app's groups were listed again"
    );
    let view = open_store(store.path());
    let lines = view.job_log(&second.report).await;
    assert!(
        lines
            .iter()
            .any(|l| l.category == "app_users" && l.message.contains("System Log")),
        "the job log says why everything was listed: {lines:?}"
    );
}

const FACTOR_LISTS: &str = "GET /api/v1/users/{userId}/factors";
const GROUP_ROLE_LISTS: &str = "GET /api/v1/groups/{groupId}/roles";

/// POSTs `body` to the simulator's admin API as an admin would, and returns the answer.
async fn admin_post(sim: &okta_sim::SimHandle, path: &str, body: serde_json::Value) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", sim.url()))
        .header("Authorization", format!("SSWS {}", sim.api_token()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer = response.text().await.unwrap();
    assert!(status.is_success(), "POST {path} failed: {status} {answer}");
    serde_json::from_str(&answer).unwrap()
}

/// Factors are listed one user at a time and group roles one group at a time. Neither change moves the user's
/// or the group's `lastUpdated`, but Okta logs both: the next backup lists the factors of exactly the user
/// who enrolled one, and the roles of exactly the group that was granted one, and carries every other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_factor_enrolment_and_a_group_role_grant_only_that_user_and_group_are_listed_again() {
    let sim = start_sim(1_500, 29).await;
    let store = tempfile::tempdir().unwrap();
    let first = backup_with_token(store.path(), &sim).await;
    let users = first["categories"]["users"]["objects"].as_u64().unwrap();
    let groups = first["categories"]["groups"]["objects"].as_u64().unwrap();
    assert!(
        sim.calls().get(FACTOR_LISTS) >= users,
        "a first backup lists every user's factors"
    );

    let state = sim.snapshot_state();
    let user = state.users.iter().find(|u| u["status"] == "ACTIVE").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = state.groups.iter().find(|g| g["type"] == "OKTA_GROUP").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let factor = admin_post(
        &sim,
        &format!("/api/v1/users/{user}/factors?activate=true"),
        serde_json::json!({ "factorType": "sms", "provider": "OKTA", "profile": { "phoneNumber": "+1-555-415-1337" } }),
    )
    .await;
    let role = admin_post(
        &sim,
        &format!("/api/v1/groups/{group}/roles"),
        serde_json::json!({ "type": "REPORT_ADMIN" }),
    )
    .await;

    sim.reset_calls();
    let second = backup_with_token(store.path(), &sim).await;
    let calls = sim.calls();
    assert_eq!(
        calls.get(FACTOR_LISTS),
        1,
        "only that user's factors were listed: {calls:?}"
    );
    assert_eq!(
        calls.get(GROUP_ROLE_LISTS),
        1,
        "only that group's roles were listed: {calls:?}"
    );

    let view = open_store(store.path());
    let contents = view.contents(&snapshot_id(&second)).await;
    let factor_id = factor["id"].as_str().unwrap();
    assert!(contents["user_factors"].contains_key(&format!("{user}/{factor_id}")));
    let role_id = role["id"].as_str().unwrap();
    assert!(contents["group_roles"].contains_key(&format!("{group}/{role_id}")));
    assert_same_contents(&contents, &view.expected(&second, &sim).await);

    // --full lists every user's factors and every group's roles again.
    sim.reset_calls();
    let full = backup(store.path(), &sim, &["--token", &sim.api_token(), "--full"]).await;
    assert_eq!(full.code, Some(0), "{}", full.output);
    assert!(sim.calls().get(FACTOR_LISTS) >= users);
    assert!(sim.calls().get(GROUP_ROLE_LISTS) >= groups);
}
