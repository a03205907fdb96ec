//! [`KmsKeyProvider`]: the [`KeyProvider`] port on AWS KMS. One data key per snapshot (and one per
//! sealing of an org's credentials) from `GenerateDataKey` (AES-256), unwrapped with `Decrypt`;
//! both bound to an encryption context naming what the key is for:
//!
//! - a snapshot's data: `{"org": <org>, "snapshot": <snapshot>}` (unchanged since the first
//!   snapshots, so they stay readable);
//! - an org's credentials: `{"org": <org>, "purpose": "org-credentials", "url": <org URL>}`;
//! - an org's search index: `{"org": <org>, "purpose": "search-index"}`.
//!
//! A wrapped key copied next to another snapshot, another org's data or another org URL does not
//! unwrap there, and IAM can condition a role's use of the key on these pairs
//! (`infra/template.yaml`). KMS also logs the context in CloudTrail, which tells an auditor what
//! each decryption was for.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_kms::operation::decrypt::DecryptError;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;

use zeroize::Zeroizing;

use crate::aws::errors::Failure;
use crate::ports::{DataKey, KeyContext, KeyError, KeyProvider, PlainKey};

/// The [`KeyProvider`] on KMS. Cheap to clone: the SDK client is shared.
#[derive(Debug, Clone)]
pub struct KmsKeyProvider {
    client: aws_sdk_kms::Client,
    key_id: String,
}

impl KmsKeyProvider {
    /// Wraps data keys under the KMS key `key_id` (key id, key ARN or alias).
    pub fn new(client: aws_sdk_kms::Client, key_id: String) -> Self {
        Self { client, key_id }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

/// The encryption context keys, as the template's IAM conditions name them.
pub const CONTEXT_ORG: &str = "org";
pub const CONTEXT_SNAPSHOT: &str = "snapshot";
pub const CONTEXT_PURPOSE: &str = "purpose";
pub const CONTEXT_URL: &str = "url";

/// The encryption context a data key is bound to (see the module docs).
pub fn encryption_context(context: &KeyContext) -> HashMap<String, String> {
    match context {
        KeyContext::Snapshot { org_id, snapshot_id } => HashMap::from([
            (CONTEXT_ORG.to_string(), org_id.to_string()),
            (CONTEXT_SNAPSHOT.to_string(), snapshot_id.to_string()),
        ]),
        KeyContext::OrgCredentials { org_id, org_url } => HashMap::from([
            (CONTEXT_ORG.to_string(), org_id.to_string()),
            (CONTEXT_PURPOSE.to_string(), KeyContext::CREDENTIALS_PURPOSE.to_string()),
            (CONTEXT_URL.to_string(), org_url.clone()),
        ]),
        KeyContext::SearchIndex { org_id } => HashMap::from([
            (CONTEXT_ORG.to_string(), org_id.to_string()),
            (
                CONTEXT_PURPOSE.to_string(),
                KeyContext::SEARCH_INDEX_PURPOSE.to_string(),
            ),
        ]),
    }
}

/// Moves a 32-byte key out of a KMS answer into a [`PlainKey`]; the answer's copy is wiped when
/// this returns.
fn take_key(blob: Option<Blob>, context: &KeyContext, operation: &str) -> Result<PlainKey, KeyError> {
    let bytes = Zeroizing::new(blob.map(Blob::into_inner).unwrap_or_default());
    if bytes.len() != 32 {
        return Err(KeyError::Unavailable {
            message: format!(
                "KMS {operation} for {context} returned a {}-byte key where AES-256 needs 32; check the KMS key's spec",
                bytes.len()
            ),
            retryable: false,
        });
    }
    Ok(PlainKey::init_with_mut(|key| key.copy_from_slice(&bytes)))
}

#[async_trait]
impl KeyProvider for KmsKeyProvider {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        let output = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(encryption_context(context)))
            .send()
            .await
            .map_err(|err| {
                let failure = Failure::from_sdk(&err);
                KeyError::Unavailable {
                    message: format!(
                        "KMS GenerateDataKey under key {} for {context} failed: {}",
                        self.key_id, failure.message
                    ),
                    retryable: failure.retryable,
                }
            })?;
        let wrapped = output.ciphertext_blob.map(Blob::into_inner).unwrap_or_default();
        let plaintext = take_key(output.plaintext, context, "GenerateDataKey")?;
        if wrapped.is_empty() {
            return Err(KeyError::Unavailable {
                message: format!(
                    "KMS GenerateDataKey under key {} for {context} returned no wrapped key",
                    self.key_id
                ),
                retryable: true,
            });
        }
        Ok(DataKey { plaintext, wrapped })
    }

