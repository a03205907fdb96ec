//! The AWS adapters of the storage ports (feature `aws`):
//!
//! - [`S3BlobStore`]: [`crate::ports::BlobStore`] on S3 (SSE-KMS, conditional and multipart writes).
//! - [`KmsKeyProvider`]: [`crate::ports::KeyProvider`] on KMS (`GenerateDataKey`/`Decrypt` with an
//!   org + snapshot encryption context).
//! - [`DynamoCatalog`]: [`crate::ports::Catalog`] on one DynamoDB table ([`TableSpec`]).
//! - [`SfnExecutions`]: starts a job's continuation execution on Step Functions.
//! - [`EventBridgeSchedules`]: [`crate::ports::Schedules`] on EventBridge Scheduler.
//! - [`SnsAlerts`]: [`crate::ports::Alerts`] published to an SNS topic.
//! - [`EventBridgeCaptureBuses`]: [`crate::ports::CaptureBuses`]: each org's partner event bus and capture rule.
//! - [`AwsConfig`] / [`AwsClients`]: SDK configuration and clients, built once per process.

mod capture_bus;
mod config;
mod dynamo;
mod errors;
mod kms;
mod s3;
mod scheduler;
mod sfn;
mod sns;

pub use capture_bus::{CAPTURE_RULE, EventBridgeCaptureBuses};
pub use config::{AwsClients, AwsConfig, s3_client};
pub use dynamo::{DynamoCatalog, TableSpec};
pub use kms::{KmsKeyProvider, encryption_context};
pub use s3::{MultipartPolicy, ObjectLocking, S3BlobStore, S3ExportStore, content_disposition, link_validity};
pub use scheduler::EventBridgeSchedules;
pub use sfn::SfnExecutions;
pub use sns::SnsAlerts;
