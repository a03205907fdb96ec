//! The execution history AWS Step Functions would write for an execution, kept as a list of event types, and
//! its hard quota of 25,000 events.
//!
//! Which events each state writes, for a Standard workflow whose Tasks use `arn:aws:states:::lambda:invoke`
//! (event type names from the API reference, "HistoryEvent"; sequences from recorded AWS histories in
//! LocalStack's `tests/aws/services/stepfunctions/v2/*.snapshot.json`, all validated against AWS):
//! - the execution: `ExecutionStarted`, then `ExecutionSucceeded` or `ExecutionFailed`;
//! - Task: `TaskStateEntered`; per attempt `TaskScheduled`, `TaskStarted`, then `TaskSucceeded`, `TaskFailed`
//!   or `TaskTimedOut` (a retry adds nothing else); `TaskStateExited` when it succeeds or a Catch takes the
//!   error. An attempt that fails before the call (a path that does not resolve) writes no task events.
//!   Inside a Map iteration, an error no Catch takes adds `TaskStateAborted`
//!   (error_handling/test_task_service_lambda, states_variables/test_error_output, timeouts/test_timeouts);
//! - Pass, Choice, Succeed: `<Type>StateEntered`, `<Type>StateExited`; Fail: `FailStateEntered` only;
//! - Map (inline): `MapStateEntered`; per attempt `MapStateStarted`, then per iteration `MapIterationStarted`,
//!   its states, and `MapIterationSucceeded`, `MapIterationFailed` (the iteration that failed the Map) or
//!   `MapIterationAborted` (the others still running, each with `<Type>StateAborted` for the state it was
//!   in); `MapStateSucceeded` or, when no retry follows, `MapStateFailed`; `MapStateExited` when it succeeds
//!   or a Catch takes the error (scenarios/test_base_scenarios: test_map_state*, timeouts/test_timeouts).
//!
//! A state that fails writes no `...Exited`. The quota (developer guide, "Avoid reaching the history quota",
//! bp-history-limit): "When an execution reaches 24,999 events, it waits for the next event to happen. If
//! the event number 25,000 is ExecutionSucceeded, the execution finishes successfully", otherwise the
//! execution fails, with `ExecutionFailed` as event 25,000, error `States.Runtime` and cause "The execution
//! reached the maximum number of history events (25000)." (as AWS reports it, e.g. loads/ardere issue 86).

use std::fmt;
use std::sync::Mutex;

use super::error::StateFailure;

/// The hard quota on events in one execution's history.
pub const HISTORY_EVENT_LIMIT: usize = 25_000;

/// The history event types the runner writes, named as in the Step Functions API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryEventType {
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    TaskStateEntered,
    TaskScheduled,
    TaskStarted,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    TaskStateExited,
    TaskStateAborted,
    MapStateEntered,
    MapStateStarted,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
    MapIterationAborted,
    MapStateSucceeded,
    MapStateFailed,
    MapStateExited,
    MapStateAborted,
    ChoiceStateEntered,
    ChoiceStateExited,
    PassStateEntered,
    PassStateExited,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
}

impl fmt::Display for HistoryEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One execution's history, shared by all its states and Map iterations.
#[derive(Default)]
pub(crate) struct History {
    ledger: Mutex<Ledger>,
}

#[derive(Default)]
struct Ledger {
    events: Vec<HistoryEventType>,
    /// The first event the quota refused, with its state: from then on the execution has failed.
    refused: Option<(HistoryEventType, String)>,
}

impl History {
    /// A history whose first event, `ExecutionStarted`, is written.
    pub fn started() -> Self {
        let history = History::default();
        history.lock().events.push(HistoryEventType::ExecutionStarted);
        history
    }

