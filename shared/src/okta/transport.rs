//! One HTTP exchange with Okta, repeated until retrying cannot change the answer.
//!
//! Every attempt passes the rate governor (bucket share, then a concurrency slot); [`Transport::verdict`]
//! alone decides what follows it:
//! - a 429 waits for the bucket's reset (`X-Rate-Limit-Reset` against the answer's `Date`; Okta sends no
//!   `Retry-After`); when the reset is missing or already past, it backs off toward a full window instead;
//! - 5xx answers and network failures (refused or reset connections, timeouts, truncated bodies) back off
//!   with full jitter;
//! - on a job's first contact with the org, a host name that does not exist or a failed TLS handshake
//!   fails at once ([`Contact`]);
//! - a body larger than the limit fails at once: reading it again would not make it smaller;
//! - every other answer goes back to the caller, which knows what a 401 or 404 means for it.

use std::error::Error as _;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use url::Url;

use super::bucket::bucket_for;
use super::error::{OktaError, OktaErrorBody};
use super::governor::{Governor, RateHeaders};
use super::reach::permanent_cause;
use super::retry::{Backoff, jitter};
use super::stats::Counters;

/// Added at random to a wait for a bucket's reset, to spread the workers that all waited for it.
const RESET_SPREAD: Duration = Duration::from_millis(250);

/// Whether the org has answered this job before, which decides how a failure to reach it is treated.
///
/// A job's first call ([`OktaClient::check_credentials`](super::OktaClient::check_credentials)) is made
/// in [`Contact::First`]: a host name that does not exist, or a TLS handshake that fails, will not heal
/// within the minute that retries span. It is a typo in the org URL or a proxy intercepting TLS, so it fails
/// at once as [`OktaError::Unreachable`], whose message says what to check. Every later call is
/// [`Contact::Established`]: the org answered a moment ago, so the same failures are taken for a blip (a
/// resolver or a proxy restarting) and retried like any network failure. The mode belongs to the call, not
/// to the client, because a Lambda may build its client afresh in the middle of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact {
    First,
    Established,
}

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
    pub rate_limit_backoff: Backoff,
    pub max_retries: u32,
    /// Bodies are read up to this many bytes; see [`super::ClientConfig::max_body_bytes`].
    pub max_body_bytes: u64,
}

/// Whether sending `method url` twice does what sending it once does: RFC 9110's idempotent methods, and a token
/// request (which creates nothing). Okta's other POSTs create objects or run lifecycle calls, and its PATCHes add
/// members: neither is replayed after an answer that may mean it was carried out. A 429 is replayed whatever the
/// method: Okta refused it before doing anything.
fn replayable(method: &Method, url: &Url) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    ) || url.path().ends_with("/v1/token")
}

/// What one attempt came back with.
enum Attempt {
    Answer(Exchange),
    NoAnswer(reqwest::Error),
    /// The body went past the size limit; the part read was dropped.
    Oversized {
        status: StatusCode,
        headers: HeaderMap,
    },
}

impl Attempt {
    fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Self::Answer(exchange) => Some(&exchange.headers),
            Self::Oversized { headers, .. } => Some(headers),
            Self::NoAnswer(_) => None,
        }
    }
}

/// What follows an attempt.
enum Verdict {
    Done(Result<Exchange, OktaError>),
    RetryAfter(Duration),
}

impl Transport {
    /// Sends `method url` (the request built by `build`, called afresh for each attempt so proofs
    /// and assertions are never replayed), counting each attempt in `counter`.
    pub async fn send(
        &self,
        method: &Method,
        url: &Url,
        counter: &AtomicU64,
        contact: Contact,
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
                self.attempt(request).await
            };
            admission.settle(outcome.headers());
            match self.verdict(method, url, attempt, contact, outcome) {
                Verdict::Done(result) => return result,
                Verdict::RetryAfter(delay) => {
                    Counters::bump(&self.counters.retries);
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    /// One request, its body read chunk by chunk so that memory stays bounded by the size limit.
    async fn attempt(&self, request: RequestBuilder) -> Attempt {
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Attempt::NoAnswer(error),
        };
        let status = response.status();
        let headers = response.headers().clone();
        if response
            .content_length()
            .is_some_and(|length| length > self.max_body_bytes)
        {
            return Attempt::Oversized { status, headers };
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Err(error) => return Attempt::NoAnswer(error),
                Ok(None) => return Attempt::Answer(Exchange { status, headers, body }),
                Ok(Some(chunk)) if (body.len() + chunk.len()) as u64 > self.max_body_bytes => {
                    return Attempt::Oversized { status, headers };
                }
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            }
        }
    }

