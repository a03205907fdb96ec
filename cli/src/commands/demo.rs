//! `oktavault demo`: the whole product on one machine, offline: starts the bundled Okta
//! simulator with a seeded org, backs it up into the local store and lists the snapshot.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use oktavault_shared::ids::OrgId;
use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, Secret};
use oktavault_shared::ports::{AuthKind, BackupTrigger};
use serde::Serialize;

use oktavault_shared::workflow::embedded::BackupOptions;

use oktavault_shared::service::orgs;

use super::backup::{BackupJob, BackupReport};
use oktavault_shared::service::browse::CategoryTree;

use super::browse::category_tree;
use crate::args::DemoArgs;
use crate::output::Output;

/// How many times Okta's rate limits the demo's simulator allows.
const DEMO_RATE_SCALE: f64 = 20.0;
use crate::store::Store;

/// The demo org keeps one id across runs (the simulator's port changes), so a second demo run
/// shows deduplication against the first.
const DEMO_ORG: &str = "demo-org.oktavault.local";

pub async fn run(store_dir: &Path, args: DemoArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    out.note(format!(
        "Starting the Okta simulator with {} users (seed {})...",
        args.users, args.seed
    ));
    let mut config = okta_sim::SimConfig::new(args.users, args.seed);
    // Okta's limits, 20 times over: the demo shows what is backed up in seconds rather than the minutes a real
    // org's per-user calls (factors, linked objects) take at 50% of its buckets.
    config.rate.scale = DEMO_RATE_SCALE;
    let sim = okta_sim::start(config, 0).await?;
    let url = OrgUrl::parse(&sim.url(), true)?;
    let credentials = Credentials::ClientSecret {
        client_id: sim.client_id(),
        secret: Secret::new(sim.client_secret()),
        scopes: super::authorize::backup_scopes(),
    };
    let client = OktaClient::new(ClientConfig::new(url.clone(), credentials))?;
    let store = Store::open(store_dir)?;
    let org = orgs::register(
        store.catalog.as_ref(),
        OrgId::new(DEMO_ORG)?,
        &url,
        AuthKind::ClientSecret,
        Some(sim.client_id()),
    )
    .await?;
    out.note(format!("Backing up {} into {}...", url.as_str(), store_dir.display()));
    let job = BackupJob {
        org,
        client,
        options: BackupOptions {
            trigger: BackupTrigger::Manual,
            ..BackupOptions::default()
        },
        page_budget: Duration::from_secs(20),
    };
    let backup = job.run(&store, out).await?;
    let snapshot = match &backup.snapshot_id {
        Some(id) => Some(category_tree(&store, &store.resolve_snapshot(id.as_str()).await?).await?),
        None => None,
    };
    sim.shutdown().await;
    let code = backup.exit_code();
    out.emit(&DemoReport {
        store: store_dir.display().to_string(),
        backup,
        snapshot,
    });
    Ok(code)
}

#[derive(Serialize)]
struct DemoReport {
    store: String,
    backup: BackupReport,
    snapshot: Option<CategoryTree>,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.backup)?;
        if let Some(tree) = &self.snapshot {
            writeln!(f)?;
            write!(f, "{tree}")?;
            writeln!(f)?;
            writeln!(f, "Try: oktavault --store {} ls {} users", self.store, tree.snapshot_id)?;
            writeln!(f, "     oktavault --store {} verify {}", self.store, tree.snapshot_id)?;
            writeln!(f, "     oktavault --store {} snapshots", self.store)?;
            writeln!(
                f,
                "     oktavault --store {} search example.com --type users",
                self.store
            )?;
        }
        Ok(())
    }
}
