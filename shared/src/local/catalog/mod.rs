//! [`LocalCatalog`]: the embedded catalog, JSON files under one directory (layout in
//! [`files`]). Writes are atomic; a job's conditional update holds an OS file lock, so it is
//! race-free between tasks and between processes.

mod file_lock;
mod files;
mod json_file;
mod names;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{
    AuditEntry, Catalog, CatalogError, CategoryProgress, JobKind, JobRecord, JobStatus, Lease, LogEntry, OrgRecord,
    SnapshotRecord,
};
use files::CatalogFiles;

/// The embedded [`Catalog`]: a local directory of JSON files.
#[derive(Debug, Clone)]
pub struct LocalCatalog {
    files: Arc<CatalogFiles>,
}

impl LocalCatalog {
    /// Opens (creating when needed) the catalog kept in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, CatalogError> {
        let root = dir.into();
        std::fs::create_dir_all(&root).map_err(|e| json_file::io_failure("create the catalog directory", &root, e))?;
        Ok(Self {
            files: Arc::new(CatalogFiles::new(root)),
        })
    }

    /// The directory the catalog lives in.
    pub fn root(&self) -> &Path {
        self.files.root()
    }

    /// Runs one file operation on the blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        operation: impl FnOnce(&CatalogFiles) -> Result<T, CatalogError> + Send + 'static,
    ) -> Result<T, CatalogError> {
        let files = Arc::clone(&self.files);
        tokio::task::spawn_blocking(move || operation(&files))
            .await
            .map_err(|e| CatalogError::Backend {
                message: format!("the catalog file task for {} stopped: {e}", self.files.root().display()),
                retryable: true,
            })?
    }
}

#[async_trait]
impl Catalog for LocalCatalog {
    async fn put_org(&self, org: &OrgRecord) -> Result<(), CatalogError> {
        let org = org.clone();
        self.run(move |files| files.put_org(&org)).await
    }

    async fn advance_last_snapshot(&self, org_id: &OrgId, snapshot: &SnapshotId) -> Result<bool, CatalogError> {
        let (org_id, snapshot) = (org_id.clone(), snapshot.clone());
        self.run(move |files| files.advance_last_snapshot(&org_id, &snapshot))
            .await
    }

    async fn get_org(&self, org_id: &OrgId) -> Result<Option<OrgRecord>, CatalogError> {
        let org_id = org_id.clone();
        self.run(move |files| files.get_org(&org_id)).await
    }

    async fn list_orgs(&self) -> Result<Vec<OrgRecord>, CatalogError> {
        self.run(|files| files.list_orgs()).await
    }

    async fn create_job(&self, job: &JobRecord) -> Result<(), CatalogError> {
        let job = job.clone();
        self.run(move |files| files.create_job(&job)).await
    }

    async fn get_job(&self, job_id: &JobId) -> Result<Option<JobRecord>, CatalogError> {
        let job_id = job_id.clone();
        self.run(move |files| files.get_job(&job_id)).await
    }

    async fn update_job(&self, job: &JobRecord, expected: JobStatus) -> Result<(), CatalogError> {
        let job = job.clone();
        self.run(move |files| files.update_job(&job, expected)).await
    }

    async fn list_jobs(&self, org_id: &OrgId, status: Option<JobStatus>) -> Result<Vec<JobRecord>, CatalogError> {
        let org_id = org_id.clone();
        self.run(move |files| files.list_jobs(&org_id, status)).await
    }

    async fn save_progress(
        &self,
        job_id: &JobId,
        category: &str,
        progress: &CategoryProgress,
    ) -> Result<(), CatalogError> {
        let (job_id, category, progress) = (job_id.clone(), category.to_string(), progress.clone());
        self.run(move |files| files.save_progress(&job_id, &category, &progress))
            .await
    }

    async fn load_progress(&self, job_id: &JobId) -> Result<BTreeMap<String, CategoryProgress>, CatalogError> {
        let job_id = job_id.clone();
        self.run(move |files| files.load_progress(&job_id)).await
    }

    async fn append_log(&self, job_id: &JobId, batch: &str, entries: &[LogEntry]) -> Result<(), CatalogError> {
        let (job_id, batch, entries) = (job_id.clone(), batch.to_string(), entries.to_vec());
        self.run(move |files| files.append_log(&job_id, &batch, &entries)).await
    }

    async fn read_log(&self, job_id: &JobId) -> Result<Vec<LogEntry>, CatalogError> {
        let job_id = job_id.clone();
        self.run(move |files| files.read_log(&job_id)).await
    }

    async fn get_lease(&self, org_id: &OrgId, kind: JobKind) -> Result<Option<Lease>, CatalogError> {
        let org_id = org_id.clone();
        self.run(move |files| files.get_lease(&org_id, kind)).await
    }

    async fn acquire_lease(&self, lease: &Lease, now_ms: i64) -> Result<(), CatalogError> {
        let lease = lease.clone();
        self.run(move |files| files.acquire_lease(&lease, now_ms)).await
    }

    async fn release_lease(&self, org_id: &OrgId, kind: JobKind, owner: &str) -> Result<(), CatalogError> {
        let (org_id, owner) = (org_id.clone(), owner.to_owned());
        self.run(move |files| files.release_lease(&org_id, kind, &owner)).await
    }

    async fn put_id_map(
        &self,
        source: &OrgId,
        target: &OrgId,
        category: &str,
        batch: &str,
        pairs: &[(String, String)],
    ) -> Result<(), CatalogError> {
        let (source, target, category, batch, pairs) = (
            source.clone(),
            target.clone(),
            category.to_owned(),
            batch.to_owned(),
            pairs.to_vec(),
        );
        self.run(move |files| files.put_id_map(&source, &target, &category, &batch, &pairs))
            .await
    }

    async fn id_map(
        &self,
        source: &OrgId,
        target: &OrgId,
        category: &str,
    ) -> Result<BTreeMap<String, String>, CatalogError> {
        let (source, target, category) = (source.clone(), target.clone(), category.to_owned());
        self.run(move |files| files.id_map(&source, &target, &category)).await
    }

    async fn put_snapshot(&self, snapshot: &SnapshotRecord) -> Result<(), CatalogError> {
        let snapshot = snapshot.clone();
        self.run(move |files| files.put_snapshot(&snapshot)).await
    }

    async fn get_snapshot(
        &self,
        org_id: &OrgId,
        snapshot_id: &SnapshotId,
    ) -> Result<Option<SnapshotRecord>, CatalogError> {
        let (org_id, snapshot_id) = (org_id.clone(), snapshot_id.clone());
        self.run(move |files| files.get_snapshot(&org_id, &snapshot_id)).await
    }

    async fn list_snapshots(&self, org_id: &OrgId) -> Result<Vec<SnapshotRecord>, CatalogError> {
        let org_id = org_id.clone();
        self.run(move |files| files.list_snapshots(&org_id)).await
    }

    async fn delete_snapshot(&self, org_id: &OrgId, snapshot_id: &SnapshotId) -> Result<(), CatalogError> {
        let (org_id, snapshot_id) = (org_id.clone(), snapshot_id.clone());
        self.run(move |files| files.delete_snapshot(&org_id, &snapshot_id))
            .await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), CatalogError> {
        let entry = entry.clone();
        self.run(move |files| files.append_audit(&entry)).await
    }

    async fn list_audit(&self, org: Option<&OrgId>) -> Result<Vec<AuditEntry>, CatalogError> {
        let org = org.cloned();
        self.run(move |files| files.list_audit(org.as_ref())).await
    }
}
