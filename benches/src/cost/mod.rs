//! `oktavault-bench --cost`: the inputs of a month's AWS bill for one org with daily backups. Backs up a simulated
//! org once (the first, full snapshot), then for each following day changes the org as an admin would (a share of
//! users' profiles, a few groups' memberships) and backs it up again; every 7th day is the weekly full refresh. The
//! backups run in-process through the same `backup.asl.json` and steps as on AWS, over the embedded store wrapped in
//! counters ([`meter`]) that turn each storage call into the AWS request it becomes. Prints per run: Lambda
//! invocations and billed seconds, Step Functions state transitions, S3 requests and bytes, DynamoDB request units,
//! KMS requests, Okta calls; then a month of daily backups from them. docs/cost.md applies the prices.

pub mod billing;
pub mod meter;
pub mod run;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use okta_sim::{SimConfig, SimHandle};
use oktavault_shared::local::{LocalBlobStore, LocalCatalog, LocalKeyProvider};
use oktavault_shared::okta::OrgUrl;
use oktavault_shared::ports::{AuthKind, Catalog};
use oktavault_shared::snapshot::Vault;
use serde_json::json;

use crate::sim_admin::admin_call;

use meter::{Meter, MeteredBlobs, MeteredCatalog, MeteredKeys};
use run::DailyRun;
pub use run::{Measured, RunKind};

/// The memory of the step functions in infra/template.yaml (`Globals.Function.MemorySize`).
pub const STEP_MEMORY_MB: u64 = 512;
/// Every 7th daily backup is a full refresh (`FULL_REFRESH_AFTER`, 7 days).
const REFRESH_EVERY: usize = 7;
const MONTH_DAYS: f64 = 30.0;

pub struct CostBench {
    pub users: usize,
    pub seed: u64,
    pub rate_scale: f64,
    pub rate_share: f64,
    /// Daily backups after the first (day 7 is the weekly full refresh).
    pub days: usize,
    /// The share of users whose profile changes each day.
    pub change: f64,
    /// Groups that gain a member each day.
    pub groups_changed: usize,
}

impl CostBench {
    /// How long one BackupPage call keeps paging: the 20 s a Lambda gets, shortened as much as the rate limits are
    /// raised, so a call does the share of a category's work it would do at Okta's own limits and the runs take the
    /// invocations (and so the transitions, progress writes and billed seconds) they would take there.
    pub fn page_budget(&self) -> Duration {
        Duration::from_secs(20).div_f64(self.rate_scale.max(1.0))
    }
}

/// Measures `bench` in a temporary store and prints each run and a month.
pub async fn run(bench: &CostBench) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let runs = measure(bench, dir.path()).await?;
    run::print_month(&runs, MONTH_DAYS, REFRESH_EVERY, bench.rate_scale);
    Ok(())
}

