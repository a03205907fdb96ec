//! [`LocalKeyProvider`]: envelope keys under a 32-byte master key kept in a local file.
//!
//! A data key is wrapped with AES-256-GCM under the master key. The wrapped form is
//! `version (1 byte) || nonce (12) || ciphertext (32) || tag (16)`, and the additional
//! authenticated data binds it to its [`KeyContext`]: a snapshot's key to its org and snapshot, a
//! credentials key to its org and org URL, so a key taken from one snapshot cannot be unwrapped
//! as another's, nor a credentials key for another URL or as a snapshot's.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::atomic_file;
use crate::ports::{DataKey, KeyContext, KeyError, KeyProvider, PlainKey};

const MASTER_KEY_LEN: usize = 32;
const FORMAT_VERSION: u8 = 1;
const TAG_LEN: usize = 16;
const WRAPPED_LEN: usize = 1 + NONCE_LEN + 32 + TAG_LEN;

/// The embedded [`KeyProvider`]: a master key file on this machine.
pub struct LocalKeyProvider {
    path: PathBuf,
    master: RandomizedNonceKey,
}

impl std::fmt::Debug for LocalKeyProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalKeyProvider")
            .field("path", &self.path)
            .field("master", &"<redacted>")
            .finish()
    }
}

impl LocalKeyProvider {
    /// Opens the master key at `path`, creating it (random, mode 0600) on first use. A file of
    /// the wrong length, or one that group or others can access, is refused.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, KeyError> {
        let path = path.into();
        if !path.exists() {
            create_key_file(&path)?;
        }
        // Keep the only copy of the key inside the cipher: the bytes read are wiped on drop.
        let bytes = read_key_file(&path)?;
        let master = RandomizedNonceKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| unavailable(format!("the master key in {} is not usable", path.display())))?;
        Ok(Self { path, master })
    }

    /// Where the master key is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn unavailable(message: String) -> KeyError {
    KeyError::Unavailable {
        message,
        retryable: false,
    }
}

