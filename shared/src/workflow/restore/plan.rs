//! PlanRestore: chooses the restore job (a new one, or the org's interrupted one with the same request), takes
//! the org's restore lease, and writes the plan: the snapshot's selection against the live target org. Answers
//! with the stages to apply, or none (a dry run, or a plan the guardrail holds: FinalizeRestore says which).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::{id_maps, keep_ids, spec};
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{JobKind, JobRecord, JobStatus, OnConflict, OrgRecord, RestoreSpec};
use crate::restore::generic::Orgs;
use crate::restore::guardrail::{Changes, Guardrail, confirmation_token};
use crate::restore::kinds::Kind;
use crate::restore::live::LiveOrg;
use crate::restore::plan::{PlanOptions, PlanSummary, in_order, plan};
use crate::restore::{select, stored};
use crate::snapshot::SnapshotReader;
use crate::timefmt;
use crate::workflow::job::{job_log, reopen};
use crate::workflow::{StepContext, StepError, lease};

/// What a host asks for: a restore into the org `org_id`, or the continuation of one of its restore jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreRequest {
    /// The org restored into.
    pub org_id: OrgId,
    /// Continue this job (interrupted, or failed for a transient cause); the rest of the request is its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    /// The id the new job takes, chosen by a host that answers with the job before the workflow runs (the HTTP
    /// API). Once that job exists, the request continues it (a repeated PlanRestore); a random id otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_job_id: Option<JobId>,
    /// The org the snapshot was taken of, and the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_org: Option<OrgId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<SnapshotId>,
    #[serde(default)]
    pub selection: Vec<String>,
    #[serde(default)]
    pub on_conflict: OnConflict,
    #[serde(default = "yes")]
    pub relationships: bool,
    #[serde(default = "yes")]
    pub activate: bool,
    #[serde(default)]
    pub dry_run: bool,
    /// A person confirmed a plan the guardrail holds.
    #[serde(default)]
    pub confirmed: bool,
    /// Leave the memberships of groups an active rule assigns to the rule, rather than add them back directly.
    #[serde(default)]
    pub leave_rule_memberships: bool,
    /// Confirms a plan the guardrail held, when planning finds the same changes again (the API's `--yes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanRestoreInput {
    pub request: RestoreRequest,
    pub owner: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanRestoreOutput {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub owner: String,
    /// Whether the plan is applied (false: a dry run, or held by the guardrail).
    pub apply: bool,
    /// Categories in restore order: a stage starts when the one before it is complete.
    pub stages: Vec<Vec<String>>,
    /// True when an unfinished job was picked up rather than created.
    pub resumed: bool,
}

pub async fn plan_restore(ctx: &StepContext, input: PlanRestoreInput) -> Result<PlanRestoreOutput, StepError> {
    let request = &input.request;
    let org = ctx.registered_org(&request.org_id).await?;
    let (job, resumed) = choose_job(ctx, &org, request, &input.owner).await?;
    let spec = spec(&job)?.clone();
    let client = ctx.okta.client_for(&org).await?;
    client.check_credentials().await?;

    let summary = match stored::read_head(&ctx.vault, &org.org_id, &job.job_id).await? {
        Some(summary) => summary,
        None => write_plan(ctx, &job, &spec, &client).await?,
    };
    Ok(PlanRestoreOutput {
        job_id: job.job_id,
        org_id: org.org_id,
        owner: input.owner,
        apply: summary.may_apply(),
        stages: summary.stages,
        resumed,
    })
}

