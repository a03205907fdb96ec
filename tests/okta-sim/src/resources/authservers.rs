//! Custom authorization servers with their scopes, claims, access policies, policy rules (listed per
//! server *and* policy: a nested parent `server/policy`) and signing keys. Policies name real OIDC
//! apps as clients, rules real groups and users. Shapes follow the spec's `AuthorizationServer`,
//! `OAuth2Scope`, `OAuth2Claim`, `AuthorizationServerPolicy`, `AuthorizationServerPolicyRule` and
//! `AuthorizationServerJsonWebKey` schemas and examples.

use serde_json::{Value, json};

use super::security::system_rule;
use super::write::{Events, Fill, Op, Writes, call};
use super::{Resource, SeedCtx, Seeded, Shape, put_object};
use crate::handlers::PageSizes;

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "authorization_servers",
        route: "/api/v1/authorizationServers",
        item_route: Some("/api/v1/authorizationServers/{authServerId}"),
        // Spec: default 200, maximum 200.
        shape: Shape::Array(Some(PageSizes {
            default: 200,
            min: 1,
            max: 200,
        })),
        scope: "okta.authorizationServers.read",
        seed: seed_servers,
        writes: Some(&SERVER_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "authserver_scopes",
        route: "/api/v1/authorizationServers/{authServerId}/scopes",
        item_route: Some("/api/v1/authorizationServers/{authServerId}/scopes/{scopeId}"),
        parent: Some("authorization_servers"),
        // Spec: maximum 200, no default stated; the simulator pages by 200.
        shape: Shape::Array(Some(PageSizes {
            default: 200,
            min: 1,
            max: 200,
        })),
        scope: "okta.authorizationServers.read",
        seed: seed_scopes,
        writes: Some(&SCOPE_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "authserver_claims",
        route: "/api/v1/authorizationServers/{authServerId}/claims",
        item_route: Some("/api/v1/authorizationServers/{authServerId}/claims/{claimId}"),
        parent: Some("authorization_servers"),
        shape: Shape::Array(None),
        scope: "okta.authorizationServers.read",
        seed: seed_claims,
        writes: Some(&CLAIM_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "authserver_policies",
        route: "/api/v1/authorizationServers/{authServerId}/policies",
        item_route: Some("/api/v1/authorizationServers/{authServerId}/policies/{policyId}"),
        parent: Some("authorization_servers"),
        shape: Shape::Array(None),
        scope: "okta.authorizationServers.read",
        seed: seed_policies,
        writes: Some(&AS_POLICY_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "authserver_policy_rules",
        route: "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules",
        item_route: Some("/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}"),
        parent: Some("authserver_policies"),
        shape: Shape::Array(None),
        scope: "okta.authorizationServers.read",
        seed: seed_policy_rules,
        writes: Some(&AS_RULE_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "authserver_keys",
        route: "/api/v1/authorizationServers/{authServerId}/credentials/keys",
        item_route: Some("/api/v1/authorizationServers/{authServerId}/credentials/keys/{keyId}"),
        parent: Some("authorization_servers"),
        shape: Shape::Array(None),
        key: "/kid",
        scope: "okta.authorizationServers.read",
        seed: seed_keys,
        ..Resource::DEFAULTS
    },
];

const SERVERS: &str = "/api/v1/authorizationServers";

static SERVER_WRITES: Writes = Writes {
    calls: &[
        call("POST", SERVERS, Op::Create, 201),
        call("PUT", "/api/v1/authorizationServers/{authServerId}", Op::Replace, 200),
        call("DELETE", "/api/v1/authorizationServers/{authServerId}", Op::Delete, 204),
        call(
            "POST",
            "/api/v1/authorizationServers/{authServerId}/lifecycle/activate",
            Op::Activate,
            204,
        ),
        call(
            "POST",
            "/api/v1/authorizationServers/{authServerId}/lifecycle/deactivate",
            Op::Deactivate,
            204,
        ),
    ],
    id_prefix: "aus",
    events: Events {
        target: "AuthorizationServer",
        create: "oauth2.as.created",
        update: "oauth2.as.updated",
        activate: "oauth2.as.activated",
        deactivate: "oauth2.as.deactivated",
        delete: "oauth2.as.deleted",
    },
    // The issuer URL and the signing key are Okta's.
    server_fields: &["status", "issuer", "credentials"],
    created_status: Some("ACTIVE"),
    fill: new_server,
    ..Writes::DEFAULTS
};

/// A new authorization server: its issuer and signing key, and what Okta makes with it: the system
/// scopes (`openid`, `profile`...), the `sub` claim, and its first signing key.
fn new_server(fill: &mut Fill) {
    let id = fill.object["id"].as_str().unwrap_or_default().to_string();
    let path = format!("{SERVERS}/{id}");
    let kid = fill.ids.random_text(43);
    fill.object["issuer"] = json!(format!("{}/oauth2/{id}", fill.base));
    if fill.object.get("issuerMode").is_none() {
        fill.object["issuerMode"] = json!("ORG_URL");
    }
    fill.object["credentials"] = json!({ "signing": { "rotationMode": "AUTO", "lastRotated": fill.now, "kid": kid } });
    let link = |p: String, allow: &[&str]| json!({ "href": format!("{}{p}", fill.base), "hints": { "allow": allow } });
    for rel in ["scopes", "claims", "policies"] {
        fill.object["_links"][rel] = link(format!("{path}/{rel}"), &["GET"]);
    }
    fill.object["_links"]["rotateKey"] = link(format!("{path}/credentials/lifecycle/keyRotate"), &["POST"]);
    for name in [
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
        "device_sso",
    ] {
        let scope_id = fill.ids.next("scp");
        let scope = json!({
            "id": scope_id, "name": name, "description": format!("Allows {name}"), "system": true,
            "default": false, "consent": "IMPLICIT", "optional": false, "metadataPublish": "ALL_CLIENTS",
            "_links": { "self": link(format!("{path}/scopes/{scope_id}"), &["GET", "PUT", "DELETE"]) },
        });
        put_object(&mut fill.org.resources, "authserver_scopes", &id, &scope);
    }
    let claim_id = fill.ids.next("ocl");
    let claim = json!({
        "id": claim_id, "name": "sub", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": "(appuser != null) ? appuser.userName : app.clientId", "conditions": { "scopes": [] },
        "system": true, "alwaysIncludeInToken": true,
        "_links": { "self": link(format!("{path}/claims/{claim_id}"), &["GET", "PUT", "DELETE"]) },
    });
    put_object(&mut fill.org.resources, "authserver_claims", &id, &claim);
    let key = json!({
        "status": "ACTIVE", "alg": "RS256", "e": "AQAB", "n": fill.ids.random_text(342), "kid": kid,
        "kty": "RSA", "use": "sig",
        "_links": { "self": link(format!("{path}/credentials/keys/{kid}"), &["GET"]) },
    });
    put_object(&mut fill.org.resources, "authserver_keys", &id, &key);
    // Its default policy for every client, as every server of a seeded org has (`system`: updated, never created).
    let policy_id = fill.ids.next("00p");
    let policy_path = format!("{path}/policies/{policy_id}");
    let policy = json!({
        "type": "OAUTH_AUTHORIZATION_POLICY", "id": policy_id, "status": "ACTIVE", "name": "Default Policy",
        "description": "Default Policy of the server", "priority": 1, "system": true,
        "conditions": { "clients": { "include": ["ALL_CLIENTS"] } }, "created": fill.now, "lastUpdated": fill.now,
        "_links": {
            "self": link(policy_path.clone(), &["GET", "PUT", "DELETE"]),
            "rules": link(format!("{policy_path}/rules"), &["GET"]),
        },
    });
    put_object(&mut fill.org.resources, "authserver_policies", &id, &policy);
}

/// Scopes and claims of a server: created and deleted freely, except Okta's own (`system`).
const fn server_part(calls: &'static [super::write::Call], prefix: &'static str, target: &'static str) -> Writes {
    Writes {
        calls,
        id_prefix: prefix,
        events: Events {
            target,
            create: "oauth2.as.config.create",
            update: "oauth2.as.config.update",
            delete: "oauth2.as.config.delete",
            ..Events::NONE
        },
        server_fields: &["system"],
        stamps: &[],
        rules: system_rule,
        fill: |fill| fill.object["system"] = json!(false),
        ..Writes::DEFAULTS
    }
}

static SCOPE_WRITES: Writes = server_part(
    &[
        call(
            "POST",
            "/api/v1/authorizationServers/{authServerId}/scopes",
            Op::Create,
            201,
        ),
        call(
            "PUT",
            "/api/v1/authorizationServers/{authServerId}/scopes/{scopeId}",
            Op::Replace,
            200,
        ),
        call(
            "DELETE",
            "/api/v1/authorizationServers/{authServerId}/scopes/{scopeId}",
            Op::Delete,
            204,
        ),
    ],
    "scp",
    "OAuth2Scope",
);

static CLAIM_WRITES: Writes = server_part(
    &[
        call(
            "POST",
            "/api/v1/authorizationServers/{authServerId}/claims",
            Op::Create,
            201,
        ),
        call(
            "PUT",
            "/api/v1/authorizationServers/{authServerId}/claims/{claimId}",
            Op::Replace,
            200,
        ),
        call(
            "DELETE",
            "/api/v1/authorizationServers/{authServerId}/claims/{claimId}",
            Op::Delete,
            204,
        ),
    ],
    "ocl",
    "OAuth2Claim",
);

static AS_POLICY_WRITES: Writes = Writes {
    calls: &[
        call(
            "POST",
            "/api/v1/authorizationServers/{authServerId}/policies",
            Op::Create,
            201,
        ),
        call(
            "PUT",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}",
            Op::Replace,
            200,
        ),
        call(
            "DELETE",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}",
            Op::Delete,
            204,
        ),
        call(
            "POST",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/lifecycle/activate",
            Op::Activate,
            204,
        ),
        call(
            "POST",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/lifecycle/deactivate",
            Op::Deactivate,
            204,
        ),
    ],
    id_prefix: "00p",
    events: Events {
        target: "PolicyEntity",
        create: "oauth2.as.policy.created",
        update: "oauth2.as.policy.updated",
        activate: "oauth2.as.policy.activated",
        deactivate: "oauth2.as.policy.deactivated",
        delete: "oauth2.as.policy.deleted",
    },
    server_fields: &["status", "system"],
    created_status: Some("ACTIVE"),
    rules: system_rule,
    fill: |fill| {
        fill.object["system"] = json!(false);
        let rules = format!(
            "{}{SERVERS}/{}/policies/{}/rules",
            fill.base,
            fill.parent,
            fill.object["id"].as_str().unwrap_or_default()
        );
        fill.object["_links"]["rules"] = json!({ "href": rules, "hints": { "allow": ["GET"] } });
    },
    ..Writes::DEFAULTS
};

static AS_RULE_WRITES: Writes = Writes {
    calls: &[
        call(
            "POST",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules",
            Op::Create,
            201,
        ),
        call(
            "PUT",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}",
            Op::Replace,
            200,
        ),
        call(
            "DELETE",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}",
            Op::Delete,
            204,
        ),
        call(
            "POST",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}/lifecycle/activate",
            Op::Activate,
            204,
        ),
        call(
            "POST",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}/lifecycle/deactivate",
            Op::Deactivate,
            204,
        ),
    ],
    id_prefix: "0pr",
    events: Events {
        target: "PolicyRule",
        create: "oauth2.as.policy.rule.created",
        update: "oauth2.as.policy.rule.updated",
        activate: "oauth2.as.policy.rule.activated",
        deactivate: "oauth2.as.policy.rule.deactivated",
        delete: "oauth2.as.policy.rule.deleted",
    },
    server_fields: &["status", "system"],
    created_status: Some("ACTIVE"),
    rules: system_rule,
    fill: |fill| fill.object["system"] = json!(false),
    ..Writes::DEFAULTS
};

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

