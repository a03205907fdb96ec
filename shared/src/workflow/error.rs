use crate::okta::OktaError;
use crate::ports::{CatalogError, KeyError, StoreError};
use crate::snapshot::SnapshotError;

/// A step's failure. What to do about it is a property of the error, decided where the error is
/// understood, and becomes the error name the state machine's Retry and Catch match and FailJob reads.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct StepError {
    pub kind: StepErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepErrorKind {
    /// May succeed if tried again soon (an outage, throttling): the state machine retries the step.
    Retryable,
    /// Will fail again however often it is tried (bad input, damaged data): the job fails for good.
    Fatal,
    /// Okta refused the credentials in the middle of a job (revoked, expired): not worth retrying now, but the
    /// job continues from its saved positions once the org is authorized again.
    Unauthorized,
    /// Another runner took the job's lease over: this one stops and leaves the job to it.
    Superseded,
}

impl StepError {
    pub const RETRYABLE: &'static str = "OktaVault.Retryable";
    pub const FATAL: &'static str = "OktaVault.Fatal";
    pub const UNAUTHORIZED: &'static str = "OktaVault.Unauthorized";
    pub const SUPERSEDED: &'static str = "OktaVault.Superseded";

    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            kind: StepErrorKind::Fatal,
            message: message.into(),
        }
    }

    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            kind: StepErrorKind::Retryable,
            message: message.into(),
        }
    }

    pub fn of_kind(kind: StepErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.kind == StepErrorKind::Retryable
    }

    /// The error name a Retry or Catch keys on.
    pub fn name(&self) -> &'static str {
        match self.kind {
            StepErrorKind::Retryable => Self::RETRYABLE,
            StepErrorKind::Fatal => Self::FATAL,
            StepErrorKind::Unauthorized => Self::UNAUTHORIZED,
            StepErrorKind::Superseded => Self::SUPERSEDED,
        }
    }

    /// Whether a job that failed with the error named `name` (as a Catch reports it: ours, or one of Lambda's
    /// or Step Functions' own such as `Sandbox.Timedout`) may be continued by the next backup of its org. Only
    /// our own fatal errors end a job for good: a timeout, an out-of-memory, an outage that outlasted the
    /// retries or revoked credentials leave every saved position valid.
    pub fn leaves_job_resumable(name: &str) -> bool {
        name != Self::FATAL
    }
}

macro_rules! from_retry_aware {
    ($($t:ty),*) => {$(
        impl From<$t> for StepError {
            fn from(e: $t) -> Self {
                let kind = if e.is_retryable() { StepErrorKind::Retryable } else { StepErrorKind::Fatal };
                Self { kind, message: e.to_string() }
            }
        }
    )*};
}

from_retry_aware!(CatalogError, KeyError, StoreError, SnapshotError);

impl From<OktaError> for StepError {
    fn from(e: OktaError) -> Self {
        let kind = match &e {
            e if e.is_retryable() => StepErrorKind::Retryable,
            OktaError::AuthRejected { .. } | OktaError::TokenRejected { .. } => StepErrorKind::Unauthorized,
            _ => StepErrorKind::Fatal,
        };
        Self {
            kind,
            message: e.to_string(),
        }
    }
}
