use std::collections::BTreeMap;

use async_trait::async_trait;

use super::records::*;
use crate::ids::{JobId, OrgId, SnapshotId};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog: {what} already exists")]
    AlreadyExists { what: String },
    #[error("catalog: {what} not found")]
    NotFound { what: String },
    /// A conditional write lost: another execution moved the record first.
    #[error("catalog: {what} is {actual}, expected {expected}; another run changed it first")]
    Conflict {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("catalog: {message}")]
    Backend { message: String, retryable: bool },
}

impl CatalogError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, CatalogError::Backend { retryable: true, .. })
    }
}

/// Orgs, jobs (with per-category progress and a per-object log) and snapshots: a local file
/// store embedded, one DynamoDB table in production.
#[async_trait]
pub trait Catalog: Send + Sync + 'static {
    /// Creates or replaces an org.
    async fn put_org(&self, org: &OrgRecord) -> Result<(), CatalogError>;
    async fn get_org(&self, org_id: &OrgId) -> Result<Option<OrgRecord>, CatalogError>;
    async fn list_orgs(&self) -> Result<Vec<OrgRecord>, CatalogError>;

    /// Creates a job; fails with `AlreadyExists` when the id is taken.
    async fn create_job(&self, job: &JobRecord) -> Result<(), CatalogError>;
    async fn get_job(&self, job_id: &JobId) -> Result<Option<JobRecord>, CatalogError>;
    /// Replaces a job only when its stored status is `expected`; otherwise `Conflict`, so two
    /// executions can never both move one job.
    async fn update_job(&self, job: &JobRecord, expected: JobStatus) -> Result<(), CatalogError>;
    /// An org's jobs, newest first, optionally only those with `status`.
    async fn list_jobs(&self, org_id: &OrgId, status: Option<JobStatus>) -> Result<Vec<JobRecord>, CatalogError>;

    /// Saves one category's position in a job (last write wins; one writer per category).
    async fn save_progress(
        &self,
        job_id: &JobId,
        category: &str,
        progress: &CategoryProgress,
    ) -> Result<(), CatalogError>;
    async fn load_progress(&self, job_id: &JobId) -> Result<BTreeMap<String, CategoryProgress>, CatalogError>;

    /// Appends log lines under `batch` (e.g. `users/000012`). Writing the same batch again
    /// replaces it, so a repeated page never duplicates lines.
    async fn append_log(&self, job_id: &JobId, batch: &str, entries: &[LogEntry]) -> Result<(), CatalogError>;
    /// All log lines of a job, in batch order.
    async fn read_log(&self, job_id: &JobId) -> Result<Vec<LogEntry>, CatalogError>;

    async fn put_snapshot(&self, snapshot: &SnapshotRecord) -> Result<(), CatalogError>;
    async fn get_snapshot(
        &self,
        org_id: &OrgId,
        snapshot_id: &SnapshotId,
    ) -> Result<Option<SnapshotRecord>, CatalogError>;
    /// An org's snapshots, oldest first.
    async fn list_snapshots(&self, org_id: &OrgId) -> Result<Vec<SnapshotRecord>, CatalogError>;
}
