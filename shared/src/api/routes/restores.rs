//! Restores: a plan (a dry run that reads the live org and writes nothing), an applied restore (held by the
//! guardrail when it changes too much: its report then carries the plan and a confirmation token, and the same
//! request with that token applies it), a restore's report, and the undo of one logged admin change.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{JobAccepted, Resource, launch_audited, org_id, readable_job, refuse_if_running};
use crate::api::audit::{self, Subject};
use crate::api::auth::{Caller, Role};
use crate::api::extract::{Json as Body, Path, Query};
use crate::api::launcher::Launch;
use crate::api::{Api, ApiError, RouteSet};
use crate::ids::{JobId, OrgId};
use crate::ports::{JobKind, OnConflict};
use crate::service::restore::{self, RestoreAsk, RestoreReport};
use crate::service::undo::{self, UndoAsk, UndoPlan};
use crate::timefmt;
use crate::workflow::restore::RestoreRequest;

pub const RESOURCE: Resource = Resource {
    routes,
    openapi: include_str!("restores.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new()
        .post("/v1/orgs/{org}/restore-plans", plan)
        .post("/v1/orgs/{org}/restores", apply)
        .get("/v1/restores/{job}", report)
        .post("/v1/orgs/{org}/undo", undo)
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestoreBody {
    /// A snapshot id, or `latest`.
    snapshot: String,
    /// The org the snapshot was taken of (by default the org restored into).
    source_org: Option<String>,
    select: Vec<String>,
    #[serde(default)]
    on_conflict: OnConflict,
    #[serde(default = "yes")]
    relationships: bool,
    #[serde(default = "yes")]
    activate: bool,
    #[serde(default)]
    leave_rule_memberships: bool,
    /// The token a held plan's report gave, to apply that plan.
    confirmation_token: Option<String>,
}

async fn plan(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
    Body(body): Body<RestoreBody>,
) -> Result<(StatusCode, Json<JobAccepted>), ApiError> {
    start(&api, &caller, &org, body, true).await
}

async fn apply(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
    Body(body): Body<RestoreBody>,
) -> Result<(StatusCode, Json<JobAccepted>), ApiError> {
    start(&api, &caller, &org, body, false).await
}

async fn start(
    api: &Api,
    caller: &Caller,
    org: &str,
    body: RestoreBody,
    dry_run: bool,
) -> Result<(StatusCode, Json<JobAccepted>), ApiError> {
    let target = org_id(org)?;
    let (role, action) = if dry_run {
        (Role::Operator, "restore.plan")
    } else {
        (Role::Admin, "restore")
    };
    audit::require(api.catalog.as_ref(), caller, role, action, &about(&target)).await?;
    let source_org = body.source_org.as_deref().map(org_id).transpose()?;
    if let Some(source) = &source_org {
        audit::require(api.catalog.as_ref(), caller, Role::Viewer, action, &about(source)).await?;
    }
    let ask = RestoreAsk {
        target_org: target.clone(),
        snapshot: body.snapshot,
        source_org,
        selection: body.select,
        on_conflict: body.on_conflict,
        relationships: body.relationships,
        activate: body.activate,
        dry_run,
        confirmed: false,
        leave_rule_memberships: body.leave_rule_memberships,
        confirmation_token: body.confirmation_token,
    };
    let request = restore::request(api.catalog.as_ref(), &ask).await?;
    let detail = describe(&request);
    launch(api, caller, action, request, detail).await
}

/// Starts the restore workflow for `request` under a new job id, audited first.
async fn launch(
    api: &Api,
    caller: &Caller,
    action: &str,
    mut request: RestoreRequest,
    detail: String,
) -> Result<(StatusCode, Json<JobAccepted>), ApiError> {
    refuse_if_running(api, &request.org_id, JobKind::Restore).await?;
    let job_id = JobId::generate(timefmt::now());
    request.new_job_id = Some(job_id.clone());
    let subject = Subject {
        org: Some(request.org_id.clone()),
        job: Some(job_id.clone()),
        snapshot: request.snapshot_id.clone(),
    };
    let org = request.org_id.clone();
    launch_audited(api, caller, action, &subject, detail, Launch::Restore(request)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(JobAccepted::new(job_id, org, JobKind::Restore, false)),
    ))
}

fn about(org: &OrgId) -> Subject {
    Subject::org(&org)
}

fn describe(request: &RestoreRequest) -> String {
    format!(
        "{} of {} from snapshot {} of {} (on conflict: {:?}{}{})",
        if request.dry_run { "plan" } else { "restore" },
        request.selection.join(" "),
        request
            .snapshot_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        request.source_org.as_ref().map(ToString::to_string).unwrap_or_default(),
        request.on_conflict,
        if request.confirmation_token.is_some() {
            ", confirmed with a token"
        } else {
            ""
        },
        if request.relationships {
            ", with relationships"
        } else {
            ""
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    /// Every planned object too (a dry run's plan, object by object).
    #[serde(default)]
    objects: bool,
}

async fn report(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(job): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Json<RestoreReport>, ApiError> {
    let job = readable_job(&api, &caller, &job).await?;
    Ok(Json(
        restore::report(api.catalog.as_ref(), &api.vault, &job.job_id, q.objects).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UndoBody {
    /// The System Log event's uuid.
    event: String,
    #[serde(default)]
    dry_run: bool,
    confirmation_token: Option<String>,
}

#[derive(Serialize)]
struct UndoAccepted {
    #[serde(flatten)]
    job: JobAccepted,
    undo: UndoPlan,
}

async fn undo(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
    Body(body): Body<UndoBody>,
) -> Result<(StatusCode, Json<UndoAccepted>), ApiError> {
    let org = org_id(&org)?;
    audit::require(api.catalog.as_ref(), &caller, Role::Admin, "undo", &about(&org)).await?;
    let ask = UndoAsk {
        org,
        event: body.event,
        dry_run: body.dry_run,
        confirmed: false,
    };
    let mut plan = undo::plan(api.catalog.as_ref(), &api.vault, &ask).await?;
    plan.request.confirmation_token = body.confirmation_token;
    let detail = format!(
        "undo of System Log event {} ({}): {}",
        plan.event.uuid,
        plan.event.event_type,
        describe(&plan.request)
    );
    let (status, Json(job)) = launch(&api, &caller, "undo", plan.request.clone(), detail).await?;
    Ok((status, Json(UndoAccepted { job, undo: plan })))
}
