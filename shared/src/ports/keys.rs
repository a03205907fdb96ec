use std::fmt;

use async_trait::async_trait;
use secrecy::SecretBox;

use crate::ids::{OrgId, SnapshotId};
use crate::okta::OrgUrl;

/// What a data key is for, and so what it is bound to: unwrapping under any other context fails.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyContext {
    /// The data key of one snapshot of an org.
    Snapshot { org_id: OrgId, snapshot_id: SnapshotId },
    /// The key that seals an org's stored Okta credentials, bound to the one org URL they may be
    /// sent to (its canonical form, [`OrgUrl::as_str`]).
    OrgCredentials { org_id: OrgId, org_url: String },
    /// The data key of an org's search index (every snapshot's versions at once, so no one snapshot's).
    SearchIndex { org_id: OrgId },
}

impl KeyContext {
    /// The name of the credentials purpose where a backend records it (KMS encryption context
    /// `purpose`, IAM conditions in `infra/template.yaml`).
    pub const CREDENTIALS_PURPOSE: &'static str = "org-credentials";
    /// The name of the search index purpose, recorded as the credentials one is.
    pub const SEARCH_INDEX_PURPOSE: &'static str = "search-index";

    pub fn snapshot(org_id: &OrgId, snapshot_id: &SnapshotId) -> Self {
        Self::Snapshot {
            org_id: org_id.clone(),
            snapshot_id: snapshot_id.clone(),
        }
    }

    pub fn org_credentials(org_id: &OrgId, org_url: &OrgUrl) -> Self {
        Self::OrgCredentials {
            org_id: org_id.clone(),
            org_url: org_url.as_str().to_owned(),
        }
    }

    pub fn search_index(org_id: &OrgId) -> Self {
        Self::SearchIndex { org_id: org_id.clone() }
    }

    pub fn org_id(&self) -> &OrgId {
        match self {
            Self::Snapshot { org_id, .. } | Self::OrgCredentials { org_id, .. } | Self::SearchIndex { org_id } => {
                org_id
            }
        }
    }
}

/// For messages: "org X snapshot Y" or "the credentials of org X for https://...".
impl fmt::Display for KeyContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Snapshot { org_id, snapshot_id } => write!(f, "org {org_id} snapshot {snapshot_id}"),
            Self::OrgCredentials { org_id, org_url } => write!(f, "the credentials of org {org_id} for {org_url}"),
            Self::SearchIndex { org_id } => write!(f, "the search index of org {org_id}"),
        }
    }
}

/// A plaintext AES-256 key: on the heap (moving it copies no key bytes), wiped when dropped, and
/// `Debug` prints no byte of it. Read it with [`secrecy::ExposeSecret::expose_secret`].
pub type PlainKey = SecretBox<[u8; 32]>;

/// A fresh AES-256 data key: the plaintext to seal with (kept in memory only) and the wrapped
/// form that is stored beside the data.
pub struct DataKey {
    pub plaintext: PlainKey,
    pub wrapped: Vec<u8>,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("plaintext", &"<redacted>")
            .field("wrapped_len", &self.wrapped.len())
            .finish()
    }
}

/// The only secret in a [`DataKey`] is its plaintext, which is a [`PlainKey`].
impl zeroize::ZeroizeOnDrop for DataKey {}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key provider: the wrapped data key for {context} could not be unwrapped: {message}")]
    Unwrap { context: String, message: String },
    #[error("key provider: {message}")]
    Unavailable { message: String, retryable: bool },
}

impl KeyError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, KeyError::Unavailable { retryable: true, .. })
    }
}

/// Envelope keys: KMS `GenerateDataKey`/`Decrypt` in production, a local key file embedded.
#[async_trait]
pub trait KeyProvider: Send + Sync + 'static {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError>;
    async fn unwrap_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<PlainKey, KeyError>;
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;
    use zeroize::ZeroizeOnDrop;

    use super::*;

    fn wiped_on_drop<T: ZeroizeOnDrop>() {}

    #[test]
    fn plaintext_keys_are_wiped_on_drop_and_never_printed() {
        wiped_on_drop::<PlainKey>();
        wiped_on_drop::<DataKey>();
        let key = DataKey {
            plaintext: PlainKey::init_with_mut(|k| k.fill(0xAB)),
            wrapped: vec![1, 2, 3],
        };
        let shown = format!("{key:?} {:?}", key.plaintext);
        assert!(
            !shown.contains("171") && !shown.to_lowercase().contains("ab,"),
            "{shown}"
        );
        assert!(shown.contains("wrapped_len: 3"), "{shown}");
        assert_eq!(key.plaintext.expose_secret(), &[0xAB; 32]);
    }

    #[test]
    fn contexts_say_their_purpose() {
        let org = OrgId::new("acme.okta.com").unwrap();
        let snapshot = KeyContext::snapshot(&org, &SnapshotId::new("s1").unwrap());
        let url = OrgUrl::parse("https://acme.okta.com", false).unwrap();
        let credentials = KeyContext::org_credentials(&org, &url);
        assert_eq!(snapshot.to_string(), "org acme.okta.com snapshot s1");
        assert_eq!(
            credentials.to_string(),
            "the credentials of org acme.okta.com for https://acme.okta.com"
        );
        assert_eq!(credentials.org_id(), &org);
        assert_ne!(snapshot, credentials);
    }
}
