//! OAuth 2.0 client credentials against the org authorization server (`/oauth2/v1/token`): the token
//! request, its cache, and the DPoP handshake when the app requires DPoP.
//!
//! One token serves every concurrent call; it is refreshed a little before `expires_in` runs out
//! (a quarter of its lifetime, at most a minute early), or when Okta says it is no longer valid.
//! The cache lock is held while fetching so that many calls arriving at expiry cause one token call.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap};
use reqwest::{Method, RequestBuilder};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;
use zeroize::Zeroizing;

use super::auth::{ClientAuth, sensitive};
use super::challenge::{challenge, challenge_param};
use super::dpop::{DpopKey, NonceFor};
use super::error::{OktaError, OktaErrorBody};
use super::jwt::client_assertion;
use super::secret::Secret;
use super::transport::{Contact, Exchange, Transport};

const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Plain request, then with a DPoP proof, then with the server's nonce: three rounds at most.
const MAX_TOKEN_ROUNDS: usize = 3;

/// An access token and how to present it.
#[derive(Clone)]
pub struct AccessToken {
    value: Secret,
    dpop: bool,
    refresh_at: Instant,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AccessToken(<redacted>, {})",
            if self.dpop { "DPoP" } else { "Bearer" }
        )
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    token_type: String,
    expires_in: Option<u64>,
}

#[derive(Debug)]
pub struct OAuthApp {
    client_id: String,
    token_url: Url,
    client_auth: ClientAuth,
    scope: String,
    cached: Mutex<Option<AccessToken>>,
    /// Created the first time Okta asks for DPoP, then used for every token and call.
    dpop: OnceLock<DpopKey>,
}

impl OAuthApp {
    pub fn new(client_id: String, client_auth: ClientAuth, scope: String, token_url: Url) -> Self {
        Self {
            client_id,
            token_url,
            client_auth,
            scope,
            cached: Mutex::new(None),
            dpop: OnceLock::new(),
        }
    }

