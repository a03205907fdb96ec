//! Workflows and devices: event hooks, inline hooks, devices and the users of each device. Hook
//! header secrets are never answered (as on Okta); device users are real seeded users. Shapes follow
//! the spec's `EventHook`, `InlineHook`, `DeviceList` and `DeviceUser` schemas and examples.

use serde_json::{Value, json};

use super::write::{Events, Op, Writes, call};
use super::{QueryFilter, Resource, SeedCtx, Seeded, Shape};
use crate::handlers::PageSizes;
use crate::syslog::ADMIN_ID;

/// The spec's `inlineHookType` query parameter values.
const INLINE_HOOK_TYPES: &[&str] = &[
    "com.okta.import.transform",
    "com.okta.oauth2.tokens.transform",
    "com.okta.saml.tokens.transform",
    "com.okta.user.credential.password.import",
    "com.okta.user.pre-registration",
    "com.okta.telephony.provider",
];

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "event_hooks",
        route: "/api/v1/eventHooks",
        item_route: Some("/api/v1/eventHooks/{eventHookId}"),
        // Spec: no paging parameters.
        shape: Shape::Array(None),
        scope: "okta.eventHooks.read",
        seed: seed_event_hooks,
        writes: Some(&EVENT_HOOK_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "inline_hooks",
        route: "/api/v1/inlineHooks",
        item_route: Some("/api/v1/inlineHooks/{inlineHookId}"),
        shape: Shape::Array(None),
        scope: "okta.inlineHooks.read",
        filters: &[QueryFilter {
            param: "type",
            field: "type",
            required: false,
            allowed: INLINE_HOOK_TYPES,
        }],
        seed: seed_inline_hooks,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "devices",
        route: "/api/v1/devices",
        item_route: Some("/api/v1/devices/{deviceId}"),
        // Spec: default 200, maximum 200.
        shape: Shape::Array(Some(PageSizes {
            default: 200,
            min: 1,
            max: 200,
        })),
        scope: "okta.devices.read",
        seed: seed_devices,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "device_users",
        route: "/api/v1/devices/{deviceId}/users",
        parent: Some("devices"),
        shape: Shape::Array(None),
        key: "/user/id",
        scope: "okta.devices.read",
        seed: seed_device_users,
        ..Resource::DEFAULTS
    },
];

static EVENT_HOOK_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/eventHooks", Op::Create, 200),
        call("PUT", "/api/v1/eventHooks/{eventHookId}", Op::Replace, 200),
        call("DELETE", "/api/v1/eventHooks/{eventHookId}", Op::Delete, 204),
        call(
            "POST",
            "/api/v1/eventHooks/{eventHookId}/lifecycle/activate",
            Op::Activate,
            200,
        ),
        call(
            "POST",
            "/api/v1/eventHooks/{eventHookId}/lifecycle/deactivate",
            Op::Deactivate,
            200,
        ),
    ],
    id_prefix: "who",
    events: Events {
        target: "EventHook",
        create: "event_hook.created",
        update: "event_hook.updated",
        activate: "event_hook.activated",
        deactivate: "event_hook.deactivated",
        delete: "event_hook.deleted",
    },
    server_fields: &["status", "verificationStatus", "createdBy"],
    // The authorization header's value is a secret Okta takes and never answers.
    write_only: &["/channel/config/authScheme/value"],
    created_status: Some("ACTIVE"),
    fill: |fill| {
        fill.object["verificationStatus"] = serde_json::json!("UNVERIFIED");
        fill.object["createdBy"] = serde_json::json!(ADMIN_ID);
    },
    ..Writes::DEFAULTS
};

fn lifecycle_link(ctx: &SeedCtx, path: &str, status: &str) -> (&'static str, Value) {
    match status {
        "ACTIVE" => (
            "deactivate",
            ctx.link(&format!("{path}/lifecycle/deactivate"), &["POST"]),
        ),
        _ => ("activate", ctx.link(&format!("{path}/lifecycle/activate"), &["POST"])),
    }
}

fn seed_event_hooks(ctx: &mut SeedCtx) -> Seeded {
    let creator = ctx.user_ids("ACTIVE").first().cloned().unwrap_or_default();
    let mut out = Vec::new();
    let hooks = [
        (
            "SIEM forwarder",
            vec!["user.lifecycle.create", "user.lifecycle.deactivate"],
            None,
            "ACTIVE",
        ),
        (
            "Sales membership sync",
            vec!["group.user_membership.add", "group.user_membership.remove"],
            Some("event.target.?[type eq 'UserGroup'].size()>0"),
            "ACTIVE",
        ),
        (
            "Legacy provisioning",
            vec!["application.user_membership.add"],
            None,
            "INACTIVE",
        ),
    ];
    for (name, events, filter, status) in hooks {
        let id = ctx.ids.next("who");
        let (created, updated) = ctx.times();
        let path = format!("/api/v1/eventHooks/{id}");
        let filter = filter.map(|expression| {
            json!({ "type": "EXPRESSION_LANGUAGE", "eventFilterMap": events.iter().map(|e| json!({
                "event": e, "condition": { "expression": expression },
            })).collect::<Vec<_>>() })
        });
        let (rel, link) = lifecycle_link(ctx, &path, status);
        let slug = name.to_lowercase().replace(' ', "-");
        let mut hook = json!({
            "id": id, "name": name, "status": status, "verificationStatus": "VERIFIED",
            "description": format!("{name} (seeded)"), "created": created, "createdBy": creator,
            "lastUpdated": updated,
            "events": { "type": "EVENT_TYPE", "items": events },
            // The header's `value` is a secret Okta never answers.
            "channel": { "type": "HTTP", "version": "1.0.0", "config": {
                "uri": format!("https://hooks.example.com/{slug}"), "method": "POST",
                "headers": [{ "key": "X-Source", "value": "okta" }],
                "authScheme": { "type": "HEADER", "key": "Authorization" },
            } },
            "_links": {
                "self": { "href": ctx.url(&path) },
                "verify": ctx.link(&format!("{path}/lifecycle/verify"), &["POST"]),
                rel: link,
            },
        });
        if let Some(filter) = filter {
            hook["events"]["filter"] = filter;
        }
        out.push(hook);
    }
    Seeded::from([(String::new(), out)])
}

