//! `oktavault diff A B`: what changed between two snapshots of an org, per category, at attribute level.

use std::path::Path;

use anyhow::bail;
use oktavault_shared::service::diff::diff_snapshots;

use crate::args::DiffArgs;
use crate::output::Output;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: DiffArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let from = store.resolve_snapshot(&args.from).await?;
    let to = store.resolve_snapshot(&args.to).await?;
    if from.org_id != to.org_id {
        bail!(
            "{} is a snapshot of {} and {} of {}: diff compares two snapshots of one org",
            from.snapshot_id,
            from.org_id,
            to.snapshot_id,
            to.org_id
        );
    }
    out.emit(&diff_snapshots(&store.vault, &from, &to).await?);
    Ok(std::process::ExitCode::SUCCESS)
}