fn seed_servers(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Vec::new();
    for (name, audience, mode, status) in [
        ("default", "api://default", "DYNAMIC", "ACTIVE"),
        ("Orders API", "https://api.example.com/orders", "CUSTOM_URL", "ACTIVE"),
        ("Partner API", "https://partners.example.com", "ORG_URL", "INACTIVE"),
    ] {
        let id = ctx.ids.next("aus");
        let (created, updated) = ctx.times();
        let (rotated, _) = ctx.times();
        let kid = ctx.ids.random_text(43);
        let path = format!("{SERVERS}/{id}");
        let (rel, op) = if status == "ACTIVE" {
            ("deactivate", "deactivate")
        } else {
            ("activate", "activate")
        };
        out.push(json!({
            "id": id, "name": name, "description": format!("{name} authorization server"),
            "audiences": [audience], "issuer": ctx.url(&format!("/oauth2/{id}")), "issuerMode": mode,
            "status": status, "created": created, "lastUpdated": updated,
            "credentials": { "signing": { "rotationMode": "AUTO", "lastRotated": rotated, "kid": kid } },
            "_links": {
                "self": ctx.link(&path, &["GET", "DELETE", "PUT"]),
                "scopes": ctx.link(&format!("{path}/scopes"), &["GET"]),
                "claims": ctx.link(&format!("{path}/claims"), &["GET"]),
                "policies": ctx.link(&format!("{path}/policies"), &["GET"]),
                "rotateKey": ctx.link(&format!("{path}/credentials/lifecycle/keyRotate"), &["POST"]),
                rel: ctx.link(&format!("{path}/lifecycle/{op}"), &["POST"]),
            },
        }));
    }
    Seeded::from([(String::new(), out)])
}

