//! Tests that parse and execute whole definitions: small ones aimed at one rule each, and the real
//! `statemachines/backup.asl.json`.

mod backup_definition;
mod parse;
mod runner;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;

use super::{ExecutionFailed, ExecutionOptions, StateMachine, TaskFailure, TaskInvoker};

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
