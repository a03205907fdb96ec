//! Backup, restore and download as AWS runs them, reproduced on this machine: moto's Step Functions interpreter
//! runs `statemachines/backup.asl.json`, `restore.asl.json` and `download.asl.json`, and every Task's Lambda invocation lands in the
//! project's own step code, storing into moto S3/KMS/DynamoDB through the AWS adapters.
//!
//! How: `testkit::aws_stack` (moto behind a loopback proxy that answers Lambda's Invoke API with the step code).
//! The expected contents are this file's own copy of `tests/e2e/support.rs`
//! `expected_contents` (written from the simulator's state, independently of the backup code).
//!
//! Needs `scripts/ensure-moto`. Run:
//! `cargo test -p oktavault-shared --features lambda,api,testkit --test stepfunctions`

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sfn::types::HistoryEvent;
use okta_sim::{SimConfig, SimHandle};
use oktavault_shared::aws::s3_client;
use oktavault_shared::ids::{OrgId, SnapshotId};
use oktavault_shared::local::{LocalBlobStore, LocalCatalog, LocalKeyProvider};
use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, Secret};
use oktavault_shared::ports::{BlobStore, Catalog, JobKind, JobStatus, OnConflict, StoreError};
use oktavault_shared::service::download::{self, DownloadAsk};
use oktavault_shared::service::restore::{self, RestoreAsk};
use oktavault_shared::snapshot::{SnapshotReader, Vault};
use oktavault_shared::testkit::aws_stack::{AwsStack, Invocation, StackOptions, api_token_org, failed_with, org_id};
use oktavault_shared::testkit::expected::{Contents, assert_same_contents, expected_contents};
use oktavault_shared::workflow::embedded::{BackupOptions, run_backup};
use oktavault_shared::workflow::{StaticConnector, StepContext, StepError};
use serde_json::{Value, json};

/// More users than one page of `users` holds (200), so that category takes several pages.
const USERS: usize = 250;

