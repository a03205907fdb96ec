//! Unwrapped data keys, cached per wrapped key so a snapshot of 500 segments costs one KMS call,
//! not 500. Concurrent misses for the same key share one unwrap.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use aws_lc_rs::aead::LessSafeKey;
use secrecy::ExposeSecret;
use tokio::sync::OnceCell;

use crate::ports::{KeyContext, KeyError, KeyProvider};

use super::envelope::aead_key;

type CacheKey = (KeyContext, Vec<u8>);
type Slot = Arc<OnceCell<Arc<LessSafeKey>>>;

pub(super) struct KeyCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    slots: HashMap<CacheKey, Slot>,
    /// Insertion order, oldest first: the cache evicts first-in when full (keys are few, and a
    /// restore or verify walks snapshots in order, so FIFO is as good as LRU here).
    order: VecDeque<CacheKey>,
}

impl KeyCache {
    pub(super) fn new(capacity: usize) -> Self {
        KeyCache {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The key for `wrapped` under `context` (a snapshot, or an org's search index), unwrapping it through
    /// `provider` at most once while it stays cached. A failed unwrap is not cached, so a retry asks the
    /// provider again.
    pub(super) async fn get_or_unwrap(
        &self,
        provider: &dyn KeyProvider,
        context: &KeyContext,
        wrapped: &[u8],
    ) -> Result<Arc<LessSafeKey>, KeyError> {
        let cache_key = (context.clone(), wrapped.to_vec());
        let slot = self.slot(cache_key.clone());
        let result = slot
            .get_or_try_init(|| async {
                let plaintext = provider.unwrap_data_key(wrapped, context).await?;
                Ok::<_, KeyError>(Arc::new(aead_key(plaintext.expose_secret())))
            })
            .await
            .cloned();
        if result.is_err() {
            // Don't let wrapped keys that never unwrap (corrupted headers) push good keys out.
            self.forget_if_empty(&cache_key);
        }
        result
    }

    /// Records a key this process generated, so opening its own blobs needs no unwrap.
    pub(super) fn insert(&self, context: &KeyContext, wrapped: &[u8], key: Arc<LessSafeKey>) {
        let slot = self.slot((context.clone(), wrapped.to_vec()));
        // Already set means another task unwrapped the same wrapped key: same plaintext, keep it.
        let _ = slot.set(key);
    }

    fn forget_if_empty(&self, cache_key: &CacheKey) {
        let mut inner = self.inner.lock().expect("key cache lock poisoned");
        if inner.slots.get(cache_key).is_some_and(|slot| !slot.initialized()) {
            inner.slots.remove(cache_key);
            inner.order.retain(|k| k != cache_key);
        }
    }

    fn slot(&self, cache_key: CacheKey) -> Slot {
        let mut inner = self.inner.lock().expect("key cache lock poisoned");
        if let Some(slot) = inner.slots.get(&cache_key) {
            return slot.clone();
        }
        while inner.order.len() >= self.capacity {
            if let Some(oldest) = inner.order.pop_front() {
                inner.slots.remove(&oldest);
            }
        }
        let slot = Slot::default();
        inner.slots.insert(cache_key.clone(), slot.clone());
        inner.order.push_back(cache_key);
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OrgId, SnapshotId};
    use crate::snapshot::tests::fakes::MasterKeyProvider;
    use std::sync::atomic::Ordering;

    #[tokio::test]
    async fn failed_unwraps_are_not_cached_and_the_cache_stays_bounded() {
        let provider = MasterKeyProvider::new();
        let cache = KeyCache::new(2);
        let org = OrgId::new("o").unwrap();
        let snaps: Vec<_> = (0..3).map(|i| SnapshotId::new(format!("s{i}")).unwrap()).collect();
        let mut wrapped = Vec::new();
        for s in &snaps {
            let context = KeyContext::snapshot(&org, s);
            wrapped.push(provider.generate_data_key(&context).await.unwrap().wrapped);
        }
        cache
            .get_or_unwrap(&provider, &KeyContext::snapshot(&org, &snaps[0]), &wrapped[0])
            .await
            .unwrap();
        assert!(
            cache
                .get_or_unwrap(&provider, &KeyContext::snapshot(&org, &snaps[0]), b"garbage")
                .await
                .is_err()
        );
        cache
            .get_or_unwrap(&provider, &KeyContext::snapshot(&org, &snaps[1]), &wrapped[1])
            .await
            .unwrap();
        cache
            .get_or_unwrap(&provider, &KeyContext::snapshot(&org, &snaps[0]), &wrapped[0])
            .await
            .unwrap();
        assert_eq!(
            provider.unwraps.load(Ordering::SeqCst),
            3,
            "s0 stayed cached despite the failure"
        );
        cache
            .get_or_unwrap(&provider, &KeyContext::snapshot(&org, &snaps[2]), &wrapped[2])
            .await
            .unwrap(); // evicts s0
        cache
            .get_or_unwrap(&provider, &KeyContext::snapshot(&org, &snaps[0]), &wrapped[0])
            .await
            .unwrap();
        assert_eq!(provider.unwraps.load(Ordering::SeqCst), 5);
        assert!(cache.inner.lock().unwrap().slots.len() <= 2);
    }
}
