//! Inline Map states: the items, each iteration's input, iterations run as concurrent tokio tasks bounded
//! by `MaxConcurrency`, and the Map's history events (see [`super::history`]).

use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use super::definition::{MapState, State};
use super::error::StateFailure;
use super::history::HistoryEventType as Event;
use super::limits;
use super::runner::{Runner, finish_state, input_path, json_type};

type Iterations = JoinSet<(usize, Result<Value, StateFailure>)>;

impl Runner {
    /// One attempt at a Map state: `MapStateStarted`, every iteration, then the results through
    /// ResultSelector, ResultPath and OutputPath.
    pub(super) async fn attempt_map(
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
        self.history.record(Event::MapStateStarted, &state.name)?;
        let mut iteration_inputs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let input = match &map.item_selector {
                None => item.clone(),
                Some(selector) => {
                    selector.evaluate(&effective, &self.context(state, retry_count, Some((index, item))))?
                }
            };
            limits::check_state_data(&input, || {
                format!("the input of iteration {index} of Map state '{}'", state.name)
            })?;
            iteration_inputs.push(input);
        }
        let results = Value::Array(self.run_iterations(state, map, iteration_inputs).await?);
        // AWS does not say whether it measures the collected results before ResultPath discards them;
        // measuring them is the safe side.
        limits::check_state_data(&results, || {
            format!("the collected iteration results of Map state '{}'", state.name)
        })?;
        self.history.record(Event::MapStateSucceeded, &state.name)?;
        let context = self.context(state, retry_count, None);
        finish_state(
            state,
            raw_input,
            results,
            map.result_selector.as_ref(),
            map.result_path.as_ref(),
            &context,
        )
    }

    /// Runs each iteration as its own tokio task, at most `MaxConcurrency` at once, started in item
    /// order. The first failure cancels the rest and fails the Map with that failure.
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
        let mut pending = inputs.into_iter().enumerate();
        let mut running = JoinSet::new();
        let mut results = vec![Value::Null; count];
        let mut failure = None;
        for _ in 0..limit.min(count) {
            if let Err(refused) = self.start_iteration(state, map, &mut pending, &mut running) {
                failure = Some(refused);
                break;
            }
        }
        while failure.is_none() {
            let Some(joined) = running.join_next().await else {
                break;
            };
            let (index, outcome) = match joined {
                Ok(finished) => finished,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(error) => {
                    failure = Some(StateFailure::runtime(format!(
                        "an iteration of Map state '{}' was cancelled: {error}",
                        state.name
                    )));
                    break;
                }
            };
            let next = match outcome {
                Ok(output) => {
                    results[index] = output;
                    self.history
                        .record(Event::MapIterationSucceeded, &state.name)
                        .and_then(|()| self.start_iteration(state, map, &mut pending, &mut running))
                }
                Err(failed) => {
                    self.history.record_on_failure(Event::MapIterationFailed, &state.name);
                    Err(failed)
                }
            };
            failure = next.err();
        }
        match failure {
            None => Ok(results),
            Some(failure) => {
                self.cancel_iterations(state, running).await;
                Err(failure)
            }
        }
    }

    /// Spawns the next pending iteration, if any, after writing its `MapIterationStarted`.
    fn start_iteration(
        self: &Arc<Self>,
        state: &State,
        map: &MapState,
        pending: &mut impl Iterator<Item = (usize, Value)>,
        running: &mut Iterations,
    ) -> Result<(), StateFailure> {
        let Some((index, input)) = pending.next() else {
            return Ok(());
        };
        self.history.record(Event::MapIterationStarted, &state.name)?;
        // The task outlives this borrow, so it holds its own Arc of the runner (one history for the whole
        // execution keeps the quota global).
        let iteration = Arc::clone(self).run_scope(map.processor.clone(), input, true);
        running.spawn(async move { (index, iteration.await) });
        Ok(())
    }

    /// Cancels the iterations still running and waits until they are gone, so their abort events are
    /// written before the Map's own failure. An iteration that finished meanwhile keeps its success.
    async fn cancel_iterations(&self, state: &State, mut running: Iterations) {
        running.abort_all();
        while let Some(joined) = running.join_next().await {
            let event = match joined {
                Ok((_, Ok(_))) => Event::MapIterationSucceeded,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                _ => Event::MapIterationAborted,
            };
            self.history.record_on_failure(event, &state.name);
        }
    }
}
