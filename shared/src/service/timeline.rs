//! The snapshot timeline of an org: each snapshot with its status, what it lacks, its object counts and what
//! changed since the snapshot before it, newest first, grouped the way the console shows it (last 24 hours,
//! last 7 days, earlier).
//!
//! FinalizeBackup records the changes and the lacks with the snapshot, so a timeline reads only catalog
//! records. A snapshot written before that was kept has its manifests compared here instead, by hash alone.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time};

use super::ServiceError;
use crate::categories;
use crate::ids::{OrgId, SnapshotId};
use crate::ports::{Catalog, ChangeCounts, JobStatus, Lack, SnapshotRecord};
use crate::snapshot::{AsOf, SnapshotReader, Vault, walk};
use crate::timefmt;

/// Which snapshots a timeline shows: those created in `[since, until]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

impl Window {
    /// Reads `--since`/`--until` as a person writes them: a span back from `now` (`90m`, `24h`, `7d`, `2w`), a
    /// date (`2026-11-01`, the start of that day in UTC) or an RFC 3339 time.
    pub fn parse(since: Option<&str>, until: Option<&str>, now: OffsetDateTime) -> Result<Self, ServiceError> {
        let window = Self {
            since: since.map(|s| parse_moment(s, now)).transpose()?,
            until: until.map(|s| parse_moment(s, now)).transpose()?,
        };
        if let (Some(since), Some(until)) = (window.since, window.until)
            && since > until
        {
            return Err(ServiceError::Invalid(format!(
                "--since ({}) is after --until ({})",
                timefmt::rfc3339(since),
                timefmt::rfc3339(until)
            )));
        }
        Ok(window)
    }

    fn holds(&self, at: OffsetDateTime) -> bool {
        self.since.is_none_or(|s| at >= s) && self.until.is_none_or(|u| at <= u)
    }
}

fn parse_moment(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime, ServiceError> {
    let text = text.trim();
    if let Some(at) = timefmt::parse_rfc3339(text) {
        return Ok(at);
    }
    let day_format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(day) = Date::parse(text, &day_format) {
        return Ok(PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_utc());
    }
    let span = text
        .char_indices()
        .last()
        .and_then(|(at, unit)| {
            let n: i64 = text[..at].parse().ok().filter(|n| *n >= 0)?;
            match unit {
                'm' => Some(Duration::minutes(n)),
                'h' => Some(Duration::hours(n)),
                'd' => Some(Duration::days(n)),
                'w' => Some(Duration::weeks(n)),
                _ => None,
            }
        })
        .ok_or_else(|| {
            ServiceError::Invalid(format!(
                "{text:?} is not a time: write a span back from now (90m, 24h, 7d, 2w), a date (2026-11-01) or an \
                 RFC 3339 time (2026-11-01T08:00:00Z)"
            ))
        })?;
    Ok(now - span)
}

/// Where a snapshot sits on the console's timeline, by its age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Last24Hours,
    Last7Days,
    Earlier,
}

impl Period {
    fn of(created: OffsetDateTime, now: OffsetDateTime) -> Self {
        let age = now - created;
        if age < Duration::hours(24) {
            Period::Last24Hours
        } else if age < Duration::days(7) {
            Period::Last7Days
        } else {
            Period::Earlier
        }
    }

    fn title(self) -> &'static str {
        match self {
            Period::Last24Hours => "Last 24 hours",
            Period::Last7Days => "Last 7 days",
            Period::Earlier => "Earlier",
        }
    }
}

/// What changed since the snapshot before.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Changes {
    /// The org's first snapshot: nothing to compare with.
    First,
    /// Per category with a change, in catalog order.
    Counted { categories: BTreeMap<String, ChangeCounts> },
    /// The manifests could not be compared (one is damaged or gone): `verify` says more.
    NotCounted { reason: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
    pub created_at: String,
    pub period: Period,
    pub status: JobStatus,
    /// The job finished without errors and Okta listed every parent completely. Categories the org's plan or the
    /// app's scopes leave out do not make a snapshot incomplete; they are listed in `lacks` all the same.
    pub complete: bool,
    pub objects: u64,
    pub counts: BTreeMap<String, u64>,
    pub full_refresh: bool,
    pub previous: Option<SnapshotId>,
    pub changes: Changes,
    pub lacks: Vec<Lack>,
    /// Categories carried from an earlier snapshot rather than read by this one (linked-object values between
    /// their reads), with the snapshot that read them and when.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub as_of: BTreeMap<String, AsOf>,
}

/// Snapshots newest first (by org, then time), each with its period.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    pub snapshots: Vec<TimelineEntry>,
}

