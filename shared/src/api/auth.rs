//! Who is calling and what they may do. A [`Caller`] holds a subject and its grants: a role (admin, operator,
//! viewer; each includes the ones below it), for every org or for one named org.
//!
//! Behind API Gateway the HTTP API's JWT authorizer has checked the token; its claims reach the function in the
//! request context. The subject is the `sub` claim and the grants are the [`ROLES_CLAIM`] claim: values such as
//! `admin` or `viewer@acme.okta.com`. The HTTP API hands an array claim to the function as one string, `[a b]`;
//! a JSON array (`["admin","viewer@acme.okta.com"]`) and a space- or comma-separated string are read too.
//! Locally, `oktavault serve` takes a bearer token of its own, whose holder is an admin ([`BearerToken`]).

use std::collections::HashMap;
use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::Api;
use super::error::ApiError;
use crate::ids::OrgId;

/// The JWT claim that holds a caller's grants.
pub const ROLES_CLAIM: &str = "oktavault_roles";
/// The subject recorded for the holder of `oktavault serve`'s token.
pub const LOCAL_SUBJECT: &str = "local-token";
/// The subject recorded for a console signed in through `oktavault serve`'s sign-in link.
pub const CONSOLE_SUBJECT: &str = "local-console";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads snapshots, objects, jobs.
    Viewer,
    /// Also starts backups and downloads, and plans restores (a dry run writes nothing).
    Operator,
    /// Also restores, undoes changes, authorizes orgs and reads the audit trail.
    Admin,
}

impl Role {
    fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role, for every org (`org: None`) or for one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub role: Role,
    pub org: Option<OrgId>,
}

impl Grant {
    /// `admin`, or `viewer@acme.okta.com`.
    pub fn parse(text: &str) -> Result<Grant, String> {
        let (role, org) = match text.split_once('@') {
            Some((role, org)) => (role, Some(org)),
            None => (text, None),
        };
        let role = Role::parse(role).ok_or_else(|| {
            format!("{text:?} is not a grant: write admin, operator or viewer, optionally @ORG (viewer@acme.okta.com)")
        })?;
        let org = org
            .map(|o| OrgId::new(o).map_err(|e| format!("{text:?} names no org: {e}")))
            .transpose()?;
        Ok(Grant { role, org })
    }
}

/// Who made a request, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    pub subject: String,
    pub grants: Vec<Grant>,
}

impl Caller {
    /// The holder of `oktavault serve`'s token: an admin of every org.
    pub fn local_admin() -> Self {
        Self::admin(LOCAL_SUBJECT)
    }

    fn admin(subject: &str) -> Self {
        Self {
            subject: subject.to_owned(),
            grants: vec![Grant {
                role: Role::Admin,
                org: None,
            }],
        }
    }

    /// Whether the caller holds `role` (or a higher one) for `org`; with `org: None`, for every org.
    pub fn allows(&self, role: Role, org: Option<&OrgId>) -> bool {
        self.grants.iter().any(|g| {
            g.role >= role
                && match (&g.org, org) {
                    (None, _) => true,
                    (Some(granted), Some(org)) => granted == org,
                    (Some(_), None) => false,
                }
        })
    }

    /// Refuses with 403, naming the role and the org, unless the caller holds `role` for `org`.
    pub fn require(&self, role: Role, org: Option<&OrgId>) -> Result<(), ApiError> {
        if self.allows(role, org) {
            return Ok(());
        }
        let what = match org {
            Some(org) => format!("the {role} role for org {org}"),
            None => format!("the {role} role for every org"),
        };
        Err(ApiError::forbidden(format!(
            "{} needs {what} for this; it holds {}. Ask an administrator to add the grant to the {ROLES_CLAIM} claim",
            self.subject,
            self.describe_grants()
        )))
    }

