use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;
use crate::categories::find;

fn row(name: &str) -> &'static Category {
    find(name).unwrap_or_else(|| panic!("no row {name}"))
}

fn found(category: &str, object: &Value) -> Vec<(String, &'static str, String)> {
    extract(row(category), object)
        .into_iter()
        .map(|r| (r.pointer, r.category, r.id))
        .collect()
}

/// A map over a fixed old -> new table, keyed by category.
fn table(entries: &[(&str, &str, &str)]) -> impl Fn(&FoundRef) -> Option<String> {
    let entries: BTreeMap<(String, String), String> = entries
        .iter()
        .map(|(c, old, new)| ((c.to_string(), old.to_string()), new.to_string()))
        .collect();
    move |r: &FoundRef| entries.get(&(r.category.to_owned(), r.id.clone())).cloned()
}

#[test]
fn a_group_rules_group_ids_are_found_in_arrays_and_in_its_expression() {
    let rule = json!({
        "id": "0pr1",
        "actions": {"assignUserToGroups": {"groupIds": ["00gA", "00gB"]}},
        "conditions": {
            "expression": {"value": "user.department==\"Sales\" AND isMemberOfAnyGroup(\"00gC\",\"00gD\")"},
            "people": {"users": {"exclude": ["00uX"]}, "groups": {"exclude": []}}
        }
    });
    assert_eq!(
        found("group_rules", &rule),
        vec![
            ("/actions/assignUserToGroups/groupIds/0".into(), "groups", "00gA".into()),
            ("/actions/assignUserToGroups/groupIds/1".into(), "groups", "00gB".into()),
            ("/conditions/people/users/exclude/0".into(), "users", "00uX".into()),
            ("/conditions/expression/value".into(), "groups", "00gC".into()),
            ("/conditions/expression/value".into(), "groups", "00gD".into()),
        ]
    );
}

#[test]
fn a_group_owner_is_a_user_or_a_group_as_its_type_says() {
    let user_owner = json!({"groupId": "00gA", "id": "00u1", "type": "USER"});
    let group_owner = json!({"groupId": "00gA", "id": "00gB", "type": "GROUP"});
    let unknown = json!({"groupId": "00gA", "id": "xyz", "type": "SOMETHING_NEW"});
    assert_eq!(
        found("group_owners", &user_owner)[1],
        ("/id".into(), "users", "00u1".into())
    );
    assert_eq!(
        found("group_owners", &group_owner)[1],
        ("/id".into(), "groups", "00gB".into())
    );
    assert_eq!(
        found("group_owners", &unknown).len(),
        1,
        "only the group the owner is of"
    );
}

#[test]
fn a_profile_mappings_ends_are_user_types_or_apps() {
    let mapping = json!({
        "id": "prm1",
        "source": {"id": "oty1", "type": "user"},
        "target": {"id": "0oa1", "type": "appuser"}
    });
    assert_eq!(
        found("profile_mapping_properties", &mapping),
        vec![
            ("/source/id".into(), "user_types", "oty1".into()),
            ("/target/id".into(), "apps", "0oa1".into())
        ]
    );
}

#[test]
fn an_apps_signing_key_is_one_of_its_own_keys_and_its_access_policy_an_href() {
    let app = json!({
        "id": "0oa1",
        "credentials": {"signing": {"kid": "kid1"}},
        "_links": {"accessPolicy": {"href": "https://acme.okta.com/api/v1/policies/rst1"}}
    });
    assert_eq!(
        found("apps", &app),
        vec![
            ("/_links/accessPolicy/href".into(), "policies", "rst1".into()),
            ("/credentials/signing/kid".into(), "app_keys", "0oa1/kid1".into()),
        ]
    );
}

#[test]
fn client_ids_are_found_as_client_ids_and_keywords_are_not() {
    let policy = json!({
        "authServerId": "aus1", "id": "00p1",
        "conditions": {"clients": {"include": ["ALL_CLIENTS", "client-1"]}}
    });
    let refs = extract(row("authserver_policies"), &policy);
    assert_eq!(refs.len(), 2, "the server and the one client: {refs:?}");
    assert_eq!(
        (
            refs[1].category,
            refs[1].form,
            refs[1].id.as_str(),
            refs[1].pointer.as_str()
        ),
        ("apps", Form::ClientId, "client-1", "/conditions/clients/include/1")
    );
    assert_eq!(
        client_id_of(&json!({"credentials": {"oauthClient": {"client_id": "abc"}}})),
        Some("abc")
    );
}

#[test]
fn resource_set_resources_name_their_object_by_orn_and_href() {
    let resource = json!({
        "resourceSetId": "iam1", "id": "ire1",
        "orn": "orn:okta:idp:00oSRC:apps:bookmark:0oa1",
        "_links": {"self": {"href": "https://src.okta.com/api/v1/apps/0oa1"}}
    });
    assert_eq!(
        found("resource_set_resources", &resource),
        vec![
            ("/resourceSetId".into(), "resource_sets", "iam1".into()),
            ("/orn".into(), "apps", "0oa1".into()),
            ("/_links/self/href".into(), "apps", "0oa1".into()),
        ]
    );
}

