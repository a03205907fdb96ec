//! What can go wrong talking to Okta, each variant a message a person can act on.

use std::fmt;

use reqwest::Method;

use super::reach::UnreachableCause;
use super::scopes::read_scope_for;
use super::url::OrgUrlProblem;

/// Okta's JSON error body (`errorCode`, `errorSummary`, `errorId`, `errorCauses`), or the OAuth
/// form (`error`, `error_description`) that the token endpoint and DPoP challenges use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OktaErrorBody {
    pub error_code: Option<String>,
    pub error_summary: Option<String>,
    pub error_id: Option<String>,
    pub causes: Vec<String>,
}

impl OktaErrorBody {
    /// Reads whatever error fields the body has; a body that is not JSON gives an empty value
    /// (the status code still tells the story).
    pub fn parse(body: &[u8]) -> Self {
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Self::default();
        };
        let text = |key: &str| json.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let causes = json
            .get("errorCauses")
            .and_then(|v| v.as_array())
            .map(|causes| {
                causes
                    .iter()
                    .filter_map(|c| c.get("errorSummary")?.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            error_code: text("errorCode").or_else(|| text("error")),
            error_summary: text("errorSummary").or_else(|| text("error_description")),
            error_id: text("errorId"),
            causes,
        }
    }
}

impl fmt::Display for OktaErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.error_code, &self.error_summary) {
            (Some(code), Some(summary)) => write!(f, "{code} {summary}")?,
            (Some(code), None) => f.write_str(code)?,
            (None, Some(summary)) => f.write_str(summary)?,
            (None, None) => f.write_str("no Okta error details in the response")?,
        }
        if !self.causes.is_empty() {
            write!(f, " (causes: {})", self.causes.join("; "))?;
        }
        if let Some(id) = &self.error_id {
            write!(f, " [errorId {id}]")?;
        }
        Ok(())
    }
}

/// What a refusal says about its cause. Okta answers 403 E0000006 both for an OAuth token that lacks a
/// scope and for one object the admin may not see; only the `WWW-Authenticate` challenge tells them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The challenge says `error="insufficient_scope"`: the access token lacks a scope (the one named, when
    /// Okta names it), so every object of the kind will be refused alike.
    MissingScope { scope: Option<String> },
    /// No scope challenge: the admin role does not reach this object, or the org lacks the feature. Other
    /// objects of the same kind may still be readable.
    Denied,
}

#[derive(Debug, thiserror::Error)]
pub enum OktaError {
    #[error("invalid Okta org URL {url:?}: {problem}")]
    InvalidOrgUrl { url: String, problem: OrgUrlProblem },

