//! The embedded runner for the Amazon States Language definitions in `statemachines/`.
//!
//! AWS Step Functions runs those definitions in the cloud, calling Lambdas; this module runs the very same
//! files in-process, calling the same library steps through a [`TaskInvoker`], so a local backup exercises
//! the definition itself and the two cannot drift apart.
//!
//! It implements the JSONPath flavour of ASL, limited to what the definitions use: Task
//! (`arn:aws:states:::lambda:invoke`), Map (inline), Choice, Pass, Succeed and Fail, with InputPath,
//! Parameters/ItemSelector, ResultSelector, ResultPath, OutputPath, Retry and Catch. Anything else is
//! refused by [`StateMachine::parse`] with the feature named, never silently ignored.
//!
//! It is as strict as Step Functions where a definition that runs here could fail there: the 256 KiB
//! payload quota (`limits`), the 25,000-event history quota, counted the way AWS counts (`history`), the
//! retrier field rules (`retry`), StartExecution's rules for execution names, and the error names
//! `States.ALL` and `States.TaskFailed` match ([`error_names`]). `States.Runtime` (a path that does not
//! resolve, the history quota) is never retried or caught.

mod choice;
mod definition;
mod error;
mod execution;
mod history;
mod limits;
mod map;
mod path;
mod retry;
mod runner;
mod template;

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

pub use error::{AslError, ExecutionFailed, TaskFailure, names as error_names};
pub use execution::{ExecutionOptions, ExecutionReport};
pub use history::{HISTORY_EVENT_LIMIT, HistoryEventType};
pub use limits::PAYLOAD_LIMIT_BYTES;

use definition::Scope;
use execution::ExecutionIdentity;
use history::History;
use runner::Runner;

/// Runs the functions a definition's Task states name.
#[async_trait]
pub trait TaskInvoker: Send + Sync + 'static {
    /// Runs the named function (after substitution, the last `:function:NAME` segment of an ARN or the
    /// plain name) with `payload` as its event, returning its result.
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure>;

    /// What the runner calls: [`TaskInvoker::invoke`] plus what it knows about the call, for an invoker
    /// that wants it (e.g. to watch the history quota). The default ignores it.
    async fn invoke_task(&self, function: &str, payload: Value, call: TaskCall<'_>) -> Result<Value, TaskFailure> {
        let _ = call;
        self.invoke(function, payload).await
    }
}

/// What the runner knows about one Task invocation.
#[derive(Debug, Clone, Copy)]
pub struct TaskCall<'a> {
    /// The Task state's name.
    pub state: &'a str,
    /// `$$.State.RetryCount`: 0 on the first attempt.
    pub retry_count: u32,
    /// History events the execution has written so far, this call's `TaskStarted` included; the execution
    /// fails when it would need event [`HISTORY_EVENT_LIMIT`] for anything but its own success.
    pub history_events: usize,
}

/// A parsed, validated definition, ready to execute any number of times.
#[derive(Debug, Clone)]
pub struct StateMachine {
    root: Arc<Scope>,
    task_functions: BTreeSet<String>,
}

impl StateMachine {
    /// Parses `definition_json`, replacing each `${Key}` with `substitutions[Key]` first (as CloudFormation's
    /// DefinitionSubstitutions do). Refuses features the runner does not execute, naming them and where.
    pub fn parse(definition_json: &str, substitutions: &HashMap<String, String>) -> Result<Self, AslError> {
        let (root, task_functions) = definition::parse_definition(definition_json, substitutions)?;
        Ok(StateMachine { root, task_functions })
    }

    /// The function names the Task states invoke (where the name is fixed in the definition), so a caller
    /// can check that its invoker knows all of them before starting.
    pub fn task_functions(&self) -> &BTreeSet<String> {
        &self.task_functions
    }

    /// Runs the machine on `input` to its end. A Fail state, or a failure no Catch handles, ends it with
    /// [`ExecutionFailed`] carrying the error name and cause.
    pub async fn execute(
        &self,
        input: Value,
        invoker: Arc<dyn TaskInvoker>,
        options: &ExecutionOptions,
    ) -> Result<Value, ExecutionFailed> {
        self.run(input, invoker, options).await.outcome
    }

    /// Like [`StateMachine::execute`], also returning the history events the execution wrote. An execution
    /// StartExecution would refuse (a bad name or state machine ARN, input over the payload quota) ends
    /// before its first state, with no history.
    pub async fn run(
        &self,
        input: Value,
        invoker: Arc<dyn TaskInvoker>,
        options: &ExecutionOptions,
    ) -> ExecutionReport {
        let identity = match ExecutionIdentity::new(options) {
            Ok(identity) => identity,
            Err(refused) => return refused,
        };
        if let Err(failure) = limits::check_state_data(&input, || "the execution input".to_string()) {
            return ExecutionReport::refused(&failure.error, failure.cause);
        }
        let start_time = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let runner = Arc::new(Runner {
            invoker,
            execution: identity.execution_context(&input, &start_time),
            state_machine: identity.state_machine_context(),
            retry_interval_scale: options.retry_interval_scale,
            history: History::started(),
        });
        let outcome = runner.clone().run_scope(self.root.clone(), input, false).await;
        let (outcome, history) = runner.history.finish(outcome);
        ExecutionReport {
            outcome: outcome.map_err(ExecutionFailed::from),
            history,
        }
    }
}

/// The function name in a Task's `FunctionName`: the `NAME` of `arn:...:function:NAME[:qualifier]`, or
/// the whole string when it is a plain name.
pub fn function_name(function: &str) -> &str {
    match function.rfind(":function:") {
        Some(position) => {
            let rest = &function[position + ":function:".len()..];
            rest.split(':').next().unwrap_or(rest)
        }
        None => function,
    }
}

/// Substitutions that point each `${<Step>FunctionArn}` placeholder at the plain step name, which is how
/// the embedded runner names functions (CloudFormation fills the same placeholders with Lambda ARNs).
pub fn embedded_function_substitutions(step_names: &[&str]) -> HashMap<String, String> {
    step_names
        .iter()
        .map(|step| (format!("{step}FunctionArn"), (*step).to_string()))
        .collect()
}
