//! The audit trail, read-only: who did what through the API, and what was refused. No route writes it.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::{Resource, org_id};
use crate::api::auth::{Caller, Role};
use crate::api::extract::Query;
use crate::api::{Api, ApiError, RouteSet};
use crate::ports::AuditEntry;

pub const RESOURCE: Resource = Resource {
    routes,
    openapi: include_str!("audit.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new().get("/v1/audit", list)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    org: Option<String>,
}

#[derive(Serialize)]
struct AuditTrail {
    entries: Vec<AuditEntry>,
}

async fn list(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditTrail>, ApiError> {
    let org = q.org.as_deref().map(org_id).transpose()?;
    match &org {
        Some(org) => caller.require(Role::Admin, Some(org))?,
        None => caller.require_any(Role::Admin)?,
    }
    let mut entries = api.catalog.list_audit(org.as_ref()).await?;
    // An admin of some orgs reads their entries; entries about no org are for admins of every org.
    entries.retain(|e| caller.allows(Role::Admin, e.org_id.as_ref()));
    Ok(Json(AuditTrail { entries }))
}
