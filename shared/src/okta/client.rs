//! [`OktaClient`]: reads an org's management API, page by page.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, LINK, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use super::auth::{Auth, Credentials, Presented};
use super::challenge::{challenge, challenge_param};
use super::error::{OktaError, OktaErrorBody, Refusal};
use super::governor::Governor;
use super::link::next_link;
use super::resolver::{GuardedResolver, Lookup, system_lookup};
use super::retry::Backoff;
use super::stats::{ClientStats, Counters};
use super::transport::{Contact, Exchange, Transport};
use super::url::OrgUrl;

pub const DEFAULT_USER_AGENT: &str = concat!("oktavault/", env!("CARGO_PKG_VERSION"));

/// How to reach one org. Start from [`ClientConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub url: OrgUrl,
    pub credentials: Credentials,
    /// The part of each rate-limit bucket this client may use, in (0, 1]. Default 0.5: Okta's own
    /// default cap per token or app, which leaves the org's admins and other integrations room.
    pub rate_share: f64,
    /// Requests in flight at once. Default 20, well under Okta's 75 (35 on free orgs).
    pub max_concurrency: usize,
    /// Retries after a 429, 5xx or network failure before the call fails. Default 6.
    pub max_retries: u32,
    pub user_agent: String,
    /// Default 10 s.
    pub connect_timeout: Duration,
    /// The whole exchange, body included. Default 60 s.
    pub request_timeout: Duration,
    /// Delay before retries after 5xx answers and network failures. Default 200 ms doubling to 10 s.
    pub backoff: Backoff,
    /// Delay before retrying a 429 whose reset is missing or already past (a skewed clock, a proxy that
    /// strips headers); a reset still ahead is waited for exactly. Default [`Backoff::RATE_LIMIT_WINDOW`].
    pub rate_limit_backoff: Backoff,
    /// The largest response body read; a larger one fails the call. Default 64 MiB: Okta's largest pages
    /// (1,000 System Log events, 200 users with big profiles) are a few MiB, and a worker holds a few pages at
    /// once, so memory stays bounded whatever a proxy or a wrong URL sends.
    pub max_body_bytes: u64,
}

impl ClientConfig {
    pub fn new(url: OrgUrl, credentials: Credentials) -> Self {
        Self {
            url,
            credentials,
            rate_share: 0.5,
            max_concurrency: 20,
            max_retries: 6,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            backoff: Backoff::default(),
            rate_limit_backoff: Backoff::RATE_LIMIT_WINDOW,
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

/// One page of a list: its items and the URL of the next page, if Okta gave one. `next` is opaque:
/// pass it back to [`OktaClient::get_page`] as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
}

/// The Okta management API client of one org. Cheap to clone: clones share the token cache, the
/// rate governor and the connection pool.
#[derive(Clone)]
pub struct OktaClient {
    inner: Arc<Inner>,
}

struct Inner {
    org: OrgUrl,
    auth: Auth,
    transport: Transport,
}

impl std::fmt::Debug for OktaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaClient")
            .field("org", &self.inner.org.as_str())
            .field("auth", &self.inner.auth)
            .finish()
    }
}

impl OktaClient {
    pub fn new(config: ClientConfig) -> Result<OktaClient, OktaError> {
        // The simulator is on this machine: a system proxy must not sit between.
        let direct = config.url.is_local();
        Self::build(config, system_lookup(), direct)
    }

    /// A client whose host names are resolved by `lookup`, connecting directly: a proxy would resolve the
    /// names itself and bypass `lookup`. For tests that hand getaddrinfo a name of their choosing.
    #[cfg(test)]
    pub(super) fn with_lookup(config: ClientConfig, lookup: Lookup) -> Result<OktaClient, OktaError> {
        Self::build(config, lookup, true)
    }

