//! Port conformance suites: the behaviour every adapter of a port must show.
//!
//! Each suite drives a port through its trait object only and panics with a message naming the
//! broken rule, so the embedded adapters (`crate::local`) and the AWS adapters (S3, KMS,
//! DynamoDB) run exactly the same checks. A suite expects a fresh backend but writes only under
//! ids and keys it makes unique, so a shared bucket or table can run it too.

use std::collections::BTreeMap;
use std::fmt::Display;

use futures::future::join_all;
use secrecy::ExposeSecret;

use crate::ids::{JobId, OrgId, SnapshotId, random_suffix};
use crate::okta::OrgUrl;
use crate::ports::{
    AuditEntry, AuditResult, AuthKind, BackupSchedule, BackupTrigger, BlobStore, CaptureSettings, Catalog,
    CatalogError, CategoryCounts, CategoryProgress, ChangeCounts, ConnectivityCheck, DataKey, JobKind, JobRecord,
    JobStatus, KeyContext, KeyError, KeyProvider, Lack, Lease, LogEntry, OrgRecord, RetentionPolicy, SnapshotRecord,
    StoreError,
};

/// Writers racing in the concurrency checks.
const RACERS: usize = 8;

/// Unwraps `result` or fails the suite, naming the step.
fn expect_ok<T, E: Display>(port: &str, step: &str, result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("{port} conformance: {step} failed: {e}"))
}

// ---------------------------------------------------------------------------------------------
// BlobStore

/// Checks a [`BlobStore`]: put/get/overwrite/exists/delete, listing by prefix, put_if_absent
/// (also under contention), key validation and large blobs.
pub async fn blob_store(store: &dyn BlobStore) {
    let root = format!("conformance-{}", random_suffix());
    blob_put_get_overwrite_delete(store, &root).await;
    blob_list_by_prefix(store, &root).await;
    blob_put_if_absent(store, &root).await;
    blob_invalid_keys_refused(store).await;
    blob_concurrent_put_if_absent(store, &root).await;
    blob_large_round_trip(store, &root).await;
}

fn blob_ok<T>(step: &str, result: Result<T, StoreError>) -> T {
    expect_ok("BlobStore", step, result)
}

async fn blob_put_get_overwrite_delete(store: &dyn BlobStore, root: &str) {
    let key = format!("{root}/basic/blob.bin");
    assert_eq!(
        blob_ok("get of a missing key", store.get(&key).await),
        None,
        "BlobStore: a missing key must get None"
    );
    assert!(
        !blob_ok("exists of a missing key", store.exists(&key).await),
        "BlobStore: a missing key must not exist"
    );

    blob_ok("put", store.put(&key, b"first".to_vec()).await);
    assert_eq!(
        blob_ok("get", store.get(&key).await).as_deref(),
        Some(&b"first"[..]),
        "BlobStore: get after put"
    );
    assert!(
        blob_ok("exists", store.exists(&key).await),
        "BlobStore: a written key must exist"
    );

    blob_ok("overwrite", store.put(&key, b"second, longer".to_vec()).await);
    assert_eq!(
        blob_ok("get after overwrite", store.get(&key).await).as_deref(),
        Some(&b"second, longer"[..]),
        "BlobStore: put must replace the blob"
    );

    let empty = format!("{root}/basic/empty");
    blob_ok("put of an empty blob", store.put(&empty, Vec::new()).await);
    assert_eq!(
        blob_ok("get of an empty blob", store.get(&empty).await),
        Some(Vec::new()),
        "BlobStore: empty blobs"
    );

    blob_ok("delete", store.delete(&key).await);
    assert_eq!(
        blob_ok("get after delete", store.get(&key).await),
        None,
        "BlobStore: delete must remove the blob"
    );
    assert!(
        !blob_ok("exists after delete", store.exists(&key).await),
        "BlobStore: a deleted key must not exist"
    );
    blob_ok(
        "delete of a missing key (must not be an error)",
        store.delete(&key).await,
    );
}

async fn blob_list_by_prefix(store: &dyn BlobStore, root: &str) {
    let base = format!("{root}/list");
    // Written out of order, so sorting is the store's job.
    let keys = ["z", "a/bc/2", "a/b/2", "a/bc/1", "a/b/1", "a/b.x"];
    for key in keys {
        blob_ok(
            "put for listing",
            store.put(&format!("{base}/{key}"), key.as_bytes().to_vec()).await,
        );
    }
    let listed = |prefix: &'static str| list_relative(store, &base, prefix);
    assert_eq!(
        listed("").await,
        vec!["a/b.x", "a/b/1", "a/b/2", "a/bc/1", "a/bc/2", "z"],
        "BlobStore: list must return every key under the prefix, whole and sorted"
    );
    assert_eq!(
        listed("a/b/").await,
        vec!["a/b/1", "a/b/2"],
        "BlobStore: list of `a/b/` must not return `a/bc/*`"
    );
    assert_eq!(
        listed("a/b").await,
        vec!["a/b.x", "a/b/1", "a/b/2", "a/bc/1", "a/bc/2"],
        "BlobStore: a prefix is a string prefix (`a/b` matches `a/b.x`, `a/b/1` and `a/bc/1`)"
    );
    assert_eq!(
        listed("a/bc/1").await,
        vec!["a/bc/1"],
        "BlobStore: a whole key as prefix lists that key"
    );
    assert!(
        listed("nothing/").await.is_empty(),
        "BlobStore: a prefix with no keys lists nothing"
    );
    assert!(
        blob_ok("list of a sibling root", store.list(&format!("{root}-other/")).await).is_empty(),
        "BlobStore: list must not return keys of a sibling prefix"
    );
}

