use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use super::*;
use crate::local::{LocalCatalog, LocalKeyProvider};
use crate::ports::{AuthKind, DataKey};

fn org(name: &str) -> OrgId {
    OrgId::new(name).unwrap()
}

fn keys(dir: &tempfile::TempDir) -> LocalKeyProvider {
    LocalKeyProvider::open(dir.path().join("master.key")).unwrap()
}

fn client_secret() -> Credentials {
    Credentials::ClientSecret {
        client_id: "0oa1client".into(),
        secret: Secret::new("very-secret-value"),
        scopes: vec!["okta.users.read".into(), "okta.groups.read".into()],
    }
}

fn record(org_id: &OrgId, url: &str, sealed: Option<String>) -> OrgRecord {
    OrgRecord {
        org_id: org_id.clone(),
        url: url.to_owned(),
        auth: AuthKind::ApiToken,
        client_id: None,
        sealed_credentials: sealed,
        backup_enabled: true,
        created_at: "2025-01-01T00:00:00Z".into(),
        last_snapshot: None,
    }
}

#[tokio::test]
async fn every_kind_of_credentials_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(&dir);
    let acme = org("acme.okta.com");

    let sealed = seal_credentials(&keys, &acme, &Credentials::ApiToken(Secret::new("00token")))
        .await
        .unwrap();
    match open_credentials(&keys, &acme, &sealed).await.unwrap() {
        Credentials::ApiToken(t) => assert_eq!(t.expose(), "00token"),
        other => panic!("opened as {}", other.kind()),
    }

    let sealed = seal_credentials(&keys, &acme, &client_secret()).await.unwrap();
    match open_credentials(&keys, &acme, &sealed).await.unwrap() {
        Credentials::ClientSecret {
            client_id,
            secret,
            scopes,
        } => {
            assert_eq!(client_id, "0oa1client");
            assert_eq!(secret.expose(), "very-secret-value");
            assert_eq!(scopes, ["okta.users.read", "okta.groups.read"]);
        }
        other => panic!("opened as {}", other.kind()),
    }

    let private = Credentials::PrivateKey {
        client_id: "0oa2".into(),
        key_pem: Secret::new("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        key_id: Some("kid-1".into()),
        scopes: vec!["okta.apps.read".into()],
    };
    let sealed = seal_credentials(&keys, &acme, &private).await.unwrap();
    match open_credentials(&keys, &acme, &sealed).await.unwrap() {
        Credentials::PrivateKey {
            client_id,
            key_pem,
            key_id,
            scopes,
        } => {
            assert_eq!(client_id, "0oa2");
            assert!(key_pem.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
            assert_eq!(key_id.as_deref(), Some("kid-1"));
            assert_eq!(scopes, ["okta.apps.read"]);
        }
        other => panic!("opened as {}", other.kind()),
    }
}

#[tokio::test]
async fn sealing_twice_gives_different_text_and_never_shows_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(&dir);
    let acme = org("acme.okta.com");
    let a = seal_credentials(&keys, &acme, &client_secret()).await.unwrap();
    let b = seal_credentials(&keys, &acme, &client_secret()).await.unwrap();
    assert_ne!(a, b, "each seal uses a fresh data key and nonce");
    let raw = BASE64.decode(&a).unwrap();
    assert!(
        !raw.windows(b"very-secret-value".len())
            .any(|w| w == b"very-secret-value")
    );
    assert!(
        !raw.windows(b"0oa1client".len()).any(|w| w == b"0oa1client"),
        "even the client id is sealed"
    );
}

#[tokio::test]
async fn credentials_sealed_for_one_org_do_not_open_as_another() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(&dir);
    let sealed = seal_credentials(&keys, &org("acme.okta.com"), &client_secret())
        .await
        .unwrap();
    let err = open_credentials(&keys, &org("evil.okta.com"), &sealed)
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Tampered { .. }), "{err:?}");
    assert!(err.to_string().contains("evil.okta.com"), "{err}");
    assert!(!err.is_retryable());
}

/// Unwraps data keys under any context, so only the AAD can tell orgs apart.
struct ContextBlindKeys(LocalKeyProvider);

#[async_trait]
impl KeyProvider for ContextBlindKeys {
    async fn generate_data_key(&self, _: &KeyContext) -> Result<DataKey, KeyError> {
        self.0.generate_data_key(&key_context(&org("any"))).await
    }
    async fn unwrap_data_key(&self, wrapped: &[u8], _: &KeyContext) -> Result<[u8; 32], KeyError> {
        self.0.unwrap_data_key(wrapped, &key_context(&org("any"))).await
    }
}

#[tokio::test]
async fn the_aad_binds_the_org_even_when_the_key_provider_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let keys = ContextBlindKeys(keys(&dir));
    let sealed = seal_credentials(&keys, &org("acme.okta.com"), &client_secret())
        .await
        .unwrap();
    assert!(open_credentials(&keys, &org("acme.okta.com"), &sealed).await.is_ok());
    let err = open_credentials(&keys, &org("evil.okta.com"), &sealed)
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Tampered { .. }), "{err:?}");
}

