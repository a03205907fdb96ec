//! The OpenAPI document against the running API: schemathesis (`scripts/ensure-schemathesis`) drives every
//! operation of `oktavault serve`, over a store holding a real backup of the simulator, with examples made from
//! the document and mutations of them. It must find no 5xx and no answer outside the document (status code,
//! content type, schema). The run is bounded (examples per operation, one worker, a fixed seed).

use std::path::Path;

use reqwest::Method;
use serde_json::json;

use super::api::{TOKEN, serve_authorized};
use crate::support::start_sim;

/// The project venv's `st` (`scripts/ensure-schemathesis` installs it).
fn schemathesis() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned();
    let st = root.join(".venv/bin/st");
    assert!(
        st.is_file(),
        "{} is missing: run scripts/ensure-schemathesis",
        st.display()
    );
    st
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_openapi_document() {
    let st = schemathesis();
    let sim = start_sim(20, 5).await;
    let (server, store, org, _logs) = serve_authorized(&sim).await;
    let backup = server.accepted(&format!("/v1/orgs/{org}/backups"), None).await;
    assert_eq!(server.finished(&backup).await["state"]["state"], "completed");
    let download = server
        .accepted(
            &format!("/v1/orgs/{org}/downloads"),
            Some(json!({"select": ["users"], "format": "json"})),
        )
        .await;
    assert_eq!(server.finished(&download).await["state"]["state"], "completed");
    let (_, tree) = server.call(Method::GET, "/v1/snapshots/latest", None).await;
    let snapshot = tree["snapshot_id"].as_str().unwrap();
    // The ids the store holds, offered for path and query parameters most of the time (the rest are generated),
    // so the routes are exercised on real snapshots and jobs as well as on ids that name nothing.
    let config = store.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[dictionaries.orgs]
values = ["{org}"]
[dictionaries.snapshots]
values = ["latest", "{snapshot}"]
[dictionaries.jobs]
values = ["{backup}", "{download}"]
[dictionaries.categories]
values = ["users", "groups", "apps"]

[parameters]
"path.org" = {{ dictionary = "orgs", probability = 0.8 }}
"query.org" = {{ dictionary = "orgs", probability = 0.5 }}
"path.snapshot" = {{ dictionary = "snapshots", probability = 0.8 }}
"query.from" = {{ dictionary = "snapshots", probability = 0.5 }}
"query.to" = {{ dictionary = "snapshots", probability = 0.5 }}
"path.job" = {{ dictionary = "jobs", probability = 0.8 }}
"path.category" = {{ dictionary = "categories", probability = 0.8 }}
"#
        ),
    )
    .unwrap();

    let output = tokio::process::Command::new(st)
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{}/v1/openapi.yaml", server.base)])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "15", "--workers", "1", "--no-color"])
        // Authorizing calls the org URL it is given: fuzzed URLs would reach hosts outside loopback (the routes are
        // tested in shared/tests/api.rs against the simulator). Deleting the org would leave the other operations
        // nothing to work on.
        .args([
            "--exclude-operation-id",
            "authorizeOrg",
            "--exclude-operation-id",
            "deleteOrg",
        ])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args([
            "--request-timeout",
            "20",
            "--seed",
            "7",
            "--generation-database",
            "none",
        ])
        .current_dir(store.path())
        .kill_on_drop(true)
        .output()
        .await
        .expect("schemathesis runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{text}");
    assert!(output.status.success(), "schemathesis found problems:\n{text}");
    // It did test the operations: each line of its summary names how many it covered.
    assert!(!text.contains("No operations"), "{text}");
}
