//! Okta's JSON shapes for users, groups, apps, app users and app group assignments, as in the
//! management spec's examples (`ListUsersResponse`, `list-groups-examples`, `*AppResponseEx`,
//! `AppUserListEx`, `GroupAssignmentExResponse`). `base` is the simulator's own URL.

use serde::Serialize;
use serde_json::{Value, json};

/// The statuses a user can be in (`UserStatus` in the spec).
pub const USER_STATUSES: &[&str] = &[
    "ACTIVE",
    "STAGED",
    "PROVISIONED",
    "SUSPENDED",
    "LOCKED_OUT",
    "PASSWORD_EXPIRED",
    "RECOVERY",
    "DEPROVISIONED",
];

/// The sign-on modes of the `Application` discriminator.
pub const SIGN_ON_MODES: &[&str] = &[
    "BOOKMARK",
    "SAML_2_0",
    "OPENID_CONNECT",
    "AUTO_LOGIN",
    "BASIC_AUTH",
    "SECURE_PASSWORD_STORE",
    "WS_FEDERATION",
    "BROWSER_PLUGIN",
    "SAML_1_1",
];

pub fn href(url: String) -> Value {
    json!({ "href": url })
}

/// Lifecycle timestamps of a user; `None` is `null` in the JSON.
#[derive(Debug, Clone, Default)]
pub struct UserTimes {
    pub created: String,
    pub activated: Option<String>,
    pub status_changed: Option<String>,
    pub last_login: Option<String>,
    pub last_updated: String,
    pub password_changed: Option<String>,
}

#[derive(Serialize)]
struct Href {
    href: String,
}

#[derive(Serialize)]
struct SelfLink {
    #[serde(rename = "self")]
    self_: Href,
}

#[derive(Serialize)]
struct TypeRef<'a> {
    id: &'a str,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Provider {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
struct UserCredentials {
    // The password itself is write-only: Okta answers with an empty object when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<Empty>,
    provider: Provider,
}

/// A user as list endpoints return it: `_links` holds only `self` (spec, `User._links`).
/// Serialized straight from borrowed fields, because seeding writes 100k of them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserDoc<'a, P: Serialize> {
    id: &'a str,
    status: &'a str,
    created: &'a str,
    activated: Option<&'a str>,
    status_changed: Option<&'a str>,
    last_login: Option<&'a str>,
    last_updated: &'a str,
    password_changed: Option<&'a str>,
    #[serde(rename = "type")]
    type_ref: TypeRef<'a>,
    profile: P,
    credentials: UserCredentials,
    #[serde(rename = "_links")]
    links: SelfLink,
}

pub struct UserInit<'a, P> {
    pub base: &'a str,
    pub id: &'a str,
    pub status: &'a str,
    pub times: &'a UserTimes,
    pub type_id: &'a str,
    pub profile: P,
    pub password: bool,
}

fn user_doc<'a, P: Serialize>(u: UserInit<'a, P>) -> UserDoc<'a, P> {
    UserDoc {
        id: u.id,
        status: u.status,
        created: &u.times.created,
        activated: u.times.activated.as_deref(),
        status_changed: u.times.status_changed.as_deref(),
        last_login: u.times.last_login.as_deref(),
        last_updated: &u.times.last_updated,
        password_changed: u.times.password_changed.as_deref(),
        type_ref: TypeRef { id: u.type_id },
        profile: u.profile,
        credentials: UserCredentials {
            password: u.password.then_some(Empty {}),
            provider: Provider {
                kind: "OKTA",
                name: "OKTA",
            },
        },
        links: SelfLink {
            self_: Href {
                href: format!("{}/api/v1/users/{}", u.base, u.id),
            },
        },
    }
}

pub fn user<P: Serialize>(init: UserInit<P>) -> Value {
    serde_json::to_value(user_doc(init)).expect("a user document always serializes")
}

pub fn user_text<P: Serialize>(init: UserInit<P>) -> String {
    serde_json::to_string(&user_doc(init)).expect("a user document always serializes")
}