fn seed_scopes(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Seeded::new();
    for server in ctx.objects("authorization_servers") {
        let server = id_of(&server);
        let mut scopes = Vec::new();
        for (name, system, consent) in [
            ("openid", true, "IMPLICIT"),
            ("profile", true, "IMPLICIT"),
            ("email", true, "IMPLICIT"),
            ("offline_access", true, "IMPLICIT"),
            ("orders:read", false, "REQUIRED"),
            ("orders:write", false, "REQUIRED"),
            ("partners:sync", false, "FLEXIBLE"),
        ] {
            let id = ctx.ids.next("scp");
            scopes.push(json!({
                "id": id, "name": name, "description": format!("Allows {name}"), "system": system,
                "default": name == "orders:read", "consent": consent, "optional": false,
                "metadataPublish": if system { "ALL_CLIENTS" } else { "NO_CLIENTS" },
                "_links": { "self": ctx.link(&format!("{SERVERS}/{server}/scopes/{id}"), &["GET", "PUT", "DELETE"]) },
            }));
        }
        out.insert(server, scopes);
    }
    out
}

fn seed_claims(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Seeded::new();
    for server in ctx.objects("authorization_servers") {
        let server = id_of(&server);
        let mut claims = Vec::new();
        for (name, claim_type, value_type, value, system) in [
            (
                "sub",
                "RESOURCE",
                "EXPRESSION",
                "(appuser != null) ? appuser.userName : app.clientId",
                true,
            ),
            ("department", "IDENTITY", "EXPRESSION", "user.department", false),
            ("groups", "IDENTITY", "GROUPS", "Sales", false),
        ] {
            let id = ctx.ids.next("ocl");
            let mut claim = json!({
                "id": id, "name": name, "status": "ACTIVE", "claimType": claim_type, "valueType": value_type,
                "value": value, "conditions": { "scopes": if system { json!([]) } else { json!(["profile"]) } },
                "system": system, "alwaysIncludeInToken": true,
                "_links": { "self": ctx.link(&format!("{SERVERS}/{server}/claims/{id}"), &["GET", "PUT", "DELETE"]) },
            });
            if value_type == "GROUPS" {
                claim["group_filter_type"] = json!("STARTS_WITH");
            }
            claims.push(claim);
        }
        out.insert(server, claims);
    }
    out
}

