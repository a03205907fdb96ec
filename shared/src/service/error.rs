//! What the service layer answers when a request cannot be served: the caller's mistake (an HTTP 400 or 404) or
//! a store that failed (a 500).

use super::orgs::Refused;
use crate::okta::OktaError;
use crate::ports::{CaptureBusError, CatalogError, ScheduleError};
use crate::snapshot::SnapshotError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is wrong: a malformed id, an unknown category, a missing option.
    #[error("{0}")]
    Invalid(String),
    /// The request names something that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the state it would change (a deleted org's settings; a job already running).
    #[error("{0}")]
    Conflict(String),
    /// Credentials given to authorize an org were refused; names the part that was wrong.
    #[error("{0}")]
    Refused(Refused),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The scheduler failed to make or change an org's schedule (the org itself was saved; saving it again syncs
    /// the schedule).
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// An org's capture event bus or rule could not be made or removed.
    #[error(transparent)]
    CaptureBus(#[from] CaptureBusError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The live org could not be read (unreachable, credentials refused, rate limited for too long).
    #[error(transparent)]
    Okta(#[from] OktaError),
}
