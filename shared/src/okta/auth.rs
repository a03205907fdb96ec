//! The credentials an org is read with, and the `Authorization` they put on an API call.

use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, RequestBuilder};
use url::Url;
use zeroize::Zeroizing;

use super::error::OktaError;
use super::jwt::SigningKey;
use super::secret::Secret;
use super::token::{AccessToken, OAuthApp};
use super::transport::{Contact, Transport};
use super::url::OrgUrl;

/// How oktavault proves who it is to an org. `Debug` shows ids and scopes, never secrets.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An API token: `Authorization: SSWS <token>`.
    ApiToken(Secret),
    /// An OAuth app (API Service Integration) with client id + secret: client_secret_basic.
    ClientSecret {
        client_id: String,
        secret: Secret,
        scopes: Vec<String>,
    },
    /// An OAuth service app with a registered public key: private_key_jwt, signed RS256 or ES256
    /// with this PEM (PKCS#8) key; `key_id` becomes the JWT's `kid`.
    PrivateKey {
        client_id: String,
        key_pem: Secret,
        key_id: Option<String>,
        scopes: Vec<String>,
    },
}

impl Credentials {
    /// "API token", "OAuth client secret" or "OAuth private key", for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ApiToken(_) => "API token",
            Self::ClientSecret { .. } => "OAuth client secret",
            Self::PrivateKey { .. } => "OAuth private key",
        }
    }

    /// The OAuth scopes these credentials ask for; `None` for an API token (it acts with its admin's rights).
    pub fn scopes(&self) -> Option<&[String]> {
        match self {
            Self::ApiToken(_) => None,
            Self::ClientSecret { scopes, .. } | Self::PrivateKey { scopes, .. } => Some(scopes),
        }
    }

    /// The same credentials asking for `wanted` scopes instead (an API token is unchanged).
    pub fn with_scopes(&self, wanted: Vec<String>) -> Credentials {
        let mut narrowed = self.clone();
        if let Self::ClientSecret { scopes, .. } | Self::PrivateKey { scopes, .. } = &mut narrowed {
            *scopes = wanted;
        }
        narrowed
    }
}

/// How the client authenticates, with keys parsed once.
#[derive(Debug)]
pub enum Auth {
    Ssws(Secret),
    OAuth(Box<OAuthApp>),
}

/// What the app presents to the token endpoint.
pub enum ClientAuth {
    SecretBasic(Secret),
    PrivateKeyJwt { key: SigningKey, key_id: Option<String> },
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SecretBasic(_) => f.write_str("client_secret_basic(<redacted>)"),
            Self::PrivateKeyJwt { key, key_id } => write!(f, "private_key_jwt({key:?}, kid {key_id:?})"),
        }
    }
}

impl Auth {
    pub fn new(credentials: Credentials, org: &OrgUrl) -> Result<Self, OktaError> {
        let (client_id, client_auth, scopes) = match credentials {
            Credentials::ApiToken(token) => {
                if token.expose().trim().is_empty() {
                    return Err(OktaError::InvalidConfig {
                        reason: "the API token is empty".into(),
                    });
                }
                return Ok(Self::Ssws(token));
            }
            Credentials::ClientSecret {
                client_id,
                secret,
                scopes,
            } => (client_id, ClientAuth::SecretBasic(secret), scopes),
            Credentials::PrivateKey {
                client_id,
                key_pem,
                key_id,
                scopes,
            } => {
                let key = SigningKey::from_pem(key_pem.expose()).map_err(|error| OktaError::InvalidCredentials {
                    client_id: client_id.clone(),
                    reason: error.to_string(),
                })?;
                (client_id, ClientAuth::PrivateKeyJwt { key, key_id }, scopes)
            }
        };
        if client_id.trim().is_empty() {
            return Err(OktaError::InvalidConfig {
                reason: "the OAuth client id is empty".into(),
            });
        }
        let scopes: Vec<&str> = scopes.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        if scopes.is_empty() {
            return Err(OktaError::InvalidCredentials {
                client_id,
                reason: "no scopes: Okta requires at least one, such as okta.users.read".into(),
            });
        }
        let token_url = org.join("/oauth2/v1/token")?;
        Ok(Self::OAuth(Box::new(OAuthApp::new(
            client_id,
            client_auth,
            scopes.join(" "),
            token_url,
        ))))
    }