/// The timeline of `org` (of every org when `None`) within `window`, as of `now`.
pub async fn timeline(
    catalog: &dyn Catalog,
    vault: &Vault,
    org: Option<&OrgId>,
    window: Window,
    now: OffsetDateTime,
) -> Result<Timeline, ServiceError> {
    let mut by_org: BTreeMap<OrgId, Vec<SnapshotRecord>> = BTreeMap::new();
    for record in super::snapshots::list(catalog, org).await? {
        by_org.entry(record.org_id.clone()).or_default().push(record);
    }
    let mut snapshots = Vec::new();
    for records in by_org.values_mut() {
        records.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.snapshot_id.cmp(&b.snapshot_id)));
        for (n, record) in records.iter().enumerate() {
            let Some(created) = timefmt::parse_rfc3339(&record.created_at) else {
                continue;
            };
            if !window.holds(created) {
                continue;
            }
            let before = n.checked_sub(1).map(|b| &records[b]);
            snapshots.push(entry(vault, record, before, Period::of(created, now)).await);
        }
    }
    snapshots.sort_by(|a, b| a.org_id.cmp(&b.org_id).then(b.created_at.cmp(&a.created_at)));
    Ok(Timeline {
        since: window.since.map(timefmt::rfc3339),
        until: window.until.map(timefmt::rfc3339),
        snapshots,
    })
}

async fn entry(
    vault: &Vault,
    record: &SnapshotRecord,
    before: Option<&SnapshotRecord>,
    period: Period,
) -> TimelineEntry {
    // A snapshot records the one its changes count from; older records did not, and the one before in time is it.
    let previous = record
        .previous
        .clone()
        .or_else(|| before.map(|b| b.snapshot_id.clone()));
    let (changes, lacks) = match &record.changes {
        Some(counted) => (counted_changes(counted), record.lacks.clone()),
        None => compare_manifests(vault, record, previous.as_ref()).await,
    };
    let complete = record.status == JobStatus::Completed && lacks.iter().all(|l| l.part.is_none());
    TimelineEntry {
        org_id: record.org_id.clone(),
        snapshot_id: record.snapshot_id.clone(),
        created_at: record.created_at.clone(),
        period,
        status: record.status,
        complete,
        objects: record.counts.values().sum(),
        counts: record.counts.clone(),
        full_refresh: record.full_refresh,
        previous: previous.clone(),
        changes: if previous.is_none() { Changes::First } else { changes },
        lacks,
        as_of: record.as_of.clone(),
    }
}

fn counted_changes(counted: &BTreeMap<String, ChangeCounts>) -> Changes {
    Changes::Counted {
        categories: counted
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .map(|(name, c)| (name.clone(), *c))
            .collect(),
    }
}

/// The changes and lacks of a snapshot whose record does not hold them, from its manifest and the previous one's.
async fn compare_manifests(
    vault: &Vault,
    record: &SnapshotRecord,
    previous: Option<&SnapshotId>,
) -> (Changes, Vec<Lack>) {
    let not_counted = |what: String| Changes::NotCounted { reason: what };
    let after = match SnapshotReader::open(vault.clone(), &record.org_id, &record.snapshot_id).await {
        Ok(reader) => reader,
        Err(e) => {
            return (
                not_counted(format!("its manifest cannot be read: {e}")),
                record.lacks.clone(),
            );
        }
    };
    let lacks = walk::lacks(after.head());
    let Some(id) = previous else {
        return (Changes::First, lacks);
    };
    let before = match SnapshotReader::open(vault.clone(), &record.org_id, id).await {
        Ok(reader) => reader,
        Err(e) => return (not_counted(format!("snapshot {id} cannot be read: {e}")), lacks),
    };
    match walk::count_changes(&before, &after).await {
        Ok(counted) => (counted_changes(&counted), lacks),
        Err(e) => (not_counted(format!("the manifests cannot be compared: {e}")), lacks),
    }
}

impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.snapshots.is_empty() {
            return writeln!(f, "No snapshots{}.", window_words(self));
        }
        let mut org: Option<&OrgId> = None;
        let mut period: Option<Period> = None;
        for s in &self.snapshots {
            if org != Some(&s.org_id) {
                writeln!(f, "{}{}", s.org_id, window_words(self))?;
                org = Some(&s.org_id);
                period = None;
            }
            if period != Some(s.period) {
                writeln!(f, "  {}", s.period.title())?;
                period = Some(s.period);
            }
            write_entry(f, s)?;
        }
        Ok(())
    }
}

fn window_words(t: &Timeline) -> String {
    match (&t.since, &t.until) {
        (None, None) => String::new(),
        (Some(s), None) => format!(" since {s}"),
        (None, Some(u)) => format!(" until {u}"),
        (Some(s), Some(u)) => format!(" from {s} to {u}"),
    }
}

