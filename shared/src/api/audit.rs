//! Writing the audit trail: an entry per action taken through the API, written before the action starts (an
//! action whose entry cannot be written does not start), and an entry per refusal.

use super::auth::Caller;
use super::error::ApiError;
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{AuditEntry, AuditResult, Catalog};
use crate::timefmt;

/// What an entry is about.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub org: Option<OrgId>,
    pub job: Option<JobId>,
    pub snapshot: Option<SnapshotId>,
}

impl Subject {
    /// An entry about `org` alone.
    pub fn org(org: &OrgId) -> Self {
        Self {
            org: Some(org.clone()),
            ..Self::default()
        }
    }
}

/// Writes one entry: `caller` asked for `action` on `about`, with `result`, and `detail` says what was asked (or
/// why it was refused).
pub async fn record(
    catalog: &dyn Catalog,
    caller: &Caller,
    action: &str,
    about: &Subject,
    result: AuditResult,
    detail: String,
) -> Result<(), ApiError> {
    let now = timefmt::now();
    let entry = AuditEntry {
        id: AuditEntry::new_id(now),
        at: timefmt::rfc3339(now),
        subject: caller.subject.clone(),
        action: action.to_owned(),
        org_id: about.org.clone(),
        job_id: about.job.clone(),
        snapshot_id: about.snapshot.clone(),
        result,
        detail,
    };
    catalog.append_audit(&entry).await.map_err(ApiError::from)
}

/// Refuses `action` with 403 unless the caller holds `role` for `about.org`, recording the refusal.
pub async fn require(
    catalog: &dyn Catalog,
    caller: &Caller,
    role: super::auth::Role,
    action: &str,
    about: &Subject,
) -> Result<(), ApiError> {
    let Err(refusal) = caller.require(role, about.org.as_ref()) else {
        return Ok(());
    };
    // The refusal stands even if it cannot be recorded; the log keeps what the trail could not.
    if let Err(e) = record(
        catalog,
        caller,
        action,
        about,
        AuditResult::Refused,
        refusal.message.clone(),
    )
    .await
    {
        tracing::warn!(action, subject = %caller.subject, error = %e.message, "a refusal could not be audited");
    }
    Err(refusal)
}
