//! Identity providers and their signing keys, and application extras: OAuth scope grants, app
//! signing keys and CSRs, and the linked object definitions of the user schema. A SAML IdP trusts a
//! real seeded IdP key by `kid`; grants name real OIDC apps. Shapes follow the spec's
//! `IdentityProvider`, `IdPKeyCredential`, `OAuth2ScopeConsentGrant`, `JsonWebKey`, `Csr` and
//! `LinkedObject` schemas and examples.

use serde_json::{Value, json};

use super::write::{Change, Events, Fill, Op, Writes, call};
use super::{QUERY_LIMIT, Resource, SeedCtx, Seeded, Shape, objects_of};
use crate::errors::ApiError;
use crate::ratelimit::APPS;
use crate::store::Org;

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "idp_keys",
        route: "/api/v1/idps/credentials/keys",
        item_route: Some("/api/v1/idps/credentials/keys/{kid}"),
        shape: Shape::Array(Some(QUERY_LIMIT)),
        key: "/kid",
        scope: "okta.idps.read",
        seed: seed_idp_keys,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "identity_providers",
        route: "/api/v1/idps",
        item_route: Some("/api/v1/idps/{idpId}"),
        shape: Shape::Array(Some(QUERY_LIMIT)),
        scope: "okta.idps.read",
        seed: seed_idps,
        writes: Some(&IDP_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "app_grants",
        route: "/api/v1/apps/{appId}/grants",
        item_route: Some("/api/v1/apps/{appId}/grants/{grantId}"),
        parent: Some("apps"),
        shape: Shape::Array(None),
        scope: "okta.appGrants.read",
        bucket: APPS,
        seed: seed_app_grants,
        writes: Some(&GRANT_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "app_keys",
        route: "/api/v1/apps/{appId}/credentials/keys",
        item_route: Some("/api/v1/apps/{appId}/credentials/keys/{keyId}"),
        parent: Some("apps"),
        shape: Shape::Array(None),
        key: "/kid",
        scope: "okta.apps.read",
        bucket: APPS,
        seed: seed_app_keys,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "app_csrs",
        route: "/api/v1/apps/{appId}/credentials/csrs",
        item_route: Some("/api/v1/apps/{appId}/credentials/csrs/{csrId}"),
        parent: Some("apps"),
        shape: Shape::Array(None),
        scope: "okta.apps.read",
        bucket: APPS,
        seed: seed_app_csrs,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "linked_object_definitions",
        route: "/api/v1/meta/schemas/user/linkedObjects",
        item_route: Some("/api/v1/meta/schemas/user/linkedObjects/{linkedObjectName}"),
        shape: Shape::Array(None),
        key: "/primary/name",
        scope: "okta.linkedObjects.read",
        seed: seed_linked_objects,
        writes: Some(&LINKED_OBJECT_WRITES),
        ..Resource::DEFAULTS
    },
];

static IDP_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/idps", Op::Create, 200),
        call("PUT", "/api/v1/idps/{idpId}", Op::Replace, 200),
        call("DELETE", "/api/v1/idps/{idpId}", Op::Delete, 204),
        call("POST", "/api/v1/idps/{idpId}/lifecycle/activate", Op::Activate, 200),
        call("POST", "/api/v1/idps/{idpId}/lifecycle/deactivate", Op::Deactivate, 200),
    ],
    id_prefix: "0oa",
    events: Events {
        target: "IdentityProvider",
        create: "system.idp.lifecycle.create",
        update: "system.idp.lifecycle.update",
        activate: "system.idp.lifecycle.activate",
        deactivate: "system.idp.lifecycle.deactivate",
        delete: "system.idp.lifecycle.delete",
    },
    server_fields: &["status"],
    // The client secret of an OIDC or social IdP is taken and never answered.
    write_only: &["/protocol/credentials/client/client_secret"],
    immutable: &["type"],
    created_status: Some("ACTIVE"),
    ..Writes::DEFAULTS
};

static GRANT_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/apps/{appId}/grants", Op::Create, 201),
        call("DELETE", "/api/v1/apps/{appId}/grants/{grantId}", Op::Delete, 204),
    ],
    id_prefix: "oag",
    events: Events {
        target: "AppInstance",
        create: "app.oauth2.admin.consent.grant",
        delete: "app.oauth2.admin.consent.revoke",
        ..Events::NONE
    },
    server_fields: &["status", "clientId", "userId", "createdBy", "source"],
    rules: one_grant_per_scope,
    fill: new_grant,
    ..Writes::DEFAULTS
};

