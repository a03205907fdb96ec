use crate::support::*;

const MEMBER_LISTS: &str = "GET /api/v1/groups/{id}/users";

/// Adds `user` to `group` through the Okta API, as an admin would; Okta moves the group's
/// `lastMembershipUpdated` (and not its `lastUpdated`).
async fn add_member(sim: &okta_sim::SimHandle, group: &str, user: &str) {
    let response = reqwest::Client::new()
        .put(format!("{}/api/v1/groups/{group}/users/{user}", sim.url()))
        .header("Authorization", format!("SSWS {}", sim.api_token()))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "adding a member failed: {}",
        response.status()
    );
}

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
    let contents = view.contents(&snapshot_id(&second)).await;
    assert!(contents["group_members"].contains_key(&format!("{group}/{newcomer}")));
    assert_same_contents(&contents, &expected_contents(&sim.snapshot_state()));

    // --full lists every group's members again (the periodic safety net does the same).
    sim.reset_calls();
    let out = oktavault(
        store.path(),
        &[
            "--json",
            "backup",
            "--full",
            "--org",
            &sim.url(),
            "--token",
            &sim.api_token(),
            "--allow-local-org",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        sim.calls().get(MEMBER_LISTS) >= groups,
        "a full refresh lists every group again"
    );
    let third: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(view.contents(&snapshot_id(&third)).await, contents);
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
    let contents = open_store(store.path()).contents(&snapshot_id(&second)).await;
    assert!(!contents["group_members"].contains_key(&format!("{group}/{leaving}")));
    assert_same_contents(&contents, &expected_contents(&sim.snapshot_state()));
}
