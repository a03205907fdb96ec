//! What `StateMachine::parse` refuses, and how it says so.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::asl::{AslError, StateMachine, embedded_function_substitutions};

fn refusal(definition: Value) -> String {
    let error = StateMachine::parse(&definition.to_string(), &HashMap::new()).expect_err("definition is refused");
    error.to_string()
}

fn one_state(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state}})
}

#[test]
fn unsupported_state_types_and_features_are_named() {
    let cases = [
        (
            one_state(json!({"Type": "Wait", "Seconds": 1, "End": true})),
            vec!["state 'S'", "\"Wait\""],
        ),
        (
            one_state(json!({"Type": "Parallel", "Branches": [], "End": true})),
            vec!["\"Parallel\""],
        ),
        (
            json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}),
            vec!["JSONata"],
        ),
        (
            one_state(json!({"Type": "Pass", "Assign": {"x": 1}, "End": true})),
            vec!["state 'S'", "\"Assign\""],
        ),
        (
            one_state(json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true})),
            vec!["sqs:sendMessage"],
        ),
        (
            one_state(json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "F", "InvocationType": "Event"}, "End": true})),
            vec!["InvocationType"],
        ),
        (
            one_state(
                json!({"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"},
                "StartAt": "X", "States": {"X": {"Type": "Succeed"}}}, "End": true}),
            ),
            vec!["DISTRIBUTED"],
        ),
        (
            one_state(
                json!({"Type": "Map", "ItemReader": {}, "ItemProcessor": {"StartAt": "X",
                "States": {"X": {"Type": "Succeed"}}}, "End": true}),
            ),
            vec!["ItemReader"],
        ),
    ];
    for (definition, words) in cases {
        let message = refusal(definition);
        assert!(message.contains("does not run"), "{message}");
        for word in words {
            assert!(message.contains(word), "expected {word} in: {message}");
        }
    }
}

#[test]
fn structural_mistakes_are_reported_with_their_location() {
    let dangling = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}});
    assert!(refusal(dangling).contains("state 'A'"));
    let message = refusal(json!({"StartAt": "Missing", "States": {"A": {"Type": "Succeed"}}}));
    assert!(message.contains("\"Missing\""), "{message}");
    let message = refusal(one_state(json!({"Type": "Pass"})));
    assert!(message.contains("\"End\": true"), "{message}");
    let message = refusal(json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Outside"}}}}, "Outside": {"Type": "Succeed"}}}));
    assert!(
        message.contains("state 'X'") && message.contains("\"Outside\""),
        "{message}"
    );
    assert!(matches!(
        StateMachine::parse("{not json", &HashMap::new()),
        Err(AslError::InvalidJson(_))
    ));
}

#[test]
fn substitutions_fill_placeholders_and_a_missing_one_is_named() {
    let definition = one_state(json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "${PlanBackupFunctionArn}", "Payload.$": "$"}, "End": true}))
    .to_string();
    let machine = StateMachine::parse(&definition, &embedded_function_substitutions(&["PlanBackup"])).unwrap();
    assert_eq!(machine.task_functions().iter().collect::<Vec<_>>(), vec!["PlanBackup"]);

    let arns = HashMap::from([(
        "PlanBackupFunctionArn".to_string(),
        "arn:aws:lambda:eu-west-1:123456789012:function:ov-PlanBackup".to_string(),
    )]);
    let machine = StateMachine::parse(&definition, &arns).unwrap();
    assert_eq!(
        machine.task_functions().iter().collect::<Vec<_>>(),
        vec!["ov-PlanBackup"]
    );

    let error = StateMachine::parse(&definition, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("${PlanBackupFunctionArn}") && error.contains("FunctionName"),
        "{error}"
    );
}
