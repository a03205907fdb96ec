//! Security configuration: network zones, authenticators and their methods, policies of every type
//! and their rules. Rules reference real seeded zones, groups, users, user types and authenticators,
//! so a restore has ids to remap. Shapes follow the spec's `NetworkZone`, `AuthenticatorBase`,
//! `AuthenticatorMethodBase`, `Policy` and `PolicyRule` schemas and examples.

use serde_json::{Value, json};

use super::put_object;
use super::write::{Change, Events, Fill, Op, Writes, call};
use super::{QUERY_LIMIT, QueryFilter, Resource, SeedCtx, Seeded, Shape};
use crate::errors::ApiError;
use crate::handlers::PageSizes;
use crate::store::Org;

/// The policy types the simulator's org has (every `PolicyType` an oktavault backup lists).
pub const POLICY_TYPES: &[&str] = &[
    "OKTA_SIGN_ON",
    "PASSWORD",
    "MFA_ENROLL",
    "ACCESS_POLICY",
    "IDP_DISCOVERY",
    "PROFILE_ENROLLMENT",
    "ENTITY_RISK",
    "POST_AUTH_SESSION",
];

/// Every value of the spec's `PolicyType` enum: a list call with another `type` is refused.
const SPEC_POLICY_TYPES: &[&str] = &[
    "ACCESS_POLICY",
    "ENTITY_RISK",
    "IDP_DISCOVERY",
    "MFA_ENROLL",
    "OKTA_SIGN_ON",
    "PASSWORD",
    "POST_AUTH_SESSION",
    "PROFILE_ENROLLMENT",
    "DEVICE_SIGNAL_COLLECTION",
    "SESSION_VIOLATION_DETECTION",
    "CLIENT_UPDATE",
    "IDENTITY_CLAIM_SOURCING",
];

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "network_zones",
        route: "/api/v1/zones",
        item_route: Some("/api/v1/zones/{zoneId}"),
        // Spec: `limit` defaults to -1 (everything); the simulator caps a page at 200.
        shape: Shape::Array(Some(PageSizes {
            default: 200,
            min: 1,
            max: 200,
        })),
        scope: "okta.networkZones.read",
        seed: seed_zones,
        writes: Some(&ZONE_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "authenticators",
        route: "/api/v1/authenticators",
        item_route: Some("/api/v1/authenticators/{authenticatorId}"),
        // Spec: no paging parameters.
        shape: Shape::Array(None),
        scope: "okta.authenticators.read",
        seed: seed_authenticators,
        writes: Some(&AUTHENTICATOR_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "authenticator_methods",
        route: "/api/v1/authenticators/{authenticatorId}/methods",
        item_route: Some("/api/v1/authenticators/{authenticatorId}/methods/{methodType}"),
        parent: Some("authenticators"),
        shape: Shape::Array(None),
        key: "/type",
        scope: "okta.authenticators.read",
        seed: seed_authenticator_methods,
        writes: Some(&METHOD_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "policies",
        route: "/api/v1/policies",
        item_route: Some("/api/v1/policies/{policyId}"),
        // The spec states no page sizes; the simulator pages by 20, up to 200.
        shape: Shape::Array(Some(QUERY_LIMIT)),
        scope: "okta.policies.read",
        filters: &[QueryFilter {
            param: "type",
            field: "type",
            required: true,
            allowed: SPEC_POLICY_TYPES,
        }],
        seed: seed_policies,
        writes: Some(&POLICY_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "policy_rules",
        route: "/api/v1/policies/{policyId}/rules",
        item_route: Some("/api/v1/policies/{policyId}/rules/{ruleId}"),
        parent: Some("policies"),
        // The spec has `limit` but no cursor: the rules of a policy come in one answer.
        shape: Shape::Array(None),
        scope: "okta.policies.read",
        seed: seed_policy_rules,
        writes: Some(&RULE_WRITES),
        ..Resource::DEFAULTS
    },
];

static ZONE_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/zones", Op::Create, 200),
        call("PUT", "/api/v1/zones/{zoneId}", Op::Replace, 200),
        call("DELETE", "/api/v1/zones/{zoneId}", Op::Delete, 204),
        call("POST", "/api/v1/zones/{zoneId}/lifecycle/activate", Op::Activate, 200),
        call(
            "POST",
            "/api/v1/zones/{zoneId}/lifecycle/deactivate",
            Op::Deactivate,
            200,
        ),
    ],
    id_prefix: "nzo",
    events: Events {
        target: "NetworkZone",
        create: "zone.create",
        update: "zone.update",
        activate: "zone.activate",
        deactivate: "zone.deactivate",
        delete: "zone.delete",
    },
    server_fields: &["status", "system"],
    immutable: &["type"],
    created_status: Some("ACTIVE"),
    rules: system_rule,
    fill: |fill| fill.object["system"] = json!(false),
    ..Writes::DEFAULTS
};

