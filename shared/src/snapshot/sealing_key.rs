//! A snapshot's data key, unwrapped and ready to seal with.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::aead::LessSafeKey;

use crate::ids::{OrgId, SnapshotId};

/// A snapshot's data key: the AES-256-GCM key (memory only) and its wrapped form, which goes into
/// every blob header so any blob opens on its own. Debug never prints the key.
#[derive(Clone)]
pub struct SealingKey {
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
    pub(super) aead: Arc<LessSafeKey>,
    wrapped: Arc<[u8]>,
}

impl SealingKey {
    pub(super) fn new(org_id: OrgId, snapshot_id: SnapshotId, aead: Arc<LessSafeKey>, wrapped: &[u8]) -> Self {
        SealingKey {
            org_id,
            snapshot_id,
            aead,
            wrapped: wrapped.into(),
        }
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
