//! Exponential backoff with jitter: full jitter for Okta 5xx answers and network failures, half jitter
//! for a 429 that says nothing useful about its reset.
//!
//! Full jitter (a uniform delay in `[0, min(cap, base * 2^attempt)]`) keeps many workers that failed
//! together from retrying together. Half jitter (`[ceiling / 2, ceiling]`) spreads them as well, but
//! guarantees that the waits really grow, so that a rate-limited call outlasts the bucket's window.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// After a 429 whose reset is missing or already past: 2 s doubling to Okta's 60 s window, so the
    /// default 6 retries wait at least 61 s in all (1 + 2 + 4 + 8 + 16 + 30), a whole window.
    pub const RATE_LIMIT_WINDOW: Backoff = Backoff {
        base: Duration::from_secs(2),
        cap: Duration::from_secs(60),
    };

    /// The ceiling of the delay before retry number `attempt` (0 for the first retry).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A random delay in `[0, ceiling(attempt)]`.
    pub fn delay(&self, attempt: u32) -> Duration {
        jitter(self.ceiling(attempt))
    }

    /// A random delay in `[ceiling(attempt) / 2, ceiling(attempt)]`.
    pub fn half_jittered_delay(&self, attempt: u32) -> Duration {
        let half = self.ceiling(attempt) / 2;
        half + jitter(half)
    }
}

/// A uniformly random duration in `[0, max]`.
pub fn jitter(max: Duration) -> Duration {
    max.mul_f64(random_unit())
}

/// A uniform random number in `[0, 1]` from the system CSPRNG (no extra rand dependency).
fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 1.0;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_from_the_base_up_to_the_cap() {
        let backoff = Backoff::default();
        assert_eq!(backoff.ceiling(0), Duration::from_millis(200));
        assert_eq!(backoff.ceiling(1), Duration::from_millis(400));
        assert_eq!(backoff.ceiling(5), Duration::from_millis(6400));
        assert_eq!(backoff.ceiling(6), Duration::from_secs(10));
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn half_jittered_delays_stay_in_the_upper_half_of_the_ceiling() {
        let window = Backoff::RATE_LIMIT_WINDOW;
        for attempt in 0..8 {
            let ceiling = window.ceiling(attempt);
            for _ in 0..32 {
                let delay = window.half_jittered_delay(attempt);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{delay:?} for ceiling {ceiling:?}"
                );
            }
        }
        assert_eq!(window.ceiling(5), Duration::from_secs(60));
    }

    #[test]
    fn delays_are_jittered_within_the_ceiling() {
        let backoff = Backoff::default();
        let delays: Vec<Duration> = (0..64).map(|_| backoff.delay(3)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(1600)));
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(distinct.len() > 32, "jitter should spread the delays: {delays:?}");
    }
}