fn create_key_file(path: &Path) -> Result<(), KeyError> {
    let failed = |e: io::Error| unavailable(format!("cannot create the master key file {}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut key = Zeroizing::new([0u8; MASTER_KEY_LEN]);
    aws_lc_rs::rand::fill(key.as_mut()).map_err(|_| unavailable("the system random source failed".into()))?;
    // If another process created the file first, its key is the one to use.
    atomic_file::write_if_absent(path, key.as_ref()).map_err(failed)?;
    Ok(())
}

fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).map_err(|e| unavailable(format!("cannot read the master key file {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(unavailable(format!("the master key path {shown} is not a file")));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(unavailable(format!(
            "the master key file {shown} can be accessed by group or others (mode {mode:03o}); \
             make it private with `chmod 600 {shown}`"
        )));
    }
    let bytes = Zeroizing::new(
        std::fs::read(path).map_err(|e| unavailable(format!("cannot read the master key file {shown}: {e}")))?,
    );
    if bytes.len() != MASTER_KEY_LEN {
        return Err(unavailable(format!(
            "the master key file {shown} holds {} bytes, a master key is exactly {MASTER_KEY_LEN}; \
             it is damaged or not a key file (restore it from your copy; a new key cannot open old snapshots)",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// The additional authenticated data for a context: a label naming the purpose, then each part
/// with its length, so no two different contexts encode alike. The snapshot label is the one
/// version 1 always used, so snapshots written before credentials had a purpose of their own
/// still open; the labels differ within their first 17 bytes, so no encoding can be another's.
fn context_aad(context: &KeyContext) -> Vec<u8> {
    let (label, parts): (&[u8], [&str; 2]) = match context {
        KeyContext::Snapshot { org_id, snapshot_id } => {
            (b"oktavault/local-data-key/v1", [org_id.as_str(), snapshot_id.as_str()])
        }
        KeyContext::OrgCredentials { org_id, org_url } => (
            b"oktavault/local-credentials-key/v1",
            [org_id.as_str(), org_url.as_str()],
        ),
        KeyContext::SearchIndex { org_id } => (
            b"oktavault/local-search-index-key/v1",
            [org_id.as_str(), KeyContext::SEARCH_INDEX_PURPOSE],
        ),
    };
    let mut aad = label.to_vec();
    for part in parts {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

#[async_trait]
impl KeyProvider for LocalKeyProvider {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        let mut random = Ok(());
        let plaintext = PlainKey::init_with_mut(|key| random = aws_lc_rs::rand::fill(key));
        random.map_err(|_| unavailable("the system random source failed".into()))?;
        // Room for the tag up front, so sealing never reallocates and leaves a plaintext copy behind.
        let mut sealed = Vec::with_capacity(32 + TAG_LEN);
        sealed.extend_from_slice(plaintext.expose_secret());
        let nonce = self
            .master
            .seal_in_place_append_tag(Aad::from(context_aad(context)), &mut sealed)
            .map_err(|_| unavailable(format!("wrapping a data key for {context} failed")))?;
        let mut wrapped = Vec::with_capacity(WRAPPED_LEN);
        wrapped.push(FORMAT_VERSION);
        wrapped.extend_from_slice(nonce.as_ref());
        wrapped.extend_from_slice(&sealed);
        Ok(DataKey { plaintext, wrapped })
    }

    async fn unwrap_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<PlainKey, KeyError> {
        let refused = |message: String| KeyError::Unwrap {
            context: context.to_string(),
            message,
        };
        if wrapped.len() != WRAPPED_LEN {
            return Err(refused(format!(
                "it is {} bytes long, a wrapped key is {WRAPPED_LEN}",
                wrapped.len()
            )));
        }
        if wrapped[0] != FORMAT_VERSION {
            return Err(refused(format!(
                "it has format version {}, this oktavault reads version {FORMAT_VERSION}",
                wrapped[0]
            )));
        }
        let nonce = Nonce::try_assume_unique_for_key(&wrapped[1..1 + NONCE_LEN])
            .map_err(|_| refused("its nonce is malformed".into()))?;
        let mut sealed = Zeroizing::new(wrapped[1 + NONCE_LEN..].to_vec());
        let opened = self
            .master
            .open_in_place(nonce, Aad::from(context_aad(context)), &mut sealed)
            .map_err(|_| {
                refused(format!(
                    "it was wrapped for another org, snapshot, purpose or org URL, under another master key than {}, \
                     or it is damaged",
                    self.path.display()
                ))
            })?;
        Ok(PlainKey::init_with_mut(|key| key.copy_from_slice(opened)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_file_is_32_bytes_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/master.key");
        LocalKeyProvider::open(&path).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 32);
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }

    #[tokio::test]
    async fn reopening_the_key_file_unwraps_keys_made_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let context = KeyContext::snapshot(&"acme.okta.com".parse().unwrap(), &"s1".parse().unwrap());
        let key = LocalKeyProvider::open(&path)
            .unwrap()
            .generate_data_key(&context)
            .await
            .unwrap();
        let reopened = LocalKeyProvider::open(&path).unwrap();
        assert_eq!(
            reopened
                .unwrap_data_key(&key.wrapped, &context)
                .await
                .unwrap()
                .expose_secret(),
            key.plaintext.expose_secret()
        );
    }

    #[tokio::test]
    async fn another_master_key_cannot_unwrap() {
        let dir = tempfile::tempdir().unwrap();
        let context = KeyContext::snapshot(&"acme.okta.com".parse().unwrap(), &"s1".parse().unwrap());
        let key = LocalKeyProvider::open(dir.path().join("a.key"))
            .unwrap()
            .generate_data_key(&context)
            .await
            .unwrap();
        let other = LocalKeyProvider::open(dir.path().join("b.key")).unwrap();
        let err = other.unwrap_data_key(&key.wrapped, &context).await.unwrap_err();
        assert!(matches!(err, KeyError::Unwrap { .. }), "{err}");
    }

    /// Snapshot keys wrapped before keys had a purpose used exactly this AAD: they still unwrap.
    #[tokio::test]
    async fn a_snapshot_key_wrapped_under_the_first_context_encoding_still_unwraps() {
        let dir = tempfile::tempdir().unwrap();
        let keys = LocalKeyProvider::open(dir.path().join("master.key")).unwrap();
        let mut first_aad = b"oktavault/local-data-key/v1".to_vec();
        for part in ["acme.okta.com", "s1"] {
            first_aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            first_aad.extend_from_slice(part.as_bytes());
        }
        let mut sealed = vec![9u8; 32];
        let nonce = keys
            .master
            .seal_in_place_append_tag(Aad::from(first_aad), &mut sealed)
            .unwrap();
        let wrapped = [&[FORMAT_VERSION][..], nonce.as_ref(), &sealed].concat();
        let context = KeyContext::snapshot(&"acme.okta.com".parse().unwrap(), &"s1".parse().unwrap());
        let key = keys.unwrap_data_key(&wrapped, &context).await.unwrap();
        assert_eq!(key.expose_secret(), &[9u8; 32]);
    }

    #[test]
    fn a_group_readable_key_file_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        LocalKeyProvider::open(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = LocalKeyProvider::open(&path).unwrap_err().to_string();
        assert!(
            err.contains("chmod 600") && err.contains("master.key") && err.contains("640"),
            "{err}"
        );
    }

    #[test]
    fn a_key_file_of_the_wrong_length_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        std::fs::write(&path, [7u8; 31]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = LocalKeyProvider::open(&path).unwrap_err().to_string();
        assert!(err.contains("31 bytes") && err.contains("master.key"), "{err}");
    }

    #[test]
    fn debug_output_never_shows_the_master_key() {
        let dir = tempfile::tempdir().unwrap();
        let keys = LocalKeyProvider::open(dir.path().join("master.key")).unwrap();
        let master = std::fs::read(dir.path().join("master.key")).unwrap();
        let shown = format!("{keys:?}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(!shown.contains(&format!("{master:?}")[1..20]), "{shown}");
    }
}
