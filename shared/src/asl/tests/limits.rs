//! The 256 KiB payload quota, where Step Functions applies it.

use serde_json::{Value, json};

use super::{FnInvoker, echo, lambda_task, machine, run_report};
use crate::asl::HistoryEventType::*;
use crate::asl::PAYLOAD_LIMIT_BYTES;

/// A string whose JSON (quotes included) is `bytes` long.
fn json_of_size(bytes: usize) -> Value {
    Value::String("a".repeat(bytes - 2))
}

fn over_the_quota() -> Value {
    json_of_size(PAYLOAD_LIMIT_BYTES + 1)
}

#[tokio::test]
async fn an_execution_input_over_the_quota_is_refused_before_any_state_runs() {
    let machine = machine(json!({"StartAt": "T", "States": {"T": lambda_task("Echo", json!({"End": true}))}}));
    let invoker = echo();
    let report = run_report(&machine, json!({"big": over_the_quota()}), invoker.clone()).await;
    let failed = report.outcome.as_ref().unwrap_err();
    assert_eq!(failed.error, "States.DataLimitExceeded");
    assert!(failed.cause.contains("the execution input"), "{}", failed.cause);
    assert!(report.history.is_empty());
    assert!(invoker.calls().is_empty());
}

#[tokio::test]
async fn a_lambda_result_over_the_quota_fails_the_task_and_a_catch_all_takes_it() {
    let machine = machine(json!({"StartAt": "T", "States": {
        "T": lambda_task("Big", json!({
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}],
            "End": true
        })),
        "Handled": {"Type": "Pass", "End": true}
    }}));
    let invoker = FnInvoker::new(|_, _| Ok(json!({"rows": over_the_quota()})));
    let report = run_report(&machine, json!({"job_id": "j"}), invoker).await;
    let output = report.outcome.unwrap();
    assert_eq!(output["error"]["Error"], "States.DataLimitExceeded");
    assert!(
        output["error"]["Cause"]
            .as_str()
            .unwrap()
            .contains("function 'Big' of state 'T'"),
        "{output}"
    );
    // As AWS records it: the attempt fails (TaskFailed) and the Catch moves on (TaskStateExited).
    assert_eq!(
        report.history,
        vec![
            ExecutionStarted,
            TaskStateEntered,
            TaskScheduled,
            TaskStarted,
            TaskFailed,
            TaskStateExited,
            PassStateEntered,
            PassStateExited,
            ExecutionSucceeded
        ]
    );
}

#[tokio::test]
async fn a_lambda_result_that_fits_only_without_aws_metadata_is_over_the_quota() {
    let machine = machine(json!({"StartAt": "T", "States": {"T": lambda_task("Big", json!({
        "ResultSelector": {"size.$": "$.StatusCode"}, "End": true
    }))}}));
    // The embedded wrapper {"Payload":…,"StatusCode":200} is 26 bytes; AWS adds about a kilobyte more.
    let invoker = FnInvoker::new(|_, _| Ok(json_of_size(PAYLOAD_LIMIT_BYTES - 100)));
    let failed = run_report(&machine, json!({}), invoker).await.outcome.unwrap_err();
    assert_eq!(failed.error, "States.DataLimitExceeded");
}

#[tokio::test]
async fn a_state_output_over_the_quota_fails_the_execution_whatever_the_catch_says() {
    // The function's result fits, but added to the input (ResultPath) the state's output does not.
    let machine = machine(json!({"StartAt": "T", "States": {
        "T": lambda_task("Half", json!({
            "ResultPath": "$.result",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
            "Next": "Handled"
        })),
        "Handled": {"Type": "Pass", "End": true}
    }}));
    let half = json_of_size(PAYLOAD_LIMIT_BYTES / 2 + 16);
    let invoker = FnInvoker::new({
        let half = half.clone();
        move |_, _| Ok(half.clone())
    });
    let report = run_report(&machine, json!({"mine": half}), invoker).await;
    let failed = report.outcome.as_ref().unwrap_err();
    assert_eq!(failed.error, "States.DataLimitExceeded");
    assert!(failed.cause.contains("the output of state 'T'"), "{}", failed.cause);
    // No TaskStateExited: the state failed on its way out.
    assert_eq!(
        report.history,
        vec![
            ExecutionStarted,
            TaskStateEntered,
            TaskScheduled,
            TaskStarted,
            TaskSucceeded,
            ExecutionFailed
        ]
    );
}

#[tokio::test]
async fn parameters_over_the_quota_fail_the_execution_before_the_function_is_called() {
    let machine = machine(json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "Echo", "Payload": {"a.$": "$.half", "b.$": "$.half"}},
        "Retry": [{"ErrorEquals": ["States.ALL"]}],
        "End": true
    }}}));
    let invoker = echo();
    let input = json!({"half": json_of_size(PAYLOAD_LIMIT_BYTES / 2 + 16)});
    let report = run_report(&machine, input, invoker.clone()).await;
    let failed = report.outcome.as_ref().unwrap_err();
    assert_eq!(failed.error, "States.DataLimitExceeded");
    assert!(failed.cause.contains("the Parameters of state 'T'"), "{}", failed.cause);
    assert!(invoker.calls().is_empty(), "neither called nor retried");
}

#[tokio::test]
async fn a_map_iteration_input_over_the_quota_fails_the_execution() {
    let machine = machine(json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items",
        "ItemSelector": {"item.$": "$$.Map.Item.Value", "again.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"StartAt": "T", "States": {"T": lambda_task("Echo", json!({"End": true}))}},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
        "End": true
    }, "Handled": {"Type": "Pass", "End": true}}}));
    // The item fits in the execution input once; the ItemSelector puts it in each iteration's input twice.
    let input = json!({"items": [json_of_size(PAYLOAD_LIMIT_BYTES / 2 + 16)]});
    let failed = run_report(&machine, input, echo()).await.outcome.unwrap_err();
    assert_eq!(failed.error, "States.DataLimitExceeded");
    assert!(
        failed.cause.contains("the input of iteration 0 of Map state 'M'"),
        "{}",
        failed.cause
    );
}