#[tokio::test]
async fn changed_truncated_or_foreign_text_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(&dir);
    let acme = org("acme.okta.com");
    let sealed = seal_credentials(&keys, &acme, &client_secret()).await.unwrap();
    let raw = BASE64.decode(&sealed).unwrap();

    let mut flipped = raw.clone();
    *flipped.last_mut().unwrap() ^= 1;
    let err = open_credentials(&keys, &acme, &BASE64.encode(&flipped))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Tampered { .. }), "{err:?}");

    let err = open_credentials(&keys, &acme, &BASE64.encode(&raw[..raw.len() - 20]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CredentialsError::Tampered { .. } | CredentialsError::Malformed { .. }
        ),
        "{err:?}"
    );
    let err = open_credentials(&keys, &acme, &BASE64.encode(&raw[..10]))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Malformed { .. }), "{err:?}");

    let mut newer = raw.clone();
    newer[0] = 9;
    let err = open_credentials(&keys, &acme, &BASE64.encode(&newer))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("format version 9"), "{err}");

    let err = open_credentials(&keys, &acme, "not base64 at all!").await.unwrap_err();
    assert!(matches!(err, CredentialsError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("authorize the org again"), "{err}");
}

/// Counts unwraps, and fails them while `down` is set (a KMS outage).
struct CountingKeys {
    inner: LocalKeyProvider,
    unwraps: AtomicUsize,
    down: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl KeyProvider for CountingKeys {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        self.inner.generate_data_key(context).await
    }
    async fn unwrap_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<[u8; 32], KeyError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(KeyError::Unavailable {
                message: "KMS throttled".into(),
                retryable: true,
            });
        }
        self.unwraps.fetch_add(1, Ordering::SeqCst);
        self.inner.unwrap_data_key(wrapped, context).await
    }
}

#[tokio::test]
async fn the_connector_reads_the_org_through_a_client_built_once_per_sealed_credentials() {
    let sim = okta_sim::start(okta_sim::SimConfig::new(5, 7), 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(CountingKeys {
        inner: keys(&dir),
        unwraps: AtomicUsize::new(0),
        down: false.into(),
    });
    let catalog = LocalCatalog::open(dir.path().join("catalog")).unwrap();
    let org_id = OrgUrl::parse(&sim.url(), true).unwrap().org_id();
    let token = Credentials::ApiToken(Secret::new(sim.api_token()));
    let stored = store_org_credentials(&catalog, keys.as_ref(), record(&org_id, &sim.url(), None), &token)
        .await
        .unwrap();
    assert_eq!(
        catalog.get_org(&org_id).await.unwrap().unwrap(),
        stored,
        "the sealed record is stored"
    );

    let connector = StoredCredentialsConnector::new(keys.clone(), true);
    let client = connector.client_for(&stored).await.unwrap();
    let page = client.get_page("/api/v1/users", Some(200)).await.unwrap();
    assert_eq!(page.items.len(), 5, "the opened token reads the simulated org");
    connector.client_for(&stored).await.unwrap();
    assert_eq!(
        keys.unwraps.load(Ordering::SeqCst),
        1,
        "the client is kept for the container's life"
    );

    // Re-authorized with new credentials: a warm container must not keep using the old ones.
    let reauthorized = store_org_credentials(&catalog, keys.as_ref(), stored.clone(), &token)
        .await
        .unwrap();
    connector.client_for(&reauthorized).await.unwrap();
    assert_eq!(keys.unwraps.load(Ordering::SeqCst), 2);

    let other = store_org_credentials(&catalog, keys.as_ref(), stored.clone(), &token)
        .await
        .unwrap();
    keys.down.store(true, Ordering::SeqCst);
    let err = connector.client_for(&other).await.unwrap_err();
    assert!(err.is_retryable(), "a key provider outage is worth a retry: {err:?}");
    assert_eq!(err.name(), StepError::RETRYABLE);
}

#[tokio::test]
async fn the_connector_refuses_local_orgs_unless_allowed_and_orgs_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let keys: Arc<dyn KeyProvider> = Arc::new(keys(&dir));
    let org_id = org("127.0.0.1");
    let sealed = seal_credentials(keys.as_ref(), &org_id, &client_secret())
        .await
        .unwrap();
    let local = record(&org_id, "http://127.0.0.1:9", Some(sealed));
    let err = StoredCredentialsConnector::new(keys.clone(), false)
        .client_for(&local)
        .await
        .unwrap_err();
    assert_eq!(err.name(), StepError::FATAL);
    assert!(err.message.contains("http://127.0.0.1:9"), "{err}");

    let unauthorized = record(&org("acme.okta.com"), "https://acme.okta.com", None);
    let err = StoredCredentialsConnector::new(keys, false)
        .client_for(&unauthorized)
        .await
        .unwrap_err();
    assert_eq!(err.name(), StepError::FATAL);
    assert!(err.message.contains("authorize it"), "{err}");
    assert!(!err.message.contains("very-secret-value"));
}
