//! The context object's execution and state machine ids, and StartExecution's checks on them.

use serde_json::{Value, json};

use super::{echo, machine, test_options};
use crate::asl::{ExecutionOptions, StateMachine};

fn ids_machine() -> StateMachine {
    machine(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {
        "execution_id.$": "$$.Execution.Id",
        "execution_name.$": "$$.Execution.Name",
        "state_machine_id.$": "$$.StateMachine.Id",
        "state_machine_name.$": "$$.StateMachine.Name"
    }, "End": true}}}))
}

async fn ids(options: &ExecutionOptions) -> Result<Value, crate::asl::ExecutionFailed> {
    ids_machine().execute(json!({}), echo(), options).await
}

#[tokio::test]
async fn execution_and_state_machine_ids_are_arns_as_on_aws() {
    let options = ExecutionOptions {
        state_machine_arn: "arn:aws:states:eu-west-1:123456789012:stateMachine:ov-backup".into(),
        ..ExecutionOptions::new("job-7")
    };
    assert_eq!(
        ids(&options).await.unwrap(),
        json!({
            "execution_id": "arn:aws:states:eu-west-1:123456789012:execution:ov-backup:job-7",
            "execution_name": "job-7",
            "state_machine_id": "arn:aws:states:eu-west-1:123456789012:stateMachine:ov-backup",
            "state_machine_name": "ov-backup"
        })
    );
}

#[tokio::test]
async fn an_embedded_execution_gets_a_local_arn_unless_told_otherwise() {
    let output = ids(&test_options()).await.unwrap();
    assert_eq!(output["state_machine_id"], ExecutionOptions::EMBEDDED_STATE_MACHINE_ARN);
    assert_eq!(
        output["execution_id"],
        "arn:aws:states:local:000000000000:execution:embedded:test-execution"
    );
}

#[tokio::test]
async fn names_start_execution_refuses_are_refused_before_the_first_state() {
    for name in ["", "has space", "a:b", "a/b", "tab\there", &"x".repeat(81)] {
        let report = ids_machine().run(json!({}), echo(), &ExecutionOptions::new(name)).await;
        let failed = report.outcome.as_ref().unwrap_err();
        assert_eq!(failed.error, "InvalidName", "{name:?}");
        assert!(report.history.is_empty());
    }
    assert!(ids(&ExecutionOptions::new("x".repeat(80))).await.is_ok());
    assert!(
        ids(&ExecutionOptions::new("job-20240101T000000Z-0a1b2c3d"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_state_machine_arn_that_is_not_one_is_refused() {
    let options = ExecutionOptions {
        state_machine_arn: "arn:aws:lambda:eu-west-1:123456789012:function:ov".into(),
        ..ExecutionOptions::new("job-7")
    };
    let failed = ids(&options).await.unwrap_err();
    assert_eq!(failed.error, "InvalidArn");
    assert!(failed.cause.contains("stateMachine"), "{}", failed.cause);
}
