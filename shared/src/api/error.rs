//! What the API answers when it cannot serve a request: `{"error": {"code": "...", "message": "..."}}` with a
//! stable code a client can match on and a message a person can act on. The caller's mistakes are 4xx; a store
//! or Okta failure is 5xx with a message that names what failed, never a secret (none reaches these messages:
//! credentials are sealed before they are stored and never formatted).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::ports::CatalogError;
use crate::service::ServiceError;
use crate::snapshot::SnapshotError;

/// The stable error codes (docs/api.md lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed or asks for something impossible (400).
    InvalidRequest,
    /// No credentials, or not the right ones (401).
    Unauthenticated,
    /// The caller's roles do not allow this (403).
    Forbidden,
    /// What the request names does not exist (404).
    NotFound,
    /// The route exists but not with this method (405).
    MethodNotAllowed,
    /// Something is already under way or in a state that refuses this (409).
    Conflict,
    /// The body is not JSON, or says it is not (415).
    UnsupportedMediaType,
    /// The body is larger than the API accepts (413).
    PayloadTooLarge,
    /// A stored snapshot or blob is damaged or missing: `oktavault verify` says more (500).
    SnapshotDamaged,
    /// The catalog or blob store failed (500, or 503 when retrying may help).
    StoreUnavailable,
    /// The live Okta org could not be read (502).
    OktaUnavailable,
    /// A job could not be started (503).
    LaunchFailed,
    /// Credentials given to authorize an org were refused; the message names the part (400).
    CredentialsRefused,
    /// An org's backup schedule could not be made or changed (500, or 503 when retrying may help).
    ScheduleFailed,
    /// Capture could not be turned on: no such log stream source, or a host without capture (400).
    CaptureUnavailable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// The job a conflict is about (the org's running job), answered beside the error.
    pub job: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: ErrorCode,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            job: None,
        }
    }

    /// A conflict with the org's running job, which the answer carries.
    pub fn running_job(message: impl Into<String>, job: &impl Serialize) -> Self {
        Self {
            job: serde_json::to_value(job).ok(),
            ..ApiError::conflict(message)
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = %self.status, code = ?self.code, error = %self.message, "API request failed");
        }
        let body = Body {
            error: Detail {
                code: self.code,
                message: &self.message,
            },
            job: self.job.as_ref(),
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(message) => ApiError::invalid(message),
            ServiceError::NotFound(message) => ApiError::not_found(message),
            ServiceError::Catalog(e) => e.into(),
            ServiceError::Snapshot(e) => e.into(),
            ServiceError::Okta(e) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::OktaUnavailable,
                format!("the Okta org could not be read: {e}"),
            ),
            ServiceError::Conflict(message) => ApiError::conflict(message),
            // The caller's credentials (or domain) were refused: their mistake, named by part.
            ServiceError::Refused(refused) => ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::CredentialsRefused,
                format!("{refused} (part: {})", refused.part.as_str()),
            ),
            ServiceError::Schedule(e) => ApiError::new(
                if e.retryable {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                },
                ErrorCode::ScheduleFailed,
                format!("{e}; the org was saved, and saving it again makes its schedule"),
            ),
            ServiceError::CaptureBus(e) => {
                ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::CaptureUnavailable, e.to_string())
            }
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match &e {
            CatalogError::NotFound { .. } => ApiError::not_found(e.to_string()),
            CatalogError::AlreadyExists { .. } | CatalogError::Conflict { .. } | CatalogError::LeaseHeld { .. } => {
                ApiError::conflict(e.to_string())
            }
            CatalogError::Backend { retryable: true, .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::StoreUnavailable,
                format!("{e}; try again shortly"),
            ),
            CatalogError::Backend { .. } => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::StoreUnavailable,
                e.to_string(),
            ),
        }
    }
}

impl From<SnapshotError> for ApiError {
    fn from(e: SnapshotError) -> Self {
        match e {
            SnapshotError::Store(e) if e.is_retryable() => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::StoreUnavailable,
                format!("{e}; try again shortly"),
            ),
            e => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::SnapshotDamaged,
                format!("{e}; `oktavault verify` names every damaged blob"),
            ),
        }
    }
}
