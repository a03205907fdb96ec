//! Work documents: per page, the objects it contributed and where their bytes are. FinalizeBackup
//! folds them into the manifest; they are deleted once the snapshot is recorded.

use serde::{Deserialize, Serialize};

use super::StepError;
use crate::ids::{JobId, OrgId};
use crate::snapshot::{BlobKind, Location, ObjectHash, SealingKey, Vault, keys};

/// One object of a page: `[id, hash, last_updated, segment key, index]` on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkEntry(pub String, pub ObjectHash, pub Option<String>, pub String, pub u32);

impl WorkEntry {
    pub fn new(id: String, hash: ObjectHash, last_updated: Option<String>, at: Location) -> Self {
        Self(id, hash, last_updated, at.segment_key, at.index)
    }

    pub fn id(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct WorkDoc {
    pub entries: Vec<WorkEntry>,
}

pub async fn write(
    vault: &Vault,
    key: &SealingKey,
    job: &JobId,
    category: &str,
    seq: u32,
    doc: &WorkDoc,
) -> Result<(), StepError> {
    let bytes =
        serde_json::to_vec(doc).map_err(|e| StepError::fatal(format!("could not encode a work document: {e}")))?;
    vault
        .put_sealed(
            key,
            &keys::work(&key.org_id, job, category, seq),
            BlobKind::Work,
            &bytes,
        )
        .await?;
    Ok(())
}

/// Every entry a category's pages wrote in this job, in page order.
pub async fn read_all(vault: &Vault, org: &OrgId, job: &JobId, category: &str) -> Result<Vec<WorkEntry>, StepError> {
    let prefix = format!("{}{category}/", keys::work_prefix(org, job));
    let mut entries = Vec::new();
    for blob_key in vault.blobs().list(&prefix).await? {
        let bytes = vault.get_opened(org, &blob_key, BlobKind::Work).await?;
        let doc: WorkDoc = serde_json::from_slice(&bytes)
            .map_err(|e| StepError::fatal(format!("work document {blob_key} is unreadable: {e}")))?;
        entries.extend(doc.entries);
    }
    Ok(entries)
}

/// Removes a job's work documents once its snapshot is recorded. Leftovers are harmless: they
/// are never read by another job.
pub async fn delete_all(vault: &Vault, org: &OrgId, job: &JobId) -> Result<(), StepError> {
    for blob_key in vault.blobs().list(&keys::work_prefix(org, job)).await? {
        vault.blobs().delete(&blob_key).await?;
    }
    Ok(())
}
