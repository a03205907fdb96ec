//! Every write and lifecycle call the catalog's restore fields name (`shared/src/categories.rs`), made
//! over HTTP against a simulator that checks each request body against Okta's spec: the call answers
//! the spec's success status in the spec's response shape, the change is read back through the GET
//! routes, `lastUpdated` moves, and the System Log has Okta's event. The last test reads the catalog's
//! restore endpoints from its source and fails on any this file does not make.

mod common;
mod spec;

use std::collections::BTreeSet;

use common::{client, ssws};
use okta_sim::{OrgState, SimConfig, SimHandle};
use serde_json::{Value, json};

/// What a read-back of the written object must show.
enum Expect {
    /// Every field of this value, at any depth, equals the read-back's.
    Has(Value),
    /// The read-back's `status`.
    Status(&'static str),
    /// A field (JSON pointer) of the read-back.
    At(&'static str, Value),
    /// The read-back is a list holding an object with this `id`.
    Lists(String),
}

/// One write call and how to check it.
struct Step {
    category: &'static str,
    method: &'static str,
    /// The route as the spec writes it (the catalog's template).
    template: &'static str,
    /// The concrete path, with its query.
    path: String,
    body: Option<Value>,
    /// The System Log event the call must emit (`""`: none checked).
    event: &'static str,
    /// Where to read the change back; `None`: the answer itself is the object.
    read: Option<String>,
    expect: Expect,
}

/// Runs steps against one simulator and collects what went wrong and which endpoints were made.
struct Run {
    sim: SimHandle,
    covered: BTreeSet<(String, String)>,
    problems: Vec<String>,
}

impl Run {
    async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = client()
            .request(method, format!("{}{path}", self.sim.url()))
            .header("Authorization", ssws(&self.sim));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the call completes");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Makes the call, checks it, and returns its answer.
    async fn step(&mut self, step: Step) -> Value {
        let name = format!("{} {} ({})", step.method, step.path, step.category);
        let before = match &step.read {
            Some(read) => self.call("GET", read, None).await.1,
            None => Value::Null,
        };
        let logged = self.sim.snapshot_state().logs.len();
        let (status, answer) = self.call(step.method, &step.path, step.body.as_ref()).await;
        self.covered
            .insert((step.method.to_string(), step.template.to_string()));
        let statuses = spec::success_statuses(step.method, step.template);
        if !statuses.contains(&status) {
            self.problems.push(format!(
                "{name}: answered {status} (the spec declares {statuses:?}): {answer}"
            ));
            return answer;
        }
        // A status the spec gives no JSON body (a lifecycle call's `{}`) is not checked for shape.
        if let (false, Ok(schema)) = (
            answer.is_null(),
            spec::method_response_schema(step.method, step.template, status),
        ) {
            for problem in spec::problems(&schema, &answer).unwrap_or_default() {
                if !spec::forgiven(step.template, &problem, answer.is_array()) {
                    self.problems.push(format!("{name}: answer breaks the spec: {problem}"));
                }
            }
        }
        if !step.event.is_empty() {
            let logs = self.sim.snapshot_state().logs;
            if !logs[logged..].iter().any(|e| e["eventType"] == step.event) {
                let seen: Vec<&Value> = logs[logged..].iter().map(|e| &e["eventType"]).collect();
                self.problems
                    .push(format!("{name}: no {} event (logged: {seen:?})", step.event));
            }
        }
        let read = match &step.read {
            Some(read) => {
                let (status, read_back) = self.call("GET", read, None).await;
                if status != 200 {
                    self.problems
                        .push(format!("{name}: reading back {read} answered {status}"));
                    return answer;
                }
                read_back
            }
            None => answer.clone(),
        };
        if let Err(e) = holds(&step.expect, &read) {
            self.problems.push(format!("{name}: {e}"));
        }
        let (old, new) = (before["lastUpdated"].as_str(), read["lastUpdated"].as_str());
        if let (Some(old), Some(new), Expect::Has(_) | Expect::Status(_) | Expect::At(..)) = (old, new, &step.expect)
            && new <= old
        {
            self.problems
                .push(format!("{name}: lastUpdated did not move ({old} -> {new})"));
        }
        answer
    }
}

fn holds(expect: &Expect, read: &Value) -> Result<(), String> {
    match expect {
        Expect::Has(wanted) => contains(read, wanted, ""),
        Expect::Status(status) => match read["status"] == *status {
            true => Ok(()),
            false => Err(format!("status is {}, not {status}", read["status"])),
        },
        Expect::At(pointer, value) => match read.pointer(pointer) == Some(value) {
            true => Ok(()),
            false => Err(format!("{pointer} is {:?}, not {value}", read.pointer(pointer))),
        },
        Expect::Lists(id) => match read
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["id"] == id.as_str()))
        {
            true => Ok(()),
            false => Err(format!("{id} is not listed: {read}")),
        },
    }
}

/// Whether `read` holds every field of `wanted` (objects field by field, anything else equal).
fn contains(read: &Value, wanted: &Value, at: &str) -> Result<(), String> {
    match (read, wanted) {
        (Value::Object(have), Value::Object(want)) => {
            for (k, v) in want {
                contains(have.get(k).unwrap_or(&Value::Null), v, &format!("{at}/{k}"))?;
            }
            Ok(())
        }
        _ if read == wanted => Ok(()),
        _ => Err(format!("{at} is {read}, not {wanted}")),
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// The objects of a generic resource, all parents, as (parent, object).
fn objects<'a>(state: &'a OrgState, resource: &str) -> Vec<(&'a str, &'a Value)> {
    state
        .resources
        .get(resource)
        .into_iter()
        .flat_map(|by_parent| by_parent.iter())
        .flat_map(|(parent, items)| items.iter().map(move |o| (parent.as_str(), o)))
        .collect()
}

fn first<'a>(state: &'a OrgState, resource: &str, keep: impl Fn(&Value) -> bool) -> (&'a str, &'a Value) {
    objects(state, resource)
        .into_iter()
        .find(|(_, o)| keep(o))
        .unwrap_or_else(|| panic!("the seeded org has no such {resource}"))
}

