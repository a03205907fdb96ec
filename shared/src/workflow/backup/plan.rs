//! PlanBackup: decides which job a backup of an org runs (the org's interrupted job, its job that failed for
//! a transient cause, or a new one), takes that job's lease for the runner, proves the credentials work, and
//! answers with the stages of categories to back up.
//!
//! The host asks only for "a backup of this org"; which job that is is decided here, once, for the command line,
//! the scheduler and the HTTP API alike:
//! - a Running job whose runner stopped (its lease expired, or its process ended) is continued;
//! - else the org's newest job, if it Failed for a transient cause less than [`RESUMABLE_FOR`] ago, is reopened
//!   and continued from its saved positions (an outage, a timeout, revoked credentials lose no work);
//! - else a new job starts. Jobs that can no longer be continued lose their work documents then.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use time::Duration;

use super::work;
use crate::capture::pending;
use crate::categories::{self, Category};
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{BackupTrigger, JobKind, JobRecord, JobStatus, OrgRecord, SnapshotRecord};
use crate::timefmt;
use crate::workflow::job::{job_log, reopen};
use crate::workflow::{StepContext, StepError, lease};

/// What a host asks for: a backup of an org.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupRequest {
    pub org_id: OrgId,
    /// Continue this job (a continuation execution names the job it continues); otherwise PlanBackup decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    /// Only these categories (all when absent). A continued job keeps the selection it started with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// List everything again even if a full refresh is not due.
    #[serde(default)]
    pub full_refresh: bool,
    /// At most this many BackupPage calls per category in one execution (fewer than the history limit allows:
    /// to make executions short, and to test continuations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
    /// What started the backup: the schedule (the default, so a schedule's input needs no field), a person, or a
    /// capture of admin changes.
    #[serde(default)]
    pub trigger: BackupTrigger,
    /// The id a new job takes, chosen by a host that answers with the job before the workflow runs (the HTTP
    /// API). Unused when the backup continues a job ([`continued_job`] says which); a random id otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_job_id: Option<JobId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanInput {
    pub request: BackupRequest,
    /// The runner that will hold the job's lease (the execution's name).
    pub owner: String,
}

/// A backup lists every parent's children again, rather than trusting change markers, when the org's last
/// snapshot that did is this old: a safety net under incremental backups. Measured in time, not in snapshots, so
/// hourly schedules and captures (which add snapshots) do not make it come sooner.
pub const FULL_REFRESH_AFTER: Duration = Duration::days(7);

/// How long a job that failed for a transient cause may be continued by the next backup of its org. Later, its
/// work is given up and a new job starts: a snapshot stitched from listings days apart helps nobody.
pub const RESUMABLE_FOR: Duration = Duration::days(3);

