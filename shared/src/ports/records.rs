//! The records the [`super::Catalog`] keeps. Plain data: serializable for both adapters.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{JobId, OrgId, SnapshotId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Backup,
    Restore,
    Download,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Backup => "backup",
            JobKind::Restore => "restore",
            JobKind::Download => "download",
        }
    }
}

/// What happens to an object that exists in the target org (see docs/restore.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Leave it; only missing objects are created.
    #[default]
    Skip,
    /// Replace its own attributes with the snapshot's.
    Overwrite,
    /// Keep each attribute it has set; fill the rest from the snapshot; union lists of ids.
    Merge,
}

/// What a restore job was asked for. The job's `org_id` is the target org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreSpec {
    pub source_org: OrgId,
    pub snapshot_id: SnapshotId,
    /// `CATEGORY`, `CATEGORY:ID_OR_NAME`, or `all`.
    pub selection: Vec<String>,
    #[serde(default)]
    pub on_conflict: OnConflict,
    /// Add the memberships and assignments of the selected objects (never removes any).
    pub relationships: bool,
    /// Activate recreated users (Okta sends each an activation email); otherwise they stay STAGED.
    pub activate: bool,
    /// Plan only: write nothing to Okta.
    pub dry_run: bool,
    /// Apply even when the plan goes over the guardrail.
    pub confirmed: bool,
    /// Leave the memberships of groups an active rule assigns to the rule.
    #[serde(default)]
    pub leave_rule_memberships: bool,
    /// The token of a held plan, confirming it if planning finds the same changes again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
    /// The key context the plan's blobs are sealed under (`{org: target, snapshot: this}`).
    pub plan_key: SnapshotId,
}

/// What a download job was asked for. The job's `org_id` is the org whose snapshots it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadSpec {
    /// The snapshot read; with `from` and `to`, the newest of the range (the snapshots table names them all).
    pub snapshot_id: SnapshotId,
    /// Every snapshot read, oldest first: the one snapshot, or each snapshot of the `--from`/`--to` range.
    #[serde(default)]
    pub snapshots: Vec<SnapshotId>,
    /// `CATEGORY`, `CATEGORY:ID_OR_NAME`, or `all`.
    pub selection: Vec<String>,
    /// Add the memberships, assignments, factors, roles and rules of the selected objects.
    pub relationships: bool,
    /// `json`, `csv`, `sqlite` or `jsonl` (gzipped JSON Lines for Athena).
    pub format: String,
    /// Embedded: the file the download is written to (it appears there only when complete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// On AWS: the S3 key the finished file was put at (set when the job completes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_key: Option<String>,
    /// The file name a person gets (the presigned link's `Content-Disposition`).
    pub file_name: String,
    /// The key context the job's staged pieces are sealed under (`{org, snapshot: this}`).
    pub piece_key: SnapshotId,
}

impl OnConflict {
    pub fn as_str(self) -> &'static str {
        match self {
            OnConflict::Skip => "skip",
            OnConflict::Overwrite => "overwrite",
            OnConflict::Merge => "merge",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The right to write an org's job of one kind: one runner (a process embedded, an execution on AWS)
/// at a time. Taken and renewed by conditional writes ([`super::Catalog::acquire_lease`]); a runner
/// that stops renewing loses it when it expires, and another may take the job over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub org_id: OrgId,
    pub kind: JobKind,
    pub job_id: JobId,
    /// The runner holding it: an execution id on AWS, `cli:<host>:<pid>:<random>` embedded.
    pub owner: String,
    /// Milliseconds since the Unix epoch; from then on the lease is free to take over.
    pub expires_at_ms: i64,
}

impl Lease {
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.expires_at_ms > now_ms
    }