/// Okta's own objects (`system: true`: default policies and rules, system zones, scopes and claims) are
/// never created or deleted through the API, only updated.
pub fn system_rule(_: &Org, change: &Change) -> Result<(), ApiError> {
    match change {
        Change::Create { body, .. } if body["system"] == true => Err(ApiError::validation(
            "system",
            "system: Okta makes its default (system) objects itself; update the existing one instead",
        )),
        Change::Delete { old } if old["system"] == true => Err(ApiError::validation(
            "system",
            format!(
                "system: {} is a default (system) object, which cannot be deleted, only updated",
                old["name"]
                    .as_str()
                    .unwrap_or_else(|| old["id"].as_str().unwrap_or_default())
            ),
        )),
        _ => Ok(()),
    }
}

static AUTHENTICATOR_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/authenticators", Op::Create, 200),
        call("PUT", "/api/v1/authenticators/{authenticatorId}", Op::Replace, 200),
        call(
            "POST",
            "/api/v1/authenticators/{authenticatorId}/lifecycle/activate",
            Op::Activate,
            200,
        ),
        call(
            "POST",
            "/api/v1/authenticators/{authenticatorId}/lifecycle/deactivate",
            Op::Deactivate,
            200,
        ),
    ],
    id_prefix: "aut",
    events: Events {
        target: "Authenticator",
        create: "security.authenticator.lifecycle.create",
        update: "security.authenticator.lifecycle.update",
        activate: "security.authenticator.lifecycle.activate",
        deactivate: "security.authenticator.lifecycle.deactivate",
        ..Events::NONE
    },
    server_fields: &["status"],
    immutable: &["key", "type"],
    created_status: Some("ACTIVE"),
    rules: one_authenticator_per_key,
    fill: new_authenticator,
    ..Writes::DEFAULTS
};

/// A new authenticator comes with its methods, on while it is.
fn new_authenticator(fill: &mut super::write::Fill) {
    let id = fill.object["id"].as_str().unwrap_or_default().to_string();
    let path = format!("/api/v1/authenticators/{id}");
    let methods = format!("{}{path}/methods", fill.base);
    fill.object["_links"]["methods"] = json!({ "href": methods, "hints": { "allow": ["GET"] } });
    let status = fill.object["status"].as_str().unwrap_or("ACTIVE").to_string();
    for kind in methods_for(fill.object["key"].as_str().unwrap_or_default()) {
        let mut method = json!({ "type": kind, "status": status });
        let settings = method_settings(kind);
        if !settings.is_null() {
            method["settings"] = settings;
        }
        let method_path = format!("{path}/methods/{kind}");
        method["_links"] = super::write::links(fill.base, &method_path, &method);
        super::put_object(&mut fill.org.resources, "authenticator_methods", &id, &method);
    }
}

