//! Alerts to the people who run oktavault: a job that failed or completed with errors, a backup that missed its
//! schedule, a snapshot that deleted a large share of an org. On AWS they go to the deployment's SNS topic;
//! embedded, to a JSON Lines file in the store.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::ids::{JobId, OrgId, SnapshotId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A backup, restore or download job failed.
    JobFailed,
    /// A job finished, but some objects failed (its log says which).
    JobCompletedWithErrors,
    /// No complete snapshot within the org's schedule plus the grace period.
    BackupStale,
    /// A snapshot removed more than the org's threshold of users, groups or app assignments.
    MassChange,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub org_id: OrgId,
    /// One line for a mail subject (SNS caps subjects at 100 characters).
    pub subject: String,
    /// What happened and what to do, for a person.
    pub message: String,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<SnapshotId>,
}

#[derive(Debug, thiserror::Error)]
#[error("could not send the {kind:?} alert of org {org}: {message}")]
pub struct AlertError {
    pub kind: AlertKind,
    pub org: OrgId,
    pub message: String,
}

#[async_trait]
pub trait Alerts: Send + Sync + 'static {
    async fn send(&self, alert: &Alert) -> Result<(), AlertError>;
}
