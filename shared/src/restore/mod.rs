//! The restore engine: puts objects of a snapshot back into an Okta org (docs/restore.md).
//!
//! - [`select`]: the objects a selection names in a snapshot, with their relationships.
//! - [`kinds`]: the categories a restore writes, and the hooks of users, groups, apps and their relationships
//!   (natural key, own attributes, the calls that write them).
//! - [`generic`]: every other restorable row, planned and applied from the catalog alone (references rewritten,
//!   natural keys, Okta's own objects, stripped bodies, lifecycle), with the group rule's recreate.
//! - [`live`]: the target org as the plan sees it (its objects found by id, id map or natural key).
//! - [`plan`]: per object, what the restore will do and why; the guardrail over the whole plan.
//! - [`stored`]: the plan as sealed blobs, read back page by page while it is applied.
//! - [`apply`]: one planned object written to Okta, checked against the live org first.
//! - [`order`]: the order categories are written in (references, parents and the rows' `restore_after`), with
//!   the references a cycle defers to a second write, and the order of objects inside a category (priority).
//! - [`keys`]: the natural key that identifies an object across orgs and across a crash, and the objects Okta
//!   makes itself (the Everyone group, default policies, system scopes...), which are matched, never created.
//!
//! References between objects are found and rewritten by [`crate::references`].
//!
//! The workflow steps that drive these live in `workflow::restore`; the service layer in `service::restore`.

pub mod apply;
pub mod generic;
mod generic_apply;
mod generic_plan;
pub mod guardrail;
pub mod keys;
pub mod kinds;
pub mod live;
pub mod order;
pub mod plan;
pub mod select;
pub mod stored;

use crate::okta::OktaError;
use crate::ports::CatalogError;
use crate::snapshot::SnapshotError;
use crate::workflow::{StepError, StepErrorKind};

/// Why a restore cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The request itself is wrong (an unknown or download-only category, an ambiguous name).
    #[error("{0}")]
    Invalid(String),
    /// The selection names something the snapshot does not hold.
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Okta(#[from] OktaError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl From<RestoreError> for StepError {
    fn from(e: RestoreError) -> Self {
        match e {
            RestoreError::Invalid(m) | RestoreError::NotFound(m) => StepError::of_kind(StepErrorKind::Fatal, m),
            RestoreError::Snapshot(e) => e.into(),
            RestoreError::Okta(e) => e.into(),
            RestoreError::Catalog(e) => e.into(),
        }
    }
}
