//! [`SfnExecutions`]: starts a job's continuation execution through Step Functions' `StartExecution`.

use async_trait::async_trait;
use serde_json::Value;

use crate::aws::errors::Failure;
use crate::workflow::{ExecutionStarter, StepError};

#[derive(Debug, Clone)]
pub struct SfnExecutions {
    client: aws_sdk_sfn::Client,
}

impl SfnExecutions {
    pub fn new(client: aws_sdk_sfn::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl ExecutionStarter for SfnExecutions {
    async fn start(&self, state_machine: &str, name: &str, input: Value) -> Result<(), StepError> {
        self.client
            .start_execution()
            .state_machine_arn(state_machine)
            .name(name)
            .input(input.to_string())
            .send()
            .await
            .map_err(|err| {
                let failure = Failure::from_sdk(&err);
                let message = format!(
                    "could not start execution {name} of {state_machine} to continue the job: {}",
                    failure.message
                );
                if failure.retryable {
                    StepError::retryable(message)
                } else {
                    StepError::fatal(message)
                }
            })?;
        Ok(())
    }
}
