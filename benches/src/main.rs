//! `oktavault-bench`: backs up simulated orgs with the real `oktavault` binary and prints, per
//! org size and run, the Okta calls made against the minimum a full listing needs (in total and
//! per category), wall time, 429s and the backup process's peak memory (its own `VmHWM`, from
//! its report: a fork of this process, which holds the simulator, would otherwise be counted).
//! A benchmark, not a test: it asserts nothing and takes minutes.
//!
//!   cargo build --release -p oktavault-cli -p oktavault-bench
//!   target/release/oktavault-bench --users 10000,100000
//!
//! With `--restore` it deletes users from a backed-up org and times their restore against the bound the rate
//! limits allow (`src/restore.rs`):
//!
//!   target/release/oktavault-bench --restore --users 10000 --rate-scale 10
//!
//! With `--search` it builds 100,000 users x 90 daily snapshots through the library and times the search index
//! (`src/search.rs`): query latency with the index loaded, cold load, index size:
//!
//!   target/release/oktavault-bench --search --users 100000 --days 90
//!
//! With `--download` it backs up an org's users and memberships and downloads them as CSV, printing the download's
//! peak memory (`src/download.rs`):
//!
//!   target/release/oktavault-bench --download --users 100000 --rate-scale 50
//!
//! With `--cost` it backs up an org on its first day and on --cost-days more, changing a share of its users and a
//! few groups' memberships each day, and prints what AWS bills for each run and for a month (`src/cost/`):
//!
//!   target/release/oktavault-bench --cost --users 10000 --rate-scale 10
//!
//! With `--packages` and/or `--lambda-init` it measures the Lambda function binaries instead
//! (see the library, `src/lib.rs`):
//!
//!   cargo build --release && cargo build --release -p oktavault-bench
//!   target/release/oktavault-bench --packages --lambda-init

mod changes;
mod steps;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use okta_sim::{OrgState, SimConfig, SimHandle};
use oktavault_shared::categories::{CATEGORIES, Category, Response, Source};
use oktavault_shared::testkit::expected::{Contents, expected_contents};

