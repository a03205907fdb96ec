//! The payload quota: Step Functions refuses any input or output over 262,144 bytes of UTF-8 JSON.
//!
//! Sources: developer guide "Step Functions service quotas" (service-quotas, "Maximum input or output size
//! for a task, state, or execution": it applies to task results, state and execution output, and to input
//! "when scheduling a task, entering a state, or starting an execution"), and "Error handling"
//! (concepts-error-handling, `States.DataLimitExceeded`: a connector's output, a state's output, or a state's
//! input after `Parameters`). The guide calls the error terminal and uncatchable by `States.ALL`, but the
//! recorded AWS histories of LocalStack's test suite
//! (`tests/aws/services/stepfunctions/v2/error_handling/test_states_errors.snapshot.json`, validated against
//! AWS in March 2024) show an oversized Lambda result failing the Task attempt with `TaskFailed` and a Catch
//! on `States.ALL` or on the name handling it, while an oversized state output fails the execution at once.
//! The runner does the same: [`check_task_result`] is catchable, [`check_state_data`] is terminal.

use std::io;

use serde_json::Value;

use super::error::{StateFailure, names};

/// The most bytes a state's input or output, a task's result, or an execution's input may hold.
pub const PAYLOAD_LIMIT_BYTES: usize = 262_144;

/// What `arn:aws:states:::lambda:invoke` adds around the function's result on AWS and the embedded runner
/// does not build: `ExecutedVersion`, `SdkHttpMetadata` (the response headers, twice) and
/// `SdkResponseMetadata`. About 900 bytes in recorded histories; counted generously, so a result that fits
/// here also fits on AWS.
pub(crate) const LAMBDA_INVOKE_METADATA_BYTES: usize = 1_024;

/// The size of `value` as compact JSON, counted without building the string.
pub(crate) fn payload_size(value: &Value) -> usize {
    let mut counter = ByteCounter(0);
    // Writing to a counter cannot fail, and serde_json cannot fail to serialize a Value.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// Fails the execution (no Retry or Catch applies) when `value` is over the quota. `what` says which data it
/// is, e.g. "the output of state 'Plan'".
pub(crate) fn check_state_data(value: &Value, what: impl FnOnce() -> String) -> Result<(), StateFailure> {
    let size = payload_size(value);
    if size <= PAYLOAD_LIMIT_BYTES {
        return Ok(());
    }
    Err(StateFailure::terminal(
        names::DATA_LIMIT_EXCEEDED,
        format!(
            "{} is {size} bytes of JSON, over the {PAYLOAD_LIMIT_BYTES}-byte quota Step Functions puts on state \
             input and output; keep large data out of the state (store it and pass its key)",
            what()
        ),
    ))
}

/// Fails the Task attempt (Retry and Catch apply) when a Lambda result, with the metadata AWS wraps around it,
/// is over the quota.
pub(crate) fn check_task_result(result: &Value, state: &str, function: &str) -> Result<(), StateFailure> {
    let size = payload_size(result) + LAMBDA_INVOKE_METADATA_BYTES;
    if size <= PAYLOAD_LIMIT_BYTES {
        return Ok(());
    }
    Err(StateFailure::new(
        names::DATA_LIMIT_EXCEEDED,
        format!(
            "function '{function}' of state '{state}' returned about {size} bytes (with the lambda:invoke \
             metadata), over the {PAYLOAD_LIMIT_BYTES}-byte quota Step Functions puts on a task result; return \
             less (store the data and return its key)"
        ),
    ))
}

struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A JSON string value whose compact serialization (quotes included) is exactly `bytes` long.
    fn string_of_json_size(bytes: usize) -> Value {
        Value::String("a".repeat(bytes - 2))
    }

    #[test]
    fn size_is_compact_utf8_json() {
        assert_eq!(payload_size(&json!({"a": [1, 2]})), r#"{"a":[1,2]}"#.len());
        // "é" is two bytes in UTF-8.
        assert_eq!(payload_size(&json!("é")), 4);
    }

    #[test]
    fn state_data_at_the_quota_passes_and_one_byte_more_is_terminal() {
        assert!(check_state_data(&string_of_json_size(PAYLOAD_LIMIT_BYTES), || "x".into()).is_ok());
        let failure = check_state_data(&string_of_json_size(PAYLOAD_LIMIT_BYTES + 1), || {
            "the output of state 'P'".into()
        })
        .unwrap_err();
        assert_eq!(failure.error, "States.DataLimitExceeded");
        assert!(failure.terminal);
        assert!(
            failure.cause.contains("the output of state 'P' is 262145 bytes"),
            "{}",
            failure.cause
        );
    }

    #[test]
    fn a_task_result_counts_the_metadata_aws_adds_and_stays_catchable() {
        let fits = string_of_json_size(PAYLOAD_LIMIT_BYTES - LAMBDA_INVOKE_METADATA_BYTES);
        assert!(check_task_result(&fits, "T", "F").is_ok());
        let over = string_of_json_size(PAYLOAD_LIMIT_BYTES - LAMBDA_INVOKE_METADATA_BYTES + 1);
        let failure = check_task_result(&over, "T", "F").unwrap_err();
        assert_eq!(failure.error, "States.DataLimitExceeded");
        assert!(!failure.terminal);
        assert!(
            failure.cause.contains("'F'") && failure.cause.contains("'T'"),
            "{}",
            failure.cause
        );
    }
}
