//! The storage ports. Each is a trait with an embedded adapter (`crate::local`) and an AWS
//! adapter (S3, KMS, DynamoDB); `crate::conformance` holds the behaviour both must show.

mod alerts;
mod blob;
mod capture_buses;
mod catalog;
mod export;
mod keys;
mod org;
mod records;
mod schedules;

pub use alerts::{Alert, AlertError, AlertKind, Alerts};
pub use blob::{BlobStore, LockMode, LockRule, Retention, StoreError, validate_export_key, validate_key};
pub use capture_buses::{CaptureBus, CaptureBusError, CaptureBuses, NoCaptureBuses};
pub use catalog::{Catalog, CatalogError};
pub use export::{ExportStore, Link};
pub use keys::{DataKey, KeyContext, KeyError, KeyProvider, PlainKey};
pub use org::*;
pub use records::*;
pub use schedules::{RecordSchedules, ScheduleError, ScheduleState, Schedules, rate_expression};
