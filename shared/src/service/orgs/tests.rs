//! Authorizing an org against the Okta simulator over HTTP: what is checked live, what is stored, and what a
//! refusal names.

use std::sync::Arc;

use okta_sim::{PathFault, SimConfig, SimHandle};

use super::*;
use crate::credentials::open_credentials;
use crate::local::{LocalCatalog, LocalKeyProvider};
use crate::okta::{Credentials, Secret};
use crate::ports::RecordSchedules;
use crate::service::ServiceError;

struct Fixture {
    _dir: tempfile::TempDir,
    catalog: LocalCatalog,
    keys: Arc<LocalKeyProvider>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    Fixture {
        catalog: LocalCatalog::open(dir.path().join("catalog")).unwrap(),
        keys: Arc::new(LocalKeyProvider::open(dir.path().join("master.key")).unwrap()),
        _dir: dir,
    }
}

fn config(sim: &SimHandle, credentials: Credentials) -> ClientConfig {
    ClientConfig::new(OrgUrl::parse(&sim.url(), true).unwrap(), credentials)
}

fn secret_app(sim: &SimHandle, secret: &str, scopes: &[&str]) -> Credentials {
    Credentials::ClientSecret {
        client_id: sim.client_id(),
        secret: Secret::new(secret.to_owned()),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
    }
}

async fn sim_granting(scopes: &[&str]) -> SimHandle {
    let mut config = SimConfig::new(4, 3);
    config.granted_scopes = scopes.iter().map(|s| s.to_string()).collect();
    okta_sim::start(config, 0).await.unwrap()
}

