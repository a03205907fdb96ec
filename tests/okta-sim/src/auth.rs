//! Who may call: the `SSWS` API token (full access), and OAuth access tokens from `/oauth2/v1/token`
//! (client credentials grant) whose scopes are enforced per endpoint.
//!
//! Two OAuth clients exist: an API service integration authenticating with `client_secret_basic`, and
//! a custom service app authenticating with `private_key_jwt` against its registered public key.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::clock::wall_clock_ms;
use crate::errors::{ApiError, OAuthError};
use crate::jwt::ServiceKey;

pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Okta refuses client assertions that expire more than an hour ahead; a minute of clock skew is allowed.
const MAX_ASSERTION_LIFETIME_SECS: i64 = 3600 + 60;

/// The org's credentials. Debug output never shows the secrets.
pub struct Credentials {
    pub api_token: String,
    pub client_id: String,
    pub client_secret: String,
    pub jwt_client_id: String,
    pub key: std::sync::Arc<ServiceKey>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("jwt_client_id", &self.jwt_client_id)
            .field("api_token", &"<redacted>")
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// The caller of one API request.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    ApiToken,
    Bearer { scopes: Vec<String> },
}

#[derive(Debug)]
struct Grant {
    scopes: Vec<String>,
    expires: Instant,
}

#[derive(Debug, Default)]
struct Issued {
    tokens: HashMap<String, Grant>,
    /// Assertion ids already used, with when they may be forgotten (their `exp`), against replays.
    used_jtis: HashMap<String, i64>,
}

#[derive(Debug)]
pub struct Auth {
    pub creds: Credentials,
    base_url: String,
    token_url: String,
    ttl: Duration,
    granted: Vec<String>,
    issued: Mutex<Issued>,
}

impl Auth {
    pub fn new(creds: Credentials, base_url: &str, ttl_secs: u64, granted: Vec<String>) -> Auth {
        Auth {
            creds,
            base_url: base_url.to_string(),
            token_url: format!("{base_url}/oauth2/v1/token"),
            ttl: Duration::from_secs(ttl_secs),
            granted,
            issued: Mutex::default(),
        }
    }

