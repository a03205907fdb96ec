//! An org's Okta credentials, sealed for unattended backups (the Lambdas read them from the
//! org's catalog record), and the [`OktaConnector`] that opens them.
//!
//! Sealing is an envelope, like a snapshot's: a fresh data key from the [`KeyProvider`] under the
//! context `{org_id, "org-credentials"}` (so KMS will only unwrap it for that org and purpose),
//! then AES-256-GCM of the credentials' JSON form with AAD binding the org id. The stored text is
//! base64 of
//!
//! ```text
//! version u8 = 1 | wrapped key len u16 BE | wrapped key | nonce (12) | ciphertext | tag (16)
//! ```
//!
//! The AAD is `"oktavault/credentials/v1\0"`, the org id and the header (version..nonce), so
//! credentials copied onto another org's record, or with any byte changed, do not open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, SnapshotId};
use crate::okta::{ClientConfig, Credentials, OktaClient, OktaError, OrgUrl, Secret};
use crate::ports::{Catalog, CatalogError, KeyContext, KeyError, KeyProvider, OrgRecord};
use crate::workflow::{OktaConnector, StepError, StepErrorKind};

const FORMAT_VERSION: u8 = 1;
const AAD_DOMAIN: &[u8] = b"oktavault/credentials/v1\0";
const TAG_LEN: usize = 16;
/// The "snapshot id" half of the key context: names the purpose, not a snapshot.
const PURPOSE: &str = "org-credentials";

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("could not get a key to seal or open the credentials of org {org}: {source}")]
    Key { org: OrgId, source: KeyError },
    #[error("the sealed credentials of org {org} are malformed ({reason}); authorize the org again")]
    Malformed { org: OrgId, reason: String },
    #[error(
        "the sealed credentials of org {org} do not open: they were sealed for another org or changed since; \
         authorize the org again"
    )]
    Tampered { org: OrgId },
    #[error("org {org} has no stored credentials; authorize it before scheduling backups")]
    Missing { org: OrgId },
    #[error("the credentials of org {org} could not be sealed: {reason}")]
    Seal { org: OrgId, reason: String },
    #[error("could not store org {org}: {source}")]
    Catalog { org: OrgId, source: CatalogError },
}

impl CredentialsError {
    /// Only a key provider that is briefly unavailable is worth another try.
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

/// The credentials' JSON form inside the seal. Private: it holds secrets in plain text.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Plain {
    ApiToken {
        token: String,
    },
    ClientSecret {
        client_id: String,
        secret: String,
        scopes: Vec<String>,
    },
    PrivateKey {
        client_id: String,
        key_pem: String,
        key_id: Option<String>,
        scopes: Vec<String>,
    },
}

impl Plain {
    fn from_credentials(c: &Credentials) -> Self {
        match c {
            Credentials::ApiToken(token) => Plain::ApiToken {
                token: token.expose().to_owned(),
            },
            Credentials::ClientSecret {
                client_id,
                secret,
                scopes,
            } => Plain::ClientSecret {
                client_id: client_id.clone(),
                secret: secret.expose().to_owned(),
                scopes: scopes.clone(),
            },
            Credentials::PrivateKey {
                client_id,
                key_pem,
                key_id,
                scopes,
            } => Plain::PrivateKey {
                client_id: client_id.clone(),
                key_pem: key_pem.expose().to_owned(),
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
}

fn key_context(org: &OrgId) -> KeyContext {
    KeyContext {
        org_id: org.clone(),
        snapshot_id: SnapshotId::new(PURPOSE).expect("the purpose is a valid id"),
    }
}

fn aad(org: &OrgId, header: &[u8]) -> Vec<u8> {
    [AAD_DOMAIN, org.as_str().as_bytes(), header].concat()
}

fn cipher(org: &OrgId, key: &[u8; 32]) -> Result<LessSafeKey, CredentialsError> {
    let unbound = UnboundKey::new(&AES_256_GCM, key).map_err(|_| CredentialsError::Seal {
        org: org.clone(),
        reason: "the data key is not a usable AES key".into(),
    })?;
    Ok(LessSafeKey::new(unbound))
}

/// Seals `c` for `org`: base64 text to keep in [`OrgRecord::sealed_credentials`].
pub async fn seal_credentials(
    keys: &dyn KeyProvider,
    org: &OrgId,
    c: &Credentials,
) -> Result<String, CredentialsError> {
    let mut data_key = keys
        .generate_data_key(&key_context(org))
        .await
        .map_err(|source| CredentialsError::Key {
            org: org.clone(),
            source,
        })?;
    let sealing = cipher(org, &data_key.plaintext);
    data_key.plaintext.fill(0);
    let sealing = sealing?;
    let wrapped_len = u16::try_from(data_key.wrapped.len()).map_err(|_| CredentialsError::Seal {
        org: org.clone(),
        reason: "the wrapped data key is too long".into(),
    })?;
    let mut nonce = [0u8; NONCE_LEN];
    // A fresh data key per seal means a random nonce can never repeat under one key.
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| CredentialsError::Seal {
        org: org.clone(),
        reason: "the system random source failed".into(),
    })?;

    let mut out = Vec::with_capacity(3 + data_key.wrapped.len() + NONCE_LEN + 256);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&wrapped_len.to_be_bytes());
    out.extend_from_slice(&data_key.wrapped);
    out.extend_from_slice(&nonce);
    let aad = aad(org, &out);

    let mut body = serde_json::to_vec(&Plain::from_credentials(c)).map_err(|e| CredentialsError::Seal {
        org: org.clone(),
        reason: e.to_string(),
    })?;
    let sealed = sealing.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(&aad), &mut body);
    if sealed.is_err() {
        body.fill(0);
        return Err(CredentialsError::Seal {
            org: org.clone(),
            reason: "AES-GCM refused the input".into(),
        });
    }
    out.extend_from_slice(&body);
    Ok(BASE64.encode(out))
}

