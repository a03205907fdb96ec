//! Profile mappings between real user types and apps (`/api/v1/mappings`, listed without their
//! `properties`; `/api/v1/mappings/{id}` serves the whole mapping), SMS templates, and the org's
//! preference and privacy settings. Shapes follow the spec's `ListProfileMappings`, `ProfileMapping`,
//! `SmsTemplate`, `OrgPreferences`, `OrgOktaCommunicationSetting`, `OrgOktaSupportSettingsObj`,
//! `ThirdPartyAdminSetting`, `AutoAssignAdminAppSetting` and `ClientPrivilegesSetting` schemas and
//! examples.

use axum::response::Response;
use serde_json::{Value, json};

use super::write::{Call, Events, Op, WriteRequest, Writes, answer, call, emit, event_target, stored};
use super::{QUERY_LIMIT, QueryFilter, Resource, SeedCtx, Seeded, Shape, put_object};
use crate::errors::ApiError;
use crate::server::Shared;

/// One settings object of the org, read with `okta.orgs.read`, changed by `writes`.
const fn org_object(
    name: &'static str,
    route: &'static str,
    seed: fn(&mut SeedCtx) -> Seeded,
    writes: &'static Writes,
) -> Resource {
    Resource {
        name,
        route,
        shape: Shape::Object,
        scope: "okta.orgs.read",
        seed,
        writes: Some(writes),
        ..Resource::DEFAULTS
    }
}

/// A one-field setting replaced by one call (`thirdPartyAdmin`, `autoAssignAdminAppSetting`...).
const fn setting(calls: &'static [Call]) -> Writes {
    Writes {
        calls,
        events: Events {
            target: "Org",
            update: "system.org.setting.update",
            ..Events::NONE
        },
        stamps: &[],
        links: false,
        ..Writes::DEFAULTS
    }
}

/// A setting that is a switch with one bodiless call per state: (call's last path segment, field, value).
type Switch = (&'static str, &'static str, bool);

const SWITCHES: &[(&str, &[Switch])] = &[
    (
        "org_preferences",
        &[
            ("showEndUserFooter", "showEndUserFooter", true),
            ("hideEndUserFooter", "showEndUserFooter", false),
        ],
    ),
    (
        "org_okta_communication",
        &[
            ("optIn", "optOutEmailUsers", false),
            ("optOut", "optOutEmailUsers", true),
        ],
    ),
];

/// The switch calls (`.../showEndUserFooter`, `.../optOut`): set the field, link the other call.
fn flip(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let name = request.resource.name;
    let op = request.call.route.rsplit('/').next().unwrap_or_default();
    let switches = SWITCHES
        .iter()
        .find(|(resource, _)| *resource == name)
        .map(|(_, s)| *s)
        .unwrap_or_default();
    let (field, value) = switches
        .iter()
        .find(|(call, ..)| *call == op)
        .map(|(_, field, value)| (*field, *value))
        .ok_or_else(|| ApiError::NotFound(format!("{op} ({name})")))?;
    let other = switches
        .iter()
        .find(|(call, ..)| *call != op)
        .map_or("", |(call, ..)| *call);
    let mut org = sim.write_org();
    let mut setting = stored(&org, name, "", "").ok_or_else(|| ApiError::NotFound(format!("{name} (setting)")))?;
    setting[field] = json!(value);
    let path = request.resource.route;
    let href = format!("{}{path}/{other}", sim.base);
    setting["_links"] = json!({ other: { "href": href, "hints": { "allow": ["POST"] } } });
    put_object(&mut org.resources, name, "", &setting);
    emit(
        sim,
        &mut org,
        "system.org.setting.update",
        event_target("Org", name, &setting),
    );
    Ok(answer(200, &setting))
}

static PREFERENCE_WRITES: Writes = Writes {
    calls: &[
        call(
            "POST",
            "/api/v1/org/preferences/showEndUserFooter",
            Op::Custom(flip),
            200,
        ),
        call(
            "POST",
            "/api/v1/org/preferences/hideEndUserFooter",
            Op::Custom(flip),
            200,
        ),
    ],
    ..Writes::DEFAULTS
};

static COMMUNICATION_WRITES: Writes = Writes {
    calls: &[
        call(
            "POST",
            "/api/v1/org/privacy/oktaCommunication/optIn",
            Op::Custom(flip),
            200,
        ),
        call(
            "POST",
            "/api/v1/org/privacy/oktaCommunication/optOut",
            Op::Custom(flip),
            200,
        ),
    ],
    ..Writes::DEFAULTS
};

