//! `oktavault org`: an org authorized once (credentials checked live, then sealed in the store) is backed up
//! and restored with no credential flags; its card never shows a secret; a refusal names the part and stores
//! nothing.

use serde_json::Value;

use crate::support::*;

async fn org_json(store: &std::path::Path, args: &[&str]) -> (Option<i32>, Value, String) {
    // Most verbose: every log line is searched for the secret too.
    let mut all = vec!["-vv", "--json", "org"];
    all.extend_from_slice(args);
    let out = oktavault(store, &all).await;
    let output = text(&out);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), json, output)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_added_once_is_backed_up_without_credential_flags_and_its_card_shows_no_secret() {
    let sim = start_sim(60, 4).await;
    let store = tempfile::tempdir().unwrap();
    let url = sim.url();
    let secret = sim.client_secret();
    let client_id = sim.client_id();

    let add = [
        "add",
        "--org",
        &url,
        "--allow-local-org",
        "--client-id",
        &client_id,
        "--client-secret",
        &secret,
    ];
    let (code, added, output) = org_json(store.path(), &add).await;
    assert_eq!(code, Some(0), "{output}");
    let granted: Vec<&str> = added["check"]["granted_scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        granted.contains(&"okta.users.read") && granted.contains(&"okta.groups.manage"),
        "{granted:?}"
    );
    assert!(!output.contains(&secret), "the secret is never printed");

    let run = backup(store.path(), &sim, &[]).await;
    assert_eq!(
        run.code,
        Some(0),
        "a stored org backs up with no credential flags: {}",
        run.output
    );
    assert_eq!(run.report["status"], "Completed");

    let (code, card, output) = org_json(store.path(), &["show", &url]).await;
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(card["credentials_stored"], true);
    assert_eq!(card["backup_enabled"], true);
    assert_eq!(card["app_status"]["ok"], true);
    assert_eq!(card["last_backup"]["status"], "Completed");
    assert_eq!(card["last_backup"]["trigger"], "manual");
    assert!(card["next_run"].is_string(), "{card}");
    assert!(
        card.get("sealed_credentials").is_none() && !output.contains(&secret),
        "{output}"
    );

    let (code, card, output) = org_json(store.path(), &["set", &url, "--backup", "off", "--every-hours", "6"]).await;
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(
        (card["backup_enabled"].clone(), card["schedule"]["every_hours"].clone()),
        (false.into(), 6.into())
    );
    assert!(
        card.get("next_run").is_none(),
        "no next run while backup is off: {card}"
    );

    let (code, card, _) = org_json(store.path(), &["delete", &url]).await;
    assert_eq!(code, Some(0));
    assert_eq!(card["credentials_stored"], false);
    let run = backup(store.path(), &sim, &[]).await;
    assert_ne!(run.code, Some(0), "a deleted org's credentials are gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_an_org_with_a_wrong_secret_names_the_secret_and_stores_nothing() {
    let sim = start_sim(10, 4).await;
    let store = tempfile::tempdir().unwrap();
    let url = sim.url();
    let client_id = sim.client_id();
    let add = [
        "add",
        "--org",
        &url,
        "--allow-local-org",
        "--client-id",
        &client_id,
        "--client-secret",
        "nope-Kx7",
    ];
    let (code, _, output) = org_json(store.path(), &add).await;
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("Okta refused the credentials"), "{output}");
    assert!(!output.contains("nope-Kx7"), "{output}");
    let (_, cards, output) = org_json(store.path(), &["list"]).await;
    assert_eq!(cards, serde_json::json!([]), "nothing stored: {output}");
}
