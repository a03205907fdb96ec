//! The HTTP API's router over real HTTP on a loopback port, over the embedded store and the Okta simulator: the
//! org is authorized with sealed credentials, backed up through "backup now", and read, planned, restored and
//! refused through the routes. Callers come from JWT-style claims (both forms of the roles claim) through a small
//! table authenticator, so roles can be tested; `oktavault serve`'s bearer token is tested in tests/e2e.
//!
//! `cargo test -p oktavault-shared --all-features --test api`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::request::Parts;
use okta_sim::{SimConfig, SimHandle};
use oktavault_shared::api::auth::{Authenticate, Caller, ROLES_CLAIM, caller_from_claims};
use oktavault_shared::api::launcher::EmbeddedLauncher;
use oktavault_shared::api::{self, Api, ApiError, Downloads, OrgHosting};
use oktavault_shared::credentials::{StoredCredentialsConnector, store_org_credentials};
use oktavault_shared::ids::{JobId, OrgId};
use oktavault_shared::local::{LocalBlobStore, LocalCatalog, LocalKeyProvider};
use oktavault_shared::okta::{Credentials, OrgUrl, OrgUrlPolicy, Secret};
use oktavault_shared::ports::{
    AuthKind, Catalog, JobKind, JobRecord, KeyProvider, Lease, NoCaptureBuses, OrgRecord, RecordSchedules,
};
use oktavault_shared::snapshot::Vault;
use oktavault_shared::timefmt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Callers by bearer token, each made from claims as API Gateway's JWT authorizer hands them over.
struct ClaimsTable(HashMap<String, HashMap<String, String>>);

impl Authenticate for ClaimsTable {
    fn caller(&self, parts: &Parts) -> Result<Caller, ApiError> {
        let token = parts
            .headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthenticated("no bearer token"))?;
        let claims = self
            .0
            .get(token)
            .ok_or_else(|| ApiError::unauthenticated("unknown token"))?;
        caller_from_claims(claims)
    }
}

fn claims(sub: &str, roles: &str) -> HashMap<String, String> {
    HashMap::from([
        ("sub".to_owned(), sub.to_owned()),
        (ROLES_CLAIM.to_owned(), roles.to_owned()),
    ])
}

