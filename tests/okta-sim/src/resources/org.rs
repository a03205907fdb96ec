//! Organization settings: the org profile and its contacts, trusted origins, email domains, feature
//! flags, ThreatInsight, CAPTCHA instances and the org-wide CAPTCHA settings, brands with their themes
//! and email templates. Contacts name real seeded users, ThreatInsight excludes real zones, brands point
//! at real email domains and apps, so a restore has ids to remap. Shapes follow the spec's `OrgSetting`,
//! `OrgContactTypeObj`, `OrgContactUser`, `TrustedOrigin`, `EmailDomainResponse`, `Feature`,
//! `ThreatInsightConfiguration`, `CAPTCHAInstance`, `OrgCAPTCHASettings`, `Brand`, `ThemeResponse` and
//! `EmailTemplateResponse` schemas and examples.

use axum::response::Response;
use serde_json::{Value, json};

use super::write::{Change, Events, Fill, Op, WriteRequest, Writes, answer, call, emit, event_target, stored};
use super::{QUERY_LIMIT, Resource, SeedCtx, Seeded, Shape, objects_of, put_object};
use crate::errors::ApiError;
use crate::server::Shared;
use crate::store::Org;
use crate::syslog::ADMIN_ID;

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "org_settings",
        route: "/api/v1/org",
        shape: Shape::Object,
        scope: "okta.orgs.read",
        seed: seed_org_settings,
        writes: Some(&ORG_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "org_contact_types",
        route: "/api/v1/org/contacts",
        shape: Shape::Array(None),
        key: "/contactType",
        scope: "okta.orgs.read",
        seed: seed_org_contact_types,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "org_contacts",
        route: "/api/v1/org/contacts/{contactType}",
        parent: Some("org_contact_types"),
        shape: Shape::Object,
        key: "/userId",
        scope: "okta.orgs.read",
        seed: seed_org_contacts,
        writes: Some(&CONTACT_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "trusted_origins",
        route: "/api/v1/trustedOrigins",
        item_route: Some("/api/v1/trustedOrigins/{trustedOriginId}"),
        shape: Shape::Array(Some(QUERY_LIMIT)),
        scope: "okta.trustedOrigins.read",
        seed: seed_trusted_origins,
        writes: Some(&ORIGIN_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "email_domains",
        route: "/api/v1/email-domains",
        item_route: Some("/api/v1/email-domains/{emailDomainId}"),
        // Spec: no paging parameters.
        shape: Shape::Array(None),
        scope: "okta.emailDomains.read",
        seed: seed_email_domains,
        writes: Some(&EMAIL_DOMAIN_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "features",
        route: "/api/v1/features",
        item_route: Some("/api/v1/features/{featureId}"),
        shape: Shape::Array(None),
        scope: "okta.features.read",
        seed: seed_features,
        writes: Some(&FEATURE_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "threat_insight",
        route: "/api/v1/threats/configuration",
        shape: Shape::Object,
        key: "/action",
        scope: "okta.threatInsights.read",
        seed: seed_threat_insight,
        writes: Some(&THREAT_INSIGHT_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "captchas",
        route: "/api/v1/captchas",
        item_route: Some("/api/v1/captchas/{captchaId}"),
        shape: Shape::Array(None),
        scope: "okta.captchas.read",
        seed: seed_captchas,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "org_captcha",
        route: "/api/v1/org/captcha",
        shape: Shape::Object,
        key: "/captchaId",
        scope: "okta.captchas.read",
        seed: seed_org_captcha,
        writes: Some(&ORG_CAPTCHA_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "brands",
        route: "/api/v1/brands",
        item_route: Some("/api/v1/brands/{brandId}"),
        shape: Shape::Array(Some(QUERY_LIMIT)),
        scope: "okta.brands.read",
        seed: seed_brands,
        writes: Some(&BRAND_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "brand_themes",
        route: "/api/v1/brands/{brandId}/themes",
        item_route: Some("/api/v1/brands/{brandId}/themes/{themeId}"),
        parent: Some("brands"),
        shape: Shape::Array(None),
        scope: "okta.brands.read",
        seed: seed_brand_themes,
        writes: Some(&THEME_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "email_templates",
        route: "/api/v1/brands/{brandId}/templates/email",
        item_route: Some("/api/v1/brands/{brandId}/templates/email/{templateName}"),
        parent: Some("brands"),
        shape: Shape::Array(Some(QUERY_LIMIT)),
        key: "/name",
        scope: "okta.templates.read",
        seed: seed_email_templates,
        writes: Some(&EMAIL_TEMPLATE_WRITES),
        ..Resource::DEFAULTS
    },
];

static ORG_WRITES: Writes = Writes {
    calls: &[
        call("PUT", "/api/v1/org", Op::Replace, 200),
        call("POST", "/api/v1/org", Op::Merge, 200),
    ],
    events: Events {
        target: "Org",
        update: "system.org.update",
        ..Events::NONE
    },
    // The org's name in its URL, its status and its expiry are Okta's.
    server_fields: &["subdomain", "status", "expiresAt"],
    links: false,
    ..Writes::DEFAULTS
};

static CONTACT_WRITES: Writes = Writes {
    calls: &[call(
        "PUT",
        "/api/v1/org/contacts/{contactType}",
        Op::Custom(set_contact),
        200,
    )],
    events: Events {
        target: "Org",
        update: "system.org.contact.update",
        ..Events::NONE
    },
    ..Writes::DEFAULTS
};

/// `PUT /api/v1/org/contacts/{contactType}` `{userId}`: the contact of that type is another user.
fn set_contact(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let contact_type = request.params.first().cloned().unwrap_or_default();
    let user_id = request.body["userId"].as_str().unwrap_or_default();
    let mut org = sim.write_org();
    if !CONTACT_TYPES.contains(&contact_type.as_str()) {
        return Err(ApiError::NotFound(format!("{contact_type} (OrgContactType)")));
    }
    if org.users.get(user_id).is_none() {
        return Err(ApiError::validation(
            "userId",
            format!("userId: user {user_id} does not exist"),
        ));
    }
    let contact = json!({
        "userId": user_id,
        "_links": { "user": { "href": format!("{}/api/v1/users/{user_id}", sim.base) } },
    });
    if let Some(by_parent) = org.resources.get_mut("org_contacts") {
        by_parent.remove(&contact_type);
    }
    put_object(&mut org.resources, "org_contacts", &contact_type, &contact);
    emit(
        sim,
        &mut org,
        "system.org.contact.update",
        event_target("Org", &contact_type, &contact),
    );
    Ok(answer(200, &contact))
}

static ORIGIN_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/trustedOrigins", Op::Create, 200),
        call("PUT", "/api/v1/trustedOrigins/{trustedOriginId}", Op::Replace, 200),
        call("DELETE", "/api/v1/trustedOrigins/{trustedOriginId}", Op::Delete, 204),
        call(
            "POST",
            "/api/v1/trustedOrigins/{trustedOriginId}/lifecycle/activate",
            Op::Activate,
            200,
        ),
        call(
            "POST",
            "/api/v1/trustedOrigins/{trustedOriginId}/lifecycle/deactivate",
            Op::Deactivate,
            200,
        ),
    ],
    id_prefix: "tos",
    events: Events {
        target: "TrustedOrigin",
        create: "security.trusted_origin.create",
        update: "security.trusted_origin.update",
        activate: "security.trusted_origin.activate",
        deactivate: "security.trusted_origin.deactivate",
        delete: "security.trusted_origin.delete",
    },
    server_fields: &["status", "createdBy", "lastUpdatedBy"],
    created_status: Some("ACTIVE"),
    fill: |fill| {
        fill.object["createdBy"] = json!(ADMIN_ID);
        fill.object["lastUpdatedBy"] = json!(ADMIN_ID);
    },
    ..Writes::DEFAULTS
};

static EMAIL_DOMAIN_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/email-domains", Op::Create, 200),
        // `UpdateEmailDomain`: only the sender's display name and user name change.
        call("PUT", "/api/v1/email-domains/{emailDomainId}", Op::Merge, 200),
        call("DELETE", "/api/v1/email-domains/{emailDomainId}", Op::Delete, 204),
    ],
    id_prefix: "OeD",
    events: Events {
        target: "EmailDomain",
        create: "system.email_domain.create",
        update: "system.email_domain.update",
        delete: "system.email_domain.delete",
        ..Events::NONE
    },
    server_fields: &["validationStatus", "dnsValidationRecords"],
    immutable: &["domain", "validationSubdomain"],
    stamps: &[],
    rules: email_domain_rules,
    fill: new_email_domain,
    links: false,
    forget: |org, _, domain| {
        // A brand that sent from the domain sends from Okta's own again.
        for mut brand in objects_of(&org.resources, "brands", "") {
            if brand["emailDomainId"] == domain["id"] {
                if let Some(fields) = brand.as_object_mut() {
                    fields.remove("emailDomainId");
                }
                put_object(&mut org.resources, "brands", "", &brand);
            }
        }
    },
    ..Writes::DEFAULTS
};

/// A domain is added once, for an existing brand; a brand still sending from it keeps it.
fn email_domain_rules(org: &Org, change: &Change) -> Result<(), ApiError> {
    match change {
        Change::Create { body, .. } => {
            let domain = body["domain"].as_str().unwrap_or_default();
            if objects_of(&org.resources, "email_domains", "")
                .iter()
                .any(|d| d["domain"] == domain)
            {
                return Err(ApiError::validation(
                    "domain",
                    format!("domain: {domain} is already an email domain of this org"),
                ));
            }
            let brand = body["brandId"].as_str().unwrap_or_default();
            if stored(org, "brands", "", brand).is_none() {
                return Err(ApiError::validation(
                    "brandId",
                    format!("brandId: brand {brand} does not exist"),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Okta answers a new domain unverified, with the DNS records that would verify it, and the brand it
/// was added for sends from it.
fn new_email_domain(fill: &mut Fill) {
    let domain = fill.object["domain"].as_str().unwrap_or_default().to_string();
    let subdomain = fill.object["validationSubdomain"]
        .as_str()
        .unwrap_or("mail")
        .to_string();
    let token = fill.ids.random_text(32);
    fill.object["validationSubdomain"] = json!(subdomain);
    fill.object["validationStatus"] = json!("NOT_STARTED");
    fill.object["dnsValidationRecords"] = json!([
        { "recordType": "TXT", "fqdn": format!("_oktaverification.{domain}"), "verificationValue": token },
        { "recordType": "CNAME", "fqdn": format!("{subdomain}.{domain}"), "verificationValue": "u22224444.wl024.sendgrid.net" },
    ]);
    let brand_id = fill.object["brandId"].as_str().unwrap_or_default().to_string();
    if let Some(fields) = fill.object.as_object_mut() {
        fields.remove("brandId");
    }
    if let Some(mut brand) = stored(fill.org, "brands", "", &brand_id) {
        brand["emailDomainId"] = fill.object["id"].clone();
        put_object(&mut fill.org.resources, "brands", "", &brand);
    }
}

static FEATURE_WRITES: Writes = Writes {
    calls: &[call(
        "POST",
        "/api/v1/features/{featureId}/{lifecycle}",
        Op::Custom(switch_feature),
        200,
    )],
    ..Writes::DEFAULTS
};

/// `POST /api/v1/features/{featureId}/enable` (or `disable`): features have no create or update.
fn switch_feature(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let (id, lifecycle) = match request.params.as_slice() {
        [id, lifecycle] => (id.clone(), lifecycle.as_str()),
        _ => return Err(ApiError::NotFound("feature (route)".into())),
    };
    let status = match lifecycle {
        "enable" => "ENABLED",
        "disable" => "DISABLED",
        other => {
            return Err(ApiError::validation(
                "lifecycle",
                format!("lifecycle: `{other}` is not one of enable, disable"),
            ));
        }
    };
    let mut org = sim.write_org();
    let mut feature = stored(&org, "features", "", &id).ok_or_else(|| ApiError::NotFound(format!("{id} (Feature)")))?;
    if feature["status"] != status {
        feature["status"] = json!(status);
        put_object(&mut org.resources, "features", "", &feature);
        emit(
            sim,
            &mut org,
            &format!("system.feature.{lifecycle}"),
            event_target("Feature", &id, &feature),
        );
    }
    Ok(answer(200, &feature))
}

static THREAT_INSIGHT_WRITES: Writes = Writes {
    calls: &[call("POST", "/api/v1/threats/configuration", Op::Replace, 200)],
    events: Events {
        target: "ThreatInsightConfiguration",
        update: "security.threat.configuration.update",
        ..Events::NONE
    },
    links: false,
    ..Writes::DEFAULTS
};

static ORG_CAPTCHA_WRITES: Writes = Writes {
    calls: &[call("PUT", "/api/v1/org/captcha", Op::Replace, 200)],
    events: Events {
        target: "Org",
        update: "system.org.captcha.update",
        ..Events::NONE
    },
    stamps: &[],
    rules: |org, change| match change {
        Change::Replace { body, .. } => {
            let captcha = body["captchaId"].as_str().unwrap_or_default();
            match captcha.is_empty() || stored(org, "captchas", "", captcha).is_some() {
                true => Ok(()),
                false => Err(ApiError::validation(
                    "captchaId",
                    format!("captchaId: CAPTCHA instance {captcha} does not exist"),
                )),
            }
        }
        _ => Ok(()),
    },
    links: false,
    ..Writes::DEFAULTS
};

static BRAND_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/brands", Op::Create, 201),
        call("PUT", "/api/v1/brands/{brandId}", Op::Replace, 200),
        call("DELETE", "/api/v1/brands/{brandId}", Op::Delete, 204),
    ],
    id_prefix: "bnd",
    events: Events {
        target: "Brand",
        create: "system.brand.create",
        update: "system.brand.update",
        delete: "system.brand.delete",
        ..Events::NONE
    },
    server_fields: &["isDefault"],
    stamps: &[],
    rules: |_, change| match change {
        Change::Delete { old } if old["isDefault"] == true => Err(ApiError::validation(
            "isDefault",
            "isDefault: the default brand cannot be deleted",
        )),
        _ => Ok(()),
    },
    fill: new_brand,
    ..Writes::DEFAULTS
};

/// A new brand: not the default, Okta's defaults for what the request left out, and (as Okta makes
/// them) its theme and its email templates.
fn new_brand(fill: &mut Fill) {
    let id = fill.object["id"].as_str().unwrap_or_default().to_string();
    fill.object["isDefault"] = json!(false);
    for (field, default) in [
        ("agreeToCustomPrivacyPolicy", json!(false)),
        ("removePoweredByOkta", json!(false)),
        ("locale", json!("en")),
    ] {
        if fill.object.get(field).is_none() {
            fill.object[field] = default;
        }
    }
    let themes = format!("{}/api/v1/brands/{id}/themes", fill.base);
    fill.object["_links"]["themes"] = json!({ "href": themes, "hints": { "allow": ["GET"] } });
    let theme_id = fill.ids.next("thd");
    let theme = theme(fill.base, &theme_id, DEFAULT_THEME, "#1662dd");
    put_object(&mut fill.org.resources, "brand_themes", &id, &theme);
    for name in EMAIL_TEMPLATES {
        let template = email_template(fill.base, &id, name, "ALL_USERS", 0);
        put_object(&mut fill.org.resources, "email_templates", &id, &template);
    }
}

static THEME_WRITES: Writes = Writes {
    calls: &[call(
        "PUT",
        "/api/v1/brands/{brandId}/themes/{themeId}",
        Op::Replace,
        200,
    )],
    events: Events {
        target: "Theme",
        update: "system.brand.theme.update",
        ..Events::NONE
    },
    // Images are uploaded through their own calls, never set by a replace.
    server_fields: &["logo", "favicon", "backgroundImage"],
    stamps: &[],
    links: false,
    ..Writes::DEFAULTS
};

static EMAIL_TEMPLATE_WRITES: Writes = Writes {
    calls: &[call(
        "PUT",
        "/api/v1/brands/{brandId}/templates/email/{templateName}/settings",
        Op::Custom(set_template_settings),
        200,
    )],
    ..Writes::DEFAULTS
};

/// `PUT .../templates/email/{templateName}/settings` `{recipients}`: who gets the template's emails.
fn set_template_settings(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let [brand, name] = request.params.as_slice() else {
        return Err(ApiError::NotFound("email template (route)".into()));
    };
    let recipients = request.body["recipients"].as_str().unwrap_or_default();
    if !["ALL_USERS", "ADMINS_ONLY", "NO_USERS"].contains(&recipients) {
        return Err(ApiError::validation(
            "recipients",
            format!("recipients: `{recipients}` is not one of ALL_USERS, ADMINS_ONLY, NO_USERS"),
        ));
    }
    let mut org = sim.write_org();
    let mut template = stored(&org, "email_templates", brand, name)
        .ok_or_else(|| ApiError::NotFound(format!("{name} (EmailTemplate)")))?;
    template["_embedded"]["settings"]["recipients"] = json!(recipients);
    put_object(&mut org.resources, "email_templates", brand, &template);
    emit(
        sim,
        &mut org,
        "system.email.template.update",
        event_target("EmailTemplate", name, &template),
    );
    Ok(answer(200, &template["_embedded"]["settings"]))
}

fn first_user(ctx: &SeedCtx, nth: usize) -> String {
    let active = ctx.user_ids("ACTIVE");
    active.get(nth % active.len().max(1)).cloned().unwrap_or_default()
}

fn seed_org_settings(ctx: &mut SeedCtx) -> Seeded {
    let id = ctx.ids.next("00o");
    let (created, updated) = ctx.times();
    let org = json!({
        "id": id, "subdomain": "sim", "companyName": "Simulated Corp", "status": "ACTIVE",
        "address1": "100 Market St", "address2": "Floor 7", "city": "San Francisco", "state": "California",
        "postalCode": "94105", "country": "United States", "phoneNumber": "+15555550100",
        "supportPhoneNumber": "+15555550199", "website": "https://www.example.com",
        "endUserSupportHelpURL": "https://help.example.com", "created": created, "lastUpdated": updated,
        "_links": {
            "preferences": { "href": ctx.url("/api/v1/org/preferences") },
            "uploadLogo": ctx.link("/api/v1/org/logo", &["POST"]),
            "oktaCommunication": { "href": ctx.url("/api/v1/org/privacy/oktaCommunication") },
            "oktaSupport": { "href": ctx.url("/api/v1/org/privacy/oktaSupport") },
            "contacts": { "href": ctx.url("/api/v1/org/contacts") },
        },
    });
    Seeded::from([(String::new(), vec![org])])
}

const CONTACT_TYPES: &[&str] = &["BILLING", "TECHNICAL"];

fn seed_org_contact_types(ctx: &mut SeedCtx) -> Seeded {
    let types = CONTACT_TYPES
        .iter()
        .map(|t| {
            let rel = t.to_lowercase();
            json!({
                "contactType": t,
                "_links": { rel.clone(): { "href": ctx.url(&format!("/api/v1/org/contacts/{rel}")) } },
            })
        })
        .collect();
    Seeded::from([(String::new(), types)])
}

/// Each contact type names a different active user.
fn seed_org_contacts(ctx: &mut SeedCtx) -> Seeded {
    CONTACT_TYPES
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let user = first_user(ctx, i * 7 + 1);
            let contact = json!({
                "userId": user,
                "_links": { "user": { "href": ctx.url(&format!("/api/v1/users/{user}")) } },
            });
            (t.to_string(), vec![contact])
        })
        .collect()
}

fn seed_trusted_origins(ctx: &mut SeedCtx) -> Seeded {
    let admin = first_user(ctx, 0);
    let mut out = Vec::new();
    // More than one default page (20), so a backup must follow the `next` link.
    for i in 0..27 {
        let id = ctx.ids.next("tos");
        let (created, updated) = ctx.times();
        let scopes = match i % 3 {
            0 => json!([{ "type": "CORS" }, { "type": "REDIRECT" }]),
            1 => json!([{ "type": "CORS" }]),
            _ => json!([{ "type": "IFRAME_EMBED", "allowedOktaApps": ["OKTA_ENDUSER"] }]),
        };
        let status = if i % 9 == 4 { "INACTIVE" } else { "ACTIVE" };
        let path = format!("/api/v1/trustedOrigins/{id}");
        let (rel, op) = if status == "ACTIVE" {
            ("deactivate", "deactivate")
        } else {
            ("activate", "activate")
        };
        out.push(json!({
            "id": id, "name": format!("Portal {i:02}"), "origin": format!("https://portal{i:02}.example.com"),
            "status": status, "scopes": scopes, "created": created, "createdBy": admin,
            "lastUpdated": updated, "lastUpdatedBy": admin,
            "_links": {
                "self": ctx.link(&path, &["GET", "PUT", "DELETE"]),
                rel: ctx.link(&format!("{path}/lifecycle/{op}"), &["POST"]),
            },
        }));
    }
    Seeded::from([(String::new(), out)])
}

fn seed_email_domains(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Vec::new();
    for (domain, display, user, status) in [
        ("mail.example.com", "Example IT", "it-notices", "VERIFIED"),
        ("notify.example.org", "Example Partners", "partners", "NOT_STARTED"),
    ] {
        let id = ctx.ids.next("OeD");
        let token = format!("{:032x}", ctx.rng.below(u64::MAX));
        out.push(json!({
            "id": id, "domain": domain, "displayName": display, "userName": user, "validationStatus": status,
            "validationSubdomain": "mail",
            "dnsValidationRecords": [
                { "recordType": "TXT", "fqdn": format!("_oktaverification.{domain}"), "verificationValue": token },
                { "recordType": "CNAME", "fqdn": format!("mail.{domain}"),
                  "verificationValue": "u22224444.wl024.sendgrid.net" },
            ],
        }));
    }
    Seeded::from([(String::new(), out)])
}

fn seed_features(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Vec::new();
    for (name, description, state, stage, status) in [
        (
            "Okta Identity Engine password policies",
            "Per-app password rules",
            "OPEN",
            "EA",
            "ENABLED",
        ),
        (
            "Dynamic network zones",
            "Zones by location, ASN and proxy",
            "OPEN",
            "EA",
            "ENABLED",
        ),
        (
            "Granular admin roles",
            "Custom admin roles and resource sets",
            "CLOSED",
            "BETA",
            "DISABLED",
        ),
        (
            "Authenticator enrollment policies",
            "Per-group authenticator enrollment",
            "OPEN",
            "EA",
            "DISABLED",
        ),
        (
            "Event hook filtering",
            "Filter event hooks with Okta EL",
            "CLOSED",
            "BETA",
            "ENABLED",
        ),
    ] {
        let id = ctx.ids.next("ftr");
        let path = format!("/api/v1/features/{id}");
        out.push(json!({
            "id": id, "name": name, "description": description, "type": "self-service",
            "stage": { "state": state, "value": stage }, "status": status,
            "_links": {
                "self": ctx.link(&path, &["POST"]),
                "dependents": { "href": ctx.url(&format!("{path}/dependents")) },
                "dependencies": { "href": ctx.url(&format!("{path}/dependencies")) },
            },
        }));
    }
    Seeded::from([(String::new(), out)])
}

/// Excludes two real seeded IP zones.
fn seed_threat_insight(ctx: &mut SeedCtx) -> Seeded {
    let zones: Vec<Value> = ctx
        .objects("network_zones")
        .into_iter()
        .filter(|z| z["type"] == "IP" && z["system"] == false)
        .filter_map(|z| z.get("id").cloned())
        .take(2)
        .collect();
    let (created, updated) = ctx.times();
    let config = json!({
        "action": "block", "excludeZones": zones, "created": created, "lastUpdated": updated,
        "_links": { "self": ctx.link("/api/v1/threats/configuration", &["GET", "POST"]) },
    });
    Seeded::from([(String::new(), vec![config])])
}

/// `secretKey` is write-only: Okta never returns it.
fn seed_captchas(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Vec::new();
    for (name, kind) in [
        ("Sign-in hCaptcha", "HCAPTCHA"),
        ("Registration reCAPTCHA", "RECAPTCHA_V2"),
    ] {
        let id = ctx.ids.next("ccp");
        let site_key = format!("{:016x}{:016x}", ctx.rng.below(u64::MAX), ctx.rng.below(u64::MAX));
        out.push(json!({
            "id": id, "name": name, "type": kind, "siteKey": site_key,
            "_links": { "self": ctx.link(&format!("/api/v1/captchas/{id}"), &["GET", "PUT", "POST", "DELETE"]) },
        }));
    }
    Seeded::from([(String::new(), out)])
}

/// The org uses the first seeded CAPTCHA instance on sign-in and self-service registration.
fn seed_org_captcha(ctx: &mut SeedCtx) -> Seeded {
    let captcha = ctx
        .objects("captchas")
        .first()
        .and_then(|c| c["id"].as_str().map(String::from));
    let captcha = captcha.unwrap_or_default();
    let settings = json!({
        "captchaId": captcha, "enabledPages": ["SSR", "SIGN_IN"],
        "_links": { "self": ctx.link(&format!("/api/v1/captchas/{captcha}"), &["GET", "POST", "PUT", "DELETE"]) },
    });
    Seeded::from([(String::new(), vec![settings])])
}

fn seed_brands(ctx: &mut SeedCtx) -> Seeded {
    let domains: Vec<String> = ctx
        .objects("email_domains")
        .iter()
        .filter_map(|d| d["id"].as_str().map(String::from))
        .collect();
    let apps: Vec<String> = ctx.org.apps.iter().map(|a| a.id.to_string()).collect();
    let mut out = Vec::new();
    for (i, (name, locale)) in [
        ("Okta Default", "en"),
        ("Partner Portal", "en"),
        ("Example Europe", "de"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = ctx.ids.next("bnd");
        let path = format!("/api/v1/brands/{id}");
        let mut brand = json!({
            "id": id, "name": name, "isDefault": i == 0, "agreeToCustomPrivacyPolicy": i == 2,
            "removePoweredByOkta": i != 0, "locale": locale,
            "_links": {
                "self": ctx.link(&path, &["GET", "PUT", "DELETE"]),
                "themes": ctx.link(&format!("{path}/themes"), &["GET"]),
            },
        });
        if i == 2 {
            brand["customPrivacyPolicyUrl"] = json!("https://www.example.eu/privacy");
        }
        // The default brand sends from the org's own domain; the others from seeded email domains.
        if let Some(domain) = (i > 0).then(|| domains.get(i - 1)).flatten() {
            brand["emailDomainId"] = json!(domain);
            brand["_links"]["emailDomain"] = ctx.link(&format!("/api/v1/email-domains/{domain}"), &["GET", "PUT"]);
        }
        if let Some(app) = (i > 0).then(|| apps.get(i * 3)).flatten() {
            brand["defaultApp"] = json!({ "appInstanceId": app });
        }
        out.push(brand);
    }
    Seeded::from([(String::new(), out)])
}

/// Touch-point variants of a theme: sign-in page, dashboard, error page, email, loading page.
type Variants = (&'static str, &'static str, &'static str, &'static str, &'static str);

const DEFAULT_THEME: Variants = (
    "OKTA_DEFAULT",
    "OKTA_DEFAULT",
    "OKTA_DEFAULT",
    "OKTA_DEFAULT",
    "OKTA_DEFAULT",
);

/// A brand's theme (`ThemeResponse`).
fn theme(base: &str, id: &str, variants: Variants, primary: &str) -> Value {
    let (sign_in, dashboard, error, email, loading) = variants;
    let mut theme = json!({
        "id": id, "logo": format!("{base}/bc/image/fileStoreRecord?id={id}-logo"),
        "favicon": format!("{base}/favicon.ico"), "primaryColorHex": primary, "primaryColorContrastHex": "#ffffff",
        "secondaryColorHex": "#ebebed", "secondaryColorContrastHex": "#000000",
        "signInPageTouchPointVariant": sign_in, "endUserDashboardTouchPointVariant": dashboard,
        "errorPageTouchPointVariant": error, "emailTemplateTouchPointVariant": email,
        "loadingPageTouchPointVariant": loading,
    });
    if sign_in == "BACKGROUND_IMAGE" {
        theme["backgroundImage"] = json!(format!("{base}/bc/image/fileStoreRecord?id={id}-background"));
    }
    theme
}

/// One theme per brand, as Okta has.
fn seed_brand_themes(ctx: &mut SeedCtx) -> Seeded {
    let variants = [
        DEFAULT_THEME,
        (
            "BACKGROUND_IMAGE",
            "FULL_THEME",
            "BACKGROUND_SECONDARY_COLOR",
            "FULL_THEME",
            "NONE",
        ),
    ];
    let mut out = Seeded::new();
    for (i, brand) in ctx.objects("brands").iter().enumerate() {
        let brand_id = brand["id"].as_str().unwrap_or_default().to_string();
        let id = ctx.ids.next("thd");
        let primary = format!("#{:06x}", ctx.rng.below(0x100_0000));
        out.insert(brand_id, vec![theme(ctx.base, &id, variants[i.min(1)], &primary)]);
    }
    out
}

/// Okta's fixed template names: more than one default page (20) per brand.
const EMAIL_TEMPLATES: &[&str] = &[
    "ADForgotPassword",
    "ADForgotPasswordDenied",
    "ADSelfServiceUnlock",
    "ADUserActivation",
    "AccountLockout",
    "ChangeEmailConfirmation",
    "EmailChallenge",
    "EmailChangeConfirmation",
    "EmailFactorVerification",
    "ForgotPassword",
    "ForgotPasswordDenied",
    "IGAReviewerEndNotification",
    "LDAPForgotPassword",
    "LDAPForgotPasswordDenied",
    "LDAPSelfServiceUnlock",
    "LDAPUserActivation",
    "NewSignOnNotification",
    "OktaVerifyActivation",
    "PasswordChanged",
    "PasswordResetByAdmin",
    "PendingEmailChange",
    "RegistrationActivation",
    "RegistrationEmailVerification",
    "SelfServiceUnlock",
    "UserActivation",
];

/// An email template of a brand (`EmailTemplateResponse`, with its settings embedded).
fn email_template(base: &str, brand_id: &str, name: &str, recipients: &str, customizations: u64) -> Value {
    let path = format!("/api/v1/brands/{brand_id}/templates/email/{name}");
    let link = |p: String, allow: &[&str]| json!({ "href": format!("{base}{p}"), "hints": { "allow": allow } });
    json!({
        "name": name,
        "_embedded": {
            "customizationCount": customizations,
            "settings": {
                "recipients": recipients,
                "_links": {
                    "self": link(format!("{path}/settings"), &["GET", "PUT"]),
                    "template": link(path.clone(), &["GET"]),
                },
            },
        },
        "_links": {
            "self": link(path.clone(), &["GET"]),
            "settings": link(format!("{path}/settings"), &["GET", "PUT"]),
            "defaultContent": link(format!("{path}/default-content"), &["GET"]),
            "customizations": link(format!("{path}/customizations"), &["GET", "POST", "DELETE"]),
            "test": link(format!("{path}/test"), &["POST"]),
        },
    })
}

fn seed_email_templates(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Seeded::new();
    for brand in ctx.objects("brands") {
        let brand_id = brand["id"].as_str().unwrap_or_default().to_string();
        let templates = EMAIL_TEMPLATES
            .iter()
            .map(|name| {
                let recipients = ["ALL_USERS", "ALL_USERS", "ADMINS_ONLY", "NO_USERS"][ctx.rng.below(4) as usize];
                let customizations = ctx.rng.below(3);
                email_template(ctx.base, &brand_id, name, recipients, customizations)
            })
            .collect();
        out.insert(brand_id, templates);
    }
    out
}
