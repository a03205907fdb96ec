//! Executes a parsed definition: walks states from `StartAt`, applies the JSONPath input/output
//! processing of each state, invokes Tasks, retries and catches failures, and writes the history events
//! Step Functions would write (see [`super::history`]) within its quotas. Map states live in
//! [`super::map`].

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::definition::{PassState, Scope, State, StateKind, TaskState, Transition};
use super::error::{StateFailure, names};
use super::history::{History, HistoryEventType as Event};
use super::limits;
use super::path::{JsonPath, PathSetError};
use super::retry::{Catcher, Retrier, error_matches};
use super::template::Template;
use super::{TaskCall, TaskInvoker};

/// What one execution shares across all its states and Map iterations.
pub struct Runner {
    pub invoker: Arc<dyn TaskInvoker>,
    /// `$$.Execution`: Id, Name, Input, StartTime.
    pub execution: Value,
    /// `$$.StateMachine`: Id, Name.
    pub state_machine: Value,
    pub retry_interval_scale: f64,
    pub history: History,
}

/// Where a state sends the execution next.
pub(super) enum Step {
    Next(String),
    End,
}

impl Runner {
    /// Runs a `States` block from its `StartAt` to a Succeed state, an `End`, or a failure. `in_map` says
    /// the block is a Map iteration, where a Task's uncaught failure also writes `TaskStateAborted`.
    pub fn run_scope(
        self: Arc<Self>,
        scope: Arc<Scope>,
        input: Value,
        in_map: bool,
    ) -> BoxFuture<'static, Result<Value, StateFailure>> {
        Box::pin(async move {
            let mut current = scope.start_at.clone();
            let mut input = input;
            loop {
                let state = &scope.states[&current];
                let (entered, exited) = entry_and_exit_events(&state.kind);
                self.history.record(entered, &state.name)?;
                let in_flight = AbortGuard::new(&self.history, state);
                let outcome = self.run_state(state, input).await;
                in_flight.disarm();
                let finished = outcome.and_then(|(output, step)| {
                    limits::check_state_data(&output, || format!("the output of state '{}'", state.name))?;
                    if let Some(exited) = exited {
                        self.history.record(exited, &state.name)?;
                    }
                    Ok((output, step))
                });
                match finished {
                    Ok((output, Step::Next(next))) => {
                        current = next;
                        input = output;
                    }
                    Ok((output, Step::End)) => return Ok(output),
                    Err(failure) => {
                        if in_map && matches!(state.kind, StateKind::Task(_)) {
                            self.history.record_on_failure(Event::TaskStateAborted, &state.name);
                        }
                        return Err(failure);
                    }
                }
            }
        })
    }

    async fn run_state(self: &Arc<Self>, state: &State, raw_input: Value) -> Result<(Value, Step), StateFailure> {
        match &state.kind {
            StateKind::Task(task) => {
                let output = self
                    .with_retry_and_catch(state, &raw_input, &task.retry, &task.catch, None, |retry_count| {
                        self.attempt_task(state, task, &raw_input, retry_count)
                    })
                    .await?;
                Ok(resolve_step(output, &task.transition))
            }
            StateKind::Map(map) => {
                let output = self
                    .with_retry_and_catch(
                        state,
                        &raw_input,
                        &map.retry,
                        &map.catch,
                        Some(Event::MapStateFailed),
                        |retry_count| self.attempt_map(state, map, &raw_input, retry_count),
                    )
                    .await?;
                Ok(resolve_step(output, &map.transition))
            }
            StateKind::Pass(pass) => {
                let output = self.run_pass(state, pass, &raw_input)?;
                Ok((output, step_of(&pass.transition)))
            }
            StateKind::Choice(choice) => {
                let effective = input_path(state, &raw_input)?;
                let context = self.context(state, 0, None);
                let mut next = choice.default.clone();
                for rule in &choice.choices {
                    if rule.condition.evaluate(&effective, &context)? {
                        next = Some(rule.next.clone());
                        break;
                    }
                }
                let next = next.ok_or_else(|| {
                    StateFailure::new(
                        names::NO_CHOICE_MATCHED,
                        format!(
                            "no rule of Choice state '{}' matched its input and it has no Default",
                            state.name
                        ),
                    )
                })?;
                Ok((output_path(state, effective)?, Step::Next(next)))
            }
            StateKind::Succeed => {
                let effective = input_path(state, &raw_input)?;
                Ok((output_path(state, effective)?, Step::End))
            }
            StateKind::Fail(fail) => Err(StateFailure::new(fail.error.clone(), fail.cause.clone())),
        }
    }

    /// Runs `attempt` until it succeeds, a Retrier gives up, or no Retrier matches; then a matching
    /// Catcher turns the failure into output for its `Next` state. Returns the output and, when a
    /// Catcher fired, the state it sends the execution to. A terminal failure skips both. `given_up` is the
    /// event the state writes when it stops retrying a failure (`MapStateFailed`; none for a terminal one,
    /// as in AWS's histories of a Map whose paths fail).
    async fn with_retry_and_catch<'a, F, Fut>(
        &self,
        state: &State,
        raw_input: &Value,
        retriers: &[Retrier],
        catchers: &'a [Catcher],
        given_up: Option<Event>,
        mut attempt: F,
    ) -> Result<Attempted<'a>, StateFailure>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<Value, StateFailure>>,
    {
        // Each Retrier counts its own retries for this entry into the state (ASL spec).
        let mut retries_per_rule = vec![0u32; retriers.len()];
        let mut total_retries = 0u32;
        loop {
            let failure = match attempt(total_retries).await {
                Ok(output) => return Ok(Attempted::Succeeded(output)),
                Err(failure) => failure,
            };
            if failure.terminal {
                return Err(failure);
            }
            if let Some(rule) = retriers
                .iter()
                .position(|retrier| error_matches(&retrier.error_equals, &failure.error))
            {
                let retrier = &retriers[rule];
                if retries_per_rule[rule] < retrier.max_attempts {
                    let delay = retrier.delay(retries_per_rule[rule], random_unit(), self.retry_interval_scale);
                    tracing::debug!(state = %state.name, error = %failure.error, ?delay, "retrying state");
                    if delay > Duration::ZERO {
                        tokio::time::sleep(delay).await;
                    }
                    retries_per_rule[rule] += 1;
                    total_retries += 1;
                    continue;
                }
            }
            if let Some(event) = given_up {
                self.history.record(event, &state.name)?;
            }
            let Some(catcher) = catchers
                .iter()
                .find(|catcher| error_matches(&catcher.error_equals, &failure.error))
            else {
                return Err(failure);
            };
            tracing::debug!(state = %state.name, error = %failure.error, next = %catcher.next, "caught failure");
            let mut output = raw_input.clone();
            if let Some(path) = &catcher.result_path {
                path.set(&mut output, failure.to_error_output()).map_err(|error| {
                    StateFailure::runtime(format!(
                        "state '{}' caught {} but could not write it at its Catch ResultPath '{path}': {}",
                        state.name,
                        failure.error,
                        describe_set_error(&error)
                    ))
                })?;
            }
            return Ok(Attempted::Caught(output, catcher));
        }
    }

    async fn attempt_task(
        &self,
        state: &State,
        task: &TaskState,
        raw_input: &Value,
        retry_count: u32,
    ) -> Result<Value, StateFailure> {
        let effective = input_path(state, raw_input)?;
        let context = self.context(state, retry_count, None);
        let parameters = task.parameters.evaluate(&effective, &context)?;
        limits::check_state_data(&parameters, || format!("the Parameters of state '{}'", state.name))?;
        let function = parameters.get("FunctionName").and_then(Value::as_str).ok_or_else(|| {
            StateFailure::runtime(format!(
                "state '{}' has no string FunctionName after evaluating its Parameters",
                state.name
            ))
        })?;
        let function = super::function_name(function).to_string();
        // Lambda gets an empty event when no Payload is given.
        let payload = parameters.get("Payload").cloned().unwrap_or_else(|| json!({}));
        self.history.record(Event::TaskScheduled, &state.name)?;
        self.history.record(Event::TaskStarted, &state.name)?;
        let call = TaskCall {
            state: &state.name,
            retry_count,
            history_events: self.history.len(),
        };
        let invocation = self.invoker.invoke_task(&function, payload, call);
        let answered = match task.timeout_seconds {
            None => invocation.await,
            Some(seconds) => match tokio::time::timeout(Duration::from_secs(seconds), invocation).await {
                Ok(answer) => answer,
                Err(_) => {
                    self.history.record(Event::TaskTimedOut, &state.name)?;
                    return Err(StateFailure::new(
                        names::TIMEOUT,
                        format!("function '{function}' did not answer within {seconds} s"),
                    ));
                }
            },
        };
        // What AWS hands back from lambda:invoke: the function's result wrapped with the call's status.
        let result = answered
            .map_err(StateFailure::from)
            .map(|payload| json!({"Payload": payload, "StatusCode": 200}))
            .and_then(|result| limits::check_task_result(&result, &state.name, &function).map(|()| result));
        let result = match result {
            Ok(result) => result,
            Err(failure) => {
                self.history.record(Event::TaskFailed, &state.name)?;
                return Err(failure);
            }
        };
        self.history.record(Event::TaskSucceeded, &state.name)?;
        finish_state(
            state,
            raw_input,
            result,
            task.result_selector.as_ref(),
            task.result_path.as_ref(),
            &context,
        )
    }

    fn run_pass(&self, state: &State, pass: &PassState, raw_input: &Value) -> Result<Value, StateFailure> {
        let effective = input_path(state, raw_input)?;
        let context = self.context(state, 0, None);
        let result = match (&pass.result, &pass.parameters) {
            (Some(result), _) => result.clone(),
            (None, Some(parameters)) => {
                let result = parameters.evaluate(&effective, &context)?;
                limits::check_state_data(&result, || format!("the Parameters of state '{}'", state.name))?;
                result
            }
            (None, None) => effective,
        };
        finish_state(state, raw_input, result, None, pass.result_path.as_ref(), &context)
    }

    /// The context object (`$$`) as seen by `state`.
    pub(super) fn context(&self, state: &State, retry_count: u32, map_item: Option<(usize, &Value)>) -> Value {
        let mut context = json!({
            "Execution": self.execution,
            "StateMachine": self.state_machine,
            "State": {"Name": state.name, "RetryCount": retry_count},
        });
        if let Some((index, value)) = map_item {
            context["Map"] = json!({"Item": {"Index": index, "Value": value}});
        }
        context
    }
}

