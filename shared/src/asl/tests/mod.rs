//! Tests that parse and execute whole definitions: small ones aimed at one rule each, and the real
//! `statemachines/backup.asl.json`.

mod backup_definition;
mod context;
mod history;
mod limits;
mod parse;
mod retry_rules;
mod runner;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;

use serde_json::json;

use super::{ExecutionFailed, ExecutionOptions, ExecutionReport, StateMachine, TaskFailure, TaskInvoker};

type Function = dyn Fn(&str, &Value) -> Result<Value, TaskFailure> + Send + Sync;

/// An invoker whose functions are small closures; it records every call in order.
pub struct FnInvoker {
    function: Box<Function>,
    pub calls: Mutex<Vec<(String, Value)>>,
}

impl FnInvoker {
    pub fn new(function: impl Fn(&str, &Value) -> Result<Value, TaskFailure> + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(FnInvoker {
            function: Box::new(function),
            calls: Mutex::new(Vec::new()),
        })
    }

    pub fn calls(&self) -> Vec<(String, Value)> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl TaskInvoker for FnInvoker {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure> {
        self.calls.lock().unwrap().push((function.to_string(), payload.clone()));
        (self.function)(function, &payload)
    }
}

pub fn machine(definition: Value) -> StateMachine {
    StateMachine::parse(&definition.to_string(), &HashMap::new()).expect("test definition parses")
}

pub fn test_options() -> ExecutionOptions {
    ExecutionOptions {
        retry_interval_scale: 0.0,
        ..ExecutionOptions::new("test-execution")
    }
}

pub async fn run(
    machine: &StateMachine,
    input: Value,
    invoker: Arc<dyn TaskInvoker>,
) -> Result<Value, ExecutionFailed> {
    machine.execute(input, invoker, &test_options()).await
}

pub async fn run_report(machine: &StateMachine, input: Value, invoker: Arc<dyn TaskInvoker>) -> ExecutionReport {
    machine.run(input, invoker, &test_options()).await
}

/// A `lambda:invoke` Task calling `function` with the state input, plus the `extra` fields (Next/End, Retry...).
pub fn lambda_task(function: &str, extra: Value) -> Value {
    let mut task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
    });
    for (key, value) in extra.as_object().expect("extra fields are an object") {
        task[key] = value.clone();
    }
    task
}

/// An invoker whose every function returns its event.
pub fn echo() -> Arc<FnInvoker> {
    FnInvoker::new(|_, payload| Ok(payload.clone()))
}
