//! The embedded adapters of the storage ports: everything on the local disk.
//!
//! - [`LocalBlobStore`]: blobs as files in a directory.
//! - [`LocalKeyProvider`]: data keys wrapped under a master key file.
//! - [`LocalCatalog`]: orgs, jobs, progress, logs and snapshots as JSON files.
//! - [`AlertFile`]: alerts as JSON Lines in a file.
//!
//! All three write through [`atomic_file`]: a temp file, fsynced, then renamed or hard-linked
//! into place, so a crash never leaves a half-written blob, key or record.

mod alert_file;
mod atomic_file;
mod blob_store;
mod catalog;
mod key_file;

#[cfg(test)]
mod tests;

pub use alert_file::AlertFile;
pub use blob_store::LocalBlobStore;
pub use catalog::LocalCatalog;
pub use key_file::LocalKeyProvider;
