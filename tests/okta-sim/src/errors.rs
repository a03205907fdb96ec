//! Errors as Okta sends them: the `Error` schema (`errorCode`, `errorSummary`, `errorLink`, `errorId`,
//! `errorCauses`) for the management API, and `{error, error_description}` for the token endpoint.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer of the management API. The message of each variant is its `errorSummary`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("Invalid token provided")]
    InvalidToken,
    #[error("You do not have permission to perform the requested action")]
    AccessDenied,
    /// An OAuth access token without the scope the call needs: Okta's 403 E0000006, plus a
    /// `WWW-Authenticate` header holding `challenge` (see [`crate::auth::Auth::scope_challenge`]).
    #[error("You do not have permission to perform the requested action")]
    InsufficientScope { challenge: String },
    #[error("Not found: Resource not found: {0}")]
    NotFound(String),
    #[error("API call exceeded rate limit due to too many requests.")]
    RateLimited,
    /// `field` names what failed; `causes` are the per-field explanations Okta lists in `errorCauses`.
    #[error("Api validation failed: {field}")]
    Validation { field: String, causes: Vec<String> },
    #[error("The request body was not well-formed.")]
    MalformedBody { cause: String },
    #[error("Invalid search criteria.")]
    InvalidSearch { cause: String },
    #[error("The endpoint does not support the provided HTTP method")]
    MethodNotAllowed,
    #[error("This operation is not allowed in the user's current status.")]
    WrongUserStatus,
    #[error("Delete application forbidden.")]
    AppMustBeInactive,
    /// A call about role targets for a role assignment whose type takes no such targets (group targets
    /// of an APP_ADMIN assignment, any target of ORG_ADMIN or a custom role). The text is Okta's.
    #[error("The provided role type was not the same as required role type.")]
    WrongRoleType,
    /// An injected server fault (500, 502 or 503).
    #[error("{}", server_error_summary(*.0))]
    Server(u16),
}

fn server_error_summary(status: u16) -> &'static str {
    match status {
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

impl ApiError {
    pub fn validation(field: &str, cause: impl Into<String>) -> ApiError {
        ApiError::Validation {
            field: field.to_string(),
            causes: vec![cause.into()],
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidToken => StatusCode::UNAUTHORIZED,
            ApiError::AccessDenied
            | ApiError::InsufficientScope { .. }
            | ApiError::WrongUserStatus
            | ApiError::AppMustBeInactive => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Validation { .. }
            | ApiError::InvalidSearch { .. }
            | ApiError::MalformedBody { .. }
            | ApiError::WrongRoleType => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Server(code) => StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidToken => "E0000011",
            ApiError::AccessDenied | ApiError::InsufficientScope { .. } => "E0000006",
            ApiError::NotFound(_) => "E0000007",
            ApiError::RateLimited => "E0000047",
            ApiError::Validation { .. } => "E0000001",
            ApiError::InvalidSearch { .. } => "E0000031",
            ApiError::MalformedBody { .. } => "E0000003",
            ApiError::MethodNotAllowed => "E0000022",
            ApiError::WrongUserStatus => "E0000038",
            ApiError::AppMustBeInactive => "E0000056",
            ApiError::WrongRoleType => "E0000091",
            ApiError::Server(_) => "E0000009",
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            ApiError::Validation { causes, .. } => causes.clone(),
            ApiError::InvalidSearch { cause } | ApiError::MalformedBody { cause } => vec![cause.clone()],
            _ => Vec::new(),
        }
    }
}

/// Okta gives every error a unique id for its support staff; the simulator numbers them.
fn next_error_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("oaesim{:014}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let causes: Vec<_> = self
            .causes()
            .into_iter()
            .map(|c| json!({ "errorSummary": c }))
            .collect();
        let body = json!({
            "errorCode": self.code(),
            "errorSummary": self.to_string(),
            "errorLink": self.code(),
            "errorId": next_error_id(),
            "errorCauses": causes,
        });
        let mut response = (self.status(), Json(body)).into_response();
        if let ApiError::InsufficientScope { challenge } = &self
            && let Ok(value) = HeaderValue::from_str(challenge)
        {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// An error answer of `/oauth2/v1/token` (RFC 6749 section 5.2, `OAuthError` in the spec).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn invalid_client(description: impl Into<String>) -> OAuthError {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
        }
    }

    pub fn bad_request(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        (self.status, Json(body)).into_response()
    }
}