/// An app is granted each scope once.
fn one_grant_per_scope(org: &Org, change: &Change) -> Result<(), ApiError> {
    let Change::Create { parent, body } = change else {
        return Ok(());
    };
    let scope = body["scopeId"].as_str().unwrap_or_default();
    match objects_of(&org.resources, "app_grants", parent)
        .iter()
        .any(|g| g["scopeId"] == scope)
    {
        true => Err(ApiError::validation(
            "scopeId",
            format!("scopeId: {scope} is already granted to app {parent}"),
        )),
        false => Ok(()),
    }
}

/// A grant made by the admin for the app's client (the app id is its client id).
fn new_grant(fill: &mut Fill) {
    let app = fill.parent.to_string();
    fill.object["status"] = json!("ACTIVE");
    fill.object["clientId"] = json!(app);
    fill.object["source"] = json!("ADMIN");
    fill.object["createdBy"] = json!({ "id": crate::syslog::ADMIN_ID, "type": "User" });
    fill.object["_links"]["app"] = json!({ "href": format!("{}/api/v1/apps/{app}", fill.base) });
    fill.object["_links"]["client"] = json!({ "href": format!("{}/oauth2/v1/clients/{app}", fill.base) });
}

static LINKED_OBJECT_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/meta/schemas/user/linkedObjects", Op::Create, 201),
        call(
            "DELETE",
            "/api/v1/meta/schemas/user/linkedObjects/{linkedObjectName}",
            Op::Delete,
            204,
        ),
    ],
    events: Events {
        target: "LinkedObject",
        create: "system.linked_object.create",
        delete: "system.linked_object.delete",
        ..Events::NONE
    },
    stamps: &[],
    rules: names_unused,
    links: false,
    fill: |fill| {
        let primary = fill.object["primary"]["name"].as_str().unwrap_or_default().to_string();
        let href = format!("{}/api/v1/meta/schemas/user/linkedObjects/{primary}", fill.base);
        fill.object["_links"] = json!({ "self": { "href": href } });
    },
    forget: |org, _, definition| {
        // The links of a deleted relationship go with it.
        let names = [&definition["primary"]["name"], &definition["associated"]["name"]];
        if let Some(by_parent) = org.resources.get_mut(super::links::VALUES) {
            by_parent.retain(|parent, _| {
                let relationship = parent.rsplit('/').next().unwrap_or_default();
                !names.iter().any(|n| *n == relationship)
            });
        }
    },
    ..Writes::DEFAULTS
};

/// A relationship's two names are new to the org (primary and associated names share one namespace).
fn names_unused(org: &Org, change: &Change) -> Result<(), ApiError> {
    let Change::Create { body, .. } = change else {
        return Ok(());
    };
    let taken: Vec<Value> = objects_of(&org.resources, "linked_object_definitions", "")
        .iter()
        .flat_map(|d| [d["primary"]["name"].clone(), d["associated"]["name"].clone()])
        .collect();
    for side in ["primary", "associated"] {
        let name = &body[side]["name"];
        if name.as_str().is_none_or(str::is_empty) {
            return Err(ApiError::validation(
                &format!("{side}.name"),
                format!("{side}.name: The field cannot be left blank"),
            ));
        }
        if taken.contains(name) {
            return Err(ApiError::validation(
                &format!("{side}.name"),
                format!("{side}.name: {name} already names a linked object relationship"),
            ));
        }
    }
    Ok(())
}

/// Base64 text of `len` characters, standing in for DER certificates and key moduli.
fn base64ish(ctx: &mut SeedCtx, len: usize) -> String {
    ctx.ids.random_text(len)
}

/// A signing key with its certificate chain, as Okta lists IdP and app keys.
fn jwk(ctx: &mut SeedCtx, kid: &str) -> Value {
    let (created, updated) = ctx.times();
    json!({
        "kid": kid, "created": created, "lastUpdated": updated, "expiresAt": "2030-01-01T00:00:00.000Z",
        "e": "AQAB", "n": base64ish(ctx, 342), "kty": "RSA", "use": "sig",
        "x5c": [base64ish(ctx, 1200)], "x5t#S256": base64ish(ctx, 43),
    })
}

