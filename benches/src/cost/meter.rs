//! Counting wrappers around the storage ports: each call is passed to the embedded adapter and counted in the AWS
//! request it becomes in the AWS adapter (`shared/src/aws`): S3 PutObject / GetObject / HeadObject /
//! ListObjectsV2, DynamoDB request units by item size, KMS GenerateDataKey / Decrypt.
//!
//! DynamoDB item sizes are approximated from the record's JSON (what the adapter stores in its `record` attribute)
//! plus [`ITEM_KEY_BYTES`] for the keys and attribute names; the adapter's real items differ by a few bytes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use oktavault_shared::ids::{JobId, OrgId, SnapshotId};
use oktavault_shared::ports::{
    AuditEntry, BlobStore, Catalog, CatalogError, CategoryProgress, DataKey, JobKind, JobRecord, JobStatus, KeyContext,
    KeyError, KeyProvider, Lease, LogEntry, OrgRecord, PlainKey, SnapshotRecord, StoreError,
};
use serde::Serialize;

use super::billing::{list_requests, read_units, write_units};

/// Partition and sort key, the GSI keys and the attribute names of one DynamoDB item, approximately.
pub const ITEM_KEY_BYTES: u64 = 120;

/// Requests and bytes counted since the last [`Meter::take`].
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Usage {
    /// PutObject (put and put-if-absent, whether or not it wrote) and ListObjectsV2 pages: S3's PUT/COPY/POST/LIST
    /// tier.
    pub s3_put_tier: u64,
    /// GetObject and HeadObject: S3's GET tier.
    pub s3_get_tier: u64,
    /// Bytes of objects written at keys that held nothing.
    pub s3_new_bytes: u64,
    /// Bytes of objects written over an existing object (a versioned bucket keeps the old version until the
    /// noncurrent-version rule expires it).
    pub s3_overwritten_bytes: u64,
    pub dynamodb_write_units: u64,
    pub dynamodb_read_units: u64,
    pub dynamodb_requests: u64,
    pub kms_generate_data_key: u64,
    pub kms_decrypt: u64,
}

/// Shared by the three wrappers of one store; also tracks every live object's size, for the bytes stored.
#[derive(Default)]
pub struct Meter {
    usage: Mutex<Usage>,
    objects: Mutex<HashMap<String, u64>>,
}

impl Meter {
    fn add(&self, f: impl FnOnce(&mut Usage)) {
        f(&mut self.usage.lock().expect("meter lock"));
    }

    /// What was counted since the last call, and a fresh count from here.
    pub fn take(&self) -> Usage {
        std::mem::take(&mut *self.usage.lock().expect("meter lock"))
    }

    /// Bytes of every object in the store now (current versions).
    pub fn stored_bytes(&self) -> u64 {
        self.objects.lock().expect("meter lock").values().sum()
    }

    fn wrote(&self, key: &str, bytes: u64) {
        let previous = self.objects.lock().expect("meter lock").insert(key.to_owned(), bytes);
        self.add(|u| match previous {
            Some(_) => u.s3_overwritten_bytes += bytes,
            None => u.s3_new_bytes += bytes,
        });
    }

    fn dynamodb_write(&self, item_bytes: u64) {
        self.add(|u| {
            u.dynamodb_requests += 1;
            u.dynamodb_write_units += write_units(item_bytes);
        });
    }

    fn dynamodb_read(&self, bytes: u64) {
        self.add(|u| {
            u.dynamodb_requests += 1;
            u.dynamodb_read_units += read_units(bytes);
        });
    }
}

/// An item's size: its record's JSON plus the keys.
fn item_bytes<T: Serialize>(record: &T) -> u64 {
    serde_json::to_vec(record).map_or(0, |json| json.len() as u64) + ITEM_KEY_BYTES
}

fn items_bytes<'a, T: Serialize + 'a>(records: impl IntoIterator<Item = &'a T>) -> u64 {
    records.into_iter().map(item_bytes).sum()
}

pub struct MeteredBlobs {
    pub inner: Arc<dyn BlobStore>,
    pub meter: Arc<Meter>,
}

