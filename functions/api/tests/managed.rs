//! The managed service's whole path on moto, through the API function's handler as API Gateway calls it:
//! authorize a simulated org (its credentials checked live, sealed under KMS, its schedule made on EventBridge
//! Scheduler), back it up now (moto's Step Functions interpreter runs `backup.asl.json` over the project's steps),
//! restore a deleted user and download a selection through the API (their state machines run the same way), fetch
//! the download by its presigned link, take the scheduled backup the schedule's own target starts, and let the
//! retention sweep expire the first snapshot on a bucket under S3 Object Lock. Every API answer and every log line
//! the run wrote is scanned for the org's secrets.
//!
//! `cargo test -p oktavault-fn-api --test managed`

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use okta_sim::{SimConfig, SimHandle};
use oktavault_fn_api::{aws_api, handle, router};
use oktavault_shared::api::OrgHosting;
use oktavault_shared::api::auth::{ConsoleSignIn, ConsoleToken};
use oktavault_shared::aws::{EventBridgeSchedules, s3_client};
use oktavault_shared::ids::SnapshotId;
use oktavault_shared::lambda::sweep_retention;
use oktavault_shared::okta::OrgUrlPolicy;
use oktavault_shared::ports::{AuditResult, LockMode, LockRule, NoCaptureBuses};
use oktavault_shared::service::retention::{self, PolicyChange};
use oktavault_shared::service::verify;
use oktavault_shared::snapshot::{SnapshotReader, keys};
use oktavault_shared::testkit::aws_stack::{AwsStack, StackOptions, org_id};
use oktavault_shared::timefmt;
use serde_json::{Value, json};

const SCHEDULE_GROUP: &str = "oktavault";
const SCHEDULER_ROLE: &str = "arn:aws:iam::123456789012:role/oktavault-scheduler";
const JOB_TIMEOUT: Duration = Duration::from_secs(240);

/// Every log line the process writes, as the functions write them (JSON, one object a line).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

struct Service {
    stack: AwsStack,
    router: axum::Router,
    sim: SimHandle,
    /// Every answer the API gave, for the secret scan.
    answers: Mutex<Vec<String>>,
}

fn caller(sub: &str, roles: &str) -> Value {
    json!({"sub": sub, "iss": "https://acme.okta.com", "aud": "0oaconsole", "oktavault_roles": roles})
}