fn seed_idp_keys(ctx: &mut SeedCtx) -> Seeded {
    let keys = (0..3)
        .map(|_| {
            let kid = format!(
                "{}-{}-{}",
                ctx.ids.random_text(8),
                ctx.ids.random_text(4),
                ctx.ids.random_text(12)
            );
            jwk(ctx, &kid)
        })
        .collect();
    Seeded::from([(String::new(), keys)])
}

fn provisioning_policy(template: &str, profile_master: bool, groups: Value) -> Value {
    json!({
        "provisioning": {
            "action": "AUTO", "profileMaster": profile_master, "groups": groups,
            "conditions": { "deprovisioned": { "action": "NONE" }, "suspended": { "action": "NONE" } },
        },
        "accountLink": { "action": "AUTO" },
        "subject": { "userNameTemplate": { "template": template }, "matchType": "USERNAME" },
        "mapAMRClaims": false, "trustClaims": false, "maxClockSkew": 120000,
    })
}

/// A SAML IdP trusting two seeded keys and assigning real groups, an OIDC IdP, and a Google one.
fn seed_idps(ctx: &mut SeedCtx) -> Seeded {
    let kids: Vec<String> = ctx
        .objects("idp_keys")
        .iter()
        .filter_map(|k| k["kid"].as_str().map(String::from))
        .collect();
    let groups: Vec<String> = ctx.group_ids("OKTA_GROUP").into_iter().take(2).collect();
    let mut out = Vec::new();

    let id = ctx.ids.next("0oa");
    let (created, updated) = ctx.times();
    out.push(json!({
        "id": id, "type": "SAML2", "name": "Partner SAML IdP", "status": "ACTIVE",
        "created": created, "lastUpdated": updated,
        "protocol": {
            "type": "SAML2",
            "endpoints": {
                "sso": { "url": "https://idp.partner.example/sso", "binding": "HTTP-POST",
                         "destination": "https://idp.partner.example/sso" },
                "acs": { "binding": "HTTP-POST", "type": "INSTANCE" },
            },
            "algorithms": {
                "request": { "signature": { "algorithm": "SHA-256", "scope": "REQUEST" } },
                "response": { "signature": { "algorithm": "SHA-256", "scope": "ANY" } },
            },
            "settings": { "nameFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" },
            "credentials": { "trust": {
                "issuer": "https://idp.partner.example", "audience": ctx.url(&format!("/saml2/{id}")),
                "kid": kids.first(), "additionalKids": kids.get(1..2).unwrap_or_default(),
            } },
        },
        "policy": provisioning_policy("saml.subjectNameId", true,
                                      json!({ "action": "ASSIGN", "assignments": groups })),
        "_links": {
            "metadata": { "href": ctx.url(&format!("/api/v1/idps/{id}/metadata.xml")), "type": "application/xml",
                          "hints": { "allow": ["GET"] } },
            "users": ctx.link(&format!("/api/v1/idps/{id}/users"), &["GET"]),
            "deactivate": ctx.link(&format!("/api/v1/idps/{id}/lifecycle/deactivate"), &["POST"]),
        },
    }));

    for (kind, name, issuer, scopes) in [
        (
            "OIDC",
            "Contractor OIDC IdP",
            "https://login.contractor.example",
            json!(["openid", "email", "profile"]),
        ),
        (
            "GOOGLE",
            "Google",
            "https://accounts.google.com",
            json!(["openid", "email", "profile"]),
        ),
    ] {
        let id = ctx.ids.next("0oa");
        let (created, updated) = ctx.times();
        let client_id = ctx.ids.random_text(20);
        let mut protocol = json!({
            "type": "OIDC",
            "endpoints": {
                "authorization": { "url": format!("{issuer}/authorize"), "binding": "HTTP-REDIRECT" },
                "token": { "url": format!("{issuer}/token"), "binding": "HTTP-POST" },
            },
            "scopes": scopes,
            // Okta answers the client id; the secret is kept out of the simulator's answers.
            "credentials": { "client": { "client_id": client_id } },
        });
        if kind == "OIDC" {
            protocol["issuer"] = json!({ "url": issuer });
            protocol["endpoints"]["jwks"] = json!({ "url": format!("{issuer}/keys"), "binding": "HTTP-REDIRECT" });
        }
        out.push(json!({
            "id": id, "type": kind, "name": name, "status": "ACTIVE", "created": created, "lastUpdated": updated,
            "protocol": protocol,
            "policy": provisioning_policy("idpuser.email", false, json!({ "action": "NONE" })),
            "_links": {
                "clientRedirectUri": ctx.link("/oauth2/v1/authorize/callback", &["POST"]),
                "deactivate": ctx.link(&format!("/api/v1/idps/{id}/lifecycle/deactivate"), &["POST"]),
            },
        }));
    }
    Seeded::from([(String::new(), out)])
}