    fn build(config: ClientConfig, lookup: Lookup, direct: bool) -> Result<OktaClient, OktaError> {
        if !(config.rate_share > 0.0 && config.rate_share <= 1.0) {
            return Err(OktaError::InvalidConfig {
                reason: format!(
                    "rate share {} is outside (0, 1]; 0.5 uses half of each bucket",
                    config.rate_share
                ),
            });
        }
        if config.max_concurrency == 0 {
            return Err(OktaError::InvalidConfig {
                reason: "max concurrency must be at least 1".into(),
            });
        }
        let auth = Auth::new(config.credentials, &config.url)?;
        let mut http = reqwest::Client::builder()
            .user_agent(config.user_agent)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // A redirect could lead anywhere; Okta's API answers directly, so none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!config.url.is_local())
            .dns_resolver(GuardedResolver {
                allow_local: config.url.is_local(),
                lookup,
            });
        if direct {
            http = http.no_proxy();
        }
        let http = http
            .build()
            .map_err(|e| OktaError::HttpClient { detail: e.to_string() })?;
        let transport = Transport {
            http,
            governor: Governor::new(config.rate_share, config.max_concurrency),
            counters: Counters::default(),
            backoff: config.backoff,
            rate_limit_backoff: config.rate_limit_backoff,
            max_retries: config.max_retries,
            max_body_bytes: config.max_body_bytes,
        };
        Ok(OktaClient {
            inner: Arc::new(Inner {
                org: config.url,
                auth,
                transport,
            }),
        })
    }

    pub fn org(&self) -> &OrgUrl {
        &self.inner.org
    }

    /// First page of `path` ("/api/v1/users?filter=...", query kept, `limit` added) or a `next` URL
    /// previously returned (must be on the same origin as the org, else error).
    pub async fn get_page(&self, path_or_next: &str, limit: Option<u32>) -> Result<Page, OktaError> {
        let url = self.resolve(path_or_next, limit)?;
        let exchange = self.call(Method::GET, &url, Contact::Established, None).await?;
        let items = match parse_json(&url, &exchange.body)? {
            Value::Array(items) => items,
            other => {
                return Err(OktaError::InvalidResponse {
                    method: Method::GET,
                    url: url.to_string(),
                    reason: format!("expected a JSON array (a page of a list), got {}", json_kind(&other)),
                });
            }
        };
        let next = match next_link(exchange.headers.get_all(LINK).iter().filter_map(|v| v.to_str().ok())) {
            None => None,
            Some(link) => Some(self.next_url(&url, &link)?),
        };
        Ok(Page { items, next })
    }

    /// A page of a list Okta wraps in an object (`{"roles": [...], "_links": {"next": {"href": ...}}}`, as the
    /// IAM endpoints answer): the items under `field`, and the next page's link from the body, not a header.
    pub async fn get_wrapped_page(
        &self,
        path_or_next: &str,
        limit: Option<u32>,
        field: &str,
    ) -> Result<Page, OktaError> {
        let url = self.resolve(path_or_next, limit)?;
        let exchange = self.call(Method::GET, &url, Contact::Established, None).await?;
        let invalid = |reason: String| OktaError::InvalidResponse {
            method: Method::GET,
            url: url.to_string(),
            reason,
        };
        let mut body = match parse_json(&url, &exchange.body)? {
            Value::Object(body) => body,
            other => {
                return Err(invalid(format!(
                    "expected a JSON object holding the list under {field:?}, got {}",
                    json_kind(&other)
                )));
            }
        };
        let items = match body.remove(field) {
            Some(Value::Array(items)) => items,
            // Okta leaves the field out of an empty list.
            None | Some(Value::Null) => Vec::new(),
            Some(other) => {
                return Err(invalid(format!(
                    "expected {field:?} to be a JSON array, got {}",
                    json_kind(&other)
                )));
            }
        };
        let next = match body
            .get("_links")
            .and_then(|links| links.get("next"))
            .and_then(|n| n.get("href"))
        {
            None | Some(Value::Null) => None,
            Some(Value::String(link)) => Some(self.next_url(&url, link)?),
            Some(other) => return Err(invalid(format!("_links.next.href is {}, not a URL", json_kind(other)))),
        };
        Ok(Page { items, next })
    }

