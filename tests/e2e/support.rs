//! Shared pieces of the end-to-end tests: running the binary, starting the simulator, reading a
//! store, and what a snapshot of a simulated org must contain.

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use okta_sim::{SimConfig, SimHandle};
use oktavault_shared::ids::SnapshotId;
use oktavault_shared::local::{LocalBlobStore, LocalCatalog, LocalKeyProvider};
use oktavault_shared::ports::{Catalog, JobRecord};
use oktavault_shared::snapshot::{SnapshotReader, Vault};
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_oktavault");

pub use oktavault_shared::testkit::expected::{
    Contents, assert_same_contents, expected_contents, expected_contents_in,
};
use oktavault_shared::workflow::backup::log_window::LogWindow;

pub async fn start_sim(users: usize, seed: u64) -> SimHandle {
    let mut config = SimConfig::new(users, seed);
    // Real Okta limits, scaled up: these tests are about contents, not about waiting for windows.
    config.rate.scale = 20.0;
    okta_sim::start(config, 0).await.expect("the simulator starts")
}

pub fn command(store: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("--store").arg(store);
    // Credentials come only from the flags each test passes.
    for var in [
        "OKTAVAULT_TOKEN",
        "OKTAVAULT_CLIENT_ID",
        "OKTAVAULT_CLIENT_SECRET",
        "OKTAVAULT_PRIVATE_KEY",
        "OKTAVAULT_ORG",
    ] {
        cmd.env_remove(var);
    }
    cmd.kill_on_drop(true);
    cmd
}

pub async fn oktavault(store: &Path, args: &[&str]) -> Output {
    command(store)
        .args(args)
        .output()
        .await
        .expect("the oktavault binary runs")
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What one `oktavault --json backup` run of the simulator printed.
pub struct BackupRun {
    pub code: Option<i32>,
    pub report: Value,
    /// stdout and stderr together, to search for what must (not) be printed.
    pub output: String,
}

/// Runs `oktavault --json backup --org <simulator> --allow-local-org` with `auth` (and any other
/// flags) added.
pub async fn backup(store: &Path, sim: &SimHandle, auth: &[&str]) -> BackupRun {
    let url = sim.url();
    let mut args = vec!["--json", "backup", "--org", &url, "--allow-local-org"];
    args.extend_from_slice(auth);
    let out = oktavault(store, &args).await;
    let output = text(&out);
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("backup printed no JSON ({e}): {output}"));
    BackupRun {
        code: out.status.code(),
        report,
        output,
    }
}

/// Backs the simulator up with its API token, expects success and returns the report.
pub async fn backup_with_token(store: &Path, sim: &SimHandle) -> Value {
    let run = backup(store, sim, &["--token", &sim.api_token()]).await;
    assert_eq!(run.code, Some(0), "backup failed: {}", run.output);
    run.report
}

pub fn snapshot_id(report: &Value) -> SnapshotId {
    SnapshotId::new(report["snapshot_id"].as_str().expect("the report names its snapshot")).unwrap()
}

pub struct StoreView {
    pub catalog: Arc<LocalCatalog>,
    pub vault: Vault,
}

pub fn open_store(dir: &Path) -> StoreView {
    let blobs = LocalBlobStore::open(dir.join("blobs")).unwrap();
    let keys = LocalKeyProvider::open(dir.join("master.key")).unwrap();
    StoreView {
        catalog: Arc::new(LocalCatalog::open(dir.join("catalog")).unwrap()),
        vault: Vault::new(Arc::new(blobs), Arc::new(keys)),
    }
}

impl StoreView {
    pub async fn contents(&self, snapshot: &SnapshotId) -> Contents {
        let org = self.snapshot_org(snapshot).await;
        let reader = SnapshotReader::open(self.vault.clone(), &org, snapshot)
            .await
            .expect("the snapshot opens");
        let mut contents = Contents::new();
        for category in reader.head().categories.keys() {
            let objects = reader.objects(category).await.expect("objects read back");
            contents.insert(category.clone(), objects.into_iter().collect());
        }
        contents
    }

    pub async fn snapshot_org(&self, snapshot: &SnapshotId) -> oktavault_shared::ids::OrgId {
        for org in self.catalog.list_orgs().await.unwrap() {
            if self
                .catalog
                .get_snapshot(&org.org_id, snapshot)
                .await
                .unwrap()
                .is_some()
            {
                return org.org_id;
            }
        }
        panic!("snapshot {snapshot} is not in the catalog")
    }

