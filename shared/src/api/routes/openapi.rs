//! The OpenAPI 3.1 document of this API, assembled from every resource's paths. Served without authentication:
//! it holds no data.

use axum::http::header;
use axum::response::IntoResponse;

use super::Resource;
use crate::api::RouteSet;

pub const RESOURCE: Resource = Resource {
    routes,
    openapi: include_str!("openapi.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new().get("/v1/openapi.yaml", document)
}

async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/yaml")],
        crate::api::openapi_document(),
    )
}