#[derive(Parser)]
struct Args {
    /// Org sizes to measure, in users.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    users: Vec<usize>,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Multiplies the simulator's Okta rate limits (1 = Okta's published Enterprise limits).
    #[arg(long, default_value_t = 1.0)]
    rate_scale: f64,
    /// Instead of backups: back up an org of --users, delete --delete of its users, restore them and compare the
    /// wall time with the bound the rate limits allow.
    #[arg(long)]
    restore: bool,
    /// Users deleted and restored by --restore (default: every user of the org that is not DEPROVISIONED, at
    /// most 10,000).
    #[arg(long)]
    delete: Option<usize>,
    /// The part of each rate-limit bucket oktavault may use (its --rate-share).
    #[arg(long, default_value_t = 0.5)]
    rate_share: f64,
    /// The oktavault binary (default: beside this one).
    #[arg(long)]
    oktavault: Option<PathBuf>,
    /// Instead of backups: back up an org of --users, download its users and memberships as CSV and print the
    /// download's peak memory.
    #[arg(long)]
    download: bool,
    /// Run every workflow step in a process of its own, as Lambda does, and print each step's peak memory.
    #[arg(long)]
    per_step: bool,
    /// Instead of backups: each Lambda function binary's package size, unzipped and zipped.
    #[arg(long)]
    packages: bool,
    /// Instead of backups: each Lambda function's init time against a local Runtime API.
    #[arg(long)]
    lambda_init: bool,
    /// Cold starts per function for --lambda-init.
    #[arg(long, default_value_t = 7)]
    init_runs: usize,
    /// Instead of backups: build --users users x --days daily snapshots through the library and time the search
    /// index (no simulator, no oktavault binary).
    #[arg(long)]
    search: bool,
    /// Daily snapshots for --search.
    #[arg(long, default_value_t = 90)]
    days: usize,
    /// The share of users changed each day, for --search and --cost; for backups, the share of users, memberships
    /// and app assignments changed between the full run and the repeat one (0: none).
    #[arg(long, default_value_t = 0.01)]
    change: f64,
    /// Instead of backups: the AWS billing units of a first backup and --cost-days daily ones (the 7th a full
    /// refresh), with --change of the users and --groups-changed groups changed each day, and of a month.
    #[arg(long)]
    cost: bool,
    /// Daily backups after the first, for --cost.
    #[arg(long, default_value_t = 7)]
    cost_days: usize,
    /// Groups that gain a member each day, for --cost.
    #[arg(long, default_value_t = 5)]
    groups_changed: usize,
    /// Where --packages and --lambda-init look for the functions (default: the target directory of this binary).
    #[arg(long)]
    target_dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    if args.packages || args.lambda_init {
        let init_runs = args.lambda_init.then_some(args.init_runs);
        return oktavault_bench::lambda_functions(args.target_dir, args.packages, init_runs).await;
    }
    if args.cost {
        for &users in &args.users {
            let bench = oktavault_bench::cost::CostBench {
                users,
                seed: args.seed,
                rate_scale: args.rate_scale,
                rate_share: args.rate_share,
                days: args.cost_days,
                change: args.change,
                groups_changed: args.groups_changed,
            };
            oktavault_bench::cost::run(&bench).await?;
        }
        return Ok(());
    }
    if args.search {
        for &users in &args.users {
            let bench = oktavault_bench::search::SearchBench {
                users,
                days: args.days,
                change: args.change,
            };
            oktavault_bench::search::run(&bench).await?;
        }
        return Ok(());
    }
    let binary = args
        .oktavault
        .clone()
        .unwrap_or(std::env::current_exe()?.with_file_name("oktavault"));
    if !binary.exists() {
        bail!(
            "{} not found: build it with `cargo build --release -p oktavault-cli`",
            binary.display()
        );
    }
    if args.download {
        for &users in &args.users {
            let bench = oktavault_bench::download::DownloadBench {
                users,
                seed: args.seed,
                rate_scale: args.rate_scale,
            };
            oktavault_bench::download::run(&binary, &bench).await?;
        }
        return Ok(());
    }
    if args.restore {
        for &users in &args.users {
            let bench = oktavault_bench::restore::RestoreBench {
                users,
                delete: args.delete,
                seed: args.seed,
                rate_scale: args.rate_scale,
                rate_share: args.rate_share,
            };
            oktavault_bench::restore::run(&binary, &bench).await?;
        }
        return Ok(());
    }
    for &users in &args.users {
        let mut config = SimConfig::new(users, args.seed);
        config.rate.scale = args.rate_scale;
        let sim = okta_sim::start(config, 0).await?;
        if args.per_step {
            let store = tempfile::tempdir()?;
            println!("\n{users} users, each step in a process of its own");
            steps::measure(&binary, store.path(), &sim, "full").await?;
            tokio::time::sleep(Duration::from_secs(61)).await;
            steps::measure(&binary, store.path(), &sim, "again").await?;
            sim.shutdown().await;
            continue;
        }
        let minimum = minimum_calls(&sim.snapshot_state());
        let store = tempfile::tempdir()?;
        let mut per_category: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        println!("\n{users} users");
        println!(
            "{:>6} {:>8} {:>8} {:>9} {:>9} {:>9} {:>6}  {}",
            "run", "calls", "minimum", "wall s", "bound s", "peak MiB", "429s", "bound set by"
        );
        for (i, run) in ["full", "again"].into_iter().enumerate() {
            if i > 0 {
                if args.change > 0.0 {
                    let changed = changes::change(&sim, args.change).await?;
                    println!(
                        "  changed between the runs ({:.1}%): {} users, {} memberships, {} app assignments",
                        args.change * 100.0,
                        changed.users,
                        changed.memberships,
                        changed.assignments
                    );
                }
                // Okta's buckets are org-wide and last a minute; real backups are hours apart, so
                // the previous run's use must not be charged to this one.
                tokio::time::sleep(Duration::from_secs(61)).await;
            }
            sim.reset_calls();
            let started = Instant::now();
            let report = backup(&binary, store.path(), &sim).await?;
            let wall = started.elapsed().as_secs_f64();
            let calls = sim.calls();
            let bound = backup_bound(&calls.by_endpoint, args.rate_scale, args.rate_share);
            println!(
                "{run:>6} {:>8} {:>8} {wall:>9.1} {:>9.1} {:>9.1} {:>6}  {}",
                calls.total(),
                minimum.values().sum::<u64>(),
                bound.time.as_secs_f64(),
                report["peak_memory_mib"].as_f64().unwrap_or(f64::NAN),
                report["rate_limited"].as_u64().unwrap_or(0),
                bound.slowest.unwrap_or("-")
            );
            for (category, n) in calls_per_category(&calls.by_endpoint) {
                per_category.entry(category).or_default().push(n);
            }
        }
        println!("{:>26} {:>8} {:>8} {:>8}", "category", "full", "again", "minimum");
        for category in CATEGORIES {
            let runs = per_category.get(category.name).cloned().unwrap_or_default();
            let at = |i: usize| runs.get(i).copied().unwrap_or(0);
            let min = minimum.get(category.name).copied().unwrap_or(0);
            println!("{:>26} {:>8} {:>8} {:>8}", category.name, at(0), at(1), min);
        }
        let other = per_category.get(OTHER).cloned().unwrap_or_default();
        let at = |i: usize| other.get(i).copied().unwrap_or(0);
        println!("{:>26} {:>8} {:>8} {:>8}", OTHER, at(0), at(1), "");
        sim.shutdown().await;
    }
    println!(
        "\nminimum = one call per page of a full listing at each endpoint's largest page size (plus the credential check)"
    );
    Ok(())
}

