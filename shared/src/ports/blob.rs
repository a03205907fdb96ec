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

    /// The lock every new blob gets, when the store locks blobs (S3 Object Lock's default retention); `None` for a
    /// store without locks, which is every store but a locked bucket.
    async fn lock_rule(&self) -> Result<Option<LockRule>, StoreError> {
        Ok(None)
    }

    /// How long the blob at `key` is locked; `None` when it is not locked (or not there).
    async fn retention(&self, key: &str) -> Result<Option<Retention>, StoreError> {
        let _ = key;
        Ok(None)
    }

    /// Locks the blob at `key` until `retention.until`, in `retention.mode`. Only ever asked to lengthen a lock: a
    /// store refuses to shorten a compliance-mode one.
    async fn extend_retention(&self, key: &str, retention: &Retention) -> Result<(), StoreError> {
        let _ = retention;
        Err(StoreError::Io {
            operation: "extend retention",
            key: key.to_string(),
            message: "this store does not lock blobs".into(),
            retryable: false,
        })
    }
}

/// How a locked blob may be unlocked early: governance (by a principal allowed to bypass it) or compliance (by
/// nobody).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LockMode {
    Governance,
    Compliance,
}

/// The lock a store gives every new blob: its mode, for this many days from the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockRule {
    pub mode: LockMode,
    pub days: u32,
}

/// One blob's lock: no delete of this version before `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub mode: LockMode,
    pub until: time::OffsetDateTime,
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
