//! Exponential backoff with full jitter, for Okta 5xx answers and network failures.
//!
//! Full jitter (a uniform delay in `[0, min(cap, base * 2^attempt)]`) keeps many workers that failed
//! together from retrying together.

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
    /// The ceiling of the delay before retry number `attempt` (0 for the first retry).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A random delay in `[0, ceiling(attempt)]`.
    pub fn delay(&self, attempt: u32) -> Duration {
        jitter(self.ceiling(attempt))
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
    fn delays_are_jittered_within_the_ceiling() {
        let backoff = Backoff::default();
        let delays: Vec<Duration> = (0..64).map(|_| backoff.delay(3)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(1600)));
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(distinct.len() > 32, "jitter should spread the delays: {delays:?}");
    }
}
