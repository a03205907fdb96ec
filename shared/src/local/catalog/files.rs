//! The catalog's directory layout and its operations, synchronous (the async adapter runs them
//! on the blocking pool):
//!
//! ```text
//! orgs/<org>.json                      one org
//! leases/<org>/<kind>.json             the lease of an org's job of one kind
//! idmap/<source>/<target>/<category>/<batch>.json   old -> new ids of restored objects, one batch a file
//! locks/org-<org>.lock                 the lock around an org's and its leases' conditional updates
//! jobs/<job>.json                      one job
//! job-index/<org>/<job>                an empty marker: lists an org's jobs without reading all jobs
//! locks/<job>.lock                     the lock around a job's conditional update
//! progress/<job>/<category>.json       one category's position
//! logs/<job>/<batch>.json              one batch of log lines (`/` in a batch name is encoded)
//! snapshots/<org>/<snapshot>.json      one snapshot
//! audit/<entry>.json                   one audit trail entry, created once and never rewritten
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{file_lock, json_file, names};
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::local::atomic_file::is_temp_name;
use crate::ports::{
    AuditEntry, CatalogError, CategoryProgress, JobKind, JobRecord, JobStatus, Lease, LogEntry, OrgRecord,
    SnapshotRecord,
};

#[derive(Debug)]
pub(crate) struct CatalogFiles {
    root: PathBuf,
}

impl CatalogFiles {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn org_path(&self, org_id: &OrgId) -> PathBuf {
        self.root.join("orgs").join(json_file::file_name(org_id.as_str()))
    }

    fn org_lock_path(&self, org_id: &OrgId) -> PathBuf {
        self.root.join("locks").join(format!("org-{org_id}.lock"))
    }

    fn lease_path(&self, org_id: &OrgId, kind: JobKind) -> PathBuf {
        self.root
            .join("leases")
            .join(org_id.as_str())
            .join(json_file::file_name(kind.as_str()))
    }

    fn job_path(&self, job_id: &JobId) -> PathBuf {
        self.root.join("jobs").join(json_file::file_name(job_id.as_str()))
    }

    fn job_index_dir(&self, org_id: &OrgId) -> PathBuf {
        self.root.join("job-index").join(org_id.as_str())
    }

    fn file_lock_path(&self, job_id: &JobId) -> PathBuf {
        self.root.join("locks").join(format!("{job_id}.lock"))
    }

    fn progress_path(&self, job_id: &JobId, category: &str) -> Result<PathBuf, CatalogError> {
        let name = encoded(category, "category", job_id)?;
        Ok(self
            .root
            .join("progress")
            .join(job_id.as_str())
            .join(json_file::file_name(&name)))
    }

    fn log_path(&self, job_id: &JobId, batch: &str) -> Result<PathBuf, CatalogError> {
        let name = encoded(batch, "log batch", job_id)?;
        Ok(self
            .root
            .join("logs")
            .join(job_id.as_str())
            .join(json_file::file_name(&name)))
    }

    fn snapshot_dir(&self, org_id: &OrgId) -> PathBuf {
        self.root.join("snapshots").join(org_id.as_str())
    }

    pub(crate) fn put_org(&self, org: &OrgRecord) -> Result<(), CatalogError> {
        let path = self.org_path(&org.org_id);
        file_lock::with_lock(&self.org_lock_path(&org.org_id), || {
            let stored: Option<OrgRecord> = json_file::read(&path, "org record")?;
            let org = OrgRecord {
                last_snapshot: stored.and_then(|s| s.last_snapshot),
                ..org.clone()
            };
            json_file::write(&path, &org)
        })
    }

    pub(crate) fn advance_last_snapshot(&self, org_id: &OrgId, snapshot: &SnapshotId) -> Result<bool, CatalogError> {
        let path = self.org_path(org_id);
        file_lock::with_lock(&self.org_lock_path(org_id), || {
            let mut org: OrgRecord = json_file::read(&path, "org record")?.ok_or_else(|| CatalogError::NotFound {
                what: format!("org {org_id}"),
            })?;
            if org.last_snapshot.as_ref().is_some_and(|last| last >= snapshot) {
                return Ok(false);
            }
            org.last_snapshot = Some(snapshot.clone());
            json_file::write(&path, &org)?;
            Ok(true)
        })
    }

    fn id_map_dir(&self, source: &OrgId, target: &OrgId, category: &str) -> Result<PathBuf, CatalogError> {
        let name = names::encode(category).map_err(|reason| CatalogError::Backend {
            message: format!("the category name {category:?} cannot be stored: {reason}"),
            retryable: false,
        })?;
        Ok(self
            .root
            .join("idmap")
            .join(source.as_str())
            .join(target.as_str())
            .join(name))
    }

