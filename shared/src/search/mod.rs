//! The search index of an org: every version of every object any of its snapshots holds, once, with the text a
//! person finds it by and the snapshots that hold it (docs/search.md).
//!
//! - [`names`]: which text of an object is searchable (the catalog's `search_names` and natural key).
//! - [`delta`]: what one snapshot adds to and removes from the index, computed from its manifest and its
//!   predecessor's; written by FinalizeBackup, so finalize reads only the objects new in the snapshot.
//! - [`SearchIndex`]: the index in memory: versions, their snapshot spans, keyword lookup, forgetting a snapshot.
//! - [`store`]: loading the index (a compacted base plus later deltas), repairing what is missing or damaged,
//!   adding a snapshot's delta at finalize, and compacting (by the retention sweep).

pub mod delta;
mod index;
pub mod names;
pub mod store;

#[cfg(test)]
mod tests;

pub use delta::{Delta, NewVersion, VersionKey};
pub use index::{SearchIndex, Span, Version};
pub use store::{IndexUpdate, Loaded, Reindexed, compact_if_due, forget_snapshot, index_snapshot, load};