async fn validating_sim(users: usize, seed: u64) -> SimHandle {
    let config = SimConfig::new(users, seed).validating_requests(spec::spec_path("management-openapi.yaml"));
    okta_sim::start(config, 0).await.expect("simulator starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_restore_write_is_served_validated_read_back_and_logged() {
    let sim = validating_sim(60, 31).await;
    let state = sim.snapshot_state();
    let mut run = Run {
        sim,
        covered: BTreeSet::new(),
        problems: Vec::new(),
    };
    let okta_groups: Vec<String> = state
        .groups
        .iter()
        .filter(|g| g["type"] == "OKTA_GROUP")
        .map(id)
        .collect();
    let active: Vec<String> = state.users.iter().filter(|u| u["status"] == "ACTIVE").map(id).collect();

    // Users: created STAGED in a group, replaced, activated (an email), deactivated.
    let user = run
        .step(Step {
            category: "users",
            method: "POST",
            template: "/api/v1/users",
            path: "/api/v1/users?activate=false".into(),
            body: Some(json!({
                "profile": { "login": "grace@example.com", "email": "grace@example.com",
                             "firstName": "Grace", "lastName": "Hopper" },
                "groupIds": [okta_groups[0]],
            })),
            event: "user.lifecycle.create",
            read: None,
            expect: Expect::Status("STAGED"),
        })
        .await;
    let user = id(&user);
    run.step(Step {
        category: "group_members",
        method: "PUT",
        template: "/api/v1/groups/{groupId}/users/{userId}",
        path: format!("/api/v1/groups/{}/users/{user}", okta_groups[1]),
        body: None,
        event: "group.user_membership.add",
        read: Some(format!("/api/v1/groups/{}/users", okta_groups[1])),
        expect: Expect::Lists(user.clone()),
    })
    .await;
    let (_, groups_of) = run.call("GET", &format!("/api/v1/users/{user}/groups"), None).await;
    assert!(
        groups_of
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == okta_groups[0].as_str()),
        "groupIds made the new user a member: {groups_of}"
    );
    let profile = json!({ "login": "grace@example.com", "email": "grace@example.com",
                          "firstName": "Grace", "lastName": "Murray Hopper", "title": "Rear Admiral" });
    run.step(Step {
        category: "users",
        method: "PUT",
        template: "/api/v1/users/{id}",
        path: format!("/api/v1/users/{user}"),
        body: Some(json!({ "profile": profile })),
        event: "user.account.update_profile",
        read: Some(format!("/api/v1/users/{user}")),
        expect: Expect::Has(json!({ "profile": profile })),
    })
    .await;
    run.step(Step {
        category: "users",
        method: "POST",
        template: "/api/v1/users/{id}/lifecycle/activate",
        path: format!("/api/v1/users/{user}/lifecycle/activate?sendEmail=true"),
        body: None,
        event: "user.lifecycle.activate",
        read: Some(format!("/api/v1/users/{user}")),
        expect: Expect::Status("PROVISIONED"),
    })
    .await;
    assert_eq!(
        run.sim.activation_emails(&user),
        1,
        "activating sent one activation email"
    );
    run.step(Step {
        category: "users",
        method: "POST",
        template: "/api/v1/users/{id}/lifecycle/deactivate",
        path: format!("/api/v1/users/{user}/lifecycle/deactivate"),
        body: None,
        event: "user.lifecycle.deactivate",
        read: Some(format!("/api/v1/users/{user}")),
        expect: Expect::Status("DEPROVISIONED"),
    })
    .await;

    // Groups.
    let group = run
        .step(Step {
            category: "groups",
            method: "POST",
            template: "/api/v1/groups",
            path: "/api/v1/groups".into(),
            body: Some(json!({ "profile": { "name": "Restored Pilots", "description": "Made by a restore" } })),
            event: "group.lifecycle.create",
            read: None,
            expect: Expect::Has(json!({ "type": "OKTA_GROUP", "profile": { "name": "Restored Pilots" } })),
        })
        .await;
    let group = id(&group);
    run.step(Step {
        category: "groups",
        method: "PUT",
        template: "/api/v1/groups/{groupId}",
        path: format!("/api/v1/groups/{group}"),
        body: Some(json!({ "profile": { "name": "Restored Pilots", "description": "Updated" } })),
        event: "group.profile.update",
        read: Some(format!("/api/v1/groups/{group}")),
        expect: Expect::Has(json!({ "profile": { "description": "Updated" } })),
    })
    .await;

    // Apps, created inactive, replaced, switched on and off, and their assignments.
    let app = run
        .step(Step {
            category: "apps",
            method: "POST",
            template: "/api/v1/apps",
            path: "/api/v1/apps?activate=false".into(),
            body: Some(json!({
                "name": "bookmark", "label": "Runbook", "signOnMode": "BOOKMARK",
                "settings": { "app": { "url": "https://runbook.example.com", "requestIntegration": false } },
            })),
            event: "application.lifecycle.create",
            read: None,
            expect: Expect::Status("INACTIVE"),
        })
        .await;
    let app = id(&app);
    run.step(Step {
        category: "apps",
        method: "PUT",
        template: "/api/v1/apps/{appId}",
        path: format!("/api/v1/apps/{app}"),
        body: Some(json!({
            "name": "bookmark", "label": "Runbooks", "signOnMode": "BOOKMARK",
            "settings": { "app": { "url": "https://runbooks.example.com", "requestIntegration": false } },
        })),
        event: "application.lifecycle.update",
        read: Some(format!("/api/v1/apps/{app}")),
        expect: Expect::Has(json!({ "label": "Runbooks" })),
    })
    .await;
    run.step(Step {
        category: "apps",
        method: "POST",
        template: "/api/v1/apps/{appId}/lifecycle/activate",
        path: format!("/api/v1/apps/{app}/lifecycle/activate"),
        body: None,
        event: "application.lifecycle.activate",
        read: Some(format!("/api/v1/apps/{app}")),
        expect: Expect::Status("ACTIVE"),
    })
    .await;
    run.step(Step {
        category: "apps",
        method: "POST",
        template: "/api/v1/apps/{appId}/lifecycle/deactivate",
        path: format!("/api/v1/apps/{app}/lifecycle/deactivate"),
        body: None,
        event: "application.lifecycle.deactivate",
        read: Some(format!("/api/v1/apps/{app}")),
        expect: Expect::Status("INACTIVE"),
    })
    .await;
    let assignee = &active[0];
    run.step(Step {
        category: "app_users",
        method: "POST",
        template: "/api/v1/apps/{appId}/users",
        path: format!("/api/v1/apps/{app}/users"),
        body: Some(json!({ "id": assignee, "scope": "USER", "credentials": { "userName": "ops@example.com" } })),
        event: "application.user_membership.add",
        read: Some(format!("/api/v1/apps/{app}/users/{assignee}")),
        expect: Expect::Has(json!({ "scope": "USER", "credentials": { "userName": "ops@example.com" } })),
    })
    .await;
    run.step(Step {
        category: "app_users",
        method: "POST",
        template: "/api/v1/apps/{appId}/users/{userId}",
        path: format!("/api/v1/apps/{app}/users/{assignee}"),
        body: Some(json!({ "profile": { "role": "editor" } })),
        event: "application.user_membership.change_profile",
        read: Some(format!("/api/v1/apps/{app}/users/{assignee}")),
        expect: Expect::Has(json!({ "profile": { "role": "editor" } })),
    })
    .await;
    run.step(Step {
        category: "app_groups",
        method: "PUT",
        template: "/api/v1/apps/{appId}/groups/{groupId}",
        path: format!("/api/v1/apps/{app}/groups/{group}"),
        body: Some(json!({ "priority": 0, "profile": {} })),
        event: "group.application_assignment.add",
        read: Some(format!("/api/v1/apps/{app}/groups/{group}")),
        expect: Expect::Has(json!({ "priority": 0 })),
    })
    .await;

    // Directory configuration: user types (with their schemas), schemas, group rules and owners.
    let user_type = run
        .step(Step {
            category: "user_types",
            method: "POST",
            template: "/api/v1/meta/types/user",
            path: "/api/v1/meta/types/user".into(),
            body: Some(json!({ "name": "partner", "displayName": "Partner", "description": "Partner staff" })),
            event: "system.user_type.create",
            read: None,
            expect: Expect::Has(json!({ "name": "partner", "default": false })),
        })
        .await;
    let user_type = id(&user_type);
    run.step(Step {
        category: "user_types",
        method: "PUT",
        template: "/api/v1/meta/types/user/{typeId}",
        path: format!("/api/v1/meta/types/user/{user_type}"),
        body: Some(json!({ "name": "partner", "displayName": "Partners", "description": "Partner staff" })),
        event: "system.user_type.update",
        read: Some(format!("/api/v1/meta/types/user/{user_type}")),
        expect: Expect::Has(json!({ "displayName": "Partners" })),
    })
    .await;
    let schema = format!("osc{}", &user_type[3..]);
    let attribute = json!({ "title": "Partner code", "type": "string", "required": false,
                            "permissions": [{ "principal": "SELF", "action": "READ_ONLY" }] });
    run.step(Step {
        category: "user_schemas",
        method: "POST",
        template: "/api/v1/meta/schemas/user/{schemaId}",
        path: format!("/api/v1/meta/schemas/user/{schema}"),
        body: Some(json!({ "definitions": { "custom": { "properties": { "partnerCode": attribute } } } })),
        event: "system.schema.update",
        read: Some(format!("/api/v1/meta/schemas/user/{schema}")),
        expect: Expect::At(
            "/definitions/custom/properties/partnerCode/title",
            json!("Partner code"),
        ),
    })
    .await;
    run.step(Step {
        category: "group_schema",
        method: "POST",
        template: "/api/v1/meta/schemas/group/default",
        path: "/api/v1/meta/schemas/group/default".into(),
        body: Some(json!({ "definitions": { "custom": { "properties": { "site": attribute } } } })),
        event: "system.schema.update",
        read: Some("/api/v1/meta/schemas/group/default".into()),
        expect: Expect::At("/definitions/custom/properties/site/title", json!("Partner code")),
    })
    .await;
    let schema_app = state
        .apps
        .iter()
        .find(|a| a["signOnMode"] == "SAML_2_0")
        .map(id)
        .unwrap();
    run.step(Step {
        category: "app_user_schemas",
        method: "POST",
        template: "/api/v1/meta/schemas/apps/{appId}/default",
        path: format!("/api/v1/meta/schemas/apps/{schema_app}/default"),
        body: Some(json!({ "definitions": { "custom": { "properties": { "tier": attribute } } } })),
        event: "system.schema.update",
        read: Some(format!("/api/v1/meta/schemas/apps/{schema_app}/default")),
        expect: Expect::At("/definitions/custom/properties/tier/title", json!("Partner code")),
    })
    .await;
    let rule_body = json!({
        "type": "group_rule", "name": "Pilots by title",
        "conditions": { "expression": { "value": "user.title==\"Pilot\"", "type": "urn:okta:expression:1.0" } },
        "actions": { "assignUserToGroups": { "groupIds": [group] } },
    });
    let rule = run
        .step(Step {
            category: "group_rules",
            method: "POST",
            template: "/api/v1/groups/rules",
            path: "/api/v1/groups/rules".into(),
            body: Some(rule_body.clone()),
            event: "group.user_membership.rule.create",
            read: None,
            expect: Expect::Status("INACTIVE"),
        })
        .await;
    let rule = id(&rule);
    let mut renamed = rule_body.clone();
    renamed["name"] = json!("Pilots by job title");
    run.step(Step {
        category: "group_rules",
        method: "PUT",
        template: "/api/v1/groups/rules/{groupRuleId}",
        path: format!("/api/v1/groups/rules/{rule}"),
        body: Some(renamed),
        event: "group.user_membership.rule.update",
        read: Some(format!("/api/v1/groups/rules/{rule}")),
        expect: Expect::Has(json!({ "name": "Pilots by job title" })),
    })
    .await;
    run.step(Step {
        category: "group_rules",
        method: "POST",
        template: "/api/v1/groups/rules/{groupRuleId}/lifecycle/activate",
        path: format!("/api/v1/groups/rules/{rule}/lifecycle/activate"),
        body: None,
        event: "group.user_membership.rule.activated",
        read: Some(format!("/api/v1/groups/rules/{rule}")),
        expect: Expect::Status("ACTIVE"),
    })
    .await;
    run.step(Step {
        category: "group_rules",
        method: "POST",
        template: "/api/v1/groups/rules/{groupRuleId}/lifecycle/deactivate",
        path: format!("/api/v1/groups/rules/{rule}/lifecycle/deactivate"),
        body: None,
        event: "group.user_membership.rule.deactivated",
        read: Some(format!("/api/v1/groups/rules/{rule}")),
        expect: Expect::Status("INACTIVE"),
    })
    .await;
    run.step(Step {
        category: "group_owners",
        method: "POST",
        template: "/api/v1/groups/{groupId}/owners",
        path: format!("/api/v1/groups/{group}/owners"),
        body: Some(json!({ "id": active[1], "type": "USER" })),
        event: "group.owner.add",
        read: Some(format!("/api/v1/groups/{group}/owners")),
        expect: Expect::Lists(active[1].clone()),
    })
    .await;

    // Security configuration.
    let zone = run
        .step(Step {
            category: "network_zones",
            method: "POST",
            template: "/api/v1/zones",
            path: "/api/v1/zones".into(),
            body: Some(json!({ "type": "IP", "name": "Branch office", "usage": "POLICY",
                               "gateways": [{ "type": "CIDR", "value": "203.0.113.0/24" }] })),
            event: "zone.create",
            read: None,
            expect: Expect::Has(json!({ "status": "ACTIVE", "system": false })),
        })
        .await;
    let zone = id(&zone);
    run.step(Step {
        category: "network_zones",
        method: "PUT",
        template: "/api/v1/zones/{zoneId}",
        path: format!("/api/v1/zones/{zone}"),
        body: Some(json!({ "type": "IP", "name": "Branch offices", "usage": "POLICY",
                           "gateways": [{ "type": "CIDR", "value": "203.0.113.0/24" }] })),
        event: "zone.update",
        read: Some(format!("/api/v1/zones/{zone}")),
        expect: Expect::Has(json!({ "name": "Branch offices" })),
    })
    .await;
    for (op, status) in [("deactivate", "INACTIVE"), ("activate", "ACTIVE")] {
        run.step(Step {
            category: "network_zones",
            method: "POST",
            template: if op == "activate" {
                "/api/v1/zones/{zoneId}/lifecycle/activate"
            } else {
                "/api/v1/zones/{zoneId}/lifecycle/deactivate"
            },
            path: format!("/api/v1/zones/{zone}/lifecycle/{op}"),
            body: None,
            event: if op == "activate" {
                "zone.activate"
            } else {
                "zone.deactivate"
            },
            read: Some(format!("/api/v1/zones/{zone}")),
            expect: Expect::Status(status),
        })
        .await;
    }
    // The seeded org has no YubiKey authenticator: a restore may create one (one authenticator per key).
    let authenticator = run
        .step(Step {
            category: "authenticators",
            method: "POST",
            template: "/api/v1/authenticators",
            path: "/api/v1/authenticators?activate=false".into(),
            body: Some(json!({ "key": "yubikey_token", "name": "YubiKey", "type": "security_key" })),
            event: "security.authenticator.lifecycle.create",
            read: None,
            expect: Expect::Status("INACTIVE"),
        })
        .await;
    let authenticator = id(&authenticator);
    run.step(Step {
        category: "authenticators",
        method: "PUT",
        template: "/api/v1/authenticators/{authenticatorId}",
        path: format!("/api/v1/authenticators/{authenticator}"),
        body: Some(json!({ "key": "yubikey_token", "name": "YubiKeys", "type": "security_key" })),
        event: "security.authenticator.lifecycle.update",
        read: Some(format!("/api/v1/authenticators/{authenticator}")),
        expect: Expect::Has(json!({ "name": "YubiKeys" })),
    })
    .await;
    for (op, status, template, event) in [
        (
            "activate",
            "ACTIVE",
            "/api/v1/authenticators/{authenticatorId}/lifecycle/activate",
            "security.authenticator.lifecycle.activate",
        ),
        (
            "deactivate",
            "INACTIVE",
            "/api/v1/authenticators/{authenticatorId}/lifecycle/deactivate",
            "security.authenticator.lifecycle.deactivate",
        ),
    ] {
        run.step(Step {
            category: "authenticators",
            method: "POST",
            template,
            path: format!("/api/v1/authenticators/{authenticator}/lifecycle/{op}"),
            body: None,
            event,
            read: Some(format!("/api/v1/authenticators/{authenticator}")),
            expect: Expect::Status(status),
        })
        .await;
    }
    let verify = id(first(&state, "authenticators", |a| a["key"] == "okta_verify").1);
    let push = format!("/api/v1/authenticators/{verify}/methods/push");
    run.step(Step {
        category: "authenticator_methods",
        method: "PUT",
        template: "/api/v1/authenticators/{authenticatorId}/methods/{methodType}",
        path: push.clone(),
        body: Some(json!({ "type": "push", "settings": {
            "algorithms": ["RS256"], "keyProtection": "HARDWARE", "transactionTypes": ["LOGIN"] } })),
        event: "security.authenticator.method.update",
        read: Some(push.clone()),
        expect: Expect::At("/settings/keyProtection", json!("HARDWARE")),
    })
    .await;
    for (op, status, template, event) in [
        (
            "deactivate",
            "INACTIVE",
            "/api/v1/authenticators/{authenticatorId}/methods/{methodType}/lifecycle/deactivate",
            "security.authenticator.method.deactivate",
        ),
        (
            "activate",
            "ACTIVE",
            "/api/v1/authenticators/{authenticatorId}/methods/{methodType}/lifecycle/activate",
            "security.authenticator.method.activate",
        ),
    ] {
        run.step(Step {
            category: "authenticator_methods",
            method: "POST",
            template,
            path: format!("{push}/lifecycle/{op}"),
            body: None,
            event,
            read: Some(push.clone()),
            expect: Expect::Status(status),
        })
        .await;
    }
    let password_policy = json!({
        "type": "PASSWORD", "name": "Restored password policy", "description": "Made by a restore", "priority": 1,
        "conditions": { "people": { "groups": { "include": [group] } }, "authProvider": { "provider": "OKTA" } },
        "settings": { "password": { "complexity": { "minLength": 12 } } },
    });
    let policy = run
        .step(Step {
            category: "policies",
            method: "POST",
            template: "/api/v1/policies",
            path: "/api/v1/policies?activate=false".into(),
            body: Some(password_policy.clone()),
            event: "policy.lifecycle.create",
            read: None,
            expect: Expect::Has(json!({ "status": "INACTIVE", "system": false })),
        })
        .await;
    let policy = id(&policy);
    let mut stricter = password_policy.clone();
    stricter["settings"]["password"]["complexity"]["minLength"] = json!(14);
    run.step(Step {
        category: "policies",
        method: "PUT",
        template: "/api/v1/policies/{policyId}",
        path: format!("/api/v1/policies/{policy}"),
        body: Some(stricter),
        event: "policy.lifecycle.update",
        read: Some(format!("/api/v1/policies/{policy}")),
        expect: Expect::At("/settings/password/complexity/minLength", json!(14)),
    })
    .await;
    for (op, status, template, event) in [
        (
            "activate",
            "ACTIVE",
            "/api/v1/policies/{policyId}/lifecycle/activate",
            "policy.lifecycle.activate",
        ),
        (
            "deactivate",
            "INACTIVE",
            "/api/v1/policies/{policyId}/lifecycle/deactivate",
            "policy.lifecycle.deactivate",
        ),
    ] {
        run.step(Step {
            category: "policies",
            method: "POST",
            template,
            path: format!("/api/v1/policies/{policy}/lifecycle/{op}"),
            body: None,
            event,
            read: Some(format!("/api/v1/policies/{policy}")),
            expect: Expect::Status(status),
        })
        .await;
    }
    let rule_body = json!({
        "type": "PASSWORD", "name": "Restored rule", "priority": 1,
        "conditions": { "people": { "users": { "exclude": [active[2]] } },
                        "network": { "connection": "ZONE", "include": [zone] } },
        "actions": { "passwordChange": { "access": "ALLOW" }, "selfServiceUnlock": { "access": "DENY" } },
    });
    let policy_rule = run
        .step(Step {
            category: "policy_rules",
            method: "POST",
            template: "/api/v1/policies/{policyId}/rules",
            path: format!("/api/v1/policies/{policy}/rules"),
            body: Some(rule_body.clone()),
            event: "policy.rule.add",
            read: None,
            expect: Expect::Has(json!({ "status": "ACTIVE", "system": false })),
        })
        .await;
    let policy_rule = id(&policy_rule);
    let rules = format!("/api/v1/policies/{policy}/rules/{policy_rule}");
    let mut unlocking = rule_body.clone();
    unlocking["actions"]["selfServiceUnlock"]["access"] = json!("ALLOW");
    run.step(Step {
        category: "policy_rules",
        method: "PUT",
        template: "/api/v1/policies/{policyId}/rules/{ruleId}",
        path: rules.clone(),
        body: Some(unlocking),
        event: "policy.rule.update",
        read: Some(rules.clone()),
        expect: Expect::At("/actions/selfServiceUnlock/access", json!("ALLOW")),
    })
    .await;
    for (op, status, template, event) in [
        (
            "deactivate",
            "INACTIVE",
            "/api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/deactivate",
            "policy.rule.deactivate",
        ),
        (
            "activate",
            "ACTIVE",
            "/api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/activate",
            "policy.rule.activate",
        ),
    ] {
        run.step(Step {
            category: "policy_rules",
            method: "POST",
            template,
            path: format!("{rules}/lifecycle/{op}"),
            body: None,
            event,
            read: Some(rules.clone()),
            expect: Expect::Status(status),
        })
        .await;
    }

    // Organization settings.
    run.step(Step {
        category: "org_settings",
        method: "PUT",
        template: "/api/v1/org",
        path: "/api/v1/org".into(),
        body: Some(
            json!({ "companyName": "Restored Corp", "website": "https://restored.example.com",
                           "phoneNumber": "+15555550111", "city": "Oakland" }),
        ),
        event: "system.org.update",
        read: Some("/api/v1/org".into()),
        expect: Expect::Has(json!({ "companyName": "Restored Corp", "city": "Oakland", "subdomain": "sim" })),
    })
    .await;
    run.step(Step {
        category: "org_contacts",
        method: "PUT",
        template: "/api/v1/org/contacts/{contactType}",
        path: "/api/v1/org/contacts/BILLING".into(),
        body: Some(json!({ "userId": active[3] })),
        event: "system.org.contact.update",
        read: Some("/api/v1/org/contacts/BILLING".into()),
        expect: Expect::Has(json!({ "userId": active[3] })),
    })
    .await;
    let origin = run
        .step(Step {
            category: "trusted_origins",
            method: "POST",
            template: "/api/v1/trustedOrigins",
            path: "/api/v1/trustedOrigins".into(),
            body: Some(
                json!({ "name": "Restored portal", "origin": "https://restored.example.com",
                               "scopes": [{ "type": "CORS" }] }),
            ),
            event: "security.trusted_origin.create",
            read: None,
            expect: Expect::Status("ACTIVE"),
        })
        .await;
    let origin = id(&origin);
    let origin_path = format!("/api/v1/trustedOrigins/{origin}");
    run.step(Step {
        category: "trusted_origins",
        method: "PUT",
        template: "/api/v1/trustedOrigins/{trustedOriginId}",
        path: origin_path.clone(),
        body: Some(
            json!({ "name": "Restored portal", "origin": "https://restored.example.com",
                           "scopes": [{ "type": "CORS" }, { "type": "REDIRECT" }] }),
        ),
        event: "security.trusted_origin.update",
        read: Some(origin_path.clone()),
        expect: Expect::Has(json!({ "scopes": [{ "type": "CORS" }, { "type": "REDIRECT" }] })),
    })
    .await;
    for (op, status, template, event) in [
        (
            "deactivate",
            "INACTIVE",
            "/api/v1/trustedOrigins/{trustedOriginId}/lifecycle/deactivate",
            "security.trusted_origin.deactivate",
        ),
        (
            "activate",
            "ACTIVE",
            "/api/v1/trustedOrigins/{trustedOriginId}/lifecycle/activate",
            "security.trusted_origin.activate",
        ),
    ] {
        run.step(Step {
            category: "trusted_origins",
            method: "POST",
            template,
            path: format!("{origin_path}/lifecycle/{op}"),
            body: None,
            event,
            read: Some(origin_path.clone()),
            expect: Expect::Status(status),
        })
        .await;
    }
    let brand = run
        .step(Step {
            category: "brands",
            method: "POST",
            template: "/api/v1/brands",
            path: "/api/v1/brands".into(),
            body: Some(json!({ "name": "Restored brand" })),
            event: "system.brand.create",
            read: None,
            expect: Expect::Has(json!({ "isDefault": false })),
        })
        .await;
    let brand = id(&brand);
    run.step(Step {
        category: "brands",
        method: "PUT",
        template: "/api/v1/brands/{brandId}",
        path: format!("/api/v1/brands/{brand}"),
        body: Some(json!({ "name": "Restored brand", "removePoweredByOkta": true, "locale": "fr" })),
        event: "system.brand.update",
        read: Some(format!("/api/v1/brands/{brand}")),
        expect: Expect::Has(json!({ "removePoweredByOkta": true, "locale": "fr" })),
    })
    .await;
    let domain = run
        .step(Step {
            category: "email_domains",
            method: "POST",
            template: "/api/v1/email-domains",
            path: "/api/v1/email-domains".into(),
            body: Some(json!({ "domain": "restored.example.net", "brandId": brand,
                               "displayName": "Restored IT", "userName": "it" })),
            event: "system.email_domain.create",
            read: None,
            expect: Expect::Has(json!({ "validationStatus": "NOT_STARTED" })),
        })
        .await;
    let domain = id(&domain);
    run.step(Step {
        category: "email_domains",
        method: "PUT",
        template: "/api/v1/email-domains/{emailDomainId}",
        path: format!("/api/v1/email-domains/{domain}"),
        body: Some(json!({ "displayName": "Restored IT desk", "userName": "it-desk" })),
        event: "system.email_domain.update",
        read: Some(format!("/api/v1/email-domains/{domain}")),
        expect: Expect::Has(json!({ "displayName": "Restored IT desk", "domain": "restored.example.net" })),
    })
    .await;
    let (_, brand_read) = run.call("GET", &format!("/api/v1/brands/{brand}"), None).await;
    assert_eq!(
        brand_read["emailDomainId"],
        domain.as_str(),
        "the brand sends from its new domain"
    );
    let (_, themes) = run.call("GET", &format!("/api/v1/brands/{brand}/themes"), None).await;
    let theme = id(&themes[0]);
    run.step(Step {
        category: "brand_themes",
        method: "PUT",
        template: "/api/v1/brands/{brandId}/themes/{themeId}",
        path: format!("/api/v1/brands/{brand}/themes/{theme}"),
        body: Some(json!({
            "primaryColorHex": "#aa2200", "secondaryColorHex": "#ebebed",
            "signInPageTouchPointVariant": "OKTA_DEFAULT", "endUserDashboardTouchPointVariant": "FULL_THEME",
            "errorPageTouchPointVariant": "OKTA_DEFAULT", "emailTemplateTouchPointVariant": "FULL_THEME",
        })),
        event: "system.brand.theme.update",
        read: Some(format!("/api/v1/brands/{brand}/themes/{theme}")),
        expect: Expect::Has(json!({ "primaryColorHex": "#aa2200", "endUserDashboardTouchPointVariant": "FULL_THEME" })),
    })
    .await;
    run.step(Step {
        category: "email_templates",
        method: "PUT",
        template: "/api/v1/brands/{brandId}/templates/email/{templateName}/settings",
        path: format!("/api/v1/brands/{brand}/templates/email/UserActivation/settings"),
        body: Some(json!({ "recipients": "ADMINS_ONLY" })),
        event: "system.email.template.update",
        read: Some(format!("/api/v1/brands/{brand}/templates/email/UserActivation")),
        expect: Expect::At("/_embedded/settings/recipients", json!("ADMINS_ONLY")),
    })
    .await;
    let feature = id(first(&state, "features", |f| f["status"] == "DISABLED").1);
    run.step(Step {
        category: "features",
        method: "POST",
        template: "/api/v1/features/{featureId}/{lifecycle}",
        path: format!("/api/v1/features/{feature}/enable"),
        body: None,
        event: "system.feature.enable",
        read: Some(format!("/api/v1/features/{feature}")),
        expect: Expect::Status("ENABLED"),
    })
    .await;
    run.step(Step {
        category: "threat_insight",
        method: "POST",
        template: "/api/v1/threats/configuration",
        path: "/api/v1/threats/configuration".into(),
        body: Some(json!({ "action": "audit", "excludeZones": [zone] })),
        event: "security.threat.configuration.update",
        read: Some("/api/v1/threats/configuration".into()),
        expect: Expect::Has(json!({ "action": "audit", "excludeZones": [zone] })),
    })
    .await;
    let captcha = id(first(&state, "captchas", |_| true).1);
    run.step(Step {
        category: "org_captcha",
        method: "PUT",
        template: "/api/v1/org/captcha",
        path: "/api/v1/org/captcha".into(),
        body: Some(json!({ "captchaId": captcha, "enabledPages": ["SIGN_IN"] })),
        event: "system.org.captcha.update",
        read: Some("/api/v1/org/captcha".into()),
        expect: Expect::Has(json!({ "enabledPages": ["SIGN_IN"] })),
    })
    .await;
    let hook_body = json!({
        "name": "Restored hook", "events": { "type": "EVENT_TYPE", "items": ["user.lifecycle.create"] },
        "channel": { "type": "HTTP", "version": "1.0.0", "config": {
            "uri": "https://hooks.example.com/restored",
            "authScheme": { "type": "HEADER", "key": "Authorization", "value": "s3cret" } } },
    });
    let hook = run
        .step(Step {
            category: "event_hooks",
            method: "POST",
            template: "/api/v1/eventHooks",
            path: "/api/v1/eventHooks".into(),
            body: Some(hook_body.clone()),
            event: "event_hook.created",
            read: None,
            expect: Expect::Has(json!({ "status": "ACTIVE", "verificationStatus": "UNVERIFIED" })),
        })
        .await;
    assert!(
        hook.pointer("/channel/config/authScheme/value").is_none(),
        "the hook's secret is never answered: {hook}"
    );
    let hook = id(&hook);
    let hook_path = format!("/api/v1/eventHooks/{hook}");
    let mut renamed_hook = hook_body.clone();
    renamed_hook["name"] = json!("Restored hooks");
    run.step(Step {
        category: "event_hooks",
        method: "PUT",
        template: "/api/v1/eventHooks/{eventHookId}",
        path: hook_path.clone(),
        body: Some(renamed_hook),
        event: "event_hook.updated",
        read: Some(hook_path.clone()),
        expect: Expect::Has(json!({ "name": "Restored hooks" })),
    })
    .await;
    for (op, status, template, event) in [
        (
            "deactivate",
            "INACTIVE",
            "/api/v1/eventHooks/{eventHookId}/lifecycle/deactivate",
            "event_hook.deactivated",
        ),
        (
            "activate",
            "ACTIVE",
            "/api/v1/eventHooks/{eventHookId}/lifecycle/activate",
            "event_hook.activated",
        ),
    ] {
        run.step(Step {
            category: "event_hooks",
            method: "POST",
            template,
            path: format!("{hook_path}/lifecycle/{op}"),
            body: None,
            event,
            read: Some(hook_path.clone()),
            expect: Expect::Status(status),
        })
        .await;
    }

    // Authorization servers with their scopes, claims, policies and rules.
    let server = run
        .step(Step {
            category: "authorization_servers",
            method: "POST",
            template: "/api/v1/authorizationServers",
            path: "/api/v1/authorizationServers".into(),
            body: Some(json!({ "name": "Restored API", "description": "Made by a restore",
                               "audiences": ["api://restored"] })),
            event: "oauth2.as.created",
            read: None,
            expect: Expect::Has(json!({ "status": "ACTIVE", "audiences": ["api://restored"] })),
        })
        .await;
    let server = id(&server);
    let server_path = format!("/api/v1/authorizationServers/{server}");
    let (_, system_scopes) = run.call("GET", &format!("{server_path}/scopes"), None).await;
    assert!(
        system_scopes
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "openid" && s["system"] == true),
        "a new server comes with Okta's system scopes: {system_scopes}"
    );
    run.step(Step {
        category: "authorization_servers",
        method: "PUT",
        template: "/api/v1/authorizationServers/{authServerId}",
        path: server_path.clone(),
        body: Some(json!({ "name": "Restored API", "description": "Updated", "audiences": ["api://restored"] })),
        event: "oauth2.as.updated",
        read: Some(server_path.clone()),
        expect: Expect::Has(json!({ "description": "Updated" })),
    })
    .await;
    for (op, status, template, event) in [
        (
            "deactivate",
            "INACTIVE",
            "/api/v1/authorizationServers/{authServerId}/lifecycle/deactivate",
            "oauth2.as.deactivated",
        ),
        (
            "activate",
            "ACTIVE",
            "/api/v1/authorizationServers/{authServerId}/lifecycle/activate",
            "oauth2.as.activated",
        ),
    ] {
        run.step(Step {
            category: "authorization_servers",
            method: "POST",
            template,
            path: format!("{server_path}/lifecycle/{op}"),
            body: None,
            event,
            read: Some(server_path.clone()),
            expect: Expect::Status(status),
        })
        .await;
    }
    let scope = run
        .step(Step {
            category: "authserver_scopes",
            method: "POST",
            template: "/api/v1/authorizationServers/{authServerId}/scopes",
            path: format!("{server_path}/scopes"),
            body: Some(json!({ "name": "reports:read", "description": "Read reports", "consent": "IMPLICIT" })),
            event: "oauth2.as.config.create",
            read: None,
            expect: Expect::Has(json!({ "name": "reports:read", "system": false })),
        })
        .await;
    let scope = id(&scope);
    run.step(Step {
        category: "authserver_scopes",
        method: "PUT",
        template: "/api/v1/authorizationServers/{authServerId}/scopes/{scopeId}",
        path: format!("{server_path}/scopes/{scope}"),
        body: Some(json!({ "name": "reports:read", "description": "Read every report", "consent": "REQUIRED" })),
        event: "oauth2.as.config.update",
        read: Some(format!("{server_path}/scopes/{scope}")),
        expect: Expect::Has(json!({ "consent": "REQUIRED" })),
    })
    .await;
    let claim_body = json!({ "name": "team", "claimType": "IDENTITY", "valueType": "EXPRESSION",
                             "value": "user.department", "status": "ACTIVE",
                             "conditions": { "scopes": ["profile"] }, "alwaysIncludeInToken": true });
    let claim = run
        .step(Step {
            category: "authserver_claims",
            method: "POST",
            template: "/api/v1/authorizationServers/{authServerId}/claims",
            path: format!("{server_path}/claims"),
            body: Some(claim_body.clone()),
            event: "oauth2.as.config.create",
            read: None,
            expect: Expect::Has(json!({ "name": "team", "system": false })),
        })
        .await;
    let claim = id(&claim);
    let mut claim_update = claim_body.clone();
    claim_update["value"] = json!("user.title");
    run.step(Step {
        category: "authserver_claims",
        method: "PUT",
        template: "/api/v1/authorizationServers/{authServerId}/claims/{claimId}",
        path: format!("{server_path}/claims/{claim}"),
        body: Some(claim_update),
        event: "oauth2.as.config.update",
        read: Some(format!("{server_path}/claims/{claim}")),
        expect: Expect::Has(json!({ "value": "user.title" })),
    })
    .await;
    let as_policy_body = json!({ "type": "OAUTH_AUTHORIZATION_POLICY", "name": "Restored access", "priority": 1,
                                 "description": "Made by a restore",
                                 "conditions": { "clients": { "include": ["ALL_CLIENTS"] } } });
    let as_policy = run
        .step(Step {
            category: "authserver_policies",
            method: "POST",
            template: "/api/v1/authorizationServers/{authServerId}/policies",
            path: format!("{server_path}/policies"),
            body: Some(as_policy_body.clone()),
            event: "oauth2.as.policy.created",
            read: None,
            expect: Expect::Status("ACTIVE"),
        })
        .await;
    let as_policy = id(&as_policy);
    let as_policy_path = format!("{server_path}/policies/{as_policy}");
    let mut as_policy_update = as_policy_body.clone();
    as_policy_update["description"] = json!("Updated");
    run.step(Step {
        category: "authserver_policies",
        method: "PUT",
        template: "/api/v1/authorizationServers/{authServerId}/policies/{policyId}",
        path: as_policy_path.clone(),
        body: Some(as_policy_update),
        event: "oauth2.as.policy.updated",
        read: Some(as_policy_path.clone()),
        expect: Expect::Has(json!({ "description": "Updated" })),
    })
    .await;
    for (op, status, template, event) in [
        (
            "deactivate",
            "INACTIVE",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/lifecycle/deactivate",
            "oauth2.as.policy.deactivated",
        ),
        (
            "activate",
            "ACTIVE",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/lifecycle/activate",
            "oauth2.as.policy.activated",
        ),
    ] {
        run.step(Step {
            category: "authserver_policies",
            method: "POST",
            template,
            path: format!("{as_policy_path}/lifecycle/{op}"),
            body: None,
            event,
            read: Some(as_policy_path.clone()),
            expect: Expect::Status(status),
        })
        .await;
    }
    let as_rule_body = json!({
        "type": "RESOURCE_ACCESS", "name": "Restored rule", "priority": 1,
        "conditions": { "people": { "groups": { "include": [group] } },
                        "grantTypes": { "include": ["authorization_code"] }, "scopes": { "include": ["openid"] } },
        "actions": { "token": { "accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0,
                                "refreshTokenWindowMinutes": 10080 } },
    });
    let as_rule = run
        .step(Step {
            category: "authserver_policy_rules",
            method: "POST",
            template: "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules",
            path: format!("{as_policy_path}/rules"),
            body: Some(as_rule_body.clone()),
            event: "oauth2.as.policy.rule.created",
            read: None,
            expect: Expect::Status("ACTIVE"),
        })
        .await;
    let as_rule = id(&as_rule);
    let as_rule_path = format!("{as_policy_path}/rules/{as_rule}");
    let mut as_rule_update = as_rule_body.clone();
    as_rule_update["actions"]["token"]["accessTokenLifetimeMinutes"] = json!(30);
    run.step(Step {
        category: "authserver_policy_rules",
        method: "PUT",
        template: "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}",
        path: as_rule_path.clone(),
        body: Some(as_rule_update),
        event: "oauth2.as.policy.rule.updated",
        read: Some(as_rule_path.clone()),
        expect: Expect::At("/actions/token/accessTokenLifetimeMinutes", json!(30)),
    })
    .await;
    for (op, status, template, event) in [
        (
            "deactivate",
            "INACTIVE",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}/lifecycle/deactivate",
            "oauth2.as.policy.rule.deactivated",
        ),
        (
            "activate",
            "ACTIVE",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}/lifecycle/activate",
            "oauth2.as.policy.rule.activated",
        ),
    ] {
        run.step(Step {
            category: "authserver_policy_rules",
            method: "POST",
            template,
            path: format!("{as_rule_path}/lifecycle/{op}"),
            body: None,
            event,
            read: Some(as_rule_path.clone()),
            expect: Expect::Status(status),
        })
        .await;
    }

    // Identity providers, app grants, linked objects, factors, mappings, SMS templates.
    let idp_body = json!({
        "type": "OIDC", "name": "Restored OIDC IdP",
        "protocol": { "type": "OIDC",
            "endpoints": {
                "authorization": { "url": "https://idp.example.org/authorize", "binding": "HTTP-REDIRECT" },
                "token": { "url": "https://idp.example.org/token", "binding": "HTTP-POST" },
                "jwks": { "url": "https://idp.example.org/keys", "binding": "HTTP-REDIRECT" } },
            "issuer": { "url": "https://idp.example.org" },
            "scopes": ["openid", "email"],
            "credentials": { "client": { "client_id": "restored-client", "client_secret": "s3cret" } } },
        "policy": { "provisioning": { "action": "AUTO", "profileMaster": false, "groups": { "action": "NONE" } },
                    "subject": { "userNameTemplate": { "template": "idpuser.email" }, "matchType": "USERNAME" },
                    "maxClockSkew": 120000 },
    });
    let idp = run
        .step(Step {
            category: "identity_providers",
            method: "POST",
            template: "/api/v1/idps",
            path: "/api/v1/idps".into(),
            body: Some(idp_body.clone()),
            event: "system.idp.lifecycle.create",
            read: None,
            expect: Expect::Status("ACTIVE"),
        })
        .await;
    assert!(
        idp.pointer("/protocol/credentials/client/client_secret").is_none(),
        "an IdP's client secret is never answered: {idp}"
    );
    let idp = id(&idp);
    let idp_path = format!("/api/v1/idps/{idp}");
    let mut idp_update = idp_body.clone();
    idp_update["name"] = json!("Restored IdP");
    run.step(Step {
        category: "identity_providers",
        method: "PUT",
        template: "/api/v1/idps/{idpId}",
        path: idp_path.clone(),
        body: Some(idp_update),
        event: "system.idp.lifecycle.update",
        read: Some(idp_path.clone()),
        expect: Expect::Has(json!({ "name": "Restored IdP" })),
    })
    .await;
    for (op, status, template, event) in [
        (
            "deactivate",
            "INACTIVE",
            "/api/v1/idps/{idpId}/lifecycle/deactivate",
            "system.idp.lifecycle.deactivate",
        ),
        (
            "activate",
            "ACTIVE",
            "/api/v1/idps/{idpId}/lifecycle/activate",
            "system.idp.lifecycle.activate",
        ),
    ] {
        run.step(Step {
            category: "identity_providers",
            method: "POST",
            template,
            path: format!("{idp_path}/lifecycle/{op}"),
            body: None,
            event,
            read: Some(idp_path.clone()),
            expect: Expect::Status(status),
        })
        .await;
    }
    let oidc = state
        .apps
        .iter()
        .find(|a| a["signOnMode"] == "OPENID_CONNECT")
        .map(id)
        .unwrap();
    let grant = run
        .step(Step {
            category: "app_grants",
            method: "POST",
            template: "/api/v1/apps/{appId}/grants",
            path: format!("/api/v1/apps/{oidc}/grants"),
            body: Some(json!({ "issuer": run.sim.url(), "scopeId": "okta.devices.read" })),
            event: "app.oauth2.admin.consent.grant",
            read: None,
            expect: Expect::Has(json!({ "scopeId": "okta.devices.read", "clientId": oidc, "status": "ACTIVE" })),
        })
        .await;
    let (_, grant_read) = run
        .call("GET", &format!("/api/v1/apps/{oidc}/grants/{}", id(&grant)), None)
        .await;
    assert_eq!(grant_read["scopeId"], "okta.devices.read", "the grant reads back");
    run.step(Step {
        category: "linked_object_definitions",
        method: "POST",
        template: "/api/v1/meta/schemas/user/linkedObjects",
        path: "/api/v1/meta/schemas/user/linkedObjects".into(),
        body: Some(json!({
            "primary": { "name": "mentor", "title": "Mentor", "description": "Mentor link", "type": "USER" },
            "associated": { "name": "mentee", "title": "Mentee", "description": "Mentee link", "type": "USER" },
        })),
        event: "system.linked_object.create",
        read: Some("/api/v1/meta/schemas/user/linkedObjects/mentor".into()),
        expect: Expect::Has(json!({ "associated": { "name": "mentee" } })),
    })
    .await;
    run.step(Step {
        category: "linked_object_values",
        method: "PUT",
        template: "/api/v1/users/{userIdOrLogin}/linkedObjects/{primaryRelationshipName}/{primaryUserId}",
        path: format!("/api/v1/users/{}/linkedObjects/mentor/{}", active[4], active[5]),
        body: None,
        event: "",
        read: Some(format!("/api/v1/users/{}/linkedObjects/mentor", active[4])),
        expect: Expect::At(
            "/0/_links/self/href",
            json!(format!("{}/api/v1/users/{}", run.sim.url(), active[5])),
        ),
    })
    .await;
    run.step(Step {
        category: "user_factors",
        method: "POST",
        template: "/api/v1/users/{userId}/factors",
        path: format!("/api/v1/users/{}/factors", active[6]),
        body: Some(json!({ "factorType": "token:software:totp", "provider": "GOOGLE" })),
        event: "user.mfa.factor.activate",
        read: None,
        expect: Expect::Has(json!({ "factorType": "token:software:totp" })),
    })
    .await;
    let mapping = id(first(&state, "profile_mappings", |_| true).1);
    run.step(Step {
        category: "profile_mapping_properties",
        method: "POST",
        template: "/api/v1/mappings/{mappingId}",
        path: format!("/api/v1/mappings/{mapping}"),
        body: Some(json!({ "properties": {
            "nickName": { "expression": "user.nickName", "pushStatus": "PUSH" },
            "lastName": null,
        } })),
        event: "system.mapping.update",
        read: Some(format!("/api/v1/mappings/{mapping}")),
        expect: Expect::At("/properties/nickName/expression", json!("user.nickName")),
    })
    .await;
    let sms = run
        .step(Step {
            category: "sms_templates",
            method: "POST",
            template: "/api/v1/templates/sms",
            path: "/api/v1/templates/sms".into(),
            body: Some(json!({ "name": "Restored", "type": "SMS_VERIFY_CODE",
                               "template": "${org.name} code: ${code}", "translations": { "it": "Codice: ${code}" } })),
            event: "system.sms.template.create",
            read: None,
            expect: Expect::Has(json!({ "name": "Restored" })),
        })
        .await;
    let sms = id(&sms);
    run.step(Step {
        category: "sms_templates",
        method: "PUT",
        template: "/api/v1/templates/sms/{templateId}",
        path: format!("/api/v1/templates/sms/{sms}"),
        body: Some(json!({ "name": "Restored", "type": "SMS_VERIFY_CODE",
                           "template": "${org.name}: ${code}", "translations": {} })),
        event: "system.sms.template.update",
        read: Some(format!("/api/v1/templates/sms/{sms}")),
        expect: Expect::Has(json!({ "template": "${org.name}: ${code}" })),
    })
    .await;

    // The org's switches and settings.
    for (category, path, field, value) in [
        (
            "org_preferences",
            "/api/v1/org/preferences/hideEndUserFooter",
            "/showEndUserFooter",
            false,
        ),
        (
            "org_preferences",
            "/api/v1/org/preferences/showEndUserFooter",
            "/showEndUserFooter",
            true,
        ),
        (
            "org_okta_communication",
            "/api/v1/org/privacy/oktaCommunication/optOut",
            "/optOutEmailUsers",
            true,
        ),
        (
            "org_okta_communication",
            "/api/v1/org/privacy/oktaCommunication/optIn",
            "/optOutEmailUsers",
            false,
        ),
    ] {
        let read = path.rsplit_once('/').unwrap().0.to_string();
        run.step(Step {
            category,
            method: "POST",
            template: path,
            path: path.into(),
            body: None,
            event: "system.org.setting.update",
            read: Some(read),
            expect: Expect::At(field, json!(value)),
        })
        .await;
    }
    for (category, method, path, body) in [
        (
            "org_third_party_admin",
            "POST",
            "/api/v1/org/orgSettings/thirdPartyAdminSetting",
            json!({ "thirdPartyAdmin": true }),
        ),
        (
            "org_auto_assign_admin_app",
            "POST",
            "/api/v1/org/settings/autoAssignAdminAppSetting",
            json!({ "autoAssignAdminAppSetting": false }),
        ),
        (
            "org_client_privileges",
            "PUT",
            "/api/v1/org/settings/clientPrivilegesSetting",
            json!({ "clientPrivilegesSetting": true }),
        ),
    ] {
        run.step(Step {
            category,
            method,
            template: path,
            path: path.into(),
            body: Some(body.clone()),
            event: "system.org.setting.update",
            read: Some(path.into()),
            expect: Expect::Has(body),
        })
        .await;
    }

    // Admin roles: custom roles, permissions, resource sets, resources, bindings, members, assignments.
    let role = run
        .step(Step {
            category: "custom_roles",
            method: "POST",
            template: "/api/v1/iam/roles",
            path: "/api/v1/iam/roles".into(),
            body: Some(json!({ "label": "Restored auditor", "description": "Reads users",
                               "permissions": ["okta.users.read"] })),
            event: "iam.role.create",
            read: None,
            expect: Expect::Has(json!({ "label": "Restored auditor" })),
        })
        .await;
    let role = id(&role);
    run.step(Step {
        category: "custom_roles",
        method: "PUT",
        template: "/api/v1/iam/roles/{roleIdOrLabel}",
        path: format!("/api/v1/iam/roles/{role}"),
        body: Some(json!({ "label": "Restored auditor", "description": "Reads users and groups" })),
        event: "iam.role.update",
        read: Some(format!("/api/v1/iam/roles/{role}")),
        expect: Expect::Has(json!({ "description": "Reads users and groups" })),
    })
    .await;
    let permission = format!("/api/v1/iam/roles/{role}/permissions/okta.groups.read");
    run.step(Step {
        category: "role_permissions",
        method: "POST",
        template: "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
        path: permission.clone(),
        body: Some(json!({})),
        event: "iam.role.permission.add",
        read: Some(permission.clone()),
        expect: Expect::Has(json!({ "label": "okta.groups.read" })),
    })
    .await;
    let conditions = json!({ "include": { "okta:ResourceAttribute/User/Profile": ["city"] } });
    run.step(Step {
        category: "role_permissions",
        method: "PUT",
        template: "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
        path: format!("/api/v1/iam/roles/Restored auditor/permissions/okta.users.read"),
        body: Some(json!({ "conditions": conditions })),
        event: "iam.role.permission.update",
        read: Some(format!("/api/v1/iam/roles/{role}/permissions/okta.users.read")),
        expect: Expect::Has(json!({ "conditions": conditions })),
    })
    .await;
    let set = run
        .step(Step {
            category: "resource_sets",
            method: "POST",
            template: "/api/v1/iam/resource-sets",
            path: "/api/v1/iam/resource-sets".into(),
            body: Some(json!({ "label": "Restored set", "description": "Pilots",
                               "resources": [format!("{}/api/v1/groups/{group}", run.sim.url())] })),
            event: "iam.resourceset.create",
            read: None,
            expect: Expect::Has(json!({ "label": "Restored set" })),
        })
        .await;
    let set = id(&set);
    let set_path = format!("/api/v1/iam/resource-sets/{set}");
    run.step(Step {
        category: "resource_sets",
        method: "PUT",
        template: "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}",
        path: set_path.clone(),
        body: Some(json!({ "label": "Restored set", "description": "Pilots and apps" })),
        event: "iam.resourceset.update",
        read: Some(set_path.clone()),
        expect: Expect::Has(json!({ "description": "Pilots and apps" })),
    })
    .await;
    let added = run
        .step(Step {
            category: "resource_set_resources",
            method: "POST",
            template: "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources",
            path: format!("{set_path}/resources"),
            body: Some(
                json!({ "resourceOrnOrUrl": format!("{}/api/v1/apps/{app}", run.sim.url()),
                               "conditions": { "exclude": { "okta:ORN": [] } } }),
            ),
            event: "iam.resourceset.resources.add",
            read: None,
            expect: Expect::At(
                "/_links/self/href",
                json!(format!("{}/api/v1/apps/{app}", run.sim.url())),
            ),
        })
        .await;
    let added = id(&added);
    run.step(Step {
        category: "resource_set_resources",
        method: "PUT",
        template: "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources/{resourceId}",
        path: format!("{set_path}/resources/{added}"),
        body: Some(json!({ "conditions": { "exclude": { "okta:ORN": ["orn:okta:idp:x:apps:bookmark"] } } })),
        event: "iam.resourceset.resources.update",
        read: None,
        expect: Expect::At("/conditions/exclude/okta:ORN/0", json!("orn:okta:idp:x:apps:bookmark")),
    })
    .await;
    run.step(Step {
        category: "resource_set_bindings",
        method: "POST",
        template: "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings",
        path: format!("{set_path}/bindings"),
        body: Some(json!({ "role": role, "members": [format!("{}/api/v1/users/{}", run.sim.url(), active[7])] })),
        event: "user.account.privilege.grant",
        read: Some(format!("{set_path}/bindings")),
        expect: Expect::At("/roles/0/id", json!(role)),
    })
    .await;
    run.step(Step {
        category: "resource_set_binding_members",
        method: "PATCH",
        template: "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members",
        path: format!("{set_path}/bindings/{role}/members"),
        body: Some(json!({ "additions": [format!("{}/api/v1/groups/{group}", run.sim.url())] })),
        event: "group.privilege.grant",
        read: Some(format!("/api/v1/groups/{group}/roles")),
        expect: Expect::At("/0/resource-set", json!(set)),
    })
    .await;
    let (_, members) = run
        .call("GET", &format!("{set_path}/bindings/{role}/members"), None)
        .await;
    assert_eq!(members["members"].as_array().map(Vec::len), Some(2), "{members}");
    let user_role = run
        .step(Step {
            category: "user_roles",
            method: "POST",
            template: "/api/v1/users/{userId}/roles",
            path: format!("/api/v1/users/{}/roles", active[8]),
            body: Some(json!({ "type": "USER_ADMIN" })),
            event: "user.account.privilege.grant",
            read: None,
            expect: Expect::Has(json!({ "type": "USER_ADMIN", "assignmentType": "USER" })),
        })
        .await;
    let user_role = id(&user_role);
    let group_role = run
        .step(Step {
            category: "group_roles",
            method: "POST",
            template: "/api/v1/groups/{groupId}/roles",
            path: format!("/api/v1/groups/{group}/roles"),
            body: Some(json!({ "type": "APP_ADMIN" })),
            event: "group.privilege.grant",
            read: None,
            expect: Expect::Has(json!({ "type": "APP_ADMIN", "assignmentType": "GROUP" })),
        })
        .await;
    let group_role = id(&group_role);
    let target_group = &okta_groups[2];
    run.step(Step {
        category: "user_role_group_targets",
        method: "PUT",
        template: "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/groups/{groupId}",
        path: format!(
            "/api/v1/users/{}/roles/{user_role}/targets/groups/{target_group}",
            active[8]
        ),
        body: None,
        event: "user.account.privilege.grant",
        read: Some(format!("/api/v1/users/{}/roles/{user_role}/targets/groups", active[8])),
        expect: Expect::Lists(target_group.clone()),
    })
    .await;
    let saml = state.apps.iter().find(|a| a["signOnMode"] == "SAML_2_0").unwrap();
    let (saml_id, saml_name) = (id(saml), saml["name"].as_str().unwrap().to_string());
    run.step(Step {
        category: "group_role_app_targets",
        method: "PUT",
        template: "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}/{appId}",
        path: format!("/api/v1/groups/{group}/roles/{group_role}/targets/catalog/apps/{saml_name}/{saml_id}"),
        body: None,
        event: "group.privilege.grant",
        read: Some(format!(
            "/api/v1/groups/{group}/roles/{group_role}/targets/catalog/apps"
        )),
        expect: Expect::Lists(saml_id.clone()),
    })
    .await;
    // The other two target rows, on seeded assignments that take them.
    let (holder, admin) = objects(&state, "group_roles")
        .into_iter()
        .find(|(_, a)| a["type"] == "USER_ADMIN")
        .map(|(h, a)| (h.to_string(), id(a)))
        .unwrap();
    run.step(Step {
        category: "group_role_group_targets",
        method: "PUT",
        template: "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/groups/{targetGroupId}",
        path: format!("/api/v1/groups/{holder}/roles/{admin}/targets/groups/{group}"),
        body: None,
        event: "group.privilege.grant",
        read: Some(format!("/api/v1/groups/{holder}/roles/{admin}/targets/groups")),
        expect: Expect::Lists(group.clone()),
    })
    .await;
    let (holder, admin) = objects(&state, "user_roles")
        .into_iter()
        .find(|(_, a)| a["type"] == "APP_ADMIN")
        .map(|(h, a)| (h.to_string(), id(a)))
        .unwrap();
    run.step(Step {
        category: "user_role_app_targets",
        method: "PUT",
        template: "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}/{appId}",
        path: format!("/api/v1/users/{holder}/roles/{admin}/targets/catalog/apps/{saml_name}/{saml_id}"),
        body: None,
        event: "user.account.privilege.grant",
        read: Some(format!("/api/v1/users/{holder}/roles/{admin}/targets/catalog/apps")),
        expect: Expect::Lists(saml_id.clone()),
    })
    .await;

    assert!(
        run.problems.is_empty(),
        "{} problem(s):\n{}",
        run.problems.len(),
        run.problems.join("\n")
    );
    let missing: Vec<String> = catalog_restore_endpoints()
        .into_iter()
        .filter(|e| !run.covered.contains(e))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "restore endpoints of the catalog this test does not make:\n{}",
        missing.join("\n")
    );
}