    /// A token valid for a while yet: the cached one, or a fresh one.
    pub async fn token(&self, transport: &Transport, contact: Contact) -> Result<AccessToken, OktaError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|token| Instant::now() < token.refresh_at) {
            return Ok(token.clone());
        }
        let fresh = self.fetch(transport, contact).await?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    /// Forgets `stale` after Okta refused it, unless a concurrent call already replaced it.
    pub async fn invalidate(&self, stale: &AccessToken) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|token| token.value == stale.value) {
            *cached = None;
        }
    }

    /// Takes the nonce from a resource server's `use_dpop_nonce` challenge; true if there was one.
    pub fn accept_api_nonce(&self, headers: &HeaderMap) -> bool {
        let challenged = challenge_param(&challenge(headers), "error").as_deref() == Some("use_dpop_nonce");
        match (self.dpop.get(), dpop_nonce(headers)) {
            (Some(key), Some(nonce)) if challenged => {
                key.set_nonce(NonceFor::Api, nonce);
                true
            }
            _ => false,
        }
    }

    pub fn authorize(
        &self,
        request: RequestBuilder,
        method: &Method,
        url: &Url,
        token: &AccessToken,
    ) -> Result<RequestBuilder, OktaError> {
        let secret = token.value.expose();
        if !token.dpop {
            let value = Zeroizing::new(format!("Bearer {secret}"));
            return Ok(request.header(AUTHORIZATION, sensitive(&value)?));
        }
        // A DPoP token only exists once the key does (see fetch).
        let key = self.dpop_key()?;
        let proof = key
            .proof(method.as_str(), url, Some(secret), NonceFor::Api, now_epoch())
            .map_err(|e| self.unusable(e))?;
        Ok(request
            .header(AUTHORIZATION, sensitive(&format!("DPoP {secret}"))?)
            .header("DPoP", sensitive(&proof)?))
    }

    async fn fetch(&self, transport: &Transport, contact: Contact) -> Result<AccessToken, OktaError> {
        let mut round = 0;
        loop {
            round += 1;
            let exchange = transport
                .send(
                    &Method::POST,
                    &self.token_url,
                    &transport.counters.token_requests,
                    contact,
                    |request| self.token_request(request),
                )
                .await?;
            if exchange.status.is_success() {
                return self.read_token(&exchange);
            }
            let body = OktaErrorBody::parse(&exchange.body);
            let retry = round < MAX_TOKEN_ROUNDS
                && match body.error_code.as_deref() {
                    Some("use_dpop_nonce") => match dpop_nonce(&exchange.headers) {
                        Some(nonce) => {
                            self.dpop_key()?.set_nonce(NonceFor::TokenEndpoint, nonce);
                            true
                        }
                        None => false,
                    },
                    // Okta asks for a proof we did not send: the app requires DPoP.
                    Some("invalid_dpop_proof") if self.dpop.get().is_none() => {
                        self.dpop_key()?;
                        true
                    }
                    _ => false,
                };
            if !retry {
                let status = exchange.status.as_u16();
                return Err(OktaError::TokenRejected {
                    token_url: self.token_url.to_string(),
                    status,
                    body: Box::new(body),
                });
            }
            tracing::info!(
                client_id = %self.client_id,
                error = ?body.error_code,
                "token endpoint asks for DPoP, retrying with a proof"
            );
        }
    }

    fn token_request(&self, request: RequestBuilder) -> Result<RequestBuilder, OktaError> {
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "client_credentials".into()),
            ("scope", self.scope.clone()),
        ];
        let mut request = request.header(ACCEPT, "application/json");
        match &self.client_auth {
            ClientAuth::SecretBasic(secret) => {
                // RFC 6749 2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
                // Every intermediate string holds the secret, so each is wiped when dropped.
                let encode =
                    |s: &str| Zeroizing::new(url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>());
                let pair = Zeroizing::new(format!(
                    "{}:{}",
                    encode(&self.client_id).as_str(),
                    encode(secret.expose()).as_str()
                ));
                let encoded = Zeroizing::new(STANDARD.encode(pair.as_bytes()));
                let value = Zeroizing::new(format!("Basic {}", encoded.as_str()));
                request = request.header(AUTHORIZATION, sensitive(&value)?);
            }
            ClientAuth::PrivateKeyJwt { key, key_id } => {
                let assertion = client_assertion(
                    key,
                    key_id.as_deref(),
                    &self.client_id,
                    self.token_url.as_str(),
                    now_epoch(),
                )
                .map_err(|e| self.unusable(e))?;
                form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE.into()));
                form.push(("client_assertion", assertion));
            }
        }
        if let Some(key) = self.dpop.get() {
            let proof = key
                .proof("POST", &self.token_url, None, NonceFor::TokenEndpoint, now_epoch())
                .map_err(|e| self.unusable(e))?;
            request = request.header("DPoP", sensitive(&proof)?);
        }
        Ok(request.form(&form))
    }

    fn read_token(&self, exchange: &Exchange) -> Result<AccessToken, OktaError> {
        let invalid = |reason: String| OktaError::InvalidResponse {
            method: Method::POST,
            url: self.token_url.to_string(),
            reason,
        };
        let answer: TokenAnswer = serde_json::from_slice(&exchange.body)
            .map_err(|e| invalid(format!("the token answer is not the expected JSON ({e})")))?;
        let dpop = answer.token_type.eq_ignore_ascii_case("DPoP");
        if !dpop && !answer.token_type.eq_ignore_ascii_case("Bearer") {
            return Err(invalid(format!("unknown token_type {:?}", answer.token_type)));
        }
        if dpop && self.dpop.get().is_none() {
            return Err(invalid(
                "a DPoP token came back for a request without a DPoP proof".into(),
            ));
        }
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        let refresh_at = Instant::now() + lifetime - (lifetime / 4).min(Duration::from_secs(60));
        tracing::debug!(client_id = %self.client_id, dpop, expires_in = lifetime.as_secs(), "got an access token");
        Ok(AccessToken {
            value: Secret::new(answer.access_token),
            dpop,
            refresh_at,
        })
    }

    fn dpop_key(&self) -> Result<&DpopKey, OktaError> {
        if let Some(key) = self.dpop.get() {
            return Ok(key);
        }
        let key = DpopKey::generate().map_err(|e| self.unusable(e))?;
        Ok(self.dpop.get_or_init(|| key))
    }

    fn unusable(&self, error: super::jwt::JwtError) -> OktaError {
        OktaError::InvalidCredentials {
            client_id: self.client_id.clone(),
            reason: error.to_string(),
        }
    }
}

fn dpop_nonce(headers: &HeaderMap) -> Option<&str> {
    headers.get("dpop-nonce")?.to_str().ok()
}

fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
