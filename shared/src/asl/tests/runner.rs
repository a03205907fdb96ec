//! One ASL rule per test, on small definitions.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{FnInvoker, echo, lambda_task, machine, run, test_options};
use crate::asl::{ExecutionOptions, TaskFailure, TaskInvoker, function_name};

#[tokio::test]
async fn lambda_results_are_wrapped_in_payload_and_status_code() {
    let machine = machine(json!({"StartAt": "T", "States": {"T": lambda_task("Echo", json!({"End": true}))}}));
    let output = run(&machine, json!({"a": 1}), echo()).await.unwrap();
    assert_eq!(output, json!({"Payload": {"a": 1}, "StatusCode": 200}));
}

#[tokio::test]
async fn input_path_parameters_result_selector_result_path_and_output_path_apply_in_order() {
    let task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "InputPath": "$.request",
        "Parameters": {"FunctionName": "Double", "Payload": {"n.$": "$.n", "execution.$": "$$.Execution.Name"}},
        "ResultSelector": {"doubled.$": "$.Payload.n", "status.$": "$.StatusCode", "seen.$": "$.Payload.execution"},
        "ResultPath": "$.response",
        "OutputPath": "$.response",
        "End": true
    });
    let machine = machine(json!({"StartAt": "T", "States": {"T": task}}));
    let invoker = FnInvoker::new(|_, payload| {
        Ok(json!({"n": payload["n"].as_i64().unwrap() * 2, "execution": payload["execution"]}))
    });
    let output = run(&machine, json!({"request": {"n": 21}, "other": true}), invoker.clone())
        .await
        .unwrap();
    assert_eq!(output, json!({"doubled": 42, "status": 200, "seen": "test-execution"}));
    assert_eq!(
        invoker.calls(),
        vec![("Double".to_string(), json!({"n": 21, "execution": "test-execution"}))]
    );
}

#[tokio::test]
async fn arn_function_names_reach_the_invoker_as_plain_names() {
    assert_eq!(
        function_name("arn:aws:lambda:eu-west-1:123456789012:function:oktavault-PlanBackup"),
        "oktavault-PlanBackup"
    );
    assert_eq!(
        function_name("arn:aws:lambda:eu-west-1:123456789012:function:Plan:live"),
        "Plan"
    );
    assert_eq!(function_name("PlanBackup"), "PlanBackup");
    let machine = machine(json!({"StartAt": "T", "States": {
        "T": lambda_task("arn:aws:lambda:us-east-1:1:function:Echo:$LATEST", json!({"End": true}))
    }}));
    let invoker = echo();
    run(&machine, json!({}), invoker.clone()).await.unwrap();
    assert_eq!(invoker.calls()[0].0, "Echo");
}

#[tokio::test]
async fn catch_writes_error_and_cause_at_its_result_path_over_the_raw_input() {
    let definition = |result_path: Value| {
        let mut catcher = json!({"ErrorEquals": ["States.ALL"], "Next": "Handled"});
        if result_path != json!("absent") {
            catcher["ResultPath"] = result_path;
        }
        json!({"StartAt": "T", "States": {
            "T": lambda_task("Boom", json!({"InputPath": "$.inner", "Catch": [catcher], "End": true})),
            "Handled": {"Type": "Pass", "End": true}
        }})
    };
    let boom = || FnInvoker::new(|_, _| Err(TaskFailure::new("OktaVault.Fatal", "the org refused the token")));
    let input = json!({"job_id": "j1", "inner": {"x": 1}});
    let error = json!({"Error": "OktaVault.Fatal", "Cause": "the org refused the token"});

    let output = run(&machine(definition(json!("$.error"))), input.clone(), boom())
        .await
        .unwrap();
    assert_eq!(output, json!({"job_id": "j1", "inner": {"x": 1}, "error": error}));

    let output = run(&machine(definition(Value::Null)), input.clone(), boom())
        .await
        .unwrap();
    assert_eq!(output, input);

    let output = run(&machine(definition(json!("absent"))), input, boom()).await.unwrap();
    assert_eq!(output, error);
}

#[tokio::test]
async fn an_uncaught_task_failure_ends_the_execution_with_its_name_and_cause() {
    let machine = machine(json!({"StartAt": "T", "States": {
        "T": lambda_task("Boom", json!({"Catch": [{"ErrorEquals": ["Other"], "Next": "T"}], "End": true}))
    }}));
    let failed = run(
        &machine,
        json!({}),
        FnInvoker::new(|_, _| Err(TaskFailure::new("OktaVault.Fatal", "no"))),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (failed.error.as_str(), failed.cause.as_str()),
        ("OktaVault.Fatal", "no")
    );
    assert_eq!(
        failed.to_string(),
        "state machine execution failed with OktaVault.Fatal: no"
    );
}