/// Reads the selection and the live org and writes the plan.
async fn write_plan(
    ctx: &StepContext,
    job: &JobRecord,
    spec: &RestoreSpec,
    client: &crate::okta::OktaClient,
) -> Result<PlanSummary, StepError> {
    let reader = SnapshotReader::open(ctx.vault.clone(), &spec.source_org, &spec.snapshot_id).await?;
    let selected = select::select(&reader, &spec.selection, spec.relationships).await?;
    let same_org = spec.source_org == job.org_id;
    let orgs = if same_org {
        None
    } else {
        Some(orgs(ctx, &reader, spec, job, client).await?)
    };
    let mut live =
        LiveOrg::new(client, same_org, id_maps(ctx, &spec.source_org, &job.org_id).await?).with_orgs(orgs.clone());
    let options = PlanOptions {
        on_conflict: spec.on_conflict,
        activate: spec.activate,
        same_org,
        leave_rule_memberships: spec.leave_rule_memberships,
    };
    let planned = plan(&selected, &mut live, options).await?;
    // What planning matched by natural key in another org is the id map's from now on.
    let matches = planned
        .matches
        .iter()
        .flat_map(|(kind, pairs)| {
            pairs
                .iter()
                .map(|(old, new)| (kind.category(), old.clone(), new.clone()))
        })
        .chain(
            planned
                .client_ids
                .iter()
                .map(|(old, new)| (crate::restore::live::CLIENT_IDS, old.clone(), new.clone())),
        )
        .collect();
    keep_ids(ctx, spec, &job.org_id, &format!("{}-plan", job.job_id), matches).await?;

    let mut summary = PlanSummary {
        job_id: job.job_id.clone(),
        target_org: job.org_id.clone(),
        source_org: spec.source_org.clone(),
        snapshot_id: spec.snapshot_id.clone(),
        selection: spec.selection.clone(),
        on_conflict: spec.on_conflict,
        relationships: spec.relationships,
        leave_rule_memberships: spec.leave_rule_memberships,
        activate: spec.activate,
        dry_run: spec.dry_run,
        planned_at: timefmt::rfc3339(timefmt::now()),
        stages: stages(planned.objects.keys().copied()),
        categories: BTreeMap::new(),
        emails: planned.emails,
        held: Vec::new(),
        confirmed: spec.confirmed,
        confirmation_token: None,
        live_calls: live.calls(),
        notes: snapshot_notes(&reader, planned.objects.keys().copied()),
        orgs,
    };
    for kind in planned.objects.keys() {
        let head = reader.head().categories.get(kind.category());
        let counted = live.count(*kind).map(|n| n as u64);
        summary.categories.entry(kind.category().to_owned()).or_default().live =
            counted.or(head.map(|h| h.objects)).unwrap_or(0);
    }
    let key = plan_key(ctx, job).await?;
    stored::write_objects(&ctx.vault, &key, &mut summary, &planned.objects).await?;
    summary.held = Guardrail::default().check(
        summary.categories.iter().map(|(category, c)| Changes {
            category,
            changed: c.changed,
            live: c.live,
        }),
        summary.emails,
    );
    if !summary.held.is_empty() {
        let token = confirmation_token(&summary);
        match spec.confirmation_token.as_deref() {
            Some(given) if given == token => summary.confirmed = true,
            Some(given) => summary.notes.push(format!(
                "the confirmation token {given} is not this plan's: the org or the request changed since it was \
                 given; review this plan and confirm it with its own token"
            )),
            None => {}
        }
        summary.confirmation_token = Some(token);
    }
    stored::write_head(&ctx.vault, &key, &summary).await?;
    Ok(summary)
}

/// The order categories are restored in, as stages ([`crate::restore::plan::in_order`]).
fn stages(kinds: impl Iterator<Item = Kind>) -> Vec<Vec<String>> {
    in_order(kinds)
        .into_iter()
        .map(|stage| stage.into_iter().map(|k| k.category().to_owned()).collect())
        .collect()
}

