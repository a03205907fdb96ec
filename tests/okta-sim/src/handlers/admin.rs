//! `/__sim/`: unauthenticated controls for tests and demos (call counts, faults, full state, emails sent).

use axum::Json;
use axum::body::Bytes;
use axum::response::{IntoResponse, Response};

use super::{Sim, no_content, parse_body};
use crate::config::Faults;
use crate::errors::ApiError;

pub async fn calls(sim: Sim) -> Response {
    let counts = sim.calls.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Json(counts).into_response()
}

pub async fn reset_calls(sim: Sim) -> Response {
    *sim.calls.lock().unwrap_or_else(|p| p.into_inner()) = Default::default();
    no_content()
}

pub async fn get_faults(sim: Sim) -> Response {
    Json(sim.faults.lock().unwrap_or_else(|p| p.into_inner()).faults).into_response()
}

/// Replaces the faults; fields left out of the JSON are off.
pub async fn set_faults(sim: Sim, body: Bytes) -> Result<Response, ApiError> {
    let faults: Faults = serde_json::from_value(parse_body(&body)?).map_err(|e| ApiError::MalformedBody {
        cause: format!("not a Faults object: {e}"),
    })?;
    for (name, share) in [
        ("error_5xx_share", faults.error_5xx_share),
        ("drop_share", faults.drop_share),
    ] {
        if !(0.0..=1.0).contains(&share) {
            return Err(ApiError::validation(
                name,
                format!("{name}: must be between 0 and 1, got {share}"),
            ));
        }
    }
    sim.faults.lock().unwrap_or_else(|p| p.into_inner()).faults = faults;
    Ok(Json(faults).into_response())
}

/// Activation emails sent, per user id: `{"00u...": 1}`.
pub async fn emails(sim: Sim) -> Response {
    Json(sim.emails.lock().unwrap_or_else(|p| p.into_inner()).clone()).into_response()
}

pub async fn state(sim: Sim) -> Response {
    Json(sim.read_org().to_state()).into_response()
}
