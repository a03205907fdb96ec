//! Everything that can go wrong while sealing, storing, opening or reading snapshot blobs.
//!
//! Each variant names the blob key (or object) it concerns and says what a person can do about it.

use crate::ports::{KeyError, StoreError};

use super::envelope::BlobKind;
use super::hash::ObjectHash;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Store(#[from] StoreError),

    #[error(
        "the data key of snapshot {snapshot_id} (org {org_id}) could not be obtained{}: {source}",
        for_blob(.blob_key)
    )]
    Key {
        org_id: String,
        snapshot_id: String,
        blob_key: Option<String>,
        source: KeyError,
    },

    #[error("blob {key:?} is missing from the blob store: the snapshot that references it is incomplete")]
    Missing { key: String },

    #[error("blob {key:?} is not an oktavault blob (its first bytes are not the OVLT magic)")]
    NotOktavaultBlob { key: String },

    #[error(
        "blob {key:?} uses snapshot format version {version}, which this oktavault does not know \
         (it reads version {supported}); upgrade oktavault to read it"
    )]
    UnsupportedVersion { key: String, version: u8, supported: u8 },

    #[error("blob {key:?} has a malformed header ({reason}): it is truncated or corrupted")]
    MalformedHeader { key: String, reason: String },

    #[error(
        "blob {key:?} failed authentication: it was tampered with or corrupted, or copied from another \
         blob key or org; restore it from a replica or treat the objects in it as lost"
    )]
    Tampered { key: String },

    #[error("blob {key:?} is a {found} blob where a {expected} blob was expected")]
    WrongKind {
        key: String,
        expected: BlobKind,
        found: BlobKind,
    },

    #[error(
        "blob {key:?} authenticated but its content could not be decoded ({reason}): this is a bug \
         or a format this oktavault does not understand; please report it"
    )]
    Decode { key: String, reason: String },

    #[error(
        "object {index} of segment {key:?} does not match its hash (stored {expected}, computed {actual}); \
         the segment was written wrongly"
    )]
    ObjectHashMismatch {
        key: String,
        index: u32,
        expected: ObjectHash,
        actual: ObjectHash,
    },

    #[error(
        "the manifest says {category}/{id} is object {index} of segment {key:?} with hash {expected}, \
         but the segment holds a different object there; the snapshot was written wrongly"
    )]
    ManifestMismatch {
        category: String,
        id: String,
        key: String,
        index: u32,
        expected: ObjectHash,
    },

    #[error("segment {key:?} holds {len} objects; object {index} was asked for (the manifest and segment disagree)")]
    ObjectNotInSegment { key: String, index: u32, len: usize },

    #[error("cannot write {what}: {reason}")]
    InvalidInput { what: String, reason: String },

    #[error("could not seal blob {key:?}: {reason}")]
    Seal { key: String, reason: String },
}

impl SnapshotError {
    /// Whether trying the same operation again may succeed (a throttled or unreachable store or KMS).
    pub fn is_retryable(&self) -> bool {
        match self {
            SnapshotError::Store(e) => e.is_retryable(),
            SnapshotError::Key { source, .. } => source.is_retryable(),
            _ => false,
        }
    }

    /// The blob key the error concerns, when it concerns one.
    pub fn blob_key(&self) -> Option<&str> {
        match self {
            SnapshotError::Store(StoreError::InvalidKey { key, .. } | StoreError::Io { key, .. }) => Some(key),
            SnapshotError::Key { blob_key, .. } => blob_key.as_deref(),
            SnapshotError::Missing { key }
            | SnapshotError::NotOktavaultBlob { key }
            | SnapshotError::UnsupportedVersion { key, .. }
            | SnapshotError::MalformedHeader { key, .. }
            | SnapshotError::Tampered { key }
            | SnapshotError::WrongKind { key, .. }
            | SnapshotError::Decode { key, .. }
            | SnapshotError::ObjectHashMismatch { key, .. }
            | SnapshotError::ManifestMismatch { key, .. }
            | SnapshotError::ObjectNotInSegment { key, .. }
            | SnapshotError::Seal { key, .. } => Some(key),
            SnapshotError::InvalidInput { .. } => None,
        }
    }
}

fn for_blob(blob_key: &Option<String>) -> String {
    match blob_key {
        Some(key) => format!(" to open blob {key:?} (if the key provider is healthy, the blob's header is corrupted)"),
        None => String::new(),
    }
}