static MAPPING_WRITES: Writes = Writes {
    // Mappings have no create: Okta makes one per app and user type; a POST merges property expressions
    // (a property set to `null` is no longer mapped).
    calls: &[call("POST", "/api/v1/mappings/{mappingId}", Op::Merge, 200)],
    events: Events {
        target: "Mapping",
        update: "system.mapping.update",
        ..Events::NONE
    },
    server_fields: &["source", "target"],
    stamps: &[],
    links: false,
    ..Writes::DEFAULTS
};

static SMS_TEMPLATE_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/templates/sms", Op::Create, 200),
        call("PUT", "/api/v1/templates/sms/{templateId}", Op::Replace, 200),
        call("POST", "/api/v1/templates/sms/{templateId}", Op::Merge, 200),
        call("DELETE", "/api/v1/templates/sms/{templateId}", Op::Delete, 204),
    ],
    id_prefix: "cst",
    events: Events {
        target: "SmsTemplate",
        create: "system.sms.template.create",
        update: "system.sms.template.update",
        delete: "system.sms.template.delete",
        ..Events::NONE
    },
    links: false,
    ..Writes::DEFAULTS
};

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "profile_mappings",
        route: "/api/v1/mappings",
        item_route: Some("/api/v1/mappings/{mappingId}"),
        // Spec: `limit` defaults to 20, at most 200.
        shape: Shape::Summaries {
            pages: Some(QUERY_LIMIT),
            omit: &["properties"],
        },
        scope: "okta.profileMappings.read",
        seed: seed_mappings,
        writes: Some(&MAPPING_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "sms_templates",
        route: "/api/v1/templates/sms",
        item_route: Some("/api/v1/templates/sms/{templateId}"),
        shape: Shape::Array(None),
        scope: "okta.templates.read",
        filters: &[QueryFilter {
            param: "templateType",
            field: "type",
            required: false,
            allowed: &["SMS_VERIFY_CODE"],
        }],
        seed: seed_sms_templates,
        writes: Some(&SMS_TEMPLATE_WRITES),
        ..Resource::DEFAULTS
    },
    org_object(
        "org_preferences",
        "/api/v1/org/preferences",
        seed_preferences,
        &PREFERENCE_WRITES,
    ),
    org_object(
        "org_okta_communication",
        "/api/v1/org/privacy/oktaCommunication",
        seed_okta_communication,
        &COMMUNICATION_WRITES,
    ),
    // Support access is granted for a limited time (and never restored): read-only here.
    Resource {
        name: "org_okta_support",
        route: "/api/v1/org/privacy/oktaSupport",
        shape: Shape::Object,
        scope: "okta.orgs.read",
        seed: seed_okta_support,
        ..Resource::DEFAULTS
    },
    org_object(
        "org_third_party_admin",
        "/api/v1/org/orgSettings/thirdPartyAdminSetting",
        |_| one(json!({ "thirdPartyAdmin": false })),
        &setting(&[call(
            "POST",
            "/api/v1/org/orgSettings/thirdPartyAdminSetting",
            Op::Replace,
            200,
        )]),
    ),
    org_object(
        "org_auto_assign_admin_app",
        "/api/v1/org/settings/autoAssignAdminAppSetting",
        |_| one(json!({ "autoAssignAdminAppSetting": true })),
        &setting(&[call(
            "POST",
            "/api/v1/org/settings/autoAssignAdminAppSetting",
            Op::Replace,
            200,
        )]),
    ),
    org_object(
        "org_client_privileges",
        "/api/v1/org/settings/clientPrivilegesSetting",
        |_| one(json!({ "clientPrivilegesSetting": false })),
        &setting(&[call(
            "PUT",
            "/api/v1/org/settings/clientPrivilegesSetting",
            Op::Replace,
            200,
        )]),
    ),
];

