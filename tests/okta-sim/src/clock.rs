//! Okta timestamps (`2024-05-01T12:00:00.000Z`): formatting, parsing, and the simulator's clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seeded data lies between these instants (2019-01-01 and 2024-12-31, UTC), so a seed gives the same
/// data whatever the wall clock says, and run-time changes are always newer than seeded ones.
pub const SEED_EPOCH_MS: i64 = 1_546_300_800_000;
pub const SEED_END_MS: i64 = 1_735_603_200_000;

/// Formats milliseconds since the Unix epoch the way Okta does: always UTC, always milliseconds.
pub fn format_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// Parses an RFC 3339 timestamp (any offset, optional fraction) to milliseconds since the epoch.
pub fn parse_ms(text: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Re-formats a timestamp into the canonical form, so canonical strings compare correctly as text.
pub fn canonical(text: &str) -> Option<String> {
    parse_ms(text).map(format_ms)
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Hands out strictly increasing timestamps: two changes in the same millisecond still get distinct
/// `lastUpdated` values, so a `lastUpdated gt` incremental read never misses the later one.
#[derive(Debug, Default)]
pub struct SimClock {
    last_ms: AtomicI64,
}

impl SimClock {
    pub fn now_ms(&self) -> i64 {
        let wall = wall_clock_ms();
        let mut prev = self.last_ms.load(Ordering::Relaxed);
        loop {
            let next = wall.max(prev + 1);
            match self
                .last_ms
                .compare_exchange(prev, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(actual) => prev = actual,
            }
        }
    }

    pub fn now(&self) -> String {
        format_ms(self.now_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_okta_and_round_trips() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ms(SEED_EPOCH_MS), "2019-01-01T00:00:00.000Z");
        assert_eq!(format_ms(1_709_251_199_123), "2024-02-29T23:59:59.123Z");
        assert_eq!(parse_ms("2024-02-29T23:59:59.123Z"), Some(1_709_251_199_123));
        assert_eq!(
            canonical("2024-03-01T01:00:00+01:00").as_deref(),
            Some("2024-03-01T00:00:00.000Z")
        );
        assert_eq!(parse_ms("yesterday"), None);
    }

    #[test]
    fn clock_is_strictly_increasing() {
        let clock = SimClock::default();
        let a = clock.now_ms();
        let b = clock.now_ms();
        assert!(b > a);
    }
}
