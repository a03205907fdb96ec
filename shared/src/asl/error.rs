//! Errors of the embedded ASL runner: definitions it refuses, tasks that fail, executions that fail.

use serde_json::{Value, json};

/// Predefined ASL error names the runner raises or matches. What each matches follows the Step Functions
/// developer guide, "Error handling in Step Functions workflows" (concepts-error-handling), section
/// "Error names".
pub mod names {
    /// Matches every error except [`RUNTIME`]. Terminal failures (a state's input or output over the
    /// payload quota, the history quota) never reach a Retry or Catch at all.
    pub const ALL: &str = "States.ALL";
    /// Matches every error except [`TIMEOUT`] (and [`RUNTIME`], which nothing matches). AWS documents it as
    /// "a wildcard that matches any known error name except for States.Timeout"; it is not limited to the
    /// names a function raised.
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// A path that does not resolve, an input of the wrong shape, the history quota: never retried or caught.
    pub const RUNTIME: &str = "States.Runtime";
    /// Data over the 256 KiB payload quota. A Lambda result over it fails the Task attempt, which Retry and
    /// Catch handle like any other error; a state's input or output over it fails the execution outright.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    pub const TIMEOUT: &str = "States.Timeout";
    /// StartExecution's refusal of an execution name (an API error on AWS, before any state runs).
    pub const INVALID_NAME: &str = "InvalidName";
    /// StartExecution's refusal of a state machine ARN that is not one.
    pub const INVALID_ARN: &str = "InvalidArn";
}

/// Why a definition could not be loaded. Each message names the state and field concerned.
#[derive(Debug, thiserror::Error)]
pub enum AslError {
    #[error("the state machine definition is not valid JSON ({0}); check the .asl.json file")]
    InvalidJson(#[source] serde_json::Error),
    #[error("invalid state machine definition at {location}: {problem}")]
    Invalid { location: String, problem: String },
    #[error(
        "the embedded runner does not run {feature} (at {location}); use only the features it supports \
         or run this definition on AWS Step Functions"
    )]
    Unsupported { location: String, feature: String },
    #[error(
        "{location} uses the substitution ${{{placeholder}}} but no value was given for it; \
         pass \"{placeholder}\" in the substitutions"
    )]
    MissingSubstitution { location: String, placeholder: String },
}

impl AslError {
    pub(crate) fn invalid(location: impl Into<String>, problem: impl Into<String>) -> Self {
        AslError::Invalid {
            location: location.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn unsupported(location: impl Into<String>, feature: impl Into<String>) -> Self {
        AslError::Unsupported {
            location: location.into(),
            feature: feature.into(),
        }
    }
}

/// A Task's function failed. `error` is the name Retry and Catch match on (e.g. `OktaVault.Retryable`);
/// `cause` is a human-readable explanation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task failed with {error}: {cause}")]
pub struct TaskFailure {
    pub error: String,
    pub cause: String,
}

impl TaskFailure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        TaskFailure {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

/// The execution ended in failure: a Fail state, or an error no Catch handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state machine execution failed with {error}: {cause}")]
pub struct ExecutionFailed {
    pub error: String,
    pub cause: String,
}

/// A failure while running a state, before Retry/Catch decide what happens to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateFailure {
    pub error: String,
    pub cause: String,
    /// Fails the execution whatever the state's Retry and Catch say (AWS's "terminal" errors).
    pub terminal: bool,
}

impl StateFailure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        StateFailure {
            error: error.into(),
            cause: cause.into(),
            terminal: false,
        }
    }

    /// A failure no Retry or Catch may handle.
    pub fn terminal(error: impl Into<String>, cause: impl Into<String>) -> Self {
        StateFailure {
            terminal: true,
            ..StateFailure::new(error, cause)
        }
    }

    pub fn runtime(cause: impl Into<String>) -> Self {
        StateFailure::terminal(names::RUNTIME, cause)
    }

    /// The `{"Error", "Cause"}` object a Catch writes at its ResultPath.
    pub fn to_error_output(&self) -> Value {
        json!({"Error": self.error, "Cause": self.cause})
    }
}

impl From<TaskFailure> for StateFailure {
    fn from(failure: TaskFailure) -> Self {
        StateFailure::new(failure.error, failure.cause)
    }
}

impl From<StateFailure> for ExecutionFailed {
    fn from(failure: StateFailure) -> Self {
        ExecutionFailed {
            error: failure.error,
            cause: failure.cause,
        }
    }
}