#[async_trait]
impl BlobStore for MeteredBlobs {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let size = bytes.len() as u64;
        self.meter.add(|u| u.s3_put_tier += 1);
        self.inner.put(key, bytes).await?;
        self.meter.wrote(key, size);
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        let size = bytes.len() as u64;
        self.meter.add(|u| u.s3_put_tier += 1);
        let wrote = self.inner.put_if_absent(key, bytes).await?;
        if wrote {
            self.meter.wrote(key, size);
        }
        Ok(wrote)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.meter.add(|u| u.s3_get_tier += 1);
        self.inner.get(key).await
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.meter.add(|u| u.s3_get_tier += 1);
        self.inner.exists(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let keys = self.inner.list(prefix).await?;
        self.meter.add(|u| u.s3_put_tier += list_requests(keys.len() as u64));
        Ok(keys)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        // DeleteObject is free; the object's bytes leave the count of what is stored.
        self.inner.delete(key).await?;
        self.meter.objects.lock().expect("meter lock").remove(key);
        Ok(())
    }
}

pub struct MeteredKeys {
    pub inner: Arc<dyn KeyProvider>,
    pub meter: Arc<Meter>,
}

#[async_trait]
impl KeyProvider for MeteredKeys {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        self.meter.add(|u| u.kms_generate_data_key += 1);
        self.inner.generate_data_key(context).await
    }

    async fn unwrap_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<PlainKey, KeyError> {
        self.meter.add(|u| u.kms_decrypt += 1);
        self.inner.unwrap_data_key(wrapped, context).await
    }
}

pub struct MeteredCatalog {
    pub inner: Arc<dyn Catalog>,
    pub meter: Arc<Meter>,
}

#[async_trait]
impl Catalog for MeteredCatalog {
    async fn put_org(&self, org: &OrgRecord) -> Result<(), CatalogError> {
        self.meter.dynamodb_write(item_bytes(org));
        self.inner.put_org(org).await
    }

    async fn advance_last_snapshot(&self, org_id: &OrgId, snapshot: &SnapshotId) -> Result<bool, CatalogError> {
        // An UpdateItem is billed on the larger of the item before and after: the org's item.
        let org = self.inner.get_org(org_id).await?;
        self.meter
            .dynamodb_write(org.as_ref().map_or(ITEM_KEY_BYTES, item_bytes));
        self.inner.advance_last_snapshot(org_id, snapshot).await
    }

    async fn get_org(&self, org_id: &OrgId) -> Result<Option<OrgRecord>, CatalogError> {
        let org = self.inner.get_org(org_id).await?;
        self.meter.dynamodb_read(items_bytes(&org));
        Ok(org)
    }

    async fn list_orgs(&self) -> Result<Vec<OrgRecord>, CatalogError> {
        let orgs = self.inner.list_orgs().await?;
        self.meter.dynamodb_read(items_bytes(&orgs));
        Ok(orgs)
    }

    async fn create_job(&self, job: &JobRecord) -> Result<(), CatalogError> {
        self.meter.dynamodb_write(item_bytes(job));
        self.inner.create_job(job).await
    }

    async fn get_job(&self, job_id: &JobId) -> Result<Option<JobRecord>, CatalogError> {
        let job = self.inner.get_job(job_id).await?;
        self.meter.dynamodb_read(items_bytes(&job));
        Ok(job)
    }

    async fn update_job(&self, job: &JobRecord, expected: JobStatus) -> Result<(), CatalogError> {
        self.meter.dynamodb_write(item_bytes(job));
        self.inner.update_job(job, expected).await
    }

    async fn list_jobs(&self, org_id: &OrgId, status: Option<JobStatus>) -> Result<Vec<JobRecord>, CatalogError> {
        // A Query of the jobs index (by status when one is given): billed on the items it returns.
        let jobs = self.inner.list_jobs(org_id, status).await?;
        self.meter.dynamodb_read(items_bytes(&jobs));
        Ok(jobs)
    }

    async fn save_progress(
        &self,
        job_id: &JobId,
        category: &str,
        progress: &CategoryProgress,
    ) -> Result<(), CatalogError> {
        self.meter.dynamodb_write(item_bytes(progress));
        self.inner.save_progress(job_id, category, progress).await
    }

