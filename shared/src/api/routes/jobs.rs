//! Jobs: the list (by org, kind and state), one job, and its per-object log.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::{Resource, org_id, readable_job};
use crate::api::auth::{Caller, Role};
use crate::api::extract::{Path, Query};
use crate::api::{Api, ApiError, RouteSet};
use crate::ids::JobId;
use crate::ports::{JobKind, LogEntry};
use crate::service::jobs::{self, JobList, JobState, JobSummary, state_of};

pub const RESOURCE: Resource = Resource {
    routes,
    openapi: include_str!("jobs.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new()
        .get("/v1/jobs", list)
        .get("/v1/jobs/{job}", detail)
        .get("/v1/jobs/{job}/log", log)
}

/// A job's state as the list filter names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StateFilter {
    Running,
    Interrupted,
    Completed,
    CompletedWithErrors,
    Failed,
}

impl StateFilter {
    fn holds(self, state: &JobState) -> bool {
        matches!(
            (self, state),
            (StateFilter::Running, JobState::Running { .. })
                | (StateFilter::Interrupted, JobState::Interrupted)
                | (StateFilter::Completed, JobState::Completed)
                | (StateFilter::CompletedWithErrors, JobState::CompletedWithErrors)
                | (StateFilter::Failed, JobState::Failed { .. })
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    org: Option<String>,
    kind: Option<JobKind>,
    state: Option<StateFilter>,
}

async fn list(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<JobList>, ApiError> {
    let org = q.org.as_deref().map(org_id).transpose()?;
    match &org {
        Some(org) => caller.require(Role::Viewer, Some(org))?,
        None => caller.require_any(Role::Viewer)?,
    }
    let mut list = jobs::list(api.catalog.as_ref(), org.as_ref()).await?;
    list.jobs.retain(|j| {
        caller.allows(Role::Viewer, Some(&j.job.org_id))
            && q.kind.is_none_or(|k| k == j.job.kind)
            && q.state.is_none_or(|s| s.holds(&j.state))
    });
    Ok(Json(list))
}

async fn detail(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(job): Path<String>,
) -> Result<Json<JobSummary>, ApiError> {
    let job = readable_job(&api, &caller, &job).await?;
    let state = state_of(api.catalog.as_ref(), &job).await?;
    Ok(Json(JobSummary::new(job, state)))
}

#[derive(Serialize)]
struct JobLog {
    job_id: JobId,
    entries: Vec<LogEntry>,
}

async fn log(State(api): State<Arc<Api>>, caller: Caller, Path(job): Path<String>) -> Result<Json<JobLog>, ApiError> {
    let job = readable_job(&api, &caller, &job).await?;
    let entries = api.catalog.read_log(&job.job_id).await?;
    Ok(Json(JobLog {
        job_id: job.job_id,
        entries,
    }))
}
