//! Snapshots: the timeline (with its last 24 hours / last 7 days / earlier filter), a snapshot's category tree,
//! a category's objects a page at a time, and one object.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::{Resource, org_id};
use crate::api::auth::{Caller, Role};
use crate::api::extract::{Path, Query};
use crate::api::{Api, ApiError, RouteSet};
use crate::ports::SnapshotRecord;
use crate::service::browse::{self, CategoryTree, ObjectList, ObjectView, Page};
use crate::service::snapshots;
use crate::service::timeline::{self, Period, Timeline, Window};
use crate::timefmt;

pub const RESOURCE: Resource = Resource {
    routes,
    openapi: include_str!("snapshots.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new()
        .get("/v1/snapshots", list)
        .get("/v1/snapshots/{snapshot}", tree)
        .get("/v1/snapshots/{snapshot}/categories/{category}", objects)
        .get("/v1/snapshots/{snapshot}/categories/{category}/objects/{id}", object)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineQuery {
    org: Option<String>,
    since: Option<String>,
    until: Option<String>,
    period: Option<Period>,
}

async fn list(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Query(q): Query<TimelineQuery>,
) -> Result<Json<Timeline>, ApiError> {
    let org = q.org.as_deref().map(org_id).transpose()?;
    match &org {
        Some(org) => caller.require(Role::Viewer, Some(org))?,
        None => caller.require_any(Role::Viewer)?,
    }
    let now = timefmt::now();
    let window = Window::parse(q.since.as_deref(), q.until.as_deref(), now)?;
    let mut timeline = timeline::timeline(api.catalog.as_ref(), &api.vault, org.as_ref(), window, now).await?;
    timeline
        .snapshots
        .retain(|s| caller.allows(Role::Viewer, Some(&s.org_id)) && q.period.is_none_or(|p| p == s.period));
    Ok(Json(timeline))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InOrg {
    org: Option<String>,
}

/// The snapshot `wanted` names (an id, or `latest` of `org`), when the caller may read its org.
async fn readable(api: &Api, caller: &Caller, wanted: &str, org: Option<&str>) -> Result<SnapshotRecord, ApiError> {
    let org = org.map(org_id).transpose()?;
    match &org {
        Some(org) => caller.require(Role::Viewer, Some(org))?,
        None => caller.require_any(Role::Viewer)?,
    }
    let record = snapshots::resolve(api.catalog.as_ref(), wanted, org.as_ref()).await?;
    caller.require(Role::Viewer, Some(&record.org_id))?;
    Ok(record)
}

async fn tree(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(snapshot): Path<String>,
    Query(q): Query<InOrg>,
) -> Result<Json<CategoryTree>, ApiError> {
    let record = readable(&api, &caller, &snapshot, q.org.as_deref()).await?;
    Ok(Json(browse::category_tree(&api.vault, &record).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    org: Option<String>,
    after: Option<String>,
    limit: Option<usize>,
}

async fn objects(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path((snapshot, category)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Json<ObjectList>, ApiError> {
    let record = readable(&api, &caller, &snapshot, q.org.as_deref()).await?;
    let page = Page {
        after: q.after,
        limit: q.limit,
    };
    Ok(Json(browse::object_list(&api.vault, &record, &category, &page).await?))
}

async fn object(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path((snapshot, category, id)): Path<(String, String, String)>,
    Query(q): Query<InOrg>,
) -> Result<Json<ObjectView>, ApiError> {
    let record = readable(&api, &caller, &snapshot, q.org.as_deref()).await?;
    Ok(Json(browse::object_view(&api.vault, &record, &category, &id).await?))
}
