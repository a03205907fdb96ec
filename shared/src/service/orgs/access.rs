//! The live check of an org's credentials before anything is stored: a token is fetched (for an OAuth app, with
//! the scopes it was granted out of those asked for), then one read call is made per scope group. A failure names
//! the part that was wrong; a scope the app lacks is named, and the categories it leaves out are listed.

use std::collections::BTreeSet;
use std::fmt;

use futures::StreamExt;
use serde::Serialize;

use crate::categories::{CATEGORIES, Response, Source};
use crate::okta::{ClientConfig, Credentials, OktaClient, OktaError, Refusal};

/// Reads made at once while probing scope groups: a handful, well inside every bucket.
const PROBES_IN_FLIGHT: usize = 4;

/// Which part of what was given is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialPart {
    /// The org URL: no such host, TLS refused, not an Okta org, or Okta not answering.
    Domain,
    /// The client id or its secret (or private key), or the API token: Okta refused them.
    Secret,
    /// The OAuth app's settings: the client credentials grant is not enabled.
    App,
    /// No scope asked for is granted to the app.
    Scopes,
    /// Okta failed or rate limited for too long: try again later.
    Okta,
}

impl CredentialPart {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::Secret => "secret",
            Self::App => "app",
            Self::Scopes => "scopes",
            Self::Okta => "okta",
        }
    }
}

/// Why credentials cannot be authorized, for a person: the part, and what Okta said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub part: CredentialPart,
    pub message: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.part {
            CredentialPart::Domain => "the org's domain cannot be used",
            CredentialPart::Secret => "Okta refused the credentials",
            CredentialPart::App => "the OAuth app's settings do not allow oktavault in",
            CredentialPart::Scopes => "the OAuth app is granted none of the scopes oktavault needs",
            CredentialPart::Okta => "Okta did not answer the check",
        };
        write!(f, "{what}: {}", self.message)
    }
}

/// What one read call of a scope group found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeProbe {
    pub scope: String,
    /// The call made (`GET /api/v1/users?limit=1`).
    pub path: String,
    /// `None` when the read worked; otherwise why the scope's categories cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// What the live check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessCheck {
    /// OAuth: the scopes the app is granted out of those asked for. `None` for an API token (its admin's role
    /// decides, which the probes show).
    pub granted_scopes: Option<Vec<String>>,
    /// OAuth: scopes asked for that the app is not granted.
    pub not_granted: Vec<String>,
    pub probes: Vec<ScopeProbe>,
}

impl AccessCheck {
    /// Scopes whose categories cannot be read, with why: not granted, or refused when read.
    pub fn refused_scopes(&self) -> Vec<(String, String)> {
        let mut refused: Vec<(String, String)> = self
            .not_granted
            .iter()
            .filter(|s| is_read_scope(s))
            .map(|s| (s.clone(), "not granted to the OAuth app".to_owned()))
            .collect();
        refused.extend(
            self.probes
                .iter()
                .filter_map(|p| Some((p.scope.clone(), p.refused.clone()?))),
        );
        refused
    }
}

/// The OAuth scopes authorizing an org asks for: every category's read scope, and the manage scope of everything a
/// restore writes. The app keeps those it is granted.
pub fn scopes_to_ask() -> Vec<String> {
    let mut scopes: Vec<String> = CATEGORIES
        .iter()
        .map(|c| c.scope)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    scopes.extend(crate::restore::kinds::Kind::all().map(|k| k.manage_scope().to_owned()));
    scopes.sort();
    scopes.dedup();
    scopes
}

/// Checks `config`'s credentials against the live org; answers what it found and the credentials narrowed to
/// the granted scopes (what gets sealed), or which part is wrong.
pub async fn check(config: &ClientConfig) -> Result<(AccessCheck, Credentials), Refused> {
    let (credentials, granted, not_granted) = match config.credentials.scopes() {
        None => {
            connect(config, &config.credentials)
                .await
                .map_err(ScopeOr::into_refused)?;
            (config.credentials.clone(), None, Vec::new())
        }
        Some(asked) => {
            let granted = granted_scopes(config, asked).await?;
            let not_granted = asked.iter().filter(|s| !granted.contains(s)).cloned().collect();
            (
                config.credentials.with_scopes(granted.clone()),
                Some(granted),
                not_granted,
            )
        }
    };
    let client = client_with(config, &credentials)?;
    let probes = probe_scope_groups(&client, granted.as_deref()).await?;
    Ok((
        AccessCheck {
            granted_scopes: granted,
            not_granted,
            probes,
        },
        credentials,
    ))
}