    /// Refuses with 403 unless the caller holds `role` for at least one org.
    pub fn require_any(&self, role: Role) -> Result<(), ApiError> {
        if self.grants.iter().any(|g| g.role >= role) {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "{} needs the {role} role for at least one org; it holds {}",
            self.subject,
            self.describe_grants()
        )))
    }

    fn describe_grants(&self) -> String {
        if self.grants.is_empty() {
            return "no grant".into();
        }
        self.grants
            .iter()
            .map(|g| match &g.org {
                Some(org) => format!("{}@{org}", g.role),
                None => g.role.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The grants in a roles claim as it reaches the function: the HTTP API's `[a b]`, a JSON array, or a plain
/// space- or comma-separated string.
pub fn parse_roles_claim(value: &str) -> Result<Vec<Grant>, String> {
    let value = value.trim();
    let items: Vec<String> = match serde_json::from_str::<Vec<String>>(value) {
        Ok(items) => items,
        Err(_) => {
            let inner = value
                .strip_prefix('[')
                .and_then(|v| v.strip_suffix(']'))
                .unwrap_or(value);
            inner
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }
    };
    items.iter().map(|item| Grant::parse(item.trim())).collect()
}

/// The caller an API Gateway JWT authorizer's claims describe: `sub` and [`ROLES_CLAIM`].
pub fn caller_from_claims(claims: &HashMap<String, String>) -> Result<Caller, ApiError> {
    let subject = claims
        .get("sub")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::unauthenticated("the token has no `sub` claim: the caller cannot be named"))?;
    let grants = match claims.get(ROLES_CLAIM) {
        Some(value) => parse_roles_claim(value)
            .map_err(|e| ApiError::forbidden(format!("the token's {ROLES_CLAIM} claim cannot be read: {e}")))?,
        None => Vec::new(),
    };
    Ok(Caller {
        subject: subject.clone(),
        grants,
    })
}

/// Finds the caller of a request: the host's part of authorization.
pub trait Authenticate: Send + Sync + 'static {
    fn caller(&self, parts: &Parts) -> Result<Caller, ApiError>;

    /// Trades a sign-in link's one-time code for a session token and the caller it stands for. Only
    /// `oktavault serve` prints such links; other hosts sign the console in with OIDC.
    fn sign_in(&self, _code: &str) -> Result<(SecretString, Caller), ApiError> {
        Err(ApiError::invalid(
            "this host has no sign-in links: the console signs in with your company's identity provider (OIDC)",
        ))
    }

    /// How the console signs in on this host (answered by `GET /v1/console/config`).
    fn console_sign_in(&self) -> ConsoleSignIn {
        ConsoleSignIn::Unavailable {
            reason: "this deployment has no console sign-in configured".into(),
        }
    }
}

/// How the web console signs in: what `GET /v1/console/config` answers, before anyone is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "sign_in", rename_all = "snake_case")]
pub enum ConsoleSignIn {
    /// `oktavault serve`: the one-time link it printed (or its bearer token, pasted).
    Link,
    /// OIDC at the company's identity provider: authorization code with PKCE, in the browser.
    Oidc {
        issuer: String,
        client_id: String,
        /// Which token the console sends to the API: the ID token (Okta's org authorization server, whose access
        /// tokens are only for Okta's own APIs) or the access token (a custom authorization server).
        token: ConsoleToken,
        scopes: Vec<String>,
    },
    /// The console cannot sign in here; `reason` says what to configure.
    Unavailable { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsoleToken {
    IdToken,
    AccessToken,
}

impl ConsoleSignIn {
    /// The OIDC sign-in the `api` function's environment describes: `OKTAVAULT_CONSOLE_ISSUER`,
    /// `OKTAVAULT_CONSOLE_CLIENT_ID`, `OKTAVAULT_CONSOLE_TOKEN` (`id_token`, the default, or `access_token`) and
    /// `OKTAVAULT_CONSOLE_SCOPES` (space-separated; `openid profile` by default).
    pub fn oidc_from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<ConsoleSignIn, String> {
        let value = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let (Some(issuer), Some(client_id)) = (value("OKTAVAULT_CONSOLE_ISSUER"), value("OKTAVAULT_CONSOLE_CLIENT_ID"))
        else {
            return Ok(ConsoleSignIn::Unavailable {
                reason: "the console's sign-in is not configured: deploy with the ConsoleClientId parameter \
                         (docs/deploy.md, \"The web console\")"
                    .into(),
            });
        };
        if !issuer.starts_with("https://") {
            return Err(format!(
                "OKTAVAULT_CONSOLE_ISSUER must be an https:// URL, not {issuer:?}"
            ));
        }
        let token = match value("OKTAVAULT_CONSOLE_TOKEN").as_deref() {
            None | Some("id_token") => ConsoleToken::IdToken,
            Some("access_token") => ConsoleToken::AccessToken,
            Some(other) => {
                return Err(format!(
                    "OKTAVAULT_CONSOLE_TOKEN must be id_token or access_token, not {other:?}"
                ));
            }
        };
        let mut scopes: Vec<String> = value("OKTAVAULT_CONSOLE_SCOPES")
            .unwrap_or_else(|| "openid profile".into())
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".into());
        }
        Ok(ConsoleSignIn::Oidc {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id,
            token,
            scopes,
        })
    }
}

/// `oktavault serve`'s authentication: `Authorization: Bearer <token>`, whose holder is an admin; or a console
/// session's token, which the one-time code of the printed sign-in link was traded for (an admin too).
pub struct BearerToken {
    token: SecretString,
    sign_in: std::sync::Mutex<SignInState>,
}

#[derive(Default)]
struct SignInState {
    /// The code of the link not yet used; `None` before one is issued and after it is used.
    code: Option<SecretString>,
    /// Whether a link was issued and used, so a second use is told so rather than called wrong.
    used: bool,
    /// The session tokens the console holds; they live as long as the server.
    sessions: Vec<SecretString>,
}

impl BearerToken {
    /// Refuses a token too short to be unguessable.
    pub fn new(token: SecretString) -> Result<Self, String> {
        if token.expose_secret().len() < 16 {
            return Err("the API token must have at least 16 characters".into());
        }
        Ok(Self::holding(token))
    }

    /// A fresh random token (32 hex characters).
    pub fn generate() -> (Self, SecretString) {
        let secret = random_secret();
        (Self::holding(secret.clone()), secret)
    }

    fn holding(token: SecretString) -> Self {
        Self {
            token,
            sign_in: std::sync::Mutex::new(SignInState::default()),
        }
    }

    /// A new one-time sign-in code for the console's link (the one issued before it stops working).
    pub fn issue_sign_in_code(&self) -> SecretString {
        let code = random_secret();
        let mut state = self.sign_in.lock().unwrap_or_else(|e| e.into_inner());
        state.code = Some(code.clone());
        state.used = false;
        code
    }
}

fn random_secret() -> SecretString {
    SecretString::from((0..4).map(|_| crate::ids::random_suffix()).collect::<String>())
}

fn same_secret(given: &str, expected: &SecretString) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), expected.expose_secret().as_bytes()).is_ok()
}

