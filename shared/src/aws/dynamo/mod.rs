//! [`DynamoCatalog`]: the [`Catalog`] port on one DynamoDB table (layout in [`schema`]).
//!
//! - Job state changes are conditional writes on the stored status, so two executions can
//!   never both move one job.
//! - Reads of the base table are strongly consistent: a step reads the progress the previous
//!   step (another Lambda) has just written.
//! - Listings come from Queries, paginated to the end. Listing jobs and orgs reads the index
//!   `GSI1`, which DynamoDB updates asynchronously: a job created a moment ago may be missing
//!   from a listing for a fraction of a second (never from `get_job`).
//! - Orgs are listed from the `ORGS` partition of `GSI1`, not by a Scan filtered on `SK = ORG`:
//!   a Scan reads (and bills) every item of the table, job logs included, to find a handful of
//!   orgs; the Query reads only org items. One index partition for all orgs is fine while orgs
//!   number in the thousands at most.

mod log_batches;
mod schema;
mod table;

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};

pub use table::TableSpec;

use crate::aws::errors::Failure;
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{
    AuditEntry, Catalog, CatalogError, CategoryProgress, JobKind, JobRecord, JobStatus, Lease, LogEntry, OrgRecord,
    SnapshotRecord,
};
use schema::*;

/// The [`Catalog`] on DynamoDB. Cheap to clone: the SDK client is shared.
#[derive(Debug, Clone)]
pub struct DynamoCatalog {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoCatalog {
    /// The catalog kept in `table` (made by [`TableSpec::create_table`] or the deployment
    /// template).
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn backend(&self, doing: &str, failure: Failure) -> CatalogError {
        CatalogError::Backend {
            message: format!("DynamoDB table {}: {doing} failed: {}", self.table, failure.message),
            retryable: failure.retryable,
        }
    }

    fn key(pk: String, sk: impl Into<String>) -> Item {
        Item::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
    }