fn seed_inline_hooks(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Vec::new();
    let hooks = [
        ("Token enrichment", "com.okta.oauth2.tokens.transform", "ACTIVE"),
        ("SAML assertion claims", "com.okta.saml.tokens.transform", "ACTIVE"),
        ("Registration screening", "com.okta.user.pre-registration", "INACTIVE"),
        ("Password import", "com.okta.user.credential.password.import", "ACTIVE"),
    ];
    for (name, kind, status) in hooks {
        let id = ctx.ids.next("cal");
        let (created, updated) = ctx.times();
        let path = format!("/api/v1/inlineHooks/{id}");
        let (rel, link) = lifecycle_link(ctx, &path, status);
        let slug = name.to_lowercase().replace(' ', "-");
        out.push(json!({
            "id": id, "name": name, "type": kind, "version": "1.0.0", "status": status,
            "created": created, "lastUpdated": updated,
            "channel": { "type": "HTTP", "version": "1.0.0", "config": {
                "uri": format!("https://hooks.example.com/{slug}"), "method": "POST", "headers": [],
                "authScheme": { "type": "HEADER", "key": "Authorization" },
            } },
            "_links": {
                "self": { "href": ctx.url(&path) },
                "execute": ctx.link(&format!("{path}/execute"), &["POST"]),
                rel: link,
            },
        }));
    }
    Seeded::from([(String::new(), out)])
}

fn seed_devices(ctx: &mut SeedCtx) -> Seeded {
    let kinds = [
        ("WINDOWS", "ALL_INTERNAL_VOLUMES", "Dell", "Latitude 7440", "10.0.22631"),
        ("MACOS", "ALL_INTERNAL_VOLUMES", "Apple", "MacBookPro18,3", "14.4.1"),
        ("IOS", "FULL", "Apple", "iPhone15,2", "17.4"),
        ("ANDROID", "USER", "Google", "Pixel 8", "14:2024-04-05"),
    ];
    let statuses = ["ACTIVE", "ACTIVE", "ACTIVE", "SUSPENDED", "DEACTIVATED"];
    let mut out = Vec::new();
    for i in 0..24 {
        let id = ctx.ids.next("guo");
        let (created, updated) = ctx.times();
        let (platform, encryption, maker, model, os) = kinds[i % kinds.len()];
        let status = statuses[ctx.rng.below(statuses.len() as u64) as usize];
        let display = format!("{maker} {model} #{i:02}");
        let path = format!("/api/v1/devices/{id}");
        let (rel, link) = lifecycle_link(ctx, &path, status);
        let mut profile = json!({
            "displayName": display, "platform": platform, "manufacturer": maker, "model": model,
            "osVersion": os, "registered": true, "secureHardwarePresent": platform != "WINDOWS",
            "diskEncryptionType": encryption,
        });
        if platform == "WINDOWS" || platform == "MACOS" {
            profile["serialNumber"] = json!(format!("SN{:010X}", ctx.rng.below(1 << 40)));
        }
        out.push(json!({
            "id": id, "status": status, "created": created, "lastUpdated": updated, "profile": profile,
            "resourceType": "UDDevice", "resourceId": id,
            "resourceDisplayName": { "value": display, "sensitive": false },
            "_links": {
                // `HttpMethod` in the spec has no PATCH, though its device example lists one.
                "self": ctx.link(&path, &["GET", "PUT", "DELETE"]),
                "users": ctx.link(&format!("{path}/users"), &["GET"]),
                rel: link,
            },
        }));
    }
    Seeded::from([(String::new(), out)])
}

/// One or two real users per device (a shared kiosk has two); deactivated devices have lost theirs.
fn seed_device_users(ctx: &mut SeedCtx) -> Seeded {
    let users: Vec<Value> = ctx
        .org
        .users
        .iter()
        .filter(|u| &*u.status == "ACTIVE")
        .map(|u| u.value())
        .collect();
    let mut out = Seeded::new();
    if users.is_empty() {
        return out;
    }
    for device in ctx.objects("devices") {
        if device["status"] == "DEACTIVATED" {
            continue;
        }
        let device_id = device["id"].as_str().unwrap_or_default().to_string();
        let count = 1 + ctx.rng.below(2) as usize;
        let first = ctx.rng.below(users.len() as u64) as usize;
        let linked = (0..count)
            .map(|k| {
                let managed = if ctx.rng.below(3) == 0 {
                    "NOT_MANAGED"
                } else {
                    "MANAGED"
                };
                let lock = ["BIOMETRIC", "PASSCODE", "NONE"][ctx.rng.below(3) as usize];
                json!({
                    "created": device["created"].clone(), "managementStatus": managed, "screenLockType": lock,
                    "user": users[(first + k * 13) % users.len()].clone(),
                })
            })
            .collect();
        out.insert(device_id, linked);
    }
    out
}