/// The outcome of a state that has Retry/Catch.
enum Attempted<'a> {
    Succeeded(Value),
    Caught(Value, &'a Catcher),
}

fn resolve_step(attempted: Attempted<'_>, transition: &Transition) -> (Value, Step) {
    match attempted {
        Attempted::Succeeded(output) => (output, step_of(transition)),
        Attempted::Caught(output, catcher) => (output, Step::Next(catcher.next.clone())),
    }
}

fn step_of(transition: &Transition) -> Step {
    match transition {
        Transition::Next(next) => Step::Next(next.clone()),
        Transition::End => Step::End,
    }
}

pub(super) fn input_path(state: &State, raw_input: &Value) -> Result<Value, StateFailure> {
    match &state.input_path {
        None => Ok(json!({})),
        Some(path) => path.get(raw_input).cloned().ok_or_else(|| {
            StateFailure::runtime(format!(
                "state '{}' InputPath '{path}' could not be found in the state input",
                state.name
            ))
        }),
    }
}

fn output_path(state: &State, combined: Value) -> Result<Value, StateFailure> {
    match &state.output_path {
        None => Ok(json!({})),
        Some(path) if path.is_root() => Ok(combined),
        Some(path) => path.get(&combined).cloned().ok_or_else(|| {
            StateFailure::runtime(format!(
                "state '{}' OutputPath '{path}' could not be found in the state output",
                state.name
            ))
        }),
    }
}

