//! `oktavault jobs` and `oktavault job ID`: job status, counts and the per-object log.

use std::fmt;
use std::path::Path;

use anyhow::Context;
use oktavault_shared::ids::{JobId, OrgId};
use oktavault_shared::ports::{Catalog, JobRecord, LogEntry};
use serde::Serialize;

use crate::args::{JobArgs, JobsArgs};
use crate::output::{Output, category_width};
use crate::store::Store;

pub async fn list(store_dir: &Path, args: JobsArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let wanted = args.org.map(OrgId::new).transpose()?;
    let mut jobs = Vec::new();
    for org in store.catalog.list_orgs().await? {
        if wanted.as_ref().is_none_or(|w| *w == org.org_id) {
            jobs.extend(store.catalog.list_jobs(&org.org_id, None).await?);
        }
    }
    out.emit(&JobList { jobs });
    Ok(std::process::ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct JobList {
    jobs: Vec<JobRecord>,
}

impl fmt::Display for JobList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.jobs.is_empty() {
            return writeln!(f, "No jobs yet.");
        }
        for j in &self.jobs {
            let snapshot = j.snapshot_id.as_ref().map(|s| s.to_string()).unwrap_or_default();
            writeln!(
                f,
                "{:<34} {:<28} {:<22} {:<22} {snapshot}",
                j.job_id,
                j.org_id,
                j.created_at,
                j.status.as_str()
            )?;
        }
        Ok(())
    }
}

pub async fn show(store_dir: &Path, args: JobArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let job_id = JobId::new(args.job_id)?;
    let job = store
        .catalog
        .get_job(&job_id)
        .await?
        .with_context(|| format!("no job {job_id} in this store"))?;
    let log = store.catalog.read_log(&job_id).await?;
    out.emit(&JobView { job, log });
    Ok(std::process::ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct JobView {
    job: JobRecord,
    log: Vec<LogEntry>,
}

impl fmt::Display for JobView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let j = &self.job;
        writeln!(f, "Job {} ({:?}) of {}: {}", j.job_id, j.kind, j.org_id, j.status)?;
        if let Some(error) = &j.error {
            writeln!(f, "  error: {error}")?;
        }
        let w = category_width();
        for (name, c) in super::browse::in_catalog_order(j.counts.iter()) {
            writeln!(
                f,
                "  {name:<w$} {:>8} objects {:>8} new {:>4} errors",
                c.objects, c.new_objects, c.errors
            )?;
        }
        if !self.log.is_empty() {
            writeln!(f, "Log:")?;
        }
        for line in &self.log {
            let object = line.object_id.as_deref().unwrap_or("-");
            writeln!(
                f,
                "  {} {:<w$} {:<24} {:<8} {}",
                line.at,
                line.category,
                object,
                line.outcome,
                line.message,
                w = category_width()
            )?;
        }
        Ok(())
    }
}
