//! `oktavault download`: takes a snapshot's selection out as a file (JSON, CSV, or a zip of one file per
//! category) through the embedded download workflow, as a job with a status and a log; `--link JOB` says where a
//! finished download is. What `latest` means, which checks run first and what the report says are the service
//! layer's.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use oktavault_shared::ids::{JobId, OrgId};
use oktavault_shared::ports::{Catalog, JobStatus};
use oktavault_shared::service::download::{self, DownloadAsk};
use oktavault_shared::workflow::StaticConnector;
use oktavault_shared::workflow::embedded::run_download;

use super::backup::peak_memory_mib;
use crate::args::DownloadArgs;
use crate::output::Output;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: DownloadArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let catalog = store.catalog.as_ref();
    if let Some(job) = &args.link {
        let expires = Duration::from_secs(args.expires_secs);
        let link = download::link(catalog, None, &JobId::new(job.as_str())?, expires).await?;
        out.emit(&link);
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let ask = DownloadAsk {
        snapshot: match (&args.snapshot, &args.from) {
            (Some(snapshot), _) => snapshot.clone(),
            (None, Some(_)) => String::new(),
            (None, None) => bail!("name the snapshot to download (an id, or latest), or --from and --to"),
        },
        from: args.from.clone(),
        to: args.to.clone(),
        org: args.org.as_deref().map(OrgId::new).transpose()?,
        selection: args.select.clone(),
        relationships: args.with_relationships,
        format: args.format.clone(),
        path: Some(
            args.output
                .clone()
                .context("name the file to write with -o PATH")?
                .to_string_lossy()
                .into_owned(),
        ),
    };
    let request = download::request(catalog, &ask).await?;
    let ctx = store
        .step_context(Arc::new(StaticConnector::default()))
        .with_page_budget(Duration::from_secs(args.page_budget_secs));
    out.note(format!(
        "Downloading from snapshot {} of {}...",
        request.snapshot_id, request.org_id
    ));
    let run = run_download(Arc::new(ctx), &request).await;
    let Some(job_id) = run.job_id else {
        let why = run
            .failure
            .or_else(|| run.outcome.err().map(|e| e.cause))
            .unwrap_or_else(|| "the download workflow ended without a job".into());
        bail!("the download did not start: {why}");
    };
    let report = Reported {
        report: download::report(catalog, &job_id).await?,
        peak_memory_mib: peak_memory_mib(),
    };
    out.emit(&report);
    let status = catalog.get_job(&job_id).await?.map(|j| j.status);
    Ok(match status {
        Some(JobStatus::Completed) => std::process::ExitCode::SUCCESS,
        Some(JobStatus::CompletedWithErrors) => std::process::ExitCode::from(2),
        _ => std::process::ExitCode::from(1),
    })
}

/// The download's report, with this process's peak memory (what the benchmark reads).
#[derive(serde::Serialize)]
struct Reported {
    #[serde(flatten)]
    report: download::DownloadReport,
    peak_memory_mib: Option<f64>,
}

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.report.fmt(f)
    }
}
