//! An org's card: what a person checks first about an org (where it is, whether it is backed up and how well,
//! when it runs next), never its secrets.

use std::fmt;

use serde::Serialize;
use time::Duration;

use super::auth_label;
use crate::categories::CATEGORIES;
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{
    AuthKind, BackupSchedule, BackupTrigger, CaptureSettings, Catalog, ConnectivityCheck, JobKind, JobRecord,
    JobStatus, OrgRecord, RetentionPolicy,
};
use crate::service::ServiceError;
use crate::timefmt;

#[derive(Debug, Clone, Serialize)]
pub struct OrgCard {
    pub org_id: OrgId,
    /// The Okta domain (`https://acme.okta.com`).
    pub url: String,
    /// Where its snapshots are kept: the AWS region of the deployment, or the local store.
    pub storage: String,
    pub auth: AuthKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub backup_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// Whether credentials are stored for unattended backups.
    pub credentials_stored: bool,
    /// The app's status: the last live check of the credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_status: Option<ConnectivityCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_scopes: Option<Vec<String>>,
    /// Categories the credentials cannot back up, with why.
    pub unreachable: Vec<UnreachableCategory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<LastBackup>,
    /// When the schedule runs next; `None` when backup is off or the org was deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_run: Option<String>,
    pub schedule: BackupSchedule,
    pub retention: RetentionPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_snapshot: Option<SnapshotId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreachableCategory {
    pub category: String,
    pub scope: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastBackup {
    pub job_id: JobId,
    pub status: JobStatus,
    /// When it finished, or started when it is still running.
    pub at: String,
    pub trigger: BackupTrigger,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The card of `org_id`; `storage` says where this host keeps snapshots.
pub async fn card(catalog: &dyn Catalog, org_id: &OrgId, storage: &str) -> Result<OrgCard, ServiceError> {
    let org = super::get(catalog, org_id).await?;
    let jobs = catalog.list_jobs(org_id, None).await?;
    Ok(build(org, &jobs, storage, timefmt::now()))
}

/// Every org's card, in id order.
pub async fn cards(catalog: &dyn Catalog, storage: &str) -> Result<Vec<OrgCard>, ServiceError> {
    let mut orgs = catalog.list_orgs().await?;
    orgs.sort_by(|a, b| a.org_id.cmp(&b.org_id));
    let now = timefmt::now();
    let mut cards = Vec::with_capacity(orgs.len());
    for org in orgs {
        let jobs = catalog.list_jobs(&org.org_id, None).await?;
        cards.push(build(org, &jobs, storage, now));
    }
    Ok(cards)
}

/// `jobs`: the org's jobs, newest first.
fn build(org: OrgRecord, jobs: &[JobRecord], storage: &str, now: time::OffsetDateTime) -> OrgCard {
    let backups: Vec<&JobRecord> = jobs.iter().filter(|j| j.kind == JobKind::Backup).collect();
    let last_backup = backups.first().map(|job| LastBackup {
        job_id: job.job_id.clone(),
        status: job.status,
        at: job.finished_at.clone().unwrap_or_else(|| job.created_at.clone()),
        trigger: job.trigger,
        error: job.error.clone(),
    });
    let last_scheduled = last_scheduled(jobs);
    let next_run = org
        .is_backed_up()
        .then(|| next_run(&org, last_scheduled, now))
        .flatten()
        .map(timefmt::rfc3339);
    OrgCard {
        unreachable: unreachable_categories(org.last_check.as_ref()),
        org_id: org.org_id,
        url: org.url,
        storage: storage.to_owned(),
        auth: org.auth,
        client_id: org.client_id,
        backup_enabled: org.backup_enabled,
        deleted_at: org.deleted_at,
        credentials_stored: org.sealed_credentials.is_some(),
        app_status: org.last_check,
        granted_scopes: org.granted_scopes,
        last_backup,
        next_run,
        schedule: org.schedule,
        retention: org.retention,
        capture: org.capture,
        last_snapshot: org.last_snapshot,
    }
}

/// When the newest of `jobs` (newest first) that the schedule started began.
fn last_scheduled(jobs: &[JobRecord]) -> Option<time::OffsetDateTime> {
    jobs.iter()
        .find(|j| j.kind == JobKind::Backup && j.trigger == BackupTrigger::Scheduled)
        .and_then(|j| timefmt::parse_rfc3339(&j.created_at))
}

/// Whether the org's scheduled backup is due at `now` (`jobs`: its jobs, newest first): it is backed up, its
/// credentials are stored (an unattended backup needs them), and `every_hours` have passed since its last
/// scheduled backup began (or since it was registered). What `oktavault serve` starts, as EventBridge Scheduler
/// does on AWS.
pub fn scheduled_backup_due(org: &OrgRecord, jobs: &[JobRecord], now: time::OffsetDateTime) -> bool {
    let Some((anchor, every)) = schedule_period(org, last_scheduled(jobs)) else {
        return false;
    };
    org.is_backed_up() && org.sealed_credentials.is_some() && anchor + every <= now
}

/// Where the org's schedule counts from (its last scheduled backup, or its registration) and how often it fires.
fn schedule_period(
    org: &OrgRecord,
    last_scheduled: Option<time::OffsetDateTime>,
) -> Option<(time::OffsetDateTime, Duration)> {
    let anchor = last_scheduled.or_else(|| timefmt::parse_rfc3339(&org.created_at))?;
    Some((anchor, Duration::hours(i64::from(org.schedule.every_hours.max(1)))))
}

/// The schedule fires every `every_hours` from the org's last scheduled backup (or its registration): the first
/// such time after `now`.
fn next_run(
    org: &OrgRecord,
    last_scheduled: Option<time::OffsetDateTime>,
    now: time::OffsetDateTime,
) -> Option<time::OffsetDateTime> {
    let (anchor, every) = schedule_period(org, last_scheduled)?;
    if anchor > now {
        return Some(anchor);
    }
    let periods = ((now - anchor).whole_seconds() / every.whole_seconds()) + 1;
    Some(anchor + every * periods as i32)
}

/// The categories a check's refused scopes leave out.
pub(super) fn unreachable_categories(check: Option<&ConnectivityCheck>) -> Vec<UnreachableCategory> {
    let Some(check) = check else {
        return Vec::new();
    };
    CATEGORIES
        .iter()
        .filter_map(|c| {
            let reason = check.refused_scopes.get(c.scope)?;
            Some(UnreachableCategory {
                category: c.name.to_owned(),
                scope: c.scope.to_owned(),
                reason: reason.clone(),
            })
        })
        .collect()
}

pub(super) fn write_unreachable(f: &mut fmt::Formatter<'_>, unreachable: &[UnreachableCategory]) -> fmt::Result {
    if unreachable.is_empty() {
        return writeln!(f, "Every category can be backed up.");
    }
    writeln!(
        f,
        "{} categories cannot be backed up with these credentials (each snapshot lists them as missing):",
        unreachable.len()
    )?;
    for u in unreachable {
        writeln!(f, "  {:<32} {}: {}", u.category, u.scope, u.reason)?;
    }
    Ok(())
}

impl fmt::Display for OrgCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}  {}", self.org_id, self.url)?;
        writeln!(f, "  storage:      {}", self.storage)?;
        writeln!(
            f,
            "  credentials:  {}{}",
            auth_label(self.auth),
            if self.credentials_stored {
                ", stored sealed"
            } else {
                ", not stored (given per run)"
            }
        )?;
        let backup = match (&self.deleted_at, self.backup_enabled) {
            (Some(at), _) => format!("deleted {at}; snapshots kept per retention"),
            (None, true) => format!("enabled, every {} h", self.schedule.every_hours),
            (None, false) => "disabled".to_owned(),
        };
        writeln!(f, "  backup:       {backup}")?;
        match &self.app_status {
            Some(check) if check.ok => writeln!(f, "  app status:   ok (checked {})", check.at)?,
            Some(check) => writeln!(f, "  app status:   failing since {}: {}", check.at, check.message)?,
            None => writeln!(f, "  app status:   never checked")?,
        }
        match &self.last_backup {
            Some(last) => writeln!(
                f,
                "  last backup:  {} {} ({}, job {}){}",
                last.status,
                last.at,
                trigger_label(last.trigger),
                last.job_id,
                last.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
            )?,
            None => writeln!(f, "  last backup:  none yet")?,
        }
        if let Some(next) = &self.next_run {
            writeln!(f, "  next run:     {next}")?;
        }
        let keep = match (self.retention.days, self.retention.count) {
            (None, None) => "everything".to_owned(),
            (Some(d), None) => format!("{d} days"),
            (None, Some(n)) => format!("the newest {n} scheduled snapshots"),
            (Some(d), Some(n)) => format!("{d} days, at most {n} scheduled snapshots"),
        };
        writeln!(f, "  retention:    {keep}")?;
        if let Some(capture) = &self.capture {
            writeln!(
                f,
                "  capture:      {} (debounce {} s)",
                capture.source_name, capture.debounce_secs
            )?;
        }
        if !self.unreachable.is_empty() {
            write_unreachable(f, &self.unreachable)?;
        }
        Ok(())
    }
}