    /// The retry decision, for every kind of outcome. `attempt` counts from 0.
    fn verdict(&self, method: &Method, url: &Url, attempt: u32, contact: Contact, outcome: Attempt) -> Verdict {
        let attempts = attempt + 1;
        let out_of_retries = attempt >= self.max_retries;
        let done = |error| Verdict::Done(Err(error));
        match outcome {
            Attempt::Oversized { status, .. } => done(OktaError::InvalidResponse {
                method: method.clone(),
                url: url.to_string(),
                reason: format!(
                    "the body of its {status} answer is larger than the {} limit (ClientConfig::max_body_bytes); \
                     Okta's largest pages are a few MiB, so check that the org URL reaches Okta itself and not a \
                     proxy or a captive portal",
                    byte_size(self.max_body_bytes)
                ),
            }),
            Attempt::NoAnswer(error) => {
                let detail = error_chain(&error);
                let host = url.host_str().unwrap_or_default();
                if contact == Contact::First
                    && let Some(cause) = permanent_cause(&error, host)
                {
                    return done(OktaError::Unreachable {
                        url: url.to_string(),
                        cause,
                        detail,
                    });
                }
                // A request that may have reached Okta is replayed only when replaying it cannot do it twice:
                // a create answered by a dropped connection may have been made, and whoever retries it must look
                // for the object first (the restore steps do). A connection never made is always safe to retry.
                if out_of_retries || !(replayable(method, url) || error.is_connect()) {
                    return done(OktaError::Network {
                        method: method.clone(),
                        url: url.to_string(),
                        attempts,
                        detail,
                    });
                }
                tracing::warn!(%method, %url, attempt = attempts, %detail, "network failure, retrying");
                Verdict::RetryAfter(self.backoff.delay(attempt))
            }
            Attempt::Answer(exchange) if exchange.status == StatusCode::TOO_MANY_REQUESTS => {
                Counters::bump(&self.counters.rate_limited);
                if out_of_retries {
                    return done(OktaError::RateLimited {
                        method: method.clone(),
                        url: url.to_string(),
                        attempts,
                        body: Box::new(OktaErrorBody::parse(&exchange.body)),
                    });
                }
                let wait = self.rate_limit_wait(&exchange.headers, attempt);
                let wait_ms = wait.as_millis() as u64;
                tracing::info!(%method, %url, wait_ms, "rate limited (429), waiting for the reset");
                self.counters.record_wait(wait);
                Verdict::RetryAfter(wait)
            }
            Attempt::Answer(exchange) if exchange.status.is_server_error() => {
                let status = exchange.status.as_u16();
                if out_of_retries || !replayable(method, url) {
                    return done(OktaError::ServerError {
                        method: method.clone(),
                        url: url.to_string(),
                        status,
                        attempts,
                        body: Box::new(OktaErrorBody::parse(&exchange.body)),
                    });
                }
                tracing::warn!(%method, %url, status, attempt = attempts, "server error, retrying");
                Verdict::RetryAfter(self.backoff.delay(attempt))
            }
            Attempt::Answer(exchange) => Verdict::Done(Ok(exchange)),
        }
    }

    /// The wait before retrying a 429: until the bucket's reset when Okta says it is ahead. A reset that is
    /// missing or not in the future (a skewed clock, a proxy that strips headers) says nothing about when
    /// the bucket refills, so the waits grow toward a full window instead of spending every attempt at once.
    fn rate_limit_wait(&self, headers: &HeaderMap, attempt: u32) -> Duration {
        match RateHeaders::from_headers(headers).map(|rate| rate.until_reset) {
            Some(until_reset) if !until_reset.is_zero() => until_reset + jitter(RESET_SPREAD),
            _ => self.rate_limit_backoff.half_jittered_delay(attempt),
        }
    }
}

/// "64 MiB", "1 KiB" or "100 bytes", for messages about the size limit.
fn byte_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_named_in_the_largest_whole_unit() {
        assert_eq!(byte_size(64 * 1024 * 1024), "64 MiB");
        assert_eq!(byte_size(2048), "2 KiB");
        assert_eq!(byte_size(1500), "1500 bytes");
    }
}
