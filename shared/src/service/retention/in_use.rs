//! What jobs hold on to: the snapshots a running job reads or builds on, which retention keeps, and whether any
//! job works on an org at all, which keeps its remaining blobs.

use std::collections::BTreeMap;

use crate::ids::{OrgId, SnapshotId};
use crate::ports::{Catalog, CatalogError, JobKind, JobRecord, JobStatus};

/// Every job that may still read or write snapshots: running ones, and failed backups the org's next backup
/// reopens (they continue from their saved positions, on top of their previous snapshot).
pub async fn active_jobs(catalog: &dyn Catalog) -> Result<Vec<JobRecord>, CatalogError> {
    let mut jobs = Vec::new();
    for org in catalog.list_orgs().await? {
        jobs.extend(catalog.list_jobs(&org.org_id, Some(JobStatus::Running)).await?);
        jobs.extend(
            catalog
                .list_jobs(&org.org_id, Some(JobStatus::Failed))
                .await?
                .into_iter()
                .filter(|job| job.kind == JobKind::Backup && job.resumable),
        );
    }
    Ok(jobs)
}

/// What the active jobs hold of one org.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InUse {
    /// Snapshots of the org a job reads or builds on, each with why.
    pub snapshots: BTreeMap<SnapshotId, String>,
    /// The jobs that work on the org (back it up, restore into or from it, download from it), for a person.
    pub jobs: Vec<String>,
}

impl InUse {
    /// What `jobs` (every org's active jobs; finished ones are passed over) hold of `org`.
    pub fn of(org: &OrgId, jobs: &[JobRecord]) -> Self {
        let mut in_use = InUse::default();
        for job in jobs {
            let resumable = job.kind == JobKind::Backup && job.status == JobStatus::Failed && job.resumable;
            if job.status != JobStatus::Running && !resumable {
                continue;
            }
            let state = if job.status == JobStatus::Running {
                "running"
            } else {
                "resumable"
            };
            let mut hold = |snapshot: &SnapshotId, how: &str| {
                in_use
                    .snapshots
                    .entry(snapshot.clone())
                    .or_insert_with(|| format!("{how} {state} {} job {}", job.kind, job.job_id));
            };
            let touches = match job.kind {
                JobKind::Backup if job.org_id == *org => {
                    if let Some(previous) = &job.previous_snapshot {
                        hold(previous, "the snapshot built on by");
                    }
                    if let Some(own) = &job.snapshot_id {
                        hold(own, "being written by");
                    }
                    true
                }
                JobKind::Restore => {
                    let source = job.restore.as_ref().filter(|spec| spec.source_org == *org);
                    if let Some(spec) = source {
                        hold(&spec.snapshot_id, "read by");
                    }
                    source.is_some() || job.org_id == *org
                }
                JobKind::Download if job.org_id == *org => {
                    if let Some(snapshot) = &job.snapshot_id {
                        hold(snapshot, "read by");
                    }
                    if let Some(spec) = &job.download {
                        hold(&spec.snapshot_id, "read by");
                        for snapshot in &spec.snapshots {
                            hold(snapshot, "read by");
                        }
                    }
                    true
                }
                JobKind::Backup | JobKind::Download => false,
            };
            if touches {
                in_use.jobs.push(format!("{state} {} job {}", job.kind, job.job_id));
            }
        }
        in_use
    }
}