/// The keys under `base/prefix`, written relative to `base/`.
async fn list_relative(store: &dyn BlobStore, base: &str, prefix: &str) -> Vec<String> {
    let full = format!("{base}/{prefix}");
    let keys = blob_ok(&format!("list {full:?}"), store.list(&full).await);
    keys.into_iter()
        .map(|k| k.strip_prefix(&format!("{base}/")).map(str::to_owned).unwrap_or(k))
        .collect()
}

async fn blob_put_if_absent(store: &dyn BlobStore, root: &str) {
    let key = format!("{root}/once/blob");
    assert!(
        blob_ok(
            "put_if_absent on a free key",
            store.put_if_absent(&key, b"original".to_vec()).await
        ),
        "BlobStore: put_if_absent on a free key must write and return true"
    );
    assert!(
        !blob_ok(
            "put_if_absent on a taken key",
            store.put_if_absent(&key, b"intruder".to_vec()).await
        ),
        "BlobStore: put_if_absent on a taken key must return false"
    );
    assert_eq!(
        blob_ok("get after put_if_absent", store.get(&key).await).as_deref(),
        Some(&b"original"[..]),
        "BlobStore: a refused put_if_absent must leave the blob unchanged"
    );
}

async fn blob_invalid_keys_refused(store: &dyn BlobStore) {
    let too_long = "k".repeat(901);
    let invalid = [
        "",
        "..",
        ".",
        "a/../b",
        "a/./b",
        "a//b",
        "/a",
        "a/",
        "a b",
        "a\\b",
        "a?b",
        "caf\u{e9}",
        &too_long,
    ];
    for key in invalid {
        let refused = |op: &str, err: Option<StoreError>| match err {
            Some(StoreError::InvalidKey { key: named, .. }) => {
                assert_eq!(
                    named, key,
                    "BlobStore: InvalidKey from {op} must name the key it refused"
                )
            }
            Some(other) => {
                panic!("BlobStore conformance: {op} of invalid key {key:?} must be InvalidKey, got: {other}")
            }
            None => panic!("BlobStore conformance: {op} of invalid key {key:?} was accepted"),
        };
        refused("put", store.put(key, b"x".to_vec()).await.err());
        refused("put_if_absent", store.put_if_absent(key, b"x".to_vec()).await.err());
        refused("get", store.get(key).await.err());
        refused("exists", store.exists(key).await.err());
        refused("delete", store.delete(key).await.err());
    }
}

async fn blob_concurrent_put_if_absent(store: &dyn BlobStore, root: &str) {
    let key = format!("{root}/race/blob");
    let contents: Vec<Vec<u8>> = (0..RACERS)
        .map(|i| format!("writer {i}").repeat(1000).into_bytes())
        .collect();
    let results = join_all(contents.iter().map(|bytes| store.put_if_absent(&key, bytes.clone()))).await;
    let won: Vec<usize> = results
        .into_iter()
        .enumerate()
        .filter_map(|(i, r)| blob_ok("concurrent put_if_absent", r).then_some(i))
        .collect();
    assert_eq!(
        won.len(),
        1,
        "BlobStore: of {RACERS} concurrent put_if_absent exactly one must win, these won: {won:?}"
    );
    let stored = blob_ok("get after the race", store.get(&key).await);
    assert!(
        stored.as_ref() == Some(&contents[won[0]]),
        "BlobStore: the stored blob must be the winner's, whole"
    );
}

