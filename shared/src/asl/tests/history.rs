//! The history events an execution writes, against the sequences AWS records, and the 25,000-event quota.
//! The expected lists are written out by hand from the event rules in `asl/history.rs` (and the recorded AWS
//! histories cited there), not derived from the runner.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{FnInvoker, echo, lambda_task, machine, run_report, test_options};
use crate::asl::HistoryEventType::{self, *};
use crate::asl::{HISTORY_EVENT_LIMIT, StateMachine, TaskCall, TaskFailure, TaskInvoker};

fn counts(history: &[HistoryEventType]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for event in history {
        *counts.entry(event.to_string()).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn a_task_retried_once_writes_a_second_scheduled_started_pair_and_nothing_else() {
    let machine = machine(json!({"StartAt": "T", "States": {"T": lambda_task("Flaky", json!({
        "Retry": [{"ErrorEquals": ["Transient"], "MaxAttempts": 2}], "End": true
    }))}}));
    let calls = AtomicUsize::new(0);
    let invoker = FnInvoker::new(move |_, payload| match calls.fetch_add(1, Ordering::SeqCst) {
        0 => Err(TaskFailure::new("Transient", "try again")),
        _ => Ok(payload.clone()),
    });
    let report = run_report(&machine, json!({}), invoker).await;
    assert!(report.outcome.is_ok());
    assert_eq!(
        report.history,
        vec![
            ExecutionStarted,
            TaskStateEntered,
            TaskScheduled,
            TaskStarted,
            TaskFailed,
            TaskScheduled,
            TaskStarted,
            TaskSucceeded,
            TaskStateExited,
            ExecutionSucceeded,
        ]
    );
}

/// `Count` → `More` (Choice) → back to `Count` until the function says done → `Done` (Succeed).
fn counting_loop(prefix_passes: usize) -> StateMachine {
    let mut states = serde_json::Map::new();
    for index in 0..prefix_passes {
        let next = if index + 1 == prefix_passes {
            "Count".to_string()
        } else {
            format!("P{}", index + 1)
        };
        states.insert(format!("P{index}"), json!({"Type": "Pass", "Next": next}));
    }
    states.insert(
        "Count".into(),
        lambda_task("Count", json!({"OutputPath": "$.Payload", "Next": "More"})),
    );
    states.insert(
        "More".into(),
        json!({"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": false, "Next": "Count"}],
               "Default": "Done"}),
    );
    states.insert("Done".into(), json!({"Type": "Succeed"}));
    let start = if prefix_passes == 0 { "Count" } else { "P0" };
    machine(json!({"StartAt": start, "States": states}))
}

/// A function that reports `done` on its `rounds`-th call, counting its calls.
fn counter(rounds: usize) -> (Arc<FnInvoker>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let invoker = FnInvoker::new(move |_, _| {
        let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(json!({"done": call >= rounds}))
    });
    (invoker, seen)
}

#[tokio::test]
async fn a_choice_loop_writes_entered_and_exited_for_every_pass_through_each_state() {
    let (invoker, _) = counter(2);
    let report = run_report(&counting_loop(0), json!({}), invoker).await;
    assert!(report.outcome.is_ok());
    let round = [
        TaskStateEntered,
        TaskScheduled,
        TaskStarted,
        TaskSucceeded,
        TaskStateExited,
        ChoiceStateEntered,
        ChoiceStateExited,
    ];
    let mut expected = vec![ExecutionStarted];
    expected.extend(round);
    expected.extend(round);
    expected.extend([SucceedStateEntered, SucceedStateExited, ExecutionSucceeded]);
    assert_eq!(report.history, expected);
}

fn map_of_tasks(max_concurrency: u64) -> StateMachine {
    machine(json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": max_concurrency,
        "ItemProcessor": {"StartAt": "T", "States": {"T": lambda_task("Echo", json!({"End": true}))}},
        "End": true
    }}}))
}

