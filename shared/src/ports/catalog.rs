use std::collections::BTreeMap;

use async_trait::async_trait;

use super::org::OrgRecord;
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
    /// Another runner holds the lease of the org's job of that kind.
    #[error(
        "org {}'s {} job {} is running (its lease is held by {} until {}); wait for it to finish, or for the \
         lease to expire if that runner stopped",
        lease.org_id, lease.kind, lease.job_id, lease.owner, lease.expires_at()
    )]
    LeaseHeld { lease: Box<Lease> },
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
    /// Creates or replaces an org. Its `last_snapshot` is never changed by this call (a new org starts
    /// without one): only [`Catalog::advance_last_snapshot`] moves it, so rewriting an org (its credentials,
    /// its settings) can never move it backwards.
    async fn put_org(&self, org: &OrgRecord) -> Result<(), CatalogError>;
    /// Moves the org's last snapshot to `snapshot` unless it already names `snapshot` or a later one
    /// (snapshot ids sort by time). Returns whether it moved; `NotFound` for an unknown org.
    async fn advance_last_snapshot(&self, org_id: &OrgId, snapshot: &SnapshotId) -> Result<bool, CatalogError>;
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

    /// The lease of the org's job of `kind`, live or expired, if one was taken and not released.
    async fn get_lease(&self, org_id: &OrgId, kind: JobKind) -> Result<Option<Lease>, CatalogError>;
    /// Takes or renews `lease`: written only when the stored lease of its org and kind is absent, expired
    /// at `now_ms`, or held by the same owner for the same job. Otherwise `LeaseHeld` with the stored lease,
    /// and nothing changes.
    async fn acquire_lease(&self, lease: &Lease, now_ms: i64) -> Result<(), CatalogError>;
    /// Gives up the lease of the org's job of `kind` when `owner` holds it; does nothing otherwise.
    async fn release_lease(&self, org_id: &OrgId, kind: JobKind, owner: &str) -> Result<(), CatalogError>;

    /// Records which new ids objects of `category` got when restored from org `source` into org `target` (old
    /// id, new id), under `batch` (writing a batch again replaces it, so a repeated step adds nothing twice).
    async fn put_id_map(
        &self,
        source: &OrgId,
        target: &OrgId,
        category: &str,
        batch: &str,
        pairs: &[(String, String)],
    ) -> Result<(), CatalogError>;
    /// Every old -> new id of `category` recorded for restores from `source` into `target`.
    async fn id_map(
        &self,
        source: &OrgId,
        target: &OrgId,
        category: &str,
    ) -> Result<BTreeMap<String, String>, CatalogError>;

    async fn put_snapshot(&self, snapshot: &SnapshotRecord) -> Result<(), CatalogError>;
    async fn get_snapshot(
        &self,
        org_id: &OrgId,
        snapshot_id: &SnapshotId,
    ) -> Result<Option<SnapshotRecord>, CatalogError>;
    /// An org's snapshots, oldest first.
    async fn list_snapshots(&self, org_id: &OrgId) -> Result<Vec<SnapshotRecord>, CatalogError>;
    /// Removes a snapshot's record (retention; its blobs are the sweep's to delete). Removing a missing one is not
    /// an error, so a sweep that stopped half way can repeat it.
    async fn delete_snapshot(&self, org_id: &OrgId, snapshot_id: &SnapshotId) -> Result<(), CatalogError>;

    // ---- audit: the trail of actions taken through the API ----

    /// Adds `entry` to the audit trail; `AlreadyExists` when its id is taken (an entry is never replaced).
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), CatalogError>;
    /// The audit trail, newest first: every entry, or those about `org` only.
    async fn list_audit(&self, org: Option<&OrgId>) -> Result<Vec<AuditEntry>, CatalogError>;
}