    pub(crate) fn put_id_map(
        &self,
        source: &OrgId,
        target: &OrgId,
        category: &str,
        batch: &str,
        pairs: &[(String, String)],
    ) -> Result<(), CatalogError> {
        let batch = names::encode(batch).map_err(|reason| CatalogError::Backend {
            message: format!("the id map batch name {batch:?} cannot be stored: {reason}"),
            retryable: false,
        })?;
        let path = self
            .id_map_dir(source, target, category)?
            .join(json_file::file_name(&batch));
        json_file::write(&path, &pairs)
    }

    pub(crate) fn id_map(
        &self,
        source: &OrgId,
        target: &OrgId,
        category: &str,
    ) -> Result<BTreeMap<String, String>, CatalogError> {
        let mut batches: Vec<(String, Vec<(String, String)>)> =
            json_file::list(&self.id_map_dir(source, target, category)?, "id map batch")?;
        // Batches in name order, so a later batch's mapping of an id wins.
        batches.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(batches.into_iter().flat_map(|(_, pairs)| pairs).collect())
    }

    pub(crate) fn get_lease(&self, org_id: &OrgId, kind: JobKind) -> Result<Option<Lease>, CatalogError> {
        json_file::read(&self.lease_path(org_id, kind), "lease record")
    }

    pub(crate) fn acquire_lease(&self, lease: &Lease, now_ms: i64) -> Result<(), CatalogError> {
        let path = self.lease_path(&lease.org_id, lease.kind);
        file_lock::with_lock(&self.org_lock_path(&lease.org_id), || {
            let stored: Option<Lease> = json_file::read(&path, "lease record")?;
            match stored {
                Some(held) if held.is_live(now_ms) && (held.owner != lease.owner || held.job_id != lease.job_id) => {
                    Err(CatalogError::LeaseHeld { lease: Box::new(held) })
                }
                _ => json_file::write(&path, lease),
            }
        })
    }

    pub(crate) fn release_lease(&self, org_id: &OrgId, kind: JobKind, owner: &str) -> Result<(), CatalogError> {
        let path = self.lease_path(org_id, kind);
        file_lock::with_lock(&self.org_lock_path(org_id), || {
            let stored: Option<Lease> = json_file::read(&path, "lease record")?;
            if stored.is_some_and(|held| held.owner == owner) {
                json_file::remove(&path)?;
            }
            Ok(())
        })
    }

    pub(crate) fn get_org(&self, org_id: &OrgId) -> Result<Option<OrgRecord>, CatalogError> {
        json_file::read(&self.org_path(org_id), "org record")
    }

    pub(crate) fn list_orgs(&self) -> Result<Vec<OrgRecord>, CatalogError> {
        let mut orgs: Vec<OrgRecord> = json_file::list(&self.root.join("orgs"), "org record")?
            .into_iter()
            .map(|(_, org)| org)
            .collect();
        orgs.sort_by(|a, b| a.org_id.cmp(&b.org_id));
        Ok(orgs)
    }

    pub(crate) fn create_job(&self, job: &JobRecord) -> Result<(), CatalogError> {
        // The index marker goes first: a crash between the two leaves a marker without a job,
        // which listing skips, never a job that listing cannot find.
        let marker = self.job_index_dir(&job.org_id).join(job.job_id.as_str());
        json_file::write_marker(&marker)?;
        if json_file::create(&self.job_path(&job.job_id), job)? {
            Ok(())
        } else {
            Err(CatalogError::AlreadyExists {
                what: format!("job {}", job.job_id),
            })
        }
    }

    pub(crate) fn get_job(&self, job_id: &JobId) -> Result<Option<JobRecord>, CatalogError> {
        json_file::read(&self.job_path(job_id), "job record")
    }

    pub(crate) fn update_job(&self, job: &JobRecord, expected: JobStatus) -> Result<(), CatalogError> {
        let path = self.job_path(&job.job_id);
        file_lock::with_lock(&self.file_lock_path(&job.job_id), || {
            let what = format!("job {}", job.job_id);
            let stored: JobRecord =
                json_file::read(&path, "job record")?.ok_or_else(|| CatalogError::NotFound { what: what.clone() })?;
            if stored.status != expected {
                return Err(CatalogError::Conflict {
                    what,
                    expected: expected.to_string(),
                    actual: stored.status.to_string(),
                });
            }
            if stored.org_id != job.org_id {
                return Err(CatalogError::Backend {
                    message: format!(
                        "{what} belongs to org {}; it cannot move to org {}",
                        stored.org_id, job.org_id
                    ),
                    retryable: false,
                });
            }
            json_file::write(&path, job)
        })
    }

