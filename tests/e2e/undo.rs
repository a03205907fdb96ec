//! Undo of one logged admin change: the objects the System Log event names come back as the last snapshot before
//! the event held them, with their relationships, through the restore engine.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::restore::{RestoreRun, against_org, validating_sim};
use crate::support::*;

async fn undo(store: &std::path::Path, sim: &okta_sim::SimHandle, args: &[&str]) -> RestoreRun {
    against_org(store, sim, "undo", args).await
}

/// The uuid of the newest event of `event_type` naming `target` in the org's log, as Okta keeps it.
fn logged(sim: &okta_sim::SimHandle, event_type: &str, target: &str) -> String {
    sim.snapshot_state()
        .logs
        .iter()
        .rev()
        .find(|e| {
            e["eventType"] == event_type
                && e["target"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t["id"] == target))
        })
        .unwrap_or_else(|| panic!("no {event_type} event names {target}"))["uuid"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_of_a_logged_group_deletion_brings_the_group_back_with_its_members_and_rule() {
    let sim = validating_sim(60, 111).await;
    let (rule, group_id) = an_active_group_rule(&sim, |_| true).await;
    let state = sim.snapshot_state();
    let user = state.users.iter().find(|u| u["status"] == "ACTIVE").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add_member(&sim, &group_id, &user).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let name = admin(&sim, Method::GET, &format!("/api/v1/groups/{group_id}"), None).await["profile"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let members: BTreeSet<String> = sim.snapshot_state().group_members[&group_id].iter().cloned().collect();
    assert!(members.contains(&user));

    // The mistake, then the backup that keeps its System Log event.
    admin(&sim, Method::DELETE, &format!("/api/v1/groups/{group_id}"), None).await;
    let deletion = logged(&sim, "group.lifecycle.delete", &group_id);
    backup_with_token(store.path(), &sim).await;

    let plan = undo(store.path(), &sim, &[&deletion, "--dry-run"]).await;
    assert_eq!(plan.code, Some(0), "{}", plan.output);
    assert_eq!(plan.report["undo"]["event"]["event_type"], "group.lifecycle.delete");
    assert_eq!(
        plan.report["undo"]["targets"][0]["restores"],
        json!(format!("groups:{group_id}")),
        "{}",
        plan.report
    );
    let planned = &plan.report["restore"]["plan"]["categories"];
    assert_eq!(planned["groups"]["create"], 1, "{}", plan.report);
    assert_eq!(planned["group_members"]["create"].as_u64(), Some(members.len() as u64));
    assert_eq!(planned["group_rules"]["recreate"], 1, "{}", plan.report);
    assert!(
        !sim.snapshot_state()
            .groups
            .iter()
            .any(|g| g["profile"]["name"] == name.as_str()),
        "a dry run writes nothing"
    );

    let run = undo(store.path(), &sim, &[&deletion]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    let state = sim.snapshot_state();
    let back = state
        .groups
        .iter()
        .find(|g| g["profile"]["name"] == name.as_str())
        .expect("the group is back");
    let new_id = back["id"].as_str().unwrap();
    let now: BTreeSet<String> = state.group_members[new_id].iter().cloned().collect();
    assert!(
        now.is_superset(&members),
        "every member is back: {members:?} in {now:?}"
    );
    let rules = admin(&sim, Method::GET, "/api/v1/groups/rules", None).await;
    let recreated: Vec<&Value> = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["name"] == rule["name"])
        .collect();
    assert_eq!(recreated.len(), 1, "the rule exists once: {recreated:?}");
    assert_eq!(recreated[0]["status"], "ACTIVE");
    assert_eq!(
        recreated[0]["actions"]["assignUserToGroups"]["groupIds"],
        json!([new_id])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_refuses_with_the_reason_an_event_it_cannot_undo() {
    let sim = validating_sim(40, 112).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    // Made after the first snapshot: a group created (nothing to put back) and a profile edited (the event is
    // found, and the first snapshot precedes it).
    admin(
        &sim,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"profile": {"name": "Made after the snapshot"}})),
    )
    .await;
    let made = sim
        .snapshot_state()
        .groups
        .iter()
        .find(|g| g["profile"]["name"] == "Made after the snapshot")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let creation = logged(&sim, "group.lifecycle.create", &made);
    admin(&sim, Method::DELETE, &format!("/api/v1/groups/{made}"), None).await;
    let deletion = logged(&sim, "group.lifecycle.delete", &made);
    backup_with_token(store.path(), &sim).await;

    let refused = undo(store.path(), &sim, &[&creation, "--dry-run"]).await;
    assert_eq!(refused.code, Some(1));
    assert!(refused.output.contains("created its objects"), "{}", refused.output);

    // The group was made after the last snapshot before its deletion: nothing holds it.
    let refused = undo(store.path(), &sim, &[&deletion, "--dry-run"]).await;
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.output.contains("does not hold it") && refused.output.contains(&made),
        "{}",
        refused.output
    );

    // An event from the org's history before the first backup: no snapshot precedes it.
    let history = sim.snapshot_state().logs;
    let early = history
        .iter()
        .find(|e| {
            let kind = e["eventType"].as_str().unwrap();
            !kind.contains("create") && !kind.ends_with(".add")
        })
        .expect("the seeded history has an event that changed something")["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = undo(store.path(), &sim, &[&early, "--dry-run"]).await;
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.output.contains("no snapshot of the org finished before it"),
        "{}",
        refused.output
    );

    let unknown = undo(
        store.path(),
        &sim,
        &["00000000-0000-1100-0000-000000000000", "--dry-run"],
    )
    .await;
    assert_eq!(unknown.code, Some(1));
    assert!(unknown.output.contains("no snapshot of org"), "{}", unknown.output);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_puts_back_an_edited_policy_rule_and_an_app_assignment_a_script_removed() {
    let sim = validating_sim(40, 113).await;
    let sign_on = admin(&sim, Method::GET, "/api/v1/policies?type=OKTA_SIGN_ON", None).await;
    let sid = sign_on
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["system"] == false)
        .expect("a sign-on policy of the admin's")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rules = admin(&sim, Method::GET, &format!("/api/v1/policies/{sid}/rules"), None).await;
    let rule = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["system"] == false && r["actions"]["signon"]["session"]["maxSessionIdleMinutes"].is_number())
        .expect("a sign-on rule of the admin's")
        .clone();
    let rid = rule["id"].as_str().unwrap().to_owned();
    let rule_path = format!("/api/v1/policies/{sid}/rules/{rid}");
    let state = sim.snapshot_state();
    let (app, assignment) = state
        .app_users
        .iter()
        .find_map(|(app, rows)| {
            rows.iter()
                .find(|r| r["scope"] == "USER")
                .map(|r| (app.clone(), r.clone()))
        })
        .expect("an app with a direct user assignment");
    let user = assignment["id"].as_str().unwrap().to_owned();
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;

    // An admin edits the rule; a script removes the assignment.
    let own = |v: &Value| {
        oktavault_shared::categories::find("policy_rules")
            .unwrap()
            .stripped(v, oktavault_shared::categories::Write::Update)
    };
    let mut edited = own(&rule);
    edited["actions"]["signon"]["session"]["maxSessionIdleMinutes"] = json!(7);
    admin(&sim, Method::PUT, &rule_path, Some(edited)).await;
    admin(&sim, Method::DELETE, &format!("/api/v1/apps/{app}/users/{user}"), None).await;
    let rule_edit = logged(&sim, "policy.rule.update", &rid);
    let removal = logged(&sim, "application.user_membership.remove", &user);
    backup_with_token(store.path(), &sim).await;

    let run = undo(store.path(), &sim, &[&rule_edit]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(
        run.report["undo"]["targets"][0]["restores"],
        json!(format!("policy_rules:{sid}/{rid}")),
        "{}",
        run.report
    );
    let now = admin(&sim, Method::GET, &rule_path, None).await;
    assert_eq!(
        now["actions"]["signon"]["session"]["maxSessionIdleMinutes"],
        rule["actions"]["signon"]["session"]["maxSessionIdleMinutes"]
    );
    assert_eq!(own(&now), own(&rule), "the rule is as the snapshot held it");

    let run = undo(store.path(), &sim, &[&removal]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert!(
        sim.snapshot_state().app_users[&app]
            .iter()
            .any(|r| r["id"] == user.as_str()),
        "the assignment is back: {}",
        run.report
    );
}
