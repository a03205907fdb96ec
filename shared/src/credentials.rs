//! An org's Okta credentials, sealed for unattended backups (the Lambdas read them from the
//! org's catalog record), and the [`OktaConnector`] that opens them.
//!
//! Credentials are bound to the org URL they were authorized for: the catalog record's URL is
//! only a claim (anyone who can write the catalog can change it), so the connector sends the
//! credentials only to the URL sealed with them and refuses a record that names another.
//!
//! Sealing is an envelope, like a snapshot's: a fresh data key from the [`KeyProvider`] under
//! [`KeyContext::OrgCredentials`] (org id and org URL; KMS will only unwrap it for that org, that
//! URL and that purpose), then AES-256-GCM of the credentials' JSON form. The stored text is
//! base64 of
//!
//! ```text
//! version u8 = 2 | url len u16 BE | org URL | wrapped key len u16 BE | wrapped key | nonce (12)
//!                | ciphertext | tag (16)
//! ```
//!
//! The AAD is `"oktavault/credentials/v2\0"`, the org id (u16 BE length first) and the header
//! (version..nonce, the URL included), so credentials copied onto another org's record, pointed
//! at another URL, or with any byte changed, do not open. Version 1 carried no URL: it is refused
//! with a message to authorize the org again (this project has no release whose users hold it).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::ids::OrgId;
use crate::okta::{ClientConfig, Credentials, OktaClient, OktaError, OrgUrl, Secret};
use crate::ports::{Catalog, CatalogError, KeyContext, KeyError, KeyProvider, OrgRecord};
use crate::workflow::{OktaConnector, StepError, StepErrorKind};

const FORMAT_VERSION: u8 = 2;
/// The first format, which bound the org id but not its URL.
const UNBOUND_VERSION: u8 = 1;
const AAD_DOMAIN: &[u8] = b"oktavault/credentials/v2\0";
const TAG_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("could not get a key to seal or open the credentials of org {org}: {source}")]
    Key { org: OrgId, source: KeyError },
    #[error("the sealed credentials of org {org} are malformed ({reason}); authorize the org again")]
    Malformed { org: OrgId, reason: String },
    #[error(
        "the sealed credentials of org {org} do not open: they were sealed for another org or URL, or changed \
         since; authorize the org again"
    )]
    Tampered { org: OrgId },
    #[error(
        "the credentials of org {org} were authorized for {sealed_for}, but the org's record now names {record_url}: \
         they are sent only where they were authorized. If the org really moved, authorize it again at its new URL; \
         otherwise someone changed the catalog record"
    )]
    UrlMismatch {
        org: OrgId,
        sealed_for: String,
        record_url: String,
    },
    #[error(
        "the credentials of org {org} were sealed by an earlier oktavault in a format that does not bind them to \
         the org URL, and are no longer accepted; authorize the org again"
    )]
    Unbound { org: OrgId },
    #[error("org {org} has no stored credentials; authorize it before scheduling backups")]
    Missing { org: OrgId },
    #[error("the credentials of org {org} could not be sealed: {reason}")]
    Seal { org: OrgId, reason: String },
    #[error("could not store org {org}: {source}")]
    Catalog { org: OrgId, source: CatalogError },
}

impl CredentialsError {
    /// Only a key provider or catalog that is briefly unavailable is worth another try.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Key { source, .. } => source.is_retryable(),
            Self::Catalog { source, .. } => source.is_retryable(),
            _ => false,
        }
    }
}

impl From<CredentialsError> for StepError {
    fn from(e: CredentialsError) -> Self {
        let kind = if e.is_retryable() {
            StepErrorKind::Retryable
        } else {
            StepErrorKind::Fatal
        };
        StepError::of_kind(kind, e.to_string())
    }
}

/// The credentials' JSON form inside the seal. Private: it holds secrets in plain text. Sealing
/// borrows them; opening owns them just long enough to move them into [`Secret`]s.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Plain<'a> {
    ApiToken {
        token: Cow<'a, str>,
    },
    ClientSecret {
        client_id: String,
        secret: Cow<'a, str>,
        scopes: Vec<String>,
    },
    PrivateKey {
        client_id: String,
        key_pem: Cow<'a, str>,
        key_id: Option<String>,
        scopes: Vec<String>,
    },
}