/// An org has at most one authenticator of each `key` (okta_email, okta_verify...).
fn one_authenticator_per_key(org: &Org, change: &Change) -> Result<(), ApiError> {
    let Change::Create { body, .. } = change else {
        return Ok(());
    };
    let key = body["key"].as_str().unwrap_or_default();
    let taken = super::objects_of(&org.resources, "authenticators", "")
        .iter()
        .any(|a| a["key"] == key);
    match taken {
        true => Err(ApiError::validation(
            "key",
            format!("key: the org already has a `{key}` authenticator; update it instead"),
        )),
        false => Ok(()),
    }
}

static METHOD_WRITES: Writes = Writes {
    calls: &[
        call(
            "PUT",
            "/api/v1/authenticators/{authenticatorId}/methods/{methodType}",
            Op::Replace,
            200,
        ),
        call(
            "POST",
            "/api/v1/authenticators/{authenticatorId}/methods/{methodType}/lifecycle/activate",
            Op::Activate,
            200,
        ),
        call(
            "POST",
            "/api/v1/authenticators/{authenticatorId}/methods/{methodType}/lifecycle/deactivate",
            Op::Deactivate,
            200,
        ),
    ],
    events: Events {
        target: "AuthenticatorMethod",
        update: "security.authenticator.method.update",
        activate: "security.authenticator.method.activate",
        deactivate: "security.authenticator.method.deactivate",
        ..Events::NONE
    },
    server_fields: &["status"],
    stamps: &[],
    ..Writes::DEFAULTS
};

static POLICY_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/policies", Op::Create, 200),
        call("PUT", "/api/v1/policies/{policyId}", Op::Replace, 200),
        call("DELETE", "/api/v1/policies/{policyId}", Op::Delete, 204),
        call(
            "POST",
            "/api/v1/policies/{policyId}/lifecycle/activate",
            Op::Activate,
            204,
        ),
        call(
            "POST",
            "/api/v1/policies/{policyId}/lifecycle/deactivate",
            Op::Deactivate,
            204,
        ),
    ],
    id_prefix: "00p",
    events: Events {
        target: "PolicyEntity",
        create: "policy.lifecycle.create",
        update: "policy.lifecycle.update",
        activate: "policy.lifecycle.activate",
        deactivate: "policy.lifecycle.deactivate",
        delete: "policy.lifecycle.delete",
    },
    server_fields: &["status", "system"],
    immutable: &["type"],
    created_status: Some("ACTIVE"),
    rules: policy_rules_of_okta,
    fill: |fill| {
        fill.object["system"] = json!(false);
        let rules = format!(
            "{}/api/v1/policies/{}/rules",
            fill.base,
            fill.object["id"].as_str().unwrap_or_default()
        );
        fill.object["_links"]["rules"] = json!({ "href": rules, "hints": { "allow": ["GET", "POST"] } });
        add_catch_all(fill);
    },
    ..Writes::DEFAULTS
};

/// System policies are Okta's, and a policy's type is one the spec knows.
fn policy_rules_of_okta(org: &Org, change: &Change) -> Result<(), ApiError> {
    if let Change::Create { body, .. } = change {
        let kind = body["type"].as_str().unwrap_or_default();
        if !SPEC_POLICY_TYPES.contains(&kind) {
            return Err(ApiError::validation(
                "type",
                format!("type: `{kind}` is not one of {}", SPEC_POLICY_TYPES.join(", ")),
            ));
        }
    }
    system_rule(org, change)
}

static RULE_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/policies/{policyId}/rules", Op::Create, 200),
        call("PUT", "/api/v1/policies/{policyId}/rules/{ruleId}", Op::Replace, 200),
        call("DELETE", "/api/v1/policies/{policyId}/rules/{ruleId}", Op::Delete, 204),
        call(
            "POST",
            "/api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/activate",
            Op::Activate,
            204,
        ),
        call(
            "POST",
            "/api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/deactivate",
            Op::Deactivate,
            204,
        ),
    ],
    id_prefix: "0pr",
    events: Events {
        target: "PolicyRule",
        create: "policy.rule.add",
        update: "policy.rule.update",
        activate: "policy.rule.activate",
        deactivate: "policy.rule.deactivate",
        delete: "policy.rule.delete",
    },
    server_fields: &["status", "system"],
    immutable: &["type"],
    created_status: Some("ACTIVE"),
    rules: system_rule,
    fill: |fill| fill.object["system"] = json!(false),
    ..Writes::DEFAULTS
};