    pub(crate) fn list_jobs(&self, org_id: &OrgId, status: Option<JobStatus>) -> Result<Vec<JobRecord>, CatalogError> {
        let mut jobs = Vec::new();
        for job_id in self.indexed_jobs(org_id)? {
            let Some(job) = self.get_job(&job_id)? else { continue };
            if job.org_id == *org_id && status.is_none_or(|s| s == job.status) {
                jobs.push(job);
            }
        }
        jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.job_id.cmp(&a.job_id)));
        Ok(jobs)
    }

    fn indexed_jobs(&self, org_id: &OrgId) -> Result<Vec<JobId>, CatalogError> {
        let dir = self.job_index_dir(org_id);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(json_file::io_failure("list", &dir, e)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| json_file::io_failure("list", &dir, e))?;
            // Names that are not job ids (temp files, strays) are not markers.
            if let Some(id) = entry
                .file_name()
                .to_str()
                .filter(|n| !is_temp_name(n))
                .and_then(|n| JobId::new(n).ok())
            {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    pub(crate) fn save_progress(
        &self,
        job_id: &JobId,
        category: &str,
        progress: &CategoryProgress,
    ) -> Result<(), CatalogError> {
        json_file::write(&self.progress_path(job_id, category)?, progress)
    }

    pub(crate) fn load_progress(&self, job_id: &JobId) -> Result<BTreeMap<String, CategoryProgress>, CatalogError> {
        let dir = self.root.join("progress").join(job_id.as_str());
        Ok(json_file::list(&dir, "category progress record")?.into_iter().collect())
    }

    pub(crate) fn append_log(&self, job_id: &JobId, batch: &str, entries: &[LogEntry]) -> Result<(), CatalogError> {
        json_file::write(&self.log_path(job_id, batch)?, &entries)
    }

    pub(crate) fn read_log(&self, job_id: &JobId) -> Result<Vec<LogEntry>, CatalogError> {
        let dir = self.root.join("logs").join(job_id.as_str());
        let mut batches: Vec<(String, Vec<LogEntry>)> = json_file::list(&dir, "job log batch")?;
        batches.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(batches.into_iter().flat_map(|(_, entries)| entries).collect())
    }

    pub(crate) fn put_snapshot(&self, snapshot: &SnapshotRecord) -> Result<(), CatalogError> {
        let path = self
            .snapshot_dir(&snapshot.org_id)
            .join(json_file::file_name(snapshot.snapshot_id.as_str()));
        json_file::write(&path, snapshot)
    }

    pub(crate) fn get_snapshot(
        &self,
        org_id: &OrgId,
        snapshot_id: &SnapshotId,
    ) -> Result<Option<SnapshotRecord>, CatalogError> {
        json_file::read(
            &self
                .snapshot_dir(org_id)
                .join(json_file::file_name(snapshot_id.as_str())),
            "snapshot record",
        )
    }

    pub(crate) fn list_snapshots(&self, org_id: &OrgId) -> Result<Vec<SnapshotRecord>, CatalogError> {
        let mut snapshots: Vec<SnapshotRecord> = json_file::list(&self.snapshot_dir(org_id), "snapshot record")?
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        snapshots.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.snapshot_id.cmp(&b.snapshot_id))
        });
        Ok(snapshots)
    }

    pub(crate) fn delete_snapshot(&self, org_id: &OrgId, snapshot_id: &SnapshotId) -> Result<(), CatalogError> {
        json_file::remove(
            &self
                .snapshot_dir(org_id)
                .join(json_file::file_name(snapshot_id.as_str())),
        )
    }

    pub(crate) fn append_audit(&self, entry: &AuditEntry) -> Result<(), CatalogError> {
        let name = names::encode(&entry.id).map_err(|reason| CatalogError::Backend {
            message: format!("the audit entry id {:?} cannot be stored: {reason}", entry.id),
            retryable: false,
        })?;
        let path = self.root.join("audit").join(json_file::file_name(&name));
        if json_file::create(&path, entry)? {
            Ok(())
        } else {
            Err(CatalogError::AlreadyExists {
                what: format!("audit entry {}", entry.id),
            })
        }
    }

    pub(crate) fn list_audit(&self, org: Option<&OrgId>) -> Result<Vec<AuditEntry>, CatalogError> {
        let mut entries: Vec<AuditEntry> = json_file::list(&self.root.join("audit"), "audit entry")?
            .into_iter()
            .map(|(_, entry)| entry)
            .filter(|entry: &AuditEntry| org.is_none_or(|o| entry.org_id.as_ref() == Some(o)))
            .collect();
        entries.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(entries)
    }
}

fn encoded(name: &str, kind: &str, job_id: &JobId) -> Result<String, CatalogError> {
    names::encode(name).map_err(|reason| CatalogError::Backend {
        message: format!("job {job_id}: the {kind} name {name:?} cannot be stored: {reason}"),
        retryable: false,
    })
}
