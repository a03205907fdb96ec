//! Downloads: start one (a file of a snapshot's selection), read its report, get a link to the finished file, and
//! (embedded) fetch the file itself. On AWS the link is a short-lived presigned S3 URL made when asked for and
//! never stored; embedded, the file route streams it to the holder of the server's token.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokio::io::AsyncReadExt;

use super::{JobAccepted, Resource, launch_audited, org_id, readable_job, refuse_if_running};
use crate::api::audit::{self, Subject};
use crate::api::auth::{Caller, Role};
use crate::api::extract::{Json as JsonBody, Path, Query};
use crate::api::launcher::Launch;
use crate::api::{Api, ApiError, Downloads, RouteSet};
use crate::ids::JobId;
use crate::ports::{JobKind, JobStatus};
use crate::service::download::{self, DEFAULT_LINK_VALIDITY, DownloadAsk, DownloadLink, DownloadReport};
use crate::timefmt;

pub const RESOURCE: Resource = Resource {
    routes,
    openapi: include_str!("downloads.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new()
        .post("/v1/orgs/{org}/downloads", create)
        .get("/v1/downloads/{job}", report)
        .get("/v1/downloads/{job}/link", link)
        .get("/v1/downloads/{job}/file", file)
}

/// The name of the file a download job writes in its own directory (embedded).
const FILE: &str = "download";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DownloadBody {
    /// A snapshot id, or `latest` (the default).
    #[serde(default = "latest")]
    snapshot: String,
    select: Vec<String>,
    #[serde(default)]
    relationships: bool,
    /// `json` (the default), `csv`, `sqlite` (embedded only) or `jsonl`.
    #[serde(default = "json")]
    format: String,
    /// Every snapshot from this date to `to` (sqlite and jsonl only).
    from: Option<String>,
    to: Option<String>,
}

fn latest() -> String {
    "latest".into()
}

fn json() -> String {
    "json".into()
}

async fn create(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<DownloadBody>,
) -> Result<(StatusCode, Json<JobAccepted>), ApiError> {
    let org = org_id(&org)?;
    let catalog = api.catalog.as_ref();
    let about = Subject::org(&org);
    audit::require(catalog, &caller, Role::Operator, "download", &about).await?;
    refuse_if_running(&api, &org, JobKind::Download).await?;
    let job_id = JobId::generate(timefmt::now());
    let path = match &api.downloads {
        Downloads::Files { dir } => {
            let dir = dir.join(job_id.as_str());
            std::fs::create_dir_all(&dir).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    crate::api::ErrorCode::StoreUnavailable,
                    format!("cannot create the download directory {}: {e}", dir.display()),
                )
            })?;
            Some(dir.join(FILE).to_string_lossy().into_owned())
        }
        Downloads::Exports(_) => None,
    };
    let ask = DownloadAsk {
        snapshot: body.snapshot,
        from: body.from,
        to: body.to,
        org: Some(org.clone()),
        selection: body.select,
        relationships: body.relationships,
        format: body.format,
        path,
    };
    let mut request = download::request(catalog, &ask).await?;
    request.new_job_id = Some(job_id.clone());
    let about = Subject {
        org: Some(org.clone()),
        job: Some(job_id.clone()),
        snapshot: Some(request.snapshot_id.clone()),
    };
    let detail = format!(
        "{} of {} from snapshot {}{}",
        request.format.as_str(),
        request.selection.join(" "),
        request.snapshot_id,
        if request.relationships {
            ", with relationships"
        } else {
            ""
        }
    );
    launch_audited(&api, &caller, "download", &about, detail, Launch::Download(request)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(JobAccepted::new(job_id, org, JobKind::Download, false)),
    ))
}

async fn report(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(job): Path<String>,
) -> Result<Json<DownloadReport>, ApiError> {
    let job = readable_job(&api, &caller, &job).await?;
    let mut report = download::report(api.catalog.as_ref(), &job.job_id).await?;
    // Where the server keeps the file is its own business: the file route or the link fetches it.
    report.path = None;
    Ok(Json(report))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkQuery {
    /// How long a presigned link is valid, in seconds (AWS; default 900, at most 7 days).
    expires_in: Option<u64>,
}

async fn link(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(job): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Result<Json<DownloadLink>, ApiError> {
    let job = readable_job(&api, &caller, &job).await?;
    caller.require(Role::Operator, Some(&job.org_id))?;
    let expires = q.expires_in.map_or(DEFAULT_LINK_VALIDITY, Duration::from_secs);
    let link = match &api.downloads {
        Downloads::Exports(exports) => {
            download::link(api.catalog.as_ref(), Some(exports.as_ref()), &job.job_id, expires).await?
        }
        Downloads::Files { .. } => {
            // The local file's own link names a path on this machine; a caller gets the file route instead.
            let local = download::link(api.catalog.as_ref(), None, &job.job_id, expires).await?;
            DownloadLink {
                url: format!("/v1/downloads/{}/file", job.job_id),
                expires_in_secs: None,
                ..local
            }
        }
    };
    Ok(Json(link))
}

async fn file(State(api): State<Arc<Api>>, caller: Caller, Path(job): Path<String>) -> Result<Response, ApiError> {
    let job = readable_job(&api, &caller, &job).await?;
    caller.require(Role::Operator, Some(&job.org_id))?;
    match &api.downloads {
        Downloads::Exports(exports) => {
            let link = download::link(
                api.catalog.as_ref(),
                Some(exports.as_ref()),
                &job.job_id,
                DEFAULT_LINK_VALIDITY,
            )
            .await?;
            Ok(Redirect::to(&link.url).into_response())
        }
        Downloads::Files { .. } => {
            // The service checks the job finished and wrote a file, not tables.
            download::link(api.catalog.as_ref(), None, &job.job_id, DEFAULT_LINK_VALIDITY).await?;
            let spec = job
                .download
                .as_ref()
                .filter(|_| matches!(job.status, JobStatus::Completed | JobStatus::CompletedWithErrors));
            let (Some(spec), Some(path)) = (spec, spec.and_then(|s| s.path.as_ref())) else {
                return Err(ApiError::not_found(format!("download job {} has no file", job.job_id)));
            };
            let opened = tokio::fs::File::open(path)
                .await
                .map_err(|e| ApiError::not_found(format!("download job {}'s file is gone: {e}", job.job_id)))?;
            let disposition = format!("attachment; filename=\"{}\"", spec.file_name.replace('"', ""));
            Ok((
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                Body::from_stream(chunks(opened)),
            )
                .into_response())
        }
    }
}

/// The file's bytes a chunk at a time, so a large download is never held in memory.
fn chunks(file: tokio::fs::File) -> impl futures::Stream<Item = std::io::Result<Bytes>> {
    futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buffer = vec![0u8; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(Bytes::from(buffer)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}
