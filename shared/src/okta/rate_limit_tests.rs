//! 429s whose reset says nothing useful, on tokio's paused clock: the waits are the real minute-long
//! schedule, but the test does not sit through it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::time::Instant;

use super::fake::{self, answer, config, okta_error, rate_headers, serve};
use super::{Backoff, OktaClient, OrgUrl};

/// `/api/v1/logs` answers 429 `refusals` times, with the rate-limit headers `headers` gives (reset in the
/// past, or none), then 200. Every request's arrival is logged on the runtime's (paused) clock.
fn refusing(refusals: usize, headers: fn() -> Vec<(&'static str, String)>) -> (Router, Arc<Mutex<Vec<Instant>>>) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let log = arrivals.clone();
    let router = Router::new().route(
        "/api/v1/logs",
        get(move || {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                log.push(Instant::now());
                if log.len() <= refusals {
                    let body = okta_error("E0000047", "API call exceeded rate limit due to too many requests.");
                    answer(429, &headers(), body)
                } else {
                    answer(200, &[], "[]")
                }
            }
        }),
    );
    (router, arrivals)
}

/// Okta's default retry budget and the production schedule after 429s.
fn client(url: OrgUrl) -> OktaClient {
    let mut config = config(url, fake::api_token());
    config.max_retries = 6;
    config.rate_limit_backoff = Backoff::RATE_LIMIT_WINDOW;
    // Generous, so that the paused clock jumping over a wait can never look like a stalled request.
    config.request_timeout = Duration::from_secs(3600);
    OktaClient::new(config).unwrap()
}

fn gaps(arrivals: &[Instant]) -> Vec<Duration> {
    arrivals.windows(2).map(|pair| pair[1] - pair[0]).collect()
}

/// Each wait is in the upper half of its ceiling (2 s doubling to 60 s), allowing for the exchange itself.
fn assert_backs_off_toward_a_window(gaps: &[Duration]) {
    let window = Backoff::RATE_LIMIT_WINDOW;
    for (attempt, gap) in gaps.iter().enumerate() {
        let ceiling = window.ceiling(attempt as u32);
        assert!(
            *gap >= ceiling / 2 && *gap <= ceiling + Duration::from_secs(1),
            "wait {attempt} was {gap:?}, expected between {:?} and {ceiling:?}: {gaps:?}",
            ceiling / 2
        );
    }
    let last = *gaps.last().unwrap();
    assert!(
        last >= Duration::from_secs(30),
        "the last wait nears a full window: {gaps:?}"
    );
    let total: Duration = gaps.iter().sum();
    assert!(
        total >= Duration::from_secs(61),
        "the waits span a whole window: {gaps:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_whose_reset_has_passed_backs_off_toward_a_full_window_and_then_succeeds() {
    // A reset half a minute before the answer's own Date: a proxy replaying stale headers, or a skewed clock.
    let (router, arrivals) = refusing(6, || rate_headers(50, 0, fake::now_epoch() - 30));
    let client = client(serve(router).await);

    let page = client.get_page("/api/v1/logs", None).await.unwrap();

    assert!(page.items.is_empty());
    let arrivals = arrivals.lock().unwrap();
    assert_eq!(arrivals.len(), 7, "six 429s, then the answer");
    assert_backs_off_toward_a_window(&gaps(&arrivals));
    let stats = client.stats();
    assert_eq!((stats.rate_limited, stats.retries), (6, 6), "{stats:?}");
}

#[tokio::test(start_paused = true)]
async fn a_429_without_rate_limit_headers_backs_off_the_same_way() {
    let (router, arrivals) = refusing(6, Vec::new);
    let client = client(serve(router).await);

    client.get_page("/api/v1/logs", None).await.unwrap();

    assert_backs_off_toward_a_window(&gaps(&arrivals.lock().unwrap()));
}

#[tokio::test(start_paused = true)]
async fn a_429_with_a_reset_ahead_waits_for_exactly_that_reset() {
    // Okta's own answer: the bucket refills 5 s after this answer's Date. No backoff schedule applies.
    let (router, arrivals) = refusing(1, || rate_headers(50, 0, fake::now_epoch() + 5));
    let client = client(serve(router).await);

    client.get_page("/api/v1/logs", None).await.unwrap();

    let gaps = gaps(&arrivals.lock().unwrap());
    assert_eq!(gaps.len(), 1);
    // `reset - Date` is whole seconds of the server's clock: 4 to 5 s, plus at most the 250 ms spread.
    assert!(
        gaps[0] >= Duration::from_secs(4) && gaps[0] <= Duration::from_millis(5300),
        "{gaps:?}"
    );
}
