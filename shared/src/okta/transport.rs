//! One HTTP exchange with Okta, repeated until retrying cannot change the answer.
//!
//! Every attempt passes the rate governor (bucket share, then a concurrency slot). A 429 waits for
//! the bucket's reset (`X-Rate-Limit-Reset` against the answer's `Date`; Okta sends no
//! `Retry-After`), 5xx answers and network failures (refused or reset connections, timeouts,
//! truncated bodies) back off with full jitter. Every other answer goes back to the caller, which
//! knows what a 401 or 404 means for it.

use std::error::Error as _;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use url::Url;

use super::bucket::bucket_for;
use super::error::{OktaError, OktaErrorBody};
use super::governor::{Governor, RateHeaders};
use super::retry::{Backoff, jitter};
use super::stats::Counters;

/// The shortest wait after a 429: the reset has one-second resolution and may already be "now".
const MIN_RATE_LIMIT_WAIT: Duration = Duration::from_millis(250);

/// An answer from Okta, body read in full.
#[derive(Debug)]
pub struct Exchange {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

pub struct Transport {
    pub http: reqwest::Client,
    pub governor: Governor,
    pub counters: Counters,
    pub backoff: Backoff,
    pub max_retries: u32,
}

impl Transport {
    /// Sends `method url` (the request built by `build`, called afresh for each attempt so proofs
    /// and assertions are never replayed), counting each attempt in `counter`.
    pub async fn send(
        &self,
        method: &Method,
        url: &Url,
        counter: &AtomicU64,
        build: impl Fn(RequestBuilder) -> Result<RequestBuilder, OktaError>,
    ) -> Result<Exchange, OktaError> {
        let bucket = bucket_for(method, url.path());
        let mut attempt = 0u32;
        loop {
            let admission = self.governor.admit(&bucket, &self.counters).await;
            let request = build(self.http.request(method.clone(), url.clone()))?;
            let outcome = {
                let _slot = self.governor.slot().await;
                Counters::bump(counter);
                match request.send().await {
                    Err(error) => Err(error),
                    Ok(response) => {
                        let status = response.status();
                        let headers = response.headers().clone();
                        response.bytes().await.map(|body| Exchange {
                            status,
                            headers,
                            body: Vec::from(body),
                        })
                    }
                }
            };
            admission.settle(outcome.as_ref().ok().map(|exchange| &exchange.headers));
            let attempts = attempt + 1;
            let out_of_retries = attempt >= self.max_retries;
            let delay = match outcome {
                Err(error) => {
                    let detail = error_chain(&error);
                    if out_of_retries {
                        return Err(OktaError::Network {
                            method: method.clone(),
                            url: url.to_string(),
                            attempts,
                            detail,
                        });
                    }
                    tracing::warn!(%method, %url, attempt = attempts, %detail, "network failure, retrying");
                    self.backoff.delay(attempt)
                }
                Ok(exchange) if exchange.status == StatusCode::TOO_MANY_REQUESTS => {
                    Counters::bump(&self.counters.rate_limited);
                    if out_of_retries {
                        let body = Box::new(OktaErrorBody::parse(&exchange.body));
                        return Err(OktaError::RateLimited {
                            method: method.clone(),
                            url: url.to_string(),
                            attempts,
                            body,
                        });
                    }
                    let wait = RateHeaders::from_headers(&exchange.headers)
                        .map(|rate| rate.until_reset)
                        .unwrap_or_else(|| self.backoff.ceiling(attempt))
                        .max(MIN_RATE_LIMIT_WAIT)
                        // Spread the workers that all waited for the same reset.
                        + jitter(MIN_RATE_LIMIT_WAIT);
                    let wait_ms = wait.as_millis() as u64;
                    tracing::info!(%method, %url, %bucket, wait_ms, "rate limited (429), waiting for the reset");
                    self.counters.record_wait(wait);
                    wait
                }
                Ok(exchange) if exchange.status.is_server_error() => {
                    let status = exchange.status.as_u16();
                    if out_of_retries {
                        let body = Box::new(OktaErrorBody::parse(&exchange.body));
                        return Err(OktaError::ServerError {
                            method: method.clone(),
                            url: url.to_string(),
                            status,
                            attempts,
                            body,
                        });
                    }
                    tracing::warn!(%method, %url, status, attempt = attempts, "server error, retrying");
                    self.backoff.delay(attempt)
                }
                Ok(exchange) => return Ok(exchange),
            };
            Counters::bump(&self.counters.retries);
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

/// "error sending request: connection reset by peer": reqwest's top-level message alone says little.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