async fn backup(binary: &Path, store: &Path, sim: &SimHandle) -> anyhow::Result<serde_json::Value> {
    let out = tokio::process::Command::new(binary)
        .args([
            "--store",
            store.to_str().context("store path")?,
            "--json",
            "backup",
            "--org",
            &sim.url(),
        ])
        .args(["--token", &sim.api_token(), "--allow-local-org"])
        .output()
        .await?;
    if !out.status.success() {
        bail!(
            "the backup failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The shortest time the calls a run made could take at `share` of each bucket: the slowest bucket's calls over
/// its allowance a minute (the buckets are used side by side).
fn backup_bound(by_endpoint: &BTreeMap<String, u64>, scale: f64, share: f64) -> oktavault_bench::restore::Bound {
    let calls = by_endpoint.iter().filter_map(|(endpoint, n)| {
        let (method, template) = endpoint.split_once(' ')?;
        Some((method, template, *n))
    });
    let needs = oktavault_bench::restore::per_bucket(calls, scale);
    oktavault_bench::restore::bound(&needs, share, Duration::from_secs(60))
}

/// `/api/v1/groups/{groupId}/users` and `/api/v1/groups/{id}/users` alike: parameters blanked.
fn shape(template: &str) -> String {
    let path = template.split_once('?').map_or(template, |(p, _)| p);
    path.split('/')
        .map(|part| if part.starts_with('{') { "{}" } else { part })
        .collect::<Vec<_>>()
        .join("/")
}

fn category_paths(category: &Category) -> Vec<String> {
    match category.source {
        Source::List { passes } => passes.iter().map(|p| shape(p)).collect(),
        Source::PerParent { path, .. } | Source::PerParentAndName { path, .. } => vec![shape(path)],
        Source::Log { path } => vec![shape(path)],
        // The path comes from each parent object (a user type's schema link): counted under "other".
        Source::PerParentLink { .. } => Vec::new(),
    }
}

/// Calls no row's path names: user schemas (read at links inside user types) and the credential check.
const OTHER: &str = "other";

/// The simulator's call counts (`GET /api/v1/users` -> n) attributed to the catalog's categories.
fn calls_per_category(by_endpoint: &BTreeMap<String, u64>) -> Vec<(&'static str, u64)> {
    let mut out: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (endpoint, n) in by_endpoint {
        let Some(path) = endpoint.strip_prefix("GET ") else {
            continue;
        };
        let path = shape(path);
        let category = CATEGORIES.iter().find(|c| category_paths(c).contains(&path));
        *out.entry(category.map_or(OTHER, |c| c.name)).or_default() += n;
    }
    out.into_iter().collect()
}

/// Per category, the fewest calls a full listing of `state` needs: each list (pass or parent) at
/// its largest page size, one call per object endpoint; plus one credential check under "users".
fn minimum_calls(state: &OrgState) -> BTreeMap<&'static str, u64> {
    let contents = expected_contents(state);
    let pages = |n: usize, category: &Category| match (category.response, category.page_limit) {
        // Without a `limit` parameter the server picks the page size: at least one call.
        (Response::Object, _) | (Response::Array | Response::Wrapped { .. }, None) => 1,
        (Response::Array | Response::Wrapped { .. }, Some(limit)) => n.div_ceil(limit as usize).max(1) as u64,
    };
    let mut minimum = BTreeMap::new();
    for category in CATEGORIES {
        let calls = match category.source {
            Source::List { passes } => passes
                .iter()
                .map(|pass| pages(pass_size(state, &contents, category, pass), category))
                .sum(),
            Source::PerParent { parent, .. } | Source::PerParentLink { parent, .. } => {
                children_per_parent(&contents, category, parent)
                    .into_iter()
                    .map(|n| pages(n, category))
                    .sum()
            }
            // One unpaged call per (parent, name) pair.
            Source::PerParentAndName { parent, names, .. } => {
                (contents[parent].len() * contents.get(names).map_or(0, |n| n.len())) as u64
            }
            Source::Log { .. } => pages(contents.get(category.name).map_or(0, |c| c.len()), category),
        };
        minimum.insert(category.name, calls);
    }
    *minimum.entry("users").or_default() += 1;
    minimum
}

/// How many objects one list pass answers with.
fn pass_size(state: &OrgState, contents: &Contents, category: &Category, pass: &str) -> usize {
    let deprovisioned = state.users.iter().filter(|u| u["status"] == "DEPROVISIONED").count();
    match category.name {
        "users" if pass.contains("DEPROVISIONED") => deprovisioned,
        "users" => state.users.len() - deprovisioned,
        _ => okta_sim::everything_at(&state.resources, pass)
            .map(|items| items.len())
            .unwrap_or_else(|| contents.get(category.name).map_or(0, |c| c.len())),
    }
}

/// For each parent object, how many children of `category` it has (a child's id is
/// `<parent>/<own id>`, or the parent's id for one-per-parent objects).
/// Children per listed parent (the parents the row's filter selects).
fn children_per_parent(contents: &Contents, category: &Category, parent: &str) -> Vec<usize> {
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for id in contents.get(category.name).into_iter().flat_map(|c| c.keys()) {
        *counts.entry(id.as_str()).or_default() += 1;
        if let Some((p, _)) = id.rsplit_once('/') {
            *counts.entry(p).or_default() += 1;
        }
    }
    contents[parent]
        .iter()
        .filter(|(_, object)| {
            category.parent_filter.is_none_or(|f| {
                object
                    .pointer(f.pointer)
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|v| f.any_of.contains(&v))
            })
        })
        .map(|(p, _)| counts.get(p.as_str()).copied().unwrap_or(0))
        .collect()
}
