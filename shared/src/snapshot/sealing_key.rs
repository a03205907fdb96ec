//! A snapshot's data key, unwrapped and ready to seal with.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::aead::LessSafeKey;

use crate::ids::{OrgId, SnapshotId};

/// A snapshot's data key: the AES-256-GCM key (memory only) and its wrapped form, which goes into
/// every blob header so any blob opens on its own. Debug never prints the key.
///
/// An org's search index has a key of its own ([`SealingKey::is_index`]): its `snapshot_id` is then the
/// placeholder [`INDEX_KEY_ID`], which names no snapshot.
#[derive(Clone)]
pub struct SealingKey {
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
    pub(super) aead: Arc<LessSafeKey>,
    wrapped: Arc<[u8]>,
    index: bool,
}

/// What an index blob's header holds where a snapshot blob names its snapshot. No snapshot is called so
/// (generated ids begin with a timestamp); the blob's kind, not this id, selects the index key context.
pub const INDEX_KEY_ID: &str = "search-index";

impl SealingKey {
    pub(super) fn new(org_id: OrgId, snapshot_id: SnapshotId, aead: Arc<LessSafeKey>, wrapped: &[u8]) -> Self {
        SealingKey {
            org_id,
            snapshot_id,
            aead,
            wrapped: wrapped.into(),
            index: false,
        }
    }

    pub(super) fn for_index(org_id: OrgId, aead: Arc<LessSafeKey>, wrapped: &[u8]) -> Self {
        SealingKey {
            org_id,
            snapshot_id: SnapshotId::new(INDEX_KEY_ID).expect("the index key id is a valid id"),
            aead,
            wrapped: wrapped.into(),
            index: true,
        }
    }

    /// Whether this is an org's search index key (it seals only [`super::BlobKind::Index`] blobs).
    pub fn is_index(&self) -> bool {
        self.index
    }

    /// The wrapped data key: safe to store (only the KeyProvider can unwrap it, for this org and snapshot).
    pub fn wrapped(&self) -> &[u8] {
        &self.wrapped
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("org_id", &self.org_id)
            .field("snapshot_id", &self.snapshot_id)
            .field("key", &"<redacted>")
            .field("wrapped_len", &self.wrapped.len())
            .finish()
    }
}