fn apps_with_mode(ctx: &SeedCtx, mode: &str) -> Vec<String> {
    ctx.org
        .apps
        .iter()
        .filter(|a| a.value()["signOnMode"] == mode)
        .map(|a| a.id.to_string())
        .collect()
}

/// Okta management scopes granted to OIDC apps (the first few hold some each).
fn seed_app_grants(ctx: &mut SeedCtx) -> Seeded {
    let admin = ctx.user_ids("ACTIVE").first().cloned().unwrap_or_default();
    let scopes = [
        "okta.users.read",
        "okta.groups.read",
        "okta.apps.read",
        "okta.logs.read",
    ];
    let issuer = ctx.url("");
    let mut out = Seeded::new();
    for (n, app) in apps_with_mode(ctx, "OPENID_CONNECT").into_iter().take(4).enumerate() {
        let mut grants = Vec::new();
        for scope in scopes.iter().take(n + 1) {
            let id = ctx.ids.next("oag");
            let (created, updated) = ctx.times();
            grants.push(json!({
                "id": id, "status": "ACTIVE", "created": created, "lastUpdated": updated,
                "createdBy": { "id": admin, "type": "User" }, "issuer": issuer, "clientId": app,
                "scopeId": scope, "source": "ADMIN",
                "_links": {
                    "app": { "href": ctx.url(&format!("/api/v1/apps/{app}")) },
                    "self": ctx.link(&format!("/api/v1/apps/{app}/grants/{id}"), &["GET", "DELETE"]),
                    "client": { "href": ctx.url(&format!("/oauth2/v1/clients/{app}")) },
                },
            }));
        }
        out.insert(app, grants);
    }
    out
}

/// A signing key per SAML app (two for the first, mid-rotation).
fn seed_app_keys(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Seeded::new();
    for (n, app) in apps_with_mode(ctx, "SAML_2_0").into_iter().enumerate() {
        let count = if n == 0 { 2 } else { 1 };
        let keys = (0..count)
            .map(|_| {
                let kid = ctx.ids.random_text(43);
                jwk(ctx, &kid)
            })
            .collect();
        out.insert(app, keys);
    }
    out
}

/// A pending certificate signing request on the first two SAML apps.
fn seed_app_csrs(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Seeded::new();
    for app in apps_with_mode(ctx, "SAML_2_0").into_iter().take(2) {
        let id = ctx.ids.random_text(43);
        let (created, _) = ctx.times();
        let path = format!("/api/v1/apps/{app}/credentials/csrs/{id}");
        let csr = json!({
            "id": id, "created": created, "kty": "RSA", "csr": base64ish(ctx, 1000),
            "_links": {
                "self": ctx.link(&path, &["GET", "DELETE"]),
                "publish": ctx.link(&format!("{path}/lifecycle/publish"), &["POST"]),
            },
        });
        out.insert(app, vec![csr]);
    }
    out
}

fn seed_linked_objects(ctx: &mut SeedCtx) -> Seeded {
    let definitions = [
        ("manager", "Manager", "subordinate", "Subordinate"),
        ("sponsor", "Sponsor", "sponsored", "Sponsored user"),
    ]
    .iter()
    .map(|(primary, primary_title, associated, associated_title)| {
        json!({
            "primary": { "name": primary, "title": primary_title, "description": format!("{primary_title} link"),
                         "type": "USER" },
            "associated": { "name": associated, "title": associated_title,
                            "description": format!("{associated_title} link"), "type": "USER" },
            "_links": { "self": { "href": ctx.url(&format!("/api/v1/meta/schemas/user/linkedObjects/{primary}")) } },
        })
    })
    .collect();
    Seeded::from([(String::new(), definitions)])
}
