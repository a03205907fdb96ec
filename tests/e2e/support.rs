//! Shared pieces of the end-to-end tests: running the binary, starting the simulator, reading a
//! store, and what a snapshot of a simulated org must contain.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use okta_sim::{OrgState, SimConfig, SimHandle};
use oktavault_shared::categories::{CATEGORIES, Category, Keep, Source};
use oktavault_shared::ids::SnapshotId;
use oktavault_shared::local::{LocalBlobStore, LocalCatalog, LocalKeyProvider};
use oktavault_shared::ports::{Catalog, JobRecord};
use oktavault_shared::snapshot::{SnapshotReader, Vault};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_oktavault");

/// Objects by category, then by id.
pub type Contents = BTreeMap<String, BTreeMap<String, Value>>;

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
        for category in reader.manifest().categories.keys() {
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

    /// Every blob key under `prefix` in the store.
    pub async fn blob_keys(&self, prefix: &str) -> Vec<String> {
        self.vault.blobs().list(prefix).await.unwrap()
    }
}

/// What a snapshot of the simulated org must hold, written out from the simulator's own state
/// (independently of the backup code): every user including DEPROVISIONED ones, every group,
/// each membership as an edge, every app, each app assignment with its app id, and every object of
/// every other catalog category, kept as its row says.
pub fn expected_contents(state: &OrgState) -> Contents {
    let by_id = |items: &[Value]| -> BTreeMap<String, Value> {
        items
            .iter()
            .map(|v| (v["id"].as_str().unwrap().to_owned(), v.clone()))
            .collect()
    };
    let mut c = Contents::new();
    c.insert("users".into(), by_id(&state.users));
    c.insert("groups".into(), by_id(&state.groups));
    c.insert("apps".into(), by_id(&state.apps));
    let mut members = BTreeMap::new();
    for (group, users) in &state.group_members {
        for user in users {
            members.insert(
                format!("{group}/{user}"),
                serde_json::json!({"groupId": group, "userId": user}),
            );
        }
    }
    c.insert("group_members".into(), members);
    for (category, field, per_app) in [
        ("app_users", "appId", &state.app_users),
        ("app_groups", "appId", &state.app_groups),
    ] {
        let mut objects = BTreeMap::new();
        for (app, items) in per_app {
            for item in items {
                let mut item = item.clone();
                item[field] = Value::String(app.clone());
                objects.insert(format!("{app}/{}", item["id"].as_str().unwrap()), item);
            }
        }
        c.insert(category.into(), objects);
    }
    // Every other category: what the simulator answers at the row's URLs (all pages), kept as the
    // row's Keep says. Parents come first in the catalog, so their ids are already here.
    let written_out: Vec<String> = c.keys().cloned().collect();
    for category in CATEGORIES
        .iter()
        .filter(|cat| !written_out.iter().any(|n| n == cat.name))
    {
        let requests: Vec<(String, Option<String>)> = match category.source {
            Source::List { passes } => passes.iter().map(|p| (p.to_string(), None)).collect(),
            Source::PerParent { parent, path } => c[parent]
                .keys()
                .map(|id| (fill_parent(path, id), Some(id.clone())))
                .collect(),
        };
        let mut objects = BTreeMap::new();
        for (url, parent) in requests {
            let items = okta_sim::everything_at(&state.resources, &url)
                .unwrap_or_else(|| panic!("the simulator serves nothing at {url} ({})", category.name));
            for item in items {
                let (id, value) = keep(category, parent.as_deref(), item);
                objects.insert(id, value);
            }
        }
        c.insert(category.name.into(), objects);
    }
    c
}

/// `{id}` is the parent id; `{0}`, `{1}`... its `/`-separated parts.
fn fill_parent(path: &str, parent: &str) -> String {
    let mut filled = path.replace("{id}", parent);
    for (i, part) in parent.split('/').enumerate() {
        filled = filled.replace(&format!("{{{i}}}"), part);
    }
    filled
}

/// The id and stored value of one listed item, per the catalog's Keep (written here, not taken
/// from the backup code, so the two can disagree and a test can notice).
fn keep(category: &Category, parent: Option<&str>, item: Value) -> (String, Value) {
    let own_id = |item: &Value| -> String {
        item.pointer(category.id_pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{}: an item has no {}: {item}", category.name, category.id_pointer))
            .to_owned()
    };
    let parent = || {
        parent
            .unwrap_or_else(|| panic!("{} is kept per parent", category.name))
            .to_owned()
    };
    match category.keep {
        Keep::Whole => (own_id(&item), item),
        Keep::Named { id } => (id.to_owned(), item),
        Keep::WithParent { parent_field } => {
            let (p, id) = (parent(), own_id(&item));
            let mut item = item;
            item[parent_field] = Value::String(p.clone());
            (format!("{p}/{id}"), item)
        }
        Keep::OnePerParent { parent_field } => {
            let p = parent();
            let mut item = item;
            item[parent_field] = Value::String(p.clone());
            (p, item)
        }
        Keep::Edge {
            parent_field,
            child_field,
        } => {
            let (p, id) = (parent(), own_id(&item));
            (
                format!("{p}/{id}"),
                serde_json::json!({ parent_field: p, child_field: id }),
            )
        }
    }
}

/// Compares category by category and object by object, naming the first difference.
pub fn assert_same_contents(actual: &Contents, expected: &Contents) {
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "categories differ"
    );
    for (category, want) in expected {
        let got = &actual[category];
        for (id, value) in want {
            match got.get(id) {
                None => panic!("{category}/{id} is missing from the snapshot"),
                Some(v) if v != value => panic!("{category}/{id} differs:\n snapshot {v}\n expected {value}"),
                Some(_) => {}
            }
        }
        if let Some(extra) = got.keys().find(|id| !want.contains_key(*id)) {
            panic!("{category}/{extra} is in the snapshot but not in the org");
        }
    }
}