    /// Reads the `Authorization` header of an API call.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, ApiError> {
        let header = authorization.ok_or(ApiError::InvalidToken)?.trim();
        if let Some(token) = strip_scheme(header, "SSWS") {
            return match verify_slices_are_equal(token.as_bytes(), self.creds.api_token.as_bytes()) {
                Ok(()) => Ok(Principal::ApiToken),
                Err(_) => Err(ApiError::InvalidToken),
            };
        }
        let token = strip_scheme(header, "Bearer").ok_or(ApiError::InvalidToken)?;
        let issued = self.issued.lock().expect("token table lock");
        match issued.tokens.get(token) {
            Some(grant) if grant.expires > Instant::now() => Ok(Principal::Bearer {
                scopes: grant.scopes.clone(),
            }),
            _ => Err(ApiError::InvalidToken),
        }
    }

    /// Whether `principal` may call `path` (which matched `template`). A token without the scope is
    /// refused the way Okta refuses it: 403 E0000006 with a `WWW-Authenticate` challenge that says
    /// `insufficient_scope` and names the scope. API tokens carry their admin's permissions, not scopes,
    /// so they never get that challenge.
    pub fn authorize(&self, principal: &Principal, method: &str, template: &str, path: &str) -> Result<(), ApiError> {
        match missing_scope(principal, method, template) {
            None => Ok(()),
            Some(scope) => Err(ApiError::InsufficientScope {
                challenge: self.scope_challenge(&scope, path),
            }),
        }
    }

    /// Okta's challenge for a missing scope, as its support article "insufficient_scope Error when Making a
    /// Request to an OAuth or Management Endpoint" shows it: `Bearer authorization_uri="...", realm="...",
    /// scope="...", error="insufficient_scope", error_description="...", resource="..."`.
    pub fn scope_challenge(&self, scope: &str, path: &str) -> String {
        let base = &self.base_url;
        format!(
            "Bearer authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\", scope=\"{scope}\", \
             error=\"insufficient_scope\", error_description=\"The access token provided does not contain the \
             required scopes.\", resource=\"{path}\""
        )
    }

    /// Answers a `POST /oauth2/v1/token` request: client authentication, grant type and scopes.
    pub fn issue_token(
        &self,
        authorization: Option<&str>,
        form: &HashMap<String, String>,
    ) -> Result<Value, OAuthError> {
        self.authenticate_client(authorization, form)?;
        let grant_type = form.get("grant_type").map(String::as_str).unwrap_or_default();
        if grant_type != "client_credentials" {
            return Err(OAuthError::bad_request(
                "unsupported_grant_type",
                format!(
                    "The authorization grant type '{grant_type}' is not supported by this client; use client_credentials."
                ),
            ));
        }
        let requested: Vec<String> = form
            .get("scope")
            .map(|s| s.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        if requested.is_empty() {
            return Err(OAuthError::bad_request(
                "invalid_scope",
                "The scope parameter is required for client_credentials and cannot be empty.",
            ));
        }
        if let Some(missing) = requested.iter().find(|s| !self.granted.contains(s)) {
            return Err(OAuthError::bad_request(
                "invalid_scope",
                format!("The requested scope '{missing}' is not granted to this client."),
            ));
        }
        let access_token = random_token();
        let mut issued = self.issued.lock().expect("token table lock");
        let now = Instant::now();
        issued.tokens.retain(|_, g| g.expires > now);
        issued.tokens.insert(
            access_token.clone(),
            Grant {
                scopes: requested.clone(),
                expires: now + self.ttl,
            },
        );
        Ok(json!({
            "token_type": "Bearer",
            "expires_in": self.ttl.as_secs(),
            "access_token": access_token,
            "scope": requested.join(" "),
        }))
    }

    fn authenticate_client(
        &self,
        authorization: Option<&str>,
        form: &HashMap<String, String>,
    ) -> Result<(), OAuthError> {
        if let Some(kind) = form.get("client_assertion_type") {
            if kind != JWT_BEARER_ASSERTION {
                return Err(OAuthError::bad_request(
                    "invalid_request",
                    format!("Unsupported client_assertion_type '{kind}'."),
                ));
            }
            let assertion = form
                .get("client_assertion")
                .ok_or_else(|| OAuthError::bad_request("invalid_request", "client_assertion is missing."))?;
            return self.check_assertion(assertion, form.get("client_id"));
        }
        if let Some(basic) = authorization.and_then(|h| strip_scheme(h.trim(), "Basic")) {
            let decoded = STANDARD.decode(basic).ok().and_then(|b| String::from_utf8(b).ok());
            let (id, secret) = decoded.as_deref().and_then(|d| d.split_once(':')).ok_or_else(|| {
                OAuthError::invalid_client("The Basic authorization header is not base64(client_id:client_secret).")
            })?;
            if id != self.creds.client_id {
                return Err(OAuthError::invalid_client(format!(
                    "Invalid value for 'client_id' parameter: '{id}' is not a client of this org."
                )));
            }
            return verify_slices_are_equal(secret.as_bytes(), self.creds.client_secret.as_bytes()).map_err(|_| {
                OAuthError::invalid_client("The client secret supplied for a confidential client is invalid.")
            });
        }
        if form.contains_key("client_secret") {
            return Err(OAuthError::invalid_client(
                "Client authentication failed: this client is registered for client_secret_basic (send the secret in the Authorization header).",
            ));
        }
        Err(OAuthError::invalid_client(
            "Client authentication is required: use client_secret_basic or private_key_jwt.",
        ))
    }

    fn check_assertion(&self, assertion: &str, form_client_id: Option<&String>) -> Result<(), OAuthError> {
        let claims = self
            .creds
            .key
            .verify(assertion)
            .map_err(|e| OAuthError::invalid_client(format!("The client_assertion is invalid: {e}.")))?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
        let (iss, sub) = (text("iss"), text("sub"));
        if iss != self.creds.jwt_client_id || sub != iss {
            return Err(OAuthError::invalid_client(format!(
                "The client_assertion must have iss and sub equal to the client id '{}' (got iss '{iss}', sub '{sub}').",
                self.creds.jwt_client_id
            )));
        }
        if form_client_id.is_some_and(|id| *id != iss) {
            return Err(OAuthError::invalid_client(
                "client_id does not match the client_assertion's issuer.",
            ));
        }
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => *aud == self.token_url,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(self.token_url.as_str())),
            _ => false,
        };
        if !audience_ok {
            return Err(OAuthError::invalid_client(format!(
                "The client_assertion's aud must be '{}'.",
                self.token_url
            )));
        }
        let now = wall_clock_ms() / 1000;
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or_else(|| OAuthError::invalid_client("The client_assertion has no exp claim."))?;
        if exp <= now {
            return Err(OAuthError::invalid_client("The client_assertion token is expired."));
        }
        if exp > now + MAX_ASSERTION_LIFETIME_SECS {
            return Err(OAuthError::invalid_client(
                "The client_assertion token has an expiration too far in the future.",
            ));
        }
        let jti = text("jti");
        if jti.is_empty() {
            return Err(OAuthError::invalid_client("The client_assertion has no jti claim."));
        }
        let mut issued = self.issued.lock().expect("token table lock");
        issued.used_jtis.retain(|_, until| *until > now);
        if issued.used_jtis.insert(jti, exp).is_some() {
            return Err(OAuthError::invalid_client(
                "The client_assertion token has already been used (jti replay).",
            ));
        }
        Ok(())
    }
}

