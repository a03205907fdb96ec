//! The refusals and quirks of Okta a restore must cope with, reproduced over HTTP: group rules (only an
//! INACTIVE rule is updated, never its actions; an INVALID rule is neither activated nor deactivated),
//! built-in and app groups, Okta's own (`system`) policies, rules, scopes and claims, DEPROVISIONED
//! users, GROUP-scoped app assignments, the default user type, kinds without a create, and activation
//! emails.

mod common;

use common::{get, send, sim};
use okta_sim::{OrgState, SimHandle};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(sim: &SimHandle, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let response = send(sim, method, path, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn read(sim: &SimHandle, path: &str) -> Value {
    let response = get(sim, path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn okta_groups(state: &OrgState) -> Vec<String> {
    state
        .groups
        .iter()
        .filter(|g| g["type"] == "OKTA_GROUP")
        .map(id)
        .collect()
}

/// A refusal: 400 `E0000001` whose causes mention `needle`.
fn refused(status: u16, body: &Value, needle: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorCode"], "E0000001", "{body}");
    assert!(
        body["errorCauses"].to_string().contains(needle),
        "no cause mentions {needle:?}: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_rules_update_only_when_inactive_never_their_actions_and_invalid_ones_are_stuck() {
    let sim = sim(40, 51).await;
    let groups = okta_groups(&sim.snapshot_state());
    let body = json!({
        "type": "group_rule", "name": "Engineers",
        "conditions": { "expression": { "value": "user.department==\"Engineering\"", "type": "urn:okta:expression:1.0" } },
        "actions": { "assignUserToGroups": { "groupIds": [groups[0]] } },
    });
    let (status, rule) = call(&sim, Method::POST, "/api/v1/groups/rules", Some(body.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(rule["status"], "INACTIVE", "Okta creates rules INACTIVE");
    let path = format!("/api/v1/groups/rules/{}", id(&rule));
    let (status, _) = call(&sim, Method::POST, &format!("{path}/lifecycle/activate"), None).await;
    assert_eq!(status, 204);

    let mut renamed = body.clone();
    renamed["name"] = json!("All engineers");
    let (status, answer) = call(&sim, Method::PUT, &path, Some(renamed.clone())).await;
    refused(status, &answer, "only an INACTIVE group rule can be updated");
    assert_eq!(
        read(&sim, &path).await["name"],
        "Engineers",
        "the refused update changed nothing"
    );

    let (status, _) = call(&sim, Method::POST, &format!("{path}/lifecycle/deactivate"), None).await;
    assert_eq!(status, 204);
    let mut retargeted = renamed.clone();
    retargeted["actions"]["assignUserToGroups"]["groupIds"] = json!([groups[1]]);
    let (status, answer) = call(&sim, Method::PUT, &path, Some(retargeted)).await;
    refused(status, &answer, "actions of a group rule cannot be changed");
    let (status, updated) = call(&sim, Method::PUT, &path, Some(renamed)).await;
    assert_eq!((status, &updated["name"]), (200, &json!("All engineers")));

    // Deleting the group it assigns makes it INVALID: then it can be neither switched on nor off.
    let (status, _) = call(&sim, Method::DELETE, &format!("/api/v1/groups/{}", groups[0]), None).await;
    assert_eq!(status, 204);
    assert_eq!(read(&sim, &path).await["status"], "INVALID");
    for op in ["activate", "deactivate"] {
        let (status, answer) = call(&sim, Method::POST, &format!("{path}/lifecycle/{op}"), None).await;
        refused(
            status,
            &answer,
            "INVALID group rule can be neither activated nor deactivated",
        );
    }
    // What a restore does instead: delete it and make it again.
    let (status, _) = call(&sim, Method::DELETE, &format!("{path}?removeUsers=false"), None).await;
    assert_eq!(status, 202);
    assert_eq!(get(&sim, &path).await.status(), 404);
    // A rule cannot assign Everyone.
    let everyone = sim
        .snapshot_state()
        .groups
        .iter()
        .find(|g| g["type"] == "BUILT_IN")
        .map(id)
        .unwrap();
    let mut to_everyone = body.clone();
    to_everyone["actions"]["assignUserToGroups"]["groupIds"] = json!([everyone]);
    let (status, answer) = call(&sim, Method::POST, "/api/v1/groups/rules", Some(to_everyone)).await;
    refused(status, &answer, "rules assign only to OKTA_GROUP groups");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_and_app_groups_are_never_changed_or_given_members() {
    let sim = sim(40, 52).await;
    let state = sim.snapshot_state();
    let user = state.users.iter().find(|u| u["status"] == "ACTIVE").map(id).unwrap();
    for kind in ["BUILT_IN", "APP_GROUP"] {
        let Some(group) = state.groups.iter().find(|g| g["type"] == kind).map(id) else {
            panic!("the seeded org has no {kind} group");
        };
        let path = format!("/api/v1/groups/{group}");
        let (status, answer) = call(&sim, Method::PUT, &path, Some(json!({ "profile": { "name": "Mine" } }))).await;
        refused(status, &answer, "only OKTA_GROUP groups can be changed");
        let (status, answer) = call(&sim, Method::PUT, &format!("{path}/users/{user}"), None).await;
        refused(status, &answer, "only OKTA_GROUP groups can be changed");
        let (status, answer) = call(&sim, Method::DELETE, &path, None).await;
        assert_eq!((status, &answer["errorCode"]), (403, &json!("E0000006")), "{kind}");
        let (status, answer) = call(
            &sim,
            Method::POST,
            "/api/v1/users?activate=false",
            Some(
                json!({ "profile": { "login": format!("{kind}@example.com"), "email": "x@example.com",
                                      "firstName": "A", "lastName": "B" }, "groupIds": [group] }),
            ),
        )
        .await;
        refused(status, &answer, "only OKTA_GROUP groups take members");
        assert!(read(&sim, &path).await["profile"]["name"] != "Mine");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_s_own_policies_rules_scopes_and_claims_are_updated_never_created_or_deleted() {
    let sim = sim(40, 53).await;
    let state = sim.snapshot_state();
    let default_policy = state.resources["policies"][""]
        .iter()
        .find(|p| p["system"] == true && p["type"] == "PASSWORD")
        .unwrap();
    let path = format!("/api/v1/policies/{}", id(default_policy));
    let (status, answer) = call(&sim, Method::DELETE, &path, None).await;
    refused(status, &answer, "cannot be deleted, only updated");
    let mut updated = default_policy.clone();
    for field in ["id", "_links", "created", "lastUpdated", "status", "system"] {
        updated.as_object_mut().unwrap().remove(field);
    }
    updated["description"] = json!("Changed by a restore");
    let (status, answer) = call(&sim, Method::PUT, &path, Some(updated.clone())).await;
    assert_eq!((status, &answer["system"]), (200, &json!(true)), "{answer}");
    updated["system"] = json!(true);
    updated["name"] = json!("Another default");
    let (status, answer) = call(&sim, Method::POST, "/api/v1/policies", Some(updated)).await;
    refused(status, &answer, "Okta makes its default (system) objects itself");

    let (policy, rules) = state.resources["policy_rules"]
        .iter()
        .find(|(_, rules)| rules.iter().any(|r| r["system"] == true))
        .unwrap();
    let default_rule = rules.iter().find(|r| r["system"] == true).unwrap();
    let (status, answer) = call(
        &sim,
        Method::DELETE,
        &format!("/api/v1/policies/{policy}/rules/{}", id(default_rule)),
        None,
    )
    .await;
    refused(status, &answer, "cannot be deleted");

    for (resource, part) in [("authserver_scopes", "scopes"), ("authserver_claims", "claims")] {
        let (server, items) = state.resources[resource].iter().next().unwrap();
        let system = items.iter().find(|o| o["system"] == true).unwrap();
        let (status, answer) = call(
            &sim,
            Method::DELETE,
            &format!("/api/v1/authorizationServers/{server}/{part}/{}", id(system)),
            None,
        )
        .await;
        refused(status, &answer, "cannot be deleted");
        let custom = items.iter().find(|o| o["system"] == false).unwrap();
        let (status, _) = call(
            &sim,
            Method::DELETE,
            &format!("/api/v1/authorizationServers/{server}/{part}/{}", id(custom)),
            None,
        )
        .await;
        assert_eq!(status, 204, "a {part} of the org's own is deleted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deprovisioned_user_ignores_profile_updates_until_activated() {
    let sim = sim(30, 54).await;
    let user = sim
        .snapshot_state()
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE")
        .cloned()
        .unwrap();
    let path = format!("/api/v1/users/{}", id(&user));
    let (status, _) = call(&sim, Method::POST, &format!("{path}/lifecycle/deactivate"), None).await;
    assert_eq!(status, 200);
    let before = read(&sim, &path).await;
    let mut profile = user["profile"].clone();
    profile["title"] = json!("Returned");
    let (status, answer) = call(&sim, Method::PUT, &path, Some(json!({ "profile": profile }))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        read(&sim, &path).await,
        before,
        "the update of a DEPROVISIONED user changed nothing"
    );

    let (status, _) = call(
        &sim,
        Method::POST,
        &format!("{path}/lifecycle/activate?sendEmail=false"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, answer) = call(&sim, Method::PUT, &path, Some(json!({ "profile": profile }))).await;
    assert_eq!((status, &answer["profile"]["title"]), (200, &json!("Returned")));
    assert_eq!(
        answer["status"], "ACTIVE",
        "a seeded user has a password: it comes back ACTIVE"
    );
    assert_eq!(sim.activation_emails(&id(&user)), 0, "sendEmail=false sends none");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activating_a_user_without_a_password_sends_one_email_each_time_and_the_admin_api_counts_them() {
    let sim = sim(20, 55).await;
    let profile =
        |login: &str| json!({ "profile": { "login": login, "email": login, "firstName": "A", "lastName": "B" } });
    let (_, staged) = call(
        &sim,
        Method::POST,
        "/api/v1/users?activate=false",
        Some(profile("s@example.com")),
    )
    .await;
    let (_, active) = call(&sim, Method::POST, "/api/v1/users", Some(profile("p@example.com"))).await;
    let (staged, provisioned) = (id(&staged), id(&active));
    assert_eq!(active["status"], "PROVISIONED");
    assert_eq!(sim.activation_emails(&staged), 0, "a STAGED user got no email");
    assert_eq!(
        sim.activation_emails(&provisioned),
        1,
        "created and activated: one email"
    );
    call(
        &sim,
        Method::POST,
        &format!("/api/v1/users/{staged}/lifecycle/activate?sendEmail=true"),
        None,
    )
    .await;
    call(
        &sim,
        Method::POST,
        &format!("/api/v1/users/{staged}/lifecycle/reactivate"),
        None,
    )
    .await;
    assert_eq!(
        sim.activation_emails(&staged),
        2,
        "activate and reactivate each email the user"
    );
    let emails: Value = common::client()
        .get(format!("{}/__sim/emails", sim.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(emails, json!({ staged.clone(): 2, provisioned.clone(): 1 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_assignment_of_scope_group_is_not_made_directly() {
    let sim = sim(30, 56).await;
    let state = sim.snapshot_state();
    let app = id(&state.apps[0]);
    let user = state.users.iter().find(|u| u["status"] == "ACTIVE").map(id).unwrap();
    let path = format!("/api/v1/apps/{app}/users");
    let (status, answer) = call(&sim, Method::POST, &path, Some(json!({ "id": user, "scope": "GROUP" }))).await;
    refused(
        status,
        &answer,
        "GROUP assignment comes from assigning one of the user's groups",
    );
    let (status, answer) = call(&sim, Method::POST, &path, Some(json!({ "id": user, "scope": "USER" }))).await;
    assert_eq!((status, &answer["scope"]), (200, &json!("USER")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_user_type_and_a_type_in_use_are_not_deleted_and_a_new_type_brings_its_schema() {
    let sim = sim(20, 57).await;
    let default = sim.user_type_id();
    let (status, answer) = call(
        &sim,
        Method::DELETE,
        &format!("/api/v1/meta/types/user/{default}"),
        None,
    )
    .await;
    refused(status, &answer, "default user type");
    let (_, created) = call(
        &sim,
        Method::POST,
        "/api/v1/meta/types/user",
        Some(json!({ "name": "vendor", "displayName": "Vendor", "description": "Vendors" })),
    )
    .await;
    let type_id = id(&created);
    let schema = format!("/api/v1/meta/schemas/user/osc{}", &type_id[3..]);
    assert_eq!(
        read(&sim, &schema).await["name"],
        "vendor",
        "the type's schema came with it"
    );
    let (_, user) = call(
        &sim,
        Method::POST,
        "/api/v1/users?activate=false",
        Some(
            json!({ "profile": { "login": "v@example.com", "email": "v@example.com", "firstName": "V",
                                  "lastName": "W" }, "type": { "id": type_id } }),
        ),
    )
    .await;
    let (status, answer) = call(
        &sim,
        Method::DELETE,
        &format!("/api/v1/meta/types/user/{type_id}"),
        None,
    )
    .await;
    refused(status, &answer, "users of type");
    let user_path = format!("/api/v1/users/{}", id(&user));
    call(&sim, Method::DELETE, &user_path, None).await;
    call(&sim, Method::DELETE, &user_path, None).await;
    let (status, _) = call(
        &sim,
        Method::DELETE,
        &format!("/api/v1/meta/types/user/{type_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(get(&sim, &schema).await.status(), 404, "its schema went with it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_features_and_profile_mappings_have_no_create() {
    let sim = sim(10, 58).await;
    for path in [
        "/api/v1/features",
        "/api/v1/mappings",
        "/api/v1/meta/schemas/group/default/x",
    ] {
        let (status, answer) = call(&sim, Method::POST, path, Some(json!({ "name": "new" }))).await;
        assert!(matches!(status, 404 | 405), "POST {path} answered {status}: {answer}");
    }
    let (status, answer) = call(&sim, Method::POST, "/api/v1/features", Some(json!({}))).await;
    assert_eq!((status, &answer["errorCode"]), (405, &json!("E0000022")));
}