/// ResultSelector, then ResultPath (into the raw input), then OutputPath: the tail every state shares.
pub(super) fn finish_state(
    state: &State,
    raw_input: &Value,
    result: Value,
    result_selector: Option<&Template>,
    result_path: Option<&JsonPath>,
    context: &Value,
) -> Result<Value, StateFailure> {
    let result = match result_selector {
        Some(selector) => selector.evaluate(&result, context)?,
        None => result,
    };
    let combined = match result_path {
        None => raw_input.clone(),
        Some(path) if path.is_root() => result,
        Some(path) => {
            let mut combined = raw_input.clone();
            path.set(&mut combined, result).map_err(|error| {
                StateFailure::new(
                    names::RESULT_PATH_MATCH_FAILURE,
                    format!(
                        "state '{}' could not write its result at ResultPath '{path}': {}",
                        state.name,
                        describe_set_error(&error)
                    ),
                )
            })?;
            combined
        }
    };
    output_path(state, combined)
}

fn describe_set_error(error: &PathSetError) -> String {
    match error {
        PathSetError::NotAContainer { at } => format!("'{at}' is not an object (or the array is too short)"),
    }
}

pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The events a state writes on entering and (when it succeeds) on leaving.
fn entry_and_exit_events(kind: &StateKind) -> (Event, Option<Event>) {
    match kind {
        StateKind::Task(_) => (Event::TaskStateEntered, Some(Event::TaskStateExited)),
        StateKind::Map(_) => (Event::MapStateEntered, Some(Event::MapStateExited)),
        StateKind::Choice(_) => (Event::ChoiceStateEntered, Some(Event::ChoiceStateExited)),
        StateKind::Pass(_) => (Event::PassStateEntered, Some(Event::PassStateExited)),
        StateKind::Succeed => (Event::SucceedStateEntered, Some(Event::SucceedStateExited)),
        StateKind::Fail(_) => (Event::FailStateEntered, None),
    }
}

/// Writes `TaskStateAborted` / `MapStateAborted` if the state is dropped while it waits: its Map iteration
/// was cancelled because another one failed. Only Tasks and Maps wait, so only they can be cut short.
struct AbortGuard<'a> {
    history: &'a History,
    state: &'a State,
    armed: bool,
}

impl<'a> AbortGuard<'a> {
    fn new(history: &'a History, state: &'a State) -> Self {
        AbortGuard {
            history,
            state,
            armed: true,
        }
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for AbortGuard<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let event = match self.state.kind {
            StateKind::Task(_) => Event::TaskStateAborted,
            StateKind::Map(_) => Event::MapStateAborted,
            _ => return,
        };
        self.history.record_on_failure(event, &self.state.name);
    }
}

/// A number in `[0, 1)` for FULL jitter.
fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    match aws_lc_rs::rand::fill(&mut bytes) {
        // 53 random bits fill an f64 mantissa exactly.
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        // Without randomness, the full delay is the safe choice: it never retries sooner than asked.
        Err(_) => 0.999_999,
    }
}