struct Fixture {
    sim: SimHandle,
    org: OrgId,
    catalog: Arc<dyn Catalog>,
    base: String,
    http: reqwest::Client,
    /// What the server serves, for what it does on its own (the schedules).
    api: Arc<Api>,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let mut config = SimConfig::new(30, 11);
    config.rate.scale = 20.0;
    let sim = okta_sim::start(config, 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let catalog: Arc<dyn Catalog> = Arc::new(LocalCatalog::open(dir.path().join("catalog")).unwrap());
    let keys: Arc<dyn KeyProvider> = Arc::new(LocalKeyProvider::open(dir.path().join("master.key")).unwrap());
    let vault = Vault::new(
        Arc::new(LocalBlobStore::open(dir.path().join("blobs")).unwrap()),
        keys.clone(),
    );
    let url = OrgUrl::parse(&sim.url(), true).unwrap();
    let org = url.org_id();
    let record = OrgRecord::new(
        org.clone(),
        sim.url(),
        AuthKind::ApiToken,
        None,
        timefmt::rfc3339(timefmt::now()),
    );
    let credentials = Credentials::ApiToken(Secret::new(sim.api_token()));
    store_org_credentials(catalog.as_ref(), keys.as_ref(), record, &url, &credentials)
        .await
        .unwrap();
    let table = ClaimsTable(HashMap::from([
        ("admin".to_owned(), claims("ada@example.com", "[admin]")),
        // The JSON array form of the claim.
        ("operator".to_owned(), claims("otto@example.com", r#"["operator"]"#)),
        (
            "viewer".to_owned(),
            claims("vera@example.com", &format!("[viewer@{org}]")),
        ),
        (
            "stranger".to_owned(),
            claims("olga@example.com", "[admin@other.okta.com]"),
        ),
    ]));
    let connector = Arc::new(StoredCredentialsConnector::new(keys, true));
    let launcher = EmbeddedLauncher::new(catalog.clone(), vault.clone(), connector);
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let served = Arc::new(Api {
        catalog: catalog.clone(),
        vault,
        launcher: Arc::new(launcher),
        auth: Arc::new(table),
        downloads: Downloads::Files { dir: downloads },
        orgs: OrgHosting {
            schedules: Arc::new(RecordSchedules),
            capture: Arc::new(NoCaptureBuses),
            storage: "local store".into(),
            url_policy: OrgUrlPolicy {
                allow_local: true,
                allow_custom_domain: false,
            },
        },
    });
    let router = api::router(served.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Fixture {
        api: served,
        sim,
        org,
        catalog,
        base,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl Fixture {
    /// Calls the API as `who`; every answer is JSON and never holds the org's secret.
    async fn call(&self, method: Method, path: &str, who: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(who);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap();
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {status} answered {content_type:?}: {text}"
        );
        assert!(
            !text.contains(&self.sim.api_token()),
            "{path}: the answer holds the org's API token"
        );
        (status, serde_json::from_str(&text).unwrap())
    }

    async fn get(&self, path: &str, who: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, who, None).await
    }

    /// Waits for the job to end, and answers it.
    async fn finished(&self, job: &str) -> Value {
        for _ in 0..600 {
            let (status, body) = self.get(&format!("/v1/jobs/{job}"), "admin").await;
            if status == StatusCode::OK && body["state"]["state"] != "running" {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (_, jobs) = self.get("/v1/jobs", "admin").await;
        panic!("job {job} did not end within a minute; the jobs: {jobs:#}");
    }

    /// Starts a job; a 409 while the org's previous job lets go of its lease is asked again, as a client does.
    async fn start(&self, path: &str, who: &str, body: Option<Value>) -> (StatusCode, Value) {
        for _ in 0..100 {
            let (status, answer) = self.call(Method::POST, path, who, body.clone()).await;
            if status != StatusCode::CONFLICT || answer["job"]["state"]["state"] == "running" {
                return (status, answer);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{path} stayed in conflict for ten seconds");
    }

    async fn backup(&self) -> Value {
        let (status, accepted) = self
            .start(&format!("/v1/orgs/{}/backups", self.org), "operator", None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
        let job = self.finished(accepted["job_id"].as_str().unwrap()).await;
        assert_eq!(job["state"]["state"], "completed", "{job}");
        job
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_started_through_the_api_is_read_through_every_read_route_and_bad_requests_are_400_or_404() {
    let f = fixture().await;
    let job = f.backup().await;
    let org = f.org.to_string();
    let snapshot = job["snapshot_id"].as_str().unwrap().to_owned();

    let (status, timeline) = f.get("/v1/snapshots?period=last24_hours", "viewer").await;
    assert_eq!(status, StatusCode::OK, "{timeline}");
    assert_eq!(timeline["snapshots"][0]["snapshot_id"], snapshot.as_str());
    let (_, earlier) = f.get("/v1/snapshots?period=earlier", "viewer").await;
    assert_eq!(earlier["snapshots"], json!([]));

    let (status, tree) = f.get(&format!("/v1/snapshots/latest?org={org}"), "viewer").await;
    assert_eq!(status, StatusCode::OK, "{tree}");
    let users = tree["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "users")
        .unwrap();
    let total = users["objects"].as_u64().unwrap();
    assert!(total > 2, "{tree}");

    // Pages of 2 users, followed to the end, hold every user once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/v1/snapshots/{snapshot}/categories/users?limit=2&after={a}"),
            None => format!("/v1/snapshots/{snapshot}/categories/users?limit=2"),
        };
        let (status, page) = f.get(&path, "viewer").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page["objects"].as_array().unwrap().len() <= 2);
        seen.extend(
            page["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned()),
        );
        match page["next_after"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, total);
    let user = seen[0].clone();

    let (status, object) = f
        .get(
            &format!("/v1/snapshots/{snapshot}/categories/users/objects/{user}"),
            "viewer",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{object}");
    assert_eq!(object["object"]["id"], user.as_str());
    // The user's groups, read from the memberships that name it: every user is in Everyone.
    let groups = object["held_by"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["via"] == "group_members")
        .unwrap_or_else(|| panic!("the user's groups: {object}"));
    assert_eq!(groups["category"], "groups");
    assert!(
        groups["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "Everyone"),
        "{groups}"
    );
    let login = object["object"]["profile"]["login"].as_str().unwrap().to_owned();

    let (status, history) = f
        .get(&format!("/v1/orgs/{org}/objects/users/{login}/history"), "viewer")
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["id"], user.as_str());
    assert_eq!(history["versions"].as_array().unwrap().len(), 1);

    let (status, found) = f.get(&format!("/v1/orgs/{org}/search?q={login}"), "viewer").await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(
        found["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == user.as_str()),
        "{found}"
    );

    let (status, diff) = f
        .get(&format!("/v1/orgs/{org}/diff?from=latest&to={snapshot}"), "viewer")
        .await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    assert_eq!(diff["categories"], json!([]));

    let (status, jobs) = f
        .get(&format!("/v1/jobs?org={org}&kind=backup&state=completed"), "viewer")
        .await;
    assert_eq!(status, StatusCode::OK, "{jobs}");
    assert_eq!(jobs["jobs"][0]["job_id"], job["job_id"]);
    assert!(
        jobs["jobs"][0]["wrapped_key"].is_null() && jobs["jobs"][0].get("snapshot_id").is_some(),
        "a backup job is answered without its data key: {jobs}"
    );
    let (_, none) = f.get("/v1/jobs?kind=restore", "viewer").await;
    assert_eq!(none["jobs"], json!([]));
    let (status, log) = f
        .get(&format!("/v1/jobs/{}/log", job["job_id"].as_str().unwrap()), "viewer")
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert!(log["entries"].is_array());

    // The caller's mistakes: 400 with a code, whatever part of the request is wrong.
    for (path, why) in [
        (
            format!("/v1/snapshots/{snapshot}/categories/users?limit=0"),
            "a page of 0",
        ),
        (
            format!("/v1/snapshots/{snapshot}/categories/users?limit=many"),
            "a limit that is no number",
        ),
        ("/v1/snapshots?since=yesterday-ish".to_owned(), "a time that is none"),
        ("/v1/snapshots?period=fortnight".to_owned(), "an unknown period"),
        ("/v1/snapshots?colour=blue".to_owned(), "an unknown parameter"),
        ("/v1/snapshots/not%20an%20id".to_owned(), "a snapshot id that is none"),
        (format!("/v1/orgs/{org}/search"), "a search without q"),
        ("/v1/jobs/no%20such%20job".to_owned(), "a job id that is none"),
    ] {
        let (status, body) = f.get(&path, "viewer").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert_eq!(body["error"]["code"], "invalid_request", "{why}: {body}");
    }
    let (status, body) = f
        .call(
            Method::POST,
            &format!("/v1/orgs/{org}/restore-plans"),
            "admin",
            Some(json!({"snapshot": 3})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_request")),
        "{body}"
    );
    let response = f
        .http
        .post(format!("{}/v1/orgs/{org}/restores", f.base))
        .bearer_auth("admin")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_request"
    );

    // What does not exist: 404 with a code.
    for (path, why) in [
        (
            "/v1/snapshots/20200101T000000Z-00000000".to_owned(),
            "an unknown snapshot",
        ),
        (
            format!("/v1/snapshots/{snapshot}/categories/unicorns"),
            "an unknown category",
        ),
        (
            format!("/v1/snapshots/{snapshot}/categories/users/objects/00unobody"),
            "an unknown object",
        ),
        ("/v1/jobs/job-20200101T000000Z-00000000".to_owned(), "an unknown job"),
        (
            "/v1/restores/job-20200101T000000Z-00000000".to_owned(),
            "an unknown restore",
        ),
        ("/v1/nothing-here".to_owned(), "an unknown route"),
    ] {
        let (status, body) = f.get(&path, "viewer").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{why}: {body}");
        assert_eq!(body["error"]["code"], "not_found", "{why}: {body}");
    }
    let (status, body) = f.call(Method::DELETE, "/v1/jobs", "admin", None).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::METHOD_NOT_ALLOWED, json!("method_not_allowed"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_without_the_role_gets_403_nothing_starts_and_the_refusal_is_audited() {
    let f = fixture().await;
    f.backup().await;
    let org = f.org.to_string();
    let group = f.sim.snapshot_state().groups[0]["profile"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let restore = json!({"snapshot": "latest", "select": [format!("groups:{group}")]});
    let jobs_before = f.catalog.list_jobs(&f.org, None).await.unwrap().len();

    for (who, path, body) in [
        ("viewer", format!("/v1/orgs/{org}/restores"), Some(restore.clone())),
        ("operator", format!("/v1/orgs/{org}/restores"), Some(restore.clone())),
        ("viewer", format!("/v1/orgs/{org}/restore-plans"), Some(restore.clone())),
        (
            "operator",
            format!("/v1/orgs/{org}/undo"),
            Some(json!({"event": "a-uuid"})),
        ),
        (
            "viewer",
            format!("/v1/orgs/{org}/downloads"),
            Some(json!({"select": ["users"]})),
        ),
        ("viewer", format!("/v1/orgs/{org}/backups"), None),
        ("stranger", format!("/v1/orgs/{org}/backups"), None),
    ] {
        let (status, answer) = f.call(Method::POST, &path, who, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}: {answer}");
        assert_eq!(answer["error"]["code"], "forbidden");
    }
    // Reads of an org the caller has no grant for, and the trail without admin.
    for (who, path) in [
        ("stranger", format!("/v1/snapshots/latest?org={org}")),
        ("stranger", format!("/v1/orgs/{org}/search?q=a")),
        ("viewer", "/v1/audit".to_owned()),
        ("operator", format!("/v1/audit?org={org}")),
    ] {
        let (status, answer) = f.get(&path, who).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}: {answer}");
    }
    // An org-limited admin of another org sees none of this org's snapshots or jobs in listings.
    let (_, listed) = f.get("/v1/snapshots", "stranger").await;
    assert_eq!(listed["snapshots"], json!([]));
    let (_, listed) = f.get("/v1/jobs", "stranger").await;
    assert_eq!(listed["jobs"], json!([]));

    // Nothing started.
    assert_eq!(f.catalog.list_jobs(&f.org, None).await.unwrap().len(), jobs_before);

    let (status, trail) = f.get(&format!("/v1/audit?org={org}"), "admin").await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let entries = trail["entries"].as_array().unwrap();
    let refused = |subject: &str, action: &str| {
        entries
            .iter()
            .any(|e| e["subject"] == subject && e["action"] == action && e["result"] == "refused")
    };
    assert!(refused("vera@example.com", "restore"), "{trail}");
    assert!(refused("otto@example.com", "restore"), "{trail}");
    assert!(refused("vera@example.com", "restore.plan"), "{trail}");
    assert!(refused("otto@example.com", "undo"), "{trail}");
    assert!(refused("vera@example.com", "download"), "{trail}");
    assert!(refused("olga@example.com", "backup"), "{trail}");
    // The one action that happened: the backup, started by the operator.
    let started: Vec<&Value> = entries.iter().filter(|e| e["result"] == "started").collect();
    assert_eq!(started.len(), 1, "{trail}");
    assert_eq!(started[0]["subject"], "otto@example.com");
    assert_eq!(started[0]["action"], "backup");

    // The operator may plan a restore (a dry run writes nothing), and the plan names what would come back.
    let (status, accepted) = f
        .call(
            Method::POST,
            &format!("/v1/orgs/{org}/restore-plans"),
            "operator",
            Some(restore),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    f.finished(accepted["job_id"].as_str().unwrap()).await;
    let (status, report) = f
        .get(
            &format!("/v1/restores/{}?objects=true", accepted["job_id"].as_str().unwrap()),
            "viewer",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["plan"]["dry_run"], true, "{report}");
    assert!(report["objects"].as_array().is_some_and(|o| !o.is_empty()), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_now_answers_409_with_the_running_job_and_starts_nothing() {
    let f = fixture().await;
    // A backup of the org is running in another runner: its job, and its live lease.
    let now = timefmt::now();
    let running = JobRecord::new(
        JobId::generate(now),
        f.org.clone(),
        JobKind::Backup,
        timefmt::rfc3339(now),
    );
    f.catalog.create_job(&running).await.unwrap();
    let lease = Lease {
        org_id: f.org.clone(),
        kind: JobKind::Backup,
        job_id: running.job_id.clone(),
        owner: "arn:aws:states:execution:elsewhere".into(),
        expires_at_ms: timefmt::now_millis() + 600_000,
    };
    f.catalog.acquire_lease(&lease, timefmt::now_millis()).await.unwrap();

    let (status, answer) = f
        .call(Method::POST, &format!("/v1/orgs/{}/backups", f.org), "operator", None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"]["code"], "conflict");
    assert_eq!(answer["job"]["job_id"], running.job_id.as_str());
    assert_eq!(answer["job"]["state"]["state"], "running");
    assert_eq!(f.catalog.list_jobs(&f.org, None).await.unwrap().len(), 1);

    let (status, answer) = f
        .call(Method::POST, "/v1/orgs/unknown.okta.com/backups", "operator", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
}

#[test]
fn every_route_is_in_the_openapi_document_and_every_documented_operation_is_a_route() {
    let document: serde_yaml::Value = serde_yaml::from_str(&api::openapi_document()).expect("the document is YAML");
    assert_eq!(document["openapi"].as_str(), Some("3.1.0"));
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_mapping().expect("paths") {
        for (method, operation) in item.as_mapping().expect("a path item") {
            let (path, method) = (
                path.as_str().unwrap().to_owned(),
                method.as_str().unwrap().to_uppercase(),
            );
            assert!(
                operation["responses"].as_mapping().is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no response"
            );
            documented.insert((method, path));
        }
    }
    let routed: std::collections::BTreeSet<(String, String)> = api::route_set()
        .declared()
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(
        routed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes the document lacks"
    );
    assert_eq!(
        documented.difference(&routed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented operations no route serves"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_of_a_logged_group_deletion_through_the_api_brings_the_group_back_and_is_audited() {
    let f = fixture().await;
    f.backup().await;
    let org = f.org.to_string();
    let state = f.sim.snapshot_state();
    let group = state.groups.iter().find(|g| g["type"] == "OKTA_GROUP").unwrap().clone();
    let (group_id, name) = (
        group["id"].as_str().unwrap(),
        group["profile"]["name"].as_str().unwrap(),
    );
    let deleted = reqwest::Client::new()
        .delete(format!("{}/api/v1/groups/{group_id}", f.sim.url()))
        .header("Authorization", format!("SSWS {}", f.sim.api_token()))
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success());
    let event = f
        .sim
        .snapshot_state()
        .logs
        .iter()
        .rev()
        .find(|e| e["eventType"] == "group.lifecycle.delete")
        .expect("the deletion is logged")["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    // The backup that keeps the deletion's System Log event.
    f.backup().await;

    let undo = format!("/v1/orgs/{org}/undo");
    let (status, answer) = f
        .call(Method::POST, &undo, "admin", Some(json!({"event": "no-such-event"})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let (status, answer) = f.start(&undo, "admin", Some(json!({"event": event}))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["undo"]["event"]["event_type"], "group.lifecycle.delete");
    assert_eq!(
        answer["undo"]["targets"][0]["restores"],
        json!(format!("groups:{group_id}"))
    );
    let job = answer["job_id"].as_str().unwrap().to_owned();
    let mut ended = f.finished(&job).await;
    if ended["state"]["state"] != "completed" {
        // Held by the guardrail: confirmed with the plan's token.
        let (_, report) = f.get(&format!("/v1/restores/{job}"), "admin").await;
        let token = report["plan"]["confirmation_token"]
            .as_str()
            .expect("a held plan has a token");
        let (status, again) = f
            .start(
                &undo,
                "admin",
                Some(json!({"event": event, "confirmation_token": token})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{again}");
        ended = f.finished(again["job_id"].as_str().unwrap()).await;
    }
    assert_eq!(ended["state"]["state"], "completed", "{ended}");
    assert!(
        f.sim
            .snapshot_state()
            .groups
            .iter()
            .any(|g| g["profile"]["name"] == name),
        "the simulator has the group back"
    );
    let (_, trail) = f.get(&format!("/v1/audit?org={org}"), "admin").await;
    assert!(
        trail["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "undo" && e["subject"] == "ada@example.com" && e["job_id"] == job.as_str()),
        "{trail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_org_is_authorized_shown_changed_and_deleted_through_the_api_by_an_admin_only_and_never_shows_a_secret() {
    let f = fixture().await;
    let token = f.sim.api_token();
    let body = json!({"url": f.sim.url(), "api_token": token});

    let (status, refused) = f.call(Method::POST, "/v1/orgs", "operator", Some(body.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, wrong) = f
        .call(
            Method::POST,
            "/v1/orgs",
            "admin",
            Some(json!({"url": f.sim.url(), "api_token": "not-the-token-Qz8"})),
        )
        .await;
    assert_eq!(
        (status, wrong["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("credentials_refused"))
    );
    assert!(
        wrong["error"]["message"].as_str().unwrap().contains("part: secret"),
        "{wrong}"
    );
    let (status, both) = f
        .call(
            Method::POST,
            "/v1/orgs",
            "admin",
            Some(json!({"url": f.sim.url(), "api_token": "a", "client_id": "b", "client_secret": "c"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{both}");

    // The fixture stored the org already: authorizing it again replaces its credentials (200, not 201).
    let (status, authorized) = f.call(Method::POST, "/v1/orgs", "admin", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{authorized}");
    assert_eq!(authorized["reauthorized"], true);
    assert_eq!(authorized["org_id"], f.org.as_str());

    let (status, card) = f
        .call(Method::GET, &format!("/v1/orgs/{}", f.org), "viewer", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(
        (card["credentials_stored"].clone(), card["app_status"]["ok"].clone()),
        (json!(true), json!(true))
    );
    let (_, list) = f.call(Method::GET, "/v1/orgs", "viewer", None).await;
    assert_eq!(list["orgs"].as_array().unwrap().len(), 1);

    let path = format!("/v1/orgs/{}", f.org);
    let (status, _) = f
        .call(Method::PATCH, &path, "admin", Some(json!({"every_hours": 25})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, changed) = f
        .call(Method::PATCH, &path, "admin", Some(json!({"every_hours": 6})))
        .await;
    assert_eq!(
        (status, changed["schedule"]["every_hours"].clone()),
        (StatusCode::OK, json!(6))
    );
    let (status, changed) = f
        .call(
            Method::PATCH,
            &path,
            "admin",
            Some(json!({"linked_objects_every_days": 3})),
        )
        .await;
    assert_eq!(
        (status, changed["schedule"]["linked_objects_every_days"].clone()),
        (StatusCode::OK, json!(3))
    );
    let (status, capture) = f
        .call(
            Method::PUT,
            &format!("{path}/capture"),
            "admin",
            Some(json!({"source_name": "aws.partner/okta.com/sim/stream"})),
        )
        .await;
    assert_eq!(
        (status, capture["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("capture_unavailable")),
        "the embedded host has no log stream: {capture}"
    );

    let (status, deleted) = f.call(Method::DELETE, &path, "admin", None).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["credentials_stored"], false);
    assert!(deleted["deleted_at"].is_string());

    let (_, trail) = f.call(Method::GET, "/v1/audit", "admin", None).await;
    let actions: Vec<(&str, &str)> = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["result"].as_str().unwrap()))
        .collect();
    for wanted in [
        ("authorize", "refused"),
        ("authorize", "failed"),
        ("authorize", "done"),
        ("delete org", "done"),
    ] {
        assert!(actions.contains(&wanted), "{wanted:?} in {actions:?}");
    }
    let everything = format!("{refused}{wrong}{authorized}{card}{list}{changed}{deleted}{trail}");
    assert!(
        !everything.contains(&token) && !everything.contains("not-the-token-Qz8"),
        "no secret answered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_starts_an_org_s_scheduled_backup_when_it_is_due_and_the_card_says_when_the_next_is() {
    let f = fixture().await;
    let now = timefmt::now();
    let due = |at| oktavault_shared::api::schedules::start_due(&f.api, at);
    assert!(
        due(now).await.unwrap().is_empty(),
        "registered just now, on a daily schedule"
    );
    let started = due(now + time::Duration::hours(24)).await.unwrap();
    assert_eq!(started.len(), 1, "{started:?}");
    assert_eq!(started[0].0, f.org);
    let job = f.finished(started[0].1.as_str()).await;
    assert_eq!(job["state"]["state"], "completed", "{job}");
    assert_eq!(job["trigger"], "scheduled", "{job}");
    // The next one is due a day after this one began, and the card says so.
    let began = timefmt::parse_rfc3339(job["created_at"].as_str().unwrap()).unwrap();
    assert!(due(began + time::Duration::hours(23)).await.unwrap().is_empty());
    let (_, card) = f.get(&format!("/v1/orgs/{}", f.org), "viewer").await;
    assert_eq!(
        card["next_run"].as_str(),
        Some(timefmt::rfc3339(began + time::Duration::hours(24)).as_str()),
        "{card}"
    );
    // Backup off: never due.
    let (status, _) = f
        .call(
            Method::PATCH,
            &format!("/v1/orgs/{}", f.org),
            "admin",
            Some(json!({"backup_enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(due(now + time::Duration::days(30)).await.unwrap().is_empty());
}