    async fn put(&self, item: Item, doing: &str) -> Result<(), CatalogError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|err| self.backend(doing, Failure::from_sdk(&err)))?;
        Ok(())
    }

    async fn get(&self, key: Item, doing: &str) -> Result<Option<Item>, CatalogError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.backend(doing, Failure::from_sdk(&err)))?;
        Ok(output.item)
    }

    /// Every item a Query matches, following `LastEvaluatedKey` to the last page.
    async fn query_all(&self, doing: &str, query: impl Fn() -> QueryFluentBuilder) -> Result<Vec<Item>, CatalogError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = query()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|err| self.backend(doing, Failure::from_sdk(&err)))?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// Items of partition `pk` whose sort key starts with `sk_prefix`, in sort key order.
    async fn query_prefix(&self, pk: String, sk_prefix: &str, doing: &str) -> Result<Vec<Item>, CatalogError> {
        self.query_all(doing, || {
            self.client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":prefix", s(sk_prefix))
        })
        .await
    }

    /// An org read back: its record, with the last snapshot from its own attribute when it has one.
    fn org_from(item: &Item, what: &str) -> Result<OrgRecord, CatalogError> {
        let mut org: OrgRecord = parse_record(item, what)?;
        if let Some(last) = get_s(item, LAST_SNAPSHOT) {
            org.last_snapshot = Some(SnapshotId::new(last).map_err(|e| CatalogError::Backend {
                message: format!("{what} has an invalid {LAST_SNAPSHOT:?} attribute: {e}"),
                retryable: false,
            })?);
        }
        Ok(org)
    }

    fn job_item(job: &JobRecord) -> Result<Item, CatalogError> {
        let mut item = Self::key(job_pk(&job.job_id), JOB_SK);
        item.insert(GSI1PK.into(), s(jobs_index_pk(&job.org_id)));
        item.insert(
            GSI1SK.into(),
            s(jobs_index_sk(job.status, &job.created_at, &job.job_id)),
        );
        item.insert(STATUS.into(), s(job.status.as_str()));
        item.insert(ORG.into(), s(job.org_id.as_str()));
        item.insert(RECORD.into(), record_attribute(job, &format!("job {}", job.job_id))?);
        Ok(item)
    }

    /// Why an `update_job` condition failed, from the item as it stood.
    fn update_refusal(job: &JobRecord, expected: JobStatus, stored: Option<&Item>) -> CatalogError {
        let what = format!("job {}", job.job_id);
        let Some(stored) = stored else {
            return CatalogError::NotFound { what };
        };
        let stored_org = get_s(stored, ORG).unwrap_or("?");
        if stored_org != job.org_id.as_str() {
            return CatalogError::Backend {
                message: format!(
                    "{what} belongs to org {stored_org}; it cannot move to org {}",
                    job.org_id
                ),
                retryable: false,
            };
        }
        CatalogError::Conflict {
            what,
            expected: expected.to_string(),
            actual: get_s(stored, STATUS).unwrap_or("unknown").to_string(),
        }
    }

    /// Writes a log batch's parts and deletes parts left over from a longer earlier version of
    /// the batch, all at once.
    async fn write_log_parts(&self, job_id: &JobId, batch: &str, parts: Vec<Vec<u8>>) -> Result<(), CatalogError> {
        let doing = format!("writing log batch {batch:?} of job {job_id}");
        let stale: Vec<String> = self
            .query_prefix(job_pk(job_id), &log_batch_sk_prefix(batch), &doing)
            .await?
            .iter()
            .filter(|item| get_s(item, BATCH) == Some(batch) && get_n(item, PART).is_some_and(|p| p >= parts.len()))
            .filter_map(|item| get_s(item, SK).map(str::to_string))
            .collect();
        let count = parts.len();
        let items: Vec<Item> = parts
            .into_iter()
            .enumerate()
            .map(|(part, data)| {
                let mut item = Self::key(job_pk(job_id), log_part_sk(batch, part));
                item.insert(BATCH.into(), s(batch));
                item.insert(PART.into(), n(part));
                item.insert(PARTS.into(), n(count));
                item.insert(DATA.into(), AttributeValue::B(Blob::new(data)));
                item
            })
            .collect();

        // The usual case, one part replacing one part, needs no transaction.
        if items.len() == 1 && stale.is_empty() {
            let item = items.into_iter().next().expect("one item");
            return self.put(item, &doing).await;
        }
        let mut actions = Vec::with_capacity(items.len() + stale.len());
        for item in items {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .expect("table name and item are set");
            actions.push(TransactWriteItem::builder().put(put).build());
        }
        for sk in stale {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(Self::key(job_pk(job_id), sk)))
                .build()
                .expect("table name and key are set");
            actions.push(TransactWriteItem::builder().delete(delete).build());
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
            .map_err(|err| self.backend(&doing, Failure::from_sdk(&err)))?;
        Ok(())
    }
}

