//! An org's objects across its snapshots: search, one object's versions and history, and the diff of two
//! snapshots.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::{Resource, org_id};
use crate::api::auth::{Caller, Role};
use crate::api::extract::{Path, Query};
use crate::api::{Api, ApiError, RouteSet};
use crate::service::diff::{SnapshotDiff, diff_snapshots};
use crate::service::search::{self, HistoryAsk, HistoryReport, SearchAsk, SearchReport};
use crate::service::snapshots;

pub const RESOURCE: Resource = Resource {
    routes,
    openapi: include_str!("objects.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new()
        .get("/v1/orgs/{org}/search", search)
        .get("/v1/orgs/{org}/objects/{category}/{id}/history", history)
        .get("/v1/orgs/{org}/diff", diff)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    q: String,
    category: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

async fn search(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<SearchReport>, ApiError> {
    let org = org_id(&org)?;
    caller.require(Role::Viewer, Some(&org))?;
    let ask = SearchAsk {
        org: Some(org),
        query: q.q,
        category: q.category,
        from: q.from,
        to: q.to,
    };
    Ok(Json(search::search(api.catalog.as_ref(), &api.vault, &ask).await?))
}

async fn history(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path((org, category, id)): Path<(String, String, String)>,
) -> Result<Json<HistoryReport>, ApiError> {
    let org = org_id(&org)?;
    caller.require(Role::Viewer, Some(&org))?;
    let ask = HistoryAsk {
        org: Some(org),
        category,
        id_or_name: id,
    };
    Ok(Json(search::history(api.catalog.as_ref(), &api.vault, &ask).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffQuery {
    from: String,
    to: String,
}

async fn diff(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<SnapshotDiff>, ApiError> {
    let org = org_id(&org)?;
    caller.require(Role::Viewer, Some(&org))?;
    let from = snapshots::resolve(api.catalog.as_ref(), &q.from, Some(&org)).await?;
    let to = snapshots::resolve(api.catalog.as_ref(), &q.to, Some(&org)).await?;
    Ok(Json(diff_snapshots(&api.vault, &from, &to).await?))
}