fn trigger_label(trigger: BackupTrigger) -> &'static str {
    match trigger {
        BackupTrigger::Scheduled => "scheduled",
        BackupTrigger::Manual => "backup now",
        BackupTrigger::Capture => "capture",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::AuthKind;

    fn org(created_at: &str, every_hours: u32) -> OrgRecord {
        OrgRecord {
            schedule: BackupSchedule {
                every_hours,
                ..BackupSchedule::default()
            },
            ..OrgRecord::new(
                OrgId::new("acme.okta.com").unwrap(),
                "https://acme.okta.com".into(),
                AuthKind::ApiToken,
                None,
                created_at.into(),
            )
        }
    }

    fn at(s: &str) -> time::OffsetDateTime {
        timefmt::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn a_scheduled_backup_is_due_every_hours_after_the_last_one_began_for_a_backed_up_org_with_credentials() {
        let mut org = org("2026-01-01T00:00:00Z", 6);
        let due = |org: &OrgRecord, jobs: &[JobRecord], now: &str| scheduled_backup_due(org, jobs, at(now));
        assert!(!due(&org, &[], "2026-01-01T07:00:00Z"), "no credentials stored");
        org.sealed_credentials = Some("sealed".into());
        assert!(!due(&org, &[], "2026-01-01T05:59:59Z"));
        assert!(due(&org, &[], "2026-01-01T06:00:00Z"), "six hours after registration");
        let mut job = JobRecord::new(
            JobId::new("job-1").unwrap(),
            org.org_id.clone(),
            JobKind::Backup,
            "2026-01-01T06:00:30Z".into(),
        );
        job.trigger = BackupTrigger::Scheduled;
        assert!(!due(&org, &[job.clone()], "2026-01-01T12:00:00Z"));
        assert!(due(&org, &[job.clone()], "2026-01-01T12:00:30Z"));
        job.trigger = BackupTrigger::Manual;
        assert!(
            due(&org, &[job], "2026-01-01T12:00:00Z"),
            "a manual backup does not move the schedule"
        );
        org.backup_enabled = false;
        assert!(!due(&org, &[], "2026-01-02T00:00:00Z"), "backup off");
    }

    #[test]
    fn the_next_run_is_the_first_period_after_now_from_the_last_scheduled_backup() {
        let org = org("2026-01-01T00:00:00Z", 6);
        let now = at("2026-01-02T13:00:00Z");
        assert_eq!(
            next_run(&org, None, now),
            Some(at("2026-01-02T18:00:00Z")),
            "from registration"
        );
        let last = Some(at("2026-01-02T10:30:00Z"));
        assert_eq!(next_run(&org, last, now), Some(at("2026-01-02T16:30:00Z")));
        let daily = org_daily();
        assert_eq!(next_run(&daily, None, now), Some(at("2026-01-03T00:00:00Z")));
    }

    fn org_daily() -> OrgRecord {
        org("2026-01-01T00:00:00Z", 24)
    }

    #[test]
    fn a_refused_scope_lists_every_category_it_leaves_out() {
        let check = ConnectivityCheck {
            at: "2026-01-01T00:00:00Z".into(),
            ok: true,
            message: String::new(),
            refused_scopes: [("okta.logs.read".to_owned(), "not granted to the OAuth app".to_owned())].into(),
        };
        let unreachable = unreachable_categories(Some(&check));
        assert!(
            unreachable.iter().any(|u| u.category == "system_log"),
            "{unreachable:?}"
        );
        assert!(unreachable.iter().all(|u| u.scope == "okta.logs.read"));
    }
}
