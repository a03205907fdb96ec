//! Downloads: a snapshot's selection taken out as a file (JSON documents, CSV tables, a zip of several, a SQLite file,
//! or a directory of partitioned JSON Lines tables for Athena), written
//! a bounded unit at a time so its size is bounded by disk, not memory. The workflow's steps are in
//! [`crate::workflow::download`]; what a person asks and reads is in [`crate::service::download`].

pub mod format;
pub mod jsonl;
pub mod plan;
pub mod render;
pub mod select;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod tables;
pub mod zip;

pub use format::Format;
