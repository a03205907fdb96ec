//! The HTTP API (feature `api`): one axum router over the service layer, served by `oktavault serve` over the
//! embedded store and by `functions/api` (lambda_http) over the AWS adapters, with the same routes and the same
//! OpenAPI 3.1 document (`GET /v1/openapi.yaml`).
//!
//! Each resource is a module of [`routes`] holding its handlers and its part of the document (a `.yaml` file of
//! its paths beside it); [`routes::RESOURCES`] lists them. Adding a resource is adding a module and its line.
//! Authorization is the host's [`auth::Authenticate`], every action is written to the audit trail before it
//! starts ([`audit`]), and every error is `{"error": {"code", "message"}}` ([`ApiError`]).

pub mod audit;
pub mod auth;
#[cfg(feature = "lambda")]
pub mod aws_orgs;
pub mod console;
mod error;
mod extract;
pub mod launcher;
pub mod routes;
pub mod schedules;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, on};

pub use error::{ApiError, ErrorCode};

use crate::okta::OrgUrlPolicy;
use crate::ports::{CaptureBuses, Catalog, ExportStore, Schedules};
use crate::snapshot::Vault;
use auth::Authenticate;
use launcher::JobLauncher;

/// Where finished downloads are and how a caller gets one.
#[derive(Clone)]
pub enum Downloads {
    /// Embedded: files under this directory, streamed by `GET /v1/downloads/{job}/file` to the token holder.
    Files { dir: PathBuf },
    /// AWS: objects in the export store, fetched through a short-lived presigned link.
    Exports(Arc<dyn ExportStore>),
}

/// What every handler reads: the ports, the job launcher, the host's authentication and download store.
pub struct Api {
    pub catalog: Arc<dyn Catalog>,
    pub vault: Vault,
    pub launcher: Arc<dyn JobLauncher>,
    pub auth: Arc<dyn Authenticate>,
    pub downloads: Downloads,
    pub orgs: OrgHosting,
}

/// What the org routes need of the host: where the org's schedule and capture live, what the cards say about
/// storage, and which org URLs may be authorized.
pub struct OrgHosting {
    pub schedules: Arc<dyn Schedules>,
    pub capture: Arc<dyn CaptureBuses>,
    /// Where snapshots are kept, for the cards (`AWS us-east-1`, `local store ./oktavault-data`).
    pub storage: String,
    pub url_policy: OrgUrlPolicy,
}

pub type ApiRouter = Router<Arc<Api>>;

/// A resource's routes, each declared once: the router serves it and [`RouteSet::declared`] lists it, so a test
/// can hold the router and the OpenAPI document to each other.
pub struct RouteSet {
    router: ApiRouter,
    declared: Vec<(Method, &'static str)>,
}

impl RouteSet {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            declared: Vec::new(),
        }
    }

    pub fn get<H: Handler<T, Arc<Api>>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::GET, MethodFilter::GET, path, handler)
    }

    pub fn post<H: Handler<T, Arc<Api>>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::POST, MethodFilter::POST, path, handler)
    }

    pub fn put<H: Handler<T, Arc<Api>>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::PUT, MethodFilter::PUT, path, handler)
    }

    pub fn patch<H: Handler<T, Arc<Api>>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::PATCH, MethodFilter::PATCH, path, handler)
    }

    pub fn delete<H: Handler<T, Arc<Api>>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::DELETE, MethodFilter::DELETE, path, handler)
    }

    fn add<H: Handler<T, Arc<Api>>, T: 'static>(
        mut self,
        method: Method,
        filter: MethodFilter,
        path: &'static str,
        handler: H,
    ) -> Self {
        self.router = self.router.route(path, on(filter, handler));
        self.declared.push((method, path));
        self
    }

    fn merge(mut self, other: RouteSet) -> Self {
        self.router = self.router.merge(other.router);
        self.declared.extend(other.declared);
        self
    }

    /// Every (method, path) served, as the router spells paths (`/v1/jobs/{job}`).
    pub fn declared(&self) -> &[(Method, &'static str)] {
        &self.declared
    }
}

impl Default for RouteSet {
    fn default() -> Self {
        Self::new()
    }
}

/// Every route of every resource.
pub fn route_set() -> RouteSet {
    routes::RESOURCES
        .iter()
        .fold(RouteSet::new(), |all, resource| all.merge((resource.routes)()))
}

/// The API over `api`: every resource's routes, and JSON errors for unknown routes and methods.
pub fn router(api: Arc<Api>) -> Router {
    route_set()
        .router
        .fallback(routes::unknown_route)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(api)
}

/// The OpenAPI 3.1 document: the shared head and components, then every resource's paths.
pub fn openapi_document() -> String {
    let mut document = String::from(routes::OPENAPI_HEAD);
    for resource in routes::RESOURCES {
        document.push_str(resource.openapi);
    }
    document
}
