use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;

/// Where a finished download goes on a host without a local file system for it (S3 on AWS): the file is put
/// encrypted at rest under an exports prefix that expires, and a link to it is made only when asked for.
#[async_trait]
pub trait ExportStore: Send + Sync + 'static {
    /// Uploads the finished file at `local` to `key`, streaming it from disk.
    async fn publish(&self, key: &str, local: &Path) -> Result<(), StoreError>;

    /// A link that fetches `key` for `expires` (or less, when the store's credentials end sooner), offering the
    /// file as `file_name` (its Content-Disposition).
    async fn link(&self, key: &str, file_name: &str, expires: Duration) -> Result<Link, StoreError>;
}

/// A presigned link and how long it is valid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    pub expires: Duration,
}