    async fn load_progress(&self, job_id: &JobId) -> Result<BTreeMap<String, CategoryProgress>, CatalogError> {
        let progress = self.inner.load_progress(job_id).await?;
        self.meter.dynamodb_read(items_bytes(progress.values()));
        Ok(progress)
    }

    async fn append_log(&self, job_id: &JobId, batch: &str, entries: &[LogEntry]) -> Result<(), CatalogError> {
        // The adapter first queries the batch's earlier parts (to delete leftovers), then writes the batch as one
        // item of its lines' JSON, zstd-compressed: counted uncompressed here, so an upper bound.
        self.meter.dynamodb_read(0);
        self.meter.dynamodb_write(item_bytes(&entries));
        self.inner.append_log(job_id, batch, entries).await
    }

    async fn read_log(&self, job_id: &JobId) -> Result<Vec<LogEntry>, CatalogError> {
        let log = self.inner.read_log(job_id).await?;
        self.meter.dynamodb_read(items_bytes(&log));
        Ok(log)
    }

    async fn get_lease(&self, org_id: &OrgId, kind: JobKind) -> Result<Option<Lease>, CatalogError> {
        let lease = self.inner.get_lease(org_id, kind).await?;
        self.meter.dynamodb_read(items_bytes(&lease));
        Ok(lease)
    }

    async fn acquire_lease(&self, lease: &Lease, now_ms: i64) -> Result<(), CatalogError> {
        self.meter.dynamodb_write(item_bytes(lease));
        self.inner.acquire_lease(lease, now_ms).await
    }

    async fn release_lease(&self, org_id: &OrgId, kind: JobKind, owner: &str) -> Result<(), CatalogError> {
        // A conditional delete is billed on the deleted item's size.
        let lease = self.inner.get_lease(org_id, kind).await?;
        self.meter
            .dynamodb_write(lease.as_ref().map_or(ITEM_KEY_BYTES, item_bytes));
        self.inner.release_lease(org_id, kind, owner).await
    }

    async fn put_id_map(
        &self,
        source: &OrgId,
        target: &OrgId,
        category: &str,
        batch: &str,
        pairs: &[(String, String)],
    ) -> Result<(), CatalogError> {
        self.meter.dynamodb_write(item_bytes(&pairs));
        self.inner.put_id_map(source, target, category, batch, pairs).await
    }

    async fn id_map(
        &self,
        source: &OrgId,
        target: &OrgId,
        category: &str,
    ) -> Result<BTreeMap<String, String>, CatalogError> {
        let map = self.inner.id_map(source, target, category).await?;
        self.meter.dynamodb_read(item_bytes(&map));
        Ok(map)
    }

    async fn put_snapshot(&self, snapshot: &SnapshotRecord) -> Result<(), CatalogError> {
        self.meter.dynamodb_write(item_bytes(snapshot));
        self.inner.put_snapshot(snapshot).await
    }

    async fn get_snapshot(
        &self,
        org_id: &OrgId,
        snapshot_id: &SnapshotId,
    ) -> Result<Option<SnapshotRecord>, CatalogError> {
        let snapshot = self.inner.get_snapshot(org_id, snapshot_id).await?;
        self.meter.dynamodb_read(items_bytes(&snapshot));
        Ok(snapshot)
    }

    async fn list_snapshots(&self, org_id: &OrgId) -> Result<Vec<SnapshotRecord>, CatalogError> {
        let snapshots = self.inner.list_snapshots(org_id).await?;
        self.meter.dynamodb_read(items_bytes(&snapshots));
        Ok(snapshots)
    }

    async fn delete_snapshot(&self, org_id: &OrgId, snapshot_id: &SnapshotId) -> Result<(), CatalogError> {
        self.meter.dynamodb_write(ITEM_KEY_BYTES);
        self.inner.delete_snapshot(org_id, snapshot_id).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), CatalogError> {
        self.meter.dynamodb_write(item_bytes(entry));
        self.inner.append_audit(entry).await
    }

    async fn list_audit(&self, org: Option<&OrgId>) -> Result<Vec<AuditEntry>, CatalogError> {
        let entries = self.inner.list_audit(org).await?;
        self.meter.dynamodb_read(items_bytes(&entries));
        Ok(entries)
    }
}