/// The full `_links` Okta gives a single user, which depend on the user's status.
pub fn user_links_full(base: &str, user: &Value) -> Value {
    let id = user["id"].as_str().unwrap_or_default();
    let status = user["status"].as_str().unwrap_or_default();
    let type_id = user.pointer("/type/id").and_then(Value::as_str).unwrap_or_default();
    let lifecycle = |op: &str| json!({ "href": format!("{base}/api/v1/users/{id}/lifecycle/{op}"), "method": "POST" });
    let mut links = json!({
        "self": href(format!("{base}/api/v1/users/{id}")),
        "schema": href(format!("{base}/api/v1/meta/schemas/user/osc{}", &type_id.get(3..).unwrap_or_default())),
        "type": href(format!("{base}/api/v1/meta/types/user/{type_id}")),
    });
    let ops: &[(&str, &str)] = match status {
        "STAGED" => &[("activate", "activate")],
        "PROVISIONED" => &[("reactivate", "reactivate"), ("deactivate", "deactivate")],
        "SUSPENDED" => &[("unsuspend", "unsuspend"), ("deactivate", "deactivate")],
        "LOCKED_OUT" => &[("unlock", "unlock"), ("deactivate", "deactivate")],
        "DEPROVISIONED" => &[("activate", "activate")],
        _ => &[
            ("suspend", "suspend"),
            ("resetPassword", "reset_password"),
            ("expirePassword", "expire_password"),
            ("deactivate", "deactivate"),
        ],
    };
    for (name, op) in ops {
        links[*name] = lifecycle(op);
    }
    links
}

/// The three kinds of group (`GroupType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    Okta,
    App,
    BuiltIn,
}

impl GroupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Okta => "OKTA_GROUP",
            GroupKind::App => "APP_GROUP",
            GroupKind::BuiltIn => "BUILT_IN",
        }
    }
}

pub struct GroupTimes<'a> {
    pub created: &'a str,
    pub last_updated: &'a str,
    pub last_membership_updated: &'a str,
}

pub fn group(
    base: &str,
    id: &str,
    kind: GroupKind,
    times: &GroupTimes,
    profile: Value,
    source_app: Option<&str>,
) -> Value {
    let (object_class, logo) = match kind {
        GroupKind::App => ("okta:windows_security_principal", "active_directory"),
        _ => ("okta:user_group", "okta"),
    };
    let mut links = json!({
        "logo": [
            { "name": "medium", "href": format!("{base}/img/logos/groups/{logo}-medium.png"), "type": "image/png" },
            { "name": "large", "href": format!("{base}/img/logos/groups/{logo}-large.png"), "type": "image/png" },
        ],
        "users": href(format!("{base}/api/v1/groups/{id}/users")),
        "apps": href(format!("{base}/api/v1/groups/{id}/apps")),
    });
    if let Some(app) = source_app {
        links["source"] = href(format!("{base}/api/v1/apps/{app}"));
    }
    json!({
        "id": id,
        "created": times.created,
        "lastUpdated": times.last_updated,
        "lastMembershipUpdated": times.last_membership_updated,
        "objectClass": [object_class],
        "type": kind.as_str(),
        "profile": profile,
        "_links": links,
    })
}

