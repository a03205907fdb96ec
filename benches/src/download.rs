//! `--download`: backs up an org of --users (users, groups and memberships only: what a CSV download holds), then
//! downloads its users and memberships as CSV (a zip of two files) with the real `oktavault` binary, and prints the
//! download's wall time, the file's size and the download process's peak memory (its own `VmHWM`, from its
//! report). The bound is 256 MiB at 100,000 users: the file is streamed, so memory must not grow with it.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use okta_sim::SimConfig;

pub struct DownloadBench {
    pub users: usize,
    pub seed: u64,
    pub rate_scale: f64,
}

pub async fn run(binary: &Path, bench: &DownloadBench) -> anyhow::Result<()> {
    let mut config = SimConfig::new(bench.users, bench.seed);
    config.rate.scale = bench.rate_scale;
    let sim = okta_sim::start(config, 0).await?;
    let store = tempfile::tempdir()?;
    let store_arg = store.path().to_str().context("store path")?;
    let started = Instant::now();
    let backup = tokio::process::Command::new(binary)
        .args(["--store", store_arg, "--json", "backup", "--org", &sim.url()])
        .args(["--token", &sim.api_token(), "--allow-local-org"])
        .args(["--categories", "users,groups,group_members"])
        .output()
        .await?;
    if !backup.status.success() {
        bail!(
            "the backup failed ({}): {}",
            backup.status,
            String::from_utf8_lossy(&backup.stdout)
        );
    }
    let backed_up = started.elapsed().as_secs_f64();
    sim.shutdown().await;

    let out_dir = tempfile::tempdir()?;
    let file = out_dir.path().join("download.zip");
    let started = Instant::now();
    let download = tokio::process::Command::new(binary)
        .args(["--store", store_arg, "--json", "download", "latest"])
        .args(["--select", "users,group_members", "--format", "csv"])
        .arg("-o")
        .arg(&file)
        .output()
        .await?;
    let wall = started.elapsed().as_secs_f64();
    if !download.status.success() {
        bail!(
            "the download failed ({}): {}{}",
            download.status,
            String::from_utf8_lossy(&download.stdout),
            String::from_utf8_lossy(&download.stderr)
        );
    }
    let report: serde_json::Value = serde_json::from_slice(&download.stdout)?;
    let size = std::fs::metadata(&file)?.len() as f64 / (1024.0 * 1024.0);
    println!(
        "\n{} users: backup {backed_up:.0} s; CSV download of users and memberships",
        bench.users
    );
    println!(
        "{:>10} {:>12} {:>9} {:>10} {:>9}",
        "users", "memberships", "wall s", "file MiB", "peak MiB"
    );
    println!(
        "{:>10} {:>12} {wall:>9.1} {size:>10.1} {:>9.1}",
        report["objects"]["users"].as_u64().unwrap_or(0),
        report["objects"]["group_members"].as_u64().unwrap_or(0),
        report["peak_memory_mib"].as_f64().unwrap_or(f64::NAN),
    );
    Ok(())
}