#[test]
fn rewrite_remaps_every_form_and_keeps_the_text_around_ids() {
    let rule = json!({
        "actions": {"assignUserToGroups": {"groupIds": ["00gA"]}},
        "conditions": {
            "expression": {"value": "isMemberOfGroup(\"00gA\") OR isMemberOfAnyGroup('00gB', \"00gA\")"},
            "people": {"users": {"exclude": ["00uX"]}}
        }
    });
    let map = table(&[
        ("groups", "00gA", "00gNEWA"),
        ("groups", "00gB", "00gNEWB"),
        ("users", "00uX", "00uNEWX"),
    ]);
    let out = rewrite(row("group_rules"), &rule, &map, None);
    assert!(out.unresolved.is_empty(), "{:?}", out.unresolved);
    assert_eq!(
        out.object,
        json!({
            "actions": {"assignUserToGroups": {"groupIds": ["00gNEWA"]}},
            "conditions": {
                "expression": {"value": "isMemberOfGroup(\"00gNEWA\") OR isMemberOfAnyGroup('00gNEWB', \"00gNEWA\")"},
                "people": {"users": {"exclude": ["00uNEWX"]}}
            }
        })
    );
}

#[test]
fn rewrite_leaves_what_the_map_lacks_and_says_so() {
    let rule = json!({"actions": {"assignUserToGroups": {"groupIds": ["00gA", "00gB"]}}});
    let out = rewrite(row("group_rules"), &rule, &table(&[("groups", "00gA", "00gNEW")]), None);
    assert_eq!(
        out.object["actions"]["assignUserToGroups"]["groupIds"],
        json!(["00gNEW", "00gB"])
    );
    assert_eq!(out.unresolved.len(), 1);
    assert_eq!(
        (out.unresolved[0].category, out.unresolved[0].id.as_str()),
        ("groups", "00gB")
    );
    assert_eq!(out.unresolved[0].pointer, "/actions/assignUserToGroups/groupIds/1");
}

#[test]
fn rewrite_moves_orns_and_hrefs_to_the_target_org_with_their_ids() {
    let org = OrgMove {
        from_url: "https://src.okta.com",
        to_url: "https://dst.okta.com/",
        from_id: "00oSRC",
        to_id: "00oDST",
    };
    let map = table(&[("groups", "00gA", "00gNEW")]);
    let resource = json!({
        "resourceSetId": "iam1",
        "orn": "orn:okta:directory:00oSRC:groups:00gA:contained_resources",
        "_links": {"self": {"href": "https://src.okta.com/api/v1/groups/00gA/users"}}
    });
    let out = rewrite(row("resource_set_resources"), &resource, &map, Some(&org));
    assert_eq!(
        out.object["orn"],
        "orn:okta:directory:00oDST:groups:00gNEW:contained_resources"
    );
    assert_eq!(
        out.object["_links"]["self"]["href"],
        "https://dst.okta.com/api/v1/groups/00gNEW/users"
    );
    assert_eq!(out.unresolved.len(), 1, "the resource set itself is not in the map");

    // An ORN for every user names no object, but its org still moves; another org's ORN stays.
    let every_user = json!({"orn": "orn:okta:directory:00oSRC:users"});
    let out = rewrite(row("resource_set_resources"), &every_user, &map, Some(&org));
    assert_eq!(out.object["orn"], "orn:okta:directory:00oDST:users");
    let foreign = json!({"orn": "orn:okta:directory:00oOTHER:users"});
    let out = rewrite(row("resource_set_resources"), &foreign, &map, Some(&org));
    assert_eq!(out.object["orn"], "orn:okta:directory:00oOTHER:users");
}

#[test]
fn rewrite_writes_an_own_childs_new_value_and_chooses_categories_by_the_old_discriminator() {
    let app = json!({"id": "0oa1", "credentials": {"signing": {"kid": "kid1"}}});
    let out = rewrite(
        row("apps"),
        &app,
        &table(&[("app_keys", "0oa1/kid1", "0oa2/kid2")]),
        None,
    );
    assert_eq!(out.object["credentials"]["signing"]["kid"], "kid2");

    let owner = json!({"groupId": "00gA", "id": "00u1", "type": "USER"});
    let map = table(&[
        ("groups", "00gA", "00gB"),
        ("users", "00u1", "00u2"),
        ("groups", "00u1", "wrong"),
    ]);
    let out = rewrite(row("group_owners"), &owner, &map, None);
    assert_eq!(out.object, json!({"groupId": "00gB", "id": "00u2", "type": "USER"}));
}

#[test]
fn client_ids_are_remapped_through_the_map_as_client_ids() {
    let grant = json!({"appId": "0oa1", "id": "oag1", "clientId": "client-1"});
    let map = |r: &FoundRef| match (r.form, r.id.as_str()) {
        (Form::ClientId, "client-1") => Some("client-2".to_owned()),
        (Form::Id, "0oa1") => Some("0oa2".to_owned()),
        _ => None,
    };
    let out = rewrite(row("app_grants"), &grant, &map, None);
    assert_eq!(
        out.object,
        json!({"appId": "0oa2", "id": "oag1", "clientId": "client-2"})
    );
}

#[test]
fn an_app_grants_issuer_is_the_org_url_and_moves_with_the_org() {
    let grant =
        json!({"appId": "0oa1", "clientId": "c1", "issuer": "https://src.okta.com", "scopeId": "okta.users.read"});
    let org = OrgMove {
        from_url: "https://src.okta.com",
        to_url: "https://dst.okta.com",
        from_id: "00oSRC",
        to_id: "00oDST",
    };
    let out = rewrite(row("app_grants"), &grant, &|_| None, Some(&org));
    assert_eq!(out.object["issuer"], "https://dst.okta.com");
    assert_eq!(
        strings_at(&grant, "issuer"),
        vec![("/issuer".to_owned(), "https://src.okta.com")]
    );
    assert!(
        extract(row("app_grants"), &grant).iter().all(|r| r.field != "issuer"),
        "it names no object"
    );
}