    pub async fn job(&self, report: &Value) -> JobRecord {
        let id = oktavault_shared::ids::JobId::new(report["job_id"].as_str().unwrap()).unwrap();
        self.catalog.get_job(&id).await.unwrap().expect("the job is recorded")
    }

    /// The per-object log of the job of `report`.
    pub async fn job_log(&self, report: &Value) -> Vec<oktavault_shared::ports::LogEntry> {
        let job = self.job(report).await;
        self.catalog.read_log(&job.job_id).await.unwrap()
    }

    /// The System Log window the job of `report` covered: from its previous snapshot's job start (or
    /// 7 days back) to its own start.
    pub async fn log_window(&self, report: &Value) -> LogWindow {
        let job = self.job(report).await;
        let previous = match &job.previous_snapshot {
            Some(id) => Some(
                self.catalog
                    .get_snapshot(&job.org_id, id)
                    .await
                    .unwrap()
                    .expect("the previous snapshot is recorded")
                    .created_at,
            ),
            None => None,
        };
        LogWindow::between(previous.as_deref(), &job.created_at).expect("job times are RFC 3339")
    }

    /// What the snapshot of `report` must hold: the simulator's data now, and the System Log events
    /// of the job's window.
    pub async fn expected(&self, report: &Value, sim: &SimHandle) -> Contents {
        expected_contents_in(&sim.snapshot_state(), &self.log_window(report).await)
    }

    /// Every blob key under `prefix` in the store.
    pub async fn blob_keys(&self, prefix: &str) -> Vec<String> {
        self.vault.blobs().list(prefix).await.unwrap()
    }
}

/// A call to the simulator's API as an org admin would make it (a change the next backup or restore sees); the
/// call must succeed. Answers its JSON body (null when it has none).
pub async fn admin(sim: &SimHandle, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.url()))
        .header("Authorization", format!("SSWS {}", sim.api_token()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.unwrap_or(Value::Null)
}

/// A group of the simulated org with members, and its members' list path.
pub fn group_with_members(sim: &okta_sim::SimHandle) -> (String, String) {
    let state = sim.snapshot_state();
    let (group, _) = state
        .group_members
        .iter()
        .find(|(_, members)| members.len() >= 2)
        .expect("the seeded org has a group with members");
    (group.clone(), format!("/api/v1/groups/{group}/users"))
}

/// Gives the second ACTIVE user of `state` the title "Chief Restore Officer", as an admin would; answers its id.
pub async fn retitle_an_active_user(sim: &SimHandle, state: &okta_sim::OrgState) -> String {
    let user = state.users.iter().filter(|u| u["status"] == "ACTIVE").nth(1).unwrap();
    let user_id = user["id"].as_str().unwrap().to_owned();
    let mut profile = user["profile"].clone();
    profile["title"] = json!("Chief Restore Officer");
    admin(
        sim,
        reqwest::Method::POST,
        &format!("/api/v1/users/{user_id}"),
        Some(json!({"profile": profile})),
    )
    .await;
    user_id
}

/// The first ACTIVE group rule of the simulated org that `wanted` accepts, and the one group it assigns.
pub async fn an_active_group_rule(sim: &SimHandle, wanted: impl Fn(&Value) -> bool) -> (Value, String) {
    let rules = admin(sim, reqwest::Method::GET, "/api/v1/groups/rules", None).await;
    let rule = rules
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| {
            r["status"] == "ACTIVE"
                && r["actions"]["assignUserToGroups"]["groupIds"]
                    .as_array()
                    .is_some_and(|g| g.len() == 1)
                && wanted(r)
        })
        .expect("an active group rule assigning one group")
        .clone();
    let group = rule["actions"]["assignUserToGroups"]["groupIds"][0]
        .as_str()
        .unwrap()
        .to_owned();
    (rule, group)
}

/// Adds `user` to `group` through the Okta API, as an admin would; Okta moves the group's
/// `lastMembershipUpdated` (and not its `lastUpdated`).
pub async fn add_member(sim: &SimHandle, group: &str, user: &str) {
    admin(
        sim,
        reqwest::Method::PUT,
        &format!("/api/v1/groups/{group}/users/{user}"),
        None,
    )
    .await;
}

/// Deletes the object at `path` as an admin must: deactivated first (`{path}/lifecycle/deactivate`), then deleted.
pub async fn deactivate_and_delete(sim: &SimHandle, path: &str) {
    admin(
        sim,
        reqwest::Method::POST,
        &format!("{path}/lifecycle/deactivate"),
        None,
    )
    .await;
    admin(sim, reqwest::Method::DELETE, path, None).await;
}
