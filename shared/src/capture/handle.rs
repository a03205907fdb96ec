//! The capture function's work on a batch of EventBridge events from Okta log streams: each admin change is
//! recorded as pending for its org, and one capture is scheduled at the end of the org's debounce window (a
//! window already scheduled is not scheduled again). Events of an unknown source, of an org no longer backed up,
//! or that change nothing oktavault keeps are counted and said why, never an error: EventBridge would only retry
//! them.

use std::fmt;

use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{events, pending};
use crate::ids::OrgId;
use crate::ports::{BlobStore, Catalog, OrgRecord, Schedules};
use crate::service::ServiceError;
use crate::timefmt;

/// The shortest debounce window: EventBridge Scheduler fires to the minute.
const MIN_DEBOUNCE_SECS: i64 = 60;

#[derive(Debug, Clone, Default, Serialize)]
pub struct CaptureReport {
    pub events: usize,
    /// Admin changes recorded as pending.
    pub recorded: usize,
    /// Events already recorded (EventBridge delivers at least once).
    pub repeated: usize,
    /// Events left alone, each with why.
    pub ignored: Vec<String>,
    /// Captures scheduled (or already scheduled): org and when.
    pub captures: Vec<(OrgId, String)>,
}

impl fmt::Display for CaptureReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} events: {} changes recorded, {} repeated, {} ignored.",
            self.events,
            self.recorded,
            self.repeated,
            self.ignored.len()
        )?;
        for (org, at) in &self.captures {
            writeln!(f, "  capture of {org} at {at}")?;
        }
        for why in &self.ignored {
            writeln!(f, "  ignored: {why}")?;
        }
        Ok(())
    }
}

/// Handles `batch`: one EventBridge event, or an array of them.
pub async fn handle(
    catalog: &dyn Catalog,
    blobs: &dyn BlobStore,
    schedules: &dyn Schedules,
    batch: &Value,
    now: OffsetDateTime,
) -> Result<CaptureReport, ServiceError> {
    let batch: Vec<&Value> = match batch {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    let orgs = catalog.list_orgs().await?;
    let mut report = CaptureReport {
        events: batch.len(),
        ..CaptureReport::default()
    };
    for event in batch {
        let Some(org) = org_of(&orgs, event) else {
            report.ignored.push(format!(
                "event from {:?}: no org captures from this source",
                event["source"].as_str().unwrap_or("no source")
            ));
            continue;
        };
        if !org.is_backed_up() {
            report
                .ignored
                .push(format!("event for {}: the org is not backed up", org.org_id));
            continue;
        }
        let detail = &event["detail"];
        let event_type = detail["eventType"].as_str().unwrap_or_default();
        let touched = events::touched_categories(detail);
        if touched.is_empty() {
            report
                .ignored
                .push(format!("{event_type}: changes nothing oktavault keeps"));
            continue;
        }
        let Some(uuid) = detail["uuid"]
            .as_str()
            .filter(|u| pending::key(&org.org_id, u).is_some())
        else {
            report
                .ignored
                .push(format!("{event_type}: the event has no usable uuid"));
            continue;
        };
        let change = pending::PendingChange {
            event_type: event_type.to_owned(),
            published: detail["published"].as_str().unwrap_or_default().to_owned(),
            categories: touched.iter().map(|c| c.to_string()).collect(),
        };
        if !pending::record(blobs, &org.org_id, uuid, &change)
            .await
            .map_err(|e| ServiceError::Invalid(e.to_string()))?
        {
            report.repeated += 1;
            continue;
        }
        report.recorded += 1;
        let at = window_end(org, now);
        schedules
            .once(
                &org.org_id,
                &capture_name(&org.org_id, at),
                at,
                capture_input(&org.org_id),
            )
            .await?;
        let at = timefmt::rfc3339(at);
        if !report.captures.iter().any(|(o, a)| *o == org.org_id && *a == at) {
            report.captures.push((org.org_id.clone(), at));
        }
    }
    Ok(report)
}

/// The backup state machine's input for a capture of `org`.
pub fn capture_input(org: &OrgId) -> Value {
    json!({"org_id": org, "trigger": "capture"})
}

fn org_of<'a>(orgs: &'a [OrgRecord], event: &Value) -> Option<&'a OrgRecord> {
    let source = event["source"].as_str()?;
    orgs.iter()
        .find(|o| o.capture.as_ref().is_some_and(|c| c.source_name == source))
}

/// The end of the debounce window `now` falls in: every change of one window is taken by one capture.
fn window_end(org: &OrgRecord, now: OffsetDateTime) -> OffsetDateTime {
    let window = org
        .capture
        .as_ref()
        .map_or(300, |c| i64::from(c.debounce_secs))
        .max(MIN_DEBOUNCE_SECS);
    let t = now.unix_timestamp();
    OffsetDateTime::from_unix_timestamp((t / window + 1) * window).expect("a window end is a valid time")
}

/// One name per org and window, so scheduling a window again changes nothing.
fn capture_name(org: &OrgId, at: OffsetDateTime) -> String {
    format!("capture-{}-{}", at.unix_timestamp(), org)
}

#[cfg(test)]
mod tests;
