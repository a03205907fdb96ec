//! The rate governor: keeps each Okta bucket under a share of its limit, and caps concurrency.
//!
//! Okta reports, on every answer, the bucket's `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`
//! (UTC epoch seconds). Before a call the governor checks the bucket's used share
//! `(limit - remaining) / limit`; at or above the configured share the call waits for the reset.
//! The reset is converted to a local deadline with the answer's own `Date` header (`reset - date`),
//! so a skewed local clock cannot make oktavault wait too little or far too long. Each admitted call
//! also takes one unit from the bucket right away, so concurrent calls cannot all slip through on the
//! same stale numbers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{DATE, HeaderMap};
use tokio::sync::{Notify, Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::bucket::BucketKey;
use super::stats::{BucketUsage, Counters};

/// Okta's windows are 60 s; a reset further away than this is not believed.
const MAX_WINDOW: Duration = Duration::from_secs(61);

/// What one answer said about its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateHeaders {
    pub limit: u32,
    pub remaining: u32,
    pub reset_epoch: u64,
    /// `reset - Date`, capped at one window.
    pub until_reset: Duration,
}

impl RateHeaders {
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        let limit = u32::try_from(number("x-rate-limit-limit")?).ok()?;
        let remaining = u32::try_from(number("x-rate-limit-remaining")?).ok()?;
        let reset_epoch = number("x-rate-limit-reset")?;
        let now = headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .unwrap_or_else(SystemTime::now);
        let now_epoch = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let until_reset = Duration::from_secs(reset_epoch.saturating_sub(now_epoch)).min(MAX_WINDOW);
        Some(Self {
            limit,
            remaining,
            reset_epoch,
            until_reset,
        })
    }

    fn used_share(&self) -> f64 {
        used_share(self.limit, self.remaining)
    }
}

fn used_share(limit: u32, remaining: u32) -> f64 {
    if limit == 0 {
        0.0
    } else {
        f64::from(limit.saturating_sub(remaining)) / f64::from(limit)
    }
}

#[derive(Debug, Default)]
struct BucketState {
    calls: u64,
    /// Calls admitted and not answered yet: Okta may count them in whatever window is open when they arrive.
    in_flight: u32,
    max_used_share: f64,
    window: Option<Window>,
    probe: Probe,
}

/// Until a bucket's first answer, its limit is unknown (20 calls a minute on some free-org buckets),
/// so one call goes first and the others wait for its answer instead of all rushing in.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Probe {
    #[default]
    NotSent,
    InFlight,
    Answered,
}

enum Decision {
    Go,
    WaitUntil(Instant),
    AwaitProbe,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    limit: u32,
    remaining: u32,
    reset_epoch: u64,
    reset_at: Instant,
}

/// One admitted call; see [`Governor::admit`].
#[must_use = "settle the admission with the answer's headers"]
pub struct Admission<'a> {
    governor: &'a Governor,
    bucket: &'a BucketKey,
    settled: bool,
}

impl Admission<'_> {
    pub fn settle(mut self, headers: Option<&HeaderMap>) {
        self.settled = true;
        self.governor.settle(self.bucket, headers);
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.governor.settle(self.bucket, None);
        }
    }
}

pub struct Governor {
    share: f64,
    buckets: Mutex<HashMap<BucketKey, BucketState>>,
    concurrency: Semaphore,
    probe_answered: Notify,
    /// An answer opened a new window of some bucket: calls waiting for the reset they assumed look again (a window
    /// that started earlier than assumed ends earlier too).
    window_opened: Notify,
}

impl Governor {
    /// `share` in (0, 1]: the part of each bucket this client may use. `max_concurrency` >= 1.
    pub fn new(share: f64, max_concurrency: usize) -> Self {
        Self {
            share: share.clamp(0.01, 1.0),
            buckets: Mutex::new(HashMap::new()),
            concurrency: Semaphore::new(max_concurrency.max(1)),
            probe_answered: Notify::new(),
            window_opened: Notify::new(),
        }
    }

