//! Crash-safe file writes shared by the local adapters: a temp file in the target's own
//! directory, fsynced, then renamed (replace) or hard-linked (create only if absent).
//!
//! Temp files are named `<target name>~<random>.tmp`. `~` is not allowed in blob keys nor in
//! the catalog's file names, so listings can always tell a temp file from real data.
//! Every file is created owner-only (0600): blobs, catalog records and the key file are private.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The character that marks a temp file; never part of a real name.
pub(crate) const TEMP_MARKER: char = '~';

/// Whether `name` (one directory entry) is a temp file left by a write in flight or a crash.
pub(crate) fn is_temp_name(name: &str) -> bool {
    name.contains(TEMP_MARKER)
}

/// Replaces `target` with `bytes` atomically: readers see the old content or the new, never a
/// part, and the new content is on disk when this returns.
pub(crate) fn write_replace(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = write_temp(target, bytes)?;
    if let Err(e) = std::fs::rename(&temp, target) {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    sync_parent(target)
}

/// Creates `target` holding `bytes` only when nothing is there; returns whether it wrote.
/// A hard link fails when the name is taken, so of many concurrent writers (threads or
/// processes) exactly one wins, and the winner's file is complete before it becomes visible.
pub(crate) fn write_if_absent(target: &Path, bytes: &[u8]) -> io::Result<bool> {
    let temp = write_temp(target, bytes)?;
    let linked = std::fs::hard_link(&temp, target);
    // The temp name goes either way: on success the data lives on under `target`.
    let removed = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            removed?;
            sync_parent(target)?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to a fresh temp file beside `target` and fsyncs it.
fn write_temp(target: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    let dir = target
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a target has a parent"))?;
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a target has a name"))?;
    loop {
        let temp = dir.join(format!("{}{TEMP_MARKER}{}.tmp", name.to_string_lossy(), random_hex()));
        let mut file = match OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp) {
            Ok(file) => file,
            // A name collision of 64 random bits: draw again.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let written = file.write_all(bytes).and_then(|()| file.sync_all());
        if let Err(e) = written {
            drop(file);
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        return Ok(temp);
    }
}

/// Makes a rename or link in `target`'s directory durable.
fn sync_parent(target: &Path) -> io::Result<()> {
    match target.parent() {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    aws_lc_rs::rand::fill(&mut bytes).expect("system random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_if_absent_keeps_the_first_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("blob");
        assert!(write_if_absent(&target, b"first").unwrap());
        assert!(!write_if_absent(&target, b"second").unwrap());
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("blob")]);
    }

    #[test]
    fn write_replace_overwrites_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("blob");
        write_replace(&target, b"old").unwrap();
        write_replace(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn temp_names_are_recognised() {
        assert!(is_temp_name("blob~0011223344556677.tmp"));
        assert!(!is_temp_name("blob.tmp"));
    }
}