/// The scope a call needs: `okta.<resource>.read` for GET, `okta.<resource>.manage` otherwise.
pub fn required_scope(method: &str, template: &str) -> Option<(String, String)> {
    if let Some(resource) = crate::resources::by_template(template) {
        let manage = resource.scope.replace(".read", ".manage");
        return Some(if method == "GET" {
            (resource.scope.to_string(), manage)
        } else {
            (manage.clone(), manage)
        });
    }
    let resource = ["users", "groups", "apps", "logs"].into_iter().find(|r| {
        let prefix = format!("/api/v1/{r}");
        template == prefix || template.starts_with(&format!("{prefix}/"))
    })?;
    let read = format!("okta.{resource}.read");
    let manage = format!("okta.{resource}.manage");
    Some(if method == "GET" {
        (read, manage)
    } else {
        (manage.clone(), manage)
    })
}

/// The scope `principal` lacks for a call, if any: `okta.X.manage` also grants `okta.X.read`.
pub fn missing_scope(principal: &Principal, method: &str, template: &str) -> Option<String> {
    let Principal::Bearer { scopes } = principal else {
        return None;
    };
    let (needed, implied_by) = required_scope(method, template)?;
    (!scopes.iter().any(|s| *s == needed || *s == implied_by)).then_some(needed)
}

fn strip_scheme<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = header.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manage_scope_implies_read_but_read_does_not_allow_writes() {
        let reader = Principal::Bearer {
            scopes: vec!["okta.users.read".into()],
        };
        let manager = Principal::Bearer {
            scopes: vec!["okta.users.manage".into()],
        };
        assert_eq!(missing_scope(&reader, "GET", "/api/v1/users/{id}"), None);
        assert_eq!(
            missing_scope(&reader, "POST", "/api/v1/users").as_deref(),
            Some("okta.users.manage")
        );
        assert_eq!(missing_scope(&manager, "GET", "/api/v1/users"), None);
        assert_eq!(
            missing_scope(&manager, "GET", "/api/v1/groups").as_deref(),
            Some("okta.groups.read")
        );
        assert_eq!(missing_scope(&Principal::ApiToken, "DELETE", "/api/v1/apps/{id}"), None);
    }
}