    /// Waits until `bucket` has room under the share, then counts one call against it. The call
    /// hands its answer's headers to [`Admission::settle`]; dropping the admission settles it
    /// without an answer (an error, or a cancelled call), so a probe can never block a bucket.
    pub async fn admit<'a>(&'a self, bucket: &'a BucketKey, counters: &Counters) -> Admission<'a> {
        loop {
            // Created before the check, so a probe answered (or a window opened) in between still wakes this call.
            let probe_answered = self.probe_answered.notified();
            let window_opened = self.window_opened.notified();
            let decision = {
                let mut buckets = self.buckets.lock().expect("governor lock");
                let state = buckets.entry(bucket.clone()).or_default();
                let now = Instant::now();
                let in_flight = state.in_flight;
                let decision = match (&mut state.window, state.probe) {
                    (None, Probe::InFlight) => Decision::AwaitProbe,
                    (None, Probe::NotSent) => {
                        state.probe = Probe::InFlight;
                        Decision::Go
                    }
                    (Some(window), _) if now >= window.reset_at => {
                        // The window Okta told us about is over: assume a fresh one until the next
                        // answer says otherwise (windows last 60 s).
                        window.remaining = window.limit.saturating_sub(in_flight);
                        window.reset_epoch += 60;
                        window.reset_at = now + Duration::from_secs(60);
                        Decision::Go
                    }
                    (Some(window), _) if used_share(window.limit, window.remaining) >= self.share => {
                        Decision::WaitUntil(window.reset_at)
                    }
                    _ => Decision::Go,
                };
                if let Decision::Go = decision {
                    state.calls += 1;
                    state.in_flight += 1;
                    if let Some(window) = &mut state.window {
                        window.remaining = window.remaining.saturating_sub(1);
                    }
                }
                decision
            };
            match decision {
                Decision::Go => {
                    return Admission {
                        governor: self,
                        bucket,
                        settled: false,
                    };
                }
                Decision::AwaitProbe => probe_answered.await,
                Decision::WaitUntil(deadline) => {
                    let started = Instant::now();
                    let wait_ms = (deadline - started).as_millis() as u64;
                    tracing::debug!(bucket = %bucket, wait_ms, "rate share reached");
                    tokio::select! {
                        _ = tokio::time::sleep_until(deadline) => {}
                        _ = window_opened => {}
                    }
                    counters.record_wait(started.elapsed());
                }
            }
        }
    }

    /// A slot under the concurrency cap, held for the duration of one HTTP exchange.
    pub async fn slot(&self) -> SemaphorePermit<'_> {
        self.concurrency
            .acquire()
            .await
            .expect("the governor's semaphore is never closed")
    }

    /// Takes in the rate-limit headers of an answer (`None`: there was none) and lets the calls
    /// waiting for a bucket's first answer go.
    fn settle(&self, bucket: &BucketKey, headers: Option<&HeaderMap>) {
        let mut buckets = self.buckets.lock().expect("governor lock");
        let state = buckets.entry(bucket.clone()).or_default();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.probe != Probe::Answered {
            state.probe = Probe::Answered;
            self.probe_answered.notify_waiters();
        }
        let Some(rate) = headers.and_then(RateHeaders::from_headers) else {
            return;
        };
        state.max_used_share = state.max_used_share.max(rate.used_share());
        if rate.limit == 0 {
            // A concurrency violation reports limit 0: it says nothing about the bucket itself.
            return;
        }
        let reset_at = Instant::now() + rate.until_reset;
        let opened = state.window.is_some_and(|w| w.reset_epoch != rate.reset_epoch);
        let remaining = match state.window {
            // Same window of the same bucket: answers may arrive out of order, and our own reservations are
            // not yet in Okta's count, so keep the lower figure. A different limit means Okta counted this
            // call in another bucket than the last one under this key (its table is finer than ours): its
            // numbers replace the others' rather than mix with them, or a nearly empty small bucket's
            // `remaining` read against a large one's limit would hold every call for a whole window.
            Some(window) if window.reset_epoch == rate.reset_epoch && window.limit == rate.limit => {
                window.remaining.min(rate.remaining)
            }
            // A new window: the calls still in flight will count in it, whichever window they were admitted in.
            _ => rate.remaining.saturating_sub(state.in_flight),
        };
        state.window = Some(Window {
            limit: rate.limit,
            remaining,
            reset_epoch: rate.reset_epoch,
            reset_at,
        });
        if opened {
            self.window_opened.notify_waiters();
        }
    }

    pub fn usage(&self) -> Vec<BucketUsage> {
        let buckets = self.buckets.lock().expect("governor lock");
        let mut usage: Vec<BucketUsage> = buckets
            .iter()
            .map(|(key, state)| BucketUsage {
                bucket: key.to_string(),
                calls: state.calls,
                limit: state.window.map(|w| w.limit),
                remaining: state.window.map(|w| w.remaining),
                max_used_share: state.max_used_share,
            })
            .collect();
        usage.sort_by(|a, b| a.bucket.cmp(&b.bucket));
        usage
    }
}

#[cfg(test)]
mod tests {
    use reqwest::Method;
    use reqwest::header::HeaderValue;

    use super::*;
    use crate::okta::bucket::bucket_for;

    fn headers(limit: u32, remaining: u32, reset_in: u64) -> HeaderMap {
        // Date and reset both from a fake "server clock" an hour ahead of ours: only their
        // difference may matter.
        let server_now = SystemTime::now() + Duration::from_secs(3600);
        let epoch = server_now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let mut map = HeaderMap::new();
        map.insert("x-rate-limit-limit", HeaderValue::from(limit));
        map.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
        map.insert("x-rate-limit-reset", HeaderValue::from(epoch + reset_in));
        map.insert(
            DATE,
            HeaderValue::from_str(&httpdate::fmt_http_date(server_now)).unwrap(),
        );
        map
    }