#[tokio::test]
async fn a_map_with_two_iterations_writes_map_and_iteration_events_around_each_task() {
    let report = run_report(&map_of_tasks(1), json!({"items": [1, 2]}), echo()).await;
    assert!(report.outcome.is_ok());
    let iteration = [
        MapIterationStarted,
        TaskStateEntered,
        TaskScheduled,
        TaskStarted,
        TaskSucceeded,
        TaskStateExited,
        MapIterationSucceeded,
    ];
    let mut expected = vec![ExecutionStarted, MapStateEntered, MapStateStarted];
    expected.extend(iteration);
    expected.extend(iteration);
    expected.extend([MapStateSucceeded, MapStateExited, ExecutionSucceeded]);
    assert_eq!(report.history, expected);

    // Concurrent iterations interleave, but write the same events.
    let concurrent = run_report(&map_of_tasks(0), json!({"items": [1, 2]}), echo()).await;
    assert_eq!(counts(&concurrent.history), counts(&expected));
}

/// Fails the item "bad" at once; every other item waits far longer than the test runs.
struct OneFailsOthersWait;

#[async_trait]
impl TaskInvoker for OneFailsOthersWait {
    async fn invoke(&self, _function: &str, payload: Value) -> Result<Value, TaskFailure> {
        if payload == json!("bad") {
            return Err(TaskFailure::new("OktaVault.Fatal", "bad item"));
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
        Ok(payload)
    }
}

#[tokio::test]
async fn a_failing_iteration_aborts_the_running_ones_as_aws_records_it() {
    let machine = machine(json!({"StartAt": "M", "States": {
        "M": {
            "Type": "Map", "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "T", "States": {"T": lambda_task("Work", json!({"End": true}))}},
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}],
            "Next": "Handled"
        },
        "Handled": {"Type": "Pass", "End": true}
    }}));
    let report = run_report(
        &machine,
        json!({"items": ["slow", "bad", "slow"]}),
        Arc::new(OneFailsOthersWait),
    )
    .await;
    assert_eq!(report.outcome.unwrap()["error"]["Error"], "OktaVault.Fatal");
    // As in AWS's history of four iterations where one failed (timeouts/test_timeouts.snapshot.json): one
    // MapIterationFailed, the others MapIterationAborted, a TaskStateAborted for every iteration's Task.
    let expected: BTreeMap<String, usize> = [
        ("ExecutionStarted", 1),
        ("MapStateEntered", 1),
        ("MapStateStarted", 1),
        ("MapIterationStarted", 3),
        ("TaskStateEntered", 3),
        ("TaskScheduled", 3),
        ("TaskStarted", 3),
        ("TaskFailed", 1),
        ("TaskStateAborted", 3),
        ("MapIterationFailed", 1),
        ("MapIterationAborted", 2),
        ("MapStateFailed", 1),
        ("MapStateExited", 1),
        ("PassStateEntered", 1),
        ("PassStateExited", 1),
        ("ExecutionSucceeded", 1),
    ]
    .into_iter()
    .map(|(event, count)| (event.to_string(), count))
    .collect();
    assert_eq!(counts(&report.history), expected);
}

#[tokio::test]
async fn an_execution_whose_success_is_event_25000_succeeds() {
    // 1 (started) + 3 Passes x 2 + 3570 rounds x 7 + Succeed 2 + 1 (succeeded) = 25,000.
    let (invoker, calls) = counter(3570);
    let report = run_report(&counting_loop(3), json!({}), invoker).await;
    assert!(report.outcome.is_ok(), "{:?}", report.outcome);
    assert_eq!(report.history_events(), HISTORY_EVENT_LIMIT);
    assert_eq!(report.history.last(), Some(&ExecutionSucceeded));
    assert_eq!(calls.load(Ordering::SeqCst), 3570);
}

