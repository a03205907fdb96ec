//! The BackupPage binary run as Lambda runs it, against the bench's local Lambda Runtime API
//! emulator (`oktavault_bench::runtime_api`), with every AWS endpoint pointed at the emulator so
//! an AWS call would show up there: the function reaches its first poll without AWS, answers a
//! malformed event with the error the state machine's Catch matches, and polls again; a container
//! without its settings stops before polling and names the missing variable.
//!
//! The same binary carries no simulator, test kit or conformance code, although the build that
//! runs these tests (`--workspace --all-features`) compiles the library with all of them.

use std::path::Path;
use std::time::Duration;

use oktavault_bench::lambda_init::FunctionProcess;
use oktavault_bench::packages::test_code_in;
use oktavault_bench::runtime_api::{Report, RuntimeApi};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_oktavault-fn-backup-page");
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn the_function_polls_without_aws_then_answers_a_malformed_event_with_a_fatal_error() {
    let mut api = RuntimeApi::start(vec![json!({"job": "not a BackupPage input"})])
        .await
        .unwrap();
    let mut function = FunctionProcess::start(Path::new(BINARY), &api, &[]).unwrap();

    let polled = function.first_poll(&mut api).await.unwrap();
    assert!(polled > function.started());
    match function.next_report(&mut api, WAIT).await.unwrap() {
        Report::Error {
            request_id,
            error_type,
            error_message,
        } => {
            assert_eq!(request_id, "request-1");
            assert_eq!(error_type, "OktaVault.Fatal");
            assert!(
                error_message.contains("malformed input for BackupPage"),
                "{error_message}"
            );
        }
        other => panic!("expected the invocation's error, got {other:?}"),
    }
    // The container lives on, ready for the next event.
    let next = function.next_report(&mut api, WAIT).await.unwrap();
    assert!(matches!(next, Report::Poll { .. }), "{next:?}");
    function.stop().await;
}

#[tokio::test]
async fn a_container_without_its_bucket_stops_before_polling_and_names_the_variable() {
    let mut api = RuntimeApi::start(Vec::new()).await.unwrap();
    let mut function = FunctionProcess::start(Path::new(BINARY), &api, &[("OKTAVAULT_BUCKET", "")]).unwrap();

    let err = function.first_poll(&mut api).await.unwrap_err().to_string();
    assert!(err.contains("exited") && err.contains("OKTAVAULT_BUCKET"), "{err}");
    assert_eq!(api.next_report(Duration::from_millis(100)).await, None);
}

#[test]
fn the_binary_carries_no_simulator_test_kit_or_conformance_code() {
    let binary = std::fs::read(BINARY).unwrap();
    assert_eq!(test_code_in(&binary), Vec::<&str>::new());
}
