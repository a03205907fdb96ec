use async_trait::async_trait;

/// Failure of a blob store. Every variant names the key it concerns.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("blob store: invalid key {key:?}: {reason}")]
    InvalidKey { key: String, reason: String },
    #[error("blob store: {operation} {key:?} failed: {message}")]
    Io {
        operation: &'static str,
        key: String,
        message: String,
        retryable: bool,
    },
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Io { retryable: true, .. })
    }
}

/// Where sealed blobs (segments, manifests, work files) live: a local directory or S3.
///
/// Keys are `/`-separated relative paths of `[A-Za-z0-9._-]` segments (no empty, `.` or `..`
/// segment). Stores hold bytes only: sealing happens above this port.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Writes `bytes` at `key`, replacing what was there. Atomic: a reader sees the old blob
    /// or the new one, never a part.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError>;

    /// Writes `bytes` at `key` only when nothing is there; returns whether it wrote.
    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError>;

    /// The blob at `key`, or `None` when there is none.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Whether a blob exists at `key`.
    async fn exists(&self, key: &str) -> Result<bool, StoreError>;

    /// Every key that starts with `prefix`, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;

    /// Removes the blob at `key`; removing a missing blob is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// Checks a blob key against the rules above; adapters call it before touching storage.
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    check_key(key, b"")
}

/// Like [`validate_key`], with `=` also allowed: the exports' Hive-style partition directories (`org=<org>`).
pub fn validate_export_key(key: &str) -> Result<(), StoreError> {
    check_key(key, b"=")
}

fn check_key(key: &str, also: &[u8]) -> Result<(), StoreError> {
    let bad = |reason: &str| {
        Err(StoreError::InvalidKey {
            key: key.to_string(),
            reason: reason.to_string(),
        })
    };
    if key.is_empty() || key.len() > 900 {
        return bad("a key has 1 to 900 characters");
    }
    for part in key.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return bad("empty, '.' and '..' path segments are not allowed");
        }
        if !part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') || also.contains(&b))
        {
            return bad(if also.is_empty() {
                "only A-Z a-z 0-9 . _ - and / are allowed"
            } else {
                "only A-Z a-z 0-9 . _ - = and / are allowed"
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn only_export_keys_may_hold_hive_style_partitions() {
        let key = "exports/acme.okta.com/job-1/users/org=acme.okta.com/snapshot=s1/part-00000.json.gz";
        assert!(validate_export_key(key).is_ok());
        assert!(validate_key(key).is_err(), "blob keys stay as they were");
        for bad in ["exports//x", "exports/../x", "exports/a b", "exports/a?b=c"] {
            assert!(validate_export_key(bad).is_err(), "{bad}");
        }
    }
}
