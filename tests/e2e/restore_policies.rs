//! Restore of the catalog-driven categories: group rules, policies and their rules, network zones, authorization
//! servers with their scopes, claims, policies and rules. The real binary plans against a simulated org that
//! validates every request body against Okta's spec, and the org is read back over HTTP afterwards.

use std::collections::BTreeSet;

use oktavault_shared::categories::{Write, find};
use reqwest::Method;
use serde_json::{Value, json};

use crate::restore::{restore, validating_sim};
use crate::support::*;

async fn get(sim: &okta_sim::SimHandle, path: &str) -> Value {
    admin(sim, Method::GET, path, None).await
}

fn list(value: Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

/// What a restore writes of an object of `category`: its own attributes, as the catalog strips them for an update.
fn own(category: &str, object: &Value) -> Value {
    find(category).unwrap().stripped(object, Write::Update)
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Replaces the live object at `path` (a policy or policy rule of `category`) with `edit` of its own attributes.
async fn edit(sim: &okta_sim::SimHandle, category: &str, path: &str, change: impl FnOnce(&mut Value)) {
    let mut body = own(category, &get(sim, path).await);
    change(&mut body);
    admin(sim, Method::PUT, path, Some(body)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_group_comes_back_with_its_members_its_app_assignment_and_its_rule_recreated_active() {
    let sim = validating_sim(60, 101).await;
    let (rule, group_id) = an_active_group_rule(&sim, |_| true).await;
    // The group has a direct member and an app assignment when the snapshot is taken.
    let state = sim.snapshot_state();
    let user = state.users.iter().find(|u| u["status"] == "ACTIVE").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add_member(&sim, &group_id, &user).await;
    let app = state
        .app_groups
        .iter()
        .find(|(_, rows)| !rows.is_empty())
        .unwrap()
        .0
        .clone();
    admin(
        &sim,
        Method::PUT,
        &format!("/api/v1/apps/{app}/groups/{group_id}"),
        Some(json!({"priority": 0})),
    )
    .await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let group = get(&sim, &format!("/api/v1/groups/{group_id}")).await;
    let members: BTreeSet<String> = sim.snapshot_state().group_members[&group_id].iter().cloned().collect();
    assert!(members.contains(&user));

    admin(&sim, Method::DELETE, &format!("/api/v1/groups/{group_id}"), None).await;
    let rule_id = rule["id"].as_str().unwrap();
    assert_eq!(
        get(&sim, &format!("/api/v1/groups/rules/{rule_id}")).await["status"],
        "INVALID"
    );

    let name = group["profile"]["name"].as_str().unwrap();
    let plan = restore(
        store.path(),
        &sim,
        &["latest", "--select", &format!("groups:{name}"), "--dry-run"],
    )
    .await;
    assert_eq!(plan.code, Some(0), "{}", plan.output);
    assert_eq!(
        plan.report["plan"]["categories"]["group_rules"]["recreate"], 1,
        "{}",
        plan.report
    );

    let run = restore(store.path(), &sim, &["latest", "--select", &format!("groups:{name}")]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(run.report["applied"]["group_rules"]["created"], 1, "{}", run.report);
    let state = sim.snapshot_state();
    let back = state
        .groups
        .iter()
        .find(|g| g["profile"]["name"] == name)
        .expect("the group is back");
    let new_id = back["id"].as_str().unwrap();
    assert_ne!(new_id, group_id);
    let now: BTreeSet<String> = state.group_members[new_id].iter().cloned().collect();
    assert!(
        now.is_superset(&members),
        "every member is back: {members:?} in {now:?}"
    );
    assert!(
        state.app_groups[&app].iter().any(|r| r["id"] == new_id),
        "the app assignment names the new group"
    );

    let rules: Vec<Value> = list(get(&sim, "/api/v1/groups/rules").await)
        .into_iter()
        .filter(|r| r["name"] == rule["name"])
        .collect();
    assert_eq!(rules.len(), 1, "the rule exists once: {rules:?}");
    let recreated = &rules[0];
    assert_ne!(recreated["id"], rule["id"], "created again, with a new id");
    assert_eq!(recreated["status"], "ACTIVE", "active again, as it was");
    assert_eq!(recreated["actions"]["assignUserToGroups"]["groupIds"], json!([new_id]));
    assert_eq!(recreated["conditions"]["people"], rule["conditions"]["people"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memberships_of_a_rule_assigned_group_are_marked_and_with_leave_rule_memberships_left_to_the_rule() {
    let sim = validating_sim(80, 103).await;
    let (rule, group_id) = an_active_group_rule(&sim, |r| {
        r["conditions"]["expression"]["value"]
            .as_str()
            .is_some_and(|e| e.starts_with("user.department==") && !e.contains(" AND "))
    })
    .await;
    let department = rule["conditions"]["expression"]["value"]
        .as_str()
        .unwrap()
        .split('"')
        .nth(1)
        .unwrap()
        .to_owned();
    let excluded = strings(&rule["conditions"]["people"]["users"]["exclude"]);
    let state = sim.snapshot_state();
    // A member an admin added by hand, whom the rule does not match.
    let direct = state
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE" && u["profile"]["department"] != department.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add_member(&sim, &group_id, &direct).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let name = get(&sim, &format!("/api/v1/groups/{group_id}")).await["profile"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    admin(&sim, Method::DELETE, &format!("/api/v1/groups/{group_id}"), None).await;
    let select = format!("groups:{group_id}");

    // By default every member comes back, and the plan says what that means for each.
    let plan = restore(store.path(), &sim, &["latest", "--select", &select, "--dry-run"]).await;
    assert_eq!(plan.code, Some(0), "{}", plan.output);
    let memberships: Vec<&Value> = plan.report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["category"] == "group_members")
        .collect();
    assert!(!memberships.is_empty());
    for m in &memberships {
        assert_eq!(m["action"], "create", "{m}");
        assert!(m["notes"].to_string().contains("outlives the rule"), "{m}");
    }

    // Left to the rule: no membership is written, and the rule, active again, adds the users it matches.
    let run = restore(
        store.path(),
        &sim,
        &["latest", "--select", &select, "--leave-rule-memberships"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(run.report["applied"]["group_members"]["created"], 0, "{}", run.report);
    assert_eq!(run.report["plan"]["leave_rule_memberships"], true);
    let state = sim.snapshot_state();
    let new_id = state
        .groups
        .iter()
        .find(|g| g["profile"]["name"] == name.as_str())
        .expect("the group is back")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let expected: BTreeSet<String> = state
        .users
        .iter()
        .filter(|u| u["status"] != "DEPROVISIONED" && u["profile"]["department"] == department.as_str())
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .filter(|id| !excluded.contains(id))
        .collect();
    assert!(!expected.is_empty());
    let members: BTreeSet<String> = state.group_members[&new_id].iter().cloned().collect();
    assert_eq!(members, expected, "the rule's users, and not the hand-added {direct}");
}

/// What an admin does to the password policy and the sign-on rule: a value changed, a value removed, an id list
/// replaced.
async fn damage(sim: &okta_sim::SimHandle, password_path: &str, rule_path: &str, group: &str, user: &str) {
    edit(sim, "policies", password_path, |p| {
        p["settings"]["password"]["complexity"]["minLength"] = json!(4);
        p.as_object_mut().unwrap().remove("description");
        p["conditions"]["people"]["groups"]["include"] = json!([group]);
    })
    .await;
    edit(sim, "policy_rules", rule_path, |r| {
        r["actions"]["signon"]["session"]["maxSessionIdleMinutes"] = json!(30);
        r["actions"]["signon"].as_object_mut().unwrap().remove("factorLifetime");
        r["conditions"]["people"]["users"]["exclude"] = json!([user]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_password_policy_and_sign_on_rule_are_merged_then_overwritten_as_documented() {
    let sim = validating_sim(40, 102).await;
    let password = list(get(&sim, "/api/v1/policies?type=PASSWORD").await)
        .into_iter()
        .find(|p| p["system"] == false)
        .expect("a password policy of the admin's");
    let sign_on = list(get(&sim, "/api/v1/policies?type=OKTA_SIGN_ON").await)
        .into_iter()
        .find(|p| p["system"] == false)
        .expect("a sign-on policy of the admin's");
    let (pid, sid) = (password["id"].as_str().unwrap(), sign_on["id"].as_str().unwrap());
    let rule = list(get(&sim, &format!("/api/v1/policies/{sid}/rules")).await)
        .into_iter()
        .find(|r| r["system"] == false && r["actions"]["signon"]["factorLifetime"].is_number())
        .expect("a sign-on rule of the admin's with a factor lifetime");
    let rid = rule["id"].as_str().unwrap();
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;

    let state = sim.snapshot_state();
    let included = strings(&password["conditions"]["people"]["groups"]["include"]);
    let other_group = state
        .groups
        .iter()
        .filter(|g| g["type"] == "OKTA_GROUP")
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .find(|g| !included.contains(g))
        .unwrap();
    let excluded = strings(&rule["conditions"]["people"]["users"]["exclude"]);
    let other_user = state
        .users
        .iter()
        .filter(|u| u["status"] == "ACTIVE")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .find(|u| !excluded.contains(u))
        .unwrap();
    let password_path = format!("/api/v1/policies/{pid}");
    let rule_path = format!("/api/v1/policies/{sid}/rules/{rid}");
    damage(&sim, &password_path, &rule_path, &other_group, &other_user).await;
    let selection = [
        "latest",
        "--select",
        &format!("policies:{pid}"),
        "--select",
        &format!("policy_rules:{sid}/{rid}"),
    ];

    // Merge: what the live object has is kept, what it lacks comes back, id lists are unioned.
    let mut args = selection.to_vec();
    args.extend(["--on-conflict", "merge"]);
    let run = restore(store.path(), &sim, &args).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(run.report["applied"]["policies"]["updated"], 1, "{}", run.report);
    assert_eq!(run.report["applied"]["policy_rules"]["updated"], 1, "{}", run.report);
    let merged = get(&sim, &password_path).await;
    assert_eq!(
        merged["settings"]["password"]["complexity"]["minLength"], 4,
        "the live value is kept"
    );
    assert_eq!(
        merged["description"], password["description"],
        "the missing value comes back"
    );
    let mut union = included.clone();
    union.insert(other_group.clone());
    assert_eq!(strings(&merged["conditions"]["people"]["groups"]["include"]), union);
    let merged = get(&sim, &rule_path).await;
    assert_eq!(merged["actions"]["signon"]["session"]["maxSessionIdleMinutes"], 30);
    assert_eq!(
        merged["actions"]["signon"]["factorLifetime"],
        rule["actions"]["signon"]["factorLifetime"]
    );
    let mut union = excluded.clone();
    union.insert(other_user.clone());
    assert_eq!(strings(&merged["conditions"]["people"]["users"]["exclude"]), union);
    assert_eq!(merged["status"], "ACTIVE");

    // Overwrite: the snapshot's version, attribute for attribute.
    damage(&sim, &password_path, &rule_path, &other_group, &other_user).await;
    let mut args = selection.to_vec();
    args.extend(["--on-conflict", "overwrite"]);
    let run = restore(store.path(), &sim, &args).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(
        own("policies", &get(&sim, &password_path).await),
        own("policies", &password)
    );
    let now = get(&sim, &rule_path).await;
    assert_eq!(own("policy_rules", &now), own("policy_rules", &rule));
    assert_eq!(now["status"], "ACTIVE");
    let deactivated = sim
        .snapshot_state()
        .logs
        .iter()
        .any(|e| e["eventType"].as_str().is_some_and(|t| t.contains("deactivate")) && e.to_string().contains(rid));
    assert!(!deactivated, "a policy rule is never switched off for an edit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_zone_and_authorization_server_with_its_scopes_claims_policies_and_rules_come_back() {
    let sim = validating_sim(30, 103).await;
    let zone = list(get(&sim, "/api/v1/zones").await)
        .into_iter()
        .find(|z| z["system"] == false && z["type"] == "IP")
        .expect("an IP zone of the admin's");
    let mut server = None;
    for candidate in list(get(&sim, "/api/v1/authorizationServers").await) {
        let id = candidate["id"].as_str().unwrap().to_owned();
        let policies = list(get(&sim, &format!("/api/v1/authorizationServers/{id}/policies")).await);
        if candidate["name"] != "default" && !policies.is_empty() {
            server = Some((candidate, policies));
            break;
        }
    }
    let (server, policies) = server.expect("a custom authorization server with a policy");
    let aid = server["id"].as_str().unwrap();
    let names = |objects: &[Value]| -> BTreeSet<String> {
        objects
            .iter()
            .filter(|o| o["system"] != true)
            .map(|o| o["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let scopes = names(&list(
        get(&sim, &format!("/api/v1/authorizationServers/{aid}/scopes")).await,
    ));
    let claims = names(&list(
        get(&sim, &format!("/api/v1/authorizationServers/{aid}/claims")).await,
    ));
    let policy_names = names(&policies);
    let mut rules = BTreeSet::new();
    for policy in &policies {
        let pid = policy["id"].as_str().unwrap();
        for r in list(
            get(
                &sim,
                &format!("/api/v1/authorizationServers/{aid}/policies/{pid}/rules"),
            )
            .await,
        ) {
            rules.insert(format!(
                "{} / {}",
                policy["name"].as_str().unwrap(),
                r["name"].as_str().unwrap()
            ));
        }
    }
    assert!(
        !scopes.is_empty() && !claims.is_empty() && !rules.is_empty(),
        "the server has a scope, claim and rule"
    );
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;

    let zid = zone["id"].as_str().unwrap();
    deactivate_and_delete(&sim, &format!("/api/v1/zones/{zid}")).await;
    admin(
        &sim,
        Method::POST,
        &format!("/api/v1/authorizationServers/{aid}/lifecycle/deactivate"),
        None,
    )
    .await;
    admin(
        &sim,
        Method::DELETE,
        &format!("/api/v1/authorizationServers/{aid}"),
        None,
    )
    .await;

    let zone_name = zone["name"].as_str().unwrap();
    let server_name = server["name"].as_str().unwrap();
    let args = [
        "latest",
        "--select",
        &format!("network_zones:{zone_name}"),
        "--select",
        &format!("authorization_servers:{server_name}"),
        "--select",
        "authserver_scopes,authserver_claims,authserver_policies,authserver_policy_rules",
    ];
    let run = restore(store.path(), &sim, &args).await;
    assert_eq!(run.code, Some(0), "{}", run.output);

    let back = list(get(&sim, "/api/v1/zones").await)
        .into_iter()
        .find(|z| z["name"] == zone["name"])
        .expect("the zone is back");
    assert_ne!(back["id"], zone["id"]);
    assert_eq!(own("network_zones", &back), own("network_zones", &zone));
    assert_eq!(back["status"], "ACTIVE");

    let back = list(get(&sim, "/api/v1/authorizationServers").await)
        .into_iter()
        .find(|s| s["name"] == server["name"])
        .expect("the server is back");
    let new = back["id"].as_str().unwrap();
    assert_ne!(new, aid);
    assert_eq!(back["status"], server["status"]);
    assert_eq!(back["audiences"], server["audiences"]);
    let now = |what: &str| format!("/api/v1/authorizationServers/{new}/{what}");
    assert!(
        names(&list(get(&sim, &now("scopes")).await)).is_superset(&scopes),
        "the scopes are back"
    );
    assert!(
        names(&list(get(&sim, &now("claims")).await)).is_superset(&claims),
        "the claims are back"
    );
    let policies_now = list(get(&sim, &now("policies")).await);
    // The simulator, like Okta, gives a new server a default policy of its own: the snapshot's come beside it.
    assert!(names(&policies_now).is_superset(&policy_names), "the policies are back");
    let mut rules_now = BTreeSet::new();
    for policy in &policies_now {
        let pid = policy["id"].as_str().unwrap();
        for r in list(
            get(
                &sim,
                &format!("/api/v1/authorizationServers/{new}/policies/{pid}/rules"),
            )
            .await,
        ) {
            rules_now.insert(format!(
                "{} / {}",
                policy["name"].as_str().unwrap(),
                r["name"].as_str().unwrap()
            ));
        }
    }
    assert!(
        rules_now.is_superset(&rules),
        "the rules are back, each under its policy: {rules_now:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_app_comes_back_on_its_own_sign_in_policy_not_the_default_one() {
    let sim = validating_sim(40, 104).await;
    let policies = list(get(&sim, "/api/v1/policies?type=ACCESS_POLICY").await);
    let default = policies.iter().find(|p| p["system"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let policy_of = |app: &Value| {
        app["_links"]["accessPolicy"]["href"]
            .as_str()
            .and_then(|h| h.rsplit('/').next())
            .map(str::to_owned)
    };
    let app = list(get(&sim, "/api/v1/apps").await)
        .into_iter()
        .find(|a| a["status"] == "ACTIVE" && policy_of(a).is_some_and(|p| p != default))
        .expect("an app on a sign-in policy of the admin's");
    let (id, label, policy) = (
        app["id"].as_str().unwrap().to_owned(),
        app["label"].as_str().unwrap().to_owned(),
        policy_of(&app).unwrap(),
    );
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    deactivate_and_delete(&sim, &format!("/api/v1/apps/{id}")).await;

    let run = restore(store.path(), &sim, &["latest", "--select", &format!("apps:{label}")]).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    let back = list(get(&sim, "/api/v1/apps").await)
        .into_iter()
        .find(|a| a["label"] == label.as_str())
        .expect("the app is back");
    assert_ne!(back["id"], id.as_str());
    assert_eq!(
        policy_of(&back),
        Some(policy),
        "on its own policy again, not the default {default}"
    );
}
