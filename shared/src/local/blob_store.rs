//! [`LocalBlobStore`]: blobs as files under one directory, key segments as subdirectories.
//!
//! A key `a/b/c` lives at `<dir>/a/b/c`. Because a path cannot be both a file and a directory,
//! keys `a` and `a/b` cannot both exist here (S3 allows it); writing the second one fails with
//! an error naming both.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::atomic_file::{self, is_temp_name};
use crate::ports::{BlobStore, StoreError};

/// The embedded [`BlobStore`]: a local directory.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// Opens (creating when needed) the store kept in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = dir.into();
        std::fs::create_dir_all(&root).map_err(|e| StoreError::Io {
            operation: "open",
            key: root.display().to_string(),
            message: format!("cannot create the blob directory: {e}"),
            retryable: false,
        })?;
        Ok(Self { root })
    }

    /// The directory the blobs live in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }

    /// Runs blocking file work off the async runtime, naming `key` in any failure.
    async fn blocking<T: Send + 'static>(
        operation: &'static str,
        key: &str,
        work: impl FnOnce() -> io::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let result = tokio::task::spawn_blocking(work).await.map_err(|e| StoreError::Io {
            operation,
            key: key.to_string(),
            message: format!("the file task stopped: {e}"),
            retryable: true,
        })?;
        result.map_err(|e| io_error(operation, key, e))
    }
}

/// The key rule of the `BlobStore` port (`ports::blob::validate_key`, which `ports` does not
/// export on this branch): 1 to 900 characters, `/`-separated segments of `[A-Za-z0-9._-]`, no
/// empty, `.` or `..` segment. The conformance suite checks every adapter against the same rule.
/// Replace with `crate::ports::validate_key` once it is re-exported.
pub(crate) fn validate_key(key: &str) -> Result<(), StoreError> {
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
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return bad("only A-Z a-z 0-9 . _ - and / are allowed");
        }
    }
    Ok(())
}

fn io_error(operation: &'static str, key: &str, e: io::Error) -> StoreError {
    let retryable = matches!(
        e.kind(),
        io::ErrorKind::Interrupted | io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    );
    let message = match e.kind() {
        io::ErrorKind::NotADirectory => {
            format!("a shorter key on this path is already a blob, so this key cannot be a file under it ({e})")
        }
        io::ErrorKind::IsADirectory | io::ErrorKind::DirectoryNotEmpty => {
            format!("longer keys exist under this key's path, so it cannot also be a blob here ({e})")
        }
        _ => e.to_string(),
    };
    StoreError::Io {
        operation,
        key: key.to_string(),
        message,
        retryable,
    }
}

/// Creates the directories a key's file goes in.
fn create_parent(path: &Path) -> io::Result<()> {
    let Some(dir) = path.parent() else { return Ok(()) };
    std::fs::create_dir_all(dir).map_err(|e| {
        // `create_dir_all` reports a blob in the way as "already exists"; say what it means.
        if e.kind() == io::ErrorKind::AlreadyExists || e.kind() == io::ErrorKind::NotADirectory {
            io::Error::new(io::ErrorKind::NotADirectory, e)
        } else {
            e
        }
    })
}

