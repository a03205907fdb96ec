//! Each org's backup schedule. On AWS an EventBridge Scheduler schedule per org starts the backup state machine;
//! embedded, the org record is the schedule (whoever runs due backups reads it). Either way the schedule follows
//! the record: made when the org is authorized, changed with its settings, disabled while backup is off, removed
//! when the org is deleted.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::OrgRecord;
use crate::ids::OrgId;

#[derive(Debug, thiserror::Error)]
#[error("the backup schedule of org {org}: {message}")]
pub struct ScheduleError {
    pub org: OrgId,
    pub message: String,
    pub retryable: bool,
}

/// A schedule as the scheduler holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleState {
    /// The scheduler's name for it (`org-acme.okta.com`), or `embedded`.
    pub name: String,
    /// `rate(24 hours)`.
    pub expression: String,
    pub enabled: bool,
}

#[async_trait]
pub trait Schedules: Send + Sync + 'static {
    /// Makes the org's schedule match its record: every `schedule.every_hours` hours, enabled only while the org
    /// is backed up; none once the org is deleted. Idempotent: calling it again with the same record changes
    /// nothing. Answers the schedule now held, `None` when there is none.
    async fn sync(&self, org: &OrgRecord) -> Result<Option<ScheduleState>, ScheduleError>;

    /// Starts the org's backup once, at `at`, with `input` (a capture at the end of its debounce window), under
    /// `name`. A schedule of that name already made is left as it is: scheduling a window twice starts one backup.
    async fn once(&self, org: &OrgId, name: &str, at: OffsetDateTime, input: Value) -> Result<(), ScheduleError>;
}

/// The schedule expression of `every_hours`: `rate(1 hour)` or `rate(N hours)`.
pub fn rate_expression(every_hours: u32) -> String {
    match every_hours {
        1 => "rate(1 hour)".to_owned(),
        n => format!("rate({n} hours)"),
    }
}

/// The embedded host's schedules: the org record itself, which `oktavault serve` acts on
/// (`api::schedules`), or cron running `oktavault backup`. Nothing else is kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordSchedules;

#[async_trait]
impl Schedules for RecordSchedules {
    async fn sync(&self, org: &OrgRecord) -> Result<Option<ScheduleState>, ScheduleError> {
        Ok(org.deleted_at.is_none().then(|| ScheduleState {
            name: "embedded".to_owned(),
            expression: rate_expression(org.schedule.every_hours),
            enabled: org.is_backed_up(),
        }))
    }

    async fn once(&self, org: &OrgId, _name: &str, _at: OffsetDateTime, _input: Value) -> Result<(), ScheduleError> {
        Err(ScheduleError {
            org: org.clone(),
            message: "the embedded host runs no captures (they come from an Okta log stream on AWS); its scheduled \
                      backups still run"
                .to_owned(),
            retryable: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hourly_rate_is_singular() {
        assert_eq!(rate_expression(1), "rate(1 hour)");
        assert_eq!(rate_expression(24), "rate(24 hours)");
    }
}
