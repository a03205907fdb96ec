//! What a caller says about one execution (its name, its state machine's ARN), what it gets back (the
//! outcome and the history AWS would have written), and the checks StartExecution makes before anything runs.

use serde_json::{Value, json};

use super::error::{ExecutionFailed, names};
use super::history::HistoryEventType;

/// How one execution runs.
#[derive(Debug, Clone)]
pub struct ExecutionOptions {
    /// `$$.Execution.Name`; the job id is a good choice. StartExecution's rules apply: 1 to 80 characters,
    /// none of them white space, `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /` or a control character.
    pub execution_name: String,
    /// `$$.StateMachine.Id`, from which `$$.Execution.Id` is derived as on AWS. A continuation execution
    /// started with `"StateMachineArn.$": "$$.StateMachine.Id"` names this ARN.
    pub state_machine_arn: String,
    /// Multiplies every Retry wait: 1.0 waits as the definition says, 0.0 retries at once (tests).
    pub retry_interval_scale: f64,
}

impl ExecutionOptions {
    /// The state machine ARN an embedded execution reports unless told otherwise: ARN-shaped, in a region
    /// and account that cannot be mistaken for a real one.
    pub const EMBEDDED_STATE_MACHINE_ARN: &'static str = "arn:aws:states:local:000000000000:stateMachine:embedded";

    pub fn new(execution_name: impl Into<String>) -> Self {
        ExecutionOptions {
            execution_name: execution_name.into(),
            state_machine_arn: Self::EMBEDDED_STATE_MACHINE_ARN.to_string(),
            retry_interval_scale: 1.0,
        }
    }
}

/// How an execution ended, and the history events Step Functions would have written for it.
#[derive(Debug, Clone)]
pub struct ExecutionReport {
    pub outcome: Result<Value, ExecutionFailed>,
    /// In the order the runner wrote them (concurrent Map iterations interleave as they ran). Empty when the
    /// execution was refused before it started.
    pub history: Vec<HistoryEventType>,
}

impl ExecutionReport {
    /// The number AWS caps at [`super::HISTORY_EVENT_LIMIT`].
    pub fn history_events(&self) -> usize {
        self.history.len()
    }

    pub(crate) fn refused(error: &str, cause: String) -> Self {
        ExecutionReport {
            outcome: Err(ExecutionFailed {
                error: error.to_string(),
                cause,
            }),
            history: Vec::new(),
        }
    }
}

/// The ids `$$.Execution` and `$$.StateMachine` hold.
#[derive(Debug, Clone)]
pub(crate) struct ExecutionIdentity {
    pub execution_arn: String,
    pub execution_name: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
}

impl ExecutionIdentity {
    /// Checks the name and ARN as StartExecution does (API reference, StartExecution: `name`,
    /// `stateMachineArn`) and derives the execution ARN,
    /// `arn:<partition>:states:<region>:<account>:execution:<state machine name>:<execution name>`.
    pub fn new(options: &ExecutionOptions) -> Result<Self, ExecutionReport> {
        check_execution_name(&options.execution_name)?;
        let arn = &options.state_machine_arn;
        let parts: Vec<&str> = arn.split(':').collect();
        let valid = parts.len() == 7
            && parts[0] == "arn"
            && parts[2] == "states"
            && parts[5] == "stateMachine"
            && parts.iter().all(|part| !part.is_empty());
        if !valid {
            return Err(ExecutionReport::refused(
                names::INVALID_ARN,
                format!(
                    "'{arn}' is not a state machine ARN; use the form \
                     arn:aws:states:<region>:<account>:stateMachine:<name>"
                ),
            ));
        }
        let state_machine_name = parts[6].to_string();
        Ok(ExecutionIdentity {
            execution_arn: format!(
                "{}:execution:{state_machine_name}:{}",
                parts[..5].join(":"),
                options.execution_name
            ),
            execution_name: options.execution_name.clone(),
            state_machine_arn: arn.clone(),
            state_machine_name,
        })
    }

    /// `$$.Execution` (without the fields the embedded runner has no value for, such as `RoleArn`).
    pub fn execution_context(&self, input: &Value, start_time: &str) -> Value {
        json!({"Id": self.execution_arn, "Name": self.execution_name, "Input": input, "StartTime": start_time})
    }

    /// `$$.StateMachine`.
    pub fn state_machine_context(&self) -> Value {
        json!({"Id": self.state_machine_arn, "Name": self.state_machine_name})
    }
}

const MAX_EXECUTION_NAME_CHARS: usize = 80;

fn check_execution_name(name: &str) -> Result<(), ExecutionReport> {
    let length = name.chars().count();
    if length == 0 || length > MAX_EXECUTION_NAME_CHARS {
        return Err(ExecutionReport::refused(
            names::INVALID_NAME,
            format!(
                "execution name '{name}' has {length} characters; StartExecution takes 1 to \
                 {MAX_EXECUTION_NAME_CHARS}"
            ),
        ));
    }
    let forbidden = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '<' | '>'
                    | '{'
                    | '}'
                    | '['
                    | ']'
                    | '?'
                    | '*'
                    | '"'
                    | '#'
                    | '%'
                    | '\\'
                    | '^'
                    | '|'
                    | '~'
                    | '`'
                    | '$'
                    | '&'
                    | ','
                    | ';'
                    | ':'
                    | '/'
            )
    };
    match name.chars().find(|c| forbidden(*c)) {
        None => Ok(()),
        Some(c) => Err(ExecutionReport::refused(
            names::INVALID_NAME,
            format!(
                "execution name '{name}' contains {c:?}, which StartExecution refuses; use letters, digits, \
                 '-' and '_'"
            ),
        )),
    }
}