    async fn unwrap_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<PlainKey, KeyError> {
        let output = self
            .client
            .decrypt()
            // Naming the key makes KMS refuse a ciphertext wrapped under any other key.
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .set_encryption_context(Some(encryption_context(context)))
            .send()
            .await
            .map_err(|err| {
                let failure = Failure::from_sdk(&err);
                match err.as_service_error() {
                    // Wrong context, wrong key or damaged bytes: no retry can fix these.
                    Some(
                        DecryptError::InvalidCiphertextException(_)
                        | DecryptError::IncorrectKeyException(_)
                        | DecryptError::InvalidKeyUsageException(_),
                    ) => KeyError::Unwrap {
                        context: context.to_string(),
                        message: format!(
                            "KMS key {} refused it (another org, snapshot, purpose or org URL in the context, another \
                             key, or damaged bytes): {}",
                            self.key_id, failure.message
                        ),
                    },
                    _ if failure.has_code("AccessDeniedException") => KeyError::Unavailable {
                        message: format!(
                            "KMS refused Decrypt under key {} for {context}: let this role use kms:Decrypt on the \
                             key with this encryption context (key policy and IAM): {}",
                            self.key_id, failure.message
                        ),
                        retryable: false,
                    },
                    _ => KeyError::Unavailable {
                        message: format!(
                            "KMS Decrypt under key {} for {context} failed: {}",
                            self.key_id, failure.message
                        ),
                        retryable: failure.retryable,
                    },
                }
            })?;
        take_key(output.plaintext, context, "Decrypt")
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::ids::{OrgId, SnapshotId};
    use crate::okta::OrgUrl;

    fn acme() -> OrgId {
        OrgId::new("acme.okta.com").unwrap()
    }

    fn context() -> KeyContext {
        KeyContext::snapshot(&acme(), &SnapshotId::new("20261123T115000Z-3f9a").unwrap())
    }

    #[test]
    fn a_snapshot_context_names_org_and_snapshot_only() {
        let map = encryption_context(&context());
        assert_eq!(map.len(), 2);
        assert_eq!(map["org"], "acme.okta.com");
        assert_eq!(map["snapshot"], "20261123T115000Z-3f9a");
    }

    #[test]
    fn a_credentials_context_names_org_purpose_and_url() {
        let url = OrgUrl::parse("https://acme.okta.com/", false).unwrap();
        let map = encryption_context(&KeyContext::org_credentials(&acme(), &url));
        assert_eq!(map.len(), 3);
        assert_eq!(map["org"], "acme.okta.com");
        assert_eq!(map["purpose"], "org-credentials");
        assert_eq!(map["url"], "https://acme.okta.com");
    }

    #[test]
    fn a_key_of_the_wrong_length_is_refused() {
        let err = take_key(Some(Blob::new(vec![1u8; 16])), &context(), "Decrypt").unwrap_err();
        assert!(err.to_string().contains("16-byte"), "{err}");
        assert_eq!(
            take_key(Some(Blob::new(vec![7u8; 32])), &context(), "Decrypt")
                .unwrap()
                .expose_secret(),
            &[7u8; 32]
        );
    }
}
