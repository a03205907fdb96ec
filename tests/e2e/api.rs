//! `oktavault serve`: the real binary serving the HTTP API over a store whose org was authorized with sealed
//! credentials. Through HTTP alone: a backup now, the timeline, a search, a dry-run restore, an applied restore of
//! a deleted group (the simulator has it back), a download and its file, and the audit trail naming the token's
//! holder for each.

use std::time::Duration;

use okta_sim::SimHandle;
use oktavault_shared::credentials::store_org_credentials;
use oktavault_shared::ids::OrgId;
use oktavault_shared::local::{LocalCatalog, LocalKeyProvider};
use oktavault_shared::okta::{Credentials, OrgUrl, Secret};
use oktavault_shared::ports::{AuthKind, OrgRecord};
use oktavault_shared::timefmt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{admin, command, start_sim};

pub(crate) const TOKEN: &str = "e2e-api-token-0123456789";

pub(crate) struct Server {
    pub(crate) base: String,
    http: reqwest::Client,
    secret: String,
    _child: tokio::process::Child,
}

impl Server {
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(&self.secret),
            "{path}: the answer holds the org's API token"
        );
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Starts a job; a 409 while the org's previous job lets go of its lease is asked again, as a client does.
    pub(crate) async fn accepted(&self, path: &str, body: Option<Value>) -> String {
        for _ in 0..100 {
            let (status, answer) = self.call(Method::POST, path, body.clone()).await;
            if status == StatusCode::CONFLICT && answer["job"]["state"]["state"] != "running" {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            assert_eq!(status, StatusCode::ACCEPTED, "{path}: {answer}");
            return answer["job_id"].as_str().unwrap().to_owned();
        }
        panic!("{path} stayed in conflict for ten seconds");
    }

    pub(crate) async fn finished(&self, job: &str) -> Value {
        for _ in 0..1200 {
            let (status, body) = self.call(Method::GET, &format!("/v1/jobs/{job}"), None).await;
            if status == StatusCode::OK && body["state"]["state"] != "running" {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("job {job} did not end within two minutes");
    }
}

/// A store whose org (the simulator) is authorized with sealed credentials, served by `oktavault serve`; and a
/// task collecting what the server writes besides its first line.
pub(crate) async fn serve_authorized(
    sim: &SimHandle,
) -> (Server, tempfile::TempDir, OrgId, tokio::task::JoinHandle<String>) {
    let store = tempfile::tempdir().unwrap();
    // Authorizing the org: its credentials sealed onto its record in the store the server opens.
    let catalog = LocalCatalog::open(store.path().join("catalog")).unwrap();
    let keys = LocalKeyProvider::open(store.path().join("master.key")).unwrap();
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
    store_org_credentials(&catalog, &keys, record, &url, &credentials)
        .await
        .unwrap();
    drop((catalog, keys));

    let mut child = command(store.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--allow-local-org"])
        .env("OKTAVAULT_API_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("serve prints where it listens");
    // Everything else the server writes, kept to look for the secret in.
    let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
    let logs = tokio::spawn(async move {
        let mut all = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            all.push_str(&line);
        }
        while let Ok(Some(line)) = errors.next_line().await {
            all.push_str(&line);
        }
        all
    });
    let base = first.strip_prefix("listening on ").expect(&first).to_owned();
    let server = Server {
        base,
        http: reqwest::Client::new(),
        secret: sim.api_token(),
        _child: child,
    };
    (server, store, org, logs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_oktavault_serve_a_deleted_group_is_restored_a_download_fetched_and_both_audited() {
    let sim = start_sim(40, 23).await;
    let (server, _store, org, logs) = serve_authorized(&sim).await;
    let org = org.to_string();

    // Without the token, nothing is answered but 401.
    let response = reqwest::get(format!("{}/v1/snapshots", server.base)).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let backup = server.accepted(&format!("/v1/orgs/{org}/backups"), None).await;
    assert_eq!(server.finished(&backup).await["state"]["state"], "completed");

    let (status, timeline) = server.call(Method::GET, "/v1/snapshots", None).await;
    assert_eq!(status, StatusCode::OK, "{timeline}");
    assert_eq!(timeline["snapshots"].as_array().unwrap().len(), 1, "{timeline}");

    let state = sim.snapshot_state();
    let group = state
        .groups
        .iter()
        .filter(|g| g["type"] == "OKTA_GROUP")
        .find(|g| !state.group_members[g["id"].as_str().unwrap()].is_empty())
        .expect("a group with members")
        .clone();
    let (old_id, name) = (
        group["id"].as_str().unwrap(),
        group["profile"]["name"].as_str().unwrap(),
    );
    let (status, found) = server
        .call(
            Method::GET,
            &format!("/v1/orgs/{org}/search?q={}", name.replace(' ', "%20")),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(
        found["results"].as_array().unwrap().iter().any(|r| r["id"] == old_id),
        "{found}"
    );

    admin(&sim, Method::DELETE, &format!("/api/v1/groups/{old_id}"), None).await;
    let selection = json!({"snapshot": "latest", "select": [format!("groups:{name}")]});

    let plan = server
        .accepted(&format!("/v1/orgs/{org}/restore-plans"), Some(selection.clone()))
        .await;
    server.finished(&plan).await;
    let (_, planned) = server
        .call(Method::GET, &format!("/v1/restores/{plan}?objects=true"), None)
        .await;
    assert_eq!(planned["plan"]["dry_run"], true, "{planned}");
    assert!(
        planned["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o.to_string().contains(old_id)),
        "the plan names the deleted group: {planned}"
    );
    assert!(
        !sim.snapshot_state().groups.iter().any(|g| g["profile"]["name"] == name),
        "a plan writes nothing"
    );

    let mut applied = server
        .accepted(&format!("/v1/orgs/{org}/restores"), Some(selection.clone()))
        .await;
    server.finished(&applied).await;
    let (_, report) = server.call(Method::GET, &format!("/v1/restores/{applied}"), None).await;
    if let Some(token) = report["plan"]["confirmation_token"].as_str() {
        // Held by the guardrail: the same request with the plan's token applies it.
        let mut confirmed = selection.clone();
        confirmed["confirmation_token"] = json!(token);
        applied = server
            .accepted(&format!("/v1/orgs/{org}/restores"), Some(confirmed))
            .await;
        server.finished(&applied).await;
    }
    let (_, report) = server.call(Method::GET, &format!("/v1/restores/{applied}"), None).await;
    assert_eq!(report["state"]["state"], "completed", "{report}");
    assert!(
        sim.snapshot_state().groups.iter().any(|g| g["profile"]["name"] == name),
        "the simulator has the group back"
    );

    let download = server
        .accepted(
            &format!("/v1/orgs/{org}/downloads"),
            Some(json!({"select": ["users"], "format": "json"})),
        )
        .await;
    server.finished(&download).await;
    let (status, report) = server
        .call(Method::GET, &format!("/v1/downloads/{download}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["state"]["state"], "completed", "{report}");
    assert_eq!(
        report["path"],
        Value::Null,
        "where the server keeps the file is not answered"
    );
    assert!(report["objects"]["users"].as_u64().is_some_and(|n| n > 0), "{report}");
    let (status, link) = server
        .call(Method::GET, &format!("/v1/downloads/{download}/link"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let file = server
        .http
        .get(format!("{}{}", server.base, link["url"].as_str().unwrap()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(link["file_name"].as_str().unwrap())
    );
    let users: Value = serde_json::from_slice(&file.bytes().await.unwrap()).unwrap();
    let written = users.to_string();
    let some_login = state.users[0]["profile"]["login"].as_str().unwrap();
    assert!(written.contains(some_login), "the file holds the snapshot's users");
    let unauthenticated = reqwest::get(format!("{}{}", server.base, link["url"].as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);

    let (status, trail) = server.call(Method::GET, "/v1/audit", None).await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let entries = trail["entries"].as_array().unwrap();
    for (action, job) in [
        ("restore", &applied),
        ("restore.plan", &plan),
        ("download", &download),
        ("backup", &backup),
    ] {
        assert!(
            entries.iter().any(|e| e["action"] == action
                && e["job_id"] == job.as_str()
                && e["subject"] == "local-token"
                && e["result"] == "started"),
            "the trail holds the {action} {job}: {trail}"
        );
    }
    // The trail is read-only through the API.
    let (status, _) = server.call(Method::POST, "/v1/audit", Some(json!({}))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    drop(server);
    let logged = logs.await.unwrap();
    assert!(
        !logged.contains(&sim.api_token()),
        "the server's output holds the org's API token: {logged}"
    );
}
