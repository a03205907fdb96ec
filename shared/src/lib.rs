//! oktavault's library: everything the Lambdas and the `oktavault` command share.
//!
//! - [`okta`]: the Okta management API client (auth, `Link` paging, rate governor, retries).
//! - [`snapshot`]: the sealed, content-addressed snapshot format.
//! - [`ports`]: the storage ports (`BlobStore`, `KeyProvider`, `Catalog`) and their records.
//! - [`local`]: the embedded adapters of those ports (local directory, key file, file catalog).
//! - `conformance` (feature `conformance`, and in this crate's own tests): the behaviour every adapter of
//!   a port must show, run against each adapter.
//! - [`categories`]: the declarative table of Okta categories that backup and restore read.
//! - [`references`]: the ids inside stored objects that name other objects, extracted and rewritten.
//! - [`restore`]: what a restore needs of the catalog: the restore order and natural keys.
//! - [`workflow`]: the backup steps (PlanBackup, BackupPage, FinalizeBackup, FailJob).
//! - `logs` (feature `lambda`): the functions' JSON log lines, each naming its step, job and org.
//! - `aws` (feature `aws`): the AWS adapters of the ports (S3, KMS, DynamoDB) and client setup.
//! - `testkit` (feature `testkit`): helpers for tests, such as a moto server child process and the
//!   expected contents of a simulated org's snapshot (it links the Okta simulator).
//! - [`service`]: what the command, the Lambdas, the HTTP API and the console call (jobs, verify...).
//! - [`capture`]: near-real-time capture of admin changes from an org's Okta log stream.
//! - `api` (feature `api`): the HTTP API's router over the service layer, with its OpenAPI document.
//! - [`asl`]: the embedded runner for the Amazon States Language definitions in `statemachines/`.
//!
//! Neither test feature is enabled by a Lambda function or by the `oktavault` command's normal build.

#[cfg(feature = "api")]
pub mod api;
pub mod asl;
#[cfg(feature = "aws")]
pub mod aws;
pub mod capture;
pub mod categories;
pub mod compare;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod credentials;
pub mod download;
pub mod ids;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod local;
#[cfg(feature = "lambda")]
pub mod logs;
pub mod okta;
pub mod ports;
pub mod references;
pub mod restore;
pub mod search;
pub mod service;
pub mod snapshot;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod timefmt;
pub mod workflow;
