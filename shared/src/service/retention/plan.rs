//! Which snapshots of an org retention deletes, and why each is kept or goes (docs/retention.md).

use std::fmt;

use serde::Serialize;
use time::OffsetDateTime;

use super::in_use::{InUse, active_jobs};
use crate::ids::{OrgId, SnapshotId};
use crate::ports::{BackupTrigger, Catalog, OrgRecord, RetentionPolicy, SnapshotRecord};
use crate::service::ServiceError;
use crate::timefmt;

const SECONDS_PER_DAY: i64 = 86_400;

/// What retention does to one org now: the snapshots that expire and those kept, each with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionPlan {
    pub org_id: OrgId,
    pub policy: RetentionPolicy,
    /// Whether the org is still backed up (enabled and not deleted): its newest snapshot is then always kept.
    pub backed_up: bool,
    /// When the org was deleted, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// The time the plan was made for (RFC 3339).
    pub at: String,
    /// Newest first.
    pub expire: Vec<PlannedSnapshot>,
    /// Newest first.
    pub keep: Vec<PlannedSnapshot>,
    /// No snapshot remains, the org is no longer backed up and no job works on it: the rest of its blobs (the
    /// search index, work documents) go too.
    pub purge: bool,
    /// Why the rest of the blobs of an org that is no longer backed up stay, when they do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge_held: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedSnapshot {
    pub snapshot_id: SnapshotId,
    pub created_at: String,
    pub trigger: BackupTrigger,
    pub reason: String,
}

/// The plan for `org` at `now`, from the catalog's snapshots of it and every org's active jobs.
pub async fn plan(catalog: &dyn Catalog, org: &OrgId, now: OffsetDateTime) -> Result<RetentionPlan, ServiceError> {
    let record = catalog
        .get_org(org)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no org {org} in the catalog")))?;
    let snapshots = catalog.list_snapshots(org).await?;
    let in_use = InUse::of(org, &active_jobs(catalog).await?);
    Ok(decide(&record, &snapshots, &in_use, now))
}

/// The rules, on what [`plan`] read. A snapshot expires when it is older than the policy's `days`, or, if it is
/// a scheduled or manual one, when `count` newer scheduled or manual snapshots exist (captures go by age only).
/// Whatever the policy says, a snapshot a job reads or builds on is kept, and so is the newest snapshot of an
/// org that is still backed up (its next backup deduplicates against it).
pub fn decide(org: &OrgRecord, snapshots: &[SnapshotRecord], in_use: &InUse, now: OffsetDateTime) -> RetentionPlan {
    let policy = org.retention;
    let backed_up = org.is_backed_up();
    let mut newest_first: Vec<&SnapshotRecord> = snapshots.iter().collect();
    newest_first.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.snapshot_id.cmp(&a.snapshot_id)));
    let newest = newest_first.first().map(|s| s.snapshot_id.clone());

    let mut plan = RetentionPlan {
        org_id: org.org_id.clone(),
        policy,
        backed_up,
        deleted_at: org.deleted_at.clone(),
        at: timefmt::rfc3339(now),
        expire: Vec::new(),
        keep: Vec::new(),
        purge: false,
        purge_held: None,
    };
    let mut counted = 0u32;
    for snapshot in newest_first {
        let counts = snapshot.trigger != BackupTrigger::Capture;
        if counts {
            counted += 1;
        }
        let verdict = if let Some(why) = in_use.snapshots.get(&snapshot.snapshot_id) {
            Verdict::Keep(why.clone())
        } else if backed_up && Some(&snapshot.snapshot_id) == newest.as_ref() {
            Verdict::Keep("the newest snapshot of an org that is still backed up".to_owned())
        } else if backed_up && org.last_snapshot.as_ref() == Some(&snapshot.snapshot_id) {
            Verdict::Keep("the org's last snapshot, which its next backup builds on".to_owned())
        } else {
            by_policy(policy, snapshot, counts.then_some(counted), now)
        };
        let planned = |reason: String| PlannedSnapshot {
            snapshot_id: snapshot.snapshot_id.clone(),
            created_at: snapshot.created_at.clone(),
            trigger: snapshot.trigger,
            reason,
        };
        match verdict {
            Verdict::Keep(reason) => plan.keep.push(planned(reason)),
            Verdict::Expire(reason) => plan.expire.push(planned(reason)),
        }
    }
    if !backed_up && plan.keep.is_empty() {
        match in_use.jobs.first() {
            Some(job) => plan.purge_held = Some(format!("{job} works on the org")),
            None => plan.purge = true,
        }
    }
    plan
}