/// Opens what [`seal_credentials`] made for the same `org`.
pub async fn open_credentials(
    keys: &dyn KeyProvider,
    org: &OrgId,
    sealed: &str,
) -> Result<Credentials, CredentialsError> {
    let malformed = |reason: &str| CredentialsError::Malformed {
        org: org.clone(),
        reason: reason.to_owned(),
    };
    let bytes = BASE64.decode(sealed.trim()).map_err(|_| malformed("not base64"))?;
    let (&version, rest) = bytes.split_first().ok_or_else(|| malformed("empty"))?;
    if version != FORMAT_VERSION {
        return Err(malformed(&format!(
            "format version {version}, this build reads {FORMAT_VERSION}"
        )));
    }
    if rest.len() < 2 {
        return Err(malformed("truncated before the wrapped key"));
    }
    let wrapped_len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
    let header_len = 3 + wrapped_len + NONCE_LEN;
    if bytes.len() < header_len + TAG_LEN {
        return Err(malformed("truncated"));
    }
    let (header, ciphertext) = bytes.split_at(header_len);
    let wrapped = &header[3..3 + wrapped_len];
    let nonce: [u8; NONCE_LEN] = header[3 + wrapped_len..]
        .try_into()
        .expect("the header ends with the nonce");

    let mut data_key = keys
        .unwrap_data_key(wrapped, &key_context(org))
        .await
        .map_err(|source| match source {
            // A wrapped key that does not unwrap under this org's context was made for another.
            KeyError::Unwrap { .. } => CredentialsError::Tampered { org: org.clone() },
            other => CredentialsError::Key {
                org: org.clone(),
                source: other,
            },
        })?;
    let opening = cipher(org, &data_key);
    data_key.fill(0);
    let opening = opening?;
    let mut body = ciphertext.to_vec();
    let aad = aad(org, header);
    let plain = match opening.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(&aad), &mut body) {
        Ok(plain) => plain,
        Err(_) => return Err(CredentialsError::Tampered { org: org.clone() }),
    };
    let parsed = serde_json::from_slice::<Plain>(plain);
    body.fill(0);
    // serde's message could quote the secret it choked on: keep only its position.
    let parsed =
        parsed.map_err(|e| malformed(&format!("unreadable JSON at line {} column {}", e.line(), e.column())))?;
    Ok(parsed.into_credentials())
}

/// Seals `credentials` onto `org` and stores the record: what authorizing an org for unattended
/// backups amounts to. Returns the stored record.
pub async fn store_org_credentials(
    catalog: &dyn Catalog,
    keys: &dyn KeyProvider,
    mut org: OrgRecord,
    credentials: &Credentials,
) -> Result<OrgRecord, CredentialsError> {
    org.sealed_credentials = Some(seal_credentials(keys, &org.org_id, credentials).await?);
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
/// credentials on the org's catalog record and builds a client, kept for the life of the
/// process (a Lambda container) so its access token and rate-limit view carry across calls.
pub struct StoredCredentialsConnector {
    keys: Arc<dyn KeyProvider>,
    /// Accept loopback/private org URLs (the simulator). Tests only.
    allow_local_orgs: bool,
    /// Org -> (the sealed text the client was built from, the client). Re-authorizing an org
    /// changes the sealed text, so a warm container picks the new credentials up.
    clients: Mutex<HashMap<OrgId, (String, OktaClient)>>,
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
        let credentials = open_credentials(self.keys.as_ref(), &org.org_id, sealed).await?;
        let url = OrgUrl::parse(&org.url, self.allow_local_orgs).map_err(|e| url_error(org, e))?;
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
        if let Some((cached_from, client)) = self.clients.lock().expect("client cache lock").get(&org.org_id)
            && cached_from == sealed
        {
            return Ok(client.clone());
        }
        let client = self.build(org, sealed).await?;
        tracing::info!(org = %org.org_id, "opened the org's stored credentials");
        self.clients
            .lock()
            .expect("client cache lock")
            .insert(org.org_id.clone(), (sealed.to_owned(), client.clone()));
        Ok(client)
    }
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
