use async_trait::async_trait;

use crate::ids::{OrgId, SnapshotId};

/// What a data key is bound to: unwrapping under any other context fails.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyContext {
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
}

/// A fresh AES-256 data key: the plaintext to seal with (kept in memory only) and the wrapped
/// form that is stored beside the data.
pub struct DataKey {
    pub plaintext: [u8; 32],
    pub wrapped: Vec<u8>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("plaintext", &"<redacted>")
            .field("wrapped_len", &self.wrapped.len())
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key provider: the wrapped data key for {context} could not be unwrapped: {message}")]
    Unwrap { context: String, message: String },
    #[error("key provider: {message}")]
    Unavailable { message: String, retryable: bool },
}

impl KeyError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, KeyError::Unavailable { retryable: true, .. })
    }
}

/// Envelope keys: KMS `GenerateDataKey`/`Decrypt` in production, a local key file embedded.
#[async_trait]
pub trait KeyProvider: Send + Sync + 'static {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError>;
    async fn unwrap_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<[u8; 32], KeyError>;
}
