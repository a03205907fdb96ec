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
//! Semantics follow AWS where the spec leaves room: `States.ALL` does not match `States.Runtime` (a path
//! that does not resolve, the runaway guard), which always fails the execution.

mod choice;
mod definition;
mod error;
mod path;
mod retry;
mod runner;
mod template;

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use async_trait::async_trait;
use serde_json::{Value, json};

pub use error::{AslError, ExecutionFailed, TaskFailure, names as error_names};

use definition::Scope;
use runner::Runner;

/// Runs the functions a definition's Task states name.
#[async_trait]
pub trait TaskInvoker: Send + Sync + 'static {
    /// Runs the named function (after substitution, the last `:function:NAME` segment of an ARN or the
    /// plain name) with `payload` as its event, returning its result.
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure>;
}

/// `$$.StateMachine.Id` and `.Name` of an execution of the embedded runner (on AWS, the state machine's ARN).
pub const EMBEDDED_STATE_MACHINE: &str = "embedded";

/// How one execution runs.
#[derive(Debug, Clone)]
pub struct ExecutionOptions {
    /// `$$.Execution.Name`; the job id is a good choice.
    pub execution_name: String,
    /// Multiplies every Retry wait: 1.0 waits as the definition says, 0.0 retries at once (tests).
    pub retry_interval_scale: f64,
    /// Runaway guard: the execution fails with `States.Runtime` after entering this many states
    /// (counted over all Map iterations), so a loop that never reports `done` cannot spin forever.
    pub max_transitions: u64,
}

impl ExecutionOptions {
    /// Generous enough for the largest backup (each page is two transitions), small enough to stop a
    /// loop that makes no progress within seconds.
    pub const DEFAULT_MAX_TRANSITIONS: u64 = 1_000_000;

    pub fn new(execution_name: impl Into<String>) -> Self {
        ExecutionOptions {
            execution_name: execution_name.into(),
            retry_interval_scale: 1.0,
            max_transitions: Self::DEFAULT_MAX_TRANSITIONS,
        }
    }
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
        let start_time = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let runner = Arc::new(Runner {
            invoker,
            execution: json!({"Name": options.execution_name, "Input": input.clone(), "StartTime": start_time}),
            state_machine: json!({"Id": EMBEDDED_STATE_MACHINE, "Name": EMBEDDED_STATE_MACHINE}),
            retry_interval_scale: options.retry_interval_scale,
            max_transitions: options.max_transitions,
            transitions: AtomicU64::new(0),
        });
        runner
            .run_scope(self.root.clone(), input)
            .await
            .map_err(ExecutionFailed::from)
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
