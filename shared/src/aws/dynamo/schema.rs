//! The catalog's single-table layout: key formats and attribute names in one place.
//!
//! | item              | PK            | SK                      | GSI1PK        | GSI1SK                             |
//! |-------------------|---------------|-------------------------|---------------|------------------------------------|
//! | org               | `ORG#<org>`   | `ORG`                   | `ORGS`        | `<org>`                            |
//! | lease             | `ORG#<org>`   | `LEASE#<kind>`          |               |                                    |
//! | id map batch      | `IDMAP#<source>#<target>` | `<category>#<batch>` |       |                                    |
//! | snapshot          | `ORG#<org>`   | `SNAP#<snapshot>`       |               |                                    |
//! | job               | `JOB#<job>`   | `JOB`                   | `JOBS#<org>`  | `<status>#<created_at>#<job>`      |
//! | category progress | `JOB#<job>`   | `PROGRESS#<category>`   |               |                                    |
//! | job log part      | `JOB#<job>`   | `LOG#<batch>#<part>`    |               |                                    |
//! | audit entry       | `AUDIT`       | `ENTRY#<entry id>`      |               |                                    |
//!
//! Records are stored whole as a JSON string in `record` (serde, the same form as the embedded
//! catalog): exact round trips of u64 counts and of the opaque JSON cursor, which DynamoDB
//! numbers and maps would not guarantee, and no second schema to keep in step with the Rust
//! types. The other attributes exist only to be keyed, indexed or used in a condition.
//!
//! An org's last snapshot lives in its own attribute `last_snapshot`, outside `record`: only a conditional
//! update that moves it forward writes it, and replacing the org's record leaves it alone.
//!
//! Free-form names (category, batch) are kept in their own attributes (`category`, `batch`)
//! and read back from there, never parsed out of a sort key, so a `#` in a name is harmless.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{CatalogError, JobKind, JobStatus};

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) const PK: &str = "PK";
pub(crate) const SK: &str = "SK";
pub(crate) const GSI1: &str = "GSI1";
pub(crate) const GSI1PK: &str = "GSI1PK";
pub(crate) const GSI1SK: &str = "GSI1SK";
/// The record as JSON.
pub(crate) const RECORD: &str = "record";
/// The job's status (`JobStatus::as_str`), for update conditions.
pub(crate) const STATUS: &str = "status";
/// The job's org, so an update can never move a job to another org.
pub(crate) const ORG: &str = "org";
pub(crate) const CATEGORY: &str = "category";
/// An org's last snapshot id (moved forward only).
pub(crate) const LAST_SNAPSHOT: &str = "last_snapshot";
/// A lease's holder, its job, and its expiry in epoch milliseconds (a number, compared in conditions).
pub(crate) const OWNER: &str = "owner";
pub(crate) const JOB: &str = "job";
pub(crate) const EXPIRES: &str = "expires";
pub(crate) const BATCH: &str = "batch";
/// A log part's position within its batch, and the batch's number of parts.
pub(crate) const PART: &str = "part";
pub(crate) const PARTS: &str = "parts";
/// A log part's bytes: a slice of the batch's zstd-compressed JSON.
pub(crate) const DATA: &str = "data";

pub(crate) const ORGS_INDEX_PK: &str = "ORGS";
pub(crate) const ORG_SK: &str = "ORG";
pub(crate) const JOB_SK: &str = "JOB";
pub(crate) const LEASE_SK_PREFIX: &str = "LEASE#";
pub(crate) const SNAPSHOT_SK_PREFIX: &str = "SNAP#";
pub(crate) const PROGRESS_SK_PREFIX: &str = "PROGRESS#";
pub(crate) const LOG_SK_PREFIX: &str = "LOG#";
/// The audit trail: one partition (API actions are few), sorted by entry id, which sorts by time.
pub(crate) const AUDIT_PK: &str = "AUDIT";
pub(crate) const AUDIT_SK_PREFIX: &str = "ENTRY#";

/// DynamoDB allows sort keys of up to 1024 bytes; names are capped well below it.
pub(crate) const MAX_NAME_LEN: usize = 512;

pub(crate) fn org_pk(org_id: &OrgId) -> String {
    format!("ORG#{org_id}")
}

pub(crate) fn snapshot_sk(snapshot_id: &SnapshotId) -> String {
    format!("{SNAPSHOT_SK_PREFIX}{snapshot_id}")
}

pub(crate) fn id_map_pk(source: &OrgId, target: &OrgId) -> String {
    format!("IDMAP#{source}#{target}")
}