async fn blob_large_round_trip(store: &dyn BlobStore, root: &str) {
    // 1.5 MiB of non-repeating bytes: larger than any single buffer a naive adapter might use.
    let bytes: Vec<u8> = (0..3 * 512 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let key = format!("{root}/large/blob");
    blob_ok("put of a 1.5 MiB blob", store.put(&key, bytes.clone()).await);
    let got = blob_ok("get of a 1.5 MiB blob", store.get(&key).await);
    assert!(
        got.as_ref() == Some(&bytes),
        "BlobStore: a 1.5 MiB blob must round-trip unchanged"
    );
    let once = format!("{root}/large/once");
    assert!(blob_ok(
        "put_if_absent of a 1.5 MiB blob",
        store.put_if_absent(&once, bytes.clone()).await
    ));
    assert!(blob_ok("get of a 1.5 MiB put_if_absent blob", store.get(&once).await) == Some(bytes));
}

// ---------------------------------------------------------------------------------------------
// KeyProvider

/// Checks a [`KeyProvider`]: wrapped keys unwrap only under their own context (org, purpose, and
/// the snapshot or the org URL) and only intact.
pub async fn key_provider(keys: &dyn KeyProvider) {
    let suffix = random_suffix();
    let org = org_id(&format!("conformance-{suffix}.okta.com"));
    let other_org = org_id(&format!("other-{suffix}.okta.com"));
    let url = org_url(&format!("https://conformance-{suffix}.okta.com"));
    let other_url = org_url(&format!("https://attacker-{suffix}.okta.com"));

    let snapshot = KeyContext::snapshot(&org, &snapshot_id(&format!("snap-{suffix}")));
    let key = key_round_trip(keys, &snapshot, "a snapshot key").await;
    let wrong_for_snapshot = [
        (
            KeyContext::snapshot(&other_org, &snapshot_id(&format!("snap-{suffix}"))),
            "a snapshot key unwrapped under another org",
        ),
        (
            KeyContext::snapshot(&org, &snapshot_id(&format!("snap-other-{suffix}"))),
            "a snapshot key unwrapped under another snapshot",
        ),
        (
            KeyContext::org_credentials(&org, &url),
            "a snapshot key unwrapped as the org's credentials key",
        ),
    ];
    for (context, case) in &wrong_for_snapshot {
        expect_unwrap_refused(keys, &key.wrapped, context, case).await;
    }
    key_damage_refused(keys, &key.wrapped, &snapshot).await;

    let credentials = KeyContext::org_credentials(&org, &url);
    let key = key_round_trip(keys, &credentials, "a credentials key").await;
    let wrong_for_credentials = [
        (
            KeyContext::org_credentials(&other_org, &url),
            "a credentials key unwrapped under another org",
        ),
        (
            KeyContext::org_credentials(&org, &other_url),
            "a credentials key unwrapped for another org URL",
        ),
        (
            KeyContext::snapshot(&org, &snapshot_id(KeyContext::CREDENTIALS_PURPOSE)),
            "a credentials key unwrapped as a snapshot's key",
        ),
    ];
    for (context, case) in &wrong_for_credentials {
        expect_unwrap_refused(keys, &key.wrapped, context, case).await;
    }
    key_damage_refused(keys, &key.wrapped, &credentials).await;

    let index = KeyContext::search_index(&org);
    let key = key_round_trip(keys, &index, "a search index key").await;
    let wrong_for_index = [
        (
            KeyContext::search_index(&other_org),
            "a search index key unwrapped under another org",
        ),
        (
            KeyContext::snapshot(&org, &snapshot_id(KeyContext::SEARCH_INDEX_PURPOSE)),
            "a search index key unwrapped as a snapshot's key",
        ),
        (
            KeyContext::org_credentials(&org, &url),
            "a search index key unwrapped as the org's credentials key",
        ),
    ];
    for (context, case) in &wrong_for_index {
        expect_unwrap_refused(keys, &key.wrapped, context, case).await;
    }
    key_damage_refused(keys, &key.wrapped, &index).await;
}

/// Generates two keys under `context`: each unwraps to its plaintext, which the wrapped form does
/// not contain, and the two differ. Returns the first.
async fn key_round_trip(keys: &dyn KeyProvider, context: &KeyContext, what: &str) -> DataKey {
    let key = expect_ok(
        "KeyProvider",
        &format!("generate_data_key of {what}"),
        keys.generate_data_key(context).await,
    );
    let plaintext = key.plaintext.expose_secret();
    assert!(
        !key.wrapped.windows(plaintext.len()).any(|w| w == plaintext),
        "KeyProvider: the wrapped form of {what} must not contain the plaintext"
    );
    let unwrapped = expect_ok(
        "KeyProvider",
        &format!("unwrap_data_key of {what}"),
        keys.unwrap_data_key(&key.wrapped, context).await,
    );
    assert!(
        unwrapped.expose_secret() == plaintext,
        "KeyProvider: unwrapping {what} must give back the generated key"
    );
    let second = expect_ok(
        "KeyProvider",
        &format!("second generate_data_key of {what}"),
        keys.generate_data_key(context).await,
    );
    assert!(
        second.plaintext.expose_secret() != plaintext,
        "KeyProvider: two generated data keys ({what}) must differ"
    );
    assert!(
        second.wrapped != key.wrapped,
        "KeyProvider: two wrapped data keys ({what}) must differ"
    );
    key
}

/// A wrapped key with a flipped byte, or cut short, is refused under its own context.
async fn key_damage_refused(keys: &dyn KeyProvider, wrapped: &[u8], context: &KeyContext) {
    for position in [wrapped.len() / 2, wrapped.len() - 1] {
        let mut damaged = wrapped.to_vec();
        damaged[position] ^= 0x01;
        expect_unwrap_refused(
            keys,
            &damaged,
            context,
            &format!("a key for {context} with byte {position} flipped"),
        )
        .await;
    }
    let truncated = &wrapped[..wrapped.len() - 1];
    expect_unwrap_refused(keys, truncated, context, &format!("a truncated key for {context}")).await;
}

fn org_url(value: &str) -> OrgUrl {
    OrgUrl::parse(value, false).unwrap_or_else(|e| panic!("conformance: {value:?} is not an org URL: {e}"))
}

async fn expect_unwrap_refused(keys: &dyn KeyProvider, wrapped: &[u8], context: &KeyContext, case: &str) {
    match keys.unwrap_data_key(wrapped, context).await {
        Err(KeyError::Unwrap { .. }) => {}
        Err(other) => panic!("KeyProvider conformance: {case} must fail with KeyError::Unwrap, got: {other}"),
        Ok(_) => panic!("KeyProvider conformance: {case} was unwrapped; it must be refused"),
    }
}

// ---------------------------------------------------------------------------------------------
// Catalog

/// Checks a [`Catalog`]: orgs, jobs and their conditional updates (also under contention),
/// job listing, progress, logs and snapshots.
pub async fn catalog(catalog: &dyn Catalog) {
    let run = random_suffix();
    catalog_orgs(catalog, &run).await;
    catalog_create_job(catalog, &run).await;
    catalog_conditional_update(catalog, &run).await;
    catalog_concurrent_updates(catalog, &run).await;
    catalog_list_jobs(catalog, &run).await;
    catalog_progress(catalog, &run).await;
    catalog_logs(catalog, &run).await;
    catalog_snapshots(catalog, &run).await;
    catalog_last_snapshot(catalog, &run).await;
    catalog_leases(catalog, &run).await;
    catalog_concurrent_leases(catalog, &run).await;
    catalog_id_maps(catalog, &run).await;
    catalog_audit(catalog, &run).await;
}

fn cat_ok<T>(step: &str, result: Result<T, CatalogError>) -> T {
    expect_ok("Catalog", step, result)
}

fn org_id(value: &str) -> OrgId {
    OrgId::new(value).expect("conformance ids are valid")
}

fn job_id(value: &str) -> JobId {
    JobId::new(value).expect("conformance ids are valid")
}

fn snapshot_id(value: &str) -> SnapshotId {
    SnapshotId::new(value).expect("conformance ids are valid")
}

fn org_record(org: &OrgId) -> OrgRecord {
    OrgRecord {
        sealed_credentials: Some("c2VhbGVk".to_owned()),
        // The org settings round-trip through both adapters like the rest.
        granted_scopes: Some(vec!["okta.users.read".into()]),
        last_check: Some(ConnectivityCheck {
            at: "2026-01-01T00:00:00Z".into(),
            ok: false,
            message: "the secret was refused".into(),
            refused_scopes: BTreeMap::from([("okta.logs.read".into(), "not granted to the OAuth app".into())]),
        }),
        schedule: BackupSchedule {
            every_hours: 6,
            ..BackupSchedule::default()
        },
        retention: RetentionPolicy {
            days: Some(30),
            count: Some(10),
        },
        capture: Some(CaptureSettings {
            source_name: "aws.partner/okta.com/acme/stream".into(),
            debounce_secs: 300,
        }),
        ..OrgRecord::new(
            org.clone(),
            format!("https://{org}"),
            AuthKind::ClientSecret,
            Some("0oa-conformance".into()),
            "2026-01-01T00:00:00Z".into(),
        )
    }
}

fn job_record(org: &OrgId, job: &str, created_at: &str) -> JobRecord {
    JobRecord {
        full_refresh: true,
        wrapped_key: Some("d3JhcHBlZA==".into()),
        categories: vec!["users".into(), "groups".into()],
        ..JobRecord::new(job_id(job), org.clone(), JobKind::Backup, created_at.into())
    }
}

fn finished(job: &JobRecord, status: JobStatus, marker: &str) -> JobRecord {
    JobRecord {
        status,
        updated_at: "2026-01-01T01:00:00Z".into(),
        finished_at: Some("2026-01-01T01:00:00Z".into()),
        error: Some(marker.into()),
        ..job.clone()
    }
}

fn snapshot_record(org: &OrgId, snapshot: &str, created_at: &str) -> SnapshotRecord {
    SnapshotRecord {
        snapshot_id: snapshot_id(snapshot),
        org_id: org.clone(),
        job_id: job_id(&format!("job-{snapshot}")),
        created_at: created_at.into(),
        manifest_key: format!("orgs/{org}/snapshots/{snapshot}/manifest"),
        counts: BTreeMap::from([("users".to_string(), 3)]),
        status: JobStatus::Completed,
        full_refresh: true,
        as_of: Default::default(),
        // The timeline's fields round-trip through both adapters like the rest.
        previous: None,
        changes: Some(BTreeMap::from([(
            "users".to_string(),
            ChangeCounts {
                added: 3,
                removed: 0,
                changed: 0,
            },
        )])),
        lacks: vec![Lack {
            category: "group_members".into(),
            part: Some("00g1".into()),
            reason: "HTTP 403".into(),
        }],
        trigger: BackupTrigger::Capture,
    }
}

fn log_entry(category: &str, object: &str) -> LogEntry {
    LogEntry {
        at: "2026-01-01T00:30:00Z".into(),
        category: category.into(),
        object_id: Some(object.into()),
        outcome: "error".into(),
        message: format!("{object} could not be read"),
    }
}

async fn catalog_orgs(catalog: &dyn Catalog, run: &str) {
    let first = org_id(&format!("conformance-{run}-a.example.com"));
    let second = org_id(&format!("conformance-{run}-b.example.com"));
    assert_eq!(
        cat_ok("get_org of a missing org", catalog.get_org(&first).await),
        None,
        "Catalog: missing org -> None"
    );

    let mut org = org_record(&first);
    cat_ok("put_org", catalog.put_org(&org).await);
    cat_ok("put_org", catalog.put_org(&org_record(&second)).await);
    assert_eq!(
        cat_ok("get_org", catalog.get_org(&first).await).as_ref(),
        Some(&org),
        "Catalog: get_org after put_org"
    );

    org.backup_enabled = false;
    cat_ok("put_org replacing an org", catalog.put_org(&org).await);
    assert_eq!(
        cat_ok("get_org", catalog.get_org(&first).await).as_ref(),
        Some(&org),
        "Catalog: put_org must replace"
    );

    let ours: Vec<OrgRecord> = cat_ok("list_orgs", catalog.list_orgs().await)
        .into_iter()
        .filter(|o| o.org_id == first || o.org_id == second)
        .collect();
    assert_eq!(
        ours.len(),
        2,
        "Catalog: list_orgs must list each org once, got {ours:?}"
    );
    assert!(ours.contains(&org), "Catalog: list_orgs must show the replaced org");
}

async fn catalog_create_job(catalog: &dyn Catalog, run: &str) {
    let org = org_id(&format!("conformance-{run}-jobs.example.com"));
    let job = job_record(&org, &format!("job-{run}-create"), "2026-01-01T00:00:00Z");
    assert_eq!(
        cat_ok("get_job of a missing job", catalog.get_job(&job.job_id).await),
        None,
        "Catalog: missing job"
    );
    cat_ok("create_job", catalog.create_job(&job).await);
    assert_eq!(
        cat_ok("get_job", catalog.get_job(&job.job_id).await).as_ref(),
        Some(&job),
        "Catalog: get after create"
    );

    let imposter = finished(&job, JobStatus::Failed, "imposter");
    match catalog.create_job(&imposter).await {
        Err(CatalogError::AlreadyExists { .. }) => {}
        Err(other) => panic!("Catalog conformance: create_job of a taken id must be AlreadyExists, got: {other}"),
        Ok(()) => panic!("Catalog conformance: create_job of a taken id succeeded; it must be AlreadyExists"),
    }
    assert_eq!(
        cat_ok("get_job", catalog.get_job(&job.job_id).await).as_ref(),
        Some(&job),
        "Catalog: a refused create_job must leave the job unchanged"
    );
}

async fn catalog_conditional_update(catalog: &dyn Catalog, run: &str) {
    let org = org_id(&format!("conformance-{run}-update.example.com"));
    let job = job_record(&org, &format!("job-{run}-update"), "2026-01-01T00:00:00Z");
    cat_ok("create_job", catalog.create_job(&job).await);

    let failed = finished(&job, JobStatus::Failed, "wrong expectation");
    match catalog.update_job(&failed, JobStatus::Completed).await {
        Err(CatalogError::Conflict { expected, actual, .. }) => {
            assert_eq!(
                expected,
                JobStatus::Completed.to_string(),
                "Catalog: Conflict must name the expected status"
            );
            assert_eq!(
                actual,
                JobStatus::Running.to_string(),
                "Catalog: Conflict must name the stored status"
            );
        }
        Err(other) => {
            panic!("Catalog conformance: update_job with a wrong expected status must be Conflict, got: {other}")
        }
        Ok(()) => panic!("Catalog conformance: update_job with a wrong expected status succeeded"),
    }
    assert_eq!(
        cat_ok("get_job", catalog.get_job(&job.job_id).await).as_ref(),
        Some(&job),
        "Catalog: a conflicting update_job must change nothing"
    );

    let completed = finished(&job, JobStatus::Completed, "done");
    cat_ok(
        "update_job with the right expected status",
        catalog.update_job(&completed, JobStatus::Running).await,
    );
    assert_eq!(
        cat_ok("get_job", catalog.get_job(&job.job_id).await).as_ref(),
        Some(&completed),
        "Catalog: update_job must replace the job"
    );

    let ghost = job_record(&org, &format!("job-{run}-ghost"), "2026-01-01T00:00:00Z");
    match catalog.update_job(&ghost, JobStatus::Running).await {
        Err(CatalogError::NotFound { .. }) => {}
        Err(other) => panic!("Catalog conformance: update_job of a missing job must be NotFound, got: {other}"),
        Ok(()) => panic!("Catalog conformance: update_job of a missing job succeeded (it must not create it)"),
    }
    assert_eq!(
        cat_ok("get_job", catalog.get_job(&ghost.job_id).await),
        None,
        "Catalog: update must not create jobs"
    );
}

async fn catalog_concurrent_updates(catalog: &dyn Catalog, run: &str) {
    let org = org_id(&format!("conformance-{run}-race.example.com"));
    let job = job_record(&org, &format!("job-{run}-race"), "2026-01-01T00:00:00Z");
    cat_ok("create_job", catalog.create_job(&job).await);

    let attempts: Vec<JobRecord> = (0..RACERS)
        .map(|i| finished(&job, JobStatus::Completed, &format!("racer {i}")))
        .collect();
    let results = join_all(attempts.iter().map(|a| catalog.update_job(a, JobStatus::Running))).await;
    let mut winners = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(()) => winners.push(i),
            Err(CatalogError::Conflict { .. }) => {}
            Err(other) => panic!("Catalog conformance: a losing concurrent update_job must be Conflict, got: {other}"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "Catalog: of {RACERS} concurrent Running->Completed updates exactly one must win: {winners:?}"
    );
    assert_eq!(
        cat_ok("get_job", catalog.get_job(&job.job_id).await).as_ref(),
        Some(&attempts[winners[0]]),
        "Catalog: the stored job must be the winner's"
    );
}

async fn catalog_list_jobs(catalog: &dyn Catalog, run: &str) {
    let org = org_id(&format!("conformance-{run}-list.example.com"));
    let other = org_id(&format!("conformance-{run}-list-other.example.com"));
    let oldest = job_record(&org, &format!("job-{run}-list-1"), "2026-01-01T00:00:00Z");
    let tie_low = job_record(&org, &format!("job-{run}-list-2"), "2026-01-02T00:00:00Z");
    let tie_high = job_record(&org, &format!("job-{run}-list-3"), "2026-01-02T00:00:00Z");
    let newest = job_record(&org, &format!("job-{run}-list-4"), "2026-01-03T00:00:00Z");
    let foreign = job_record(&other, &format!("job-{run}-list-5"), "2026-01-04T00:00:00Z");
    for job in [&tie_high, &oldest, &newest, &foreign, &tie_low] {
        cat_ok("create_job", catalog.create_job(job).await);
    }
    let newest_done = finished(&newest, JobStatus::Completed, "done");
    cat_ok("update_job", catalog.update_job(&newest_done, JobStatus::Running).await);

    let ids = |jobs: Vec<JobRecord>| jobs.into_iter().map(|j| j.job_id).collect::<Vec<_>>();
    assert_eq!(
        ids(cat_ok("list_jobs", catalog.list_jobs(&org, None).await)),
        ids(vec![
            newest_done.clone(),
            tie_high.clone(),
            tie_low.clone(),
            oldest.clone()
        ]),
        "Catalog: list_jobs must list the org's jobs only, newest first (created_at, then id, descending)"
    );
    assert_eq!(
        ids(cat_ok(
            "list_jobs Running",
            catalog.list_jobs(&org, Some(JobStatus::Running)).await
        )),
        ids(vec![tie_high, tie_low, oldest]),
        "Catalog: list_jobs filtered by Running"
    );
    assert_eq!(
        cat_ok(
            "list_jobs Completed",
            catalog.list_jobs(&org, Some(JobStatus::Completed)).await
        ),
        vec![newest_done],
        "Catalog: list_jobs filtered by Completed must return the updated record"
    );
    assert!(
        cat_ok(
            "list_jobs Failed",
            catalog.list_jobs(&org, Some(JobStatus::Failed)).await
        )
        .is_empty(),
        "Catalog: list_jobs with a status no job has must be empty"
    );
}

async fn catalog_progress(catalog: &dyn Catalog, run: &str) {
    let job = job_id(&format!("job-{run}-progress"));
    let users = CategoryProgress {
        pages: 2,
        cursor: Some(serde_json::json!({ "after": "00u2" })),
        done: false,
        counts: CategoryCounts {
            objects: 400,
            new_objects: 10,
            errors: 1,
            skipped: None,
        },
    };
    let groups = CategoryProgress {
        done: true,
        counts: CategoryCounts {
            skipped: Some("not granted".into()),
            ..CategoryCounts::default()
        },
        ..CategoryProgress::default()
    };
    cat_ok("save_progress", catalog.save_progress(&job, "users", &users).await);
    cat_ok(
        "save_progress",
        catalog.save_progress(&job, "group_members", &groups).await,
    );
    let expected = BTreeMap::from([
        ("group_members".to_string(), groups.clone()),
        ("users".to_string(), users.clone()),
    ]);
    assert_eq!(
        cat_ok("load_progress", catalog.load_progress(&job).await),
        expected,
        "Catalog: progress per category"
    );

    let users_done = CategoryProgress {
        pages: 3,
        cursor: None,
        done: true,
        ..users
    };
    cat_ok(
        "save_progress again",
        catalog.save_progress(&job, "users", &users_done).await,
    );
    let expected = BTreeMap::from([("group_members".to_string(), groups), ("users".to_string(), users_done)]);
    assert_eq!(
        cat_ok("load_progress", catalog.load_progress(&job).await),
        expected,
        "Catalog: last progress write wins"
    );

    let untouched = job_id(&format!("job-{run}-progress-none"));
    assert!(
        cat_ok(
            "load_progress of a job without progress",
            catalog.load_progress(&untouched).await
        )
        .is_empty(),
        "Catalog: a job without progress loads an empty map"
    );
}

async fn catalog_logs(catalog: &dyn Catalog, run: &str) {
    let job = job_id(&format!("job-{run}-log"));
    let (u0, u1, u2, g0) = (
        log_entry("users", "00u0"),
        log_entry("users", "00u1"),
        log_entry("users", "00u2"),
        log_entry("groups", "00g0"),
    );
    cat_ok(
        "append_log",
        catalog
            .append_log(&job, "users/00000001", &[u1.clone(), u2.clone()])
            .await,
    );
    cat_ok(
        "append_log",
        catalog
            .append_log(&job, "groups/00000000", std::slice::from_ref(&g0))
            .await,
    );
    cat_ok(
        "append_log",
        catalog
            .append_log(&job, "users/00000000", std::slice::from_ref(&u0))
            .await,
    );
    // A page that ran twice (a retried step) writes its batch again.
    cat_ok(
        "append_log of the same batch",
        catalog
            .append_log(&job, "users/00000001", &[u1.clone(), u2.clone()])
            .await,
    );
    assert_eq!(
        cat_ok("read_log", catalog.read_log(&job).await),
        vec![g0, u0.clone(), u1, u2],
        "Catalog: read_log must return every batch once, in batch order"
    );

    cat_ok(
        "append_log replacing a batch",
        catalog.append_log(&job, "users/00000001", &[]).await,
    );
    assert_eq!(
        cat_ok("read_log", catalog.read_log(&job).await).len(),
        2,
        "Catalog: a rewritten batch replaces the old"
    );
    assert!(
        cat_ok(
            "read_log of a job without a log",
            catalog.read_log(&job_id(&format!("job-{run}-log-none"))).await
        )
        .is_empty(),
        "Catalog: a job without a log reads empty"
    );
}

async fn catalog_snapshots(catalog: &dyn Catalog, run: &str) {
    let org = org_id(&format!("conformance-{run}-snap.example.com"));
    let other = org_id(&format!("conformance-{run}-snap-other.example.com"));
    let middle = snapshot_record(&org, &format!("20260102T000000Z-{run}"), "2026-01-02T00:00:00Z");
    let oldest = snapshot_record(&org, &format!("20260101T000000Z-{run}"), "2026-01-01T00:00:00Z");
    let newest = snapshot_record(&org, &format!("20260103T000000Z-{run}"), "2026-01-03T00:00:00Z");
    for snapshot in [&middle, &newest, &oldest] {
        cat_ok("put_snapshot", catalog.put_snapshot(snapshot).await);
    }
    assert_eq!(
        cat_ok("get_snapshot", catalog.get_snapshot(&org, &middle.snapshot_id).await).as_ref(),
        Some(&middle),
        "Catalog: get_snapshot after put_snapshot"
    );
    let (oldest_id, newest_id) = (oldest.snapshot_id.clone(), newest.snapshot_id.clone());
    assert_eq!(
        cat_ok("list_snapshots", catalog.list_snapshots(&org).await),
        vec![oldest, middle.clone(), newest],
        "Catalog: list_snapshots must list the org's snapshots oldest first"
    );
    assert_eq!(
        cat_ok(
            "get_snapshot under another org",
            catalog.get_snapshot(&other, &middle.snapshot_id).await
        ),
        None,
        "Catalog: a snapshot belongs to its org only"
    );
    assert!(
        cat_ok("list_snapshots", catalog.list_snapshots(&other).await).is_empty(),
        "Catalog: other org is empty"
    );
    let missing = snapshot_id(&format!("20990101T000000Z-{run}"));
    assert_eq!(
        cat_ok(
            "get_snapshot of a missing id",
            catalog.get_snapshot(&org, &missing).await
        ),
        None
    );
    let other_copy = SnapshotRecord {
        org_id: other.clone(),
        ..middle.clone()
    };
    cat_ok("put_snapshot", catalog.put_snapshot(&other_copy).await);
    cat_ok(
        "delete_snapshot",
        catalog.delete_snapshot(&org, &middle.snapshot_id).await,
    );
    assert_eq!(
        cat_ok("get_snapshot", catalog.get_snapshot(&org, &middle.snapshot_id).await),
        None,
        "Catalog: delete_snapshot must remove the snapshot"
    );
    assert_eq!(
        cat_ok("list_snapshots", catalog.list_snapshots(&org).await)
            .into_iter()
            .map(|s| s.snapshot_id)
            .collect::<Vec<_>>(),
        vec![oldest_id, newest_id],
        "Catalog: delete_snapshot must leave the org's other snapshots"
    );
    assert_eq!(
        cat_ok("get_snapshot", catalog.get_snapshot(&other, &middle.snapshot_id).await),
        Some(other_copy),
        "Catalog: delete_snapshot must leave another org's snapshot of the same id"
    );
    cat_ok(
        "delete_snapshot of a snapshot already deleted",
        catalog.delete_snapshot(&org, &middle.snapshot_id).await,
    );
    cat_ok(
        "delete_snapshot of a missing id",
        catalog.delete_snapshot(&org, &missing).await,
    );
}

async fn catalog_last_snapshot(catalog: &dyn Catalog, run: &str) {
    let org = org_id(&format!("conformance-{run}-last.example.com"));
    let missing = org_id(&format!("conformance-{run}-last-missing.example.com"));
    let (older, newer) = (
        snapshot_id("20260101T000000Z-0001"),
        snapshot_id("20260102T000000Z-0002"),
    );
    match catalog.advance_last_snapshot(&missing, &older).await {
        Err(CatalogError::NotFound { .. }) => {}
        other => panic!("Catalog conformance: advance_last_snapshot of a missing org must be NotFound, got {other:?}"),
    }
    let mut record = org_record(&org);
    record.last_snapshot = Some(newer.clone());
    cat_ok("put_org", catalog.put_org(&record).await);
    assert_eq!(
        cat_ok("get_org", catalog.get_org(&org).await).and_then(|o| o.last_snapshot),
        None,
        "Catalog: put_org must not set the last snapshot; only advance_last_snapshot moves it"
    );
    assert!(
        cat_ok(
            "advance_last_snapshot",
            catalog.advance_last_snapshot(&org, &older).await
        ),
        "Catalog: advance_last_snapshot of an org without one must move it"
    );
    assert!(
        cat_ok(
            "advance_last_snapshot",
            catalog.advance_last_snapshot(&org, &newer).await
        ),
        "Catalog: advance_last_snapshot to a later snapshot must move it"
    );
    for (case, snapshot) in [("the same snapshot", &newer), ("an older snapshot", &older)] {
        assert!(
            !cat_ok(
                "advance_last_snapshot",
                catalog.advance_last_snapshot(&org, snapshot).await
            ),
            "Catalog: advance_last_snapshot to {case} must not move it"
        );
    }
    // Rewriting the org (new credentials, say) with a stale last snapshot never moves it back.
    record.last_snapshot = Some(older.clone());
    record.sealed_credentials = Some("cm90YXRlZA==".into());
    cat_ok("put_org", catalog.put_org(&record).await);
    let stored = cat_ok("get_org", catalog.get_org(&org).await).expect("the org is stored");
    assert_eq!(
        stored.last_snapshot,
        Some(newer.clone()),
        "Catalog: put_org must keep the last snapshot"
    );
    assert_eq!(
        stored.sealed_credentials, record.sealed_credentials,
        "Catalog: put_org must replace the rest"
    );
    let listed = cat_ok("list_orgs", catalog.list_orgs().await);
    let listed = listed.iter().find(|o| o.org_id == org).expect("the org is listed");
    assert_eq!(
        listed.last_snapshot,
        Some(newer),
        "Catalog: list_orgs must show the last snapshot"
    );
}

fn lease(org: &OrgId, job: &str, owner: &str, expires_at_ms: i64) -> Lease {
    Lease {
        org_id: org.clone(),
        kind: JobKind::Backup,
        job_id: job_id(job),
        owner: owner.into(),
        expires_at_ms,
    }
}

async fn catalog_leases(catalog: &dyn Catalog, run: &str) {
    let org = org_id(&format!("conformance-{run}-lease.example.com"));
    let job = format!("job-{run}-lease");
    let now = 1_000_000;
    assert_eq!(
        cat_ok("get_lease", catalog.get_lease(&org, JobKind::Backup).await),
        None,
        "Catalog: no lease before one is taken"
    );
    let first = lease(&org, &job, "runner-a", now + 60_000);
    cat_ok(
        "acquire_lease of a free lease",
        catalog.acquire_lease(&first, now).await,
    );
    assert_eq!(
        cat_ok("get_lease", catalog.get_lease(&org, JobKind::Backup).await).as_ref(),
        Some(&first),
        "Catalog: get_lease after acquire_lease"
    );

    let rival = lease(&org, &job, "runner-b", now + 120_000);
    match catalog.acquire_lease(&rival, now + 1_000).await {
        Err(CatalogError::LeaseHeld { lease }) => assert_eq!(
            *lease, first,
            "Catalog: LeaseHeld must carry the stored lease (its owner, job and expiry)"
        ),
        other => panic!("Catalog conformance: a live lease held by another owner must be LeaseHeld, got {other:?}"),
    }
    let other_job = lease(&org, &format!("job-{run}-other"), "runner-a", now + 120_000);
    assert!(
        matches!(
            catalog.acquire_lease(&other_job, now + 1_000).await,
            Err(CatalogError::LeaseHeld { .. })
        ),
        "Catalog: the same owner must not take the lease for another job while it is live"
    );

    let renewed = lease(&org, &job, "runner-a", now + 90_000);
    cat_ok(
        "acquire_lease renewing one's own lease",
        catalog.acquire_lease(&renewed, now + 30_000).await,
    );
    assert_eq!(
        cat_ok("get_lease", catalog.get_lease(&org, JobKind::Backup).await).as_ref(),
        Some(&renewed),
        "Catalog: a renewal must move the expiry"
    );

    cat_ok(
        "release_lease by another owner",
        catalog.release_lease(&org, JobKind::Backup, "runner-b").await,
    );
    assert_eq!(
        cat_ok("get_lease", catalog.get_lease(&org, JobKind::Backup).await).as_ref(),
        Some(&renewed),
        "Catalog: release_lease by someone else must change nothing"
    );

    // Once expired, anyone may take it over.
    let taken_over = lease(&org, &job, "runner-b", now + 200_000);
    cat_ok(
        "acquire_lease of an expired lease",
        catalog.acquire_lease(&taken_over, now + 90_000).await,
    );
    assert_eq!(
        cat_ok("get_lease", catalog.get_lease(&org, JobKind::Backup).await).as_ref(),
        Some(&taken_over),
        "Catalog: an expired lease must be taken over"
    );
    cat_ok(
        "release_lease by its owner",
        catalog.release_lease(&org, JobKind::Backup, "runner-b").await,
    );
    assert_eq!(
        cat_ok("get_lease", catalog.get_lease(&org, JobKind::Backup).await),
        None,
        "Catalog: release_lease by its owner must remove it"
    );
}

async fn catalog_concurrent_leases(catalog: &dyn Catalog, run: &str) {
    let org = org_id(&format!("conformance-{run}-lease-race.example.com"));
    let now = 1_000_000;
    let racers: Vec<Lease> = (0..RACERS)
        .map(|i| {
            lease(
                &org,
                &format!("job-{run}-race-{i}"),
                &format!("runner-{i}"),
                now + 60_000,
            )
        })
        .collect();
    let results = join_all(racers.iter().map(|l| catalog.acquire_lease(l, now))).await;
    let mut winners = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(()) => winners.push(i),
            Err(CatalogError::LeaseHeld { .. }) => {}
            Err(other) => {
                panic!("Catalog conformance: a losing concurrent acquire_lease must be LeaseHeld, got: {other}")
            }
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "Catalog: of {RACERS} runners taking one free lease at once exactly one must win: {winners:?}"
    );
    assert_eq!(
        cat_ok("get_lease", catalog.get_lease(&org, JobKind::Backup).await).as_ref(),
        Some(&racers[winners[0]]),
        "Catalog: the stored lease must be the winner's"
    );
}