enum Verdict {
    Keep(String),
    Expire(String),
}

/// The policy's verdict on one snapshot; `rank` is its place among the org's scheduled and manual snapshots,
/// newest first from 1 (none for a capture).
fn by_policy(policy: RetentionPolicy, snapshot: &SnapshotRecord, rank: Option<u32>, now: OffsetDateTime) -> Verdict {
    let mut kept_because = Vec::new();
    if let Some(days) = policy.days {
        let Some(created) = timefmt::parse_rfc3339(&snapshot.created_at) else {
            return Verdict::Keep(format!(
                "its creation time {:?} is not an RFC 3339 time, so its age is unknown",
                snapshot.created_at
            ));
        };
        if (now - created).whole_seconds() > i64::from(days) * SECONDS_PER_DAY {
            return Verdict::Expire(format!("older than {days} days"));
        }
        kept_because.push(format!("within {days} days"));
    }
    match (policy.count, rank) {
        (Some(count), Some(rank)) if rank > count => {
            return Verdict::Expire(format!("beyond the newest {count} scheduled and manual snapshots"));
        }
        (Some(count), Some(_)) => {
            kept_because.push(format!("one of the newest {count} scheduled and manual snapshots"))
        }
        (Some(_), None) => kept_because.push("a capture, which is kept by age only".to_owned()),
        (None, _) => {}
    }
    if kept_because.is_empty() {
        kept_because.push("the policy keeps every snapshot".to_owned());
    }
    Verdict::Keep(kept_because.join("; "))
}

impl fmt::Display for RetentionPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.org_id, describe(self.policy))?;
        match (&self.deleted_at, self.backed_up) {
            (Some(at), _) => write!(f, " (org deleted {at})")?,
            (None, false) => write!(f, " (backup disabled)")?,
            (None, true) => {}
        }
        writeln!(f)?;
        if self.expire.is_empty() && self.keep.is_empty() {
            writeln!(f, "  no snapshots")?;
        }
        for (label, list) in [("delete", &self.expire), ("keep", &self.keep)] {
            for s in list {
                writeln!(
                    f,
                    "  {label:<6} {}  {}  {:<9}  {}",
                    s.snapshot_id,
                    s.created_at,
                    trigger_name(s.trigger),
                    s.reason
                )?;
            }
        }
        if self.purge {
            writeln!(
                f,
                "  then the org's remaining blobs (search index, work documents) are deleted: no snapshot remains"
            )?;
        }
        if let Some(why) = &self.purge_held {
            writeln!(f, "  the org's remaining blobs stay for now: {why}")?;
        }
        Ok(())
    }
}

/// A policy in words: `snapshots kept 30 days and the newest 10 scheduled and manual ones`.
pub fn describe(policy: RetentionPolicy) -> String {
    match (policy.days, policy.count) {
        (None, None) => "every snapshot is kept".to_owned(),
        (Some(days), None) => format!("snapshots are kept {days} days"),
        (None, Some(count)) => {
            format!("the newest {count} scheduled and manual snapshots are kept, and every capture")
        }
        (Some(days), Some(count)) => {
            format!("snapshots are kept {days} days, and at most the newest {count} scheduled and manual ones")
        }
    }
}

pub(super) fn trigger_name(trigger: BackupTrigger) -> &'static str {
    match trigger {
        BackupTrigger::Scheduled => "scheduled",
        BackupTrigger::Manual => "manual",
        BackupTrigger::Capture => "capture",
    }
}
