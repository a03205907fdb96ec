//! `oktavault restore`: plans a restore of a snapshot's selection into an org, shows the plan (`--dry-run`) or
//! applies it, through the embedded restore workflow. What `latest` means, which job runs and what the report
//! says are the service layer's.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use oktavault_shared::ids::{JobId, OrgId};
use oktavault_shared::okta::OktaClient;
use oktavault_shared::ports::{Catalog, JobStatus, OnConflict};
use oktavault_shared::service::restore::{self, RestoreAsk, RestoreReport};
use oktavault_shared::workflow::StaticConnector;
use oktavault_shared::workflow::embedded::run_restore;
use oktavault_shared::workflow::restore::RestoreRequest;

use super::authorize::{authorize, restore_scopes};
use crate::args::{ConflictArg, RestoreArgs};
use crate::output::Output;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: RestoreArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let (org, client) = authorize(&store, &args.org, restore_scopes).await?;
    let catalog = store.catalog.as_ref();
    let request = match &args.resume {
        Some(job) => {
            let request = restore::resume(catalog, &JobId::new(job.as_str())?).await?;
            if request.org_id != org.org_id {
                bail!("restore job {job} restores into {}, not {}", request.org_id, org.org_id);
            }
            request
        }
        None => {
            let ask = RestoreAsk {
                target_org: org.org_id.clone(),
                snapshot: args
                    .snapshot
                    .clone()
                    .context("name the snapshot to restore (an id, or latest)")?,
                source_org: args.source_org.as_deref().map(OrgId::new).transpose()?,
                selection: args.select.clone(),
                on_conflict: match (args.missing_only, args.on_conflict) {
                    (true, _) | (false, ConflictArg::Skip) => OnConflict::Skip,
                    (false, ConflictArg::Overwrite) => OnConflict::Overwrite,
                    (false, ConflictArg::Merge) => OnConflict::Merge,
                },
                relationships: !args.no_relationships,
                activate: !args.no_activate,
                dry_run: args.dry_run,
                confirmed: args.yes,
                leave_rule_memberships: args.leave_rule_memberships,
                confirmation_token: args.confirm.clone(),
            };
            restore::request(catalog, &ask).await?
        }
    };
    let (report, code) = execute(&store, org.org_id, client, &request, args.page_budget_secs, out).await?;
    out.emit(&report);
    Ok(code)
}

/// Runs `request` through the embedded restore workflow against the org `client` reaches, and answers the job's
/// report (every planned object on a dry run) with the exit code its status calls for.
pub async fn execute(
    store: &Store,
    org: OrgId,
    client: OktaClient,
    request: &RestoreRequest,
    page_budget_secs: u64,
    out: &Output,
) -> anyhow::Result<(RestoreReport, std::process::ExitCode)> {
    let connector = StaticConnector::default();
    connector.register(org.clone(), client);
    let ctx = store
        .step_context(Arc::new(connector))
        .with_page_budget(Duration::from_secs(page_budget_secs));
    out.note(format!(
        "{} the restore into {org}...",
        if request.dry_run {
            "Planning"
        } else {
            "Planning and applying"
        },
    ));
    let run = run_restore(Arc::new(ctx), request).await;
    let Some(job_id) = run.job_id else {
        let why = run
            .failure
            .or_else(|| run.outcome.err().map(|e| e.cause))
            .unwrap_or_else(|| "the restore workflow ended without a job".into());
        bail!("the restore did not start: {why}");
    };
    let catalog = store.catalog.as_ref();
    let report = restore::report(catalog, &store.vault, &job_id, request.dry_run).await?;
    let status = catalog.get_job(&job_id).await?.map(|j| j.status);
    let code = match status {
        Some(JobStatus::Completed) => std::process::ExitCode::SUCCESS,
        Some(JobStatus::CompletedWithErrors) => std::process::ExitCode::from(2),
        _ => std::process::ExitCode::from(1),
    };
    Ok((report, code))
}