impl<'a> Plain<'a> {
    fn from_credentials(c: &'a Credentials) -> Self {
        match c {
            Credentials::ApiToken(token) => Plain::ApiToken {
                token: Cow::Borrowed(token.expose()),
            },
            Credentials::ClientSecret {
                client_id,
                secret,
                scopes,
            } => Plain::ClientSecret {
                client_id: client_id.clone(),
                secret: Cow::Borrowed(secret.expose()),
                scopes: scopes.clone(),
            },
            Credentials::PrivateKey {
                client_id,
                key_pem,
                key_id,
                scopes,
            } => Plain::PrivateKey {
                client_id: client_id.clone(),
                key_pem: Cow::Borrowed(key_pem.expose()),
                key_id: key_id.clone(),
                scopes: scopes.clone(),
            },
        }
    }

    fn into_credentials(self) -> Credentials {
        match self {
            Plain::ApiToken { token } => Credentials::ApiToken(Secret::new(token)),
            Plain::ClientSecret {
                client_id,
                secret,
                scopes,
            } => Credentials::ClientSecret {
                client_id,
                secret: Secret::new(secret),
                scopes,
            },
            Plain::PrivateKey {
                client_id,
                key_pem,
                key_id,
                scopes,
            } => Credentials::PrivateKey {
                client_id,
                key_pem: Secret::new(key_pem),
                key_id,
                scopes,
            },
        }
    }

    /// The JSON form in a buffer sized up front (with room for the tag), so neither writing nor
    /// sealing it reallocates and leaves an unwiped copy of a secret on the heap.
    fn to_json(&self) -> Result<Zeroizing<Vec<u8>>, serde_json::Error> {
        let mut counted = ByteCount(0);
        serde_json::to_writer(&mut counted, self)?;
        let mut body = Zeroizing::new(Vec::with_capacity(counted.0 + TAG_LEN));
        serde_json::to_writer(&mut *body, self)?;
        Ok(body)
    }
}

/// An [`io::Write`] that only counts.
struct ByteCount(usize);

impl io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The parts of a sealed text, before anything is authenticated.
struct Sealed<'a> {
    url: &'a [u8],
    wrapped: &'a [u8],
    nonce: [u8; NONCE_LEN],
    /// version..nonce: all of it goes into the AAD.
    header: &'a [u8],
    ciphertext: &'a [u8],
}

impl<'a> Sealed<'a> {
    fn parse(org: &OrgId, bytes: &'a [u8]) -> Result<Self, CredentialsError> {
        let malformed = |reason: String| CredentialsError::Malformed {
            org: org.clone(),
            reason,
        };
        let (&version, _) = bytes.split_first().ok_or_else(|| malformed("empty".into()))?;
        if version == UNBOUND_VERSION {
            return Err(CredentialsError::Unbound { org: org.clone() });
        }
        if version != FORMAT_VERSION {
            return Err(malformed(format!(
                "format version {version}, this build reads {FORMAT_VERSION}"
            )));
        }
        let mut at = 1;
        let mut field = |what: &str| -> Result<&'a [u8], CredentialsError> {
            let len = bytes
                .get(at..at + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
                .ok_or_else(|| malformed(format!("truncated before the {what}")))?;
            let value = bytes
                .get(at + 2..at + 2 + len)
                .ok_or_else(|| malformed(format!("truncated in the {what}")))?;
            at += 2 + len;
            Ok(value)
        };
        let url = field("org URL")?;
        let wrapped = field("wrapped key")?;
        let nonce: [u8; NONCE_LEN] = bytes
            .get(at..at + NONCE_LEN)
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| malformed("truncated in the nonce".into()))?;
        let header_len = at + NONCE_LEN;
        if bytes.len() < header_len + TAG_LEN {
            return Err(malformed("truncated".into()));
        }
        let (header, ciphertext) = bytes.split_at(header_len);
        Ok(Self {
            url,
            wrapped,
            nonce,
            header,
            ciphertext,
        })
    }
}

