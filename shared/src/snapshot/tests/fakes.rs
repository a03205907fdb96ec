//! Small honest in-memory implementations of the ports, for the snapshot tests.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use secrecy::ExposeSecret;

use crate::ports::{BlobStore, DataKey, KeyContext, KeyError, KeyProvider, LockRule, PlainKey, Retention, StoreError};

/// A HashMap-like blob store that enforces the port's key rules and counts reads.
#[derive(Default)]
pub struct MemoryStore {
    blobs: Mutex<BTreeMap<String, Vec<u8>>>,
    pub gets: AtomicUsize,
    /// Keys whose reads fail with a retryable I/O error (a throttled store).
    pub failing: Mutex<HashSet<String>>,
    /// Set, the store locks blobs (as S3 Object Lock does) with this rule; the test sets each blob's lock in
    /// `locks`, and a lock is only ever lengthened, in its own mode.
    pub lock_rule: Mutex<Option<LockRule>>,
    pub locks: Mutex<BTreeMap<String, Retention>>,
}

impl MemoryStore {
    pub fn raw(&self, key: &str) -> Option<Vec<u8>> {
        self.blobs.lock().unwrap().get(key).cloned()
    }

    pub fn set_raw(&self, key: &str, bytes: Vec<u8>) {
        self.blobs.lock().unwrap().insert(key.to_string(), bytes);
    }

    pub fn remove(&self, key: &str) {
        self.blobs.lock().unwrap().remove(key);
    }

    fn check(key: &str) -> Result<(), StoreError> {
        crate::ports::validate_key(key)
    }
}

#[async_trait]
impl BlobStore for MemoryStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        Self::check(key)?;
        self.blobs.lock().unwrap().insert(key.to_string(), bytes);
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        Self::check(key)?;
        let mut blobs = self.blobs.lock().unwrap();
        if blobs.contains_key(key) {
            return Ok(false);
        }
        blobs.insert(key.to_string(), bytes);
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Self::check(key)?;
        self.gets.fetch_add(1, Ordering::SeqCst);
        if self.failing.lock().unwrap().contains(key) {
            return Err(StoreError::Io {
                operation: "get",
                key: key.into(),
                message: "SlowDown".into(),
                retryable: true,
            });
        }
        Ok(self.blobs.lock().unwrap().get(key).cloned())
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        Self::check(key)?;
        Ok(self.blobs.lock().unwrap().contains_key(key))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .blobs
            .lock()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        Self::check(key)?;
        self.blobs.lock().unwrap().remove(key);
        Ok(())
    }

    async fn lock_rule(&self) -> Result<Option<LockRule>, StoreError> {
        Ok(*self.lock_rule.lock().unwrap())
    }

    async fn retention(&self, key: &str) -> Result<Option<Retention>, StoreError> {
        Ok(self.locks.lock().unwrap().get(key).copied())
    }

    async fn extend_retention(&self, key: &str, retention: &Retention) -> Result<(), StoreError> {
        assert!(
            self.lock_rule.lock().unwrap().is_some(),
            "{key}: this store locks nothing"
        );
        let mut locks = self.locks.lock().unwrap();
        let held = locks.get(key).copied();
        assert!(
            held.is_none_or(|h| h.until <= retention.until && h.mode == retention.mode),
            "{key}: a lock is only lengthened, in its own mode: {held:?} -> {retention:?}"
        );
        locks.insert(key.to_owned(), *retention);
        Ok(())
    }
}

/// Wraps data keys with AES-256-GCM under a fixed master key, the context as AAD (as KMS does
/// with an encryption context), and counts unwraps.
pub struct MasterKeyProvider {
    master: LessSafeKey,
    pub unwraps: AtomicUsize,
}

impl MasterKeyProvider {
    pub fn new() -> Self {
        let master = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap());
        MasterKeyProvider {
            master,
            unwraps: AtomicUsize::new(0),
        }
    }

    fn context_aad(context: &KeyContext) -> Vec<u8> {
        format!("{context:?}").into_bytes()
    }
}

#[async_trait]
impl KeyProvider for MasterKeyProvider {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        let plaintext = PlainKey::init_with_mut(|key| aws_lc_rs::rand::fill(key).unwrap());
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).unwrap();
        let mut sealed = plaintext.expose_secret().to_vec();
        let aad = Self::context_aad(context);
        self.master
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(&aad), &mut sealed)
            .unwrap();
        let mut wrapped = nonce.to_vec();
        wrapped.extend_from_slice(&sealed);
        Ok(DataKey { plaintext, wrapped })
    }

    async fn unwrap_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<PlainKey, KeyError> {
        self.unwraps.fetch_add(1, Ordering::SeqCst);
        let fail = || KeyError::Unwrap {
            context: context.to_string(),
            message: "not wrapped for this context".into(),
        };
        if wrapped.len() < NONCE_LEN {
            return Err(fail());
        }
        let nonce = Nonce::try_assume_unique_for_key(&wrapped[..NONCE_LEN]).map_err(|_| fail())?;
        let mut body = wrapped[NONCE_LEN..].to_vec();
        let aad = Self::context_aad(context);
        let plain = self
            .master
            .open_in_place(nonce, Aad::from(&aad), &mut body)
            .map_err(|_| fail())?;
        let plain: &[u8; 32] = (&*plain).try_into().map_err(|_| fail())?;
        Ok(PlainKey::init_with_mut(|key| key.copy_from_slice(plain)))
    }
}