fn one(object: Value) -> Seeded {
    Seeded::from([(String::new(), vec![object])])
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// A mapping's source or target: a user type or an app (its app user profile).
fn end(ctx: &SeedCtx, object: &Value, is_app: bool) -> Value {
    let id = id_of(object);
    let (kind, self_path, schema_path) = if is_app {
        (
            "appuser",
            format!("/api/v1/apps/{id}"),
            format!("/api/v1/meta/schemas/apps/{id}/default"),
        )
    } else {
        // Okta gives a user type's schema the same suffix (`oty…` / `osc…`).
        let schema = format!("osc{}", id.get(3..).unwrap_or_default());
        (
            "user",
            format!("/api/v1/meta/types/user/{id}"),
            format!("/api/v1/meta/schemas/user/{schema}"),
        )
    };
    json!({
        "id": id, "name": object["name"], "type": kind,
        "_links": { "self": { "href": ctx.url(&self_path) }, "schema": { "href": ctx.url(&schema_path) } },
    })
}

/// Outbound (user type -> app) mappings for a few apps, one inbound (app -> default user type), and one
/// from the custom user type.
fn seed_mappings(ctx: &mut SeedCtx) -> Seeded {
    let types = ctx.objects("user_types");
    let default_type = types.iter().find(|t| t["default"] == true).cloned();
    let other_type = types.iter().find(|t| t["default"] != true).cloned();
    let apps: Vec<Value> = ctx
        .org
        .apps
        .values()
        .into_iter()
        .filter(|a| a["signOnMode"] != "BOOKMARK")
        .take(4)
        .collect();
    let outbound = json!({
        "userName": { "expression": "user.login", "pushStatus": "PUSH" },
        "email": { "expression": "user.email", "pushStatus": "PUSH" },
        "firstName": { "expression": "user.firstName", "pushStatus": "PUSH" },
        "lastName": { "expression": "user.lastName", "pushStatus": "DONT_PUSH" },
    });
    let inbound = json!({
        "firstName": { "expression": "appuser.firstName", "pushStatus": "DONT_PUSH" },
        "lastName": { "expression": "appuser.lastName", "pushStatus": "DONT_PUSH" },
        "email": { "expression": "appuser.email", "pushStatus": "DONT_PUSH" },
    });
    let mut pairs: Vec<(Value, Value, &Value)> = Vec::new();
    if let Some(user_type) = &default_type {
        for app in &apps {
            pairs.push((end(ctx, user_type, false), end(ctx, app, true), &outbound));
        }
        if let Some(app) = apps.first() {
            pairs.push((end(ctx, app, true), end(ctx, user_type, false), &inbound));
        }
    }
    if let (Some(user_type), Some(app)) = (&other_type, apps.get(1)) {
        pairs.push((end(ctx, user_type, false), end(ctx, app, true), &outbound));
    }
    let mut out = Vec::new();
    for (source, target, properties) in pairs {
        let id = ctx.ids.next("prm");
        out.push(json!({
            "id": id, "source": source, "target": target, "properties": properties,
            "_links": { "self": { "href": ctx.url(&format!("/api/v1/mappings/{id}")) } },
        }));
    }
    one_list(out)
}

fn one_list(items: Vec<Value>) -> Seeded {
    Seeded::from([(String::new(), items)])
}

fn seed_sms_templates(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Vec::new();
    for (name, template, translations) in [
        (
            "Custom",
            "${org.name}: your verification code is ${code}",
            json!({
                "es": "${org.name}: el código de verificación es ${code}",
                "fr": "${org.name}: votre code de vérification est ${code}",
            }),
        ),
        (
            "Short code",
            "Your ${org.name} code: ${code}",
            json!({ "de": "Ihr ${org.name}-Code: ${code}" }),
        ),
    ] {
        let id = ctx.ids.next("cst");
        let (created, updated) = ctx.times();
        out.push(json!({
            "id": id, "name": name, "type": "SMS_VERIFY_CODE", "template": template,
            "translations": translations, "created": created, "lastUpdated": updated,
        }));
    }
    one_list(out)
}

fn seed_preferences(ctx: &mut SeedCtx) -> Seeded {
    one(json!({
        "showEndUserFooter": true,
        "_links": {
            "hideEndUserFooter": ctx.link("/api/v1/org/preferences/hideEndUserFooter", &["POST"]),
        },
    }))
}

fn seed_okta_communication(ctx: &mut SeedCtx) -> Seeded {
    one(json!({
        "optOutEmailUsers": false,
        "_links": { "optOut": ctx.link("/api/v1/org/privacy/oktaCommunication/optOut", &["POST"]) },
    }))
}

fn seed_okta_support(ctx: &mut SeedCtx) -> Seeded {
    one(json!({
        "support": "DISABLED", "caseNumber": null, "expiration": null,
        "_links": {
            "grant": ctx.link("/api/v1/org/privacy/oktaSupport/grant", &["POST"]),
            "cases": ctx.link("/api/v1/org/privacy/oktaSupport/cases", &["GET"]),
        },
    }))
}