/// The source and target org as ORNs (their `00o` ids) and hrefs (their URLs) name them.
async fn orgs(
    ctx: &StepContext,
    reader: &SnapshotReader,
    spec: &RestoreSpec,
    job: &JobRecord,
    client: &crate::okta::OktaClient,
) -> Result<Orgs, StepError> {
    let (source, target) = (
        ctx.registered_org(&spec.source_org).await?,
        ctx.registered_org(&job.org_id).await?,
    );
    let id_of = |settings: Option<&serde_json::Value>| {
        settings
            .and_then(|s| s.get("id"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let from = reader.object("org_settings", "org").await?;
    let to = client.get_json("/api/v1/org").await?;
    Ok(Orgs {
        from_url: source.url,
        to_url: target.url,
        from_id: id_of(from.as_ref()),
        to_id: id_of(Some(&to)),
    })
}

/// What the snapshot lacks of the restored categories (skipped, or incomplete when it was taken).
fn snapshot_notes(reader: &SnapshotReader, kinds: impl Iterator<Item = Kind>) -> Vec<String> {
    let mut notes = Vec::new();
    for kind in kinds {
        let Some(head) = reader.head().categories.get(kind.category()) else {
            continue;
        };
        if let Some(why) = &head.skipped {
            notes.push(format!("the snapshot has no {}: {why}", kind.category()));
        }
        for incomplete in &head.incomplete {
            notes.push(format!(
                "the snapshot lacks part of {} ({}): {}",
                kind.category(),
                incomplete.part,
                incomplete.reason
            ));
        }
    }
    notes
}

/// The key the job's plan is sealed with (a data key of its own, bound to the target org).
async fn plan_key(ctx: &StepContext, job: &JobRecord) -> Result<crate::snapshot::SealingKey, StepError> {
    let spec = spec(job)?;
    let wrapped = job
        .wrapped_key
        .as_ref()
        .ok_or_else(|| StepError::fatal(format!("job {} has no plan key", job.job_id)))?;
    let wrapped = BASE64
        .decode(wrapped)
        .map_err(|e| StepError::fatal(format!("job {}: its wrapped plan key is not base64: {e}", job.job_id)))?;
    Ok(ctx
        .vault
        .sealing_key_from_wrapped(&job.org_id, &spec.plan_key, &wrapped)
        .await?)
}

/// The job this restore runs, with the org's restore lease taken for `owner`, and whether it continues one.
async fn choose_job(
    ctx: &StepContext,
    org: &OrgRecord,
    request: &RestoreRequest,
    owner: &str,
) -> Result<(JobRecord, bool), StepError> {
    let continued = match (&request.job_id, &request.new_job_id) {
        (Some(job_id), _) => Some(job_id),
        (None, Some(job_id)) if ctx.catalog.get_job(job_id).await?.is_some() => Some(job_id),
        _ => None,
    };
    if let Some(job_id) = continued {
        let job = ctx
            .catalog
            .get_job(job_id)
            .await?
            .filter(|j| j.kind == JobKind::Restore && j.org_id == org.org_id)
            .ok_or_else(|| StepError::fatal(format!("no restore job {job_id} into {}", org.org_id)))?;
        lease::take(ctx, &org.org_id, JobKind::Restore, &job.job_id, owner).await?;
        return match job.status {
            JobStatus::Running => Ok((job, true)),
            JobStatus::Failed if job.resumable => Ok((reopen(ctx, &job).await?, true)),
            status => Err(StepError::fatal(format!(
                "restore job {} already ended ({status}{}); start a new restore",
                job.job_id,
                if status == JobStatus::Failed {
                    ", for a cause that does not heal by retrying"
                } else {
                    ""
                }
            ))),
        };
    }
    let wanted = new_spec(request)?;
    let jobs = ctx.catalog.list_jobs(&org.org_id, Some(JobStatus::Running)).await?;
    let interrupted: Vec<&JobRecord> = jobs.iter().filter(|j| j.kind == JobKind::Restore).collect();
    for running in &interrupted {
        // Refuses, naming the job and its runner, while that runner still holds the lease.
        lease::take(ctx, &org.org_id, JobKind::Restore, &running.job_id, owner).await?;
        // A request with its own job id starts that job: the host has already named it to a person.
        if request.new_job_id.is_none() && running.restore.as_ref().is_some_and(|s| same_request(s, &wanted)) {
            job_log(
                ctx,
                &running.job_id,
                &format!("continued-by-{owner}"),
                "its runner stopped; continued from its saved positions".into(),
            )
            .await?;
            return Ok(((*running).clone(), true));
        }
    }
    let now = timefmt::now();
    let job_id = request.new_job_id.clone().unwrap_or_else(|| JobId::generate(now));
    lease::take(ctx, &org.org_id, JobKind::Restore, &job_id, owner).await?;
    for stale in interrupted {
        end_interrupted(ctx, stale, &job_id).await?;
    }
    let key = ctx.vault.new_sealing_key(&org.org_id, &wanted.plan_key).await?;
    let job = JobRecord {
        job_id,
        org_id: org.org_id.clone(),
        kind: JobKind::Restore,
        status: JobStatus::Running,
        created_at: timefmt::rfc3339(now),
        updated_at: timefmt::rfc3339(now),
        finished_at: None,
        snapshot_id: None,
        previous_snapshot: None,
        full_refresh: false,
        wrapped_key: Some(BASE64.encode(key.wrapped())),
        categories: Vec::new(),
        counts: BTreeMap::new(),
        error: None,
        resumable: false,
        reopened: 0,
        trigger: Default::default(),
        restore: Some(wanted),
        download: None,
    };
    ctx.catalog.create_job(&job).await?;
    Ok((job, false))
}

fn new_spec(request: &RestoreRequest) -> Result<RestoreSpec, StepError> {
    let (Some(source_org), Some(snapshot_id)) = (&request.source_org, &request.snapshot_id) else {
        return Err(StepError::fatal(
            "a restore names the snapshot to restore and the org it was taken of",
        ));
    };
    if request.selection.is_empty() {
        return Err(StepError::fatal(
            "a restore selects what to restore: CATEGORY, CATEGORY:ID_OR_NAME or all",
        ));
    }
    Ok(RestoreSpec {
        source_org: source_org.clone(),
        snapshot_id: snapshot_id.clone(),
        selection: request.selection.clone(),
        on_conflict: request.on_conflict,
        relationships: request.relationships,
        activate: request.activate,
        dry_run: request.dry_run,
        confirmed: request.confirmed,
        leave_rule_memberships: request.leave_rule_memberships,
        confirmation_token: request.confirmation_token.clone(),
        plan_key: SnapshotId::generate(timefmt::now()),
    })
}

/// Whether an interrupted job was asked for the same restore (the confirmation may differ).
fn same_request(a: &RestoreSpec, b: &RestoreSpec) -> bool {
    (
        &a.source_org,
        &a.snapshot_id,
        &a.selection,
        a.on_conflict,
        a.relationships,
        a.activate,
        a.dry_run,
        a.leave_rule_memberships,
    ) == (
        &b.source_org,
        &b.snapshot_id,
        &b.selection,
        b.on_conflict,
        b.relationships,
        b.activate,
        b.dry_run,
        b.leave_rule_memberships,
    )
}

/// Ends an interrupted restore that a different one replaces. Its plan stays, as a record of what it did.
async fn end_interrupted(ctx: &StepContext, job: &JobRecord, by: &JobId) -> Result<(), StepError> {
    let now = timefmt::rfc3339(timefmt::now());
    let ended = JobRecord {
        status: JobStatus::Failed,
        resumable: false,
        updated_at: now.clone(),
        finished_at: Some(now),
        error: Some(format!(
            "interrupted, and replaced by restore job {by}, which was asked for a different restore"
        )),
        ..job.clone()
    };
    ctx.catalog.update_job(&ended, JobStatus::Running).await?;
    Ok(())
}