/// Two policies per server: one for every client, one for two real OIDC apps.
fn seed_policies(ctx: &mut SeedCtx) -> Seeded {
    let oidc_apps: Vec<String> = ctx
        .org
        .apps
        .iter()
        .filter(|a| a.value()["signOnMode"] == "OPENID_CONNECT")
        .map(|a| a.id.to_string())
        .take(2)
        .collect();
    let mut out = Seeded::new();
    for server in ctx.objects("authorization_servers") {
        let server = id_of(&server);
        let mut policies = Vec::new();
        for (priority, (name, clients)) in [
            ("Default Policy", vec!["ALL_CLIENTS".to_string()]),
            ("First-party apps", oidc_apps.clone()),
        ]
        .into_iter()
        .enumerate()
        {
            let id = ctx.ids.next("00p");
            let (created, updated) = ctx.times();
            let path = format!("{SERVERS}/{server}/policies/{id}");
            policies.push(json!({
                "type": "OAUTH_AUTHORIZATION_POLICY", "id": id, "status": "ACTIVE", "name": name,
                "description": format!("{name} of the server"), "priority": priority + 1, "system": priority == 0,
                "conditions": { "clients": { "include": clients } }, "created": created, "lastUpdated": updated,
                "_links": {
                    "self": ctx.link(&path, &["GET", "PUT", "DELETE"]),
                    "deactivate": ctx.link(&format!("{path}/lifecycle/deactivate"), &["POST"]),
                    "rules": ctx.link(&format!("{path}/rules"), &["GET"]),
                },
            }));
        }
        out.insert(server, policies);
    }
    out
}

