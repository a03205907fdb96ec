//! The AWS adapters of the ports (S3, KMS, DynamoDB) on a real moto server: the port
//! conformance suites, then what only the AWS adapters promise (SSE-KMS, multipart, KMS
//! encryption context, DynamoDB conditional writes, index and log items).
//!
//! One moto server serves the whole binary; tests run in parallel, so each makes its own
//! bucket, KMS key and table and never resets the server.
//!
//! Needs `scripts/ensure-moto`. Run: `cargo test -p oktavault-shared --features aws,testkit --test aws_conformance`

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use aws_sdk_s3::types::ServerSideEncryption;
use oktavault_shared::aws::{DynamoCatalog, KmsKeyProvider, MultipartPolicy, S3BlobStore, TableSpec, s3_client};
use oktavault_shared::credentials::{StoredCredentialsConnector, store_org_credentials};
use oktavault_shared::ids::{JobId, OrgId, SnapshotId};
use oktavault_shared::okta::{Credentials, OrgUrl, Secret};
use oktavault_shared::ports::{
    BlobStore, Catalog, CatalogError, CategoryCounts, JobKind, JobRecord, JobStatus, KeyContext, KeyError, KeyProvider,
    LogEntry, StoreError,
};
use oktavault_shared::testkit::moto::MotoServer;
use oktavault_shared::workflow::OktaConnector;
use secrecy::ExposeSecret;

// ---------------------------------------------------------------------------------------------
// Fixtures: each test gets resources of its own on the shared server.

/// A name no other test (or earlier run on the same server) uses.
fn unique(stem: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{stem}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

async fn kms_key(moto: &MotoServer) -> String {
    let kms = aws_sdk_kms::Client::new(&moto.sdk_config());
    let key = kms
        .create_key()
        .description(unique("oktavault-test"))
        .send()
        .await
        .unwrap();
    key.key_metadata().unwrap().key_id().to_string()
}

struct S3Fixture {
    s3: aws_sdk_s3::Client,
    bucket: String,
    key_id: String,
}

impl S3Fixture {
    /// A multipart upload that completed or aborted leaves nothing behind in the bucket.
    async fn assert_no_leftover_uploads(&self) {
        let uploads = self
            .s3
            .list_multipart_uploads()
            .bucket(&self.bucket)
            .send()
            .await
            .unwrap();
        assert!(
            uploads.uploads().is_empty(),
            "left-over uploads: {:?}",
            uploads.uploads()
        );
    }

    async fn new() -> Self {
        let moto = MotoServer::shared();
        let s3 = s3_client(&moto.sdk_config());
        let bucket = unique("oktavault-blobs");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        Self {
            s3,
            key_id: kms_key(moto).await,
            bucket,
        }
    }

    fn store(&self, prefix: Option<&str>) -> S3BlobStore {
        S3BlobStore::new(
            self.s3.clone(),
            self.bucket.clone(),
            Some(self.key_id.clone()),
            prefix.map(str::to_string),
        )
    }

    /// Multipart from 6 MiB, in 5 MiB parts: the smallest S3 allows, so a 17 MiB blob has 4 parts.
    fn multipart_store(&self) -> S3BlobStore {
        self.store(Some("big")).with_multipart(MultipartPolicy {
            threshold: 6 * 1024 * 1024,
            part_size: 5 * 1024 * 1024,
            concurrency: 2,
        })
    }
}

async fn key_provider() -> KmsKeyProvider {
    let moto = MotoServer::shared();
    KmsKeyProvider::new(aws_sdk_kms::Client::new(&moto.sdk_config()), kms_key(moto).await)
}

async fn catalog() -> (DynamoCatalog, aws_sdk_dynamodb::Client) {
    let dynamodb = aws_sdk_dynamodb::Client::new(&MotoServer::shared().sdk_config());
    let spec = TableSpec::new(unique("oktavault-catalog"));
    spec.create_table(&dynamodb).await.unwrap();
    (DynamoCatalog::new(dynamodb.clone(), spec.table_name), dynamodb)
}

/// Bytes that do not compress or repeat, so sizes and part boundaries are what they seem.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn org(name: &str) -> OrgId {
    OrgId::new(name).unwrap()
}