    /// A next-page link resolved against the page it came from; it must stay on the org, and lead
    /// somewhere else than the page itself (following that would loop forever). Loops over several pages
    /// are the caller's to catch: it sees the whole walk (see [`super::url_fingerprint`]).
    fn next_url(&self, page: &Url, link: &str) -> Result<String, OktaError> {
        let invalid = |reason: String| OktaError::InvalidResponse {
            method: Method::GET,
            url: page.to_string(),
            reason,
        };
        let next = page
            .join(link)
            .map_err(|_| invalid(format!("the next link {link:?} is not a URL")))?;
        self.inner.org.ensure_same_origin(&next)?;
        if next == *page {
            return Err(invalid(
                "its next link is the page itself; following it would loop forever, so the list was not read to \
                 the end"
                    .into(),
            ));
        }
        Ok(next.to_string())
    }

    /// The JSON answer to `GET path` (an object, usually); `null` for an empty body.
    pub async fn get_json(&self, path: &str) -> Result<Value, OktaError> {
        let url = self.resolve(path, None)?;
        let exchange = self.call(Method::GET, &url, Contact::Established, None).await?;
        parse_json(&url, &exchange.body)
    }

    /// A write: `method path` (the path with its query, such as `/api/v1/users?activate=false`) with `body` as
    /// JSON, through the same rate governor (Okta's write buckets), retries and authentication as reads. Returns
    /// Okta's answer (`null` for an empty one, as a lifecycle call gives).
    pub async fn write(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, OktaError> {
        let url = self.resolve(path, None)?;
        let exchange = self.call(method.clone(), &url, Contact::Established, body).await?;
        parse_json(&url, &exchange.body)
    }

    /// Proves the credentials work before a job starts: an OAuth app gets a token (which also
    /// proves its scopes are granted); an API token reads its own user (`/api/v1/users/me`).
    ///
    /// This is the job's first contact with the org ([`Contact::First`]): a host name that does not exist
    /// or a failed TLS handshake fails at once as [`OktaError::Unreachable`], not after minutes of retries.
    /// Rate limits, 5xx answers and other network failures are retried as on any call.
    pub async fn check_credentials(&self) -> Result<(), OktaError> {
        match &self.inner.auth {
            Auth::OAuth(app) => app.token(&self.inner.transport, Contact::First).await.map(drop),
            Auth::Ssws(_) => {
                let url = self.resolve("/api/v1/users/me", None)?;
                self.call(Method::GET, &url, Contact::First, None).await.map(drop)
            }
        }
    }

    pub fn stats(&self) -> ClientStats {
        let transport = &self.inner.transport;
        transport.counters.snapshot(transport.governor.usage())
    }

    fn resolve(&self, path_or_next: &str, limit: Option<u32>) -> Result<Url, OktaError> {
        if path_or_next.starts_with("https://") || path_or_next.starts_with("http://") {
            let next = Url::parse(path_or_next).map_err(|_| OktaError::InvalidPath {
                path: path_or_next.to_owned(),
            })?;
            self.inner.org.ensure_same_origin(&next)?;
            return Ok(next);
        }
        let mut url = self.inner.org.join(path_or_next)?;
        if let Some(limit) = limit {
            if url.query_pairs().any(|(key, _)| key == "limit") {
                let kept: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(key, _)| key != "limit")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                url.query_pairs_mut().clear().extend_pairs(kept);
            }
            url.query_pairs_mut().append_pair("limit", &limit.to_string());
        }
        Ok(url)
    }

