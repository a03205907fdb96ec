//! The span of System Log events a backup job covers, and reading the log inside it.
//!
//! A job's window runs from the previous snapshot's job start (inclusive) to its own job start
//! (exclusive): consecutive snapshots' windows meet without a gap or an overlap, so each event is
//! kept by exactly one snapshot. A first snapshot (or one after a snapshot that did not keep the
//! log) reaches back [`FIRST_LOOKBACK_DAYS`] days, Okta's default `since`.

use std::collections::BTreeSet;

use time::{Duration, OffsetDateTime};

use crate::okta::{OktaClient, OktaError};
use crate::ports::JobRecord;
use crate::timefmt;
use crate::workflow::{StepContext, StepError};

pub const FIRST_LOOKBACK_DAYS: i64 = 7;

/// How much earlier than the previous snapshot's start the log is read to decide what to carry:
/// Okta may make an event readable a little after its `published` time, and an assignment change
/// whose event arrived late must still be seen by the next job. Reading further back only lists a
/// few more parents again.
pub const LATE_EVENT_MARGIN_MINUTES: i64 = 10;

/// Okta's largest System Log page.
const LOG_PAGE: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogWindow {
    /// Inclusive lower bound, `2026-11-23T11:50:00.123Z` (Okta's millisecond form).
    pub since: String,
    /// Exclusive upper bound.
    pub until: String,
}

impl LogWindow {
    /// The window of a job that started at `job_start`, after a snapshot whose job started at
    /// `previous_start` (both RFC 3339, as the catalog records them). `None` if either is unreadable.
    pub fn between(previous_start: Option<&str>, job_start: &str) -> Option<LogWindow> {
        let until = truncate_ms(timefmt::parse_rfc3339(job_start)?);
        let since = match previous_start {
            Some(start) => truncate_ms(timefmt::parse_rfc3339(start)?),
            None => until - Duration::days(FIRST_LOOKBACK_DAYS),
        };
        Some(LogWindow {
            since: okta_time(since),
            until: okta_time(until),
        })
    }

    /// The same window starting `minutes` earlier.
    pub fn reaching_back(&self, minutes: i64) -> LogWindow {
        let since = timefmt::parse_rfc3339(&self.since).expect("a window's bounds are written by `between`");
        LogWindow {
            since: okta_time(since - Duration::minutes(minutes)),
            until: self.until.clone(),
        }
    }

    /// A bounded, oldest-first query of `path` for this window, limited to `event_types` if any
    /// (`eventType eq "a" or eventType eq "b"`).
    pub fn query(&self, path: &str, event_types: &[&str]) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("since", &self.since);
        query.append_pair("until", &self.until);
        query.append_pair("sortOrder", "ASCENDING");
        if !event_types.is_empty() {
            let filter: Vec<String> = event_types.iter().map(|t| format!("eventType eq \"{t}\"")).collect();
            query.append_pair("filter", &filter.join(" or "));
        }
        format!("{path}?{}", query.finish())
    }

    /// Whether an event `published` at this time belongs to the window.
    pub fn contains(&self, published: &str) -> bool {
        let at = |text: &str| timefmt::parse_rfc3339(text);
        match (at(published), at(&self.since), at(&self.until)) {
            (Some(p), Some(since), Some(until)) => since <= p && p < until,
            _ => false,
        }
    }
}

fn truncate_ms(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.nanosecond();
    t - Duration::nanoseconds(i64::from(nanos % 1_000_000))
}

/// `2026-11-23T11:50:00.123Z`.
fn okta_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// When the job that wrote the previous snapshot started, if there is a previous snapshot.
pub(crate) async fn previous_start(ctx: &StepContext, job: &JobRecord) -> Result<Option<String>, StepError> {
    let Some(previous) = &job.previous_snapshot else {
        return Ok(None);
    };
    let record = ctx.catalog.get_snapshot(&job.org_id, previous).await?.ok_or_else(|| {
        StepError::fatal(format!(
            "job {}: its previous snapshot {previous} is no longer in the catalog",
            job.job_id
        ))
    })?;
    Ok(Some(record.created_at))
}

/// Every `(event type, target type, target id)` that events of `event_types` inside `window` name, read page by
/// page with one query. The read stops on an empty page even when Okta links a next one (a log query can always
/// link on).
pub(crate) async fn logged_events(
    client: &OktaClient,
    window: &LogWindow,
    event_types: &[&str],
) -> Result<BTreeSet<(String, String, String)>, OktaError> {
    let mut targets = BTreeSet::new();
    let mut url = window.query("/api/v1/logs", event_types);
    let mut limit = Some(LOG_PAGE);
    loop {
        let page = client.get_page(&url, limit).await?;
        let empty = page.items.is_empty();
        for event in &page.items {
            let Some(event_type) = event["eventType"].as_str() else {
                continue;
            };
            for target in event["target"].as_array().into_iter().flatten() {
                if let (Some(kind), Some(id)) = (target["type"].as_str(), target["id"].as_str()) {
                    targets.insert((event_type.to_owned(), kind.to_owned(), id.to_owned()));
                }
            }
        }
        match page.next {
            Some(next) if !empty => {
                url = next;
                limit = None;
            }
            _ => return Ok(targets),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_windows_meet_without_a_gap_or_an_overlap() {
        let first = LogWindow::between(None, "2026-11-23T10:00:00.123456789Z").unwrap();
        assert_eq!(first.since, "2026-11-16T10:00:00.123Z");
        assert_eq!(first.until, "2026-11-23T10:00:00.123Z");
        let second = LogWindow::between(Some("2026-11-23T10:00:00.123456789Z"), "2026-11-23T11:00:00Z").unwrap();
        assert_eq!(second.since, first.until);
        assert!(first.contains("2026-11-23T10:00:00.122Z"));
        assert!(!first.contains("2026-11-23T10:00:00.123Z"));
        assert!(second.contains("2026-11-23T10:00:00.123Z"));
        assert!(!second.contains("not a time"));
        assert_eq!(LogWindow::between(None, "yesterday"), None);
        assert_eq!(second.reaching_back(10).since, "2026-11-23T09:50:00.123Z");
    }

    #[test]
    fn a_query_is_bounded_oldest_first_and_filters_by_event_type() {
        let window = LogWindow::between(None, "2026-11-23T10:00:00Z").unwrap();
        let query = window.query("/api/v1/logs", &["a.b", "c.d"]);
        assert_eq!(
            query,
            "/api/v1/logs?since=2026-11-16T10%3A00%3A00.000Z&until=2026-11-23T10%3A00%3A00.000Z&sortOrder=ASCENDING\
             &filter=eventType+eq+%22a.b%22+or+eventType+eq+%22c.d%22"
        );
        assert!(!window.query("/api/v1/logs", &[]).contains("filter"));
    }
}
