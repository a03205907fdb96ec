use oktavault_shared::ports::JobStatus;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_fails_the_job_at_the_start_with_a_clear_error() {
    let sim = start_sim(300, 1).await;
    let store = tempfile::tempdir().unwrap();
    sim.reset_calls();
    let out = oktavault(
        store.path(),
        &[
            "--json",
            "backup",
            "--org",
            &sim.url(),
            "--token",
            "not-the-token",
            "--allow-local-org",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "Failed");
    let error = report["error"].as_str().unwrap();
    assert!(error.contains("rejected") && error.contains("E0000011"), "{error}");
    assert!(!text(&out).contains("not-the-token"), "the secret is never printed");
    // Failed at the start: the credential check is the only call made.
    let calls = sim.calls().total();
    assert!(
        calls <= 1,
        "{calls} calls were made with a wrong token: {:?}",
        sim.calls()
    );
    assert_eq!(open_store(store.path()).job(&report).await.status, JobStatus::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_fails_the_job_with_a_clear_error() {
    let sim = start_sim(100, 1).await;
    let store = tempfile::tempdir().unwrap();
    let out = oktavault(
        store.path(),
        &[
            "--json",
            "backup",
            "--org",
            &sim.url(),
            "--client-id",
            &sim.client_id(),
            "--client-secret",
            "wrong",
            "--allow-local-org",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "Failed");
    assert!(report["error"].as_str().unwrap().contains("invalid_client"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_and_private_key_jwt_apps_both_back_up_the_org() {
    let sim = start_sim(400, 2).await;
    let expected = expected_contents(&sim.snapshot_state());

    let store = tempfile::tempdir().unwrap();
    let out = oktavault(
        store.path(),
        &[
            "--json",
            "backup",
            "--org",
            &sim.url(),
            "--client-id",
            &sim.client_id(),
            "--client-secret",
            &sim.client_secret(),
            "--allow-local-org",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_same_contents(
        &open_store(store.path()).contents(&snapshot_id(&report)).await,
        &expected,
    );

    let key_file = store.path().join("service-app.pem");
    std::fs::write(&key_file, sim.jwt_private_key_pem()).unwrap();
    let store2 = tempfile::tempdir().unwrap();
    let out = oktavault(
        store2.path(),
        &[
            "--json",
            "backup",
            "--org",
            &sim.url(),
            "--client-id",
            &sim.jwt_client_id(),
            "--private-key",
            key_file.to_str().unwrap(),
            "--allow-local-org",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_same_contents(
        &open_store(store2.path()).contents(&snapshot_id(&report)).await,
        &expected,
    );
}

#[tokio::test]
async fn private_and_loopback_org_urls_are_refused_without_the_flag() {
    let store = tempfile::tempdir().unwrap();
    for url in [
        "http://127.0.0.1:9",
        "https://10.1.2.3",
        "https://localhost",
        "https://[::1]",
    ] {
        let out = oktavault(store.path(), &["backup", "--org", url, "--token", "t"]).await;
        assert_eq!(out.status.code(), Some(1), "{url} was accepted: {}", text(&out));
        assert!(text(&out).contains("--allow-local-org"), "{url}: {}", text(&out));
    }
    // The cloud metadata address is refused even with the flag.
    let out = oktavault(
        store.path(),
        &[
            "backup",
            "--org",
            "https://169.254.169.254",
            "--token",
            "t",
            "--allow-local-org",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("always refused"), "{}", text(&out));
    let out = oktavault(
        store.path(),
        &["backup", "--org", "https://evil.example.com", "--token", "t"],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a non-Okta domain was accepted: {}",
        text(&out)
    );
    assert!(text(&out).contains("--allow-custom-domain"), "{}", text(&out));
    assert!(
        !store.path().join("catalog").exists(),
        "a refused org URL creates no store or job"
    );
}
