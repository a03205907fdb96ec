//! Retrier fields as Step Functions bounds them, and which errors `States.TaskFailed` and `States.ALL` match.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{FnInvoker, lambda_task, machine, run};
use crate::asl::{StateMachine, TaskFailure};

fn with_retrier(retrier: Value) -> Result<StateMachine, String> {
    let definition = json!({"StartAt": "T", "States": {"T": lambda_task("F", json!({
        "Retry": [retrier], "End": true
    }))}});
    StateMachine::parse(&definition.to_string(), &HashMap::new()).map_err(|error| error.to_string())
}

#[test]
fn retrier_fields_within_the_aws_bounds_are_accepted() {
    for fields in [
        json!({"MaxAttempts": 0}),
        json!({"MaxAttempts": 99_999_999}),
        json!({"IntervalSeconds": 1}),
        json!({"IntervalSeconds": 99_999_999}),
        json!({"BackoffRate": 1.0}),
        json!({"BackoffRate": 1.5}),
        json!({"BackoffRate": 2}),
        json!({"MaxDelaySeconds": 1}),
        json!({"MaxDelaySeconds": 31_622_400}),
        json!({"JitterStrategy": "FULL"}),
    ] {
        let mut retrier = json!({"ErrorEquals": ["X"]});
        retrier
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        assert!(with_retrier(retrier.clone()).is_ok(), "{retrier}");
    }
}

#[test]
fn retrier_fields_step_functions_refuses_are_refused_with_the_field_named() {
    for (field, value) in [
        ("IntervalSeconds", json!(1.5)),
        ("IntervalSeconds", json!(0)),
        ("IntervalSeconds", json!(100_000_000)),
        ("MaxAttempts", json!(2.5)),
        ("MaxAttempts", json!(-1)),
        ("MaxAttempts", json!(100_000_000)),
        ("BackoffRate", json!(0.99)),
        ("BackoffRate", json!("2")),
        ("MaxDelaySeconds", json!(0)),
        ("MaxDelaySeconds", json!(3.5)),
        ("MaxDelaySeconds", json!(31_622_401)),
    ] {
        let mut retrier = json!({"ErrorEquals": ["X"]});
        retrier[field] = value.clone();
        let error = with_retrier(retrier).expect_err(&format!("{field}: {value} is refused"));
        assert!(
            error.contains(field) && error.contains("state 'T' Retry[0]"),
            "{field} {value}: {error}"
        );
    }
}

#[test]
fn task_timeout_seconds_above_the_aws_maximum_is_refused() {
    let definition = json!({"StartAt": "T", "States": {"T": lambda_task("F", json!({
        "TimeoutSeconds": 100_000_000, "End": true
    }))}});
    let error = StateMachine::parse(&definition.to_string(), &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("TimeoutSeconds") && error.contains("99999999"),
        "{error}"
    );
}

/// A Map whose iteration fails with `error`, caught by a Catch on `catch_on`.
async fn map_iteration_failure_caught_by(error: &'static str, catch_on: &str) -> bool {
    let machine = machine(json!({"StartAt": "M", "States": {
        "M": {
            "Type": "Map", "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "T", "States": {"T": lambda_task("F", json!({"End": true}))}},
            "Catch": [{"ErrorEquals": [catch_on], "ResultPath": "$.error", "Next": "Handled"}],
            "End": true
        },
        "Handled": {"Type": "Pass", "End": true}
    }}));
    let invoker = FnInvoker::new(move |_, _| Err(TaskFailure::new(error, "failed")));
    run(&machine, json!({"items": [1]}), invoker).await.is_ok()
}

#[tokio::test]
async fn states_task_failed_matches_every_error_but_states_timeout() {
    // AWS: "a wildcard that matches any known error name except for States.Timeout", States.* names included.
    assert!(map_iteration_failure_caught_by("OktaVault.Fatal", "States.TaskFailed").await);
    assert!(map_iteration_failure_caught_by("States.NoChoiceMatched", "States.TaskFailed").await);
    assert!(map_iteration_failure_caught_by("States.DataLimitExceeded", "States.TaskFailed").await);
    assert!(!map_iteration_failure_caught_by("States.Timeout", "States.TaskFailed").await);
    assert!(map_iteration_failure_caught_by("States.Timeout", "States.ALL").await);
}

#[tokio::test]
async fn a_choice_that_matches_nothing_inside_a_map_is_caught_by_states_task_failed() {
    let machine = machine(json!({"StartAt": "M", "States": {
        "M": {
            "Type": "Map", "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 1, "Next": "S"}]},
                "S": {"Type": "Succeed"}
            }},
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Handled"}],
            "End": true
        },
        "Handled": {"Type": "Pass", "End": true}
    }}));
    let output = run(&machine, json!({"items": [2]}), super::echo()).await.unwrap();
    assert_eq!(output["error"]["Error"], "States.NoChoiceMatched");
}
