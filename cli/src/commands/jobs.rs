//! `oktavault jobs` and `oktavault job ID`: job state, counts and the per-object log.

use std::path::Path;

use anyhow::Context;
use oktavault_shared::ids::{JobId, OrgId};
use oktavault_shared::service::jobs;

use crate::args::{JobArgs, JobsArgs};
use crate::output::Output;
use crate::store::Store;

pub async fn list(store_dir: &Path, args: JobsArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let org = args.org.map(OrgId::new).transpose()?;
    out.emit(&jobs::list(store.catalog.as_ref(), org.as_ref()).await?);
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn show(store_dir: &Path, args: JobArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let job_id = JobId::new(args.job_id)?;
    let detail = jobs::detail(store.catalog.as_ref(), &job_id)
        .await?
        .with_context(|| format!("no job {job_id} in this store"))?;
    out.emit(&detail);
    Ok(std::process::ExitCode::SUCCESS)
}
