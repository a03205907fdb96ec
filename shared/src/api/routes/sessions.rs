//! How the console signs in. `GET /v1/console/config` says how, on this host: `oktavault serve` prints a link
//! carrying a one-time code, which the page trades at `POST /v1/console/sessions` for a session token of its own
//! (an admin, as the printed bearer token is); on AWS the console signs in with OIDC (authorization code with
//! PKCE) at the company's identity provider, and the exchange refuses, saying so.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::Resource;
use crate::api::auth::ConsoleSignIn;
use crate::api::extract::Json as JsonBody;
use crate::api::{Api, ApiError, RouteSet};

pub const RESOURCE: Resource = Resource {
    routes,
    openapi: include_str!("sessions.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new()
        .get("/v1/console/config", config)
        .post("/v1/console/sessions", sign_in)
}

/// How the console signs in here: read before anyone is signed in, so it needs no token and holds no secret.
async fn config(State(api): State<Arc<Api>>) -> Json<ConsoleSignIn> {
    Json(api.auth.console_sign_in())
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
