//! OAuth against in-process fakes of the org authorization server: client secret and private key
//! JWT authentication, token caching and refresh, DPoP, and secrets kept out of logs.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use axum::Router;
use axum::extract::Form;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::fake::{self, answer, config, header, okta_error, origin, serve};
use super::jwt::base64url;
use super::jwt::tests::{rsa_pem, verified_parts};
use super::{Credentials, OktaClient, OktaError, Secret};

const CLIENT_SECRET: &str = "se/cret+value-never-logged";
type FormData = Form<HashMap<String, String>>;

/// Issues `tok-1`, `tok-2`... and answers the users list for any token not in `refused`.
#[derive(Default)]
struct AuthServer {
    token_calls: AtomicUsize,
    api_calls: AtomicUsize,
    expires_in: u64,
    refused: Mutex<HashSet<String>>,
    forms: Mutex<Vec<HashMap<String, String>>>,
}

fn client_secret_credentials() -> Credentials {
    Credentials::ClientSecret {
        client_id: "0oaclient".into(),
        secret: Secret::new(CLIENT_SECRET),
        scopes: vec!["okta.users.read".into(), "okta.groups.read".into()],
    }
}

fn oauth_router(server: Arc<AuthServer>) -> Router {
    let token_server = server.clone();
    Router::new()
        .route(
            "/oauth2/v1/token",
            post(move |headers: HeaderMap, Form(form): FormData| {
                let server = token_server.clone();
                async move {
                    let n = server.token_calls.fetch_add(1, Ordering::SeqCst) + 1;
                    server.forms.lock().unwrap().push(form);
                    let expected = format!("Basic {}", STANDARD.encode("0oaclient:se%2Fcret%2Bvalue-never-logged"));
                    if header(&headers, "authorization") != expected {
                        let body = json!({"error": "invalid_client", "error_description": "Invalid value for 'client_id' parameter."});
                        return answer(401, &[], body.to_string());
                    }
                    let body = json!({"token_type": "Bearer", "expires_in": server.expires_in, "access_token": format!("tok-{n}"), "scope": "okta.users.read okta.groups.read"});
                    answer(200, &[], body.to_string())
                }
            }),
        )
        .route(
            "/api/v1/users",
            get(move |headers: HeaderMap| {
                let server = server.clone();
                async move {
                    server.api_calls.fetch_add(1, Ordering::SeqCst);
                    let token = header(&headers, "authorization").strip_prefix("Bearer ").unwrap_or_default().to_owned();
                    if token.is_empty() || server.refused.lock().unwrap().contains(&token) {
                        let challenge = r#"Bearer authorization_uri="http://x/oauth2/v1/authorize", realm="IDX", error="invalid_token", error_description="The access token is invalid.""#;
                        return answer(401, &[("www-authenticate", challenge.into())], okta_error("E0000011", "Invalid token provided"));
                    }
                    answer(200, &[], r#"[{"id":"00u1"}]"#)
                }
            }),
        )
}

async fn oauth_client(server: Arc<AuthServer>) -> OktaClient {
    OktaClient::new(config(serve(oauth_router(server)).await, client_secret_credentials())).unwrap()
}

#[tokio::test]
async fn one_token_serves_many_concurrent_calls() {
    let server = Arc::new(AuthServer {
        expires_in: 3600,
        ..Default::default()
    });
    let client = oauth_client(server.clone()).await;
    let calls = (0..10).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_page("/api/v1/users", Some(200)).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(server.token_calls.load(Ordering::SeqCst), 1);
    assert_eq!(client.stats().token_requests, 1);
    assert_eq!(client.stats().calls, 10);
    let form = server.forms.lock().unwrap()[0].clone();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], "okta.users.read okta.groups.read");
    assert!(!form.contains_key("client_assertion"));
}