#[tokio::test]
async fn an_app_missing_a_scope_is_authorized_with_the_scopes_it_has_and_the_categories_it_cannot_reach_named() {
    let sim = sim_granting(&["okta.users.read", "okta.groups.read"]).await;
    let f = fixture();
    let asked = ["okta.users.read", "okta.groups.read", "okta.logs.read"];
    let config = config(&sim, secret_app(&sim, &sim.client_secret(), &asked));

    let authorized = authorize(&f.catalog, f.keys.as_ref(), &RecordSchedules, &config)
        .await
        .unwrap();

    assert_eq!(
        authorized.check.granted_scopes.as_deref(),
        Some(&["okta.users.read".to_owned(), "okta.groups.read".to_owned()][..])
    );
    assert_eq!(authorized.check.not_granted, vec!["okta.logs.read".to_owned()]);
    assert!(
        authorized
            .check
            .probes
            .iter()
            .any(|p| p.scope == "okta.users.read" && p.refused.is_none()),
        "the users scope was read once: {:?}",
        authorized.check.probes
    );
    assert!(authorized.unreachable.iter().any(|u| u.category == "system_log"));
    let org = f.catalog.get_org(&authorized.org_id).await.unwrap().unwrap();
    assert_eq!(org.granted_scopes, authorized.check.granted_scopes);
    assert!(
        org.last_check
            .as_ref()
            .unwrap()
            .refused_scopes
            .contains_key("okta.logs.read")
    );
    // What is sealed asks only for what is granted, so unattended backups get a token.
    let url = OrgUrl::parse(&sim.url(), true).unwrap();
    let sealed = open_credentials(
        f.keys.as_ref(),
        &org.org_id,
        &url,
        org.sealed_credentials.as_deref().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(sealed.scopes().unwrap(), org.granted_scopes.as_deref().unwrap());
    let text = format!("{authorized}\n{}", serde_json::to_string(&authorized).unwrap());
    assert!(!text.contains(&sim.client_secret()), "no secret in the report");
    assert!(text.contains("system_log"), "{text}");
}

#[tokio::test]
async fn a_wrong_secret_names_the_secret_and_stores_nothing() {
    let sim = sim_granting(&["okta.users.read"]).await;
    let f = fixture();
    let config = config(&sim, secret_app(&sim, "not-the-secret", &["okta.users.read"]));

    let error = authorize(&f.catalog, f.keys.as_ref(), &RecordSchedules, &config)
        .await
        .unwrap_err();

    let ServiceError::Refused(refused) = error else {
        panic!("not a refusal: {error}");
    };
    assert_eq!(refused.part, CredentialPart::Secret, "{refused}");
    assert!(!refused.to_string().contains("not-the-secret"), "{refused}");
    assert!(f.catalog.list_orgs().await.unwrap().is_empty(), "nothing stored");
}

#[tokio::test]
async fn an_app_granted_none_of_the_scopes_names_the_scopes() {
    let sim = sim_granting(&["okta.users.read"]).await;
    let f = fixture();
    let config = config(
        &sim,
        secret_app(&sim, &sim.client_secret(), &["okta.groups.read", "okta.apps.read"]),
    );

    let error = authorize(&f.catalog, f.keys.as_ref(), &RecordSchedules, &config)
        .await
        .unwrap_err();

    let ServiceError::Refused(refused) = error else {
        panic!("not a refusal: {error}");
    };
    assert_eq!(refused.part, CredentialPart::Scopes);
    assert!(refused.message.contains("okta.groups.read"), "{refused}");
    assert!(f.catalog.list_orgs().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_domain_names_the_domain() {
    // A loopback port nothing listens on: connection refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let f = fixture();
    let mut config = ClientConfig::new(
        OrgUrl::parse(&format!("http://127.0.0.1:{port}"), true).unwrap(),
        Credentials::ApiToken(Secret::new("token".to_owned())),
    );
    config.max_retries = 0;

    let error = authorize(&f.catalog, f.keys.as_ref(), &RecordSchedules, &config)
        .await
        .unwrap_err();

    let ServiceError::Refused(refused) = error else {
        panic!("not a refusal: {error}");
    };
    assert_eq!(refused.part, CredentialPart::Domain, "{refused}");
}

#[tokio::test]
async fn an_api_token_whose_admin_cannot_read_a_scope_group_is_authorized_with_that_group_unreachable() {
    let sim = okta_sim::start(SimConfig::new(4, 5), 0).await.unwrap();
    sim.fail_path(PathFault::error(
        "/api/v1/logs",
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    ));
    let f = fixture();
    let config = config(&sim, Credentials::ApiToken(Secret::new(sim.api_token())));

    let first = authorize(&f.catalog, f.keys.as_ref(), &RecordSchedules, &config)
        .await
        .unwrap();

    assert_eq!(first.auth, AuthKind::ApiToken);
    assert!(first.check.granted_scopes.is_none());
    assert!(!first.reauthorized);
    let logs = first.check.probes.iter().find(|p| p.scope == "okta.logs.read").unwrap();
    assert!(logs.refused.as_deref().unwrap().contains("admin role"), "{logs:?}");
    assert!(first.unreachable.iter().any(|u| u.category == "system_log"));

    // Re-authorized: the credentials are replaced, the org's settings stay.
    update(
        &f.catalog,
        &RecordSchedules,
        &first.org_id,
        &OrgSettings {
            every_hours: Some(6),
            ..OrgSettings::default()
        },
    )
    .await
    .unwrap();
    sim.clear_path_faults();
    let again = authorize(&f.catalog, f.keys.as_ref(), &RecordSchedules, &config)
        .await
        .unwrap();
    assert!(again.reauthorized);
    assert!(again.unreachable.is_empty(), "{:?}", again.unreachable);
    let org = f.catalog.get_org(&again.org_id).await.unwrap().unwrap();
    assert_eq!(org.schedule.every_hours, 6);
}

#[tokio::test]
async fn settings_are_checked_and_a_deleted_org_drops_its_credentials_and_takes_no_settings() {
    let sim = okta_sim::start(SimConfig::new(2, 9), 0).await.unwrap();
    let f = fixture();
    let config = config(&sim, Credentials::ApiToken(Secret::new(sim.api_token())));
    let org_id = authorize(&f.catalog, f.keys.as_ref(), &RecordSchedules, &config)
        .await
        .unwrap()
        .org_id;

    let bad = OrgSettings {
        every_hours: Some(25),
        ..OrgSettings::default()
    };
    assert!(matches!(
        update(&f.catalog, &RecordSchedules, &org_id, &bad).await,
        Err(ServiceError::Invalid(_))
    ));
    let off = OrgSettings {
        backup_enabled: Some(false),
        ..OrgSettings::default()
    };
    assert!(
        !update(&f.catalog, &RecordSchedules, &org_id, &off)
            .await
            .unwrap()
            .backup_enabled
    );

    let deleted = delete(&f.catalog, &RecordSchedules, &org_id).await.unwrap();
    assert!(deleted.deleted_at.is_some() && deleted.sealed_credentials.is_none());
    let card = card(&f.catalog, &org_id, "local store").await.unwrap();
    assert!(card.next_run.is_none() && !card.credentials_stored);
    assert!(matches!(
        update(&f.catalog, &RecordSchedules, &org_id, &off).await,
        Err(ServiceError::Conflict(_))
    ));
    let unknown = OrgId::new("nobody.okta.com").unwrap();
    assert!(matches!(card_of(&f, &unknown).await, Err(ServiceError::NotFound(_))));
}

async fn card_of(f: &Fixture, org: &OrgId) -> Result<OrgCard, ServiceError> {
    card(&f.catalog, org, "local store").await
}
