//! `oktavault diff A B`: what changed between two snapshots of an org; `oktavault diff A --live`: what changed in the
//! org since snapshot A. Both per category, at attribute level, with the comparison the restore plan uses.

use std::path::Path;

use anyhow::{Context, bail};
use oktavault_shared::service::diff::{diff_live, diff_snapshots};

use super::authorize::{authorize, backup_scopes};
use crate::args::DiffArgs;
use crate::output::Output;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: DiffArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let from = store.resolve_snapshot(&args.from).await?;
    if args.live {
        let org_args = args
            .org
            .as_ref()
            .context("--live needs the org: --org URL and its credentials")?;
        let (org, client) = authorize(&store, org_args, backup_scopes).await?;
        if org.org_id != from.org_id {
            bail!(
                "{} is a snapshot of {}, not of {}: --live compares a snapshot with the org it was taken of",
                from.snapshot_id,
                from.org_id,
                org.org_id
            );
        }
        out.note(format!(
            "Reading {} to compare it with {}...",
            org.org_id, from.snapshot_id
        ));
        out.emit(&diff_live(&store.vault, &from, &client, &args.categories).await?);
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let to = store
        .resolve_snapshot(args.to.as_deref().context("name the later snapshot, or give --live")?)
        .await?;
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