    #[error(
        "refusing to request {url}: it is not on the org's origin {org}; next links and redirects must stay on \
         the org, so a response can never point oktavault at another host"
    )]
    ForeignUrl { url: String, org: String },

    #[error(
        "invalid request path {path:?}: give a path that starts with one / (such as /api/v1/users), or a next \
         link returned by the same org"
    )]
    InvalidPath { path: String },

    #[error(
        "Okta rejected the credentials for {org}: {body}. Check that the API token or OAuth app is active, \
         belongs to this org and has not been revoked"
    )]
    AuthRejected { org: String, body: Box<OktaErrorBody> },

    #[error(
        "Okta's token endpoint {token_url} refused the client credentials request ({status}): {body}. {}",
        token_hint(body)
    )]
    TokenRejected {
        token_url: String,
        status: u16,
        body: Box<OktaErrorBody>,
    },

    #[error("Okta refused {method} {url} ({status} {body}): {}", grant_hint(url, refusal))]
    NotGranted {
        method: Method,
        url: String,
        status: u16,
        body: Box<OktaErrorBody>,
        refusal: Refusal,
    },

    #[error("{method} {url} was not found (404 {body}): the object or feature does not exist in this org")]
    NotFound {
        method: Method,
        url: String,
        body: Box<OktaErrorBody>,
    },

    #[error("Okta answered {status} to {method} {url}: {body}; the request was not retried")]
    Rejected {
        method: Method,
        url: String,
        status: u16,
        body: Box<OktaErrorBody>,
    },

    #[error(
        "{method} {url} answered {status} with a redirect to {location:?}; oktavault never follows redirects, so \
         give the org's own URL (https://<org>.okta.com, not the Admin Console or a sign-in page)"
    )]
    Redirected {
        method: Method,
        url: String,
        status: u16,
        location: String,
    },

    #[error(
        "Okta kept rate limiting {method} {url} (429 {body}) through {attempts} attempts; lower the rate share, \
         or run the job when other integrations are quiet"
    )]
    RateLimited {
        method: Method,
        url: String,
        attempts: u32,
        body: Box<OktaErrorBody>,
    },

    #[error("Okta answered {status} to {method} {url} on each of {attempts} attempts ({body}); try again later")]
    ServerError {
        method: Method,
        url: String,
        status: u16,
        attempts: u32,
        body: Box<OktaErrorBody>,
    },

    #[error("could not get an answer from Okta for {method} {url} after {attempts} attempts: {detail}")]
    Network {
        method: Method,
        url: String,
        attempts: u32,
        detail: String,
    },

    #[error("cannot reach the Okta org for {url}: {cause}. (Not retried: this does not heal by waiting. {detail})")]
    Unreachable {
        url: String,
        cause: UnreachableCause,
        detail: String,
    },

    #[error("Okta's answer to {method} {url} is not what oktavault expects: {reason}")]
    InvalidResponse {
        method: Method,
        url: String,
        reason: String,
    },

    #[error("the credentials for OAuth client {client_id} cannot be used: {reason}")]
    InvalidCredentials { client_id: String, reason: String },

    #[error("invalid Okta client settings: {reason}")]
    InvalidConfig { reason: String },

    #[error("could not set up the HTTP client: {detail}")]
    HttpClient { detail: String },
}

fn token_hint(body: &OktaErrorBody) -> &'static str {
    match body.error_code.as_deref() {
        Some("invalid_client") => {
            "Check the client id and its secret or registered public key (and the key id), and that the app uses \
             this client authentication method"
        }
        Some("invalid_scope") => {
            "Grant the requested okta.*.read scopes to the app (Okta API Scopes tab) or request fewer scopes"
        }
        Some("unauthorized_client") => "Enable the Client Credentials grant type for this app",
        _ => "Check the app's settings in the Okta Admin Console",
    }
}

fn grant_hint(url: &str, refusal: &Refusal) -> String {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| url.to_owned());
    if let Refusal::MissingScope { scope } = refusal {
        let scope = scope
            .clone()
            .or_else(|| read_scope_for(&path).map(str::to_owned))
            .unwrap_or_else(|| "the scope this call needs".to_owned());
        return format!(
            "the OAuth access token lacks {scope} (Okta's challenge says insufficient_scope): grant {scope} to \
             the OAuth app on its Okta API Scopes tab, and include it in the scopes oktavault requests"
        );
    }
    match read_scope_for(&path) {
        Some(scope) => format!(
            "the credentials lack the scope or admin role it needs: grant {scope} to the OAuth app and a read-only \
             admin role, or use an API token of an admin who may read it; this org may also not have the feature"
        ),
        None => "the credentials lack the admin role it needs, or this org does not have the feature".to_owned(),
    }
}