fn lifecycle_links(ctx: &SeedCtx, path: &str, status: &str) -> Value {
    let mut links = json!({ "self": ctx.link(path, &["GET", "PUT", "DELETE"]) });
    let (name, op) = if status == "ACTIVE" {
        ("deactivate", "deactivate")
    } else {
        ("activate", "activate")
    };
    links[name] = ctx.link(&format!("{path}/lifecycle/{op}"), &["POST"]);
    links
}

fn seed_zones(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Vec::new();
    let ip = |cidr: &str| json!({ "type": "CIDR", "value": cidr });
    let range = |r: &str| json!({ "type": "RANGE", "value": r });
    let zones = [
        (
            "LegacyIpZone",
            "IP",
            "POLICY",
            true,
            json!({ "gateways": [ip("198.51.100.0/24")], "proxies": null }),
        ),
        (
            "BlockedIpZone",
            "IP",
            "BLOCKLIST",
            true,
            json!({ "gateways": [range("203.0.113.10-203.0.113.20")], "proxies": null }),
        ),
        (
            "Corporate HQ",
            "IP",
            "POLICY",
            false,
            json!({ "gateways": [ip("192.0.2.0/24"), ip("198.18.0.0/15")],
                                                       "proxies": [range("192.0.2.200-192.0.2.210")] }),
        ),
        (
            "VPN egress",
            "IP",
            "POLICY",
            false,
            json!({ "gateways": [ip("100.64.10.0/24")], "proxies": [] }),
        ),
        (
            "Sanctioned regions",
            "DYNAMIC",
            "BLOCKLIST",
            false,
            // The spec's `DynamicNetworkZone.asns` is `NetworkZoneAsns`, an array of ASN strings; the
            // `{include, exclude}` object belongs to `EnhancedDynamicNetworkZone` (DYNAMIC_V2). Okta's Python
            // SDK 3.4.6 models DYNAMIC `asns` as that object and refuses this zone: the simulator follows the
            // spec, and the SDK test lists it as the SDK's own error.
            json!({
                "proxyType": "Tor", "locations": [{ "country": "KP" }, { "country": "IR", "region": "IR-23" }],
                "asns": ["64496"],
            }),
        ),
        (
            "Anonymizers",
            "DYNAMIC",
            "POLICY",
            false,
            json!({ "proxyType": "Any", "locations": [], "asns": [] }),
        ),
    ];
    for (name, kind, usage, system, extra) in zones {
        let id = ctx.ids.next("nzo");
        let (created, updated) = ctx.times();
        let mut zone = json!({
            "type": kind, "id": id, "name": name, "status": "ACTIVE", "usage": usage,
            "created": created, "lastUpdated": updated, "system": system,
            "_links": lifecycle_links(ctx, &format!("/api/v1/zones/{id}"), "ACTIVE"),
        });
        if let (Some(z), Some(extra)) = (zone.as_object_mut(), extra.as_object()) {
            z.extend(extra.clone());
        }
        out.push(zone);
    }
    Seeded::from([(String::new(), out)])
}

/// (key, type, name, status, settings, methods)
type AuthenticatorSeed = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Value,
    &'static [&'static str],
);

