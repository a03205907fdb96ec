//! Paging: cursors, Link headers, DEPROVISIONED users, filters and page-size caps.

mod common;

use std::collections::BTreeSet;

use common::{get, ids, link, sim, sim_with, walk};
use serde_json::Value;

#[tokio::test]
async fn paging_walks_every_listed_user_exactly_once() {
    let sim = sim(450, 11).await;
    let (users, pages) = walk(&sim, "/api/v1/users?limit=100").await;
    let listed = ids(&users);
    let unique: BTreeSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "no user twice");
    let expected: Vec<String> = sim
        .snapshot_state()
        .users
        .iter()
        .filter(|u| u["status"] != "DEPROVISIONED")
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(pages, expected.len().div_ceil(100));
    assert!(
        users
            .iter()
            .all(|u| u["_links"].as_object().unwrap().keys().collect::<Vec<_>>() == ["self"])
    );
}

#[tokio::test]
async fn deprovisioned_users_appear_only_through_a_filter() {
    let sim = sim(400, 3).await;
    let (plain, _) = walk(&sim, "/api/v1/users").await;
    assert!(plain.iter().all(|u| u["status"] != "DEPROVISIONED"));
    let (gone, _) = walk(&sim, "/api/v1/users?filter=status%20eq%20%22DEPROVISIONED%22&limit=5").await;
    let expected: Vec<String> = sim
        .snapshot_state()
        .users
        .iter()
        .filter(|u| u["status"] == "DEPROVISIONED")
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(ids(&gone), expected);
}

#[tokio::test]
async fn cursor_is_opaque_and_a_garbled_or_foreign_one_is_refused() {
    let sim = sim(50, 1).await;
    let first = get(&sim, "/api/v1/users?limit=10").await;
    let next = link(&first, "next").expect("more than one page");
    let page: Vec<Value> = first.json().await.unwrap();
    let after = url::Url::parse(&next)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "after")
        .unwrap()
        .1
        .to_string();
    assert!(
        !after.contains(page.last().unwrap()["id"].as_str().unwrap()),
        "cursor must not be a plain id"
    );

    let bad = get(&sim, "/api/v1/users?after=garbage").await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000001");
    let foreign = get(&sim, &format!("/api/v1/groups?after={after}")).await;
    assert_eq!(foreign.status(), 400);
}

#[tokio::test]
async fn paging_stays_correct_while_users_are_created_and_deleted() {
    let sim = sim(120, 5).await;
    let client = common::client();
    let first = get(&sim, "/api/v1/users?limit=50").await;
    let mut next = link(&first, "next").unwrap();
    let mut seen = ids(&first.json::<Vec<Value>>().await.unwrap());
    // Between pages: a user already listed is deactivated and deleted, and a new one is created.
    let gone = seen[3].clone();
    for _ in 0..2 {
        let r = client
            .delete(format!("{}/api/v1/users/{gone}", sim.url()))
            .header("Authorization", common::ssws(&sim))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let created: Value = client
        .post(format!("{}/api/v1/users?activate=false", sim.url()))
        .header("Authorization", common::ssws(&sim))
        .json(&serde_json::json!({"profile": {"firstName": "New", "lastName": "Person", "email": "new.person@example.com", "login": "new.person@example.com"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    loop {
        let r = client
            .get(&next)
            .header("Authorization", common::ssws(&sim))
            .send()
            .await
            .unwrap();
        let following = link(&r, "next");
        seen.extend(ids(&r.json::<Vec<Value>>().await.unwrap()));
        match following {
            Some(n) => next = n,
            None => break,
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no user twice");
    assert_eq!(
        seen.last().unwrap(),
        created["id"].as_str().unwrap(),
        "the new user comes last"
    );
    let live: BTreeSet<String> = sim
        .snapshot_state()
        .users
        .iter()
        .filter(|u| u["status"] != "DEPROVISIONED")
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let seen_live: BTreeSet<String> = seen.iter().filter(|id| **id != gone).cloned().collect();
    assert_eq!(seen_live, live);
}

#[tokio::test]
async fn page_sizes_are_capped_and_bad_limits_refused() {
    let sim = sim(450, 2).await;
    let users: Vec<Value> = get(&sim, "/api/v1/users?limit=1000").await.json().await.unwrap();
    assert_eq!(users.len(), 200);
    assert_eq!(get(&sim, "/api/v1/users?limit=lots").await.status(), 400);
    let state = sim.snapshot_state();
    let app = state.app_groups.iter().max_by_key(|(_, rows)| rows.len()).unwrap().0;
    let groups: Vec<Value> = get(&sim, &format!("/api/v1/apps/{app}/groups?limit=1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        groups.len(),
        state.app_groups[app].len().min(20),
        "app groups page at least 20"
    );
}

#[tokio::test]
async fn group_members_and_app_assignments_page_completely() {
    // Pages of 3 over every app's users take more calls than the apps bucket allows in a minute.
    let mut config = okta_sim::SimConfig::new(600, 9);
    config.rate.enabled = false;
    let sim = sim_with(config).await;
    let state = sim.snapshot_state();
    let everyone = state.groups.iter().find(|g| g["type"] == "BUILT_IN").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (members, pages) = walk(&sim, &format!("/api/v1/groups/{everyone}/users?limit=100")).await;
    assert!(pages > 1);
    assert_eq!(ids(&members), state.group_members[&everyone]);
    assert!(
        members.iter().all(|m| m["profile"]["login"].is_string()),
        "members are User objects"
    );
    for (app, rows) in &state.app_users {
        let (listed, _) = walk(&sim, &format!("/api/v1/apps/{app}/users?limit=3")).await;
        assert_eq!(ids(&listed), ids(rows));
    }
    let (apps, _) = walk(&sim, "/api/v1/apps?limit=4").await;
    assert_eq!(ids(&apps), ids(&state.apps));
}

#[tokio::test]
async fn last_updated_filter_finds_changed_users_and_groups() {
    let sim = sim(200, 4).await;
    let client = common::client();
    let since = sim.timestamp_now();
    let user = &sim.snapshot_state().users[10];
    let id = user["id"].as_str().unwrap();
    let r = client
        .post(format!("{}/api/v1/users/{id}", sim.url()))
        .header("Authorization", common::ssws(&sim))
        .json(&serde_json::json!({"profile": {"title": "Chief Tester"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let changed: Vec<Value> = get(&sim, &format!("/api/v1/users?filter=lastUpdated%20gt%20%22{since}%22"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&changed), [id]);
    assert_eq!(changed[0]["profile"]["title"], "Chief Tester");
    assert_eq!(
        changed[0]["profile"]["login"], user["profile"]["login"],
        "partial update keeps other attributes"
    );

    let group = sim
        .snapshot_state()
        .groups
        .iter()
        .find(|g| g["type"] == "OKTA_GROUP")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other_user = sim.snapshot_state().users[20]["id"].as_str().unwrap().to_string();
    client
        .put(format!("{}/api/v1/groups/{group}/users/{other_user}", sim.url()))
        .header("Authorization", common::ssws(&sim))
        .send()
        .await
        .unwrap();
    let groups: Vec<Value> = get(
        &sim,
        &format!("/api/v1/groups?filter=lastMembershipUpdated%20gt%20%22{since}%22"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(ids(&groups).contains(&group));
    let bad = get(&sim, "/api/v1/users?filter=profile.department%20eq%20%22Sales%22").await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["errorCode"], "E0000031");
}
