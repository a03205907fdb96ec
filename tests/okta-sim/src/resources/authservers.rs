//! Custom authorization servers with their scopes, claims, access policies, policy rules (listed per
//! server *and* policy: a nested parent `server/policy`) and signing keys. Policies name real OIDC
//! apps as clients, rules real groups and users. Shapes follow the spec's `AuthorizationServer`,
//! `OAuth2Scope`, `OAuth2Claim`, `AuthorizationServerPolicy`, `AuthorizationServerPolicyRule` and
//! `AuthorizationServerJsonWebKey` schemas and examples.

use serde_json::{Value, json};

use super::{Resource, SeedCtx, Seeded, Shape};
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
