//! The console's local sign-in: `oktavault serve` prints a link carrying a one-time code, and the page trades it
//! here for a session token of its own (an admin, as the printed bearer token is). On AWS the console signs in
//! with OIDC instead, and this route refuses, saying so.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::Resource;
use crate::api::extract::Json as JsonBody;
use crate::api::{Api, ApiError, RouteSet};

pub const RESOURCE: Resource = Resource {
    routes,
    openapi: include_str!("sessions.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new().post("/v1/console/sessions", sign_in)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    code: String,
}

#[derive(Serialize)]
struct Session {
    token: String,
    subject: String,
    role: &'static str,
}

async fn sign_in(
    State(api): State<Arc<Api>>,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<(StatusCode, Json<Session>), ApiError> {
    let (token, caller) = api.auth.sign_in(body.code.trim())?;
    Ok((
        StatusCode::CREATED,
        Json(Session {
            token: token.expose_secret().to_owned(),
            subject: caller.subject,
            role: "admin",
        }),
    ))
}
