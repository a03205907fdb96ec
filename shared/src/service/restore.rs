//! Restores as a person asks for them and reads about them: the request resolved (`latest`, the snapshot's org,
//! the selection checked) before any job starts, and the report of a restore job (its plan, what became of each
//! category, and every object that failed, with why).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::jobs::{JobState, state_of};
use super::{ServiceError, snapshots};
use crate::ids::{JobId, OrgId};
use crate::ports::{Catalog, JobKind, JobRecord, LogEntry, OnConflict};
use crate::restore::plan::{PlanSummary, PlannedObject};
use crate::restore::{select, stored};
use crate::snapshot::Vault;
use crate::workflow::restore::{RestoreRequest, Tally, tallies};

/// A restore as a person asks for it.
#[derive(Debug, Clone)]
pub struct RestoreAsk {
    /// The org restored into.
    pub target_org: OrgId,
    /// A snapshot id, or `latest`.
    pub snapshot: String,
    /// The org the snapshot was taken of; by default the target org (for `latest`) or the org holding the id.
    pub source_org: Option<OrgId>,
    pub selection: Vec<String>,
    pub on_conflict: OnConflict,
    pub relationships: bool,
    pub activate: bool,
    pub dry_run: bool,
    pub confirmed: bool,
    /// Leave memberships of groups an active rule assigns to the rule (`--leave-rule-memberships`).
    pub leave_rule_memberships: bool,
    /// The token a held plan gave, to confirm it (what the HTTP API takes in place of `--yes`).
    pub confirmation_token: Option<String>,
}

/// The workflow request for `ask`, or why it cannot run.
pub async fn request(catalog: &dyn Catalog, ask: &RestoreAsk) -> Result<RestoreRequest, ServiceError> {
    if catalog.get_org(&ask.target_org).await?.is_none() {
        return Err(ServiceError::NotFound(format!(
            "org {} is not registered; authorize it first",
            ask.target_org
        )));
    }
    select::check(&ask.selection).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let org = match (&ask.source_org, ask.snapshot.as_str()) {
        (Some(source), _) => Some(source),
        (None, "latest") => Some(&ask.target_org),
        (None, _) => None,
    };
    let snapshot = snapshots::resolve(catalog, &ask.snapshot, org).await?;
    Ok(RestoreRequest {
        org_id: ask.target_org.clone(),
        job_id: None,
        new_job_id: None,
        source_org: Some(snapshot.org_id),
        snapshot_id: Some(snapshot.snapshot_id),
        selection: ask.selection.clone(),
        on_conflict: ask.on_conflict,
        relationships: ask.relationships,
        activate: ask.activate,
        dry_run: ask.dry_run,
        confirmed: ask.confirmed,
        leave_rule_memberships: ask.leave_rule_memberships,
        confirmation_token: ask.confirmation_token.clone(),
    })
}

/// The request that continues restore job `job_id` (interrupted, or failed for a transient cause).
pub async fn resume(catalog: &dyn Catalog, job_id: &JobId) -> Result<RestoreRequest, ServiceError> {
    let job = restore_job(catalog, job_id).await?;
    Ok(RestoreRequest {
        org_id: job.org_id,
        job_id: Some(job.job_id),
        new_job_id: None,
        source_org: None,
        snapshot_id: None,
        selection: Vec::new(),
        on_conflict: OnConflict::default(),
        relationships: true,
        activate: true,
        dry_run: false,
        confirmed: false,
        leave_rule_memberships: false,
        confirmation_token: None,
    })
}

async fn restore_job(catalog: &dyn Catalog, job_id: &JobId) -> Result<JobRecord, ServiceError> {
    catalog
        .get_job(job_id)
        .await?
        .filter(|j| j.kind == JobKind::Restore)
        .ok_or_else(|| ServiceError::NotFound(format!("no restore job {job_id}")))
}

/// A restore job as a person reads it.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub state: JobState,
    pub error: Option<String>,
    /// The plan's head (absent when planning did not finish).
    pub plan: Option<PlanSummary>,
    /// Every planned object, when asked for (a dry run shows them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects: Option<Vec<PlannedObject>>,
    /// What became of each category's objects.
    pub applied: BTreeMap<String, Tally>,
    /// The log lines of objects that failed, and of objects found changed since planning.
    pub failures: Vec<LogEntry>,
}

impl RestoreReport {
    pub fn failed_objects(&self) -> u64 {
        self.applied.values().map(|t| t.failed).sum()
    }
}

/// The report of restore job `job_id`; with `objects`, every planned object too.
pub async fn report(
    catalog: &dyn Catalog,
    vault: &Vault,
    job_id: &JobId,
    objects: bool,
) -> Result<RestoreReport, ServiceError> {
    let job = restore_job(catalog, job_id).await?;
    let plan = stored::read_head(vault, &job.org_id, &job.job_id).await?;
    let planned = match (&plan, objects) {
        (Some(plan), true) => {
            let mut all = Vec::new();
            for category in plan.stages.iter().flatten() {
                all.extend(stored::read_category(vault, plan, category).await?);
            }
            Some(all)
        }
        _ => None,
    };
    let applied = tallies(catalog, &job.job_id)
        .await
        .map_err(|e| ServiceError::Invalid(e.message))?
        .into_iter()
        .map(|(category, (tally, _))| (category, tally))
        .collect();
    let failures = catalog
        .read_log(&job.job_id)
        .await?
        .into_iter()
        .filter(|l| l.outcome == "failed" || l.outcome == "matched" || l.message.contains("since planning"))
        .collect();
    Ok(RestoreReport {
        state: state_of(catalog, &job).await?,
        job_id: job.job_id,
        org_id: job.org_id,
        error: job.error,
        plan,
        objects: planned,
        applied,
        failures,
    })
}

impl fmt::Display for RestoreReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(plan) = &self.plan {
            write!(f, "{plan}")?;
        }
        if let Some(objects) = &self.objects {
            writeln!(f, "Planned objects:")?;
            for object in objects {
                write!(f, "{object}")?;
            }
        }
        if !self.applied.is_empty() {
            writeln!(f, "Applied:")?;
            let order: Vec<&String> = match &self.plan {
                Some(plan) => plan.stages.iter().flatten().collect(),
                None => self.applied.keys().collect(),
            };
            for (category, t) in order.into_iter().filter_map(|c| self.applied.get(c).map(|t| (c, t))) {
                writeln!(
                    f,
                    "  {category:<13} created {:>6}  found {:>4}  updated {:>6}  reactivated {:>4}  unchanged {:>5}  \
                     skipped {:>6}  failed {:>4}",
                    t.created, t.matched, t.updated, t.reactivated, t.unchanged, t.skipped, t.failed
                )?;
            }
        }
        if !self.failures.is_empty() {
            writeln!(f, "Needs a look:")?;
            for line in &self.failures {
                writeln!(
                    f,
                    "  {} {} {}: {}",
                    line.outcome,
                    line.category,
                    line.object_id.as_deref().unwrap_or("-"),
                    line.message
                )?;
            }
        }
        let dry_run = self.plan.as_ref().is_some_and(|p| p.dry_run);
        writeln!(
            f,
            "Restore job {} into {}: {}{}",
            self.job_id,
            self.org_id,
            self.state,
            if dry_run { " (dry run: nothing was written)" } else { "" }
        )?;
        if let Some(error) = &self.error {
            writeln!(f, "  {error}")?;
        }
        Ok(())
    }
}
