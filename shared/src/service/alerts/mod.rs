//! When oktavault raises an alert, and what it says: a job that failed or completed with errors, a backup that
//! missed its schedule, a snapshot that removed a large share of an org. The rules are pure functions; the
//! workflow steps send the job alerts as jobs end, and [`check_backups`] (run hourly) the stale ones.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::ServiceError;
use crate::ports::{Alert, AlertKind, Alerts, Catalog, JobRecord, JobStatus, OrgRecord, SnapshotRecord};
use crate::timefmt;

/// The categories whose removals count toward a mass change: the people, the groups, and who may use which app.
pub const MASS_CHANGE_CATEGORIES: &[&str] = &["users", "groups", "app_users", "app_groups"];

/// The alert a finished job calls for: none when it completed cleanly (or is still running).
pub fn job_ended(job: &JobRecord) -> Option<Alert> {
    let kind = match job.status {
        JobStatus::Failed => AlertKind::JobFailed,
        JobStatus::CompletedWithErrors => AlertKind::JobCompletedWithErrors,
        _ => return None,
    };
    let what = job.kind.as_str();
    let why = job.error.as_deref().unwrap_or("the job log says why");
    Some(Alert {
        kind,
        org_id: job.org_id.clone(),
        subject: format!("oktavault: {what} of {} {}", job.org_id, job.status),
        message: format!(
            "The {what} job {} of {} ended {}: {why}. See its per-object log: `oktavault job {}` or GET /v1/jobs/{}/log.",
            job.job_id, job.org_id, job.status, job.job_id, job.job_id
        ),
        at: job
            .finished_at
            .clone()
            .unwrap_or_else(|| timefmt::rfc3339(timefmt::now())),
        job_id: Some(job.job_id.clone()),
        snapshot_id: job.snapshot_id.clone(),
    })
}

/// The mass-change alert `snapshot` calls for: more than the org's threshold of users, groups or app assignments
/// removed since the snapshot before it, whose counts are `previous_counts`.
pub fn mass_change(
    org: &OrgRecord,
    snapshot: &SnapshotRecord,
    previous_counts: &BTreeMap<String, u64>,
) -> Option<Alert> {
    let changes = snapshot.changes.as_ref()?;
    let threshold = org.alerts.mass_change_percent;
    let over: Vec<String> = MASS_CHANGE_CATEGORIES
        .iter()
        .filter_map(|category| {
            let removed = changes.get(*category)?.removed;
            let before = *previous_counts.get(*category)?;
            let percent = share(removed, before)?;
            (percent > threshold).then(|| format!("{category}: {removed} of {before} removed ({percent:.1}%)"))
        })
        .collect();
    if over.is_empty() {
        return None;
    }
    Some(Alert {
        kind: AlertKind::MassChange,
        org_id: org.org_id.clone(),
        subject: format!("oktavault: mass change in {}", org.org_id),
        message: format!(
            "Snapshot {} of {} removed more than {threshold}% since the snapshot before it: {}. If this was not \
             meant, restore from the snapshot before it (`oktavault restore --snapshot {} ...`; a dry run shows the \
             plan first).",
            snapshot.snapshot_id,
            org.org_id,
            over.join("; "),
            snapshot
                .previous
                .as_ref()
                .map_or("PREVIOUS".to_owned(), |p| p.to_string()),
        ),
        at: snapshot.created_at.clone(),
        job_id: Some(snapshot.job_id.clone()),
        snapshot_id: Some(snapshot.snapshot_id.clone()),
    })
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// The stale-backup alert for `org` at `now`, when its newest complete snapshot is older than its schedule plus
/// its grace period. Raised once per episode: only when the deadline passed within the last `period` (how often
/// the check runs), so an hourly check does not repeat it every hour.
pub fn stale(
    org: &OrgRecord,
    newest_complete: Option<&SnapshotRecord>,
    now: OffsetDateTime,
    period: Duration,
) -> Option<Alert> {
    if !org.is_backed_up() {
        return None;
    }
    let since = match newest_complete {
        Some(s) => timefmt::parse_rfc3339(&s.created_at)?,
        None => timefmt::parse_rfc3339(&org.created_at)?,
    };
    let deadline = since
        + Duration::hours(i64::from(org.schedule.every_hours))
        + Duration::hours(i64::from(org.alerts.stale_after_hours));
    if !(deadline <= now && now - deadline < period) {
        return None;
    }
    let last = newest_complete.map_or_else(
        || "it has no complete snapshot yet".to_owned(),
        |s| {
            format!(
                "its newest complete snapshot is {} from {}",
                s.snapshot_id, s.created_at
            )
        },
    );
    Some(Alert {
        kind: AlertKind::BackupStale,
        org_id: org.org_id.clone(),
        subject: format!("oktavault: backups of {} are stale", org.org_id),
        message: format!(
            "{} is backed up every {} h, but {last}. Check its last jobs (`oktavault jobs --org {}`) and its app's \
             status (`oktavault org show {}`).",
            org.org_id, org.schedule.every_hours, org.org_id, org.org_id
        ),
        at: timefmt::rfc3339(now),
        job_id: None,
        snapshot_id: newest_complete.map(|s| s.snapshot_id.clone()),
    })
}

/// What one run of [`check_backups`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BackupCheck {
    pub orgs_checked: usize,
    pub alerts: Vec<Alert>,
    /// Alerts that could not be sent, with why.
    pub unsent: Vec<String>,
}

impl fmt::Display for BackupCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Checked {} orgs; {} stale.", self.orgs_checked, self.alerts.len())?;
        for alert in &self.alerts {
            writeln!(f, "  {}", alert.subject)?;
        }
        for unsent in &self.unsent {
            writeln!(f, "  not sent: {unsent}")?;
        }
        Ok(())
    }
}

/// Checks every backed-up org for a stale backup and sends the alerts; `period` is how often this runs.
pub async fn check_backups(
    catalog: &dyn Catalog,
    alerts: &dyn Alerts,
    now: OffsetDateTime,
    period: Duration,
) -> Result<BackupCheck, ServiceError> {
    let mut check = BackupCheck::default();
    for org in catalog.list_orgs().await? {
        if !org.is_backed_up() {
            continue;
        }
        check.orgs_checked += 1;
        let snapshots = catalog.list_snapshots(&org.org_id).await?;
        let newest_complete = snapshots.iter().rev().find(|s| s.status == JobStatus::Completed);
        if let Some(alert) = stale(&org, newest_complete, now, period) {
            if let Err(e) = alerts.send(&alert).await {
                check.unsent.push(e.to_string());
            }
            check.alerts.push(alert);
        }
    }
    Ok(check)
}

#[cfg(test)]
mod tests;
