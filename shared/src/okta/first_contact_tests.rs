//! An org that cannot be reached at all: the job's first call (`check_credentials`) fails at once,
//! saying what to check, while the same failures in the middle of a job keep their retries.
//!
//! DNS: this sandbox's resolver answers NXDOMAIN for every name, but a test must not send queries
//! off the machine, and a machine without DNS would answer "try again" instead. So the client is
//! handed a lookup that asks the real getaddrinfo about a name the C library answers "not found"
//! without any query (`NAME_NO_RESOLVER_ASKS_ABOUT`), whatever host it was asked for; the rest (the
//! resolver's classification, reqwest's error chain, the transport's decision) is the production path.
//! TLS: a real handshake on 127.0.0.1 with a certificate no machine trusts.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use futures::future::BoxFuture;

use super::fake::{self, NAME_NO_RESOLVER_ASKS_ABOUT, config};
use super::resolver::Lookup;
use super::{Credentials, OktaClient, OktaError, OrgUrl, Secret, UnreachableCause};

/// What a lookup comes back with.
type Answer = BoxFuture<'static, io::Result<Vec<std::net::SocketAddr>>>;

/// A lookup that counts its calls and answers as `answer` does, whatever host it is asked for.
fn counted_lookup(answer: fn() -> Answer) -> (Lookup, Arc<AtomicUsize>) {
    let lookups = Arc::new(AtomicUsize::new(0));
    let counter = lookups.clone();
    let lookup: Lookup = Arc::new(move |_host| {
        counter.fetch_add(1, Ordering::SeqCst);
        answer()
    });
    (lookup, lookups)
}

/// getaddrinfo's real "not found" (`EAI_NONAME`).
fn not_found() -> Answer {
    Box::pin(async {
        Ok(tokio::net::lookup_host((NAME_NO_RESOLVER_ASKS_ABOUT, 0))
            .await?
            .collect())
    })
}

/// What std makes of getaddrinfo's `EAI_AGAIN` on glibc: no DNS server answered in time.
fn try_again() -> Answer {
    Box::pin(async {
        Err(io::Error::other(
            "failed to lookup address information: Temporary failure in name resolution",
        ))
    })
}

fn okta_org() -> OrgUrl {
    OrgUrl::parse("https://acme.okta.com", false).unwrap()
}

#[tokio::test]
async fn an_org_host_that_does_not_exist_fails_the_first_call_at_once_with_the_spelling_hint() {
    let (lookup, lookups) = counted_lookup(not_found);
    let client = OktaClient::with_lookup(config(okta_org(), fake::api_token()), lookup).unwrap();
    let started = Instant::now();

    let error = client.check_credentials().await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(
        matches!(&error, OktaError::Unreachable { cause: UnreachableCause::HostNotFound { host }, .. } if host == "acme.okta.com"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("Check the spelling of the org URL"),
        "{error}"
    );
    assert!(
        !error.is_retryable(),
        "a Step Functions Retry must not repeat it either"
    );
    assert_eq!(lookups.load(Ordering::SeqCst), 1, "asked once, not retried");
}

#[tokio::test]
async fn an_oauth_app_s_first_token_request_to_a_host_that_does_not_exist_fails_at_once() {
    let (lookup, lookups) = counted_lookup(not_found);
    let app = Credentials::ClientSecret {
        client_id: "0oa1".into(),
        secret: Secret::new("s"),
        scopes: vec!["okta.users.read".into()],
    };
    let client = OktaClient::with_lookup(config(okta_org(), app), lookup).unwrap();

    let error = client.check_credentials().await.unwrap_err();

    assert!(matches!(error, OktaError::Unreachable { .. }), "{error:?}");
    assert_eq!(lookups.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_host_that_stops_resolving_in_the_middle_of_a_job_keeps_its_retries() {
    let (lookup, lookups) = counted_lookup(not_found);
    let client = OktaClient::with_lookup(config(okta_org(), fake::api_token()), lookup).unwrap();

    let error = client.get_page("/api/v1/users", Some(200)).await.unwrap_err();

    assert!(matches!(error, OktaError::Network { attempts: 4, .. }), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(lookups.load(Ordering::SeqCst), 4, "1 attempt + max_retries 3");
}

#[tokio::test]
async fn a_temporary_resolver_failure_on_the_first_call_keeps_its_retries() {
    let (lookup, lookups) = counted_lookup(try_again);
    let client = OktaClient::with_lookup(config(okta_org(), fake::api_token()), lookup).unwrap();

    let error = client.check_credentials().await.unwrap_err();

    assert!(matches!(error, OktaError::Network { attempts: 4, .. }), "{error:?}");
    assert!(
        error.to_string().contains("Temporary failure in name resolution"),
        "{error}"
    );
    assert_eq!(lookups.load(Ordering::SeqCst), 4);
}

/// Serves TLS on 127.0.0.1 with the self-signed certificate of `testdata/`, which no machine trusts: what a
/// TLS-intercepting proxy or the wrong host looks like. Counts the connections it accepts.
fn untrusted_tls_server() -> (OrgUrl, Arc<AtomicUsize>) {
    let cert = CertificateDer::from_pem_slice(include_bytes!("testdata/self-signed-cert.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("testdata/self-signed-key.pem")).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            let tls = tls.clone();
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(connection) = rustls::ServerConnection::new(tls) else {
                    return;
                };
                // Drives the handshake, which the client abandons at the certificate.
                let _ = rustls::StreamOwned::new(connection, tcp).read(&mut [0u8; 1024]);
            });
        }
    });
    (OrgUrl::parse(&format!("https://{address}"), true).unwrap(), connections)
}

#[tokio::test]
async fn a_tls_failure_on_the_first_call_fails_at_once_with_the_tls_hint() {
    let (url, connections) = untrusted_tls_server();
    let client = OktaClient::new(config(url, fake::api_token())).unwrap();
    let started = Instant::now();

    let error = client.check_credentials().await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(
        matches!(&error, OktaError::Unreachable { cause: UnreachableCause::Tls { host }, .. } if host == "127.0.0.1"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("intercepts TLS"), "{message}");
    assert!(
        message.contains("invalid peer certificate"),
        "the handshake's own reason is kept: {message}"
    );
    assert!(!error.is_retryable());
    assert_eq!(connections.load(Ordering::SeqCst), 1, "exactly one connection attempt");
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn a_tls_failure_in_the_middle_of_a_job_keeps_its_retries() {
    let (url, connections) = untrusted_tls_server();
    let client = OktaClient::new(config(url, fake::api_token())).unwrap();

    let error = client.get_page("/api/v1/users", Some(200)).await.unwrap_err();

    assert!(matches!(error, OktaError::Network { attempts: 4, .. }), "{error:?}");
    assert_eq!(connections.load(Ordering::SeqCst), 4);
}