/// The parts of an app that differ per sign-on mode: default `name`, `credentials` and `settings.app`
/// / `settings.signOn` / `settings.oauthClient`, after the spec's response examples.
pub fn app_mode_defaults(mode: &str, label: &str, slug: &str) -> (String, Value, Value) {
    let username_template = json!({ "template": "${source.email}", "type": "BUILT_IN" });
    let swa_credentials = json!({
        "scheme": "EDIT_USERNAME_AND_PASSWORD",
        "userNameTemplate": username_template,
        "revealPassword": false,
        "signing": {},
    });
    let signed = |kid: &str| json!({ "userNameTemplate": username_template, "signing": { "kid": kid } });
    let url = format!("https://{slug}.example.com");
    match mode {
        "BOOKMARK" => (
            "bookmark".into(),
            json!({ "userNameTemplate": username_template, "signing": {} }),
            json!({ "app": { "requestIntegration": false, "url": format!("{url}/home") } }),
        ),
        "SAML_2_0" => (
            format!("{slug}_saml_1"),
            signed(&format!("{slug}-saml-signing-key")),
            // Unset optional fields are left out (the spec has no nullable string there).
            json!({ "app": {}, "signOn": {
                "ssoAcsUrl": format!("{url}/saml/acs"), "allowMultipleAcsEndpoints": false, "requestCompressed": false,
                "idpIssuer": "http://www.okta.com/${org.externalKey}", "audience": format!("{url}/saml/metadata"),
                "recipient": format!("{url}/saml/acs"), "destination": format!("{url}/saml/acs"),
                "subjectNameIdTemplate": "${user.userName}",
                "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
                "responseSigned": true, "assertionSigned": true, "signatureAlgorithm": "RSA_SHA256",
                "digestAlgorithm": "SHA256", "honorForceAuthn": true,
                "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                "samlAssertionLifetimeSeconds": 3600,
                "slo": { "enabled": false },
                "attributeStatements": [],
            } }),
        ),
        "OPENID_CONNECT" => (
            "oidc_client".into(),
            json!({ "userNameTemplate": username_template, "signing": { "kid": format!("{slug}-oidc-kid") },
                    "oauthClient": { "autoKeyRotation": true, "token_endpoint_auth_method": "client_secret_basic",
                                     "pkce_required": false } }),
            json!({ "app": {}, "oauthClient": {
                "client_uri": url, "redirect_uris": [format!("{url}/oauth2/callback")],
                "response_types": ["code"], "grant_types": ["authorization_code"], "application_type": "web",
                "issuer_mode": "DYNAMIC", "idp_initiated_login": { "mode": "DISABLED", "default_scope": [] },
                "wildcard_redirect": "DISABLED", "dpop_bound_access_tokens": false,
            } }),
        ),
        "AUTO_LOGIN" => (
            format!("{slug}_swa"),
            swa_credentials,
            json!({ "app": {}, "signOn": { "redirectUrl": format!("{url}/home"), "loginUrl": format!("{url}/login") } }),
        ),
        "BASIC_AUTH" => (
            "template_basic_auth".into(),
            swa_credentials,
            json!({ "app": { "url": format!("{url}/login"), "authURL": format!("{url}/auth") } }),
        ),
        "SECURE_PASSWORD_STORE" => (
            "template_sps".into(),
            swa_credentials,
            json!({ "app": { "url": format!("{url}/login"), "usernameField": "user", "passwordField": "pass" } }),
        ),
        "WS_FEDERATION" => (
            "template_wsfed".into(),
            signed(&format!("{slug}-wsfed-signing-key")),
            // Every field `WsFederationApplicationSettingsApplication` requires, as strings (the spec has no
            // nullable field there: an unset group filter is left out, not `null`).
            json!({ "app": { "siteURL": url, "wReplyOverride": false,
                             "digestAlgorithm": "SHA256", "usernameAttribute": "username",
                             "signatureAlgorithm": "RSA_SHA256", "audienceRestriction": format!("urn:{slug}:app"),
                             "wReplyURL": format!("{url}/"), "realm": format!("urn:okta:app:{slug}"),
                             "nameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
                             "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                             "groupValueFormat": "windowsDomainQualifiedName" } }),
        ),
        "BROWSER_PLUGIN" => (
            "template_swa".into(),
            swa_credentials,
            json!({ "app": { "usernameField": "txtbox-username", "buttonField": "btn-login",
                             "passwordField": "txtbox-password", "url": format!("{url}/login") } }),
        ),
        "SAML_1_1" => (
            format!("{slug}_saml11"),
            signed(&format!("{slug}-saml11-signing-key")),
            json!({ "app": {}, "signOn": { "ssoAcsUrl": format!("{url}/saml11/acs") } }),
        ),
        _ => (
            label.to_lowercase().replace(' ', "_"),
            json!({ "signing": {} }),
            json!({ "app": {} }),
        ),
    }
}

pub struct AppInit<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    pub mode: &'a str,
    pub status: &'a str,
    pub created: &'a str,
    pub last_updated: &'a str,
    pub credentials: Value,
    pub settings_extra: Value,
}

pub fn app(base: &str, a: AppInit) -> Value {
    let id = a.id;
    let mut settings = json!({
        "notifications": { "vpn": { "network": { "connection": "DISABLED" }, "message": null, "helpUrl": null } },
        "manualProvisioning": false,
        "implicitAssignment": false,
        "notes": { "admin": null, "enduser": null },
        "emOptInStatus": "DISABLED",
    });
    if let (Some(target), Some(extra)) = (settings.as_object_mut(), a.settings_extra.as_object()) {
        for (k, v) in extra {
            target.insert(k.clone(), v.clone());
        }
    }
    json!({
        "id": id,
        "status": a.status,
        "lastUpdated": a.last_updated,
        "created": a.created,
        "accessibility": { "selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null },
        "visibility": {
            "autoLaunch": false, "autoSubmitToolbar": false,
            "hide": { "iOS": false, "web": false },
            "appLinks": { format!("{}_link", a.name): true },
        },
        "name": a.name,
        "label": a.label,
        "features": [],
        "signOnMode": a.mode,
        "credentials": a.credentials,
        "settings": settings,
        "_links": app_links(base, id, a.name, a.status),
    })
}

pub fn app_links(base: &str, id: &str, name: &str, status: &str) -> Value {
    let lifecycle = if status == "ACTIVE" { "deactivate" } else { "activate" };
    json!({
        "uploadLogo": { "href": format!("{base}/api/v1/apps/{id}/logo"), "hints": { "allow": ["POST"] } },
        "appLinks": [{ "name": format!("{name}_link"), "href": format!("{base}/home/{name}/{id}/aln{}", &id[3..]),
                       "type": "text/html" }],
        "groups": href(format!("{base}/api/v1/apps/{id}/groups")),
        "logo": [{ "name": "medium", "href": format!("{base}/assets/img/logos/default.png"), "type": "image/png" }],
        "users": href(format!("{base}/api/v1/apps/{id}/users")),
        lifecycle: href(format!("{base}/api/v1/apps/{id}/lifecycle/{lifecycle}")),
    })
}

pub struct AppUserInit<'a, C, P> {
    pub app_id: &'a str,
    pub user_id: &'a str,
    pub scope: &'a str,
    pub status: &'a str,
    pub created: &'a str,
    pub last_updated: &'a str,
    pub credentials: C,
    pub profile: P,
}

#[derive(Serialize)]
struct AppUserLinks {
    app: Href,
    user: Href,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppUserDoc<'a, C: Serialize, P: Serialize> {
    id: &'a str,
    external_id: Option<&'a str>,
    created: &'a str,
    last_updated: &'a str,
    scope: &'a str,
    status: &'a str,
    status_changed: &'a str,
    password_changed: Option<&'a str>,
    sync_state: &'a str,
    credentials: C,
    profile: P,
    #[serde(rename = "_links")]
    links: AppUserLinks,
}

fn app_user_doc<'a, C: Serialize, P: Serialize>(base: &str, a: AppUserInit<'a, C, P>) -> AppUserDoc<'a, C, P> {
    AppUserDoc {
        id: a.user_id,
        external_id: None,
        created: a.created,
        last_updated: a.last_updated,
        scope: a.scope,
        status: a.status,
        status_changed: a.last_updated,
        password_changed: None,
        sync_state: "DISABLED",
        credentials: a.credentials,
        profile: a.profile,
        links: AppUserLinks {
            app: Href {
                href: format!("{base}/api/v1/apps/{}", a.app_id),
            },
            user: Href {
                href: format!("{base}/api/v1/users/{}", a.user_id),
            },
        },
    }
}

pub fn app_user<C: Serialize, P: Serialize>(base: &str, a: AppUserInit<C, P>) -> Value {
    serde_json::to_value(app_user_doc(base, a)).expect("an app user document always serializes")
}

pub fn app_user_text<C: Serialize, P: Serialize>(base: &str, a: AppUserInit<C, P>) -> String {
    serde_json::to_string(&app_user_doc(base, a)).expect("an app user document always serializes")
}

pub fn app_group(base: &str, app_id: &str, group_id: &str, priority: u64, last_updated: &str, profile: Value) -> Value {
    json!({
        "id": group_id,
        "priority": priority,
        "lastUpdated": last_updated,
        "profile": profile,
        "_links": {
            "app": href(format!("{base}/api/v1/apps/{app_id}")),
            "self": href(format!("{base}/api/v1/apps/{app_id}/groups/{group_id}")),
            "group": href(format!("{base}/api/v1/groups/{group_id}")),
        },
    })
}