/// The first backup and `bench.days` daily ones of a simulated org into an embedded store at `store`, each printed
/// as it ends.
pub async fn measure(bench: &CostBench, store: &Path) -> anyhow::Result<Vec<Measured>> {
    let mut config = SimConfig::new(bench.users, bench.seed);
    config.rate.scale = bench.rate_scale;
    let sim = okta_sim::start(config, 0).await?;
    let meter = Arc::new(Meter::default());
    let catalog: Arc<dyn Catalog> = Arc::new(MeteredCatalog {
        inner: Arc::new(LocalCatalog::open(store.join("catalog"))?),
        meter: meter.clone(),
    });
    let vault = Vault::new(
        Arc::new(MeteredBlobs {
            inner: Arc::new(LocalBlobStore::open(store.join("blobs"))?),
            meter: meter.clone(),
        }),
        Arc::new(MeteredKeys {
            inner: Arc::new(LocalKeyProvider::open(store.join("master.key"))?),
            meter: meter.clone(),
        }),
    );
    let url = OrgUrl::parse(&sim.url(), true)?;
    let org = oktavault_shared::service::orgs::register(catalog.as_ref(), url.org_id(), &url, AuthKind::ApiToken, None)
        .await
        .context("registering the simulated org")?;
    meter.take();

    println!(
        "\n{} users, Okta's limits x{}, share {}, page budget {:?}, {} day(s) after the first; each day {:.1}% of users \
         and {} groups change",
        bench.users,
        bench.rate_scale,
        bench.rate_share,
        bench.page_budget(),
        bench.days,
        bench.change * 100.0,
        bench.groups_changed
    );
    run::print_header();
    let mut runs = Vec::new();
    for day in 0..=bench.days {
        let kind = match day {
            0 => RunKind::First,
            d if d % REFRESH_EVERY == 0 => RunKind::Refresh,
            _ => RunKind::Incremental,
        };
        if day > 0 {
            change_the_org(&sim, bench, day).await?;
            if bench.rate_scale < 10.0 {
                // Okta's buckets last a minute; real backups are a day apart, so the changes' calls and the previous
                // run's must not be charged to this one.
                tokio::time::sleep(Duration::from_secs(61)).await;
            }
        }
        let daily = DailyRun {
            catalog: catalog.clone(),
            vault: vault.clone(),
            meter: meter.clone(),
            org: org.clone(),
            url: url.clone(),
            token: sim.api_token(),
            rate_share: bench.rate_share,
            rate_scale: bench.rate_scale,
            page_budget: bench.page_budget(),
        };
        let measured = daily.backup(day, kind).await?;
        measured.print();
        let paced_s = measured.okta_bound_s / bench.rate_scale.max(1.0);
        if measured.wall_s < paced_s / 2.0 {
            println!(
                "      day {day} took {:.1} s, less than half the {paced_s:.1} s the raised limits allow: Okta's limits did \
                 not pace it, so its invocations and billed seconds undercount those at Okta's own; use a smaller \
                 --rate-scale",
                measured.wall_s
            );
        }
        runs.push(measured);
    }
    sim.shutdown().await;
    Ok(runs)
}

/// A day's admin changes: `change` of the users get a new title, and `groups_changed` groups gain a member. Each goes
/// through the Okta API, so the System Log names it as Okta's would.
async fn change_the_org(sim: &SimHandle, bench: &CostBench, day: usize) -> anyhow::Result<()> {
    let state = sim.snapshot_state();
    let active: Vec<&str> = state
        .users
        .iter()
        .filter(|u| u["status"] == "ACTIVE")
        .filter_map(|u| u["id"].as_str())
        .collect();
    anyhow::ensure!(!active.is_empty(), "the simulated org has no ACTIVE user to change");
    let changed = ((state.users.len() as f64 * bench.change).ceil() as usize).min(active.len());
    let client = reqwest::Client::new();
    for i in 0..changed {
        let id = active[(day * changed + i) % active.len()];
        let user = state.users.iter().find(|u| u["id"] == id).context("a listed user")?;
        let mut profile = user["profile"].clone();
        profile["title"] = json!(format!("Title of day {day}"));
        admin(
            &client,
            sim,
            reqwest::Method::POST,
            &format!("/api/v1/users/{id}"),
            Some(json!({"profile": profile})),
        )
        .await?;
    }
    let groups = state.group_members.iter().filter(|(_, members)| !members.is_empty());
    for (n, (group, members)) in groups.take(bench.groups_changed).enumerate() {
        let newcomer = active
            .iter()
            .cycle()
            .skip(day * 31 + n)
            .take(active.len())
            .find(|u| !members.iter().any(|m| m == *u));
        if let Some(user) = newcomer {
            admin(
                &client,
                sim,
                reqwest::Method::PUT,
                &format!("/api/v1/groups/{group}/users/{user}"),
                None,
            )
            .await?;
        }
    }
    Ok(())
}

/// One admin call to the simulator, waiting out a 429 as a person's script would.
async fn admin(
    client: &reqwest::Client,
    sim: &SimHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> anyhow::Result<()> {
    let call = (method, path, body);
    admin_call(client, &sim.url(), &sim.api_token(), call, Duration::from_secs(90)).await
}