/// Fails with `error` on the first `failures` calls, then echoes.
fn flaky(error: &'static str, failures: usize) -> Arc<FnInvoker> {
    let attempts = AtomicUsize::new(0);
    FnInvoker::new(move |_, payload| {
        if attempts.fetch_add(1, Ordering::SeqCst) < failures {
            Err(TaskFailure::new(error, "transient"))
        } else {
            Ok(payload.clone())
        }
    })
}

#[tokio::test]
async fn retry_stops_after_max_attempts_and_zero_means_never() {
    let retrying = |max_attempts: u32| {
        machine(json!({"StartAt": "T", "States": {"T": lambda_task("Flaky", json!({
            "Retry": [{"ErrorEquals": ["Transient"], "MaxAttempts": max_attempts}], "End": true
        }))}}))
    };
    let invoker = flaky("Transient", 3);
    assert!(run(&retrying(3), json!({}), invoker.clone()).await.is_ok());
    assert_eq!(invoker.calls().len(), 4);

    let invoker = flaky("Transient", 4);
    assert_eq!(
        run(&retrying(3), json!({}), invoker.clone()).await.unwrap_err().error,
        "Transient"
    );
    assert_eq!(invoker.calls().len(), 4);

    let invoker = flaky("Transient", 1);
    assert!(run(&retrying(0), json!({}), invoker.clone()).await.is_err());
    assert_eq!(invoker.calls().len(), 1);
}

#[tokio::test]
async fn only_the_first_matching_retrier_applies_and_then_catch_takes_over() {
    let machine = machine(json!({"StartAt": "T", "States": {
        "T": lambda_task("Flaky", json!({
            "Retry": [{"ErrorEquals": ["Transient"], "MaxAttempts": 1}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}],
            "End": true
        })),
        "Handled": {"Type": "Pass", "End": true}
    }}));
    let invoker = flaky("Transient", 10);
    let output = run(&machine, json!({"job_id": "j"}), invoker.clone()).await.unwrap();
    assert_eq!(invoker.calls().len(), 2);
    assert_eq!(output["error"]["Error"], "Transient");
}

#[tokio::test]
async fn retry_waits_the_backoff_interval_scaled_by_the_options() {
    let machine = machine(json!({"StartAt": "T", "States": {"T": lambda_task("Flaky", json!({
        "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2}], "End": true
    }))}}));
    let options = ExecutionOptions {
        retry_interval_scale: 0.05,
        ..ExecutionOptions::new("timed")
    };
    let started = std::time::Instant::now();
    machine
        .execute(json!({}), flaky("Transient", 2), &options)
        .await
        .unwrap();
    // Waits of 1 s then 2 s, scaled by 0.05: 150 ms in all.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(150) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_path_that_does_not_resolve_is_a_runtime_failure_that_states_all_does_not_catch() {
    let machine = machine(json!({"StartAt": "T", "States": {
        "T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "Echo", "Payload": {"id.$": "$.job_id"}},
            "Retry": [{"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
            "End": true
        },
        "Handled": {"Type": "Pass", "End": true}
    }}));
    let invoker = echo();
    let failed = run(&machine, json!({"org_id": "o"}), invoker.clone())
        .await
        .unwrap_err();
    assert_eq!(failed.error, "States.Runtime");
    assert!(failed.cause.contains("'$.job_id'"), "{}", failed.cause);
    assert!(invoker.calls().is_empty());
}

#[tokio::test]
async fn choice_follows_the_first_matching_rule_then_default_then_fails_without_one() {
    let definition = |default: Option<&str>| {
        let mut choice = json!({"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
            {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Medium"}
        ]});
        if let Some(default) = default {
            choice["Default"] = json!(default);
        }
        machine(json!({"StartAt": "C", "States": {
            "C": choice,
            "Big": {"Type": "Pass", "Result": "big", "End": true},
            "Medium": {"Type": "Pass", "Result": "medium", "End": true},
            "Small": {"Type": "Pass", "Result": "small", "End": true}
        }}))
    };
    assert_eq!(
        run(&definition(Some("Small")), json!({"n": 20}), echo()).await.unwrap(),
        json!("big")
    );
    assert_eq!(
        run(&definition(Some("Small")), json!({"n": 7}), echo()).await.unwrap(),
        json!("medium")
    );
    assert_eq!(
        run(&definition(Some("Small")), json!({"n": 1}), echo()).await.unwrap(),
        json!("small")
    );
    let failed = run(&definition(None), json!({"n": 1}), echo()).await.unwrap_err();
    assert_eq!(failed.error, "States.NoChoiceMatched");
    assert!(failed.cause.contains("'C'"), "{}", failed.cause);
}

#[tokio::test]
async fn pass_fail_and_succeed_states_behave_per_spec() {
    let machine = machine(json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name", "first.$": "$.list[0]"}, "ResultPath": "$.p", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.p.first", "StringEquals": "stop", "Next": "F"}], "Default": "S"},
        "S": {"Type": "Succeed", "OutputPath": "$.p"},
        "F": {"Type": "Fail", "Error": "Stopped", "Cause": "asked to stop"}
    }}));
    let output = run(&machine, json!({"list": ["go"]}), echo()).await.unwrap();
    assert_eq!(output, json!({"name": "test-execution", "first": "go"}));
    let failed = run(&machine, json!({"list": ["stop"]}), echo()).await.unwrap_err();
    assert_eq!(
        (failed.error.as_str(), failed.cause.as_str()),
        ("Stopped", "asked to stop")
    );
}

