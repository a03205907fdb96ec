//! Backup now: starts a backup of an org at once (or continues its interrupted job), or answers 409 with the
//! org's running backup.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::{JobAccepted, Resource, launch_audited, org_id, refuse_if_running};
use crate::api::audit::{self, Subject};
use crate::api::auth::{Caller, Role};
use crate::api::extract::Path;
use crate::api::launcher::{Launch, backup_now};
use crate::api::{Api, ApiError, RouteSet};
use crate::ids::JobId;
use crate::ports::JobKind;
use crate::timefmt;
use crate::workflow::backup::continued_job;

pub const RESOURCE: Resource = Resource {
    routes,
    openapi: include_str!("backups.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new().post("/v1/orgs/{org}/backups", start)
}

async fn start(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<(StatusCode, Json<JobAccepted>), ApiError> {
    let org = org_id(&org)?;
    let catalog = api.catalog.as_ref();
    let about = Subject::org(&org);
    audit::require(catalog, &caller, Role::Operator, "backup", &about).await?;
    let record = catalog
        .get_org(&org)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("org {org} is not registered; authorize it first")))?;
    if record.deleted_at.is_some() {
        return Err(ApiError::conflict(format!(
            "org {org} was deleted: it is no longer backed up; authorize it again to back it up"
        )));
    }
    refuse_if_running(&api, &org, JobKind::Backup).await?;
    let now = timefmt::now();
    let jobs = catalog.list_jobs(&org, None).await?;
    let (job_id, continues) = match continued_job(&jobs, now) {
        Some(job) => (job.job_id.clone(), true),
        None => (JobId::generate(now), false),
    };
    let about = Subject {
        job: Some(job_id.clone()),
        ..about
    };
    let detail = if continues {
        format!("backup now, continuing the interrupted job {job_id}")
    } else {
        "backup now".to_owned()
    };
    let launch = Launch::Backup(backup_now(org.clone(), job_id.clone()));
    launch_audited(&api, &caller, "backup", &about, detail, launch).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(JobAccepted::new(job_id, org, JobKind::Backup, continues)),
    ))
}
