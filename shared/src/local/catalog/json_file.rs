//! Catalog records as JSON files: read, replace atomically, create only if absent, and list a
//! directory of them. Every failure names the file concerned.

use std::io;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::names;
use crate::local::atomic_file::{self, is_temp_name};
use crate::ports::CatalogError;

const EXTENSION: &str = ".json";

pub(crate) fn io_failure(action: &str, path: &Path, e: io::Error) -> CatalogError {
    let retryable = matches!(
        e.kind(),
        io::ErrorKind::Interrupted | io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    );
    CatalogError::Backend {
        message: format!("cannot {action} {}: {e}", path.display()),
        retryable,
    }
}

fn corrupt(path: &Path, what: &str, e: serde_json::Error) -> CatalogError {
    CatalogError::Backend {
        message: format!(
            "the file {} is not a valid {what} ({e}); restore it from a copy or remove it",
            path.display()
        ),
        retryable: false,
    }
}

/// The record in `path`, or `None` when there is no such file.
pub(crate) fn read<T: DeserializeOwned>(path: &Path, what: &str) -> Result<Option<T>, CatalogError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_failure("read", path, e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| corrupt(path, what, e))
}

/// Replaces (or creates) the record in `path`.
pub(crate) fn write<T: Serialize>(path: &Path, record: &T) -> Result<(), CatalogError> {
    let bytes = encode(path, record)?;
    create_parent(path)?;
    atomic_file::write_replace(path, &bytes).map_err(|e| io_failure("write", path, e))
}

/// Creates the record in `path` unless a file is there; returns whether it wrote.
pub(crate) fn create<T: Serialize>(path: &Path, record: &T) -> Result<bool, CatalogError> {
    let bytes = encode(path, record)?;
    create_parent(path)?;
    atomic_file::write_if_absent(path, &bytes).map_err(|e| io_failure("create", path, e))
}

/// Removes the record in `path`; a missing file is not an error.
pub(crate) fn remove(path: &Path) -> Result<(), CatalogError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_failure("remove", path, e)),
    }
}

/// Leaves an empty marker file at `path` (kept if one is already there).
pub(crate) fn write_marker(path: &Path) -> Result<(), CatalogError> {
    create_parent(path)?;
    atomic_file::write_if_absent(path, b"")
        .map(|_| ())
        .map_err(|e| io_failure("create", path, e))
}

/// Every record in `dir` with the decoded name it is filed under (the file name without
/// `.json`). A missing directory holds nothing; temp files and other files are skipped.
pub(crate) fn list<T: DeserializeOwned>(dir: &Path, what: &str) -> Result<Vec<(String, T)>, CatalogError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_failure("list", dir, e)),
    };
    let mut records = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_failure("list", dir, e))?;
        let file_name = entry.file_name();
        let Some(stem) = file_name
            .to_str()
            .filter(|n| !is_temp_name(n))
            .and_then(|n| n.strip_suffix(EXTENSION))
        else {
            continue;
        };
        let path = entry.path();
        let name = names::decode(stem).ok_or_else(|| CatalogError::Backend {
            message: format!(
                "the file {} has a name oktavault did not write; move it out of the catalog",
                path.display()
            ),
            retryable: false,
        })?;
        // A record removed between listing and reading is simply no longer there.
        if let Some(record) = read(&path, what)? {
            records.push((name, record));
        }
    }
    Ok(records)
}

/// The file name a record named `name` is kept under.
pub(crate) fn file_name(name: &str) -> String {
    format!("{name}{EXTENSION}")
}

fn encode<T: Serialize>(path: &Path, record: &T) -> Result<Vec<u8>, CatalogError> {
    serde_json::to_vec_pretty(record).map_err(|e| CatalogError::Backend {
        message: format!("cannot encode the record for {}: {e}", path.display()),
        retryable: false,
    })
}

fn create_parent(path: &Path) -> Result<(), CatalogError> {
    match path.parent() {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|e| io_failure("create the directory", dir, e)),
        None => Ok(()),
    }
}
