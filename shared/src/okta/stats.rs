//! Counters of what the client did, for job logs and benchmarks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

/// A snapshot of the client's counters since it was created.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClientStats {
    /// HTTP requests sent to Okta's APIs (every attempt, retries included; token requests not).
    pub calls: u64,
    /// Requests to the OAuth token endpoint.
    pub token_requests: u64,
    /// Attempts repeated after a 429, a 5xx, a network failure or an expired token.
    pub retries: u64,
    /// 429 answers seen.
    pub rate_limited: u64,
    /// Times a call waited for a bucket's window to reset (share reached, or after a 429).
    pub waits: u64,
    pub time_waiting: Duration,
    /// Per rate-limit bucket, sorted by bucket name.
    pub buckets: Vec<BucketUsage>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketUsage {
    pub bucket: String,
    pub calls: u64,
    /// The last `X-Rate-Limit-Limit` / `-Remaining` seen.
    pub limit: Option<u32>,
    pub remaining: Option<u32>,
    /// The highest `(limit - remaining) / limit` Okta reported for this bucket.
    pub max_used_share: f64,
}

/// The counters behind [`ClientStats`], updated lock-free from concurrent calls.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub calls: AtomicU64,
    pub token_requests: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
    pub waits: AtomicU64,
    waiting_nanos: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_wait(&self, waited: Duration) {
        Self::bump(&self.waits);
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        self.waiting_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn snapshot(&self, buckets: Vec<BucketUsage>) -> ClientStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ClientStats {
            calls: read(&self.calls),
            token_requests: read(&self.token_requests),
            retries: read(&self.retries),
            rate_limited: read(&self.rate_limited),
            waits: read(&self.waits),
            time_waiting: Duration::from_nanos(read(&self.waiting_nanos)),
            buckets,
        }
    }
}