    /// Writes an event of `state`. Fails (with the terminal `States.Runtime` AWS reports) when it would be
    /// event 25,000, which only the execution's own end may be.
    pub fn record(&self, event: HistoryEventType, state: &str) -> Result<(), StateFailure> {
        let mut ledger = self.lock();
        if ledger.events.len() + 1 < HISTORY_EVENT_LIMIT {
            ledger.events.push(event);
            return Ok(());
        }
        let (refused_event, refused_state) = ledger.refused.get_or_insert_with(|| (event, state.to_string())).clone();
        Err(limit_failure(refused_event, &refused_state))
    }

    /// Writes an event on the way out of a failure, where the failure already propagates: a refusal only
    /// marks the execution as over the quota (see [`History::finish`]).
    pub fn record_on_failure(&self, event: HistoryEventType, state: &str) {
        let _ = self.record(event, state);
    }

    pub fn len(&self) -> usize {
        self.lock().events.len()
    }

    /// Ends the history: `ExecutionSucceeded` or `ExecutionFailed`. Once the quota refused an event, the
    /// execution failed for that reason whatever happened after.
    pub fn finish<T>(&self, outcome: Result<T, StateFailure>) -> (Result<T, StateFailure>, Vec<HistoryEventType>) {
        let mut ledger = self.lock();
        let outcome = match &ledger.refused {
            Some((event, state)) => Err(limit_failure(*event, state)),
            None => outcome,
        };
        ledger.events.push(match outcome {
            Ok(_) => HistoryEventType::ExecutionSucceeded,
            Err(_) => HistoryEventType::ExecutionFailed,
        });
        (outcome, std::mem::take(&mut ledger.events))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        // A panic while holding the lock cannot leave the ledger half-written: every change is one push.
        self.ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn limit_failure(event: HistoryEventType, state: &str) -> StateFailure {
    StateFailure::runtime(format!(
        "The execution reached the maximum number of history events ({HISTORY_EVENT_LIMIT}). The next event, \
         {event} of state '{state}', would have been event number {HISTORY_EVENT_LIMIT}. Split the work over \
         several executions (a Task can start a continuation execution) or do more per state"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_slot_is_kept_for_the_end_of_the_execution() {
        let history = History::default();
        for _ in 0..HISTORY_EVENT_LIMIT - 1 {
            history.record(HistoryEventType::PassStateEntered, "P").unwrap();
        }
        let failure = history.record(HistoryEventType::PassStateExited, "P").unwrap_err();
        assert_eq!(failure.error, "States.Runtime");
        assert!(failure.terminal);
        let (outcome, events) = history.finish(Ok(()));
        assert_eq!(outcome.unwrap_err(), failure);
        assert_eq!(events.len(), HISTORY_EVENT_LIMIT);
        assert_eq!(events.last(), Some(&HistoryEventType::ExecutionFailed));
    }

    #[test]
    fn an_execution_that_ends_as_event_25000_succeeds() {
        let history = History::default();
        for _ in 0..HISTORY_EVENT_LIMIT - 1 {
            history.record(HistoryEventType::PassStateEntered, "P").unwrap();
        }
        let (outcome, events) = history.finish(Ok("done"));
        assert_eq!(outcome.unwrap(), "done");
        assert_eq!(events.len(), HISTORY_EVENT_LIMIT);
        assert_eq!(events.last(), Some(&HistoryEventType::ExecutionSucceeded));
    }

    #[test]
    fn a_refusal_on_a_failure_path_still_fails_the_execution_for_the_quota() {
        let history = History::default();
        for _ in 0..HISTORY_EVENT_LIMIT - 1 {
            history.record(HistoryEventType::TaskStarted, "T").unwrap();
        }
        history.record_on_failure(HistoryEventType::MapStateFailed, "M");
        let (outcome, _) = history.finish(Err::<(), _>(StateFailure::new("OktaVault.Fatal", "page failed")));
        let failure = outcome.unwrap_err();
        assert_eq!(failure.error, "States.Runtime");
        assert!(
            failure.cause.contains("MapStateFailed of state 'M'") && failure.cause.contains("(25000)"),
            "{}",
            failure.cause
        );
    }
}