impl Service {
    /// One API Gateway HTTP API (payload 2.0) event through the function's handler, as `caller`.
    async fn call(&self, method: &str, path_and_query: &str, caller: &Value, body: Option<Value>) -> (u16, Value) {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": query,
            "headers": {"content-type": "application/json", "host": "api.example.com"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
                "domainPrefix": "api", "requestId": "r", "routeKey": "$default", "stage": "$default",
                "time": "28/Nov/2026:12:00:00 +0000", "timeEpoch": 1795867200000u64,
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1",
                         "userAgent": "test"},
                "authorizer": {"jwt": {"claims": caller, "scopes": null}}
            },
            "isBase64Encoded": false
        });
        if let Some(body) = body {
            event["body"] = json!(body.to_string());
        }
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = handle(self.router.clone(), request).await;
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        self.answers.lock().unwrap().push(text.clone());
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Polls the job through the API until it ends; returns its last answer.
    async fn wait_for_job(&self, job: &str) -> Value {
        let viewer = caller("vic@acme.com", "[viewer]");
        let deadline = Instant::now() + JOB_TIMEOUT;
        loop {
            let (status, answer) = self.call("GET", &format!("/v1/jobs/{job}"), &viewer, None).await;
            // Until the workflow's first step records the job, it may not be there yet (404).
            if status == 200 && answer["status"] != "Running" {
                return answer;
            }
            assert!(
                Instant::now() < deadline,
                "job {job} not ended after {JOB_TIMEOUT:?}: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn admin_sim(&self, method: reqwest::Method, path: &str, body: Option<Value>) {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.sim.url()))
            .header("Authorization", format!("SSWS {}", self.sim.api_token()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.unwrap();
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_managed_service_authorizes_backs_up_restores_downloads_and_expires_through_the_api_on_moto() {
    let logs = Logs::default();
    tracing::subscriber::set_global_default(oktavault_shared::logs::subscriber(
        logs.clone(),
        tracing_subscriber::filter::LevelFilter::DEBUG,
    ))
    .expect("this test binary's only logger");

    let lock = LockRule {
        mode: LockMode::Governance,
        days: 1,
    };
    let stack = AwsStack::start(StackOptions {
        object_lock: Some(lock),
        ..StackOptions::default()
    })
    .await;
    let scheduler = aws_sdk_scheduler::Client::new(&stack.sdk);
    scheduler
        .create_schedule_group()
        .name(SCHEDULE_GROUP)
        .send()
        .await
        .unwrap();
    let hosting = OrgHosting {
        schedules: Arc::new(EventBridgeSchedules::new(
            scheduler.clone(),
            SCHEDULE_GROUP.into(),
            stack.state_machine_arn.clone(),
            SCHEDULER_ROLE.into(),
        )),
        capture: Arc::new(NoCaptureBuses),
        storage: "AWS us-east-1".into(),
        url_policy: OrgUrlPolicy {
            allow_local: true,
            allow_custom_domain: false,
        },
    };
    let console = ConsoleSignIn::Oidc {
        issuer: "https://acme.okta.com".into(),
        client_id: "0oaconsole".into(),
        token: ConsoleToken::IdToken,
        scopes: vec!["openid".into(), "profile".into()],
    };
    let router = router(aws_api(stack.adapters.clone(), stack.machines(), hosting, console));
    let mut sim_config = SimConfig::new(40, 11);
    sim_config.rate.scale = 20.0;
    let sim = okta_sim::start(sim_config, 0).await.expect("the simulator starts");
    let org = org_id(&sim);
    let secrets = [sim.client_secret(), sim.api_token()];
    let service = Service {
        stack,
        router,
        sim,
        answers: Mutex::new(Vec::new()),
    };
    let admin = caller("ada@acme.com", "[admin]");
    let operator = caller("otto@acme.com", &format!("[operator@{org}]"));
    let viewer = caller("vic@acme.com", "[viewer]");

    // 1. Authorize: an operator may not (403, nothing stored); an admin's client id and secret are checked live.
    let authorize = json!({
        "url": service.sim.url(),
        "client_id": service.sim.client_id(),
        "client_secret": service.sim.client_secret(),
    });
    let (status, refused) = service
        .call("POST", "/v1/orgs", &operator, Some(authorize.clone()))
        .await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        service.stack.catalog().list_orgs().await.unwrap().is_empty(),
        "nothing written"
    );
    let (status, authorized) = service.call("POST", "/v1/orgs", &admin, Some(authorize)).await;
    assert_eq!(status, 201, "{authorized}");
    assert_eq!(authorized["org_id"], org.as_str());

    // 2. The schedule exists, and starts the backup state machine for this org.
    let schedule = scheduler
        .get_schedule()
        .name(EventBridgeSchedules::schedule_name(&org))
        .group_name(SCHEDULE_GROUP)
        .send()
        .await
        .expect("the org's schedule exists");
    assert_eq!(schedule.schedule_expression(), Some("rate(24 hours)"));
    let target = schedule.target().unwrap();
    assert_eq!(target.arn(), service.stack.state_machine_arn);
    let scheduled_input: Value = serde_json::from_str(target.input().unwrap()).unwrap();

    // 3, 4. Backup now: an execution on moto's interpreter, followed through the API to Completed.
    let (status, accepted) = service
        .call("POST", &format!("/v1/orgs/{org}/backups"), &operator, None)
        .await;
    assert_eq!(status, 202, "{accepted}");
    let backup_job = accepted["job_id"].as_str().unwrap().to_owned();
    let done = service.wait_for_job(&backup_job).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let first = SnapshotId::new(done["snapshot_id"].as_str().unwrap()).unwrap();
    let record = service
        .stack
        .catalog()
        .get_snapshot(&org, &first)
        .await
        .unwrap()
        .unwrap();
    let s3 = s3_client(&service.stack.sdk);
    let manifest = s3
        .head_object()
        .bucket(&service.stack.bucket)
        .key(&record.manifest_key)
        .send()
        .await
        .expect("the snapshot's manifest is in S3");
    assert!(
        manifest.object_lock_retain_until_date().is_some(),
        "the manifest is locked"
    );
    // What oktavault rewrites is not: the search index (like the work documents) leaves no locked versions.
    let search = format!("orgs/{org}/search/");
    let index_keys = service.stack.vault().blobs().list(&search).await.unwrap();
    let index = s3
        .head_object()
        .bucket(&service.stack.bucket)
        .key(index_keys.first().expect("the search index is in S3"))
        .send()
        .await
        .unwrap();
    assert_eq!(index.object_lock_mode(), None, "the search index is not locked");

    // 5. A deleted user comes back through a restore call; a viewer may not ask for it.
    let state = service.sim.snapshot_state();
    let user = state.users.iter().find(|u| u["status"] == "ACTIVE").unwrap().clone();
    let (user_id, login) = (user["id"].as_str().unwrap(), user["profile"]["login"].as_str().unwrap());
    for _ in 0..2 {
        // Okta deletes in two calls: the first deactivates.
        service
            .admin_sim(reqwest::Method::DELETE, &format!("/api/v1/users/{user_id}"), None)
            .await;
    }
    let restore = json!({"snapshot": first.as_str(), "select": [format!("users:{login}")]});
    let restores = format!("/v1/orgs/{org}/restores");
    let (status, _) = service.call("POST", &restores, &viewer, Some(restore.clone())).await;
    assert_eq!(status, 403);
    let (status, accepted) = service.call("POST", &restores, &admin, Some(restore)).await;
    assert_eq!(status, 202, "{accepted}");
    let restore_job = accepted["job_id"].as_str().unwrap().to_owned();
    let done = service.wait_for_job(&restore_job).await;
    assert_eq!(done["status"], "Completed", "{done}");
    assert!(
        service
            .sim
            .snapshot_state()
            .users
            .iter()
            .any(|u| u["profile"]["login"] == login),
        "{login} is back in the org"
    );

    // 5, 6. A download of the users, fetched by its short-lived presigned link.
    let (status, accepted) = service
        .call(
            "POST",
            &format!("/v1/orgs/{org}/downloads"),
            &operator,
            Some(json!({"snapshot": first.as_str(), "select": ["users"]})),
        )
        .await;
    assert_eq!(status, 202, "{accepted}");
    let download_job = accepted["job_id"].as_str().unwrap().to_owned();
    let done = service.wait_for_job(&download_job).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let (status, link) = service
        .call(
            "GET",
            &format!("/v1/downloads/{download_job}/link?expires_in=300"),
            &operator,
            None,
        )
        .await;
    assert_eq!(status, 200, "{link}");
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "a presigned URL of the local endpoint: {url}"
    );
    let file = reqwest::get(url).await.unwrap();
    assert_eq!(file.status(), 200);
    let text = file.text().await.unwrap();
    assert!(text.contains(login), "the downloaded users hold {login}");

    // The scheduled backup, as the schedule's target starts it, after a change: the later snapshot carries most
    // objects from the first.
    let changed = state
        .users
        .iter()
        .find(|u| u["status"] == "ACTIVE" && u["id"] != user["id"])
        .unwrap();
    service
        .admin_sim(
            reqwest::Method::POST,
            &format!("/api/v1/users/{}", changed["id"].as_str().unwrap()),
            Some(json!({"profile": {"title": "Moved"}})),
        )
        .await;
    let execution = service
        .stack
        .start_named("scheduled", &service.stack.state_machine_arn, scheduled_input)
        .await;
    service.stack.wait_for_success(&execution).await;
    let snapshots = service.stack.catalog().list_snapshots(&org).await.unwrap();
    assert_eq!(snapshots.len(), 2, "{snapshots:?}");
    let second = snapshots[1].snapshot_id.clone();
    assert_eq!(snapshots[1].trigger, oktavault_shared::ports::BackupTrigger::Scheduled);

    // 7. Retention keeps one snapshot: the first goes with the segments only it named, under the lock.
    let vault = service.stack.vault();
    let before: BTreeSet<String> = vault.blobs().list("").await.unwrap().into_iter().collect();
    let later = SnapshotReader::open(vault.clone(), &org, &second)
        .await
        .unwrap()
        .named_segments()
        .await
        .unwrap();
    let first_segments: BTreeSet<String> = before
        .iter()
        .filter(|k| k.starts_with(&keys::segments_prefix(&org, &first)))
        .cloned()
        .collect();
    let unnamed: BTreeSet<String> = first_segments.difference(&later).cloned().collect();
    let carried: Vec<&String> = first_segments.intersection(&later).collect();
    assert!(
        !unnamed.is_empty() && !carried.is_empty(),
        "the second snapshot deduplicates against the first"
    );
    retention::set_policy(
        service.stack.catalog().as_ref(),
        &org,
        PolicyChange {
            days: None,
            count: Some(Some(1)),
        },
    )
    .await
    .unwrap();
    let report = sweep_retention(
        service.stack.catalog().as_ref(),
        &vault,
        Some(tokio::time::Instant::now() + Duration::from_secs(300)),
    )
    .await
    .unwrap();
    assert_eq!(report["snapshots_deleted"], 1, "{report}");
    assert_eq!(report["segments_deleted"], unnamed.len(), "{report}");
    let after: BTreeSet<String> = vault.blobs().list("").await.unwrap().into_iter().collect();
    for key in before.difference(&after) {
        assert!(
            unnamed.contains(key) || key.starts_with(&keys::snapshot_prefix(&org, &first)) || key.starts_with(&search),
            "{key} was deleted, and it is neither the expired snapshot's nor a segment only it named"
        );
    }
    assert!(
        unnamed.iter().all(|k| !after.contains(k)),
        "the unnamed segments are gone"
    );
    let remaining = service.stack.catalog().list_snapshots(&org).await.unwrap();
    assert_eq!(
        remaining.iter().map(|r| r.snapshot_id.clone()).collect::<Vec<_>>(),
        vec![second]
    );
    let verification = verify::verify(&vault, remaining).await;
    assert!(verification.ok(), "{verification}");
    // The lock of a segment the remaining snapshot carries now outlasts the next two daily sweeps.
    let locked = report["orgs"][0]["locks_extended"].as_u64().unwrap();
    assert!(locked as usize >= carried.len(), "{report}");
    let held = s3
        .head_object()
        .bucket(&service.stack.bucket)
        .key(carried[0])
        .send()
        .await
        .unwrap();
    let until = held.object_lock_retain_until_date().unwrap().secs();
    assert!(
        until >= (timefmt::now() + time::Duration::days(2)).unix_timestamp(),
        "locked until {until}"
    );

    // Every restore and download is in the audit trail with its caller.
    let (status, trail) = service.call("GET", &format!("/v1/audit?org={org}"), &admin, None).await;
    assert_eq!(status, 200, "{trail}");
    let entries = trail["entries"].as_array().unwrap();
    for (subject, action, job) in [
        ("ada@acme.com", "restore", &restore_job),
        ("otto@acme.com", "download", &download_job),
        ("otto@acme.com", "backup", &backup_job),
    ] {
        assert!(
            entries
                .iter()
                .any(|e| e["subject"] == subject && e["action"] == action && e["job_id"] == job.as_str()),
            "{subject} {action} {job} in {trail}"
        );
    }
    assert!(
        entries.iter().any(|e| e["subject"] == "vic@acme.com"
            && e["action"] == "restore"
            && e["result"] == serde_json::to_value(AuditResult::Refused).unwrap()),
        "the viewer's refused restore is in the trail: {trail}"
    );

    // No secret in any answer or any log line; the step logs name their job.
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 10, "the run logged: {logs}");
    assert!(
        logs.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "every log line is JSON"
    );
    assert!(
        logs.contains(&format!("\"job_id\":\"{backup_job}\"")),
        "log lines carry the job id"
    );
    let answers = service.answers.lock().unwrap().join("\n");
    for secret in &secrets {
        assert!(!answers.contains(secret.as_str()), "an API answer holds a secret");
        assert!(!logs.contains(secret.as_str()), "a log line holds a secret");
    }
}