#[tokio::test]
async fn the_token_is_refreshed_shortly_before_it_expires() {
    let server = Arc::new(AuthServer {
        expires_in: 1,
        ..Default::default()
    });
    let client = oauth_client(server.clone()).await;
    client.get_page("/api/v1/users", None).await.unwrap();
    client.get_page("/api/v1/users", None).await.unwrap();
    assert_eq!(server.token_calls.load(Ordering::SeqCst), 1, "still fresh");
    tokio::time::sleep(Duration::from_millis(900)).await;
    client.get_page("/api/v1/users", None).await.unwrap();
    assert_eq!(server.token_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_token_okta_refuses_is_replaced_once() {
    let server = Arc::new(AuthServer {
        expires_in: 3600,
        ..Default::default()
    });
    server.refused.lock().unwrap().insert("tok-1".into());
    let client = oauth_client(server.clone()).await;
    client.get_page("/api/v1/users", None).await.unwrap();
    assert_eq!(server.token_calls.load(Ordering::SeqCst), 2);
    assert_eq!(server.api_calls.load(Ordering::SeqCst), 2);
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn a_second_refusal_is_reported_as_an_auth_error() {
    let server = Arc::new(AuthServer {
        expires_in: 3600,
        ..Default::default()
    });
    server
        .refused
        .lock()
        .unwrap()
        .extend(["tok-1".to_owned(), "tok-2".to_owned()]);
    let url_client = oauth_client(server.clone()).await;
    let error = url_client.get_page("/api/v1/users", None).await.unwrap_err();
    assert!(matches!(error, OktaError::AuthRejected { .. }), "{error}");
    assert!(
        error.to_string().starts_with(&format!(
            "Okta rejected the credentials for {}: E0000011 Invalid token provided",
            url_client.org()
        )),
        "{error}"
    );
    assert_eq!(server.token_calls.load(Ordering::SeqCst), 2);
    assert_eq!(server.api_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_wrong_client_secret_fails_the_credentials_check_with_a_hint() {
    let server = Arc::new(AuthServer {
        expires_in: 3600,
        ..Default::default()
    });
    let url = serve(oauth_router(server.clone())).await;
    let credentials = Credentials::ClientSecret {
        client_id: "0oaclient".into(),
        secret: Secret::new("wrong"),
        scopes: vec!["okta.users.read".into()],
    };
    let client = OktaClient::new(config(url, credentials)).unwrap();
    let error = client.check_credentials().await.unwrap_err();
    assert!(matches!(error, OktaError::TokenRejected { status: 401, .. }), "{error}");
    assert_eq!(error.error_code(), Some("invalid_client"));
    assert!(error.to_string().contains("Check the client id"), "{error}");
    assert_eq!(
        server.token_calls.load(Ordering::SeqCst),
        1,
        "a refused token request is not retried"
    );
    assert_eq!(server.api_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn private_key_jwt_sends_a_signed_assertion_the_server_can_verify() {
    let (pem, public_key) = rsa_pem();
    let verified = Arc::new(AtomicUsize::new(0));
    let count = verified.clone();
    let router = Router::new().route(
        "/oauth2/v1/token",
        post(move |headers: HeaderMap, Form(form): FormData| {
            let (public_key, count) = (public_key.clone(), count.clone());
            async move {
                assert_eq!(
                    header(&headers, "authorization"),
                    "",
                    "no Basic auth with private_key_jwt"
                );
                assert_eq!(
                    form["client_assertion_type"],
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                );
                assert_eq!(form["scope"], "okta.apps.read");
                let (jwt_header, claims) = verified_parts(&form["client_assertion"], |input, sig| {
                    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &public_key)
                        .verify(input, sig)
                        .is_ok()
                });
                assert_eq!(jwt_header["kid"], "kid-7");
                assert_eq!(claims["aud"], format!("{}/oauth2/v1/token", origin(&headers)));
                assert_eq!(
                    (claims["iss"].as_str(), claims["sub"].as_str()),
                    (Some("0oaservice"), Some("0oaservice"))
                );
                assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 300);
                count.fetch_add(1, Ordering::SeqCst);
                answer(
                    200,
                    &[],
                    json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "jwt-tok"}).to_string(),
                )
            }
        }),
    );
    let credentials = Credentials::PrivateKey {
        client_id: "0oaservice".into(),
        key_pem: Secret::new(pem),
        key_id: Some("kid-7".into()),
        scopes: vec!["okta.apps.read".into()],
    };
    let client = OktaClient::new(config(serve(router).await, credentials)).unwrap();
    client.check_credentials().await.unwrap();
    assert_eq!(verified.load(Ordering::SeqCst), 1);
}

/// The JWK in a DPoP proof's header, as the uncompressed P-256 point that verifies its signature.
fn dpop_point(proof: &str) -> Vec<u8> {
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(proof.split('.').next().unwrap()).unwrap()).unwrap();
    let mut point = vec![4u8];
    for coordinate in ["x", "y"] {
        point.extend(
            URL_SAFE_NO_PAD
                .decode(header["jwk"][coordinate].as_str().unwrap())
                .unwrap(),
        );
    }
    point
}

fn verify_dpop(proof: &str) -> Value {
    let point = dpop_point(proof);
    let (_, claims) = verified_parts(proof, |input, sig| {
        UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
            .verify(input, sig)
            .is_ok()
    });
    claims
}

fn dpop_error(error: &str, nonce: &str) -> Response {
    let body = json!({"error": error, "error_description": "DPoP proof required"});
    answer(400, &[("dpop-nonce", nonce.into())], body.to_string())
}

#[tokio::test]
async fn dpop_is_negotiated_with_the_token_endpoint_and_proves_every_call() {
    let token_rounds = Arc::new(AtomicUsize::new(0));
    let api_rounds = Arc::new(AtomicUsize::new(0));
    let (tokens, api) = (token_rounds.clone(), api_rounds.clone());
    let router = Router::new()
        .route(
            "/oauth2/v1/token",
            post(move |headers: HeaderMap, _form: FormData| {
                let tokens = tokens.clone();
                async move {
                    tokens.fetch_add(1, Ordering::SeqCst);
                    let proof = header(&headers, "dpop");
                    if proof.is_empty() {
                        return dpop_error("invalid_dpop_proof", "tn-1");
                    }
                    let claims = verify_dpop(&proof);
                    assert_eq!(claims["htm"], "POST");
                    assert_eq!(claims["htu"], format!("{}/oauth2/v1/token", origin(&headers)));
                    if claims["nonce"] != "tn-1" {
                        return dpop_error("use_dpop_nonce", "tn-1");
                    }
                    answer(200, &[], json!({"token_type": "DPoP", "expires_in": 3600, "access_token": "dpop-tok"}).to_string())
                }
            }),
        )
        .route(
            "/api/v1/groups",
            get(move |headers: HeaderMap| {
                let api = api.clone();
                async move {
                    api.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(header(&headers, "authorization"), "DPoP dpop-tok");
                    let claims = verify_dpop(&header(&headers, "dpop"));
                    assert_eq!(claims["htm"], "GET");
                    assert_eq!(claims["htu"], format!("{}/api/v1/groups", origin(&headers)), "no query in htu");
                    assert_eq!(claims["ath"], base64url(digest(&SHA256, b"dpop-tok").as_ref()));
                    if claims["nonce"] != "an-1" {
                        let challenge = r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#;
                        return answer(401, &[("www-authenticate", challenge.into()), ("dpop-nonce", "an-1".into())], "");
                    }
                    answer(200, &[], r#"[{"id":"00g1"}]"#)
                }
            }),
        );
    let client = OktaClient::new(config(serve(router).await, client_secret_credentials())).unwrap();
    let page = client.get_page("/api/v1/groups", Some(200)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        token_rounds.load(Ordering::SeqCst),
        3,
        "no proof, proof without nonce, proof with nonce"
    );
    assert_eq!(
        api_rounds.load(Ordering::SeqCst),
        2,
        "one nonce challenge, then success"
    );
    client.get_page("/api/v1/groups", None).await.unwrap();
    assert_eq!(api_rounds.load(Ordering::SeqCst), 3, "the nonce is remembered");
}

/// Collects everything the client logs, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_and_tokens_never_reach_logs_debug_output_or_errors() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Arc::new(AuthServer {
        expires_in: 3600,
        ..Default::default()
    });
    server
        .refused
        .lock()
        .unwrap()
        .extend(["tok-1".to_owned(), "tok-2".to_owned()]);
    let url = serve(oauth_router(server)).await;
    let oauth = OktaClient::new(config(url.clone(), client_secret_credentials())).unwrap();
    let error = oauth.get_page("/api/v1/users", None).await.unwrap_err();
    let ssws = OktaClient::new(config(url.clone(), fake::api_token())).unwrap();
    let ssws_error = ssws.get_page("/api/v1/users", None).await.unwrap_err();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("Okta refused the access token"),
        "the flow was logged: {logs}"
    );
    let everything = format!(
        "{logs}\n{error}\n{error:?}\n{ssws_error}\n{ssws_error:?}\n{oauth:?}\n{ssws:?}\n{:?}\n{:?}",
        config(url.clone(), client_secret_credentials()),
        config(url, fake::api_token()),
    );
    for secret in [
        CLIENT_SECRET,
        fake::API_TOKEN,
        "tok-1",
        "tok-2",
        &STANDARD.encode("0oaclient:se%2Fcret%2Bvalue-never-logged"),
    ] {
        assert!(!everything.contains(secret), "{secret} leaked:\n{everything}");
    }
}
