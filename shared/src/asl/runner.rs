//! Executes a parsed definition: walks states from `StartAt`, applies the JSONPath input/output
//! processing of each state, invokes Tasks, retries and catches failures, and runs Map iterations as
//! concurrent tokio tasks bounded by `MaxConcurrency`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::TaskInvoker;
use super::definition::{MapState, PassState, Scope, State, StateKind, TaskState, Transition};
use super::error::{StateFailure, names};
use super::path::{JsonPath, PathSetError};
use super::retry::{Catcher, Retrier, error_matches};
use super::template::Template;

/// What one execution shares across all its states and Map iterations.
pub struct Runner {
    pub invoker: Arc<dyn TaskInvoker>,
    /// `$$.Execution`: Name, Input, StartTime.
    pub execution: Value,
    /// `$$.StateMachine`: Id, Name.
    pub state_machine: Value,
    pub retry_interval_scale: f64,
    pub max_transitions: u64,
    pub transitions: AtomicU64,
}

/// Where a state sends the execution next.
enum Step {
    Next(String),
    End,
}

impl Runner {
    /// Runs a `States` block from its `StartAt` to a Succeed state, an `End`, or a failure.
    pub fn run_scope(
        self: Arc<Self>,
        scope: Arc<Scope>,
        input: Value,
    ) -> BoxFuture<'static, Result<Value, StateFailure>> {
        Box::pin(async move {
            let mut current = scope.start_at.clone();
            let mut input = input;
            loop {
                self.count_transition(&current)?;
                let state = &scope.states[&current];
                let (output, step) = self.run_state(state, input).await?;
                match step {
                    Step::Next(next) => {
                        current = next;
                        input = output;
                    }
                    Step::End => return Ok(output),
                }
            }
        })
    }

    fn count_transition(&self, state_name: &str) -> Result<(), StateFailure> {
        let count = self.transitions.fetch_add(1, Ordering::Relaxed) + 1;
        if count > self.max_transitions {
            return Err(StateFailure::runtime(format!(
                "the execution entered more than {} states (the last was '{state_name}'); a loop that never \
                 finishes? If the job really is this large, raise ExecutionOptions::max_transitions",
                self.max_transitions
            )));
        }
        Ok(())
    }

    async fn run_state(self: &Arc<Self>, state: &State, raw_input: Value) -> Result<(Value, Step), StateFailure> {
        match &state.kind {
            StateKind::Task(task) => {
                let output = self
                    .with_retry_and_catch(state, &raw_input, &task.retry, &task.catch, |retry_count| {
                        self.attempt_task(state, task, &raw_input, retry_count)
                    })
                    .await?;
                Ok(resolve_step(output, &task.transition))
            }
            StateKind::Map(map) => {
                let output = self
                    .with_retry_and_catch(state, &raw_input, &map.retry, &map.catch, |retry_count| {
                        self.attempt_map(state, map, &raw_input, retry_count)
                    })
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
    /// Catcher fired, the state it sends the execution to.
    async fn with_retry_and_catch<'a, F, Fut>(
        &self,
        state: &State,
        raw_input: &Value,
        retriers: &[Retrier],
        catchers: &'a [Catcher],
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
        let function = parameters.get("FunctionName").and_then(Value::as_str).ok_or_else(|| {
            StateFailure::runtime(format!(
                "state '{}' has no string FunctionName after evaluating its Parameters",
                state.name
            ))
        })?;
        let function = super::function_name(function).to_string();
        // Lambda gets an empty event when no Payload is given.
        let payload = parameters.get("Payload").cloned().unwrap_or_else(|| json!({}));
        let invocation = self.invoker.invoke(&function, payload);
        let payload = match task.timeout_seconds {
            None => invocation.await?,
            Some(seconds) => tokio::time::timeout(Duration::from_secs_f64(seconds), invocation)
                .await
                .map_err(|_| {
                    StateFailure::new(
                        names::TIMEOUT,
                        format!("function '{function}' did not answer within {seconds} s"),
                    )
                })??,
        };
        // What AWS hands back from lambda:invoke: the function's result wrapped with the call's status.
        let result = json!({"Payload": payload, "StatusCode": 200});
        finish_state(
            state,
            raw_input,
            result,
            task.result_selector.as_ref(),
            task.result_path.as_ref(),
            &context,
        )
    }

    async fn attempt_map(
        self: &Arc<Self>,
        state: &State,
        map: &MapState,
        raw_input: &Value,
        retry_count: u32,
    ) -> Result<Value, StateFailure> {
        let effective = input_path(state, raw_input)?;
        let items = match map.items_path.get(&effective) {
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(StateFailure::runtime(format!(
                    "Map state '{}' ItemsPath '{}' must name an array, but it holds {}",
                    state.name,
                    map.items_path,
                    json_type(other)
                )));
            }
            None => {
                return Err(StateFailure::runtime(format!(
                    "Map state '{}' ItemsPath '{}' could not be found in the state input",
                    state.name, map.items_path
                )));
            }
        };
        let mut iteration_inputs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            iteration_inputs.push(match &map.item_selector {
                None => item.clone(),
                Some(selector) => {
                    selector.evaluate(&effective, &self.context(state, retry_count, Some((index, item))))?
                }
            });
        }
        let results = self.run_iterations(state, map, iteration_inputs).await?;
        let context = self.context(state, retry_count, None);
        finish_state(
            state,
            raw_input,
            Value::Array(results),
            map.result_selector.as_ref(),
            map.result_path.as_ref(),
            &context,
        )
    }

    /// Runs each iteration as its own tokio task, at most `MaxConcurrency` at once, started in item
    /// order. The first failure aborts the rest and fails the Map with that failure.
    async fn run_iterations(
        self: &Arc<Self>,
        state: &State,
        map: &MapState,
        inputs: Vec<Value>,
    ) -> Result<Vec<Value>, StateFailure> {
        let count = inputs.len();
        let limit = if map.max_concurrency == 0 {
            count
        } else {
            map.max_concurrency
        };
        // Iterations are spawned tasks that outlive this borrow, so each holds its own Arc of the runner
        // (one transition counter for the whole execution keeps the runaway guard global).
        let runner = Arc::clone(self);
        let mut pending = inputs.into_iter().enumerate();
        let mut running = JoinSet::new();
        let mut spawn_next = |running: &mut JoinSet<(usize, Result<Value, StateFailure>)>| {
            if let Some((index, input)) = pending.next() {
                let iteration = runner.clone().run_scope(map.processor.clone(), input);
                running.spawn(async move { (index, iteration.await) });
            }
        };
        for _ in 0..limit.min(count) {
            spawn_next(&mut running);
        }
        let mut results = vec![Value::Null; count];
        while let Some(joined) = running.join_next().await {
            let (index, outcome) = match joined {
                Ok(finished) => finished,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(error) => {
                    return Err(StateFailure::runtime(format!(
                        "an iteration of Map state '{}' was cancelled: {error}",
                        state.name
                    )));
                }
            };
            match outcome {
                Ok(output) => results[index] = output,
                Err(failure) => {
                    running.abort_all();
                    return Err(failure);
                }
            }
            spawn_next(&mut running);
        }
        Ok(results)
    }

    fn run_pass(&self, state: &State, pass: &PassState, raw_input: &Value) -> Result<Value, StateFailure> {
        let effective = input_path(state, raw_input)?;
        let context = self.context(state, 0, None);
        let result = match (&pass.result, &pass.parameters) {
            (Some(result), _) => result.clone(),
            (None, Some(parameters)) => parameters.evaluate(&effective, &context)?,
            (None, None) => effective,
        };
        finish_state(state, raw_input, result, None, pass.result_path.as_ref(), &context)
    }

    /// The context object (`$$`) as seen by `state`.
    fn context(&self, state: &State, retry_count: u32, map_item: Option<(usize, &Value)>) -> Value {
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

fn input_path(state: &State, raw_input: &Value) -> Result<Value, StateFailure> {
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
fn finish_state(
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

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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