async fn catalog_id_maps(catalog: &dyn Catalog, run: &str) {
    let source = org_id(&format!("conformance-{run}-source.example.com"));
    let target = org_id(&format!("conformance-{run}-target.example.com"));
    let pair = |old: &str, new: &str| (old.to_owned(), new.to_owned());
    assert!(
        cat_ok("id_map of nothing", catalog.id_map(&source, &target, "users").await).is_empty(),
        "Catalog: no id map before one is written"
    );
    cat_ok(
        "put_id_map",
        catalog
            .put_id_map(
                &source,
                &target,
                "users",
                "job-1-00000001",
                &[pair("00u1", "00uA"), pair("00u2", "00uB")],
            )
            .await,
    );
    cat_ok(
        "put_id_map of another category",
        catalog
            .put_id_map(&source, &target, "groups", "job-1-00000001", &[pair("00g1", "00gA")])
            .await,
    );
    // The same batch written again (a repeated step) replaces itself; a later batch's mapping wins.
    cat_ok(
        "put_id_map again",
        catalog
            .put_id_map(
                &source,
                &target,
                "users",
                "job-1-00000001",
                &[pair("00u1", "00uA"), pair("00u2", "00uB")],
            )
            .await,
    );
    cat_ok(
        "put_id_map of a later batch",
        catalog
            .put_id_map(&source, &target, "users", "job-2-00000001", &[pair("00u2", "00uC")])
            .await,
    );
    let users = cat_ok("id_map", catalog.id_map(&source, &target, "users").await);
    assert_eq!(
        users,
        BTreeMap::from([pair("00u1", "00uA"), pair("00u2", "00uC")]),
        "Catalog: id_map holds each category's own pairs, later batches winning"
    );
    assert!(
        cat_ok("id_map the other way", catalog.id_map(&target, &source, "users").await).is_empty(),
        "Catalog: an id map belongs to one pair of orgs in one direction"
    );
}