    /// What this attempt presents: the API token, or a valid OAuth access token (fetched if
    /// none is cached or the cached one is about to expire).
    pub async fn present(&self, transport: &Transport, contact: Contact) -> Result<Presented<'_>, OktaError> {
        Ok(match self {
            Self::Ssws(token) => Presented::Ssws(token),
            Self::OAuth(app) => Presented::OAuth(app, app.token(transport, contact).await?),
        })
    }
}

/// The credential one attempt carries.
pub enum Presented<'a> {
    Ssws(&'a Secret),
    OAuth(&'a OAuthApp, AccessToken),
}

impl Presented<'_> {
    /// Puts the `Authorization` header (and for DPoP tokens the `DPoP` proof) on an API request.
    pub fn authorize(&self, request: RequestBuilder, method: &Method, url: &Url) -> Result<RequestBuilder, OktaError> {
        match self {
            Self::Ssws(token) => {
                let value = Zeroizing::new(format!("SSWS {}", token.expose()));
                Ok(request.header(AUTHORIZATION, sensitive(&value)?))
            }
            Self::OAuth(app, token) => app.authorize(request, method, url, token),
        }
    }
}

/// A header value marked sensitive, so HTTP-level logging never prints it.
pub fn sensitive(value: &str) -> Result<HeaderValue, OktaError> {
    let mut header = HeaderValue::from_str(value).map_err(|_| OktaError::InvalidConfig {
        reason: "the credential contains characters that cannot go in an HTTP header (a line break?)".into(),
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_credentials_hides_every_secret() {
        let token = Credentials::ApiToken(Secret::new("00SSWS-very-secret"));
        let client = Credentials::ClientSecret {
            client_id: "0oaclient".into(),
            secret: Secret::new("client-secret-value"),
            scopes: vec!["okta.users.read".into()],
        };
        let key = Credentials::PrivateKey {
            client_id: "0oaservice".into(),
            key_pem: Secret::new("-----BEGIN PRIVATE KEY-----\nMIIEsecretkeymaterial\n-----END PRIVATE KEY-----"),
            key_id: Some("kid-1".into()),
            scopes: vec!["okta.groups.read".into()],
        };
        let printed = format!("{token:?} {client:?} {key:?} {client:#?}");
        for secret in [
            "00SSWS-very-secret",
            "client-secret-value",
            "MIIEsecretkeymaterial",
            "BEGIN PRIVATE KEY",
        ] {
            assert!(!printed.contains(secret), "{secret} leaked in {printed}");
        }
        assert!(printed.contains("0oaclient") && printed.contains("kid-1") && printed.contains("okta.groups.read"));
    }

    #[test]
    fn oauth_credentials_need_scopes_a_client_id_and_a_readable_key() {
        let org = OrgUrl::parse("https://acme.okta.com", false).unwrap();
        let no_scopes = Credentials::ClientSecret {
            client_id: "c".into(),
            secret: "s".into(),
            scopes: vec![" ".into()],
        };
        assert!(matches!(
            Auth::new(no_scopes, &org),
            Err(OktaError::InvalidCredentials { .. })
        ));
        let no_id = Credentials::ClientSecret {
            client_id: "".into(),
            secret: "s".into(),
            scopes: vec!["okta.users.read".into()],
        };
        assert!(matches!(Auth::new(no_id, &org), Err(OktaError::InvalidConfig { .. })));
        let bad_key = Credentials::PrivateKey {
            client_id: "c".into(),
            key_pem: "nope".into(),
            key_id: None,
            scopes: vec!["okta.users.read".into()],
        };
        let error = Auth::new(bad_key, &org).unwrap_err();
        assert!(error.to_string().contains("PKCS#8"), "{error}");
        assert!(matches!(
            Auth::new(Credentials::ApiToken("".into()), &org),
            Err(OktaError::InvalidConfig { .. })
        ));
    }
}
