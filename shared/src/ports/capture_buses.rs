//! The plumbing of near-real-time capture per org: Okta's log stream is a partner event source of its own, which
//! needs its own partner event bus, and a rule on it sending admin changes to the capture function. Only the AWS
//! host has it; the embedded host says so.

use async_trait::async_trait;
use serde::Serialize;

use crate::ids::OrgId;

#[derive(Debug, thiserror::Error)]
#[error("the capture event bus of org {org}: {message}")]
pub struct CaptureBusError {
    pub org: OrgId,
    pub message: String,
}

/// What enabling capture made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaptureBus {
    /// The partner event bus (named as its source).
    pub bus: String,
    /// The rule on it that sends admin changes to the capture function.
    pub rule: String,
}

#[async_trait]
pub trait CaptureBuses: Send + Sync + 'static {
    /// Associates the partner event source `source_name` with a bus of its own and puts the capture rule on it.
    /// Idempotent: enabling again changes nothing.
    async fn enable(&self, org: &OrgId, source_name: &str) -> Result<CaptureBus, CaptureBusError>;
    /// Removes the rule and the bus; what is already gone is not an error.
    async fn disable(&self, org: &OrgId, source_name: &str) -> Result<(), CaptureBusError>;
}

/// The embedded host's: there are no log streams to capture from.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCaptureBuses;

#[async_trait]
impl CaptureBuses for NoCaptureBuses {
    async fn enable(&self, org: &OrgId, _source_name: &str) -> Result<CaptureBus, CaptureBusError> {
        Err(CaptureBusError {
            org: org.clone(),
            message: "near-real-time capture runs on the AWS host only (Okta streams its log to Amazon EventBridge); \
                      the embedded host's scheduled backups still run"
                .to_owned(),
        })
    }

    async fn disable(&self, _org: &OrgId, _source_name: &str) -> Result<(), CaptureBusError> {
        Ok(())
    }
}
