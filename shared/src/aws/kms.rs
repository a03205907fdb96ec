//! [`KmsKeyProvider`]: the [`KeyProvider`] port on AWS KMS. One data key per snapshot from
//! `GenerateDataKey` (AES-256), unwrapped with `Decrypt`; both bound to an encryption context
//! naming the org and the snapshot, so a wrapped key copied next to another snapshot (or
//! another org's data) does not unwrap there. KMS also logs the context in CloudTrail, which
//! tells an auditor which snapshot each decryption was for.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_kms::operation::decrypt::DecryptError;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;

use crate::aws::errors::Failure;
use crate::ports::{DataKey, KeyContext, KeyError, KeyProvider};

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

/// The encryption context a snapshot's data key is bound to.
pub fn encryption_context(context: &KeyContext) -> HashMap<String, String> {
    HashMap::from([
        ("org".to_string(), context.org_id.to_string()),
        ("snapshot".to_string(), context.snapshot_id.to_string()),
    ])
}

fn describe(context: &KeyContext) -> String {
    format!("org {} snapshot {}", context.org_id, context.snapshot_id)
}

/// Moves a 32-byte key out of a KMS answer and overwrites the answer's copy, so the plaintext
/// lives in exactly one place (the caller's array) once this returns.
fn take_key(blob: Option<Blob>, context: &KeyContext, operation: &str) -> Result<[u8; 32], KeyError> {
    let mut bytes = blob.map(Blob::into_inner).unwrap_or_default();
    let result = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError::Unavailable {
        message: format!(
            "KMS {operation} for {} returned a {}-byte key where AES-256 needs 32; check the KMS key's spec",
            describe(context),
            bytes.len()
        ),
        retryable: false,
    });
    wipe(&mut bytes);
    result
}

/// Overwrites key material before its memory is freed. Volatile writes, so the compiler cannot
/// drop them as dead stores.
pub(crate) fn wipe(bytes: &mut [u8]) {
    for byte in bytes.iter_mut() {
        // SAFETY: `byte` is a valid, aligned, exclusive reference.
        unsafe { std::ptr::write_volatile(byte, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
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
                        "KMS GenerateDataKey under key {} for {} failed: {}",
                        self.key_id,
                        describe(context),
                        failure.message
                    ),
                    retryable: failure.retryable,
                }
            })?;
        let wrapped = output.ciphertext_blob.map(Blob::into_inner).unwrap_or_default();
        let plaintext = take_key(output.plaintext, context, "GenerateDataKey")?;
        if wrapped.is_empty() {
            return Err(KeyError::Unavailable {
                message: format!(
                    "KMS GenerateDataKey under key {} for {} returned no wrapped key",
                    self.key_id,
                    describe(context)
                ),
                retryable: true,
            });
        }
        Ok(DataKey { plaintext, wrapped })
    }

    async fn unwrap_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<[u8; 32], KeyError> {
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
                        context: describe(context),
                        message: format!(
                            "KMS key {} refused it (wrong org/snapshot context, another key, or damaged bytes): {}",
                            self.key_id, failure.message
                        ),
                    },
                    _ if failure.has_code("AccessDeniedException") => KeyError::Unavailable {
                        message: format!(
                            "KMS refused Decrypt under key {} for {}: let this role use kms:Decrypt on the key \
                             with this encryption context (key policy and IAM): {}",
                            self.key_id,
                            describe(context),
                            failure.message
                        ),
                        retryable: false,
                    },
                    _ => KeyError::Unavailable {
                        message: format!(
                            "KMS Decrypt under key {} for {} failed: {}",
                            self.key_id,
                            describe(context),
                            failure.message
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
    use super::*;
    use crate::ids::{OrgId, SnapshotId};

    fn context() -> KeyContext {
        KeyContext {
            org_id: OrgId::new("acme.okta.com").unwrap(),
            snapshot_id: SnapshotId::new("20261123T115000Z-3f9a").unwrap(),
        }
    }

    #[test]
    fn the_context_names_org_and_snapshot() {
        let map = encryption_context(&context());
        assert_eq!(map.len(), 2);
        assert_eq!(map["org"], "acme.okta.com");
        assert_eq!(map["snapshot"], "20261123T115000Z-3f9a");
    }

    #[test]
    fn a_key_of_the_wrong_length_is_refused() {
        let err = take_key(Some(Blob::new(vec![1u8; 16])), &context(), "Decrypt").unwrap_err();
        assert!(err.to_string().contains("16-byte"), "{err}");
        assert_eq!(
            take_key(Some(Blob::new(vec![7u8; 32])), &context(), "Decrypt").unwrap(),
            [7u8; 32]
        );
    }

    #[test]
    fn wipe_zeroes_every_byte() {
        let mut bytes = vec![0xAAu8; 40];
        wipe(&mut bytes);
        assert!(bytes.iter().all(|b| *b == 0));
    }
}
