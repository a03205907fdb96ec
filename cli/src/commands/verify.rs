//! `oktavault verify`: reads and authenticates every blob a snapshot needs.

use std::path::Path;

use oktavault_shared::service::verify;

use crate::args::VerifyArgs;
use crate::output::Output;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: VerifyArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let records = match &args.snapshot {
        Some(wanted) => vec![store.resolve_snapshot(wanted).await?],
        None => store.snapshots(None).await?,
    };
    let report = verify::verify(&store.vault, records).await;
    out.emit(&report);
    Ok(if report.ok() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    })
}
