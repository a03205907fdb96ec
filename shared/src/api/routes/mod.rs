//! The API's resources, one module each, with its part of the OpenAPI document beside it (`<module>.yaml`: its
//! paths, indented under the document's `paths:`).

mod audit;
mod backups;
mod downloads;
mod jobs;
mod objects;
mod openapi;
mod orgs;
mod restores;
mod sessions;
mod snapshots;

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::Api;
use super::RouteSet;
use super::error::{ApiError, ErrorCode};
use crate::ids::{JobId, OrgId};
use crate::ports::JobKind;
use crate::service::jobs::{JobState, JobSummary, state_of};
use crate::timefmt;
use crate::workflow::runner::is_dead_local_runner;

/// A resource: its routes and its paths in the OpenAPI document.
pub struct Resource {
    pub routes: fn() -> RouteSet,
    pub openapi: &'static str,
}

/// The document's head: info, security, shared components; it ends with `paths:`, which the resources fill.
pub const OPENAPI_HEAD: &str = include_str!("../openapi.yaml");

pub const RESOURCES: &[Resource] = &[
    openapi::RESOURCE,
    orgs::RESOURCE,
    snapshots::RESOURCE,
    objects::RESOURCE,
    restores::RESOURCE,
    downloads::RESOURCE,
    backups::RESOURCE,
    jobs::RESOURCE,
    audit::RESOURCE,
    sessions::RESOURCE,
];

/// A path no route serves: outside `/v1`, the web console's file or page; otherwise a JSON 404.
pub async fn unknown_route(method: Method, uri: Uri) -> Response {
    if super::console::serves(&method, uri.path())
        && let Some(page) = super::console::respond(&uri)
    {
        return page;
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("no route {}: GET /v1/openapi.yaml lists every route", uri.path()),
    )
    .into_response()
}

/// A route asked with a method it does not take.
pub async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!(
            "{} does not take this method: GET /v1/openapi.yaml lists what each route takes",
            uri.path()
        ),
    )
}

fn org_id(value: &str) -> Result<OrgId, ApiError> {
    OrgId::new(value).map_err(|e| ApiError::invalid(format!("{value:?} is not an org id: {e}")))
}

fn job_id(value: &str) -> Result<JobId, ApiError> {
    JobId::new(value).map_err(|e| ApiError::invalid(format!("{value:?} is not a job id: {e}")))
}

/// A job that was started: the API answers with it at once (202) and the job's routes follow it.
#[derive(Debug, Clone, Serialize)]
pub struct JobAccepted {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub kind: JobKind,
    /// The job continues one that was interrupted (a backup of an org with an unfinished job).
    pub continues: bool,
    /// Where to follow it: the job, and its report.
    pub links: JobLinks,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobLinks {
    pub job: String,
    pub report: String,
}

impl JobAccepted {
    fn new(job_id: JobId, org_id: OrgId, kind: JobKind, continues: bool) -> Self {
        let report = match kind {
            JobKind::Backup => format!("/v1/jobs/{job_id}"),
            JobKind::Restore => format!("/v1/restores/{job_id}"),
            JobKind::Download => format!("/v1/downloads/{job_id}"),
        };
        Self {
            links: JobLinks {
                job: format!("/v1/jobs/{job_id}"),
                report,
            },
            job_id,
            org_id,
            kind,
            continues,
        }
    }
}

/// Starts the job `launch` under the audit trail: the entry that it started is written first (an action whose entry
/// cannot be written does not start), and a launch that fails is recorded as failed.
async fn launch_audited(
    api: &Api,
    caller: &super::auth::Caller,
    action: &str,
    about: &super::audit::Subject,
    detail: String,
    launch: super::launcher::Launch,
) -> Result<(), ApiError> {
    use crate::ports::AuditResult;
    let catalog = api.catalog.as_ref();
    super::audit::record(catalog, caller, action, about, AuditResult::Started, detail).await?;
    if let Err(e) = api.launcher.launch(launch).await {
        super::audit::record(catalog, caller, action, about, AuditResult::Failed, e.message.clone()).await?;
        return Err(e);
    }
    Ok(())
}

/// The lease of the org's job of `kind` while it holds it at `now_ms`: live, and not owned by a process of this
/// host that has died.
pub(crate) async fn held_lease(
    api: &Api,
    org: &OrgId,
    kind: JobKind,
    now_ms: i64,
) -> Result<Option<crate::ports::Lease>, ApiError> {
    let lease = api.catalog.get_lease(org, kind).await?;
    Ok(lease.filter(|lease| lease.is_live(now_ms) && !is_dead_local_runner(&lease.owner)))
}

/// Refuses with 409, answering the job, while the org's job of `kind` holds its lease: one job of a kind per org at
/// a time, so a second would fail once started. A job that has just ended may hold it a moment longer (its last
/// step cleans up, then lets go): that is a 409 too, to ask again shortly.
async fn refuse_if_running(api: &Api, org: &OrgId, kind: JobKind) -> Result<(), ApiError> {
    let Some(lease) = held_lease(api, org, kind, timefmt::now_millis()).await? else {
        return Ok(());
    };
    let Some(job) = api.catalog.get_job(&lease.job_id).await? else {
        return Err(ApiError::conflict(format!(
            "org {org}'s {kind} job {} is starting; follow it at /v1/jobs/{}, and ask again when it ends",
            lease.job_id, lease.job_id
        )));
    };
    let state = state_of(api.catalog.as_ref(), &job).await?;
    let doing = if matches!(state, JobState::Running { .. }) {
        "is running"
    } else {
        "is finishing"
    };
    Err(ApiError::running_job(
        format!(
            "org {org}'s {kind} job {} {doing}; follow it at /v1/jobs/{}, and ask again when it ends",
            job.job_id, job.job_id
        ),
        &JobSummary::new(job, state),
    ))
}

/// The job `job`, when the caller may read its org (404 before 403: an unknown id says nothing about orgs).
async fn readable_job(api: &Api, caller: &super::auth::Caller, job: &str) -> Result<crate::ports::JobRecord, ApiError> {
    let job_id = job_id(job)?;
    let job = api
        .catalog
        .get_job(&job_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no job {job_id}")))?;
    caller.require(super::auth::Role::Viewer, Some(&job.org_id))?;
    Ok(job)
}
