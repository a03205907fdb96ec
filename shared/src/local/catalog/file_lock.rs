//! An exclusive OS file lock around one record (a job; an org and its leases), so a read-compare-write
//! cannot interleave with another, whether it runs in this process or in a second `oktavault` process.
//!
//! `File::lock` is `flock(2)` on Unix: it belongs to the open file, so two opens of the same
//! lock file in one process exclude each other just as two processes do.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::json_file::io_failure;
use crate::ports::CatalogError;

/// Runs `critical` while holding the lock at `lock_path` (created on first use).
pub(crate) fn with_lock<T>(
    lock_path: &Path,
    critical: impl FnOnce() -> Result<T, CatalogError>,
) -> Result<T, CatalogError> {
    if let Some(dir) = lock_path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_failure("create the directory", dir, e))?;
    }
    let file: File = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(lock_path)
        .map_err(|e| io_failure("open the lock file", lock_path, e))?;
    file.lock().map_err(|e| io_failure("lock", lock_path, e))?;
    let result = critical();
    // Closing the file releases the lock too; unlocking first makes the order explicit.
    let _ = file.unlock();
    result
}
