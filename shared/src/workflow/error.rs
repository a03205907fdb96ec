use crate::okta::OktaError;
use crate::ports::{CatalogError, KeyError, StoreError};
use crate::snapshot::SnapshotError;

/// A step's failure. Whether it is worth retrying is a property of the error, decided where the
/// error is understood, and becomes the error name the state machine's Retry and Catch match.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct StepError {
    pub retryable: bool,
    pub message: String,
}

impl StepError {
    pub const RETRYABLE: &'static str = "OktaVault.Retryable";
    pub const FATAL: &'static str = "OktaVault.Fatal";

    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            message: message.into(),
        }
    }

    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            message: message.into(),
        }
    }

    /// The error name a Retry or Catch keys on.
    pub fn name(&self) -> &'static str {
        if self.retryable { Self::RETRYABLE } else { Self::FATAL }
    }
}

macro_rules! from_retry_aware {
    ($($t:ty),*) => {$(
        impl From<$t> for StepError {
            fn from(e: $t) -> Self {
                Self { retryable: e.is_retryable(), message: e.to_string() }
            }
        }
    )*};
}

from_retry_aware!(OktaError, CatalogError, KeyError, StoreError, SnapshotError);
