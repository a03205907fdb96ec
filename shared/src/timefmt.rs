//! Time formats used in records and ids.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `2026-11-23T11:50:00Z`-style RFC 3339 text, as stored in records.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .expect("RFC 3339 formats every UTC time")
}

/// Parses RFC 3339 text (Okta's `lastUpdated` and our own records).
pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// `20261123T115000Z`: sortable, and safe inside ids and keys.
pub fn compact(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Milliseconds since the Unix epoch: how leases keep time, comparable by DynamoDB conditions.
pub fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn now_millis() -> i64 {
    millis(now())
}

/// RFC 3339 text of a millisecond timestamp (the epoch itself for one out of range).
pub fn rfc3339_from_millis(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    rfc3339(t)
}