/// Stored under `server/policy`: rules are listed per server and policy.
fn seed_policy_rules(ctx: &mut SeedCtx) -> Seeded {
    let groups = ctx.group_ids("OKTA_GROUP");
    let users = ctx.user_ids("ACTIVE");
    let mut out = Seeded::new();
    let Some(by_server) = ctx.org.resources.get("authserver_policies").cloned() else {
        return out;
    };
    for (server, policies) in by_server {
        for policy in policies.values() {
            let policy_id = id_of(&policy);
            let mut rules = Vec::new();
            for priority in 1..=2u64 {
                let id = ctx.ids.next("0pr");
                let (created, updated) = ctx.times();
                let pick = |list: &[String], n: u64| list.get(n as usize % list.len().max(1)).cloned();
                let group = pick(&groups, ctx.rng.below(1000)).into_iter().collect::<Vec<_>>();
                let user = pick(&users, ctx.rng.below(1000)).into_iter().collect::<Vec<_>>();
                let (grants, scopes) = if priority == 1 {
                    (
                        json!(["authorization_code", "refresh_token"]),
                        json!(["openid", "profile", "orders:read"]),
                    )
                } else {
                    (json!(["client_credentials"]), json!(["*"]))
                };
                let path = format!("{SERVERS}/{server}/policies/{policy_id}/rules/{id}");
                rules.push(json!({
                    "type": "RESOURCE_ACCESS", "id": id, "status": "ACTIVE", "name": format!("Rule {priority}"),
                    "priority": priority, "system": false, "created": created, "lastUpdated": updated,
                    "conditions": {
                        "people": {
                            "users": { "include": user, "exclude": [] },
                            "groups": { "include": group, "exclude": [] },
                        },
                        "grantTypes": { "include": grants },
                        "scopes": { "include": scopes },
                    },
                    "actions": { "token": {
                        "accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0,
                        "refreshTokenWindowMinutes": 10080,
                    } },
                    "_links": {
                        "self": ctx.link(&path, &["GET", "PUT", "DELETE"]),
                        "deactivate": ctx.link(&format!("{path}/lifecycle/deactivate"), &["POST"]),
                    },
                }));
            }
            out.insert(format!("{server}/{policy_id}"), rules);
        }
    }
    out
}

/// The current, next and an expired signing key of each server (public halves only).
fn seed_keys(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Seeded::new();
    for server in ctx.objects("authorization_servers") {
        let kid_now = server["credentials"]["signing"]["kid"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let server = id_of(&server);
        let mut keys = Vec::new();
        for status in ["ACTIVE", "NEXT", "EXPIRED"] {
            let kid = if status == "ACTIVE" {
                kid_now.clone()
            } else {
                ctx.ids.random_text(43)
            };
            keys.push(json!({
                "status": status, "alg": "RS256", "e": "AQAB", "n": ctx.ids.random_text(342), "kid": kid,
                "kty": "RSA", "use": "sig",
                "_links": { "self": ctx.link(&format!("{SERVERS}/{server}/credentials/keys/{kid}"), &["GET"]) },
            }));
        }
        out.insert(server, keys);
    }
    out
}