/// The audit trail: entries come back newest first, filtered by org, and an entry is never replaced.
async fn catalog_audit(catalog: &dyn Catalog, run: &str) {
    let org = org_id(&format!("conformance-{run}-audited.example.com"));
    let other = org_id(&format!("conformance-{run}-other.example.com"));
    let entry = |n: u32, org: &OrgId, result: AuditResult| AuditEntry {
        id: format!("20260101T00000{n}Z-000-{run}"),
        at: format!("2026-01-01T00:00:0{n}Z"),
        subject: format!("person-{n}@example.com"),
        action: "restore".into(),
        org_id: Some(org.clone()),
        job_id: Some(JobId::new(format!("job-{run}-{n}")).expect("job id")),
        snapshot_id: None,
        result,
        detail: format!("groups:Finance ({n})"),
    };
    let (first, second, elsewhere) = (
        entry(1, &org, AuditResult::Started),
        entry(2, &org, AuditResult::Refused),
        entry(3, &other, AuditResult::Failed),
    );
    for e in [&second, &first, &elsewhere] {
        cat_ok("append_audit", catalog.append_audit(e).await);
    }
    let mut replaced = first.clone();
    replaced.subject = "someone-else".into();
    assert!(
        matches!(
            catalog.append_audit(&replaced).await,
            Err(CatalogError::AlreadyExists { .. })
        ),
        "Catalog: an audit entry with a taken id must be refused with AlreadyExists, never replace the entry"
    );
    assert_eq!(
        cat_ok("list_audit of an org", catalog.list_audit(Some(&org)).await),
        vec![second.clone(), first.clone()],
        "Catalog: an org's audit entries, newest first, and only its own"
    );
    let all: Vec<AuditEntry> = cat_ok("list_audit", catalog.list_audit(None).await)
        .into_iter()
        .filter(|e| e.id.ends_with(run))
        .collect();
    assert_eq!(
        all,
        vec![elsewhere, second, first],
        "Catalog: the whole audit trail, newest first"
    );
}