    /// The expiry as RFC 3339, for a person.
    pub fn expires_at(&self) -> String {
        crate::timefmt::rfc3339_from_millis(self.expires_at_ms)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JobStatus {
    Running,
    Completed,
    CompletedWithErrors,
    Failed,
}

impl JobStatus {
    pub fn is_finished(self) -> bool {
        !matches!(self, JobStatus::Running)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "Running",
            JobStatus::Completed => "Completed",
            JobStatus::CompletedWithErrors => "Completed With Errors",
            JobStatus::Failed => "Failed",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finished category contributed to a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryCounts {
    /// Objects in the snapshot for this category.
    pub objects: u64,
    /// Objects whose content was new (written to a segment rather than carried by hash).
    pub new_objects: u64,
    /// Objects or pages that failed; each has a line in the job log.
    pub errors: u64,
    /// Set when the category was not backed up at all (not granted, not on the org's plan).
    pub skipped: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub kind: JobKind,
    pub status: JobStatus,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
    /// The snapshot this backup job writes.
    pub snapshot_id: Option<SnapshotId>,
    /// The snapshot it deduplicates against (the org's newest complete one when it started).
    pub previous_snapshot: Option<SnapshotId>,
    /// Lists every parent's children again instead of carrying unchanged ones from the previous
    /// snapshot: the periodic safety net under incremental backups.
    #[serde(default)]
    pub full_refresh: bool,
    /// The snapshot's data key, wrapped by the key provider (base64). Never the plaintext.
    pub wrapped_key: Option<String>,
    /// The categories this job backs up, in catalog order.
    pub categories: Vec<String>,
    pub counts: BTreeMap<String, CategoryCounts>,
    /// Why the job failed, for a person (set with status Failed).
    pub error: Option<String>,
    /// Set with status Failed: whether the failure was transient (an outage, a timeout, credentials revoked
    /// mid-job), so the next backup of the org reopens this job and continues from its saved positions.
    #[serde(default)]
    pub resumable: bool,
    /// How many times this job was reopened after a transient failure.
    #[serde(default)]
    pub reopened: u32,
    /// What started a backup job (restore and download jobs keep the default).
    #[serde(default)]
    pub trigger: BackupTrigger,
    /// Set on restore jobs: what was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreSpec>,
    /// Set on download jobs: what was asked for, and where the file went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<DownloadSpec>,
}

impl JobRecord {
    /// A Running job of `kind` created at `created_at`, with nothing recorded yet; the workflows fill in the rest.
    pub fn new(job_id: JobId, org_id: OrgId, kind: JobKind, created_at: String) -> Self {
        Self {
            job_id,
            org_id,
            kind,
            status: JobStatus::Running,
            updated_at: created_at.clone(),
            created_at,
            finished_at: None,
            snapshot_id: None,
            previous_snapshot: None,
            full_refresh: false,
            wrapped_key: None,
            categories: Vec::new(),
            counts: BTreeMap::new(),
            error: None,
            resumable: false,
            reopened: 0,
            trigger: BackupTrigger::default(),
            restore: None,
            download: None,
        }
    }
}

/// A category's resumable position inside a running backup job. The cursor is opaque to
/// everyone but the backup step that wrote it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryProgress {
    /// Pages completed so far; the next page is written under this sequence number.
    pub pages: u64,
    pub cursor: Option<serde_json::Value>,
    pub done: bool,
    pub counts: CategoryCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub at: String,
    pub category: String,
    /// The Okta object the line is about, when there is one.
    pub object_id: Option<String>,
    pub outcome: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    pub snapshot_id: SnapshotId,
    pub org_id: OrgId,
    pub job_id: JobId,
    pub created_at: String,
    /// Blob key of the sealed manifest.
    pub manifest_key: String,
    pub counts: BTreeMap<String, u64>,
    /// Final status of the job that wrote it (a snapshot of a job with errors is still usable).
    pub status: JobStatus,
    /// Whether the job listed everything (see [`JobRecord::full_refresh`]).
    #[serde(default)]
    pub full_refresh: bool,
    /// The org's snapshot before this one, which [`Self::changes`] counts from; `None` for its first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<SnapshotId>,
    /// Per category, what changed since `previous`, by content (the System Log, which holds events rather than
    /// a state, is left out; empty for the org's first snapshot). `None` when not recorded: a snapshot written before this was kept, or one whose
    /// previous snapshot could not be read when it was finalized; the timeline then compares the manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<BTreeMap<String, ChangeCounts>>,
    /// What the snapshot lacks: categories the org's plan or the app's scopes left out, and parents Okta did
    /// not list completely, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lacks: Vec<Lack>,
    /// What started the backup that wrote it (retention counts scheduled and manual snapshots, and keeps
    /// captures by age).
    #[serde(default)]
    pub trigger: BackupTrigger,
    /// Per category carried from an earlier snapshot rather than read by this one (linked-object values between
    /// their reads): the snapshot that read it, and when. The timeline shows it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub as_of: BTreeMap<String, crate::snapshot::AsOf>,
}

/// What started a backup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupTrigger {
    /// The org's schedule (and every backup from before triggers were recorded).
    #[default]
    Scheduled,
    /// A person: `oktavault backup`, or "backup now".
    Manual,
    /// Admin changes seen in the org's log stream.
    Capture,
}

/// How many objects of a category were added, removed and changed from one snapshot to the next.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCounts {
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
}

impl ChangeCounts {
    pub fn is_empty(&self) -> bool {
        self.added == 0 && self.removed == 0 && self.changed == 0
    }
}

/// One thing a snapshot lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lack {
    pub category: String,
    /// The parent or list pass not listed completely; `None` when the whole category was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    pub reason: String,
}

/// One action taken through the API (or refused there), as the audit trail keeps it. Entries are only ever
/// added: neither port adapter replaces or deletes one, and the API has no route that writes one directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Unique and sortable by time: `<compact time>-<millisecond>-<random>` ([`AuditEntry::new_id`]).
    pub id: String,
    pub at: String,
    /// Who acted: the JWT subject behind API Gateway, or `local-token` for the holder of `oktavault serve`'s token.
    pub subject: String,
    /// What was asked: `restore`, `restore.plan`, `undo`, `download`, `backup`, ...
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<OrgId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<SnapshotId>,
    pub result: AuditResult,
    /// What was asked for (the selection, the format) or why it was refused.
    pub detail: String,
}

impl AuditEntry {
    /// A fresh entry id for an entry made at `now`: ids sort in time order.
    pub fn new_id(now: time::OffsetDateTime) -> String {
        format!(
            "{}-{:03}-{}",
            crate::timefmt::compact(now),
            now.millisecond(),
            crate::ids::random_suffix()
        )
    }
}

/// How an audited action ended when it was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditResult {
    /// The job was started (its own status tells how it ends).
    Started,
    /// The caller lacks the role: nothing happened.
    Refused,
    /// The request was valid and authorized, but could not be carried out (a conflict, a store failure).
    Failed,
    /// The action was carried out at once (an org authorized, changed or deleted; capture turned on or off).
    Done,
}