fn write_entry(f: &mut fmt::Formatter<'_>, s: &TimelineEntry) -> fmt::Result {
    let state = if s.complete {
        "complete".to_owned()
    } else {
        format!("{} (incomplete)", s.status)
    };
    writeln!(
        f,
        "    {}  {}  {:>9} objects  {}{}",
        s.created_at,
        s.snapshot_id,
        s.objects,
        state,
        if s.full_refresh { ", full refresh" } else { "" }
    )?;
    match &s.changes {
        Changes::First => writeln!(f, "      first snapshot of the org")?,
        Changes::NotCounted { reason } => writeln!(f, "      changes not counted: {reason}")?,
        Changes::Counted { categories } if categories.is_empty() => writeln!(f, "      no changes")?,
        Changes::Counted { categories: counted } => {
            let words: Vec<String> = categories::in_catalog_order(counted.iter())
                .into_iter()
                .map(|(name, c)| {
                    let mut parts = Vec::new();
                    for (n, sign) in [(c.added, "+"), (c.removed, "-"), (c.changed, "~")] {
                        if n > 0 {
                            parts.push(format!("{sign}{n}"));
                        }
                    }
                    format!("{name} {}", parts.join(" "))
                })
                .collect();
            write_wrapped(f, "      changes: ", &words)?;
        }
    }
    let skipped: Vec<String> = s
        .lacks
        .iter()
        .filter(|l| l.part.is_none())
        .map(|l| l.category.clone())
        .collect();
    if !skipped.is_empty() {
        write_wrapped(f, "      not backed up (plan or scopes): ", &skipped)?;
    }
    for lack in s.lacks.iter().filter(|l| l.part.is_some()) {
        writeln!(
            f,
            "      lacks {} of {}: {}",
            lack.category,
            lack.part.as_deref().unwrap_or_default(),
            lack.reason
        )?;
    }
    for (category, as_of) in &s.as_of {
        writeln!(
            f,
            "      {category} as of {} (snapshot {}): carried, not read again",
            as_of.read_at, as_of.snapshot_id
        )?;
    }
    Ok(())
}

/// `words` after `lead`, comma-separated, wrapped under it at about 110 columns.
fn write_wrapped(f: &mut fmt::Formatter<'_>, lead: &str, words: &[String]) -> fmt::Result {
    let mut line = lead.to_owned();
    for (n, word) in words.iter().enumerate() {
        let piece = if n + 1 < words.len() {
            format!("{word}, ")
        } else {
            word.clone()
        };
        if line.len() + piece.len() > 110 && line.len() > lead.len() {
            writeln!(f, "{}", line.trim_end())?;
            line = " ".repeat(lead.len());
        }
        line.push_str(&piece);
    }
    writeln!(f, "{line}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> OffsetDateTime {
        timefmt::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn since_and_until_read_spans_dates_and_times() {
        let now = at("2026-11-28T12:00:00Z");
        let w = Window::parse(Some("24h"), Some("2026-11-28T11:00:00Z"), now).unwrap();
        assert_eq!(w.since, Some(at("2026-11-27T12:00:00Z")));
        assert_eq!(w.until, Some(at("2026-11-28T11:00:00Z")));
        let w = Window::parse(Some("7d"), None, now).unwrap();
        assert_eq!(w.since, Some(at("2026-11-21T12:00:00Z")));
        let w = Window::parse(Some("2026-11-01"), Some("90m"), now).unwrap();
        assert_eq!(w.since, Some(at("2026-11-01T00:00:00Z")));
        assert_eq!(w.until, Some(at("2026-11-28T10:30:00Z")));
    }

    #[test]
    fn a_window_that_cannot_be_read_or_runs_backwards_is_refused_with_what_to_write() {
        let now = at("2026-11-28T12:00:00Z");
        for bad in ["yesterday", "24", "-3d", "3y", ""] {
            let e = Window::parse(Some(bad), None, now).unwrap_err().to_string();
            assert!(e.contains("is not a time") && e.contains("24h"), "{bad}: {e}");
        }
        let e = Window::parse(Some("1d"), Some("2d"), now).unwrap_err().to_string();
        assert!(e.contains("is after --until"), "{e}");
    }

    #[test]
    fn periods_follow_age() {
        let now = at("2026-11-28T12:00:00Z");
        assert_eq!(Period::of(at("2026-11-27T12:00:01Z"), now), Period::Last24Hours);
        assert_eq!(Period::of(at("2026-11-27T12:00:00Z"), now), Period::Last7Days);
        assert_eq!(Period::of(at("2026-11-21T12:00:01Z"), now), Period::Last7Days);
        assert_eq!(Period::of(at("2026-11-21T12:00:00Z"), now), Period::Earlier);
    }
}
