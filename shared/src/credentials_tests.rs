use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use super::*;
use crate::ids::SnapshotId;
use crate::local::{LocalCatalog, LocalKeyProvider};
use crate::ports::{AuthKind, DataKey, PlainKey};

fn org(name: &str) -> OrgId {
    OrgId::new(name).unwrap()
}

/// The URL of an org on Okta's domain, named after its id.
fn url_of(org: &OrgId) -> OrgUrl {
    OrgUrl::parse(&format!("https://{org}"), false).unwrap()
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
        sealed_credentials: sealed,
        ..OrgRecord::new(
            org_id.clone(),
            url.to_owned(),
            AuthKind::ApiToken,
            None,
            "2025-01-01T00:00:00Z".into(),
        )
    }
}

#[tokio::test]
async fn every_kind_of_credentials_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(&dir);
    let acme = org("acme.okta.com");
    let url = url_of(&acme);

    let sealed = seal_credentials(&keys, &acme, &url, &Credentials::ApiToken(Secret::new("00token")))
        .await
        .unwrap();
    match open_credentials(&keys, &acme, &url, &sealed).await.unwrap() {
        Credentials::ApiToken(t) => assert_eq!(t.expose(), "00token"),
        other => panic!("opened as {}", other.kind()),
    }

    let sealed = seal_credentials(&keys, &acme, &url, &client_secret()).await.unwrap();
    match open_credentials(&keys, &acme, &url, &sealed).await.unwrap() {
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
    let sealed = seal_credentials(&keys, &acme, &url, &private).await.unwrap();
    match open_credentials(&keys, &acme, &url, &sealed).await.unwrap() {
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
    let a = seal_credentials(&keys, &acme, &url_of(&acme), &client_secret())
        .await
        .unwrap();
    let b = seal_credentials(&keys, &acme, &url_of(&acme), &client_secret())
        .await
        .unwrap();
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
    let acme = org("acme.okta.com");
    let sealed = seal_credentials(&keys, &acme, &url_of(&acme), &client_secret())
        .await
        .unwrap();
    let err = open_credentials(&keys, &org("evil.okta.com"), &url_of(&acme), &sealed)
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Tampered { .. }), "{err:?}");
    assert!(err.to_string().contains("evil.okta.com"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn credentials_sealed_for_one_url_are_refused_for_another_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let keys = CountingKeys::new(keys(&dir));
    let acme = org("acme.okta.com");
    let sealed = seal_credentials(&keys, &acme, &url_of(&acme), &client_secret())
        .await
        .unwrap();
    let elsewhere = OrgUrl::parse("https://attacker-dev-123.okta.com", false).unwrap();
    let err = open_credentials(&keys, &acme, &elsewhere, &sealed).await.unwrap_err();
    assert!(matches!(err, CredentialsError::UrlMismatch { .. }), "{err:?}");
    let message = err.to_string();
    for part in [
        "https://acme.okta.com",
        "https://attacker-dev-123.okta.com",
        "authorize it again",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    assert!(!err.is_retryable());
    assert_eq!(
        keys.unwraps.load(Ordering::SeqCst),
        0,
        "refused before any key is unwrapped"
    );
}

/// The attacker rewrites the URL inside the sealed text as well: the key provider's context (or,
/// with a provider blind to it, the AAD) refuses.
fn retarget(sealed: &str, from: &OrgUrl, to: &OrgUrl) -> String {
    let raw = BASE64.decode(sealed).unwrap();
    let (from, to) = (from.as_str().as_bytes(), to.as_str().as_bytes());
    assert_eq!(
        &raw[3..3 + from.len()],
        from,
        "the URL follows the version and its length"
    );
    let mut forged = vec![FORMAT_VERSION];
    forged.extend_from_slice(&(to.len() as u16).to_be_bytes());
    forged.extend_from_slice(to);
    forged.extend_from_slice(&raw[3 + from.len()..]);
    BASE64.encode(forged)
}

#[tokio::test]
async fn a_url_rewritten_inside_the_seal_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let acme = org("acme.okta.com");
    let evil = OrgUrl::parse("https://evil.okta.com", false).unwrap();
    let bound_keys = keys(&dir);
    let blind_keys = ContextBlindKeys(keys(&dir));
    for keys in [&bound_keys as &dyn KeyProvider, &blind_keys] {
        let sealed = seal_credentials(keys, &acme, &url_of(&acme), &client_secret())
            .await
            .unwrap();
        let forged = retarget(&sealed, &url_of(&acme), &evil);
        let err = open_credentials(keys, &acme, &evil, &forged).await.unwrap_err();
        assert!(matches!(err, CredentialsError::Tampered { .. }), "{err:?}");
        assert!(err.to_string().contains("authorize the org again"), "{err}");
    }
}

#[tokio::test]
async fn version_1_credentials_which_carry_no_url_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(&dir);
    let acme = org("acme.okta.com");
    // Version 1: version | wrapped key len | wrapped key | nonce | ciphertext | tag.
    let mut v1 = vec![1u8, 0, 61];
    v1.extend_from_slice(&[7u8; 61 + NONCE_LEN + 40 + TAG_LEN]);
    let err = open_credentials(&keys, &acme, &url_of(&acme), &BASE64.encode(v1))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Unbound { .. }), "{err:?}");
    assert!(err.to_string().contains("authorize the org again"), "{err}");
    assert!(!err.is_retryable());
}