impl OktaError {
    /// True when the same call may succeed later (rate limits, Okta outages, network trouble): a Step
    /// Functions Retry keys on this. Configuration and permission errors are never retryable.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::ServerError { .. } | Self::Network { .. }
        )
    }

    /// True only when Okta's challenge says the OAuth access token lacks a scope (`insufficient_scope`):
    /// every call of that kind will be refused alike, so a whole category can be skipped. A 403 without it
    /// (an object the admin role does not reach, or any refusal of an API token, which has no scopes) is
    /// that one object's refusal.
    pub fn is_insufficient_scope(&self) -> bool {
        matches!(
            self,
            Self::NotGranted {
                refusal: Refusal::MissingScope { .. },
                ..
            }
        )
    }

    /// Okta's `errorCode` (`E0000011`), or the OAuth `error` (`invalid_client`) for token failures.
    pub fn error_code(&self) -> Option<&str> {
        self.body()?.error_code.as_deref()
    }

    /// The HTTP status Okta answered with, when the failure was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::AuthRejected { .. } => Some(401),
            Self::NotFound { .. } => Some(404),
            Self::RateLimited { .. } => Some(429),
            Self::TokenRejected { status, .. }
            | Self::NotGranted { status, .. }
            | Self::Rejected { status, .. }
            | Self::Redirected { status, .. }
            | Self::ServerError { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The category behind this call is not available to this org or app (403, 404, or Okta's
    /// "feature not enabled" 401): backup records it as skipped instead of failing the job.
    pub fn is_not_granted(&self) -> bool {
        matches!(self, Self::NotGranted { .. } | Self::NotFound { .. })
    }

    fn body(&self) -> Option<&OktaErrorBody> {
        match self {
            Self::AuthRejected { body, .. }
            | Self::TokenRejected { body, .. }
            | Self::NotGranted { body, .. }
            | Self::NotFound { body, .. }
            | Self::Rejected { body, .. }
            | Self::RateLimited { body, .. }
            | Self::ServerError { body, .. } => Some(body.as_ref()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_reads_okta_and_oauth_shapes() {
        let okta = OktaErrorBody::parse(
            br#"{"errorCode":"E0000001","errorSummary":"Api validation failed: login","errorId":"oae1",
                "errorCauses":[{"errorSummary":"login: An object with this field already exists"}]}"#,
        );
        assert_eq!(
            okta.to_string(),
            "E0000001 Api validation failed: login (causes: login: An object with this field already exists) \
             [errorId oae1]"
        );
        let oauth = OktaErrorBody::parse(br#"{"error":"invalid_client","error_description":"bad secret"}"#);
        assert_eq!(oauth.error_code.as_deref(), Some("invalid_client"));
        assert_eq!(oauth.to_string(), "invalid_client bad secret");
        assert_eq!(
            OktaErrorBody::parse(b"<html>").to_string(),
            "no Okta error details in the response"
        );
    }

    #[test]
    fn forbidden_message_names_the_scope_to_grant() {
        let error = OktaError::NotGranted {
            method: Method::GET,
            url: "https://acme.okta.com/api/v1/idps?limit=200".into(),
            status: 403,
            body: Box::new(OktaErrorBody::parse(
                br#"{"errorCode":"E0000006","errorSummary":"You do not have permission"}"#,
            )),
            refusal: Refusal::Denied,
        };
        let message = error.to_string();
        assert!(message.contains("okta.idps.read"), "{message}");
        assert!(message.contains("E0000006"), "{message}");
        assert!(error.is_not_granted());
        assert!(!error.is_retryable());
        assert_eq!(error.error_code(), Some("E0000006"));
        assert_eq!(error.status(), Some(403));
        assert!(!error.is_insufficient_scope());
    }

    #[test]
    fn a_missing_scope_message_names_the_scope_from_the_challenge() {
        let error = OktaError::NotGranted {
            method: Method::GET,
            url: "https://acme.okta.com/api/v1/groups?limit=200".into(),
            status: 403,
            body: Box::new(OktaErrorBody::parse(br#"{"errorCode":"E0000006"}"#)),
            refusal: Refusal::MissingScope {
                scope: Some("okta.groups.manage".into()),
            },
        };
        assert!(error.is_insufficient_scope() && error.is_not_granted());
        let message = error.to_string();
        assert!(message.contains("lacks okta.groups.manage"), "{message}");
        assert!(message.contains("Okta API Scopes tab"), "{message}");
    }
}