#[tokio::test]
async fn one_more_round_fails_with_states_runtime_naming_the_event_and_state() {
    let (invoker, calls) = counter(3571);
    let report = run_report(&counting_loop(3), json!({}), invoker).await;
    let failed = report.outcome.as_ref().unwrap_err();
    assert_eq!(failed.error, "States.Runtime");
    // Events 24,998 and 24,999 are the last round's TaskStateEntered and TaskScheduled; its TaskStarted
    // would have been number 25,000, so the function is not called a 3571st time.
    assert!(
        failed.cause.contains("maximum number of history events (25000)")
            && failed.cause.contains("TaskStarted of state 'Count'"),
        "{}",
        failed.cause
    );
    assert_eq!(report.history_events(), HISTORY_EVENT_LIMIT);
    assert_eq!(report.history.last(), Some(&ExecutionFailed));
    assert_eq!(calls.load(Ordering::SeqCst), 3570);
}

#[tokio::test]
async fn the_history_quota_is_not_caught_by_a_catch_all_around_a_loop_that_never_ends() {
    let machine = machine(json!({"StartAt": "M", "States": {
        "M": {
            "Type": "Map", "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "Again", "States": {
                "Again": {"Type": "Pass", "Next": "Check"},
                "Check": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": false,
                          "Next": "Again"}], "Default": "Out"},
                "Out": {"Type": "Succeed"}
            }},
            "Retry": [{"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
            "End": true
        },
        "Handled": {"Type": "Pass", "End": true}
    }}));
    let report = run_report(&machine, json!({"items": [{"done": false}]}), echo()).await;
    let failed = report.outcome.as_ref().unwrap_err();
    assert_eq!(failed.error, "States.Runtime");
    // 4 events lead into the loop (started, Map entered and started, iteration started), then 4 per round:
    // the quota runs out on the 6250th round's ChoiceStateExited.
    assert!(
        failed.cause.contains("ChoiceStateExited of state 'Check'"),
        "{}",
        failed.cause
    );
    assert_eq!(report.history_events(), HISTORY_EVENT_LIMIT);
    let counts = counts(&report.history);
    assert_eq!(counts["MapStateStarted"], 1, "the Map was not retried");
    assert!(
        !counts.contains_key("MapStateExited"),
        "the Map's Catch did not take the error"
    );
}

/// Remembers the event count each call saw.
#[derive(Default)]
struct CountWatcher {
    seen: std::sync::Mutex<Vec<(String, u32, usize)>>,
}

#[async_trait]
impl TaskInvoker for CountWatcher {
    async fn invoke(&self, _function: &str, _payload: Value) -> Result<Value, TaskFailure> {
        unreachable!("the runner calls invoke_task, which this invoker overrides")
    }

    async fn invoke_task(&self, _function: &str, payload: Value, call: TaskCall<'_>) -> Result<Value, TaskFailure> {
        self.seen
            .lock()
            .unwrap()
            .push((call.state.to_string(), call.retry_count, call.history_events));
        if call.retry_count == 0 && call.state == "Second" {
            return Err(TaskFailure::new("Transient", "once"));
        }
        Ok(payload)
    }
}

#[tokio::test]
async fn a_task_sees_how_many_events_the_execution_has_written_so_far() {
    let machine = machine(json!({"StartAt": "First", "States": {
        "First": lambda_task("F", json!({"OutputPath": "$.Payload", "Next": "Second"})),
        "Second": lambda_task("F", json!({"Retry": [{"ErrorEquals": ["Transient"]}], "End": true}))
    }}));
    let watcher = Arc::new(CountWatcher::default());
    let report = machine.run(json!({}), watcher.clone(), &test_options()).await;
    assert!(report.outcome.is_ok());
    // First: started, entered, scheduled, started (4). Second: then succeeded, exited (6), entered,
    // scheduled, started (9); its retry after failed (10): scheduled, started (12).
    assert_eq!(
        *watcher.seen.lock().unwrap(),
        vec![
            ("First".to_string(), 0, 4),
            ("Second".to_string(), 0, 9),
            ("Second".to_string(), 1, 12)
        ]
    );
}