fn aad(org: &OrgId, header: &[u8]) -> Vec<u8> {
    let org = org.as_str().as_bytes();
    // Ids are short; a length prefix keeps (org, header) pairs unambiguous.
    let org_len = u16::try_from(org.len()).unwrap_or(u16::MAX);
    [AAD_DOMAIN, &org_len.to_be_bytes(), org, header].concat()
}

fn cipher(org: &OrgId, key: &[u8; 32]) -> Result<LessSafeKey, CredentialsError> {
    let unbound = UnboundKey::new(&AES_256_GCM, key).map_err(|_| CredentialsError::Seal {
        org: org.clone(),
        reason: "the data key is not a usable AES key".into(),
    })?;
    Ok(LessSafeKey::new(unbound))
}

fn u16_len(org: &OrgId, what: &str, bytes: &[u8]) -> Result<[u8; 2], CredentialsError> {
    u16::try_from(bytes.len())
        .map(u16::to_be_bytes)
        .map_err(|_| CredentialsError::Seal {
            org: org.clone(),
            reason: format!("the {what} is too long"),
        })
}

/// Seals `c` for `org` at `url`, the only URL they will be sent to: base64 text to keep in
/// [`OrgRecord::sealed_credentials`].
pub async fn seal_credentials(
    keys: &dyn KeyProvider,
    org: &OrgId,
    url: &OrgUrl,
    c: &Credentials,
) -> Result<String, CredentialsError> {
    let data_key = keys
        .generate_data_key(&KeyContext::org_credentials(org, url))
        .await
        .map_err(|source| CredentialsError::Key {
            org: org.clone(),
            source,
        })?;
    let sealing = cipher(org, data_key.plaintext.expose_secret())?;
    let url = url.as_str().as_bytes();
    let mut nonce = [0u8; NONCE_LEN];
    // A fresh data key per seal means a random nonce can never repeat under one key.
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| CredentialsError::Seal {
        org: org.clone(),
        reason: "the system random source failed".into(),
    })?;

    let mut out = Vec::with_capacity(5 + url.len() + data_key.wrapped.len() + NONCE_LEN + 256);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&u16_len(org, "org URL", url)?);
    out.extend_from_slice(url);
    out.extend_from_slice(&u16_len(org, "wrapped data key", &data_key.wrapped)?);
    out.extend_from_slice(&data_key.wrapped);
    out.extend_from_slice(&nonce);
    let aad = aad(org, &out);

    let mut body = Plain::from_credentials(c)
        .to_json()
        .map_err(|e| CredentialsError::Seal {
            org: org.clone(),
            reason: e.to_string(),
        })?;
    sealing
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(&aad), &mut *body)
        .map_err(|_| CredentialsError::Seal {
            org: org.clone(),
            reason: "AES-GCM refused the input".into(),
        })?;
    out.extend_from_slice(&body);
    Ok(BASE64.encode(out))
}

/// Opens what [`seal_credentials`] made for the same `org` and `url`. Credentials sealed for
/// another URL are refused before any key is asked for.
pub async fn open_credentials(
    keys: &dyn KeyProvider,
    org: &OrgId,
    url: &OrgUrl,
    sealed: &str,
) -> Result<Credentials, CredentialsError> {
    let bytes = BASE64.decode(sealed.trim()).map_err(|_| CredentialsError::Malformed {
        org: org.clone(),
        reason: "not base64".into(),
    })?;
    let parts = Sealed::parse(org, &bytes)?;
    if parts.url != url.as_str().as_bytes() {
        return Err(CredentialsError::UrlMismatch {
            org: org.clone(),
            sealed_for: String::from_utf8_lossy(parts.url).into_owned(),
            record_url: url.to_string(),
        });
    }

    let data_key = keys
        .unwrap_data_key(parts.wrapped, &KeyContext::org_credentials(org, url))
        .await
        .map_err(|source| match source {
            // A wrapped key that does not unwrap under this org's context was made for another.
            KeyError::Unwrap { .. } => CredentialsError::Tampered { org: org.clone() },
            other => CredentialsError::Key {
                org: org.clone(),
                source: other,
            },
        })?;
    let opening = cipher(org, data_key.expose_secret())?;
    let mut body = Zeroizing::new(parts.ciphertext.to_vec());
    let aad = aad(org, parts.header);
    let plain = opening
        .open_in_place(Nonce::assume_unique_for_key(parts.nonce), Aad::from(&aad), &mut body)
        .map_err(|_| CredentialsError::Tampered { org: org.clone() })?;
    // serde's message could quote the secret it choked on: keep only its position.
    let parsed = serde_json::from_slice::<Plain>(plain).map_err(|e| CredentialsError::Malformed {
        org: org.clone(),
        reason: format!("unreadable JSON at line {} column {}", e.line(), e.column()),
    })?;
    Ok(parsed.into_credentials())
}