/// Unwraps data keys under any context, so only the AAD can tell orgs and URLs apart.
struct ContextBlindKeys(LocalKeyProvider);

impl ContextBlindKeys {
    fn one_context() -> KeyContext {
        KeyContext::snapshot(&org("any"), &SnapshotId::new("any").unwrap())
    }
}

#[async_trait]
impl KeyProvider for ContextBlindKeys {
    async fn generate_data_key(&self, _: &KeyContext) -> Result<DataKey, KeyError> {
        self.0.generate_data_key(&Self::one_context()).await
    }
    async fn unwrap_data_key(&self, wrapped: &[u8], _: &KeyContext) -> Result<PlainKey, KeyError> {
        self.0.unwrap_data_key(wrapped, &Self::one_context()).await
    }
}

#[tokio::test]
async fn the_aad_binds_the_org_even_when_the_key_provider_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let keys = ContextBlindKeys(keys(&dir));
    let acme = org("acme.okta.com");
    let sealed = seal_credentials(&keys, &acme, &url_of(&acme), &client_secret())
        .await
        .unwrap();
    assert!(open_credentials(&keys, &acme, &url_of(&acme), &sealed).await.is_ok());
    let err = open_credentials(&keys, &org("evil.okta.com"), &url_of(&acme), &sealed)
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Tampered { .. }), "{err:?}");
}

#[tokio::test]
async fn changed_truncated_or_foreign_text_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(&dir);
    let acme = org("acme.okta.com");
    let url = url_of(&acme);
    let sealed = seal_credentials(&keys, &acme, &url, &client_secret()).await.unwrap();
    let raw = BASE64.decode(&sealed).unwrap();

    let mut flipped = raw.clone();
    *flipped.last_mut().unwrap() ^= 1;
    let err = open_credentials(&keys, &acme, &url, &BASE64.encode(&flipped))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Tampered { .. }), "{err:?}");

    let err = open_credentials(&keys, &acme, &url, &BASE64.encode(&raw[..raw.len() - 20]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CredentialsError::Tampered { .. } | CredentialsError::Malformed { .. }
        ),
        "{err:?}"
    );
    let err = open_credentials(&keys, &acme, &url, &BASE64.encode(&raw[..10]))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Malformed { .. }), "{err:?}");

    let mut newer = raw.clone();
    newer[0] = 9;
    let err = open_credentials(&keys, &acme, &url, &BASE64.encode(&newer))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("format version 9"), "{err}");

    let err = open_credentials(&keys, &acme, &url, "not base64 at all!")
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("authorize the org again"), "{err}");
}

/// Counts unwraps, and fails them while `down` is set (a KMS outage).
struct CountingKeys {
    inner: LocalKeyProvider,
    unwraps: AtomicUsize,
    down: std::sync::atomic::AtomicBool,
}