/// Built from JSON so fields the record gains later with a serde default (e.g. `full_refresh`)
/// need no change here.
fn job(org_id: &OrgId, id: &str, status: JobStatus, created_at: &str) -> JobRecord {
    serde_json::from_value(serde_json::json!({
        "job_id": id,
        "org_id": org_id,
        "kind": JobKind::Backup,
        "status": status,
        "created_at": created_at,
        "updated_at": created_at,
        "finished_at": null,
        "snapshot_id": null,
        "previous_snapshot": null,
        "wrapped_key": null,
        "categories": ["users", "groups"],
        "counts": {},
        "error": null,
    }))
    .expect("a valid job record")
}

fn log_line(message: impl Into<String>) -> LogEntry {
    LogEntry {
        at: "2026-11-23T12:00:00Z".into(),
        category: "users".into(),
        object_id: Some("00u1abc".into()),
        outcome: "error".into(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// The port conformance suites, the same ones the embedded adapters pass.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_blob_store_passes_the_blob_store_conformance_suite() {
    let fixture = S3Fixture::new().await;
    oktavault_shared::conformance::blob_store(&fixture.store(Some("conformance"))).await;
    // Again with a 1 MiB multipart threshold, so the suite's 1.5 MiB blobs (plain and
    // put_if_absent) take the multipart path too.
    oktavault_shared::conformance::blob_store(&fixture.store(None).with_multipart(MultipartPolicy {
        threshold: 1024 * 1024,
        part_size: 5 * 1024 * 1024,
        concurrency: 2,
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kms_key_provider_passes_the_key_provider_conformance_suite() {
    oktavault_shared::conformance::key_provider(&key_provider().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamo_catalog_passes_the_catalog_conformance_suite() {
    let (catalog, _) = catalog().await;
    oktavault_shared::conformance::catalog(&catalog).await;
}

// ---------------------------------------------------------------------------------------------
// S3BlobStore

#[tokio::test]
async fn s3_round_trips_blobs_under_the_prefix() {
    let fixture = S3Fixture::new().await;
    let store = fixture.store(Some("tenant-a"));
    assert_eq!(store.get("snapshots/s1/manifest").await.unwrap(), None);
    assert!(!store.exists("snapshots/s1/manifest").await.unwrap());

    store.put("snapshots/s1/manifest", b"one".to_vec()).await.unwrap();
    store.put("snapshots/s1/manifest", b"two".to_vec()).await.unwrap();
    assert_eq!(
        store.get("snapshots/s1/manifest").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert!(store.exists("snapshots/s1/manifest").await.unwrap());

    // The object sits under the prefix, and another prefix's store does not see it.
    let object = fixture
        .s3
        .get_object()
        .bucket(&fixture.bucket)
        .key("tenant-a/snapshots/s1/manifest")
        .send()
        .await
        .unwrap();
    assert_eq!(object.body.collect().await.unwrap().into_bytes().as_ref(), b"two");
    let other = fixture.store(Some("tenant-b"));
    assert_eq!(other.get("snapshots/s1/manifest").await.unwrap(), None);
    assert!(other.list("").await.unwrap().is_empty());

    store.delete("snapshots/s1/manifest").await.unwrap();
    store.delete("snapshots/s1/manifest").await.unwrap();
    assert_eq!(store.get("snapshots/s1/manifest").await.unwrap(), None);
}

#[tokio::test]
async fn s3_put_asks_for_sse_kms_with_the_configured_key() {
    let fixture = S3Fixture::new().await;
    let store = fixture.store(None);
    store.put("segments/a", b"sealed bytes".to_vec()).await.unwrap();
    assert!(
        store
            .put_if_absent("segments/b", b"sealed bytes".to_vec())
            .await
            .unwrap()
    );

    for key in ["segments/a", "segments/b"] {
        let head = fixture
            .s3
            .head_object()
            .bucket(&fixture.bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.server_side_encryption(),
            Some(&ServerSideEncryption::AwsKms),
            "{key}"
        );
        let kms_key = head.ssekms_key_id().unwrap_or_default();
        assert!(kms_key.contains(&fixture.key_id), "{key}: SSE key {kms_key:?}");
    }
}

#[tokio::test]
async fn s3_put_if_absent_never_overwrites() {
    let fixture = S3Fixture::new().await;
    let store = fixture.store(Some("p"));
    assert!(store.put_if_absent("work/lock", b"first".to_vec()).await.unwrap());
    assert!(!store.put_if_absent("work/lock", b"second".to_vec()).await.unwrap());
    assert_eq!(store.get("work/lock").await.unwrap().as_deref(), Some(&b"first"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_put_if_absent_race_has_exactly_one_winner() {
    let fixture = S3Fixture::new().await;
    let store = Arc::new(fixture.store(None));
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { (i, store.put_if_absent("race/key", vec![i; 64]).await.unwrap()) })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (i, wrote) = task.await.unwrap();
        if wrote {
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    assert_eq!(store.get("race/key").await.unwrap(), Some(vec![winners[0]; 64]));
}

#[tokio::test]
async fn s3_uploads_a_big_blob_in_parts_with_sse_kms() {
    let fixture = S3Fixture::new().await;
    let store = fixture.multipart_store();
    let blob = noise(17 * 1024 * 1024 + 12_345, 7);
    store.put("segments/big", blob.clone()).await.unwrap();

    assert_eq!(
        store.get("segments/big").await.unwrap().as_deref(),
        Some(blob.as_slice())
    );
    let head = fixture
        .s3
        .head_object()
        .bucket(&fixture.bucket)
        .key(store.object_key("segments/big"))
        .send()
        .await
        .unwrap();
    // A multipart object's ETag ends with its part count.
    let etag = head.e_tag().unwrap_or_default();
    assert!(etag.trim_matches('"').ends_with("-4"), "ETag {etag}");
    assert_eq!(head.content_length(), Some(blob.len() as i64));
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert!(head.ssekms_key_id().unwrap_or_default().contains(&fixture.key_id));

    fixture.assert_no_leftover_uploads().await;
}

#[tokio::test]
async fn s3_multipart_put_if_absent_keeps_the_first_blob() {
    let fixture = S3Fixture::new().await;
    let store = fixture.multipart_store();
    let first = noise(7 * 1024 * 1024, 1);
    assert!(store.put_if_absent("segments/once", first.clone()).await.unwrap());
    assert!(
        !store
            .put_if_absent("segments/once", noise(7 * 1024 * 1024, 2))
            .await
            .unwrap()
    );
    assert_eq!(store.get("segments/once").await.unwrap(), Some(first));
    fixture.assert_no_leftover_uploads().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_list_follows_continuation_tokens_and_sorts() {
    let fixture = S3Fixture::new().await;
    let store = Arc::new(fixture.store(Some("many")));
    // More than one ListObjectsV2 page (1000 keys).
    let count = 1_050;
    let writes: Vec<_> = (0..count)
        .map(|i| {
            let store = Arc::clone(&store);
            async move { store.put(&format!("objects/{:05}", count - i), vec![1]).await }
        })
        .collect();
    use futures::StreamExt;
    let results: Vec<_> = futures::stream::iter(writes).buffer_unordered(16).collect().await;
    results.into_iter().collect::<Result<Vec<_>, _>>().unwrap();
    store.put("other/x", vec![1]).await.unwrap();

    let keys = store.list("objects/").await.unwrap();
    assert_eq!(keys.len(), count);
    assert_eq!(keys.first().map(String::as_str), Some("objects/00001"));
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(store.list("").await.unwrap().len(), count + 1);
}

#[tokio::test]
async fn s3_refuses_bad_keys_and_names_the_bucket_on_failures() {
    let fixture = S3Fixture::new().await;
    let store = fixture.store(None);
    assert!(matches!(
        store.put("../escape", vec![1]).await,
        Err(StoreError::InvalidKey { .. })
    ));
    assert!(matches!(store.get("a//b").await, Err(StoreError::InvalidKey { .. })));

    let missing = S3BlobStore::new(fixture.s3.clone(), unique("no-such-bucket"), None, None);
    let err = missing.put("a/b", vec![1]).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(err.to_string().contains("s3://no-such-bucket"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// KmsKeyProvider

fn context(org_id: &str, snapshot: &str) -> KeyContext {
    KeyContext::snapshot(&org(org_id), &SnapshotId::new(snapshot).unwrap())
}

#[tokio::test]
async fn kms_unwraps_only_under_the_same_org_and_snapshot() {
    let keys = key_provider().await;
    let ctx = context("acme.okta.com", "20261123T115000Z-3f9a0000");
    let data_key = keys.generate_data_key(&ctx).await.unwrap();
    let plaintext = data_key.plaintext.expose_secret();
    assert_ne!(plaintext, &[0u8; 32]);
    assert!(!data_key.wrapped.windows(32).any(|w| w == plaintext));
    assert_eq!(
        keys.unwrap_data_key(&data_key.wrapped, &ctx)
            .await
            .unwrap()
            .expose_secret(),
        plaintext
    );

    for wrong in [
        context("acme.okta.com", "20261124T115000Z-00000000"),
        context("evil.okta.com", "20261123T115000Z-3f9a0000"),
    ] {
        let err = keys.unwrap_data_key(&data_key.wrapped, &wrong).await.unwrap_err();
        assert!(matches!(err, KeyError::Unwrap { .. }), "{err}");
        assert!(!err.is_retryable());
        assert!(err.to_string().contains(wrong.org_id().as_str()), "{err}");
    }
}

#[tokio::test]
async fn kms_data_keys_differ_per_snapshot() {
    let keys = key_provider().await;
    let a = keys.generate_data_key(&context("acme.okta.com", "s-1")).await.unwrap();
    let b = keys.generate_data_key(&context("acme.okta.com", "s-2")).await.unwrap();
    assert_ne!(a.plaintext.expose_secret(), b.plaintext.expose_secret());
    assert_ne!(a.wrapped, b.wrapped);
    assert!(!format!("{a:?}").contains(&format!("{:?}", a.plaintext.expose_secret())));
}

/// Snapshots sealed before keys had a purpose were wrapped under exactly `{org, snapshot}`: a key
/// wrapped by KMS under that context, called directly, still unwraps.
#[tokio::test]
async fn kms_snapshot_keys_keep_the_context_existing_snapshots_were_sealed_under() {
    let keys = key_provider().await;
    let kms = aws_sdk_kms::Client::new(&MotoServer::shared().sdk_config());
    let made = kms
        .generate_data_key()
        .key_id(keys.key_id())
        .key_spec(DataKeySpec::Aes256)
        .encryption_context("org", "acme.okta.com")
        .encryption_context("snapshot", "20261123T115000Z-3f9a0000")
        .send()
        .await
        .unwrap();
    let unwrapped = keys
        .unwrap_data_key(
            made.ciphertext_blob().unwrap().as_ref(),
            &context("acme.okta.com", "20261123T115000Z-3f9a0000"),
        )
        .await
        .unwrap();
    assert_eq!(unwrapped.expose_secret(), made.plaintext().unwrap().as_ref());
}

/// A credentials key is wrapped under `{org, purpose: org-credentials, url}` on the wire, which is
/// what the template's IAM conditions match; the context credentials used before, a fake
/// snapshot id, does not unwrap it.
#[tokio::test]
async fn kms_credentials_keys_are_wrapped_under_org_purpose_and_url() {
    let keys = key_provider().await;
    let url = OrgUrl::parse("https://acme.okta.com", false).unwrap();
    let data_key = keys
        .generate_data_key(&KeyContext::org_credentials(&org("acme.okta.com"), &url))
        .await
        .unwrap();
    let kms = aws_sdk_kms::Client::new(&MotoServer::shared().sdk_config());
    let decrypt = |pairs: &[(&str, &str)]| {
        let mut request = kms
            .decrypt()
            .key_id(keys.key_id())
            .ciphertext_blob(Blob::new(data_key.wrapped.clone()));
        for (k, v) in pairs {
            request = request.encryption_context(*k, *v);
        }
        request.send()
    };
    let opened = decrypt(&[
        ("org", "acme.okta.com"),
        ("purpose", "org-credentials"),
        ("url", "https://acme.okta.com"),
    ])
    .await
    .unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), data_key.plaintext.expose_secret());
    assert!(
        decrypt(&[("org", "acme.okta.com"), ("snapshot", "org-credentials")])
            .await
            .is_err()
    );
}

#[tokio::test]
async fn kms_refuses_damaged_wrapped_keys_and_keys_of_another_master_key() {
    let keys = key_provider().await;
    let ctx = context("acme.okta.com", "s-1");
    let mut wrapped = keys.generate_data_key(&ctx).await.unwrap().wrapped;
    let other = key_provider().await;
    // KMS answers IncorrectKeyException / InvalidCiphertextException (unwrap failures); moto
    // answers AccessDeniedException. Either way the key is refused for good.
    let err = other.unwrap_data_key(&wrapped, &ctx).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(err.to_string().contains("acme.okta.com"), "{err}");

    let last = wrapped.len() - 1;
    wrapped[last] ^= 0x01;
    let err = keys.unwrap_data_key(&wrapped, &ctx).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(err.to_string().contains("acme.okta.com"), "{err}");
}

#[tokio::test]
async fn kms_reports_an_unknown_master_key_as_unavailable() {
    let moto = MotoServer::shared();
    let keys = KmsKeyProvider::new(
        aws_sdk_kms::Client::new(&moto.sdk_config()),
        "11111111-2222-3333-4444-555555555555".into(),
    );
    let err = keys
        .generate_data_key(&context("acme.okta.com", "s-1"))
        .await
        .unwrap_err();
    assert!(matches!(err, KeyError::Unavailable { retryable: false, .. }), "{err}");
    assert!(
        err.to_string().contains("11111111-2222-3333-4444-555555555555"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// DynamoCatalog

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamo_conditional_update_race_has_exactly_one_winner() {
    let (catalog, _) = catalog().await;
    let catalog = Arc::new(catalog);
    let acme = org("acme.okta.com");
    let running = job(&acme, "job-race", JobStatus::Running, "2026-11-23T12:00:00Z");
    catalog.create_job(&running).await.unwrap();

    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let catalog = Arc::clone(&catalog);
            let mut finished = running.clone();
            finished.status = if i % 2 == 0 {
                JobStatus::Completed
            } else {
                JobStatus::Failed
            };
            finished.error = Some(format!("finisher {i}"));
            tokio::spawn(async move {
                let outcome = catalog.update_job(&finished, JobStatus::Running).await;
                (finished, outcome)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (finished, Ok(())) => winners.push(finished),
            (_, Err(CatalogError::Conflict { expected, actual, .. })) => {
                assert_eq!(expected, "Running");
                assert!(actual == "Completed" || actual == "Failed", "actual {actual}");
            }
            (_, Err(other)) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "{} winners", winners.len());
    assert_eq!(
        catalog.get_job(&running.job_id).await.unwrap().as_ref(),
        Some(&winners[0])
    );
}

#[tokio::test]
async fn dynamo_update_reports_the_stored_status_and_refuses_missing_or_moved_jobs() {
    let (catalog, _) = catalog().await;
    let acme = org("acme.okta.com");
    let mut record = job(&acme, "job-1", JobStatus::Running, "2026-11-23T12:00:00Z");
    catalog.create_job(&record).await.unwrap();
    assert!(matches!(
        catalog.create_job(&record).await,
        Err(CatalogError::AlreadyExists { .. })
    ));

    record.status = JobStatus::CompletedWithErrors;
    catalog.update_job(&record, JobStatus::Running).await.unwrap();
    record.status = JobStatus::Failed;
    match catalog.update_job(&record, JobStatus::Running).await {
        Err(CatalogError::Conflict { actual, .. }) => assert_eq!(actual, "Completed With Errors"),
        other => panic!("expected a conflict, got {other:?}"),
    }

    let ghost = job(&acme, "job-ghost", JobStatus::Completed, "2026-11-23T12:00:00Z");
    assert!(matches!(
        catalog.update_job(&ghost, JobStatus::Running).await,
        Err(CatalogError::NotFound { .. })
    ));

    let mut moved = job(&acme, "job-2", JobStatus::Running, "2026-11-23T12:00:00Z");
    catalog.create_job(&moved).await.unwrap();
    moved.org_id = org("other.okta.com");
    let err = catalog.update_job(&moved, JobStatus::Running).await.unwrap_err();
    assert!(matches!(err, CatalogError::Backend { retryable: false, .. }), "{err}");
    assert_eq!(catalog.get_job(&moved.job_id).await.unwrap().unwrap().org_id, acme);
}

#[tokio::test]
async fn dynamo_lists_jobs_by_org_and_status_through_the_index_newest_first() {
    let (catalog, dynamodb) = catalog().await;
    let (acme, other) = (org("acme.okta.com"), org("other.okta.com"));
    let jobs = [
        job(&acme, "job-a", JobStatus::Completed, "2026-11-20T00:00:00Z"),
        job(&acme, "job-b", JobStatus::CompletedWithErrors, "2026-11-21T00:00:00Z"),
        job(&acme, "job-c", JobStatus::Completed, "2026-11-22T00:00:00Z"),
        job(&acme, "job-d", JobStatus::Running, "2026-11-23T00:00:00Z"),
        job(&other, "job-e", JobStatus::Completed, "2026-11-24T00:00:00Z"),
    ];
    for record in &jobs {
        catalog.create_job(record).await.unwrap();
    }
    let ids = |list: Vec<JobRecord>| list.into_iter().map(|j| j.job_id.to_string()).collect::<Vec<_>>();

    assert_eq!(
        ids(catalog.list_jobs(&acme, Some(JobStatus::Completed)).await.unwrap()),
        ["job-c", "job-a"]
    );
    assert_eq!(
        ids(catalog
            .list_jobs(&acme, Some(JobStatus::CompletedWithErrors))
            .await
            .unwrap()),
        ["job-b"]
    );
    assert_eq!(
        ids(catalog.list_jobs(&acme, None).await.unwrap()),
        ["job-d", "job-c", "job-b", "job-a"]
    );
    assert_eq!(ids(catalog.list_jobs(&other, None).await.unwrap()), ["job-e"]);

    // A status change moves the job in the index.
    let mut finished = jobs[3].clone();
    finished.status = JobStatus::Completed;
    catalog.update_job(&finished, JobStatus::Running).await.unwrap();
    assert_eq!(
        ids(catalog.list_jobs(&acme, Some(JobStatus::Completed)).await.unwrap()),
        ["job-d", "job-c", "job-a"]
    );
    assert!(
        catalog
            .list_jobs(&acme, Some(JobStatus::Running))
            .await
            .unwrap()
            .is_empty()
    );

    // The listing really is a GSI1 query keyed by org and status.
    let indexed = dynamodb
        .query()
        .table_name(catalog.table())
        .index_name("GSI1")
        .key_condition_expression("GSI1PK = :pk AND begins_with(GSI1SK, :status)")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S("JOBS#acme.okta.com".into()),
        )
        .expression_attribute_values(
            ":status",
            aws_sdk_dynamodb::types::AttributeValue::S("Completed#".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(indexed.count(), 3);
}

#[tokio::test]
async fn dynamo_log_batches_replace_and_read_in_batch_order() {
    let (catalog, _) = catalog().await;
    let job_id = JobId::new("job-log").unwrap();
    catalog
        .append_log(&job_id, "users/000002", &[log_line("u2-a"), log_line("u2-b")])
        .await
        .unwrap();
    catalog
        .append_log(
            &job_id,
            "users/000001",
            &[log_line("u1-a"), log_line("u1-b"), log_line("u1-c")],
        )
        .await
        .unwrap();
    // The page is repeated after a crash: its batch is replaced, never appended twice.
    catalog
        .append_log(&job_id, "users/000001", &[log_line("u1-a"), log_line("u1-retry")])
        .await
        .unwrap();
    let messages: Vec<String> = catalog
        .read_log(&job_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.message)
        .collect();
    assert_eq!(messages, ["u1-a", "u1-retry", "u2-a", "u2-b"]);
    assert!(
        catalog
            .read_log(&JobId::new("job-none").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn dynamo_log_batch_over_the_item_limit_spans_parts_and_shrinks_without_leftovers() {
    let (catalog, dynamodb) = catalog().await;
    let job_id = JobId::new("job-big-log").unwrap();
    // About 1.2 MB of hex lines: about 600 KB compressed, so the batch needs two items.
    let hex = |seed| {
        noise(60_000, seed)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let big: Vec<LogEntry> = (0..10).map(|i| log_line(hex(i + 100))).collect();
    catalog.append_log(&job_id, "groups/000001", &big).await.unwrap();
    catalog
        .append_log(&job_id, "groups/000000", &[log_line("first")])
        .await
        .unwrap();

    let log_items = |dynamodb: aws_sdk_dynamodb::Client, table: String| async move {
        dynamodb
            .query()
            .table_name(table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :log)")
            .expression_attribute_values(
                ":pk",
                aws_sdk_dynamodb::types::AttributeValue::S("JOB#job-big-log".into()),
            )
            .expression_attribute_values(":log", aws_sdk_dynamodb::types::AttributeValue::S("LOG#".into()))
            .send()
            .await
            .unwrap()
            .count()
    };
    assert!(log_items(dynamodb.clone(), catalog.table().into()).await >= 3);
    let read = catalog.read_log(&job_id).await.unwrap();
    assert_eq!(read.len(), 11);
    assert_eq!(read[0].message, "first");
    assert_eq!(&read[1..], &big[..]);

    catalog
        .append_log(&job_id, "groups/000001", &[log_line("small now")])
        .await
        .unwrap();
    assert_eq!(log_items(dynamodb, catalog.table().into()).await, 2);
    let messages: Vec<String> = catalog
        .read_log(&job_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.message)
        .collect();
    assert_eq!(messages, ["first", "small now"]);
}

#[tokio::test]
async fn dynamo_progress_keeps_names_with_separators_apart() {
    let (catalog, _) = catalog().await;
    let job_id = JobId::new("job-progress").unwrap();
    let mut progress = oktavault_shared::ports::CategoryProgress {
        pages: 3,
        cursor: Some(serde_json::json!({"after": "00u3", "n": 18446744073709551615u64})),
        done: false,
        counts: CategoryCounts {
            objects: u64::MAX,
            ..Default::default()
        },
    };
    catalog.save_progress(&job_id, "apps", &progress).await.unwrap();
    progress.pages = 4;
    catalog.save_progress(&job_id, "apps#users", &progress).await.unwrap();
    let loaded = catalog.load_progress(&job_id).await.unwrap();
    assert_eq!(
        loaded.keys().map(String::as_str).collect::<HashSet<_>>(),
        HashSet::from(["apps", "apps#users"])
    );
    assert_eq!(loaded["apps"].pages, 3);
    assert_eq!(loaded["apps#users"], progress);
    assert!(catalog.save_progress(&job_id, "", &progress).await.is_err());
}

// ---------------------------------------------------------------------------------------------
// Org credentials sealed under KMS

/// The sealed text with the org URL inside it replaced: what someone who can write the catalog,
/// but not use the KMS key, can forge (format in shared/src/credentials.rs).
fn retarget(sealed: &str, from: &OrgUrl, to: &OrgUrl) -> String {
    use base64::Engine;
    let base64 = base64::engine::general_purpose::STANDARD;
    let raw = base64.decode(sealed).unwrap();
    let (from, to) = (from.as_str().as_bytes(), to.as_str().as_bytes());
    assert_eq!(
        &raw[3..3 + from.len()],
        from,
        "the URL follows the version and its length"
    );
    let mut forged = vec![raw[0]];
    forged.extend_from_slice(&u16::try_from(to.len()).unwrap().to_be_bytes());
    forged.extend_from_slice(to);
    forged.extend_from_slice(&raw[3 + from.len()..]);
    base64.encode(forged)
}

/// Issue 8 item 7 on the AWS side: credentials sealed through KMS for the org at one simulator,
/// then the org's record (in DynamoDB) pointed at a second simulator, with and without the URL
/// inside the seal rewritten too. The connector refuses, and the second simulator is never called.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_sealed_under_kms_are_never_sent_to_another_org_url() {
    let real = okta_sim::start(okta_sim::SimConfig::new(3, 1), 0).await.unwrap();
    let attacker = okta_sim::start(okta_sim::SimConfig::new(3, 2), 0).await.unwrap();
    let keys: Arc<dyn KeyProvider> = Arc::new(key_provider().await);
    let (catalog, _) = catalog().await;
    let url = OrgUrl::parse(&real.url(), true).unwrap();
    let attacker_url = OrgUrl::parse(&attacker.url(), true).unwrap();
    let record = serde_json::from_value(serde_json::json!({
        "org_id": url.org_id(),
        "url": real.url(),
        "auth": "api_token",
        "client_id": null,
        "backup_enabled": true,
        "created_at": "2026-11-23T12:00:00Z",
        "last_snapshot": null,
    }))
    .unwrap();
    let token = Credentials::ApiToken(Secret::new(real.api_token()));
    let stored = store_org_credentials(&catalog, keys.as_ref(), record, &url, &token)
        .await
        .unwrap();
    let connector = StoredCredentialsConnector::new(keys.clone(), true);
    let client = connector.client_for(&stored).await.unwrap();
    assert_eq!(
        client.get_page("/api/v1/users", Some(200)).await.unwrap().items.len(),
        3
    );

    let mut pointed = stored.clone();
    pointed.url = attacker.url();
    let mut forged = pointed.clone();
    forged.sealed_credentials = Some(retarget(
        stored.sealed_credentials.as_deref().unwrap(),
        &url,
        &attacker_url,
    ));
    for (changed, expected) in [(pointed, "authorize it again"), (forged, "authorize the org again")] {
        catalog.put_org(&changed).await.unwrap();
        let from_catalog = catalog.get_org(&changed.org_id).await.unwrap().unwrap();
        for connector in [&connector, &StoredCredentialsConnector::new(keys.clone(), true)] {
            let err = match connector.client_for(&from_catalog).await {
                Ok(_) => panic!("a client was built for {}", from_catalog.url),
                Err(err) => err,
            };
            assert!(!err.is_retryable(), "{err:?}");
            assert!(err.message.contains(expected), "{err:?}");
        }
    }
    assert_eq!(attacker.calls().total(), 0, "{:?}", attacker.calls());
}