/// Seals `credentials` onto `org` for `url` and stores the record, whose URL becomes `url`: what
/// authorizing an org for unattended backups amounts to. Returns the stored record.
pub async fn store_org_credentials(
    catalog: &dyn Catalog,
    keys: &dyn KeyProvider,
    mut org: OrgRecord,
    url: &OrgUrl,
    credentials: &Credentials,
) -> Result<OrgRecord, CredentialsError> {
    org.sealed_credentials = Some(seal_credentials(keys, &org.org_id, url, credentials).await?);
    org.url = url.to_string();
    catalog
        .put_org(&org)
        .await
        .map_err(|source| CredentialsError::Catalog {
            org: org.org_id.clone(),
            source,
        })?;
    Ok(org)
}

/// The [`OktaConnector`] of hosts that run backups unattended (the Lambdas): opens the sealed
/// credentials on the org's catalog record, for the record's URL only if they were sealed for
/// it, and builds a client, kept for the life of the process (a Lambda container) so its access
/// token and rate-limit view carry across calls.
pub struct StoredCredentialsConnector {
    keys: Arc<dyn KeyProvider>,
    /// Accept loopback/private org URLs (the simulator). Tests only.
    allow_local_orgs: bool,
    /// Org -> (the record's URL and sealed text the client was built from, the client).
    /// Re-authorizing an org changes the sealed text, so a warm container picks the new
    /// credentials up; a changed URL is checked against the seal again.
    clients: Mutex<HashMap<OrgId, (CachedFrom, OktaClient)>>,
}

#[derive(PartialEq, Eq)]
struct CachedFrom {
    url: String,
    sealed: String,
}

impl StoredCredentialsConnector {
    pub fn new(keys: Arc<dyn KeyProvider>, allow_local_orgs: bool) -> Self {
        Self {
            keys,
            allow_local_orgs,
            clients: Mutex::new(HashMap::new()),
        }
    }

    async fn build(&self, org: &OrgRecord, sealed: &str) -> Result<OktaClient, StepError> {
        let url = OrgUrl::parse(&org.url, self.allow_local_orgs).map_err(|e| url_error(org, e))?;
        let credentials = open_credentials(self.keys.as_ref(), &org.org_id, &url, sealed).await?;
        OktaClient::new(ClientConfig::new(url, credentials)).map_err(StepError::from)
    }
}

fn url_error(org: &OrgRecord, e: OktaError) -> StepError {
    StepError::fatal(format!("org {} has an unusable URL {:?}: {e}", org.org_id, org.url))
}

#[async_trait]
impl OktaConnector for StoredCredentialsConnector {
    async fn client_for(&self, org: &OrgRecord) -> Result<OktaClient, StepError> {
        let sealed = org
            .sealed_credentials
            .as_deref()
            .ok_or_else(|| CredentialsError::Missing {
                org: org.org_id.clone(),
            })?;
        let from = CachedFrom {
            url: org.url.clone(),
            sealed: sealed.to_owned(),
        };
        if let Some((cached_from, client)) = self.clients.lock().expect("client cache lock").get(&org.org_id)
            && *cached_from == from
        {
            return Ok(client.clone());
        }
        let client = self.build(org, sealed).await?;
        tracing::info!(org = %org.org_id, url = %org.url, "opened the org's stored credentials");
        self.clients
            .lock()
            .expect("client cache lock")
            .insert(org.org_id.clone(), (from, client.clone()));
        Ok(client)
    }
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