impl CountingKeys {
    fn new(inner: LocalKeyProvider) -> Self {
        Self {
            inner,
            unwraps: AtomicUsize::new(0),
            down: false.into(),
        }
    }
}

#[async_trait]
impl KeyProvider for CountingKeys {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        self.inner.generate_data_key(context).await
    }
    async fn unwrap_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<PlainKey, KeyError> {
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
    let keys = Arc::new(CountingKeys::new(keys(&dir)));
    let catalog = LocalCatalog::open(dir.path().join("catalog")).unwrap();
    let url = OrgUrl::parse(&sim.url(), true).unwrap();
    let org_id = url.org_id();
    let token = Credentials::ApiToken(Secret::new(sim.api_token()));
    let stored = store_org_credentials(&catalog, keys.as_ref(), record(&org_id, &sim.url(), None), &url, &token)
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
    let reauthorized = store_org_credentials(&catalog, keys.as_ref(), stored.clone(), &url, &token)
        .await
        .unwrap();
    connector.client_for(&reauthorized).await.unwrap();
    assert_eq!(keys.unwraps.load(Ordering::SeqCst), 2);

    let other = store_org_credentials(&catalog, keys.as_ref(), stored.clone(), &url, &token)
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
    let url = OrgUrl::parse("http://127.0.0.1:9", true).unwrap();
    let sealed = seal_credentials(keys.as_ref(), &org_id, &url, &client_secret())
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

/// The attack of issue 8 item 7: whoever can write the catalog (no key access) points an org's
/// record at a host they own, another Okta org, hoping the stored token is sent there.
#[tokio::test]
async fn a_record_pointed_at_another_host_never_sends_the_credentials_there() {
    let real = okta_sim::start(okta_sim::SimConfig::new(3, 1), 0).await.unwrap();
    let attacker = okta_sim::start(okta_sim::SimConfig::new(3, 2), 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys: Arc<dyn KeyProvider> = Arc::new(keys(&dir));
    let catalog = LocalCatalog::open(dir.path().join("catalog")).unwrap();
    let url = OrgUrl::parse(&real.url(), true).unwrap();
    let org_id = url.org_id();
    let token = Credentials::ApiToken(Secret::new(real.api_token()));
    let stored = store_org_credentials(
        &catalog,
        keys.as_ref(),
        record(&org_id, &real.url(), None),
        &url,
        &token,
    )
    .await
    .unwrap();
    let connector = StoredCredentialsConnector::new(keys.clone(), true);
    // A warm container already holds a client for the real org.
    connector.client_for(&stored).await.unwrap();

    // The record's URL rewritten, and then the URL inside the seal rewritten too.
    let mut pointed = stored.clone();
    pointed.url = attacker.url();
    let attacker_url = OrgUrl::parse(&attacker.url(), true).unwrap();
    let mut forged = pointed.clone();
    forged.sealed_credentials = Some(retarget(
        stored.sealed_credentials.as_deref().unwrap(),
        &url,
        &attacker_url,
    ));
    for (record, expected) in [(&pointed, "authorize it again"), (&forged, "authorize the org again")] {
        catalog.put_org(record).await.unwrap();
        let from_catalog = catalog.get_org(&org_id).await.unwrap().unwrap();
        let err = match connector.client_for(&from_catalog).await {
            Ok(_) => panic!("a client was built for {}", from_catalog.url),
            Err(err) => err,
        };
        assert_eq!(err.name(), StepError::FATAL, "{err:?}");
        assert!(err.message.contains(expected), "{err:?}");
        assert!(!err.message.contains(&real.api_token()), "{err:?}");
    }
    assert_eq!(attacker.calls().total(), 0, "{:?}", attacker.calls());

    // A cold container (no client cached) refuses just the same.
    let err = StoredCredentialsConnector::new(keys, true)
        .client_for(&pointed)
        .await
        .unwrap_err();
    assert!(err.message.contains(&attacker.url()), "{err:?}");
    assert_eq!(attacker.calls().total(), 0, "{:?}", attacker.calls());
}