fn seed_authenticators(ctx: &mut SeedCtx) -> Seeded {
    let kinds: Vec<AuthenticatorSeed> = vec![
        (
            "okta_email",
            "email",
            "Email",
            "ACTIVE",
            json!({ "allowedFor": "any", "tokenLifetimeInMinutes": 5 }),
            &["email"],
        ),
        (
            "okta_password",
            "password",
            "Password",
            "ACTIVE",
            Value::Null,
            &["password"],
        ),
        (
            "phone_number",
            "phone",
            "Phone",
            "ACTIVE",
            json!({ "allowedFor": "recovery" }),
            &["sms", "voice"],
        ),
        (
            "okta_verify",
            "app",
            "Okta Verify",
            "ACTIVE",
            json!({ "channelBinding": { "style": "NUMBER_CHALLENGE", "required": "HIGH_RISK_ONLY" },
                 "userVerification": "PREFERRED" }),
            &["push", "totp", "signed_nonce"],
        ),
        (
            "webauthn",
            "security_key",
            "Security Key or Biometric",
            "ACTIVE",
            Value::Null,
            &["webauthn"],
        ),
        (
            "security_question",
            "security_question",
            "Security Question",
            "INACTIVE",
            json!({ "allowedFor": "recovery" }),
            &["security_question"],
        ),
        (
            "google_otp",
            "app",
            "Google Authenticator",
            "INACTIVE",
            Value::Null,
            &["otp"],
        ),
    ];
    let mut out = Vec::new();
    for (key, kind, name, status, settings, methods) in kinds {
        let id = ctx.ids.next("aut");
        let (created, updated) = ctx.times();
        let path = format!("/api/v1/authenticators/{id}");
        let mut links = lifecycle_links(ctx, &path, status);
        links["self"] = ctx.link(&path, &["GET", "PUT"]);
        links["methods"] = ctx.link(&format!("{path}/methods"), &["GET"]);
        let mut authenticator = json!({
            "type": kind, "id": id, "key": key, "status": status, "name": name,
            "created": created, "lastUpdated": updated, "_links": links,
        });
        if !settings.is_null() {
            authenticator["settings"] = settings;
        }
        debug_assert_eq!(methods, methods_for(key), "{key}: one list of methods");
        out.push(authenticator);
    }
    Seeded::from([(String::new(), out)])
}

/// The methods each authenticator key has.
fn methods_for(key: &str) -> &'static [&'static str] {
    match key {
        "okta_email" => &["email"],
        "okta_password" => &["password"],
        "phone_number" => &["sms", "voice"],
        "okta_verify" => &["push", "totp", "signed_nonce"],
        "webauthn" => &["webauthn"],
        "security_question" => &["security_question"],
        "google_otp" => &["otp"],
        _ => &[],
    }
}

fn method_settings(kind: &str) -> Value {
    match kind {
        "push" => {
            json!({ "algorithms": ["RS256", "ES256"], "keyProtection": "ANY", "transactionTypes": ["LOGIN", "CIBA"] })
        }
        "signed_nonce" => {
            json!({ "algorithms": ["RS256", "ES256"], "keyProtection": "ANY", "showSignInWithOV": "ALWAYS" })
        }
        "totp" => {
            json!({ "timeIntervalInSeconds": 30, "encoding": "base32", "algorithm": "HMacSHA1", "passCodeLength": 6 })
        }
        "webauthn" => json!({ "userVerification": "PREFERRED", "attachment": "ANY" }),
        _ => Value::Null,
    }
}

fn seed_authenticator_methods(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Seeded::new();
    for authenticator in ctx.objects("authenticators") {
        let id = authenticator["id"].as_str().unwrap_or_default().to_string();
        let kinds = methods_for(authenticator["key"].as_str().unwrap_or_default());
        let mut methods = Vec::new();
        for (i, kind) in kinds.iter().enumerate() {
            let status = if authenticator["status"] == "ACTIVE" && !(*kind == "voice" && i > 0) {
                "ACTIVE"
            } else {
                "INACTIVE"
            };
            let path = format!("/api/v1/authenticators/{id}/methods/{kind}");
            let mut links = lifecycle_links(ctx, &path, status);
            links["self"] = ctx.link(&path, &["GET", "PUT"]);
            let mut method = json!({ "type": kind, "status": status, "_links": links });
            let settings = method_settings(kind);
            if !settings.is_null() {
                method["settings"] = settings;
            }
            methods.push(method);
        }
        out.insert(id, methods);
    }
    out
}

/// Ids the policies and rules point at, gathered once.
struct Targets {
    groups: Vec<String>,
    users: Vec<String>,
    zones: Vec<String>,
    authenticators: Vec<Value>,
    apps: Vec<String>,
}

