//! A download's plan and its staged pieces, in the blob store and sealed under the job's own data key (bound to
//! the org): PlanDownload writes the plan once, ExportPage renders one unit of objects into one piece, and
//! FinalizeDownload streams the pieces into the file, in order, then deletes them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::format::Format;
use super::tables::Column;
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::JobStatus;
use crate::snapshot::{BlobKind, SealingKey, SnapshotError, SnapshotReader, Vault, keys};

/// Objects rendered into one piece, at most: one ExportPage call renders a few of them in its time budget, and
/// a piece of 5,000 users is a few megabytes in memory.
pub const UNIT_ENTRIES: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadPlan {
    pub job_id: JobId,
    pub format: Format,
    /// The newest snapshot read (the one, without a range): what each JSON document names.
    pub snapshot: SnapshotMeta,
    /// Every snapshot read, oldest first.
    pub snapshots: Vec<SnapshotMeta>,
    /// One file per category (per snapshot read), in catalog order.
    pub files: Vec<FilePlan>,
    /// What the download leaves out, and what the snapshot lacks, for a person.
    pub notes: Vec<String>,
}

/// The snapshot's metadata, as each JSON document carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
    /// The backup job that took it.
    pub job_id: JobId,
    pub created_at: String,
    pub status: JobStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilePlan {
    pub category: String,
    /// The snapshot it is read from (an index into `snapshots`).
    #[serde(default)]
    pub snapshot: usize,
    /// Only these objects (a selection of objects, or their relationships); every object when `None`.
    pub ids: Option<BTreeSet<String>>,
    /// The columns of a table (CSV, SQLite, JSON Lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<Column>>,
    /// The runs of manifest entries rendered one piece each, in order.
    pub units: Vec<Unit>,
}

/// Entries `start..end` of manifest part `part`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub part: usize,
    pub start: usize,
    pub end: usize,
}

impl DownloadPlan {
    /// A download of several files is a zip of them (a SQLite file holds every table itself).
    pub fn is_zip(&self) -> bool {
        self.files.len() != 1 && matches!(self.format, Format::Json | Format::Csv)
    }

    /// The name of file `n` (inside the zip, or the file itself).
    pub fn entry_name(&self, n: usize) -> String {
        format!("{}.{}", self.files[n].category, self.format.extension())
    }
}

/// The units of `category` in the snapshot: each part's entries, `UNIT_ENTRIES` at a time.
pub fn units(reader: &SnapshotReader, category: &str) -> Vec<Unit> {
    let Some(head) = reader.head().categories.get(category) else {
        return Vec::new();
    };
    let mut units = Vec::new();
    for (part, r) in head.parts.iter().enumerate() {
        let entries = r.entries as usize;
        let mut start = 0;
        while start < entries {
            let end = (start + UNIT_ENTRIES).min(entries);
            units.push(Unit { part, start, end });
            start = end;
        }
    }
    units
}

pub async fn write_plan(vault: &Vault, key: &SealingKey, plan: &DownloadPlan) -> Result<(), SnapshotError> {
    let bytes = serde_json::to_vec(plan).expect("a download plan serializes");
    let blob = keys::download_plan(&plan.snapshot.org_id, &plan.job_id);
    vault.put_sealed(key, &blob, BlobKind::Work, &bytes).await
}

/// The job's plan, or `None` when PlanDownload did not write it.
pub async fn read_plan(vault: &Vault, org: &OrgId, job: &JobId) -> Result<Option<DownloadPlan>, SnapshotError> {
    let blob = keys::download_plan(org, job);
    match vault.get_opened(org, &blob, BlobKind::Work).await {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| SnapshotError::Decode {
                key: blob,
                reason: format!("a download plan that does not parse: {e}"),
            }),
        Err(SnapshotError::Missing { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The rendered objects of one unit: how many, and their bytes in the file's format.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Piece {
    pub objects: u64,
    pub body: Vec<u8>,
}

pub async fn write_piece(
    vault: &Vault,
    key: &SealingKey,
    plan: &DownloadPlan,
    file: usize,
    unit: usize,
    piece: &Piece,
) -> Result<(), SnapshotError> {
    let mut bytes = Vec::with_capacity(8 + piece.body.len());
    bytes.extend_from_slice(&piece.objects.to_le_bytes());
    bytes.extend_from_slice(&piece.body);
    let blob = keys::download_piece(&plan.snapshot.org_id, &plan.job_id, file, unit);
    vault.put_sealed(key, &blob, BlobKind::Work, &bytes).await
}

pub async fn read_piece(vault: &Vault, plan: &DownloadPlan, file: usize, unit: usize) -> Result<Piece, SnapshotError> {
    let blob = keys::download_piece(&plan.snapshot.org_id, &plan.job_id, file, unit);
    let bytes = vault.get_opened(&plan.snapshot.org_id, &blob, BlobKind::Work).await?;
    if bytes.len() < 8 {
        return Err(SnapshotError::Decode {
            key: blob,
            reason: "a download piece shorter than its count".into(),
        });
    }
    let (count, body) = bytes.split_at(8);
    Ok(Piece {
        objects: u64::from_le_bytes(count.try_into().expect("8 bytes")),
        body: body.to_vec(),
    })
}

/// Deletes the job's plan and pieces.
pub async fn delete_staged(vault: &Vault, org: &OrgId, job: &JobId) -> Result<(), SnapshotError> {
    for key in vault.blobs().list(&keys::download_prefix(org, job)).await? {
        vault.blobs().delete(&key).await?;
    }
    Ok(())
}