/// Whether an io error means "there is no blob here" (missing, or a directory of longer keys).
fn means_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::IsADirectory
    )
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        Self::blocking("put", key, move || {
            create_parent(&path)?;
            if path.is_dir() {
                return Err(io::Error::from(io::ErrorKind::IsADirectory));
            }
            atomic_file::write_replace(&path, &bytes)
        })
        .await
    }

    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        let path = self.path_of(key)?;
        Self::blocking("put_if_absent", key, move || {
            create_parent(&path)?;
            if path.is_dir() {
                return Err(io::Error::from(io::ErrorKind::IsADirectory));
            }
            atomic_file::write_if_absent(&path, &bytes)
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path_of(key)?;
        Self::blocking("get", key, move || match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if means_absent(&e) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let path = self.path_of(key)?;
        Self::blocking("exists", key, move || match std::fs::metadata(&path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if means_absent(&e) => Ok(false),
            Err(e) => Err(e),
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let root = self.root.clone();
        let owned_prefix = prefix.to_string();
        Self::blocking("list", prefix, move || list_prefix(&root, &owned_prefix)).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        // Empty directories are left behind on purpose: removing them would race with a
        // concurrent `put` that has just created them.
        Self::blocking("delete", key, move || match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            Err(e) if means_absent(&e) => Ok(()),
            Err(e) => Err(e),
        })
        .await
    }
}

/// Every key under `root` starting with `prefix`, sorted. Only the directory the prefix names
/// is walked, so listing one snapshot does not read the whole store.
fn list_prefix(root: &Path, prefix: &str) -> io::Result<Vec<String>> {
    let (dir_part, _) = prefix.rsplit_once('/').unwrap_or(("", prefix));
    // A prefix no valid key can start with (`..`, bad characters) matches nothing, and must
    // never make the walk leave the root.
    let valid_segment = |s: &str| validate_key(s).is_ok();
    if !dir_part.is_empty() && !dir_part.split('/').all(valid_segment) {
        return Ok(Vec::new());
    }
    if !prefix
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
    {
        return Ok(Vec::new());
    }
    let start = if dir_part.is_empty() {
        root.to_path_buf()
    } else {
        root.join(dir_part)
    };
    let key_of_start = if dir_part.is_empty() {
        String::new()
    } else {
        format!("{dir_part}/")
    };
    let mut keys = Vec::new();
    walk(&start, &key_of_start, prefix, &mut keys)?;
    keys.sort();
    Ok(keys)
}

fn walk(dir: &Path, key_of_dir: &str, prefix: &str, keys: &mut Vec<String>) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if means_absent(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if is_temp_name(&name) || validate_key(&name).is_err() {
            continue;
        }
        let key = format!("{key_of_dir}{name}");
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            // Descend only where keys can still match the prefix.
            let dir_key = format!("{key}/");
            if dir_key.starts_with(prefix) || prefix.starts_with(&dir_key) {
                walk(&entry.path(), &dir_key, prefix, keys)?;
            }
        } else if file_type.is_file() && key.starts_with(prefix) {
            keys.push(key);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn temp_files_and_foreign_names_are_never_listed() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        store.put("snap/a", b"x".to_vec()).await.unwrap();
        std::fs::write(dir.path().join("snap/a~0123456789abcdef.tmp"), b"half").unwrap();
        std::fs::write(dir.path().join("snap/bad name"), b"?").unwrap();
        assert_eq!(store.list("").await.unwrap(), vec!["snap/a"]);
        assert_eq!(store.list("snap/").await.unwrap(), vec!["snap/a"]);
    }

    #[tokio::test]
    async fn concurrent_puts_of_one_key_leave_one_whole_blob_and_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        let writes = (0u8..8).map(|i| store.put("k/blob", vec![i; 256 * 1024]));
        for result in futures::future::join_all(writes).await {
            result.unwrap();
        }
        let blob = store.get("k/blob").await.unwrap().unwrap();
        assert_eq!(blob.len(), 256 * 1024);
        assert!(blob.iter().all(|b| *b == blob[0]), "a blob mixed two writers' bytes");
        assert_eq!(
            std::fs::read_dir(dir.path().join("k")).unwrap().count(),
            1,
            "a temp file was left behind"
        );
    }

    #[tokio::test]
    async fn a_prefix_that_climbs_out_of_the_store_lists_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path().join("blobs")).unwrap();
        std::fs::write(dir.path().join("outside"), b"secret").unwrap();
        assert!(store.list("../").await.unwrap().is_empty());
        assert!(store.list("../out").await.unwrap().is_empty());
        assert!(store.list("a//").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_key_under_an_existing_blob_fails_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        store.put("a", b"1".to_vec()).await.unwrap();
        let err = store.put("a/b", b"2".to_vec()).await.unwrap_err().to_string();
        assert!(err.contains("\"a/b\""), "{err}");
        store.put("c/d", b"1".to_vec()).await.unwrap();
        let err = store.put_if_absent("c", b"2".to_vec()).await.unwrap_err().to_string();
        assert!(err.contains("longer keys exist"), "{err}");
        assert_eq!(store.get("c").await.unwrap(), None);
        assert!(!store.exists("c").await.unwrap());
        store.delete("c").await.unwrap();
        assert_eq!(store.get("c/d").await.unwrap(), Some(b"1".to_vec()));
    }
}
