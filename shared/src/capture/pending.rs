//! Changes waiting for a capture: one small blob per event at `orgs/<org>/capture/<event uuid>`, holding the
//! categories it touches. Written if absent (a repeated delivery of one event is kept once), read and removed by
//! the capture that takes them. They hold event types and category names, nothing secret, so they are not sealed.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ids::OrgId;
use crate::ports::{BlobStore, StoreError, validate_key};

/// What one pending change says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingChange {
    pub event_type: String,
    pub published: String,
    pub categories: Vec<String>,
}

/// The changes a capture took: what to list, and the blobs to remove once its job holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Taken {
    pub categories: BTreeSet<String>,
    pub keys: Vec<String>,
}

pub fn prefix(org: &OrgId) -> String {
    format!("orgs/{org}/capture/")
}

/// The key of event `uuid`'s change; `None` for an id that cannot be a key segment (Okta's are UUIDs).
pub fn key(org: &OrgId, uuid: &str) -> Option<String> {
    let key = format!("{}{uuid}", prefix(org));
    (!uuid.is_empty() && !uuid.contains('/') && validate_key(&key).is_ok()).then_some(key)
}

/// Records one change; answers false when the event was already recorded.
pub async fn record(
    blobs: &dyn BlobStore,
    org: &OrgId,
    uuid: &str,
    change: &PendingChange,
) -> Result<bool, StoreError> {
    let key = key(org, uuid).ok_or_else(|| StoreError::InvalidKey {
        key: uuid.to_owned(),
        reason: "a System Log event's uuid is a key segment".into(),
    })?;
    let bytes = serde_json::to_vec(change).expect("a pending change serializes");
    blobs.put_if_absent(&key, bytes).await
}

/// Every change pending for `org`. A blob that does not read as a change is taken too (and so removed): a capture
/// then lists the System Log, which every capture lists anyway.
pub async fn take(blobs: &dyn BlobStore, org: &OrgId) -> Result<Taken, StoreError> {
    let mut taken = Taken::default();
    for key in blobs.list(&prefix(org)).await? {
        if let Some(bytes) = blobs.get(&key).await?
            && let Ok(change) = serde_json::from_slice::<PendingChange>(&bytes)
        {
            taken.categories.extend(change.categories);
        }
        taken.keys.push(key);
    }
    Ok(taken)
}

/// Whether anything is pending for `org`.
pub async fn any(blobs: &dyn BlobStore, org: &OrgId) -> Result<bool, StoreError> {
    Ok(!blobs.list(&prefix(org)).await?.is_empty())
}

/// Removes the changes a capture's job now holds.
pub async fn clear(blobs: &dyn BlobStore, keys: &[String]) -> Result<(), StoreError> {
    for key in keys {
        blobs.delete(key).await?;
    }
    Ok(())
}
