//! `oktavault-bench`: backs up simulated orgs with the real `oktavault` binary and prints, per
//! org size, the Okta calls made against the minimum the data needs, wall time and the backup
//! process's peak memory (its own `VmHWM`, from its report: a fork of this process, which holds
//! the simulator, would otherwise be counted). A benchmark, not a test: it asserts nothing.
//!
//!   cargo build --release -p oktavault-cli -p oktavault-bench
//!   target/release/oktavault-bench --users 10000,100000

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use okta_sim::{OrgState, SimConfig};

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
    /// The oktavault binary (default: beside this one).
    #[arg(long)]
    oktavault: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let binary = match args.oktavault {
        Some(path) => path,
        None => std::env::current_exe()?.with_file_name("oktavault"),
    };
    if !binary.exists() {
        bail!(
            "{} not found: build it with `cargo build --release -p oktavault-cli`",
            binary.display()
        );
    }
    println!(
        "{:>8} {:>6} {:>8} {:>8} {:>7} {:>9} {:>9} {:>6}",
        "users", "run", "calls", "minimum", "ratio", "wall s", "peak MiB", "429s"
    );
    for users in args.users {
        let mut config = SimConfig::new(users, args.seed);
        config.rate.scale = args.rate_scale;
        let sim = okta_sim::start(config, 0).await?;
        let minimum = minimum_calls(&sim.snapshot_state());
        let store = tempfile::tempdir()?;
        for run in ["full", "again"] {
            sim.reset_calls();
            let started = Instant::now();
            let out = tokio::process::Command::new(&binary)
                .args([
                    "--store",
                    store.path().to_str().context("store path")?,
                    "--json",
                    "backup",
                    "--org",
                    &sim.url(),
                ])
                .args(["--token", &sim.api_token(), "--allow-local-org"])
                .output()
                .await?;
            let wall = started.elapsed().as_secs_f64();
            if !out.status.success() {
                bail!(
                    "the backup of {users} users failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout)
                );
            }
            let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            let total = sim.calls().total();
            let throttled = report["rate_limited"].as_u64().unwrap_or(0);
            println!(
                "{users:>8} {run:>6} {total:>8} {minimum:>8} {:>7.2} {wall:>9.1} {:>9.1} {throttled:>6}",
                total as f64 / minimum as f64,
                report["peak_memory_mib"].as_f64().unwrap_or(f64::NAN)
            );
        }
        sim.shutdown().await;
    }
    println!("minimum = one call per page at each endpoint's largest page size, plus the credential check");
    Ok(())
}

/// The fewest calls a complete backup of `state` can make: every list at its largest page size
/// (as the category catalog gives it), one list per group and per app, and one credential check.
fn minimum_calls(state: &OrgState) -> u64 {
    let pages = |n: usize, limit: usize| n.div_ceil(limit).max(1) as u64;
    let deprovisioned = state.users.iter().filter(|u| u["status"] == "DEPROVISIONED").count();
    let limit = |name: &str| {
        oktavault_shared::categories::find(name)
            .expect("catalog row")
            .page_limit
            .map_or(usize::MAX, |l| l as usize)
    };
    let mut calls = 1 + pages(state.users.len() - deprovisioned, limit("users")) + pages(deprovisioned, limit("users"));
    calls += pages(state.groups.len(), limit("groups")) + pages(state.apps.len(), limit("apps"));
    calls += state
        .groups
        .iter()
        .map(|g| {
            pages(
                state.group_members.get(g["id"].as_str().unwrap()).map_or(0, Vec::len),
                limit("group_members"),
            )
        })
        .sum::<u64>();
    for app in &state.apps {
        let id = app["id"].as_str().unwrap();
        calls += pages(state.app_users.get(id).map_or(0, Vec::len), limit("app_users"));
        calls += pages(state.app_groups.get(id).map_or(0, Vec::len), limit("app_groups"));
    }
    calls
}