fn targets(ctx: &SeedCtx) -> Targets {
    let zones = ctx
        .objects("network_zones")
        .iter()
        .filter(|z| z["usage"] == "POLICY")
        .filter_map(|z| z["id"].as_str().map(String::from))
        .collect();
    Targets {
        groups: ctx.group_ids("OKTA_GROUP"),
        users: ctx.user_ids("ACTIVE").into_iter().take(20).collect(),
        zones,
        authenticators: ctx.objects("authenticators"),
        apps: ctx.org.apps.iter().take(4).map(|a| a.id.to_string()).collect(),
    }
}

fn seed_policies(ctx: &mut SeedCtx) -> Seeded {
    let t = targets(ctx);
    let everyone = ctx.group_ids("BUILT_IN");
    let mut out = Vec::new();
    for kind in POLICY_TYPES {
        // Sign-on, password, MFA enrollment and app sign-in policies come as a default plus custom ones.
        let count = match *kind {
            "OKTA_SIGN_ON" | "PASSWORD" | "ACCESS_POLICY" => 3,
            "MFA_ENROLL" => 2,
            _ => 1,
        };
        for n in 0..count {
            let id = ctx.ids.next("00p");
            let (created, updated) = ctx.times();
            let default = n == count - 1;
            let name = if default {
                format!("Default {} policy", kind.to_lowercase().replace('_', " "))
            } else {
                format!(
                    "{} {}",
                    ["Engineering", "Contractors", "Finance"][n % 3],
                    kind.to_lowercase().replace('_', " ")
                )
            };
            let people = if default {
                json!({ "groups": { "include": everyone } })
            } else {
                json!({ "groups": { "include": [t.groups[(n * 5) % t.groups.len()]] } })
            };
            let conditions = match *kind {
                "OKTA_SIGN_ON" | "MFA_ENROLL" => json!({ "people": people }),
                "PASSWORD" => json!({ "people": people, "authProvider": { "provider": "OKTA" } }),
                _ => Value::Null,
            };
            let mut policy = json!({
                "type": kind, "id": id, "status": "ACTIVE", "name": name,
                "description": format!("{name} (seeded)"),
                "priority": if default { count as u64 } else { n as u64 + 1 }, "system": default,
                "created": created, "lastUpdated": updated, "conditions": conditions,
                "_links": lifecycle_links(ctx, &format!("/api/v1/policies/{id}"), "ACTIVE"),
            });
            policy["_links"]["rules"] = ctx.link(&format!("/api/v1/policies/{id}/rules"), &["GET", "POST"]);
            match *kind {
                "PASSWORD" => {
                    policy["settings"] = json!({ "password": {
                        "complexity": { "minLength": 8 + 2 * n as u64, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1,
                                        "minSymbol": n as u64 % 2, "excludeUsername": true,
                                        "dictionary": { "common": { "exclude": true } }, "excludeAttributes": [] },
                        "age": { "maxAgeDays": 90, "expireWarnDays": 7, "minAgeMinutes": 0, "historyCount": 4 },
                        "lockout": { "maxAttempts": 10, "autoUnlockMinutes": 30, "userLockoutNotificationChannels": [],
                                     "showLockoutFailures": false },
                    } });
                }
                "MFA_ENROLL" => {
                    let authenticators: Vec<Value> = t
                        .authenticators
                        .iter()
                        .filter(|a| a["status"] == "ACTIVE")
                        .map(|a| json!({ "key": a["key"], "enroll": { "self": if a["key"] == "okta_password" { "REQUIRED" } else { "OPTIONAL" } } }))
                        .collect();
                    policy["settings"] = json!({ "type": "AUTHENTICATORS", "authenticators": authenticators });
                }
                _ => {}
            }
            out.push(policy);
        }
    }
    Seeded::from([(String::new(), out)])
}

