//! Answers that must stop a call rather than exhaust the worker: bodies past the size limit, and next
//! links that lead back to the page itself. Each against an in-process server on 127.0.0.1.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::routing::get;
use serde_json::json;

use super::fake::{self, answer, config, origin, serve};
use super::{OktaClient, OktaError, OrgUrl};

fn client_with_limit(url: OrgUrl, max_body_bytes: u64) -> OktaClient {
    let mut config = config(url, fake::api_token());
    config.max_body_bytes = max_body_bytes;
    OktaClient::new(config).unwrap()
}

/// `/api/v1/users` answers `body` with its length declared; the counter counts the requests.
fn users_page(body: String) -> (Router, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = Router::new().route(
        "/api/v1/users",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            async move { answer(200, &[], body) }
        }),
    );
    (router, hits)
}

#[tokio::test]
async fn a_body_over_the_size_limit_is_an_invalid_response_naming_the_limit_and_is_not_retried() {
    let users: Vec<_> = (0..40).map(|i| json!({ "id": format!("00u{i:017}") })).collect();
    let body = serde_json::Value::Array(users).to_string();
    assert!(body.len() > 1024, "the page is larger than the limit below");
    let (router, hits) = users_page(body);
    let client = client_with_limit(serve(router).await, 1024);

    let error = client.get_page("/api/v1/users", None).await.unwrap_err();

    assert!(matches!(error, OktaError::InvalidResponse { .. }), "{error}");
    assert!(error.to_string().contains("larger than the 1 KiB limit"), "{error}");
    assert!(!error.is_retryable());
    assert_eq!(hits.load(Ordering::SeqCst), 1, "a larger body is not asked for again");
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn a_body_of_exactly_the_limit_is_read() {
    let body = json!([{ "id": "00u1" }, { "id": "00u2" }]).to_string();
    let limit = body.len() as u64;
    let (router, _) = users_page(body.clone());
    let url = serve(router).await;

    let page = client_with_limit(url.clone(), limit)
        .get_page("/api/v1/users", None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    let error = client_with_limit(url, limit - 1)
        .get_page("/api/v1/users", None)
        .await
        .unwrap_err();
    assert!(matches!(error, OktaError::InvalidResponse { .. }), "{error}");
}

#[tokio::test]
async fn an_endless_body_without_a_length_is_cut_off_at_the_limit() {
    // Chunked, no Content-Length, never ending: only reading incrementally and stopping can end this call.
    let router = Router::new().route(
        "/api/v1/logs",
        get(|| async {
            let chunk = Bytes::from(vec![b' '; 8 * 1024]);
            let endless = futures::stream::repeat_with(move || Ok::<_, Infallible>(chunk.clone()));
            Body::from_stream(endless)
        }),
    );
    let client = client_with_limit(serve(router).await, 256 * 1024);
    let started = Instant::now();

    let error = client.get_page("/api/v1/logs", None).await.unwrap_err();

    assert!(error.to_string().contains("larger than the 256 KiB limit"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped at the limit, not at the request timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(client.stats().calls, 1);
}

/// A list whose next link (in the `Link` header, or in the body for the IAM shape) is the URL just requested.
fn next_is_self() -> (Router, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let (users, roles) = (hits.clone(), hits.clone());
    let router = Router::new()
        .route(
            "/api/v1/users",
            get(move |headers: HeaderMap, uri: axum::http::Uri| {
                users.fetch_add(1, Ordering::SeqCst);
                async move {
                    let own = format!("{}{uri}", origin(&headers));
                    answer(
                        200,
                        &[("link", format!(r#"<{own}>; rel="next""#))],
                        r#"[{"id":"00u1"}]"#,
                    )
                }
            }),
        )
        .route(
            "/api/v1/iam/roles",
            get(move |headers: HeaderMap, uri: axum::http::Uri| {
                roles.fetch_add(1, Ordering::SeqCst);
                async move {
                    let own = format!("{}{uri}", origin(&headers));
                    let body = json!({ "roles": [{ "id": "cr0" }], "_links": { "next": { "href": own } } });
                    answer(200, &[], body.to_string())
                }
            }),
        );
    (router, hits)
}

#[tokio::test]
async fn a_next_link_to_the_page_itself_is_refused_as_a_loop() {
    let (router, hits) = next_is_self();
    let client = fake_client(serve(router).await);

    let linked = client.get_page("/api/v1/users", Some(200)).await.unwrap_err();
    assert!(matches!(linked, OktaError::InvalidResponse { .. }), "{linked}");
    assert!(linked.to_string().contains("loop forever"), "{linked}");
    assert!(linked.to_string().contains("limit=200"), "names the page: {linked}");

    let wrapped = client
        .get_wrapped_page("/api/v1/iam/roles?after=cr0", None, "roles")
        .await
        .unwrap_err();
    assert!(wrapped.to_string().contains("loop forever"), "{wrapped}");
    assert!(!wrapped.is_retryable());
    assert_eq!(hits.load(Ordering::SeqCst), 2, "one request each, never followed");
}

fn fake_client(url: OrgUrl) -> OktaClient {
    OktaClient::new(config(url, fake::api_token())).unwrap()
}
