//! The contract test: every GET route the simulator serves answers in the shapes of Okta's official
//! specs, success and error bodies alike: the management spec (`../shared/okta/management-openapi.yaml`)
//! for `/api/v1/...`, the OAuth spec beside it (`oauth-openapi.yaml`) for `/oauth2/...` (the OAuth
//! clients of Dynamic Client Registration).
//!
//! Routes come from the simulator's own tables (`SimHandle::get_route_samples`), not from a list
//! here, so a route added to the simulator is checked without touching this file.

mod common;
mod spec;

use common::*;
use okta_sim::{Faults, RouteSample, SimConfig, SimHandle};
use serde_json::{Value, json};

/// Validates one body; returns the unforgiven problems, each naming the call.
fn check(template: &str, status: u16, call: &str, body: &Value) -> Vec<String> {
    let schema = match spec::response_schema(template, status) {
        Ok(s) => s,
        Err(e) => return vec![format!("{call}: {e}")],
    };
    match spec::problems(&schema, body) {
        Ok(problems) => problems
            .into_iter()
            .filter(|p| !spec::forgiven(template, p, body.is_array()))
            .map(|p| format!("{call} ({status}): {p}"))
            .collect(),
        Err(e) => vec![format!("{call}: {e}")],
    }
}

fn with_query(path: &str, extra: &str) -> String {
    let joiner = if path.contains('?') { '&' } else { '?' };
    format!("{path}{joiner}{extra}")
}

/// Status, `next` page (from the `Link` header, or from the body's `_links` for a wrapped list), body.
async fn call(sim: &SimHandle, url: &str, authorization: Option<&str>) -> (u16, Option<String>, Value) {
    let mut request = client().get(url);
    if let Some(a) = authorization {
        request = request.header("Authorization", a);
    }
    let response = request.send().await.expect("the call completes");
    let status = response.status().as_u16();
    let next = link(&response, "next");
    let body: Value = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("{url} did not answer JSON: {e} ({})", sim.url()));
    let body_next = body
        .pointer("/_links/next/href")
        .and_then(Value::as_str)
        .map(String::from);
    (status, next.or(body_next), body)
}

