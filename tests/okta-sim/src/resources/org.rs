//! Organization settings: the org profile and its contacts, trusted origins, email domains, feature
//! flags, ThreatInsight, CAPTCHA instances and the org-wide CAPTCHA settings, brands with their themes
//! and email templates. Contacts name real seeded users, ThreatInsight excludes real zones, brands point
//! at real email domains and apps, so a restore has ids to remap. Shapes follow the spec's `OrgSetting`,
//! `OrgContactTypeObj`, `OrgContactUser`, `TrustedOrigin`, `EmailDomainResponse`, `Feature`,
//! `ThreatInsightConfiguration`, `CAPTCHAInstance`, `OrgCAPTCHASettings`, `Brand`, `ThemeResponse` and
//! `EmailTemplateResponse` schemas and examples.

use serde_json::{Value, json};

use super::{QUERY_LIMIT, Resource, SeedCtx, Seeded, Shape};

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "org_settings",
        route: "/api/v1/org",
        shape: Shape::Object,
        scope: "okta.orgs.read",
        seed: seed_org_settings,
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
        ..Resource::DEFAULTS
    },
    Resource {
        name: "trusted_origins",
        route: "/api/v1/trustedOrigins",
        item_route: Some("/api/v1/trustedOrigins/{trustedOriginId}"),
        shape: Shape::Array(Some(QUERY_LIMIT)),
        scope: "okta.trustedOrigins.read",
        seed: seed_trusted_origins,
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
        ..Resource::DEFAULTS
    },
    Resource {
        name: "features",
        route: "/api/v1/features",
        item_route: Some("/api/v1/features/{featureId}"),
        shape: Shape::Array(None),
        scope: "okta.features.read",
        seed: seed_features,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "threat_insight",
        route: "/api/v1/threats/configuration",
        shape: Shape::Object,
        key: "/action",
        scope: "okta.threatInsights.read",
        seed: seed_threat_insight,
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
        ..Resource::DEFAULTS
    },
    Resource {
        name: "brands",
        route: "/api/v1/brands",
        item_route: Some("/api/v1/brands/{brandId}"),
        shape: Shape::Array(Some(QUERY_LIMIT)),
        scope: "okta.brands.read",
        seed: seed_brands,
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
        ..Resource::DEFAULTS
    },
];

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

/// One theme per brand, as Okta has.
fn seed_brand_themes(ctx: &mut SeedCtx) -> Seeded {
    let variants = [
        (
            "OKTA_DEFAULT",
            "OKTA_DEFAULT",
            "OKTA_DEFAULT",
            "OKTA_DEFAULT",
            "OKTA_DEFAULT",
        ),
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
        let (sign_in, dashboard, error, email, loading) = variants[i.min(1)];
        let primary = format!("#{:06x}", ctx.rng.below(0x100_0000));
        let mut theme = json!({
            "id": id, "logo": ctx.url(&format!("/bc/image/fileStoreRecord?id={id}-logo")),
            "favicon": ctx.url("/favicon.ico"), "primaryColorHex": primary, "primaryColorContrastHex": "#ffffff",
            "secondaryColorHex": "#ebebed", "secondaryColorContrastHex": "#000000",
            "signInPageTouchPointVariant": sign_in, "endUserDashboardTouchPointVariant": dashboard,
            "errorPageTouchPointVariant": error, "emailTemplateTouchPointVariant": email,
            "loadingPageTouchPointVariant": loading,
        });
        if sign_in == "BACKGROUND_IMAGE" {
            theme["backgroundImage"] = json!(ctx.url(&format!("/bc/image/fileStoreRecord?id={id}-background")));
        }
        out.insert(brand_id, vec![theme]);
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

fn seed_email_templates(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Seeded::new();
    for brand in ctx.objects("brands") {
        let brand_id = brand["id"].as_str().unwrap_or_default().to_string();
        let templates = EMAIL_TEMPLATES
            .iter()
            .map(|name| {
                let path = format!("/api/v1/brands/{brand_id}/templates/email/{name}");
                let recipients = ["ALL_USERS", "ALL_USERS", "ADMINS_ONLY", "NO_USERS"][ctx.rng.below(4) as usize];
                json!({
                    "name": name,
                    "_embedded": {
                        "customizationCount": ctx.rng.below(3),
                        "settings": {
                            "recipients": recipients,
                            "_links": {
                                "self": ctx.link(&format!("{path}/settings"), &["GET", "PUT"]),
                                "template": ctx.link(&path, &["GET"]),
                            },
                        },
                    },
                    "_links": {
                        "self": ctx.link(&path, &["GET"]),
                        "settings": ctx.link(&format!("{path}/settings"), &["GET", "PUT"]),
                        "defaultContent": ctx.link(&format!("{path}/default-content"), &["GET"]),
                        "customizations": ctx.link(&format!("{path}/customizations"), &["GET", "POST", "DELETE"]),
                        "test": ctx.link(&format!("{path}/test"), &["POST"]),
                    },
                })
            })
            .collect();
        out.insert(brand_id, templates);
    }
    out
}