/// Counts how many invocations are in flight at once; each takes a few milliseconds.
struct ConcurrencyProbe {
    in_flight: AtomicUsize,
    most: AtomicUsize,
}

#[async_trait]
impl TaskInvoker for ConcurrencyProbe {
    async fn invoke(&self, _function: &str, payload: Value) -> Result<Value, TaskFailure> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if payload["value"] == json!("bad") {
            return Err(TaskFailure::new("OktaVault.Fatal", "bad item"));
        }
        Ok(json!({"index": payload["index"], "value": payload["value"]}))
    }
}

fn map_machine(max_concurrency: u64) -> crate::asl::StateMachine {
    machine(json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "tag.$": "$.tag"},
        "MaxConcurrency": max_concurrency,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "T", "States": {
            "T": lambda_task("Probe", json!({"OutputPath": "$.Payload", "End": true}))
        }},
        "ResultPath": "$.results",
        "End": true
    }}}))
}

async fn run_map(max_concurrency: u64, items: Value) -> (Result<Value, crate::asl::ExecutionFailed>, usize) {
    let probe = Arc::new(ConcurrencyProbe {
        in_flight: AtomicUsize::new(0),
        most: AtomicUsize::new(0),
    });
    let result = map_machine(max_concurrency)
        .execute(json!({"items": items, "tag": "t"}), probe.clone(), &test_options())
        .await;
    (result, probe.most.load(Ordering::SeqCst))
}

#[tokio::test]
async fn map_results_keep_item_order_and_respect_max_concurrency() {
    let items = json!(["a", "b", "c", "d", "e", "f"]);
    let (output, most) = run_map(2, items.clone()).await;
    let output = output.unwrap();
    assert_eq!(most, 2);
    let expected: Vec<Value> = (0..6).map(|i| json!({"index": i, "value": items[i]})).collect();
    assert_eq!(output, json!({"items": items, "tag": "t", "results": expected}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_max_concurrency_zero_runs_every_item_at_once() {
    let (output, most) = run_map(0, json!([1, 2, 3, 4, 5, 6])).await;
    assert!(output.is_ok());
    assert_eq!(most, 6);
}

#[tokio::test]
async fn a_failing_iteration_fails_the_map_with_its_error() {
    let (output, _) = run_map(3, json!(["a", "bad", "c", "d"])).await;
    let failed = output.unwrap_err();
    assert_eq!(
        (failed.error.as_str(), failed.cause.as_str()),
        ("OktaVault.Fatal", "bad item")
    );
}

#[tokio::test]
async fn a_map_over_something_that_is_not_an_array_is_a_runtime_failure() {
    let (output, _) = run_map(1, json!({"not": "a list"})).await;
    let failed = output.unwrap_err();
    assert_eq!(failed.error, "States.Runtime");
    assert!(
        failed.cause.contains("'$.items'") && failed.cause.contains("an object"),
        "{}",
        failed.cause
    );
}

#[tokio::test]
async fn task_timeout_fails_with_states_timeout() {
    struct Slow;
    #[async_trait]
    impl TaskInvoker for Slow {
        async fn invoke(&self, _function: &str, _payload: Value) -> Result<Value, TaskFailure> {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(json!({}))
        }
    }
    let machine = machine(
        json!({"StartAt": "T", "States": {"T": lambda_task("Slow", json!({"TimeoutSeconds": 1, "End": true}))}}),
    );
    let failed = run(&machine, json!({}), Arc::new(Slow)).await.unwrap_err();
    assert_eq!(failed.error, "States.Timeout");
    assert!(failed.cause.contains("'Slow'"), "{}", failed.cause);
}