/// The rules of one policy: a custom rule that references zones, groups, users and user types where
/// the type allows it, then the catch-all default rule.
fn seed_policy_rules(ctx: &mut SeedCtx) -> Seeded {
    let t = targets(ctx);
    let user_types: Vec<String> = ctx
        .objects("user_types")
        .iter()
        .filter_map(|u| u["id"].as_str().map(String::from))
        .collect();
    let mut out = Seeded::new();
    for (p, policy) in ctx.objects("policies").iter().enumerate() {
        let policy_id = policy["id"].as_str().unwrap_or_default().to_string();
        let kind = policy["type"].as_str().unwrap_or_default();
        let rule_type = if kind == "OKTA_SIGN_ON" { "SIGN_ON" } else { kind };
        let zone = &t.zones[p % t.zones.len()];
        let group = &t.groups[(p * 3) % t.groups.len()];
        let user = &t.users[p % t.users.len()];
        let network = json!({ "connection": "ZONE", "include": [zone] });
        let people = json!({ "users": { "exclude": [user] }, "groups": { "include": [group] } });
        let custom = match kind {
            "OKTA_SIGN_ON" => Some((
                json!({ "people": people, "network": network, "authContext": { "authType": "ANY" } }),
                json!({ "signon": { "access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS",
                                    "factorLifetime": 15, "primaryFactor": "PASSWORD_IDP_ANY_FACTOR",
                                    "session": { "maxSessionIdleMinutes": 120, "maxSessionLifetimeMinutes": 0,
                                                 "usePersistentCookie": false } } }),
            )),
            "PASSWORD" => Some((
                json!({ "people": people, "network": network }),
                json!({ "passwordChange": { "access": "ALLOW" },
                        "selfServicePasswordReset": { "access": "ALLOW",
                            "requirement": { "primary": { "methods": ["email"] }, "stepUp": { "required": false } } },
                        "selfServiceUnlock": { "access": "DENY" } }),
            )),
            "MFA_ENROLL" => Some((
                json!({ "people": { "users": { "exclude": [user] } }, "network": network }),
                json!({ "enroll": { "self": "CHALLENGE" } }),
            )),
            "ACCESS_POLICY" => {
                let verify = t
                    .authenticators
                    .iter()
                    .find(|a| a["key"] == "okta_verify")
                    .and_then(|a| a["id"].as_str())
                    .unwrap_or_default();
                Some((
                    json!({ "people": people, "network": network,
                            "userType": { "include": [user_types[p % user_types.len()]], "exclude": [] } }),
                    json!({ "appSignOn": { "access": "ALLOW", "verificationMethod": {
                        "factorMode": "2FA", "type": "ASSURANCE", "reauthenticateIn": "PT2H",
                        "constraints": [{ "possession": { "required": true,
                            "authenticationMethods": [{ "key": "okta_verify", "method": "push", "id": verify }] } }],
                    } } }),
                ))
            }
            "IDP_DISCOVERY" => Some((
                json!({ "network": { "connection": "ANYWHERE" }, "platform": { "include": [], "exclude": [] },
                        "userIdentifier": { "patterns": [] },
                        "app": { "include": [{ "type": "APP", "id": t.apps[p % t.apps.len()] }], "exclude": [] } }),
                json!({ "idp": { "providers": [{ "type": "OKTA" }], "idpSelectionType": "SPECIFIC",
                                 "shouldFallBackToOkta": false } }),
            )),
            _ => None,
        };
        let mut rules = Vec::new();
        if let Some((conditions, actions)) = custom {
            rules.push(rule(
                ctx,
                &policy_id,
                rule_type,
                "Require MFA off network",
                1,
                false,
                conditions,
                actions,
            ));
        }
        let (default_conditions, default_actions) = catch_all(kind, t.groups.first().map(String::as_str));
        rules.push(rule(
            ctx,
            &policy_id,
            rule_type,
            "Catch-all rule",
            99,
            true,
            default_conditions,
            default_actions,
        ));
        out.insert(policy_id, rules);
    }
    out
}

