//! Small in-process fakes of an Okta org for the client's tests, all on 127.0.0.1.
//!
//! Each test builds the few routes it needs with axum; [`serve`] hands back the [`OrgUrl`] to
//! point a client at. The same tests can run against the project's simulator by passing its URL
//! instead. [`serve_raw`] answers at the TCP level, for failures axum cannot produce (dropped
//! connections, truncated bodies).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::client::ClientConfig;
use super::retry::Backoff;
use super::{Credentials, OrgUrl, Secret};

pub const API_TOKEN: &str = "00ssws-token-that-must-never-leak";

/// A name with a `$`, which glibc and musl refuse to put in a DNS query: getaddrinfo answers `EAI_NONAME`
/// ("not found") at once, and no query leaves the machine (checked with strace on glibc).
pub const NAME_NO_RESOLVER_ASKS_ABOUT: &str = "acme$typo.okta.com";

pub async fn serve(router: Router) -> OrgUrl {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    OrgUrl::parse(&format!("http://{address}"), true).unwrap()
}

/// Serves raw HTTP/1.1: the n-th connection (from 0) gets `answer(n)` written back verbatim, then
/// the connection is closed.
pub async fn serve_raw(answer: impl Fn(usize) -> Vec<u8> + Send + Sync + 'static) -> (OrgUrl, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let mut request = vec![0u8; 8192];
            let _ = socket.read(&mut request).await;
            let _ = socket.write_all(&answer(n)).await;
            let _ = socket.shutdown().await;
        }
    });
    (OrgUrl::parse(&format!("http://{address}"), true).unwrap(), connections)
}

/// Quick retries, so failure tests take milliseconds.
pub fn config(url: OrgUrl, credentials: Credentials) -> ClientConfig {
    let mut config = ClientConfig::new(url, credentials);
    config.backoff = Backoff {
        base: Duration::from_millis(5),
        cap: Duration::from_millis(20),
    };
    config.rate_limit_backoff = config.backoff;
    config.max_retries = 3;
    config.request_timeout = Duration::from_secs(5);
    config
}

pub fn api_token() -> Credentials {
    Credentials::ApiToken(Secret::new(API_TOKEN))
}

pub fn now_epoch() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A response with the given status, extra headers and body.
pub fn answer(status: u16, headers: &[(&str, String)], body: impl Into<String>) -> Response {
    let mut response = (StatusCode::from_u16(status).unwrap(), body.into()).into_response();
    let map = response.headers_mut();
    map.insert("content-type", "application/json".parse().unwrap());
    for (name, value) in headers {
        map.append(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    response
}

/// Okta's rate-limit headers plus a `Date`, for a bucket resetting at `reset_epoch`.
pub fn rate_headers(limit: u32, remaining: u32, reset_epoch: u64) -> Vec<(&'static str, String)> {
    vec![
        ("x-rate-limit-limit", limit.to_string()),
        ("x-rate-limit-remaining", remaining.to_string()),
        ("x-rate-limit-reset", reset_epoch.to_string()),
        ("date", httpdate::fmt_http_date(SystemTime::now())),
    ]
}

pub fn okta_error(code: &str, summary: &str) -> String {
    let body = serde_json::json!({
        "errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "oaeFake", "errorCauses": []
    });
    body.to_string()
}

pub fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The origin a request came in on, for building absolute `Link` URLs as Okta does.
pub fn origin(headers: &HeaderMap) -> String {
    format!("http://{}", header(headers, "host"))
}