// ---------------------------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_through_step_functions_matches_the_org_and_the_embedded_backup() {
    let sim = start_sim(11).await;
    let aws = AwsStack::start(StackOptions::default()).await;
    let (org_id, _) = aws.authorize(&sim).await;
    let execution = aws.start_execution(&org_id, json!({"org_id": org_id})).await;
    let history = aws.wait_for_success(&execution).await;

    let job = aws.only_job(&org_id).await;
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    let snapshot = job.snapshot_id.clone().expect("a completed job names its snapshot");
    let contents = read_contents(aws.vault(), &org_id, &snapshot).await;
    assert_same_contents(&contents, &expected_contents(&sim.snapshot_state()));

    // BackupPage looped: page budget zero means one page per invocation.
    assert_eq!(job.counts["users"].objects, USERS as u64, "{job:?}");
    let (page_calls, user_page_calls) = {
        let invocations = aws.proxy.invocations.lock().unwrap();
        let pages: Vec<&Invocation> = invocations.iter().filter(|i| i.step == "BackupPage").collect();
        let users = pages.iter().filter(|i| i.payload["category"] == "users").count();
        (pages.len(), users)
    };
    assert!(
        user_page_calls >= 2,
        "users ({USERS}, 200 a page) took one BackupPage call per page"
    );
    assert!(page_calls > 6, "expected a BackupPage call per page, saw {page_calls}");
    assert!(
        succeeded_tasks(&history) >= page_calls,
        "every invocation is a Task in the execution history"
    );

    let embedded = embedded_backup(&sim).await;
    assert_same_contents(&contents, &embedded);
    assert_eq!(
        contents, embedded,
        "the AWS and embedded snapshots hold the same objects"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_page_that_fails_after_writing_its_segment_is_retried_with_nothing_lost_or_duplicated() {
    let sim = start_sim(12).await;
    let org_id = org_id(&sim);
    // The second page of users (mid-category): its segment is written, then its work document fails.
    let target = "/users/00000001".to_owned();
    let injected: Arc<Mutex<Option<Arc<FailOnce>>>> = Arc::default();
    let slot = injected.clone();
    let aws = AwsStack::start(StackOptions {
        wrap_blobs: Box::new(move |blobs| {
            let failing = Arc::new(FailOnce::new(blobs, target, org_id.clone()));
            *slot.lock().unwrap() = Some(failing.clone());
            failing as Arc<dyn BlobStore>
        }),
        ..StackOptions::default()
    })
    .await;
    let failing = injected.lock().unwrap().clone().unwrap();

    let (org_id, _) = aws.authorize(&sim).await;
    let execution = aws.start_execution(&org_id, json!({"org_id": org_id})).await;
    let history = aws.wait_for_success(&execution).await;

    assert_eq!(
        failing.failures.load(Ordering::SeqCst),
        1,
        "the failure was injected exactly once"
    );
    assert_eq!(
        *failing.segment_was_written.lock().unwrap(),
        Some(true),
        "the page had written its segment when its work document failed"
    );
    let retried: Vec<&HistoryEvent> = history
        .iter()
        .filter(|e| failed_with(e, StepError::RETRYABLE))
        .collect();
    assert_eq!(retried.len(), 1, "one Task failed as OktaVault.Retryable: {history:#?}");
    let failed_answers = aws
        .proxy
        .invocations
        .lock()
        .unwrap()
        .iter()
        .filter(|i| i.error.is_some())
        .count();
    assert_eq!(failed_answers, 1);

    let job = aws.only_job(&org_id).await;
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    let contents = read_contents(aws.vault(), &org_id, job.snapshot_id.as_ref().unwrap()).await;
    assert_same_contents(&contents, &expected_contents(&sim.snapshot_state()));
    assert_eq!(
        job.counts["users"].objects, USERS as u64,
        "users counted once each: {job:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_that_outgrows_one_execution_continues_in_new_executions_to_the_same_snapshot() {
    let sim = start_sim(13).await;
    let aws = AwsStack::start(StackOptions::default()).await;
    let (org_id, _) = aws.authorize(&sim).await;
    // One BackupPage call per category per execution (page budget zero: one page per call).
    let first = aws
        .start_execution(&org_id, json!({"org_id": org_id, "max_iterations": 1}))
        .await;
    aws.wait_for_success(&first).await;
    let job = aws.wait_for_job_end(&org_id).await;
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    let executions = aws.executions().await;
    assert!(
        executions.len() >= 3,
        "users take two pages and group members wait for groups: several executions, saw {executions:?}"
    );
    for execution in &executions {
        aws.wait_for_success(execution).await;
    }
    let contents = read_contents(aws.vault(), &org_id, job.snapshot_id.as_ref().unwrap()).await;
    assert_same_contents(&contents, &expected_contents(&sim.snapshot_state()));
    assert_eq!(job.counts["users"].objects, USERS as u64, "{job:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restore_through_step_functions_brings_back_a_deleted_user_and_group() {
    let sim = start_sim(13).await;
    let aws = AwsStack::start(StackOptions::default()).await;
    let (org_id, _) = aws.authorize(&sim).await;
    let execution = aws.start_execution(&org_id, json!({"org_id": org_id})).await;
    aws.wait_for_success(&execution).await;

    // Damage: a user deleted for good, and a group with members deleted.
    let state = sim.snapshot_state();
    let group = state
        .groups
        .iter()
        .find(|g| g["type"] == "OKTA_GROUP" && state.group_members[g["id"].as_str().unwrap()].len() >= 2)
        .unwrap()
        .clone();
    let members = state.group_members[group["id"].as_str().unwrap()].clone();
    let user = state
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE" && !members.contains(&u["id"].as_str().unwrap().to_owned()))
        .unwrap()
        .clone();
    let admin = |method: reqwest::Method, path: String| {
        reqwest::Client::new()
            .request(method, format!("{}{path}", sim.url()))
            .header("Authorization", format!("SSWS {}", sim.api_token()))
            .send()
    };
    for _ in 0..2 {
        admin(
            reqwest::Method::DELETE,
            format!("/api/v1/users/{}", user["id"].as_str().unwrap()),
        )
        .await
        .unwrap();
    }
    admin(
        reqwest::Method::DELETE,
        format!("/api/v1/groups/{}", group["id"].as_str().unwrap()),
    )
    .await
    .unwrap();

    // What the HTTP API will do: resolve the request through the service layer, then start the execution.
    let ask = RestoreAsk {
        target_org: org_id.clone(),
        snapshot: "latest".into(),
        source_org: None,
        selection: vec![
            format!("users:{}", user["profile"]["login"].as_str().unwrap()),
            format!("groups:{}", group["profile"]["name"].as_str().unwrap()),
        ],
        on_conflict: OnConflict::Skip,
        relationships: true,
        activate: true,
        dry_run: false,
        confirmed: false,
        leave_rule_memberships: false,
        confirmation_token: None,
    };
    let request = restore::request(aws.catalog().as_ref(), &ask).await.unwrap();
    let execution = aws.start_restore(serde_json::to_value(&request).unwrap()).await;
    aws.wait_for_success(&execution).await;

    let jobs = aws.catalog().list_jobs(&org_id, None).await.unwrap();
    let job = jobs.iter().find(|j| j.kind == JobKind::Restore).expect("a restore job");
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    let state = sim.snapshot_state();
    let back = state
        .users
        .iter()
        .find(|u| u["profile"]["login"] == user["profile"]["login"])
        .expect("the user is back");
    assert_eq!(back["status"], "PROVISIONED", "created STAGED, then activated");
    let new_group = state
        .groups
        .iter()
        .find(|g| g["profile"]["name"] == group["profile"]["name"])
        .expect("the group is back");
    // Every member is back; the group's rule, recreated and active again, may add the users it matches besides.
    let now: std::collections::BTreeSet<&String> =
        state.group_members[new_group["id"].as_str().unwrap()].iter().collect();
    let was: std::collections::BTreeSet<&String> = members.iter().collect();
    assert!(now.is_superset(&was), "its members are back: {was:?} in {now:?}");
    let applied = aws
        .proxy
        .invocations
        .lock()
        .unwrap()
        .iter()
        .filter(|i| i.step == "ApplyRestore")
        .count();
    assert!(applied >= 3, "ApplyRestore ran per category: {applied}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_download_through_step_functions_lands_in_s3_and_its_presigned_link_fetches_it() {
    let sim = start_sim(17).await;
    let aws = AwsStack::start(StackOptions::default()).await;
    let (org_id, _) = aws.authorize(&sim).await;
    let execution = aws.start_execution(&org_id, json!({"org_id": org_id})).await;
    aws.wait_for_success(&execution).await;

    // What the HTTP API will do: resolve the request through the service layer, then start the execution.
    let ask = DownloadAsk {
        snapshot: "latest".into(),
        from: None,
        to: None,
        org: Some(org_id.clone()),
        selection: vec!["users".into(), "group_members".into()],
        relationships: false,
        format: "csv".into(),
        path: None,
    };
    let request = download::request(aws.catalog().as_ref(), &ask).await.unwrap();
    let execution = aws
        .start_named(
            "download",
            &aws.download_machine_arn,
            serde_json::to_value(&request).unwrap(),
        )
        .await;
    aws.wait_for_success(&execution).await;

    let jobs = aws.catalog().list_jobs(&org_id, None).await.unwrap();
    let job = jobs
        .iter()
        .find(|j| j.kind == JobKind::Download)
        .expect("a download job");
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    let spec = job.download.as_ref().unwrap();
    let key = spec.export_key.clone().expect("the job records its key");
    assert_eq!(key, format!("exports/{org_id}/{}/{}", job.job_id, spec.file_name));
    assert!(spec.file_name.ends_with(".zip"), "two categories: a zip");
    assert_eq!(job.counts["users"].objects, USERS as u64);
    let s3 = s3_client(&aws.sdk);
    let head = s3.head_object().bucket(&aws.bucket).key(&key).send().await.unwrap();
    assert_eq!(
        head.server_side_encryption(),
        Some(&aws_sdk_s3::types::ServerSideEncryption::AwsKms),
        "the file is encrypted at rest"
    );
    let pieces = aws
        .vault()
        .blobs()
        .list(&format!("orgs/{org_id}/downloads/"))
        .await
        .unwrap();
    assert!(pieces.is_empty(), "the staged pieces are deleted: {pieces:?}");

    // A link, made when asked for: it expires when asked, names the file, and fetches it from moto's S3.
    let link = download::link(
        aws.catalog().as_ref(),
        Some(aws.adapters.exports.as_ref()),
        &job.job_id,
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    assert_eq!(link.expires_in_secs, Some(600));
    let url = url::Url::parse(&link.url).unwrap();
    let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["X-Amz-Expires"], "600", "{url}");
    assert_eq!(
        query["response-content-disposition"],
        format!("attachment; filename=\"{}\"", spec.file_name)
    );
    let fetched = reqwest::get(url.clone()).await.unwrap();
    assert!(fetched.status().is_success(), "{}", fetched.status());
    let fetched = fetched.bytes().await.unwrap();
    let stored = s3.get_object().bucket(&aws.bucket).key(&key).send().await.unwrap();
    assert_eq!(fetched, stored.body.collect().await.unwrap().into_bytes());
    // The zip holds a row per user (Python's zipfile and csv read it).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("download.zip");
    std::fs::write(&path, &fetched).unwrap();
    let script = "import csv, io, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\n\
                  print(len(list(csv.DictReader(io.TextIOWrapper(z.open('users.csv'), newline='')))))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), USERS.to_string());
    // Over SigV4's 7 days is refused before anything is signed.
    let refused = download::link(
        aws.catalog().as_ref(),
        Some(aws.adapters.exports.as_ref()),
        &job.job_id,
        Duration::from_secs(8 * 24 * 3600),
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("7 days"), "{refused}");
}

#[tokio::test]
async fn a_jsonl_download_through_step_functions_lands_under_exports_in_hive_partitions() {
    let sim = start_sim(17).await;
    let aws = AwsStack::start(StackOptions::default()).await;
    let (org_id, _) = aws.authorize(&sim).await;
    let execution = aws.start_execution(&org_id, json!({"org_id": org_id})).await;
    aws.wait_for_success(&execution).await;
    let ask = DownloadAsk {
        snapshot: "latest".into(),
        from: None,
        to: None,
        org: Some(org_id.clone()),
        selection: vec!["users".into(), "group_members".into()],
        relationships: false,
        format: "jsonl".into(),
        path: None,
    };
    let request = download::request(aws.catalog().as_ref(), &ask).await.unwrap();
    let execution = aws
        .start_named(
            "download",
            &aws.download_machine_arn,
            serde_json::to_value(&request).unwrap(),
        )
        .await;
    aws.wait_for_success(&execution).await;

    let jobs = aws.catalog().list_jobs(&org_id, None).await.unwrap();
    let job = jobs
        .iter()
        .find(|j| j.kind == JobKind::Download)
        .expect("a download job");
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    let prefix = job
        .download
        .as_ref()
        .unwrap()
        .export_key
        .clone()
        .expect("the job records its prefix");
    assert_eq!(prefix, format!("exports/{org_id}/{}/", job.job_id));
    let snapshot = &request.snapshot_id;
    let s3 = s3_client(&aws.sdk);
    let listed = s3
        .list_objects_v2()
        .bucket(&aws.bucket)
        .prefix(&prefix)
        .send()
        .await
        .unwrap();
    let keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    let partition = |table: &str| format!("{prefix}{table}/org={org_id}/snapshot={snapshot}/part-00000.json.gz");
    assert_eq!(
        keys,
        [partition("group_members"), partition("snapshots"), partition("users")],
        "a directory per table, partitioned by org and snapshot"
    );
    let head = s3
        .head_object()
        .bucket(&aws.bucket)
        .key(partition("users"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption(),
        Some(&aws_sdk_s3::types::ServerSideEncryption::AwsKms),
        "each object is encrypted at rest"
    );
    // The users' part is gzipped JSON Lines: a row per user, with its login flattened.
    let body = s3
        .get_object()
        .bucket(&aws.bucket)
        .key(partition("users"))
        .send()
        .await
        .unwrap();
    let body = body.body.collect().await.unwrap().into_bytes();
    let mut lines = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut lines).unwrap();
    let rows: Vec<serde_json::Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), USERS);
    assert_eq!(job.counts["users"].objects, USERS as u64);
    assert!(
        rows.iter()
            .all(|r| r["profile_login"].as_str().is_some_and(|l| l.contains('@')))
    );
    let pieces = aws
        .vault()
        .blobs()
        .list(&format!("orgs/{org_id}/downloads/"))
        .await
        .unwrap();
    assert!(pieces.is_empty(), "the staged pieces are deleted: {pieces:?}");
    // Tables are queried where they are; there is no single file to link to.
    let refused = download::link(
        aws.catalog().as_ref(),
        Some(aws.adapters.exports.as_ref()),
        &job.job_id,
        Duration::from_secs(600),
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("wrote tables, not a file"), "{refused}");
}

// ---------------------------------------------------------------------------------------------
// The AWS side: moto, the proxy, the resources, the state machine

fn succeeded_tasks(history: &[HistoryEvent]) -> usize {
    history
        .iter()
        .filter(|e| e.task_succeeded_event_details().is_some() || e.lambda_function_succeeded_event_details().is_some())
        .count()
}

// ---------------------------------------------------------------------------------------------
// A blob store that fails one work document once, after its page's segment was written

struct FailOnce {
    inner: Arc<dyn BlobStore>,
    target: String,
    org_id: OrgId,
    failures: AtomicUsize,
    armed: AtomicBool,
    /// Whether the page's segment existed when its work document failed.
    segment_was_written: Mutex<Option<bool>>,
}

impl FailOnce {
    fn new(inner: Arc<dyn BlobStore>, target: String, org_id: OrgId) -> Self {
        Self {
            inner,
            target,
            org_id,
            failures: AtomicUsize::new(0),
            armed: AtomicBool::new(true),
            segment_was_written: Mutex::new(None),
        }
    }
}

#[async_trait]
impl BlobStore for FailOnce {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.inner.put(key, bytes).await
    }
    /// Work documents are committed with a conditional put: the first commit of the target page fails.
    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        if key.contains("/work/") && key.ends_with(&self.target) && self.armed.swap(false, Ordering::SeqCst) {
            let segments = self.inner.list(&format!("orgs/{}/segments/", self.org_id)).await?;
            let segment = format!("{}-", self.target);
            *self.segment_was_written.lock().unwrap() = Some(segments.iter().any(|k| k.contains(&segment)));
            self.failures.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Io {
                operation: "put_if_absent",
                key: key.to_owned(),
                message: "injected: the connection dropped".into(),
                retryable: true,
            });
        }
        self.inner.put_if_absent(key, bytes).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key).await
    }
    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.exists(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list(prefix).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }
}

