//! Jobs as a person sees them: a Running job whose runner stopped is shown as interrupted, not as running.

use std::fmt;

use serde::Serialize;

use crate::ids::{JobId, OrgId};
use crate::ports::{Catalog, CatalogError, JobKind, JobRecord, JobStatus, LogEntry};
use crate::timefmt;
use crate::workflow::runner::is_dead_local_runner;

/// A job's state now. `Interrupted` is not a stored status: it is a Running job whose runner no longer holds its
/// lease (the lease expired, or the process that held it ended). The next backup of its org continues it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum JobState {
    Running {
        runner: String,
        lease_until: String,
    },
    Interrupted,
    Completed,
    CompletedWithErrors,
    /// `resumable`: the next backup of the org continues it (it failed for a transient cause).
    Failed {
        resumable: bool,
    },
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobState::Running { .. } => f.write_str("Running"),
            JobState::Interrupted => f.write_str("Interrupted"),
            JobState::Completed => f.write_str("Completed"),
            JobState::CompletedWithErrors => f.write_str("Completed With Errors"),
            JobState::Failed { resumable: true } => f.write_str("Failed (will be continued)"),
            JobState::Failed { resumable: false } => f.write_str("Failed"),
        }
    }
}

/// The state of `job` now, read against its org's lease.
pub async fn state_of(catalog: &dyn Catalog, job: &JobRecord) -> Result<JobState, CatalogError> {
    Ok(match job.status {
        JobStatus::Completed => JobState::Completed,
        JobStatus::CompletedWithErrors => JobState::CompletedWithErrors,
        JobStatus::Failed => JobState::Failed {
            resumable: job.resumable,
        },
        JobStatus::Running => match catalog.get_lease(&job.org_id, job.kind).await? {
            Some(lease)
                if lease.job_id == job.job_id
                    && lease.is_live(timefmt::now_millis())
                    && !is_dead_local_runner(&lease.owner) =>
            {
                JobState::Running {
                    lease_until: lease.expires_at(),
                    runner: lease.owner,
                }
            }
            _ => JobState::Interrupted,
        },
    })
}

/// One line of a job list.
#[derive(Debug, Clone, Serialize)]
pub struct JobSummary {
    #[serde(flatten)]
    pub job: JobRecord,
    pub state: JobState,
}

impl JobSummary {
    /// A job as people and the API see it: without its wrapped data key, which is the workflow's business alone
    /// (KMS-wrapped, so no secret, but nothing a reader needs).
    pub fn new(mut job: JobRecord, state: JobState) -> Self {
        job.wrapped_key = None;
        Self { job, state }
    }
}

/// Jobs, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct JobList {
    pub jobs: Vec<JobSummary>,
}

/// Every job of `org` (of every org when `None`), newest first.
pub async fn list(catalog: &dyn Catalog, org: Option<&OrgId>) -> Result<JobList, CatalogError> {
    let mut jobs = Vec::new();
    for record in catalog.list_orgs().await? {
        if org.is_none_or(|o| *o == record.org_id) {
            for job in catalog.list_jobs(&record.org_id, None).await? {
                let state = state_of(catalog, &job).await?;
                jobs.push(JobSummary::new(job, state));
            }
        }
    }
    jobs.sort_by(|a, b| b.job.created_at.cmp(&a.job.created_at));
    Ok(JobList { jobs })
}

impl fmt::Display for JobList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.jobs.is_empty() {
            return writeln!(f, "No jobs yet.");
        }
        for JobSummary { job, state } in &self.jobs {
            // A backup names the snapshot it wrote; a restore, the snapshot it restored from.
            let snapshot = match &job.restore {
                Some(spec) => format!("from {} of {}", spec.snapshot_id, spec.source_org),
                None if job.download.is_some() => job
                    .download
                    .as_ref()
                    .map(|d| format!("of {}", d.snapshot_id))
                    .unwrap_or_default(),
                None => job.snapshot_id.as_ref().map(|s| s.to_string()).unwrap_or_default(),
            };
            writeln!(
                f,
                "{:<34} {:<8} {:<28} {:<22} {:<26} {snapshot}",
                job.job_id,
                job.kind.as_str(),
                job.org_id,
                job.created_at,
                state.to_string()
            )?;
        }
        Ok(())
    }
}

/// One job whole: its record, its state, and its per-object log.
#[derive(Debug, Clone, Serialize)]
pub struct JobDetail {
    pub job: JobRecord,
    pub state: JobState,
    pub log: Vec<LogEntry>,
}

/// The job `job_id`, or `None` when there is none.
pub async fn detail(catalog: &dyn Catalog, job_id: &JobId) -> Result<Option<JobDetail>, CatalogError> {
    let Some(job) = catalog.get_job(job_id).await? else {
        return Ok(None);
    };
    let state = state_of(catalog, &job).await?;
    let log = catalog.read_log(job_id).await?;
    let JobSummary { job, state } = JobSummary::new(job, state);
    Ok(Some(JobDetail { job, state, log }))
}

impl fmt::Display for JobDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let j = &self.job;
        let kind = match j.kind {
            JobKind::Backup => "Backup",
            JobKind::Restore => "Restore",
            JobKind::Download => "Download",
        };
        writeln!(f, "Job {} ({kind}) of {}: {}", j.job_id, j.org_id, self.state)?;
        if let JobState::Running { runner, lease_until } = &self.state {
            writeln!(f, "  run by {runner}, lease until {lease_until}")?;
        }
        if let Some(error) = &j.error {
            writeln!(f, "  error: {error}")?;
        }
        if j.reopened > 0 {
            writeln!(f, "  continued after a failure {} time(s)", j.reopened)?;
        }
        let w = crate::categories::name_width();
        for name in crate::categories::CATEGORIES.iter().map(|c| c.name) {
            let Some(c) = j.counts.get(name) else { continue };
            match &c.skipped {
                Some(reason) => writeln!(f, "  {name:<w$} skipped: {reason}")?,
                None => writeln!(
                    f,
                    "  {name:<w$} {:>8} objects {:>8} new {:>4} errors",
                    c.objects, c.new_objects, c.errors
                )?,
            }
        }
        if !self.log.is_empty() {
            writeln!(f, "Log:")?;
        }
        for line in &self.log {
            let object = line.object_id.as_deref().unwrap_or("-");
            writeln!(
                f,
                "  {} {:<w$} {:<24} {:<8} {}",
                line.at, line.category, object, line.outcome, line.message
            )?;
        }
        Ok(())
    }
}
