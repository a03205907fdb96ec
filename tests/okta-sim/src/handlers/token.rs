//! `POST /oauth2/v1/token` on the org authorization server (client credentials grant).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::{Sim, json_value};

pub async fn issue(sim: Sim, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    match sim.auth.issue_token(authorization, &form) {
        Ok(token) => json_value(&token),
        Err(refusal) => refusal.into_response(),
    }
}