impl Authenticate for BearerToken {
    fn caller(&self, parts: &Parts) -> Result<Caller, ApiError> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthenticated(
                "send `Authorization: Bearer <token>` with the token `oktavault serve` printed or was given",
            )
        })?;
        let given = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::unauthenticated("the Authorization header must be `Bearer <token>`"))?;
        if same_secret(given, &self.token) {
            return Ok(Caller::local_admin());
        }
        let state = self.sign_in.lock().unwrap_or_else(|e| e.into_inner());
        if state.sessions.iter().any(|session| same_secret(given, session)) {
            return Ok(Caller::admin(CONSOLE_SUBJECT));
        }
        Err(ApiError::unauthenticated(
            "the bearer token is not this server's: use the token `oktavault serve` printed or was given, \
             or open its sign-in link again",
        ))
    }

    fn sign_in(&self, code: &str) -> Result<(SecretString, Caller), ApiError> {
        let mut state = self.sign_in.lock().unwrap_or_else(|e| e.into_inner());
        match &state.code {
            Some(expected) if same_secret(code, expected) => {
                let session = random_secret();
                state.code = None;
                state.used = true;
                state.sessions.push(session.clone());
                Ok((session, Caller::admin(CONSOLE_SUBJECT)))
            }
            _ if state.used => Err(ApiError::unauthenticated(
                "this sign-in link was used already: each link signs in once. Sign in with the token \
                 `oktavault serve` printed, or restart it for a new link",
            )),
            _ => Err(ApiError::unauthenticated(
                "this sign-in code is not the one `oktavault serve` printed: copy the whole link it printed, \
                 or sign in with its token",
            )),
        }
    }

    fn console_sign_in(&self) -> ConsoleSignIn {
        ConsoleSignIn::Link
    }
}