#[async_trait]
impl Catalog for DynamoCatalog {
    async fn put_org(&self, org: &OrgRecord) -> Result<(), CatalogError> {
        // An update, not a put: a put would drop the `last_snapshot` attribute that only
        // `advance_last_snapshot` writes. The record's own `last_snapshot` is never read for an org that has
        // the attribute.
        let record = OrgRecord {
            last_snapshot: None,
            ..org.clone()
        };
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(org_pk(&org.org_id), ORG_SK)))
            .update_expression("SET #record = :record, #gpk = :gpk, #gsk = :gsk")
            .expression_attribute_names("#record", RECORD)
            .expression_attribute_names("#gpk", GSI1PK)
            .expression_attribute_names("#gsk", GSI1SK)
            .expression_attribute_values(":record", record_attribute(&record, &format!("org {}", org.org_id))?)
            .expression_attribute_values(":gpk", s(ORGS_INDEX_PK))
            .expression_attribute_values(":gsk", s(org.org_id.as_str()))
            .send()
            .await
            .map_err(|err| self.backend(&format!("saving org {}", org.org_id), Failure::from_sdk(&err)))?;
        Ok(())
    }

    async fn advance_last_snapshot(&self, org_id: &OrgId, snapshot: &SnapshotId) -> Result<bool, CatalogError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(org_pk(org_id), ORG_SK)))
            .update_expression("SET #last = :snapshot")
            .condition_expression("attribute_exists(#pk) AND (attribute_not_exists(#last) OR #last < :snapshot)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#last", LAST_SNAPSHOT)
            .expression_attribute_values(":snapshot", s(snapshot.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(refused)) => match refused.item() {
                    // The org is there and already names this snapshot or a later one.
                    Some(item) if !item.is_empty() => Ok(false),
                    _ => match self.get_org(org_id).await? {
                        Some(_) => Ok(false),
                        None => Err(CatalogError::NotFound {
                            what: format!("org {org_id}"),
                        }),
                    },
                },
                _ => Err(self.backend(
                    &format!("moving the last snapshot of org {org_id}"),
                    Failure::from_sdk(&err),
                )),
            },
        }
    }

    async fn get_org(&self, org_id: &OrgId) -> Result<Option<OrgRecord>, CatalogError> {
        let what = format!("org {org_id}");
        self.get(Self::key(org_pk(org_id), ORG_SK), &format!("reading {what}"))
            .await?
            .map(|item| Self::org_from(&item, &what))
            .transpose()
    }

    async fn list_orgs(&self) -> Result<Vec<OrgRecord>, CatalogError> {
        let items = self
            .query_all("listing orgs", || {
                self.client
                    .query()
                    .table_name(&self.table)
                    .index_name(GSI1)
                    .key_condition_expression("#pk = :pk")
                    .expression_attribute_names("#pk", GSI1PK)
                    .expression_attribute_values(":pk", s(ORGS_INDEX_PK))
            })
            .await?;
        let mut orgs = items
            .iter()
            .map(|item| Self::org_from(item, "an org"))
            .collect::<Result<Vec<_>, _>>()?;
        orgs.sort_by(|a, b| a.org_id.cmp(&b.org_id));
        Ok(orgs)
    }

    async fn create_job(&self, job: &JobRecord) -> Result<(), CatalogError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::job_item(job)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(CatalogError::AlreadyExists {
                    what: format!("job {}", job.job_id),
                })
            }
            Err(err) => Err(self.backend(&format!("creating job {}", job.job_id), Failure::from_sdk(&err))),
        }
    }

    async fn get_job(&self, job_id: &JobId) -> Result<Option<JobRecord>, CatalogError> {
        let what = format!("job {job_id}");
        self.get(Self::key(job_pk(job_id), JOB_SK), &format!("reading {what}"))
            .await?
            .map(|item| parse_record(&item, &what))
            .transpose()
    }

    async fn update_job(&self, job: &JobRecord, expected: JobStatus) -> Result<(), CatalogError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::job_item(job)?))
            .condition_expression("attribute_exists(#pk) AND #status = :expected AND #org = :org")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#org", ORG)
            .expression_attribute_values(":expected", s(expected.as_str()))
            .expression_attribute_values(":org", s(job.org_id.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        let Some(PutItemError::ConditionalCheckFailedException(refused)) = err.as_service_error() else {
            return Err(self.backend(&format!("updating job {}", job.job_id), Failure::from_sdk(&err)));
        };
        // The refusal carries the item as it stood; read it back when the service left it out
        // (a missing job also arrives without one).
        let stored = match refused.item() {
            Some(item) => Some(item.clone()),
            None => {
                self.get(
                    Self::key(job_pk(&job.job_id), JOB_SK),
                    &format!("reading job {}", job.job_id),
                )
                .await?
            }
        };
        Err(Self::update_refusal(job, expected, stored.as_ref()))
    }

    async fn list_jobs(&self, org_id: &OrgId, status: Option<JobStatus>) -> Result<Vec<JobRecord>, CatalogError> {
        let doing = format!("listing the jobs of org {org_id}");
        let items = self
            .query_all(&doing, || {
                let query = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(GSI1)
                    .scan_index_forward(false)
                    .expression_attribute_names("#pk", GSI1PK)
                    .expression_attribute_values(":pk", s(jobs_index_pk(org_id)));
                match status {
                    Some(status) => query
                        .key_condition_expression("#pk = :pk AND begins_with(#sk, :status)")
                        .expression_attribute_names("#sk", GSI1SK)
                        .expression_attribute_values(":status", s(jobs_index_status_prefix(status))),
                    None => query.key_condition_expression("#pk = :pk"),
                }
            })
            .await?;
        let mut jobs = items
            .iter()
            .map(|item| parse_record::<JobRecord>(item, &format!("a job of org {org_id}")))
            .collect::<Result<Vec<_>, _>>()?;
        // The index may briefly lag a status change; the record is the truth.
        jobs.retain(|job| job.org_id == *org_id && status.is_none_or(|s| s == job.status));
        // Without a status the index groups by status first; callers want newest first overall.
        jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.job_id.cmp(&a.job_id)));
        Ok(jobs)
    }

    async fn save_progress(
        &self,
        job_id: &JobId,
        category: &str,
        progress: &CategoryProgress,
    ) -> Result<(), CatalogError> {
        check_name("category", category, job_id)?;
        let what = format!("progress of category {category:?} in job {job_id}");
        let mut item = Self::key(job_pk(job_id), progress_sk(category));
        item.insert(CATEGORY.into(), s(category));
        item.insert(RECORD.into(), record_attribute(progress, &what)?);
        self.put(item, &format!("saving the {what}")).await
    }

    async fn load_progress(&self, job_id: &JobId) -> Result<BTreeMap<String, CategoryProgress>, CatalogError> {
        let items = self
            .query_prefix(
                job_pk(job_id),
                PROGRESS_SK_PREFIX,
                &format!("reading the progress of job {job_id}"),
            )
            .await?;
        items
            .iter()
            .map(|item| {
                let what = format!("a category's progress in job {job_id}");
                let category = get_s(item, CATEGORY).ok_or_else(|| CatalogError::Backend {
                    message: format!(
                        "{what} (SK {:?}) has no {CATEGORY:?} attribute; delete the item",
                        get_s(item, SK).unwrap_or("?")
                    ),
                    retryable: false,
                })?;
                Ok((category.to_string(), parse_record(item, &what)?))
            })
            .collect()
    }

    async fn append_log(&self, job_id: &JobId, batch: &str, entries: &[LogEntry]) -> Result<(), CatalogError> {
        check_name("log batch", batch, job_id)?;
        let parts = log_batches::encode(entries).map_err(|e| CatalogError::Backend {
            message: format!("job {job_id}: log batch {batch:?} cannot be stored: {e}"),
            retryable: false,
        })?;
        self.write_log_parts(job_id, batch, parts).await
    }

    async fn read_log(&self, job_id: &JobId) -> Result<Vec<LogEntry>, CatalogError> {
        let items = self
            .query_prefix(
                job_pk(job_id),
                LOG_SK_PREFIX,
                &format!("reading the log of job {job_id}"),
            )
            .await?;
        // batch -> (parts it claims to have, part number -> bytes)
        let mut batches: BTreeMap<&str, (usize, BTreeMap<usize, &[u8]>)> = BTreeMap::new();
        for item in &items {
            let damaged = || CatalogError::Backend {
                message: format!(
                    "a log item of job {job_id} (SK {:?}) lacks batch, part, parts or data; delete the item",
                    get_s(item, SK).unwrap_or("?")
                ),
                retryable: false,
            };
            let batch = get_s(item, BATCH).ok_or_else(damaged)?;
            let part = get_n(item, PART).ok_or_else(damaged)?;
            let parts = get_n(item, PARTS).ok_or_else(damaged)?;
            let data = item.get(DATA).and_then(|v| v.as_b().ok()).ok_or_else(damaged)?;
            let entry = batches.entry(batch).or_insert((parts, BTreeMap::new()));
            entry.0 = entry.0.max(parts);
            entry.1.insert(part, data.as_ref());
        }
        let mut entries = Vec::new();
        for (batch, (count, parts)) in batches {
            let problem = |reason: String| CatalogError::Backend {
                message: format!("job {job_id}: log batch {batch:?} {reason}; write the batch again or delete it"),
                retryable: false,
            };
            if parts.len() != count || parts.keys().copied().ne(0..count) {
                return Err(problem(format!(
                    "has parts {:?} of {count}",
                    parts.keys().collect::<Vec<_>>()
                )));
            }
            let ordered: Vec<&[u8]> = parts.into_values().collect();
            entries.extend(log_batches::decode(&ordered).map_err(|e| problem(e.to_string()))?);
        }
        Ok(entries)
    }

    async fn get_lease(&self, org_id: &OrgId, kind: JobKind) -> Result<Option<Lease>, CatalogError> {
        let what = format!("the {kind} lease of org {org_id}");
        self.get(Self::key(org_pk(org_id), lease_sk(kind)), &format!("reading {what}"))
            .await?
            .map(|item| parse_record(&item, &what))
            .transpose()
    }

    async fn acquire_lease(&self, lease: &Lease, now_ms: i64) -> Result<(), CatalogError> {
        let what = format!("the {} lease of org {}", lease.kind, lease.org_id);
        let mut item = Self::key(org_pk(&lease.org_id), lease_sk(lease.kind));
        item.insert(OWNER.into(), s(lease.owner.as_str()));
        item.insert(JOB.into(), s(lease.job_id.as_str()));
        item.insert(EXPIRES.into(), AttributeValue::N(lease.expires_at_ms.to_string()));
        item.insert(RECORD.into(), record_attribute(lease, &what)?);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #expires <= :now OR (#owner = :owner AND #job = :job)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#expires", EXPIRES)
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_names("#job", JOB)
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .expression_attribute_values(":owner", s(lease.owner.as_str()))
            .expression_attribute_values(":job", s(lease.job_id.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        let Some(PutItemError::ConditionalCheckFailedException(refused)) = err.as_service_error() else {
            return Err(self.backend(&format!("taking {what}"), Failure::from_sdk(&err)));
        };
        let held = match refused.item() {
            Some(item) => Some(parse_record::<Lease>(item, &what)?),
            None => self.get_lease(&lease.org_id, lease.kind).await?,
        };
        match held {
            Some(held) => Err(CatalogError::LeaseHeld { lease: Box::new(held) }),
            // Released between the refusal and the read: the caller may simply try again.
            None => Err(CatalogError::Backend {
                message: format!("{what} changed while it was being taken; try again"),
                retryable: true,
            }),
        }
    }

    async fn release_lease(&self, org_id: &OrgId, kind: JobKind, owner: &str) -> Result<(), CatalogError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(org_pk(org_id), lease_sk(kind))))
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(self.backend(
                &format!("releasing the {kind} lease of org {org_id}"),
                Failure::from_sdk(&err),
            )),
        }
    }

    async fn put_id_map(
        &self,
        source: &OrgId,
        target: &OrgId,
        category: &str,
        batch: &str,
        pairs: &[(String, String)],
    ) -> Result<(), CatalogError> {
        let what = format!("id map batch {batch:?} of {category} ({source} -> {target})");
        if category.is_empty() || batch.is_empty() || category.len() + batch.len() > MAX_NAME_LEN {
            return Err(CatalogError::Backend {
                message: format!("{what}: the category and batch names must have 1 to {MAX_NAME_LEN} bytes"),
                retryable: false,
            });
        }
        let mut item = Self::key(
            id_map_pk(source, target),
            format!("{}{batch}", id_map_sk_prefix(category)),
        );
        item.insert(CATEGORY.into(), s(category));
        item.insert(BATCH.into(), s(batch));
        item.insert(RECORD.into(), record_attribute(&pairs, &what)?);
        self.put(item, &format!("saving the {what}")).await
    }

    async fn id_map(
        &self,
        source: &OrgId,
        target: &OrgId,
        category: &str,
    ) -> Result<BTreeMap<String, String>, CatalogError> {
        let what = format!("the id map of {category} ({source} -> {target})");
        let items = self
            .query_prefix(
                id_map_pk(source, target),
                &id_map_sk_prefix(category),
                &format!("reading {what}"),
            )
            .await?;
        let mut batches: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for item in items.iter().filter(|item| get_s(item, CATEGORY) == Some(category)) {
            let batch = get_s(item, BATCH).unwrap_or_default().to_owned();
            batches.push((batch, parse_record(item, &what)?));
        }
        batches.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(batches.into_iter().flat_map(|(_, pairs)| pairs).collect())
    }

    async fn put_snapshot(&self, snapshot: &SnapshotRecord) -> Result<(), CatalogError> {
        let what = format!("snapshot {} of org {}", snapshot.snapshot_id, snapshot.org_id);
        let mut item = Self::key(org_pk(&snapshot.org_id), snapshot_sk(&snapshot.snapshot_id));
        item.insert(RECORD.into(), record_attribute(snapshot, &what)?);
        self.put(item, &format!("saving {what}")).await
    }

    async fn get_snapshot(
        &self,
        org_id: &OrgId,
        snapshot_id: &SnapshotId,
    ) -> Result<Option<SnapshotRecord>, CatalogError> {
        let what = format!("snapshot {snapshot_id} of org {org_id}");
        self.get(
            Self::key(org_pk(org_id), snapshot_sk(snapshot_id)),
            &format!("reading {what}"),
        )
        .await?
        .map(|item| parse_record(&item, &what))
        .transpose()
    }

    async fn list_snapshots(&self, org_id: &OrgId) -> Result<Vec<SnapshotRecord>, CatalogError> {
        let items = self
            .query_prefix(
                org_pk(org_id),
                SNAPSHOT_SK_PREFIX,
                &format!("listing the snapshots of org {org_id}"),
            )
            .await?;
        let mut snapshots = items
            .iter()
            .map(|item| parse_record::<SnapshotRecord>(item, &format!("a snapshot of org {org_id}")))
            .collect::<Result<Vec<_>, _>>()?;
        // Ids sort by time already; created_at first keeps the order identical to the embedded
        // catalog even for hand-made ids.
        snapshots.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.snapshot_id.cmp(&b.snapshot_id))
        });
        Ok(snapshots)
    }

    async fn delete_snapshot(&self, org_id: &OrgId, snapshot_id: &SnapshotId) -> Result<(), CatalogError> {
        // DeleteItem of a missing key succeeds: a repeated delete is not an error.
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(org_pk(org_id), snapshot_sk(snapshot_id))))
            .send()
            .await
            .map_err(|err| {
                self.backend(
                    &format!("deleting snapshot {snapshot_id} of org {org_id}"),
                    Failure::from_sdk(&err),
                )
            })?;
        Ok(())
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), CatalogError> {
        let what = format!("audit entry {}", entry.id);
        let mut item = Self::key(AUDIT_PK.to_owned(), format!("{AUDIT_SK_PREFIX}{}", entry.id));
        if let Some(org) = &entry.org_id {
            item.insert(ORG.into(), s(org.as_str()));
        }
        item.insert(RECORD.into(), record_attribute(entry, &what)?);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(CatalogError::AlreadyExists { what })
            }
            Err(err) => Err(self.backend(&format!("adding {what}"), Failure::from_sdk(&err))),
        }
    }

    async fn list_audit(&self, org: Option<&OrgId>) -> Result<Vec<AuditEntry>, CatalogError> {
        let items = self
            .query_prefix(AUDIT_PK.to_owned(), AUDIT_SK_PREFIX, "listing the audit trail")
            .await?;
        let mut entries = Vec::new();
        for item in items.iter().rev() {
            if org.is_none_or(|o| get_s(item, ORG) == Some(o.as_str())) {
                entries.push(parse_record::<AuditEntry>(item, "an audit entry")?);
            }
        }
        Ok(entries)
    }
}