/// Every GET route, and every object it lists: a paged list is read a page of one (the paging and its
/// `next` link), then all of it at the default page size. Reading only the first two objects of a list
/// once let an app whose sign-on mode's schema it broke (a WS-Fed app without the fields
/// `WsFederationApplication` requires) pass, though the discriminator was followed: that app was never read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_get_route_answers_in_the_shapes_of_the_spec() {
    // Reading everything takes more calls than a minute of Okta's limits allows.
    let mut config = SimConfig::new(400, 4);
    config.rate.enabled = false;
    let sim = sim_with(config).await;
    let state = sim.snapshot_state();
    let samples = sim.get_route_samples();
    let auth = ssws(&sim);
    let mut problems = Vec::new();
    let mut second_pages = 0;
    let mut checked: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for RouteSample {
        template,
        path,
        paged,
        items_in,
    } in &samples
    {
        let first = if *paged {
            with_query(path, "limit=1")
        } else {
            path.clone()
        };
        let (status, next, body) = call(&sim, &format!("{}{first}", sim.url()), Some(&auth)).await;
        if status != 200 {
            problems.push(format!("GET {first}: status {status}: {body}"));
            continue;
        }
        problems.extend(check(template, 200, &format!("GET {first}"), &body));
        if let Some(next) = next {
            let (status, _, body) = call(&sim, &next, Some(&auth)).await;
            assert_eq!(status, 200, "{next}");
            problems.extend(check(template, 200, &format!("GET {next}"), &body));
            second_pages += 1;
        }
        if !*paged {
            continue;
        }
        // All of it, every object held to its schema.
        let mut url = Some(format!("{}{path}", sim.url()));
        while let Some(page) = url.take() {
            let (status, next, body) = call(&sim, &page, Some(&auth)).await;
            assert_eq!(status, 200, "{page}");
            problems.extend(check(template, 200, &format!("GET {page}"), &body));
            let items = match items_in {
                Some(field) => body[field.as_str()].as_array().map_or(0, Vec::len),
                None => body.as_array().map_or(0, Vec::len),
            };
            *checked.entry(template.as_str()).or_default() += items;
            // The System Log's polling query always links a next page: an empty one is its end.
            url = next.filter(|_| items > 0);
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(samples.len() >= 30, "only {} routes were sampled", samples.len());
    assert!(
        second_pages >= 8,
        "only {second_pages} lists had a second page to check"
    );
    assert_eq!(
        checked.get("/api/v1/apps"),
        Some(&state.apps.len()),
        "every app was checked"
    );
    assert_eq!(
        checked.get("/api/v1/groups"),
        Some(&state.groups.len()),
        "every group was checked"
    );
    let modes: std::collections::BTreeSet<&str> = state.apps.iter().filter_map(|a| a["signOnMode"].as_str()).collect();
    assert!(
        modes.contains("WS_FEDERATION") && modes.len() >= 8,
        "the seeded apps cover the sign-on modes: {modes:?}"
    );
}

/// What every generic route answers, all pages followed, is what `everything_at` (the source of the
/// expected-contents builder) says it holds, each item once, and every page is in the spec's shapes.
/// Okta's IAM lists answer `{"<field>": [...], "_links": {"next": ...}}` and page by that body link,
/// never a `Link` header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_generic_route_answers_what_everything_at_says_and_wrapped_lists_page_by_the_body() {
    let sim = sim(300, 8).await;
    let state = sim.snapshot_state();
    let auth = ssws(&sim);
    let mut problems = Vec::new();
    let (mut generic, mut wrapped, mut paged_wrapped) = (0, 0, 0);
    for RouteSample {
        template,
        path,
        items_in,
        paged,
    } in sim.get_route_samples()
    {
        // Hand-written routes (users, groups, apps...) are not the generic engine's.
        let Some(expected) = okta_sim::everything_at(&state.resources, &path) else {
            continue;
        };
        generic += 1;
        // `limit=1` where the route takes it; wrapped lists without `limit` have small fixed pages.
        let mut url = format!(
            "{}{}",
            sim.url(),
            if paged {
                with_query(&path, "limit=1")
            } else {
                path.clone()
            }
        );
        let (mut seen, mut pages) = (Vec::new(), 0);
        loop {
            let response = client().get(&url).header("Authorization", &auth).send().await.unwrap();
            assert_eq!(response.status(), 200, "GET {url}");
            let header_next = link(&response, "next");
            let body: Value = response.json().await.unwrap();
            let next = match &items_in {
                Some(field) => {
                    assert!(
                        header_next.is_none(),
                        "{template} pages by its body, not by a Link header"
                    );
                    problems.extend(check(&template, 200, &format!("GET {url}"), &body));
                    let items = body[field]
                        .as_array()
                        .unwrap_or_else(|| panic!("GET {url}: no `{field}` list: {body}"));
                    seen.extend(items.iter().cloned());
                    body.pointer("/_links/next/href")
                        .and_then(Value::as_str)
                        .map(String::from)
                }
                None => {
                    // Every page is held to the spec, not only the first two the shape test reads.
                    problems.extend(check(&template, 200, &format!("GET {url}"), &body));
                    match body {
                        Value::Array(items) => seen.extend(items),
                        object => seen.push(object),
                    }
                    header_next
                }
            };
            pages += 1;
            assert!(pages <= expected.len() + 1, "{template}: the next links never end");
            match next {
                Some(next) => url = next,
                None => break,
            }
        }
        assert_eq!(
            seen, expected,
            "GET {path}: following the next links did not visit every item once"
        );
        if items_in.is_some() {
            wrapped += 1;
            assert!(!expected.is_empty(), "{path}: the sampled wrapped list is empty");
            if pages > 1 {
                paged_wrapped += 1;
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(generic >= 60, "only {generic} generic routes were sampled");
    assert!(wrapped >= 7, "only {wrapped} wrapped lists were sampled");
    assert!(
        paged_wrapped >= 5,
        "only {paged_wrapped} wrapped lists had a second page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_generic_resource_and_hand_written_list_is_among_the_sampled_routes() {
    let sim = sim(200, 5).await;
    let templates: Vec<String> = sim.get_route_samples().into_iter().map(|s| s.template).collect();
    for expected in [
        "/api/v1/users",
        "/api/v1/groups/{groupId}/users",
        "/api/v1/apps/{appId}/groups",
        "/api/v1/meta/types/user",
        "/api/v1/meta/schemas/user/{schemaId}",
        "/api/v1/meta/schemas/group/default",
        "/api/v1/meta/schemas/apps/{appId}/default",
        "/api/v1/groups/rules",
        "/api/v1/groups/{groupId}/owners",
        "/api/v1/zones",
        "/api/v1/policies",
        "/api/v1/policies/{policyId}/rules",
        "/api/v1/authenticators",
        "/api/v1/authenticators/{authenticatorId}/methods",
        "/api/v1/iam/roles",
        "/api/v1/iam/roles/{roleIdOrLabel}/permissions",
        "/api/v1/iam/resource-sets",
        "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources",
        "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings",
        "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members",
        "/api/v1/iam/assignees/users",
        "/api/v1/users/{userId}/roles",
        "/api/v1/groups/{groupId}/roles",
        "/api/v1/users/{userId}/factors",
        "/api/v1/mappings",
        "/api/v1/mappings/{mappingId}",
        "/api/v1/templates/sms",
        "/api/v1/org/preferences",
        "/api/v1/org/privacy/oktaCommunication",
        "/api/v1/org/privacy/oktaSupport",
        "/api/v1/org/orgSettings/thirdPartyAdminSetting",
        "/api/v1/org/settings/autoAssignAdminAppSetting",
        "/api/v1/org/settings/clientPrivilegesSetting",
        "/api/v1/users/{userIdOrLogin}/linkedObjects/{relationshipName}",
        "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/groups",
        "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps",
        "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/groups",
        "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/catalog/apps",
        "/oauth2/v1/clients",
        "/oauth2/v1/clients/{clientId}",
    ] {
        assert!(
            templates.iter().any(|t| t == expected),
            "{expected} is not sampled: {templates:?}"
        );
    }
    for template in &templates {
        assert!(
            spec::get_operation(template).is_some(),
            "the spec has no GET {template}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_answers_match_the_spec_error_schemas() {
    let mut config = SimConfig::new(150, 6);
    // A real scope the simulator serves nothing under (the System Log is served now).
    config.granted_scopes = vec!["okta.reports.read".into()];
    let sim = sim_with(config).await;
    let bearer = bearer(&sim, "okta.reports.read").await;
    let mut problems = Vec::new();
    let samples = sim.get_route_samples();
    for RouteSample { template, path, .. } in &samples {
        let url = format!("{}{path}", sim.url());
        for (authorization, want) in [(None, 401), (Some(bearer.as_str()), 403)] {
            let (status, _, body) = call(&sim, &url, authorization).await;
            assert_eq!(status, want, "GET {path} with {authorization:?}");
            problems.extend(check(template, status, &format!("GET {path}"), &body));
        }
        // An unknown id in the last path parameter.
        if template.ends_with('}') && !path.contains('?') {
            let missing = format!("{}/{}", path.rsplit_once('/').unwrap().0, "00xNoSuchObject0000000");
            let (status, _, body) = call(&sim, &format!("{}{missing}", sim.url()), Some(&ssws(&sim))).await;
            assert_eq!(status, 404, "GET {missing}: {body}");
            problems.extend(check(template, 404, &format!("GET {missing}"), &body));
        }
    }
    sim.set_faults(Faults {
        storm_429: true,
        ..Faults::default()
    });
    for RouteSample { template, path, .. } in &samples {
        let (status, _, body) = call(&sim, &format!("{}{path}", sim.url()), Some(&ssws(&sim))).await;
        assert_eq!(status, 429, "GET {path}");
        problems.extend(check(template, 429, &format!("GET {path}"), &body));
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn a_body_of_the_wrong_shape_is_caught() {
    let template = "/api/v1/zones";
    let schema = spec::response_schema(template, 200).unwrap();
    let good = json!([{
        "type": "IP", "id": "nzo1", "name": "HQ", "status": "ACTIVE", "usage": "POLICY", "system": false,
        "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z",
        "gateways": [{ "type": "CIDR", "value": "192.0.2.0/24" }], "proxies": null,
    }]);
    assert_eq!(spec::problems(&schema, &good).unwrap(), vec![]);

    let mut wrong_type = good.clone();
    wrong_type[0]["system"] = json!("no");
    let mut missing_required = good.clone();
    missing_required[0].as_object_mut().unwrap().remove("name");
    let mut unknown_enum = good.clone();
    unknown_enum[0]["usage"] = json!("EVERYWHERE");
    let mut wrong_variant_field = good.clone();
    wrong_variant_field[0]["gateways"][0]["type"] = json!("SUBNET");
    for (what, body) in [
        ("a wrong type", wrong_type),
        ("a missing required field", missing_required),
        ("an unknown enum value", unknown_enum),
        (
            "an unknown enum value inside the discriminated variant",
            wrong_variant_field,
        ),
    ] {
        let problems = spec::problems(&schema, &body).unwrap();
        assert!(!problems.is_empty(), "{what} was not caught");
    }

    // The discriminator dispatches: a policy of one type is held to that type's schema.
    let policy_schema = spec::response_schema("/api/v1/policies", 200).unwrap();
    let policy = json!([{ "type": "PASSWORD", "id": "00p1", "name": "p", "status": "ACTIVE",
                          "settings": { "password": { "complexity": { "minLength": "eight" } } } }]);
    assert!(
        !spec::problems(&policy_schema, &policy).unwrap().is_empty(),
        "the PASSWORD variant was not applied"
    );
    let error_schema = spec::response_schema("/api/v1/zones", 403).unwrap();
    assert!(
        !spec::problems(&error_schema, &json!({ "errorCode": 6 }))
            .unwrap()
            .is_empty()
    );
}

/// Both specs are whole: every `$ref` in them points somewhere, and the OAuth spec's client routes
/// (list, item, and their error answers) convert into JSON Schemas that compile.
#[test]
fn both_specs_resolve_and_the_oauth_client_schemas_convert() {
    assert_eq!(spec::dangling_refs(&spec::SPEC), Vec::<String>::new());
    assert_eq!(spec::dangling_refs(&spec::OAUTH_SPEC), Vec::<String>::new());
    for (template, status) in [
        ("/oauth2/v1/clients", 200),
        ("/oauth2/v1/clients", 401),
        ("/oauth2/v1/clients", 403),
        ("/oauth2/v1/clients", 429),
        ("/oauth2/v1/clients/{clientId}", 200),
        ("/oauth2/v1/clients/{clientId}", 404),
    ] {
        let schema = spec::response_schema(template, status).unwrap_or_else(|e| panic!("{template} {status}: {e}"));
        spec::problems(&schema, &json!(null)).unwrap_or_else(|e| panic!("{template} {status}: {e}"));
    }
    // The management spec has no client routes and the OAuth spec no management ones: each route is
    // looked up in its own spec.
    assert!(spec::get_operation("/oauth2/v1/clients").is_some());
    assert!(spec::get_operation("/api/v1/zones").is_some());
    assert!(spec::SPEC.pointer("/paths/~1oauth2~1v1~1clients").is_none());
}

/// A client of the wrong shape is caught by the OAuth spec's `Client` schema; the spec's own list
/// example passes.
#[test]
fn a_client_of_the_wrong_shape_is_caught() {
    let schema = spec::response_schema("/oauth2/v1/clients", 200).unwrap();
    let example = spec::OAUTH_SPEC
        .pointer("/components/examples/ListClientsResponse/value")
        .expect("the OAuth spec has the ListClientsResponse example")
        .clone();
    assert_eq!(spec::problems(&schema, &example).unwrap(), vec![]);
    let mut unknown_type = example.clone();
    unknown_type[0]["application_type"] = json!("desktop");
    let mut unknown_grant = example.clone();
    unknown_grant[1]["grant_types"] = json!(["client_credentials", "magic"]);
    let mut no_name = example.clone();
    no_name[2].as_object_mut().unwrap().remove("client_name");
    for (what, body) in [
        ("an unknown application_type", unknown_type),
        ("an unknown grant type", unknown_grant),
        ("a client without its required client_name", no_name),
    ] {
        assert!(
            !spec::problems(&schema, &body).unwrap().is_empty(),
            "{what} was not caught"
        );
    }
}