/// Every batch of one category shares this prefix (readers compare the `category` attribute, as for log batches).
pub(crate) fn id_map_sk_prefix(category: &str) -> String {
    format!("{category}#")
}

pub(crate) fn lease_sk(kind: JobKind) -> String {
    format!("{LEASE_SK_PREFIX}{kind}")
}

pub(crate) fn job_pk(job_id: &JobId) -> String {
    format!("JOB#{job_id}")
}

pub(crate) fn jobs_index_pk(org_id: &OrgId) -> String {
    format!("JOBS#{org_id}")
}

/// Sorts an org's jobs by status, then creation time, then id: a Query on one status prefix
/// reads that status's jobs in time order.
pub(crate) fn jobs_index_sk(status: JobStatus, created_at: &str, job_id: &JobId) -> String {
    format!("{}{created_at}#{job_id}", jobs_index_status_prefix(status))
}

pub(crate) fn jobs_index_status_prefix(status: JobStatus) -> String {
    // The `#` ends the status, so `Completed#` never matches `Completed With Errors#...`.
    format!("{}#", status.as_str())
}

pub(crate) fn progress_sk(category: &str) -> String {
    format!("{PROGRESS_SK_PREFIX}{category}")
}

/// Every part of a batch shares this prefix (other batches may too, when one batch name is a
/// prefix of another: readers compare the `batch` attribute).
pub(crate) fn log_batch_sk_prefix(batch: &str) -> String {
    format!("{LOG_SK_PREFIX}{batch}#")
}

pub(crate) fn log_part_sk(batch: &str, part: usize) -> String {
    format!("{}{part:04}", log_batch_sk_prefix(batch))
}

/// Refuses names that cannot be part of a sort key.
pub(crate) fn check_name(kind: &str, name: &str, job_id: &JobId) -> Result<(), CatalogError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(CatalogError::Backend {
            message: format!("job {job_id}: the {kind} name {name:?} must have 1 to {MAX_NAME_LEN} bytes"),
            retryable: false,
        });
    }
    Ok(())
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: usize) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The string attribute `name` of `item`.
pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

/// The number attribute `name` of `item`, when it is a non-negative integer.
pub(crate) fn get_n(item: &Item, name: &str) -> Option<usize> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok())
}

/// A record serialized into its `record` attribute.
pub(crate) fn record_attribute<T: serde::Serialize>(record: &T, what: &str) -> Result<AttributeValue, CatalogError> {
    serde_json::to_string(record).map(s).map_err(|e| CatalogError::Backend {
        message: format!("{what} could not be serialized: {e}"),
        retryable: false,
    })
}

/// The record kept in `item`'s `record` attribute.
pub(crate) fn parse_record<T: serde::de::DeserializeOwned>(item: &Item, what: &str) -> Result<T, CatalogError> {
    let damaged = |reason: String| CatalogError::Backend {
        message: format!(
            "{what} in the catalog table (PK {:?}, SK {:?}) is damaged: {reason}; restore the item or delete it",
            get_s(item, PK).unwrap_or("?"),
            get_s(item, SK).unwrap_or("?")
        ),
        retryable: false,
    };
    let json = get_s(item, RECORD).ok_or_else(|| damaged(format!("it has no string attribute {RECORD:?}")))?;
    serde_json::from_str(json).map_err(|e| damaged(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_index_keys_group_by_exact_status_then_time() {
        let job = JobId::new("job-1").unwrap();
        let a = jobs_index_sk(JobStatus::Completed, "2026-01-01T00:00:00Z", &job);
        let b = jobs_index_sk(JobStatus::CompletedWithErrors, "2026-01-01T00:00:00Z", &job);
        assert!(a.starts_with(&jobs_index_status_prefix(JobStatus::Completed)));
        assert!(!b.starts_with(&jobs_index_status_prefix(JobStatus::Completed)));
        let later = jobs_index_sk(JobStatus::Completed, "2026-01-02T00:00:00Z", &job);
        assert!(a < later);
    }

    #[test]
    fn log_parts_sort_in_part_order() {
        assert!(log_part_sk("users/000001", 2) < log_part_sk("users/000001", 10));
        assert!(log_part_sk("users/000001", 0).starts_with(&log_batch_sk_prefix("users/000001")));
    }

    #[test]
    fn a_damaged_record_names_its_item() {
        let item: Item = HashMap::from([
            (PK.to_string(), s("JOB#j")),
            (SK.to_string(), s("JOB")),
            (RECORD.to_string(), s("{not json")),
        ]);
        let err = parse_record::<crate::ports::JobRecord>(&item, "job j").unwrap_err();
        assert!(err.to_string().contains("JOB#j"), "{err}");
    }
}
