//! `oktavault show` names what an object points at, found by the catalog's references (the library code a
//! restore remaps ids with): through arrays, inside expressions, by OAuth client id, by href, by discriminator.

use serde_json::Value;

use crate::support::*;

/// `oktavault --json show latest CATEGORY ID`, as (pointer, category, id, name) per reference.
async fn shown(store: &std::path::Path, category: &str, id: &str) -> Vec<(String, String, String, Option<String>)> {
    let out = oktavault(store, &["--json", "show", "latest", category, id]).await;
    assert!(out.status.success(), "{}", text(&out));
    let view: Value = serde_json::from_slice(&out.stdout).unwrap();
    view["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["pointer"].as_str().unwrap().to_owned(),
                r["category"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
                r["name"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_names_what_an_object_points_at_through_arrays_expressions_client_ids_hrefs_and_discriminators() {
    let sim = start_sim(40, 7).await;
    let store = tempfile::tempdir().unwrap();
    let report = backup_with_token(store.path(), &sim).await;
    assert_eq!(report["status"], "Completed", "{report}");
    let contents = open_store(store.path()).contents(&snapshot_id(&report)).await;
    let group_name = |id: &str| contents["groups"][id]["profile"]["name"].as_str().unwrap().to_owned();

    // A group rule: the group it assigns (an array) and the group its expression names.
    let (rule_id, rule) = contents["group_rules"]
        .iter()
        .find(|(_, r)| {
            r["conditions"]["expression"]["value"]
                .as_str()
                .unwrap()
                .contains("isMemberOfAnyGroup")
        })
        .expect("the seeded org has a rule whose expression names a group");
    let refs = shown(store.path(), "group_rules", rule_id).await;
    let assigned = rule["actions"]["assignUserToGroups"]["groupIds"][0].as_str().unwrap();
    assert!(
        refs.contains(&(
            "/actions/assignUserToGroups/groupIds/0".into(),
            "groups".into(),
            assigned.into(),
            Some(group_name(assigned))
        )),
        "{refs:?}"
    );
    let in_expression: Vec<_> = refs.iter().filter(|r| r.0 == "/conditions/expression/value").collect();
    assert_eq!(in_expression.len(), 1, "{refs:?}");
    assert_eq!(in_expression[0].3, Some(group_name(&in_expression[0].2)));

    // An authorization server policy names its clients by OAuth client id: shown by the app's label.
    let (policy_id, policy) = contents["authserver_policies"]
        .iter()
        .find(|(_, p)| p["conditions"]["clients"]["include"][0] != "ALL_CLIENTS")
        .expect("a policy for named clients");
    let client = policy["conditions"]["clients"]["include"][0].as_str().unwrap();
    let app = contents["apps"]
        .values()
        .find(|a| a["credentials"]["oauthClient"]["client_id"] == client)
        .unwrap();
    let refs = shown(store.path(), "authserver_policies", policy_id).await;
    assert!(
        refs.contains(&(
            "/conditions/clients/include/0".into(),
            "apps".into(),
            client.into(),
            Some(app["label"].as_str().unwrap().into())
        )),
        "{refs:?}"
    );

    // A group owner that is a group, chosen by its `type`.
    let (owner_id, owner) = contents["group_owners"]
        .iter()
        .find(|(_, o)| o["type"] == "GROUP")
        .expect("a group owned by a group");
    let refs = shown(store.path(), "group_owners", owner_id).await;
    let owning_group = owner["id"].as_str().unwrap();
    assert_eq!(
        refs[1],
        (
            "/id".into(),
            "groups".into(),
            owning_group.into(),
            Some(group_name(owning_group))
        )
    );

    // A resource set binding member names a user by href.
    let (member_id, member) = contents["resource_set_binding_members"]
        .iter()
        .find(|(_, m)| m["_links"]["self"]["href"].as_str().unwrap().contains("/api/v1/users/"))
        .unwrap();
    let user = member["_links"]["self"]["href"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let refs = shown(store.path(), "resource_set_binding_members", member_id).await;
    assert_eq!(
        refs[1],
        (
            "/_links/self/href".into(),
            "users".into(),
            user.into(),
            Some(contents["users"][user]["profile"]["login"].as_str().unwrap().into())
        )
    );

    // For a person: one line per reference, by where it is.
    let out = oktavault(store.path(), &["show", "latest", "group_rules", rule_id]).await;
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains(&format!(
            "/actions/assignUserToGroups/groupIds/0 -> groups {assigned} {}",
            group_name(assigned)
        )),
        "{printed}"
    );
}