impl FromRequestParts<std::sync::Arc<Api>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &std::sync::Arc<Api>) -> Result<Self, ApiError> {
        api.auth.caller(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(name: &str) -> OrgId {
        OrgId::new(name).unwrap()
    }

    #[test]
    fn both_forms_of_an_array_claim_give_the_same_grants() {
        let expected = vec![
            Grant {
                role: Role::Admin,
                org: None,
            },
            Grant {
                role: Role::Viewer,
                org: Some(org("acme.okta.com")),
            },
        ];
        assert_eq!(parse_roles_claim("[admin viewer@acme.okta.com]").unwrap(), expected);
        assert_eq!(
            parse_roles_claim(r#"["admin","viewer@acme.okta.com"]"#).unwrap(),
            expected
        );
        assert_eq!(parse_roles_claim("admin viewer@acme.okta.com").unwrap(), expected);
        assert_eq!(parse_roles_claim("[]").unwrap(), Vec::new());
        assert!(parse_roles_claim("[root]").unwrap_err().contains("root"));
    }

    #[test]
    fn higher_roles_include_lower_ones_and_an_org_grant_covers_only_its_org() {
        let caller = Caller {
            subject: "ada".into(),
            grants: parse_roles_claim("[operator@acme.okta.com]").unwrap(),
        };
        let (acme, other) = (org("acme.okta.com"), org("other.okta.com"));
        assert!(caller.allows(Role::Viewer, Some(&acme)));
        assert!(caller.allows(Role::Operator, Some(&acme)));
        assert!(!caller.allows(Role::Admin, Some(&acme)));
        assert!(!caller.allows(Role::Viewer, Some(&other)));
        assert!(!caller.allows(Role::Viewer, None));
        let refusal = caller.require(Role::Admin, Some(&acme)).unwrap_err();
        assert_eq!(refusal.status, axum::http::StatusCode::FORBIDDEN);
        assert!(
            refusal.message.contains("operator@acme.okta.com"),
            "{}",
            refusal.message
        );
    }

    #[test]
    fn a_sign_in_code_works_once_and_its_session_token_is_an_admin_beside_the_printed_token() {
        let (auth, printed) = BearerToken::generate();
        let code = auth.issue_sign_in_code();
        let wrong = auth.sign_in("not-the-code").unwrap_err();
        assert!(wrong.message.contains("not the one"), "{}", wrong.message);
        let (session, caller) = auth.sign_in(code.expose_secret()).unwrap();
        assert_eq!(caller.subject, CONSOLE_SUBJECT);
        let again = auth.sign_in(code.expose_secret()).unwrap_err();
        assert!(again.message.contains("used already"), "{}", again.message);
        let parts_with = |token: &str| {
            let request = axum::http::Request::builder()
                .header("authorization", format!("Bearer {token}"))
                .body(())
                .unwrap();
            request.into_parts().0
        };
        assert_eq!(
            auth.caller(&parts_with(session.expose_secret())).unwrap(),
            Caller::admin(CONSOLE_SUBJECT)
        );
        assert_eq!(
            auth.caller(&parts_with(printed.expose_secret())).unwrap(),
            Caller::local_admin()
        );
        assert!(auth.caller(&parts_with("0123456789abcdef0123")).is_err());
    }

    #[test]
    fn the_console_signs_in_with_oidc_where_the_environment_says_and_refuses_a_wrong_setting() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        assert!(matches!(
            ConsoleSignIn::oidc_from_env(env(&[])).unwrap(),
            ConsoleSignIn::Unavailable { .. }
        ));
        let oidc = ConsoleSignIn::oidc_from_env(env(&[
            ("OKTAVAULT_CONSOLE_ISSUER", "https://acme.okta.com/"),
            ("OKTAVAULT_CONSOLE_CLIENT_ID", "0oaconsole"),
            ("OKTAVAULT_CONSOLE_SCOPES", "profile groups"),
        ]))
        .unwrap();
        assert_eq!(
            oidc,
            ConsoleSignIn::Oidc {
                issuer: "https://acme.okta.com".into(),
                client_id: "0oaconsole".into(),
                token: ConsoleToken::IdToken,
                scopes: vec!["openid".into(), "profile".into(), "groups".into()],
            }
        );
        let wrong = ConsoleSignIn::oidc_from_env(env(&[
            ("OKTAVAULT_CONSOLE_ISSUER", "https://acme.okta.com/oauth2/default"),
            ("OKTAVAULT_CONSOLE_CLIENT_ID", "0oaconsole"),
            ("OKTAVAULT_CONSOLE_TOKEN", "refresh_token"),
        ]));
        assert!(wrong.unwrap_err().contains("refresh_token"));
    }

    #[test]
    fn a_token_without_a_subject_is_refused_and_without_roles_grants_nothing() {
        let claims = HashMap::from([(ROLES_CLAIM.to_owned(), "[admin]".to_owned())]);
        assert_eq!(
            caller_from_claims(&claims).unwrap_err().status,
            axum::http::StatusCode::UNAUTHORIZED
        );
        let claims = HashMap::from([("sub".to_owned(), "ada".to_owned())]);
        let caller = caller_from_claims(&claims).unwrap();
        assert!(caller.grants.is_empty());
        assert!(caller.require_any(Role::Viewer).is_err());
    }
}
