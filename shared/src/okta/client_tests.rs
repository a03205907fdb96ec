//! The client against in-process fakes: paging, rate governing, retries, errors.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Query;
use axum::http::HeaderMap;
use axum::routing::get;
use serde_json::{Value, json};

use super::fake::{self, API_TOKEN, answer, config, header, okta_error, origin, rate_headers, serve, serve_raw};
use super::{OktaClient, OktaError};

type Params = Query<HashMap<String, String>>;

fn client(url: super::OrgUrl) -> OktaClient {
    OktaClient::new(config(url, fake::api_token())).unwrap()
}

/// Five users served two at a time, with Okta-style `self` and `next` links.
fn paged_users(seen_queries: Arc<Mutex<Vec<HashMap<String, String>>>>) -> Router {
    Router::new().route(
        "/api/v1/users",
        get(move |headers: HeaderMap, Query(query): Params| {
            let seen_queries = seen_queries.clone();
            async move {
                assert_eq!(header(&headers, "authorization"), format!("SSWS {API_TOKEN}"));
                seen_queries.lock().unwrap().push(query.clone());
                let limit: usize = query.get("limit").map(|l| l.parse().unwrap()).unwrap_or(200);
                let start: usize = query
                    .get("after")
                    .map(|a| a.trim_start_matches("00u").parse().unwrap())
                    .unwrap_or(0);
                let end = (start + limit).min(5);
                let users: Vec<Value> = (start..end).map(|i| json!({ "id": format!("00u{i}") })).collect();
                let base = format!("{}/api/v1/users", origin(&headers));
                let mut links = vec![("link", format!(r#"<{base}?limit={limit}>; rel="self""#))];
                if end < 5 {
                    links.push(("link", format!(r#"<{base}?after=00u{end}&limit={limit}>; rel="next""#)));
                }
                answer(200, &links, Value::Array(users).to_string())
            }
        }),
    )
}

#[tokio::test]
async fn pagination_follows_next_links_until_the_last_page() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = client(serve(paged_users(seen.clone())).await);

    let mut page = client
        .get_page("/api/v1/users?filter=status eq \"ACTIVE\"", Some(2))
        .await
        .unwrap();
    let mut ids = Vec::new();
    loop {
        ids.extend(page.items.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        let Some(next) = page.next.take() else { break };
        page = client.get_page(&next, None).await.unwrap();
    }

    assert_eq!(ids, ["00u0", "00u1", "00u2", "00u3", "00u4"]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0].get("filter").map(String::as_str),
        Some("status eq \"ACTIVE\""),
        "query kept"
    );
    assert_eq!(seen[0].get("limit").map(String::as_str), Some("2"), "limit added");
    assert_eq!(
        seen[2].get("after").map(String::as_str),
        Some("00u4"),
        "next link followed verbatim"
    );
    assert_eq!(client.stats().calls, 3);
}

#[tokio::test]
async fn a_limit_in_the_path_is_replaced_not_doubled() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = client(serve(paged_users(seen.clone())).await);
    let page = client.get_page("/api/v1/users?limit=1", Some(3)).await.unwrap();
    assert_eq!(page.items.len(), 3);
}

#[tokio::test]
async fn next_links_and_paths_to_another_origin_are_refused() {
    let router = Router::new().route(
        "/api/v1/groups",
        get(|| async {
            answer(
                200,
                &[(
                    "link",
                    r#"<http://169.254.169.254/latest/meta-data>; rel="next""#.into(),
                )],
                "[]",
            )
        }),
    );
    let client = client(serve(router).await);
    let error = client.get_page("/api/v1/groups", None).await.unwrap_err();
    assert!(matches!(error, OktaError::ForeignUrl { .. }), "{error}");

    let error = client
        .get_page("https://evil.example/api/v1/users?after=x", None)
        .await
        .unwrap_err();
    assert!(matches!(error, OktaError::ForeignUrl { .. }), "{error}");
    let error = client.get_json("//evil.example/api/v1/users").await.unwrap_err();
    assert!(matches!(error, OktaError::InvalidPath { .. }), "{error}");
    assert_eq!(client.stats().calls, 1, "nothing was sent for the refused URLs");
}

#[tokio::test]
async fn redirects_are_reported_not_followed() {
    let followed = Arc::new(AtomicUsize::new(0));
    let hits = followed.clone();
    let router = Router::new()
        .route(
            "/api/v1/apps",
            get(|| async { answer(302, &[("location", "/elsewhere".into())], "") }),
        )
        .route(
            "/elsewhere",
            get(move || {
                hits.fetch_add(1, Ordering::SeqCst);
                async { answer(200, &[], "[]") }
            }),
        );
    let client = client(serve(router).await);
    let error = client.get_page("/api/v1/apps", None).await.unwrap_err();
    assert!(
        matches!(&error, OktaError::Redirected { status: 302, location, .. } if location == "/elsewhere"),
        "{error}"
    );
    assert_eq!(followed.load(Ordering::SeqCst), 0);
}

/// A bucket of `limit` calls per `window_secs`, counted and reported like Okta does.
fn rate_limited_bucket(limit: u32, window_secs: u64) -> (Router, Arc<Mutex<Vec<Instant>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let window = Arc::new(Mutex::new((fake::now_epoch() + window_secs, 0u32)));
    let log = calls.clone();
    let router = Router::new().route(
        "/api/v1/logs",
        get(move || {
            let (window, log) = (window.clone(), log.clone());
            async move {
                log.lock().unwrap().push(Instant::now());
                let mut window = window.lock().unwrap();
                if fake::now_epoch() >= window.0 {
                    *window = (fake::now_epoch() + window_secs, 0);
                }
                let (reset, used) = *window;
                window.1 = used + 1;
                answer(200, &rate_headers(limit, limit.saturating_sub(used + 1), reset), "[]")
            }
        }),
    );
    (router, calls)
}

#[tokio::test]
async fn governor_waits_for_the_reset_once_the_share_is_used() {
    // 4 calls per 2 s window, share 0.5: two calls go through, the third waits for the reset.
    let (router, calls) = rate_limited_bucket(4, 2);
    let client = client(serve(router).await);
    let started = Instant::now();
    for _ in 0..3 {
        client.get_page("/api/v1/logs", None).await.unwrap();
    }
    let calls = calls.lock().unwrap();
    assert!(
        calls[1] - started < Duration::from_millis(500),
        "the first two calls are not held up"
    );
    assert!(
        calls[2] - calls[1] >= Duration::from_millis(900),
        "the third waited: {:?}",
        calls[2] - calls[1]
    );
    let stats = client.stats();
    assert_eq!(stats.waits, 1);
    assert_eq!(stats.rate_limited, 0, "the share kept the client from ever hitting 429");
    let logs = stats.buckets.iter().find(|b| b.bucket == "/api/v1/logs").unwrap();
    assert_eq!((logs.calls, logs.limit), (3, Some(4)));
    assert!(logs.max_used_share <= 0.5, "{logs:?}");
}

#[tokio::test]
async fn a_429_waits_for_the_reset_and_retries() {
    // Another integration emptied the bucket: the first answer is a 429 resetting in one second.
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = calls.clone();
    let router = Router::new().route(
        "/api/v1/logs",
        get(move || {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                log.push(Instant::now());
                let reset = fake::now_epoch() + 1;
                if log.len() == 1 {
                    let body = okta_error("E0000047", "API call exceeded rate limit due to too many requests.");
                    answer(429, &rate_headers(50, 0, reset), body)
                } else {
                    answer(200, &rate_headers(50, 49, reset + 60), "[]")
                }
            }
        }),
    );
    let client = client(serve(router).await);
    client.get_page("/api/v1/logs", None).await.unwrap();
    let stats = client.stats();
    assert_eq!(
        (stats.calls, stats.rate_limited, stats.retries, stats.waits),
        (2, 1, 1, 1),
        "{stats:?}"
    );
    let calls = calls.lock().unwrap();
    // reset - Date is exactly one second (both are whole seconds of the fake's clock).
    assert!(
        calls[1] - calls[0] >= Duration::from_millis(1000),
        "waited {:?}",
        calls[1] - calls[0]
    );
}

#[tokio::test]
async fn a_429_beyond_the_retries_is_reported_as_retryable() {
    let router = Router::new().route(
        "/api/v1/users",
        get(|| async {
            answer(
                429,
                &[],
                okta_error("E0000047", "API call exceeded rate limit due to too many requests."),
            )
        }),
    );
    let mut config = config(serve(router).await, fake::api_token());
    config.max_retries = 1;
    let client = OktaClient::new(config).unwrap();
    let error = client.get_page("/api/v1/users", None).await.unwrap_err();
    assert!(matches!(error, OktaError::RateLimited { attempts: 2, .. }), "{error}");
    assert!(error.is_retryable());
    assert_eq!(error.error_code(), Some("E0000047"));
    assert_eq!(error.status(), Some(429));
}

fn failing_then_ok(failures: usize, status: u16) -> (Router, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = Router::new().route(
        "/api/v1/groups",
        get(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < failures {
                    answer(status, &[], okta_error("E0000009", "Internal Server Error"))
                } else {
                    answer(200, &[], r#"[{"id":"00g1"}]"#)
                }
            }
        }),
    );
    (router, hits)
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let (router, hits) = failing_then_ok(2, 503);
    let client = client(serve(router).await);
    let page = client.get_page("/api/v1/groups", None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    let stats = client.stats();
    assert_eq!((stats.calls, stats.retries), (3, 2));
}

#[tokio::test]
async fn server_errors_beyond_the_retries_are_reported() {
    let (router, hits) = failing_then_ok(usize::MAX, 500);
    let client = client(serve(router).await);
    let error = client.get_page("/api/v1/groups", None).await.unwrap_err();
    assert!(
        matches!(
            error,
            OktaError::ServerError {
                status: 500,
                attempts: 4,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.is_retryable());
    assert_eq!(hits.load(Ordering::SeqCst), 4, "1 attempt + max_retries 3");
}

#[tokio::test]
async fn a_400_is_reported_with_okta_error_code_and_not_retried() {
    let (router, hits) = failing_then_ok(usize::MAX, 400);
    let client = client(serve(router).await);
    let error = client.get_page("/api/v1/groups", None).await.unwrap_err();
    assert!(matches!(error, OktaError::Rejected { status: 400, .. }), "{error}");
    assert_eq!(error.error_code(), Some("E0000009"));
    assert!(error.to_string().contains("E0000009 Internal Server Error"), "{error}");
    assert!(!error.is_retryable());
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn forbidden_and_not_found_mean_not_granted() {
    let router = Router::new()
        .route(
            "/api/v1/idps",
            get(|| async {
                answer(
                    403,
                    &[],
                    okta_error("E0000006", "You do not have permission to perform the requested action"),
                )
            }),
        )
        .route(
            "/api/v1/behaviors",
            get(|| async { answer(404, &[], okta_error("E0000007", "Not found: Resource not found")) }),
        )
        .route(
            "/api/v1/threats/configuration",
            get(|| async {
                answer(
                    401,
                    &[],
                    okta_error(
                        "E0000015",
                        "You do not have permission to access the feature you are requesting",
                    ),
                )
            }),
        );
    let client = client(serve(router).await);
    let forbidden = client.get_page("/api/v1/idps", None).await.unwrap_err();
    assert!(
        forbidden.is_not_granted() && forbidden.status() == Some(403),
        "{forbidden}"
    );
    assert!(forbidden.to_string().contains("okta.idps.read"), "{forbidden}");
    let missing = client.get_page("/api/v1/behaviors", None).await.unwrap_err();
    assert!(missing.is_not_granted() && missing.status() == Some(404), "{missing}");
    let feature = client.get_json("/api/v1/threats/configuration").await.unwrap_err();
    assert!(feature.is_not_granted(), "{feature}");
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn a_401_with_an_api_token_is_a_clear_auth_error_without_retries() {
    let router = Router::new().route(
        "/api/v1/users/me",
        get(|| async { answer(401, &[], okta_error("E0000011", "Invalid token provided")) }),
    );
    let url = serve(router).await;
    let client = client(url.clone());
    let error = client.check_credentials().await.unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "Okta rejected the credentials for {url}: E0000011 Invalid token provided"
        )),
        "{error}"
    );
    assert!(!error.is_retryable());
    assert_eq!(client.stats().calls, 1);
}

#[tokio::test]
async fn page_bodies_that_are_not_arrays_are_invalid_responses() {
    let router = Router::new()
        .route("/api/v1/users", get(|| async { answer(200, &[], r#"{"id":"00u1"}"#) }))
        .route("/api/v1/groups", get(|| async { answer(200, &[], "[{") }));
    let client = client(serve(router).await);
    let error = client.get_page("/api/v1/users", None).await.unwrap_err();
    assert!(error.to_string().contains("expected a JSON array"), "{error}");
    let error = client.get_page("/api/v1/groups", None).await.unwrap_err();
    assert!(matches!(error, OktaError::InvalidResponse { .. }), "{error}");
    assert_eq!(client.get_json("/api/v1/users").await.unwrap()["id"], "00u1");
}

fn http_ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let (url, connections) = serve_raw(|n| {
        if n == 0 {
            Vec::new()
        } else {
            http_ok(r#"[{"id":"00u1"}]"#)
        }
    })
    .await;
    let client = client(url);
    let page = client.get_page("/api/v1/users", None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(connections.load(Ordering::SeqCst), 2);
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn a_truncated_body_is_retried() {
    let (url, connections) = serve_raw(|n| {
        if n == 0 {
            b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\nconnection: close\r\n\r\n[{\"id\":\"00u".to_vec()
        } else {
            http_ok(r#"[{"id":"00u1"}]"#)
        }
    })
    .await;
    let client = client(url);
    let page = client.get_page("/api/v1/users", None).await.unwrap();
    assert_eq!(page.items, vec![json!({"id": "00u1"})]);
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn network_failures_beyond_the_retries_are_reported() {
    let (url, connections) = serve_raw(|_| Vec::new()).await;
    let client = client(url);
    let error = client.get_page("/api/v1/users", None).await.unwrap_err();
    assert!(matches!(error, OktaError::Network { attempts: 4, .. }), "{error}");
    assert!(error.is_retryable());
    assert_eq!(connections.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn concurrency_stays_under_the_cap() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, top) = (in_flight.clone(), peak.clone());
    let router = Router::new().route(
        "/api/v1/users/{id}",
        get(move || {
            let (now, top) = (now.clone(), top.clone());
            async move {
                let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                top.fetch_max(current, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                answer(200, &[], r#"{"id":"00u1"}"#)
            }
        }),
    );
    let mut config = config(serve(router).await, fake::api_token());
    config.max_concurrency = 3;
    let client = OktaClient::new(config).unwrap();
    let calls = (0..12).map(|i| {
        let client = client.clone();
        tokio::spawn(async move { client.get_json(&format!("/api/v1/users/00u{i}")).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(peak.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_local_org_named_localhost_is_reached_through_the_guarded_resolver() {
    let url = serve(Router::new().route(
        "/api/v1/users/me",
        get(|| async { answer(200, &[], r#"{"id":"00u1"}"#) }),
    ))
    .await;
    let by_name = super::OrgUrl::parse(&url.as_str().replace("127.0.0.1", "localhost"), true).unwrap();
    client(by_name).check_credentials().await.unwrap();
}

/// Three roles served two at a time in Okta's IAM shape: the list under `roles`, the next link in the body.
fn wrapped_roles() -> Router {
    Router::new().route(
        "/api/v1/iam/roles",
        get(|headers: HeaderMap, Query(query): Params| async move {
            let base = format!("{}/api/v1/iam/roles", origin(&headers));
            let body = match query.get("after").map(String::as_str) {
                None => json!({ "roles": [{ "id": "cr0" }, { "id": "cr1" }], "_links": { "next": { "href": format!("{base}?after=cr1") } } }),
                Some("cr1") => json!({ "roles": [{ "id": "cr2" }], "_links": {} }),
                Some(other) => panic!("unexpected cursor {other}"),
            };
            answer(200, &[], body.to_string())
        }),
    )
}

#[tokio::test]
async fn wrapped_lists_page_by_the_link_in_their_body() {
    let client = client(serve(wrapped_roles()).await);
    let first = client
        .get_wrapped_page("/api/v1/iam/roles", None, "roles")
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let next = first.next.expect("a next link");
    let last = client.get_wrapped_page(&next, None, "roles").await.unwrap();
    assert_eq!(last.items, vec![json!({ "id": "cr2" })]);
    assert_eq!(last.next, None);
}

#[tokio::test]
async fn wrapped_lists_refuse_foreign_links_and_wrong_shapes() {
    let router = Router::new()
        .route(
            "/api/v1/iam/roles",
            get(|| async {
                answer(
                    200,
                    &[],
                    r#"{"roles":[],"_links":{"next":{"href":"https://evil.example/x"}}}"#,
                )
            }),
        )
        .route(
            "/api/v1/iam/resource-sets",
            get(|| async { answer(200, &[], r#"{"resource-sets":{}}"#) }),
        )
        .route("/api/v1/iam/assignees/users", get(|| async { answer(200, &[], "[]") }))
        .route("/api/v1/iam/empty", get(|| async { answer(200, &[], "{}") }));
    let client = client(serve(router).await);
    let foreign = client
        .get_wrapped_page("/api/v1/iam/roles", None, "roles")
        .await
        .unwrap_err();
    assert!(matches!(foreign, OktaError::ForeignUrl { .. }), "{foreign}");
    let not_array = client
        .get_wrapped_page("/api/v1/iam/resource-sets", None, "resource-sets")
        .await
        .unwrap_err();
    assert!(
        not_array.to_string().contains("\"resource-sets\" to be a JSON array"),
        "{not_array}"
    );
    let not_object = client
        .get_wrapped_page("/api/v1/iam/assignees/users", None, "value")
        .await
        .unwrap_err();
    assert!(
        not_object.to_string().contains("expected a JSON object"),
        "{not_object}"
    );
    let empty = client
        .get_wrapped_page("/api/v1/iam/empty", None, "roles")
        .await
        .unwrap();
    assert!(empty.items.is_empty() && empty.next.is_none());
}

/// A route answering every method with `status` for the first `failures` calls, then 200 with an object.
fn writes_failing_then_ok(failures: usize, status: u16) -> (Router, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let handler = move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < failures {
                answer(status, &[], okta_error("E0000009", "Internal Server Error"))
            } else {
                answer(200, &[], r#"{"id":"00g1"}"#)
            }
        }
    };
    let router = Router::new().route("/api/v1/groups/00g1", axum::routing::post(handler.clone()).put(handler));
    (router, hits)
}

#[tokio::test]
async fn a_post_answered_by_a_server_error_is_not_replayed_but_a_put_is() {
    let body = json!({"profile": {"name": "Finance"}});
    let (router, hits) = writes_failing_then_ok(1, 503);
    let first = client(serve(router).await);
    let error = first
        .write(reqwest::Method::POST, "/api/v1/groups/00g1", Some(&body))
        .await
        .unwrap_err();
    assert!(matches!(error, OktaError::ServerError { attempts: 1, .. }), "{error}");
    assert!(
        error.is_retryable(),
        "the caller may retry, after looking for what the POST may have made"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "a create is never replayed by the client"
    );

    let (router, hits) = writes_failing_then_ok(1, 503);
    let second = client(serve(router).await);
    let answer = second
        .write(reqwest::Method::PUT, "/api/v1/groups/00g1", Some(&body))
        .await
        .unwrap();
    assert_eq!(answer["id"], "00g1");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "a replace is the same replace twice");
}

#[tokio::test]
async fn a_post_refused_with_a_429_is_sent_again() {
    let (router, hits) = writes_failing_then_ok(1, 429);
    let client = client(serve(router).await);
    let answer = client
        .write(reqwest::Method::POST, "/api/v1/groups/00g1", Some(&json!({})))
        .await
        .unwrap();
    assert_eq!(answer["id"], "00g1");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "Okta did nothing with a 429");
}