// ---------------------------------------------------------------------------------------------
// The simulator, the embedded backup, and what a snapshot must hold

async fn start_sim(seed: u64) -> SimHandle {
    let mut config = SimConfig::new(USERS, seed);
    // Real Okta limits, scaled up: this test is about contents, not about waiting for windows.
    config.rate.scale = 20.0;
    okta_sim::start(config, 0).await.expect("the simulator starts")
}

/// The same org backed up by the embedded host (local adapters in a temporary directory).
async fn embedded_backup(sim: &SimHandle) -> Contents {
    let dir = tempfile::tempdir().unwrap();
    let catalog: Arc<dyn Catalog> = Arc::new(LocalCatalog::open(dir.path().join("catalog")).unwrap());
    let vault = Vault::new(
        Arc::new(LocalBlobStore::open(dir.path().join("blobs")).unwrap()),
        Arc::new(LocalKeyProvider::open(dir.path().join("master.key")).unwrap()),
    );
    let url = OrgUrl::parse(&sim.url(), true).unwrap();
    let org_id = url.org_id();
    catalog.put_org(&api_token_org(&org_id, sim)).await.unwrap();
    let connector = StaticConnector::default();
    let client = OktaClient::new(ClientConfig::new(
        url,
        Credentials::ApiToken(Secret::new(sim.api_token())),
    ))
    .unwrap();
    connector.register(org_id.clone(), client);
    let ctx = Arc::new(StepContext::new(catalog.clone(), vault.clone(), Arc::new(connector)));
    let run = run_backup(ctx, &org_id, BackupOptions::default()).await;
    run.outcome.expect("the embedded backup succeeds");
    let job = catalog.get_job(&run.job_id.unwrap()).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    read_contents(vault, &org_id, job.snapshot_id.as_ref().unwrap()).await
}

/// A snapshot's objects through the library's reader; an object id that appears twice fails.
async fn read_contents(vault: Vault, org: &OrgId, snapshot: &SnapshotId) -> Contents {
    let reader = SnapshotReader::open(vault, org, snapshot)
        .await
        .expect("the snapshot opens");
    let mut contents = Contents::new();
    for category in reader.head().categories.keys() {
        let objects = reader.objects(category).await.expect("objects read back");
        let count = objects.len();
        let by_id: BTreeMap<String, Value> = objects.into_iter().collect();
        assert_eq!(by_id.len(), count, "{category}: an object is in the snapshot twice");
        contents.insert(category.clone(), by_id);
    }
    contents
}