/// The scopes out of `asked` a token can be minted with. Okta mints no token when any scope asked for is not
/// granted, and its message may or may not name the scope: a named one is dropped and the rest asked again;
/// otherwise each scope is asked for alone.
async fn granted_scopes(config: &ClientConfig, asked: &[String]) -> Result<Vec<String>, Refused> {
    let mut wanted: Vec<String> = asked.to_vec();
    while !wanted.is_empty() {
        match connect(config, &config.credentials.with_scopes(wanted.clone())).await {
            Ok(()) => return Ok(wanted),
            Err(ScopeOr::Refused(refused)) => return Err(refused),
            Err(ScopeOr::InvalidScope(description)) => {
                let named: Vec<String> = wanted
                    .iter()
                    .filter(|s| names_scope(&description, s))
                    .cloned()
                    .collect();
                if named.is_empty() {
                    return one_by_one(config, &wanted).await;
                }
                wanted.retain(|s| !named.contains(s));
            }
        }
    }
    Err(no_scope_granted(asked))
}

async fn one_by_one(config: &ClientConfig, asked: &[String]) -> Result<Vec<String>, Refused> {
    let mut granted = Vec::new();
    for scope in asked {
        match connect(config, &config.credentials.with_scopes(vec![scope.clone()])).await {
            Ok(()) => granted.push(scope.clone()),
            Err(ScopeOr::InvalidScope(_)) => {}
            Err(ScopeOr::Refused(refused)) => return Err(refused),
        }
    }
    if granted.is_empty() {
        return Err(no_scope_granted(asked));
    }
    Ok(granted)
}

/// Whether Okta's message names `scope` as a word (`okta.users.read` is not named by `okta.users.readonly`).
fn names_scope(description: &str, scope: &str) -> bool {
    description
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .any(|word| word.trim_end_matches('.') == scope)
}

fn no_scope_granted(asked: &[String]) -> Refused {
    Refused {
        part: CredentialPart::Scopes,
        message: format!(
            "none of {} is granted. Grant the okta.*.read scopes (and okta.*.manage for restores) on the app's \
             Okta API Scopes tab",
            asked.join(", ")
        ),
    }
}

enum ScopeOr {
    InvalidScope(String),
    Refused(Refused),
}

impl ScopeOr {
    fn into_refused(self) -> Refused {
        match self {
            ScopeOr::Refused(refused) => refused,
            ScopeOr::InvalidScope(description) => Refused {
                part: CredentialPart::Scopes,
                message: description,
            },
        }
    }
}

impl From<Refused> for ScopeOr {
    fn from(refused: Refused) -> Self {
        ScopeOr::Refused(refused)
    }
}

async fn connect(config: &ClientConfig, credentials: &Credentials) -> Result<(), ScopeOr> {
    let client = client_with(config, credentials)?;
    client.check_credentials().await.map_err(|error| match &error {
        OktaError::TokenRejected { body, .. } if body.error_code.as_deref() == Some("invalid_scope") => {
            ScopeOr::InvalidScope(body.error_summary.clone().unwrap_or_default())
        }
        _ => ScopeOr::Refused(refused(error)),
    })
}

fn client_with(config: &ClientConfig, credentials: &Credentials) -> Result<OktaClient, Refused> {
    let mut config = config.clone();
    config.credentials = credentials.clone();
    OktaClient::new(config).map_err(refused)
}

/// The part an error of the first contact points at.
fn refused(error: OktaError) -> Refused {
    let part = match &error {
        OktaError::InvalidOrgUrl { .. }
        | OktaError::ForeignUrl { .. }
        | OktaError::Unreachable { .. }
        | OktaError::Network { .. }
        | OktaError::Redirected { .. }
        | OktaError::NotFound { .. } => CredentialPart::Domain,
        OktaError::AuthRejected { .. } | OktaError::InvalidCredentials { .. } => CredentialPart::Secret,
        OktaError::TokenRejected { body, .. } => match body.error_code.as_deref() {
            Some("unauthorized_client" | "unsupported_grant_type") => CredentialPart::App,
            _ => CredentialPart::Secret,
        },
        OktaError::NotGranted { .. } => CredentialPart::Secret,
        _ => CredentialPart::Okta,
    };
    Refused {
        part,
        message: error.to_string(),
    }
}

