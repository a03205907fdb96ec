//! `oktavault retention`: an org's retention policy, shown or set; `oktavault prune`: the sweep that applies it.

use std::path::Path;

use oktavault_shared::service::retention::{self, PolicyChange};
use oktavault_shared::timefmt;

use crate::args::{PruneArgs, RetentionArgs};
use crate::output::Output;
use crate::store::Store;

pub async fn policy(store_dir: &Path, args: RetentionArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let catalog = store.catalog.as_ref();
    let org = retention::resolve_org(catalog, &args.org).await?;
    let change = PolicyChange {
        days: args.days.map(|d| retention::parse_limit("--days", &d)).transpose()?,
        count: args.count.map(|c| retention::parse_limit("--count", &c)).transpose()?,
    };
    let settings = if change == PolicyChange::default() {
        retention::settings(catalog, &org.org_id).await?
    } else {
        retention::set_policy(catalog, &org.org_id, change).await?
    };
    out.emit(&settings);
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn prune(store_dir: &Path, args: PruneArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let catalog = store.catalog.as_ref();
    let org = match &args.org {
        Some(named) => Some(retention::resolve_org(catalog, named).await?.org_id),
        None => None,
    };
    let now = timefmt::now();
    if args.dry_run {
        out.emit(&retention::plan_all(catalog, org.as_ref(), now).await?);
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let report = retention::sweep_all(catalog, &store.vault, org.as_ref(), now, None).await?;
    out.emit(&report);
    Ok(if report.errors == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    })
}