/// The restore endpoints of every catalog row, read from the catalog's source (`post("...")`, `put(...)`,
/// `patch(...)`, and the activate/deactivate pair of `lifecycle!("...")`), so a row added to the catalog
/// fails this test until the simulator serves it and this file makes the call.
fn catalog_restore_endpoints() -> BTreeSet<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/src/categories.rs");
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read the catalog {}: {e}", path.display()));
    let mut endpoints = BTreeSet::new();
    for (call, method) in [
        ("post(\"", "POST"),
        ("put(\"", "PUT"),
        ("patch(\"", "PATCH"),
        ("lifecycle!(\"", ""),
    ] {
        for (at, _) in source.match_indices(call) {
            let rest = &source[at + call.len()..];
            let Some(end) = rest.find('"') else { continue };
            let template = &rest[..end];
            match method {
                "" => {
                    endpoints.insert(("POST".into(), format!("{template}/lifecycle/activate")));
                    endpoints.insert(("POST".into(), format!("{template}/lifecycle/deactivate")));
                }
                method => {
                    endpoints.insert((method.to_string(), template.to_string()));
                }
            }
        }
    }
    assert!(
        endpoints.len() > 100,
        "only {} restore endpoints read from {}",
        endpoints.len(),
        path.display()
    );
    endpoints
}

#[test]
fn the_catalog_names_the_restore_endpoints_this_test_reads() {
    let endpoints = catalog_restore_endpoints();
    for expected in [
        ("POST", "/api/v1/users"),
        ("POST", "/api/v1/users/{id}/lifecycle/activate"),
        (
            "PATCH",
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members",
        ),
        ("POST", "/api/v1/features/{featureId}/{lifecycle}"),
    ] {
        assert!(
            endpoints.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} not read from the catalog"
        );
    }
}