    #[test]
    fn reset_is_measured_against_the_date_header_not_the_local_clock() {
        let rate = RateHeaders::from_headers(&headers(600, 599, 30)).unwrap();
        assert_eq!(rate.until_reset, Duration::from_secs(30));
        let far = RateHeaders::from_headers(&headers(600, 599, 7200)).unwrap();
        assert_eq!(far.until_reset, MAX_WINDOW);
        assert!(RateHeaders::from_headers(&HeaderMap::new()).is_none());
    }

    #[tokio::test]
    async fn calls_pass_below_the_share_and_wait_for_the_reset_at_it() {
        let governor = Governor::new(0.5, 4);
        let counters = Counters::default();
        let users = bucket_for(&Method::GET, "/api/v1/users");
        governor.admit(&users, &counters).await.settle(Some(&headers(10, 7, 1)));
        // 3 used of 10: two more calls reach 5/10 = the share.
        let started = Instant::now();
        let _ = governor.admit(&users, &counters).await;
        let _ = governor.admit(&users, &counters).await;
        assert!(started.elapsed() < Duration::from_millis(100));
        let _ = governor.admit(&users, &counters).await;
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "waited {:?}",
            started.elapsed()
        );
        assert_eq!(counters.snapshot(vec![]).waits, 1);
        // Another bucket is not held up by the users bucket.
        let groups = bucket_for(&Method::GET, "/api/v1/groups");
        let started = Instant::now();
        let _ = governor.admit(&groups, &counters).await;
        assert!(started.elapsed() < Duration::from_millis(100));
        let usage = governor.usage();
        assert_eq!(usage.iter().find(|u| u.bucket == "/api/v1/users").unwrap().calls, 4);
        assert_eq!(
            usage
                .iter()
                .find(|u| u.bucket == "/api/v1/users")
                .unwrap()
                .max_used_share,
            0.3
        );
    }

    #[test]
    fn out_of_order_answers_in_one_window_keep_the_lower_remaining() {
        let governor = Governor::new(0.5, 4);
        let apps = bucket_for(&Method::GET, "/api/v1/apps");
        governor.settle(&apps, Some(&headers(100, 40, 20)));
        governor.settle(&apps, Some(&headers(100, 45, 20)));
        assert_eq!(governor.usage()[0].remaining, Some(40));
        governor.settle(&apps, Some(&headers(100, 99, 80)));
        assert_eq!(
            governor.usage()[0].remaining,
            Some(99),
            "a new window takes the new figure"
        );
    }

    #[tokio::test]
    async fn a_new_windows_numbers_count_the_calls_still_in_flight() {
        let governor = Governor::new(0.5, 8);
        let counters = Counters::default();
        let apps = bucket_for(&Method::POST, "/api/v1/apps/0oa1/users");
        governor.admit(&apps, &counters).await.settle(Some(&headers(10, 9, 1)));
        let mut in_flight = Vec::new();
        for _ in 0..4 {
            in_flight.push(governor.admit(&apps, &counters).await);
        }
        // The first answer from the next window counts only itself; the other three will count there too.
        in_flight.pop().unwrap().settle(Some(&headers(10, 9, 61)));
        assert_eq!(governor.usage()[0].remaining, Some(6));
        drop(in_flight);
    }

    #[tokio::test]
    async fn a_new_bucket_admits_one_call_until_its_first_answer() {
        let governor = std::sync::Arc::new(Governor::new(0.5, 4));
        let counters = std::sync::Arc::new(Counters::default());
        let apps = bucket_for(&Method::GET, "/api/v1/apps");
        let probe = governor.admit(&apps, &counters).await;
        let second = tokio::spawn({
            let (governor, counters, apps) = (governor.clone(), counters.clone(), apps.clone());
            async move {
                let _ = governor.admit(&apps, &counters).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "the second call waits for the probe's answer");
        probe.settle(None);
        tokio::time::timeout(Duration::from_secs(1), second)
            .await
            .unwrap()
            .unwrap();
        // An answer without rate headers leaves the bucket unmetered: calls flow freely.
        let first = governor.admit(&apps, &counters).await;
        let _ = governor.admit(&apps, &counters).await;
        first.settle(None);
    }

    #[tokio::test]
    async fn answers_from_a_finer_bucket_under_one_key_do_not_mix_their_numbers() {
        let governor = Governor::new(0.5, 4);
        let counters = Counters::default();
        let key = bucket_for(&Method::GET, "/api/v1/policies");
        // A small bucket's answer, then one counted in a large bucket of the same window.
        governor
            .admit(&key, &counters)
            .await
            .settle(Some(&headers(100, 60, 30)));
        governor
            .admit(&key, &counters)
            .await
            .settle(Some(&headers(1000, 990, 30)));
        // 10 of 1000 used: the next call goes at once (read as 60 left of 1000 it would wait 30 s).
        let started = Instant::now();
        let _ = governor.admit(&key, &counters).await;
        assert!(started.elapsed() < Duration::from_millis(100));
        let usage = governor.usage();
        assert_eq!((usage[0].limit, usage[0].remaining), (Some(1000), Some(989)));
    }
}