/// The (conditions, actions) of the catch-all rule Okta gives every policy of type `kind`; a profile enrollment
/// rule puts new users in `group`.
fn catch_all(kind: &str, group: Option<&str>) -> (Value, Value) {
    let actions = match kind {
        "OKTA_SIGN_ON" => json!({ "signon": { "access": "ALLOW", "requireFactor": false,
                                              "session": { "maxSessionIdleMinutes": 720, "maxSessionLifetimeMinutes": 0,
                                                           "usePersistentCookie": false } } }),
        "PASSWORD" => json!({ "passwordChange": { "access": "ALLOW" },
                              "selfServicePasswordReset": { "access": "ALLOW" },
                              "selfServiceUnlock": { "access": "DENY" } }),
        "MFA_ENROLL" => json!({ "enroll": { "self": "LOGIN" } }),
        "ACCESS_POLICY" => json!({ "appSignOn": { "access": "ALLOW", "verificationMethod": {
            "factorMode": "1FA", "type": "ASSURANCE", "reauthenticateIn": "PT12H", "constraints": [] } } }),
        "IDP_DISCOVERY" => json!({ "idp": { "providers": [{ "type": "OKTA" }] } }),
        "PROFILE_ENROLLMENT" => json!({ "profileEnrollment": { "access": "ALLOW", "preRegistrationInlineHooks": null,
            "profileAttributes": [{ "name": "email", "label": "Email", "required": true }],
            "targetGroupIds": group.into_iter().collect::<Vec<_>>(), "unknownUserAction": "DENY",
            "activationRequirements": { "emailVerification": true }, "progressiveProfilingAction": "DISABLED" } }),
        "ENTITY_RISK" => json!({ "entityRisk": { "actions": [] } }),
        "POST_AUTH_SESSION" => json!({ "postAuthSession": { "failureActions": [] } }),
        _ => json!({}),
    };
    let conditions = match kind {
        // The IdP discovery default rule has conditions (the schema does not allow `null` there).
        "IDP_DISCOVERY" => json!({ "network": { "connection": "ANYWHERE" } }),
        _ => Value::Null,
    };
    (conditions, actions)
}

/// What Okta adds to a policy an admin creates: its catch-all rule (`system`, priority 99), as a new org's
/// default policies have, which can be updated but never created or deleted.
fn add_catch_all(fill: &mut Fill) {
    let policy_id = fill.object["id"].as_str().unwrap_or_default().to_string();
    let kind = fill.object["type"].as_str().unwrap_or_default().to_string();
    let rule_type = if kind == "OKTA_SIGN_ON" {
        "SIGN_ON"
    } else {
        kind.as_str()
    };
    let (conditions, actions) = catch_all(&kind, None);
    let id = fill.ids.next("0pr");
    let path = format!("/api/v1/policies/{policy_id}/rules/{id}");
    let rule = json!({
        "id": id, "status": "ACTIVE", "name": "Catch-all rule", "priority": 99, "system": true,
        "created": fill.now, "lastUpdated": fill.now, "type": rule_type,
        "conditions": conditions, "actions": actions,
        "_links": { "self": { "href": format!("{}{path}", fill.base), "hints": { "allow": ["GET", "PUT"] } } },
    });
    put_object(&mut fill.org.resources, "policy_rules", &policy_id, &rule);
}

#[allow(clippy::too_many_arguments)]
fn rule(
    ctx: &mut SeedCtx,
    policy_id: &str,
    rule_type: &str,
    name: &str,
    priority: u64,
    system: bool,
    conditions: Value,
    actions: Value,
) -> Value {
    let id = ctx.ids.next("0pr");
    let (created, updated) = ctx.times();
    json!({
        "id": id, "status": "ACTIVE", "name": name, "priority": priority, "system": system,
        "created": created, "lastUpdated": updated, "type": rule_type,
        "conditions": conditions, "actions": actions,
        "_links": lifecycle_links(ctx, &format!("/api/v1/policies/{policy_id}/rules/{id}"), "ACTIVE"),
    })
}