/// One read call per scope group that has a list of its own (a scope read only per parent, such as roles, is
/// proven by its parents' backups). An API token's admin role, or a plan without the feature, shows here.
async fn probe_scope_groups(client: &OktaClient, granted: Option<&[String]>) -> Result<Vec<ScopeProbe>, Refused> {
    let probes: Vec<Result<ScopeProbe, Refused>> = futures::stream::iter(probes())
        .filter(|probe| std::future::ready(granted.is_none_or(|g| g.iter().any(|s| s == probe.scope))))
        .map(|probe| async move {
            let read = match probe.response {
                Response::Array => client.get_page(probe.path, probe.limit).await.map(drop),
                Response::Wrapped { field } => client.get_wrapped_page(probe.path, probe.limit, field).await.map(drop),
                Response::Object => client.get_json(probe.path).await.map(drop),
            };
            let refused = match read {
                Ok(()) => None,
                Err(error) => Some(probe_refusal(error)?),
            };
            Ok(ScopeProbe {
                scope: probe.scope.to_owned(),
                path: probe.call(),
                refused,
            })
        })
        .buffered(PROBES_IN_FLIGHT)
        .collect()
        .await;
    probes.into_iter().collect()
}

/// Why a probe's scope cannot be read; an outage fails the whole check instead (nothing is known).
fn probe_refusal(error: OktaError) -> Result<String, Refused> {
    match error {
        OktaError::NotGranted {
            refusal: Refusal::MissingScope { .. },
            ..
        } => Ok("the access token lacks this scope".to_owned()),
        OktaError::NotGranted { .. } => {
            Ok("refused: the admin role does not allow it, or the org does not have the feature".to_owned())
        }
        OktaError::NotFound { .. } => Ok("the org does not have this feature".to_owned()),
        OktaError::Rejected { status, body, .. } => Ok(format!("refused ({status} {body})")),
        other => Err(refused(other)),
    }
}

/// The read call that proves one scope.
struct Probe {
    scope: &'static str,
    path: &'static str,
    response: Response,
    /// One item is enough; `None` for endpoints that take no `limit`.
    limit: Option<u32>,
}

impl Probe {
    fn call(&self) -> String {
        match self.limit {
            Some(n) if self.path.contains('?') => format!("GET {}&limit={n}", self.path),
            Some(n) => format!("GET {}?limit={n}", self.path),
            None => format!("GET {}", self.path),
        }
    }
}

/// Per read scope, the first category of it that is listed on its own.
fn probes() -> Vec<Probe> {
    let mut seen = BTreeSet::new();
    let mut probes = Vec::new();
    for category in CATEGORIES {
        let path = match category.source {
            Source::List { passes } => passes.first().copied(),
            Source::Log { path } => Some(path),
            _ => None,
        };
        let Some(path) = path.filter(|p| !p.contains('{')) else {
            continue;
        };
        if !category.scope.is_empty() && seen.insert(category.scope) {
            probes.push(Probe {
                scope: category.scope,
                path,
                response: category.response,
                limit: category.page_limit.map(|_| 1),
            });
        }
    }
    probes
}

fn is_read_scope(scope: &str) -> bool {
    scope.ends_with(".read")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_is_named_only_as_a_whole_word() {
        let said = "The requested scope 'okta.users.read' is not granted to this client.";
        assert!(names_scope(said, "okta.users.read"));
        assert!(!names_scope(said, "okta.users"));
        assert!(!names_scope(
            "The following scopes are not allowed: [okta.users.readonly]",
            "okta.users.read"
        ));
        assert!(names_scope(
            "not allowed: [okta.apps.read, okta.logs.read]",
            "okta.logs.read"
        ));
    }

    #[test]
    fn every_read_scope_with_a_list_of_its_own_is_probed_once() {
        let probes = probes();
        let scopes: BTreeSet<&str> = probes.iter().map(|p| p.scope).collect();
        assert_eq!(scopes.len(), probes.len(), "one probe per scope");
        for scope in [
            "okta.users.read",
            "okta.groups.read",
            "okta.apps.read",
            "okta.logs.read",
            "okta.policies.read",
        ] {
            assert!(scopes.contains(scope), "{scope} is probed");
        }
        assert!(probes.iter().all(|p| !p.path.contains('{')));
    }
}
