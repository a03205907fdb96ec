//! The sealed, content-addressed snapshot format (docs/snapshot-format.md).
//!
//! - [`hash`]: canonical JSON and object hashes.
//! - [`envelope`]: the sealed blob envelope (AES-256-GCM, header bound into the AAD).
//! - [`segment`]: many objects packed into one blob.
//! - [`manifest`]: what a snapshot holds and where.
//! - [`Vault`]: seals/opens blobs through the BlobStore and KeyProvider ports.
//! - [`SnapshotReader`]: reads and verifies a snapshot.
//! - [`keys`]: the blob key layout.
//! - [`walk`]: a category's entries in id order, alone or paired with another snapshot's.

pub mod envelope;
mod error;
pub mod hash;
mod key_cache;
pub mod keys;
pub mod manifest;
pub mod parts;
mod reader;
mod sealing_key;
pub mod segment;
mod stored;
mod vault;
mod verify;
pub mod walk;

#[cfg(test)]
pub(crate) mod tests;

pub use envelope::BlobKind;
pub use error::SnapshotError;
pub use hash::{CanonicalObject, InvalidHash, ObjectHash, canonical_json, hash_object};
pub use manifest::{CategoryManifest, CompactLocation, Incomplete, Location, Manifest, ManifestEntry};
pub use parts::{
    AsOf, CategoryHead, MANIFEST_FORMAT_VERSION, ManifestHead, ManifestPart, PART_ENTRIES, PartRef, id_order,
};
pub use reader::{Entries, SnapshotReader};
pub use sealing_key::{INDEX_KEY_ID, SealingKey};
pub use segment::Segment;
pub use stored::{ManifestWriter, StoredManifest};
pub use vault::Vault;
pub use verify::{VerifyProblem, VerifyReport};