    /// One API call: the transport's retries, plus the authentication retries only this level
    /// knows about (a DPoP nonce challenge; an expired OAuth token, refreshed once).
    async fn call(
        &self,
        method: Method,
        url: &Url,
        contact: Contact,
        body: Option<&Value>,
    ) -> Result<Exchange, OktaError> {
        let transport = &self.inner.transport;
        let mut token_refreshed = false;
        let mut nonce_taken = false;
        loop {
            let presented = self.inner.auth.present(transport, contact).await?;
            let exchange = transport
                .send(&method, url, &transport.counters.calls, contact, |request| {
                    let request = request.header(ACCEPT, "application/json");
                    let request = match body {
                        Some(body) => request.json(body),
                        None => request,
                    };
                    presented.authorize(request, &method, url)
                })
                .await?;
            if exchange.status.is_success() {
                return Ok(exchange);
            }
            if exchange.status == StatusCode::UNAUTHORIZED
                && let Presented::OAuth(app, token) = &presented
            {
                if !nonce_taken && app.accept_api_nonce(&exchange.headers) {
                    nonce_taken = true;
                    Counters::bump(&transport.counters.retries);
                    continue;
                }
                if !token_refreshed && token_was_refused(&exchange) {
                    tracing::info!(%url, "Okta refused the access token, fetching a new one");
                    app.invalidate(token).await;
                    token_refreshed = true;
                    Counters::bump(&transport.counters.retries);
                    continue;
                }
            }
            return Err(self.failure(method, url, exchange));
        }
    }

    fn failure(&self, method: Method, url: &Url, exchange: Exchange) -> OktaError {
        let body = Box::new(error_body(&exchange));
        let refusal = refusal(&exchange.headers);
        let url = url.to_string();
        let status = exchange.status.as_u16();
        match exchange.status {
            s if s.is_redirection() => {
                let location = exchange
                    .headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                OktaError::Redirected {
                    method,
                    url,
                    status,
                    location,
                }
            }
            // E0000015: "You do not have permission to access the feature you are requesting".
            StatusCode::UNAUTHORIZED if body.error_code.as_deref() == Some("E0000015") => OktaError::NotGranted {
                method,
                url,
                status,
                body,
                refusal: Refusal::Denied,
            },
            StatusCode::UNAUTHORIZED => OktaError::AuthRejected {
                org: self.inner.org.to_string(),
                body,
            },
            StatusCode::FORBIDDEN => OktaError::NotGranted {
                method,
                url,
                status,
                body,
                refusal,
            },
            StatusCode::NOT_FOUND => OktaError::NotFound { method, url, body },
            _ => OktaError::Rejected {
                method,
                url,
                status,
                body,
            },
        }
    }
}

/// Okta's error body, or, when it has none (OAuth resource errors), the `error` and
/// `error_description` of the `WWW-Authenticate` challenge.
fn error_body(exchange: &Exchange) -> OktaErrorBody {
    let mut body = OktaErrorBody::parse(&exchange.body);
    if body.error_code.is_none() {
        let challenge = challenge(&exchange.headers);
        body.error_code = challenge_param(&challenge, "error");
        body.error_summary = body
            .error_summary
            .or_else(|| challenge_param(&challenge, "error_description"));
    }
    body
}

/// What a refusal's `WWW-Authenticate` challenge says: a missing scope, or nothing about scopes.
fn refusal(headers: &HeaderMap) -> Refusal {
    let challenge = challenge(headers);
    if challenge_param(&challenge, "error").as_deref() == Some("insufficient_scope") {
        Refusal::MissingScope {
            scope: challenge_param(&challenge, "scope"),
        }
    } else {
        Refusal::Denied
    }
}

/// A 401 that says the token itself is bad (expired, revoked): worth one fresh token.
fn token_was_refused(exchange: &Exchange) -> bool {
    OktaErrorBody::parse(&exchange.body).error_code.as_deref() == Some("E0000011")
        || challenge_param(&challenge(&exchange.headers), "error").as_deref() == Some("invalid_token")
}

fn parse_json(url: &Url, body: &[u8]) -> Result<Value, OktaError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| OktaError::InvalidResponse {
        method: Method::GET,
        url: url.to_string(),
        reason: format!("the body is not JSON ({e})"),
    })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