/// History events one execution may spend on BackupPage loops; Step Functions allows 25,000, and the rest is
/// left for the other states, Map iterations and retries.
const PAGE_EVENT_BUDGET: u32 = 20_000;
/// Events one BackupPage loop iteration adds: a Task's entered, scheduled, started, succeeded and exited, and
/// the Choice's entered and exited.
const EVENTS_PER_PAGE: u32 = 7;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanOutput {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
    pub owner: String,
    /// Categories grouped in stages: a stage starts when the one before it is complete.
    pub stages: Vec<Vec<String>>,
    /// BackupPage calls each category may make in this execution before the execution hands the job to a new
    /// one (see `statemachines/backup.asl.json`): keeps every execution under Step Functions' history limit.
    pub max_iterations: u32,
    /// True when an unfinished job was picked up rather than created.
    pub resumed: bool,
    /// Set when this run does nothing, and why: a scheduled run that found the org's backup job running (the
    /// running job is the one named). The state machine ends at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

pub async fn plan_backup(ctx: &StepContext, input: PlanInput) -> Result<PlanOutput, StepError> {
    let request = &input.request;
    let org = ctx.registered_org(&request.org_id).await?;
    if let Some(skipped) = skip_scheduled_run(ctx, &org, request, &input.owner).await? {
        return Ok(skipped);
    }
    if let Some(skipped) = hold_capture(ctx, &org, request, &input.owner).await? {
        return Ok(skipped);
    }

    let (job, resumed) = choose_job(ctx, &org, request, &input.owner).await?;

    // A wrong credential must fail the job here, before any page is fetched.
    let client = ctx.okta.client_for(&org).await?;
    client.check_credentials().await?;
    // The System Log is read once per job, here, for every category that needs it (see `logged.rs`).
    if !job.full_refresh && job.previous_snapshot.is_some() {
        super::logged::logged(ctx, &job, &client).await?;
    }

    let selected: Vec<&'static Category> = job
        .categories
        .iter()
        .filter_map(|name| categories::find(name))
        .collect();
    let snapshot_id = job
        .snapshot_id
        .clone()
        .ok_or_else(|| StepError::fatal(format!("job {} has no snapshot id", job.job_id)))?;
    Ok(PlanOutput {
        job_id: job.job_id,
        org_id: job.org_id,
        snapshot_id,
        owner: input.owner,
        stages: categories::stages(&selected)
            .into_iter()
            .map(|s| s.into_iter().map(str::to_owned).collect())
            .collect(),
        max_iterations: max_iterations(selected.len(), input.request.max_iterations),
        resumed,
        skipped: None,
    })
}

/// A capture that finds another runner working on the org's backup waits for it: its changes stay pending, and
/// the job starts a capture when it ends (`capture::start_waiting`). A capture that finds nothing pending (an
/// earlier backup took its changes) does nothing.
async fn hold_capture(
    ctx: &StepContext,
    org: &OrgRecord,
    request: &BackupRequest,
    owner: &str,
) -> Result<Option<PlanOutput>, StepError> {
    if request.trigger != BackupTrigger::Capture || request.job_id.is_some() {
        return Ok(None);
    }
    let (job_id, why) = match lease::held_by_other(ctx, &org.org_id, JobKind::Backup, owner).await? {
        Some(held) => {
            let why = format!(
                "the capture {owner} waits for job {}: it starts when that job ends",
                held.job_id
            );
            job_log(ctx, &held.job_id, &format!("capture-waits-{owner}"), why.clone()).await?;
            (held.job_id, why)
        }
        None if !pending::any(ctx.vault.blobs().as_ref(), &org.org_id).await? => {
            let why = format!("the capture {owner} found no change pending: an earlier backup took them");
            let newest = ctx.catalog.list_jobs(&org.org_id, None).await?;
            match newest.into_iter().find(|j| j.kind == JobKind::Backup) {
                Some(job) => (job.job_id, why),
                None => return Ok(None),
            }
        }
        None => return Ok(None),
    };
    tracing::info!(org = %org.org_id, run = owner, "{why}");
    let job = ctx
        .catalog
        .get_job(&job_id)
        .await?
        .ok_or_else(|| StepError::fatal(format!("job {job_id} not found")))?;
    Ok(Some(PlanOutput {
        job_id,
        org_id: org.org_id.clone(),
        snapshot_id: job
            .snapshot_id
            .ok_or_else(|| StepError::fatal(format!("job {} has no snapshot id", job.job_id)))?,
        owner: owner.to_owned(),
        stages: Vec::new(),
        max_iterations: 1,
        resumed: false,
        skipped: Some(why),
    }))
}

/// A scheduled run that finds another runner working on the org's backup does not wait for it or take it over:
/// it is skipped, and the running job's log says so. (A person's backup waits for, or continues, that job; a
/// capture is queued until it ends.)
async fn skip_scheduled_run(
    ctx: &StepContext,
    org: &OrgRecord,
    request: &BackupRequest,
    owner: &str,
) -> Result<Option<PlanOutput>, StepError> {
    if request.trigger != BackupTrigger::Scheduled || request.job_id.is_some() {
        return Ok(None);
    }
    let Some(held) = lease::held_by_other(ctx, &org.org_id, JobKind::Backup, owner).await? else {
        return Ok(None);
    };
    let Some(running) = ctx.catalog.get_job(&held.job_id).await? else {
        return Ok(None);
    };
    let why = format!(
        "the scheduled backup {owner} started at {} and was skipped: this job was running",
        timefmt::rfc3339(timefmt::now())
    );
    job_log(ctx, &running.job_id, &format!("skipped-{owner}"), why.clone()).await?;
    tracing::info!(org = %org.org_id, job = %running.job_id, run = owner, "scheduled backup skipped: a job is running");
    Ok(Some(PlanOutput {
        snapshot_id: running
            .snapshot_id
            .clone()
            .ok_or_else(|| StepError::fatal(format!("job {} has no snapshot id", running.job_id)))?,
        job_id: running.job_id,
        org_id: org.org_id.clone(),
        owner: owner.to_owned(),
        stages: Vec::new(),
        max_iterations: 1,
        resumed: false,
        skipped: Some(why),
    }))
}

/// BackupPage calls each category may make in one execution: the history budget shared by all of them, or less
/// when asked.
pub fn max_iterations(categories: usize, asked: Option<u32>) -> u32 {
    let budget = PAGE_EVENT_BUDGET / (EVENTS_PER_PAGE * categories.max(1) as u32);
    asked.map_or(budget, |asked| asked.min(budget)).max(1)
}

/// The job this backup runs, with its lease taken for `owner`, and whether it continues an earlier one.
async fn choose_job(
    ctx: &StepContext,
    org: &OrgRecord,
    request: &BackupRequest,
    owner: &str,
) -> Result<(JobRecord, bool), StepError> {
    if let Some(job_id) = &request.job_id {
        let job = ctx
            .catalog
            .get_job(job_id)
            .await?
            .ok_or_else(|| StepError::fatal(format!("job {job_id} not found")))?;
        if job.org_id != org.org_id {
            return Err(StepError::fatal(format!(
                "job {} belongs to org {}, not {}",
                job.job_id, job.org_id, org.org_id
            )));
        }
        if job.status != JobStatus::Running {
            return Err(StepError::fatal(format!(
                "job {} already finished ({}); start a new job",
                job.job_id, job.status
            )));
        }
        lease::take(ctx, &org.org_id, JobKind::Backup, &job.job_id, owner).await?;
        return Ok((job, true));
    }

    let now = timefmt::now();
    let jobs = ctx.catalog.list_jobs(&org.org_id, None).await?;
    let backups = || jobs.iter().filter(|j| j.kind == JobKind::Backup);
    // A Running job too old to continue: refused if its runner still holds the lease, however old the job.
    if let Some(stale) = backups().find(|j| j.status == JobStatus::Running && !within(j, RESUMABLE_FOR, now)) {
        lease::take(ctx, &org.org_id, JobKind::Backup, &stale.job_id, owner).await?;
        give_up(ctx, stale, "abandoned: no runner continued it").await?;
    }
    if let Some(continued) = continued_job(&jobs, now) {
        // An interrupted job's runner stopped, else taking its lease fails and says so.
        lease::take(ctx, &org.org_id, JobKind::Backup, &continued.job_id, owner).await?;
        return match continued.status {
            JobStatus::Failed => Ok((reopen(ctx, continued).await?, true)),
            _ => Ok((continued.clone(), true)),
        };
    }
    let job_id = request.new_job_id.clone().unwrap_or_else(|| JobId::generate(now));
    lease::take(ctx, &org.org_id, JobKind::Backup, &job_id, owner).await?;
    for stale in backups().filter(|j| j.status == JobStatus::Failed && j.resumable) {
        give_up(ctx, stale, "superseded by a newer job").await?;
    }
    let (previous, note) = readable_previous(ctx, org).await?;
    // A capture lists what its changes touched (a capture with nothing to build on lists everything); any other
    // backup lists everything it selects, so changes still pending are covered by it too.
    let taken = pending::take(ctx.vault.blobs().as_ref(), &org.org_id).await?;
    let capture = request.trigger == BackupTrigger::Capture && previous.is_some();
    let mut request = request.clone();
    let full_refresh = if capture {
        request.categories = Some(taken.categories.iter().cloned().collect());
        false
    } else {
        request.full_refresh || full_refresh_due(ctx, &org.org_id).await? || previous.is_none()
    };
    let job = create_job(ctx, &request, job_id, previous.clone(), full_refresh).await?;
    if let Some(note) = note {
        job_log(ctx, &job.job_id, "previous-snapshot", note).await?;
    }
    if capture || request.categories.is_none() {
        if capture {
            let note = format!(
                "a capture of {} admin changes: lists {}; every other category is carried whole from snapshot {}",
                taken.keys.len(),
                job.categories.join(", "),
                previous.as_ref().map_or_else(String::new, |p| p.to_string()),
            );
            job_log(ctx, &job.job_id, "capture", note).await?;
        }
        pending::clear(ctx.vault.blobs().as_ref(), &taken.keys).await?;
    }
    Ok((job, false))
}

/// The backup job of `jobs` (an org's jobs, newest first) that a backup starting at `now` continues rather than
/// starting a new one: a Running job whose runner stopped (younger than [`RESUMABLE_FOR`]), else the newest job
/// if it Failed for a transient cause less than [`RESUMABLE_FOR`] ago.
pub fn continued_job(jobs: &[JobRecord], now: time::OffsetDateTime) -> Option<&JobRecord> {
    let mut backups = jobs.iter().filter(|j| j.kind == JobKind::Backup);
    if let Some(running) = backups
        .clone()
        .find(|j| j.status == JobStatus::Running && within(j, RESUMABLE_FOR, now))
    {
        return Some(running);
    }
    backups
        .next()
        .filter(|newest| newest.status == JobStatus::Failed && newest.resumable && within(newest, RESUMABLE_FOR, now))
}

fn within(job: &JobRecord, age: Duration, now: time::OffsetDateTime) -> bool {
    timefmt::parse_rfc3339(&job.created_at).is_some_and(|created| now - created < age)
}

/// Ends a job that can no longer be continued, and deletes its work documents.
async fn give_up(ctx: &StepContext, job: &JobRecord, why: &str) -> Result<(), StepError> {
    let now = timefmt::rfc3339(timefmt::now());
    let ended = JobRecord {
        status: JobStatus::Failed,
        resumable: false,
        updated_at: now.clone(),
        finished_at: job.finished_at.clone().or(Some(now)),
        error: Some(match &job.error {
            Some(error) => format!("{error}; {why}"),
            None => why.to_owned(),
        }),
        ..job.clone()
    };
    ctx.catalog.update_job(&ended, job.status).await?;
    work::delete_all(&ctx.vault, &job.org_id, &job.job_id).await
}

/// Whether the org has no snapshot that listed everything within [`FULL_REFRESH_AFTER`].
async fn full_refresh_due(ctx: &StepContext, org: &OrgId) -> Result<bool, StepError> {
    let snapshots = ctx.catalog.list_snapshots(org).await?;
    Ok(full_refresh_due_at(&snapshots, timefmt::now()))
}

fn full_refresh_due_at(snapshots: &[SnapshotRecord], now: time::OffsetDateTime) -> bool {
    !snapshots.iter().any(|s| {
        s.full_refresh && timefmt::parse_rfc3339(&s.created_at).is_some_and(|at| now - at < FULL_REFRESH_AFTER)
    })
}

/// The org's last snapshot if it can be read back, else none and why: a missing, damaged or tampered previous
/// snapshot makes this backup a full one that writes every object afresh, never a backup that fails for good.
async fn readable_previous(
    ctx: &StepContext,
    org: &OrgRecord,
) -> Result<(Option<SnapshotId>, Option<String>), StepError> {
    let Some(previous) = &org.last_snapshot else {
        return Ok((None, None));
    };
    let readable = match ctx.previous(&org.org_id, previous).await {
        Ok(opened) => opened.check_parts().await.map_err(StepError::from),
        Err(e) => Err(e),
    };
    match readable {
        Ok(()) => Ok((Some(previous.clone()), None)),
        Err(e) if e.is_retryable() => Err(e),
        Err(e) => Ok((
            None,
            Some(format!(
                "the previous snapshot {previous} cannot be read ({e}); this backup lists everything and writes every \
                 object afresh, without deduplicating against it"
            )),
        )),
    }
}

async fn create_job(
    ctx: &StepContext,
    request: &BackupRequest,
    job_id: JobId,
    previous: Option<SnapshotId>,
    full_refresh: bool,
) -> Result<JobRecord, StepError> {
    let selected = categories::select(request.categories.as_deref()).map_err(|e| StepError::fatal(e.to_string()))?;
    let now = timefmt::now();
    let snapshot_id = SnapshotId::generate(now);
    let key = ctx.vault.new_sealing_key(&request.org_id, &snapshot_id).await?;
    let job = JobRecord {
        job_id,
        org_id: request.org_id.clone(),
        kind: JobKind::Backup,
        status: JobStatus::Running,
        created_at: timefmt::rfc3339(now),
        updated_at: timefmt::rfc3339(now),
        finished_at: None,
        snapshot_id: Some(snapshot_id),
        full_refresh,
        previous_snapshot: previous,
        wrapped_key: Some(BASE64.encode(key.wrapped())),
        categories: selected.iter().map(|c| c.name.to_owned()).collect(),
        counts: BTreeMap::new(),
        error: None,
        resumable: false,
        reopened: 0,
        trigger: request.trigger,
        restore: None,
        download: None,
    };
    ctx.catalog.create_job(&job).await?;
    Ok(job)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(created_at: &str, full_refresh: bool) -> SnapshotRecord {
        SnapshotRecord {
            snapshot_id: SnapshotId::new("s1").unwrap(),
            org_id: OrgId::new("acme.okta.com").unwrap(),
            job_id: JobId::new("j1").unwrap(),
            created_at: created_at.into(),
            manifest_key: "m".into(),
            counts: BTreeMap::new(),
            status: JobStatus::Completed,
            full_refresh,
            as_of: Default::default(),
            previous: None,
            changes: None,
            lacks: Vec::new(),
            trigger: BackupTrigger::Capture,
        }
    }

    #[test]
    fn a_full_refresh_comes_a_week_after_the_last_one_however_many_snapshots_were_taken_since() {
        let now = timefmt::parse_rfc3339("2026-03-10T12:00:00Z").unwrap();
        let mut snapshots = vec![snapshot("2026-03-04T12:00:00Z", true)];
        // Hourly captures since: many snapshots, but less than a week.
        snapshots.extend((0..100).map(|_| snapshot("2026-03-09T00:00:00Z", false)));
        assert!(!full_refresh_due_at(&snapshots, now));
        assert!(full_refresh_due_at(&snapshots, now + Duration::days(1)));
        assert!(full_refresh_due_at(&[], now), "an org's first backup lists everything");
    }
}
