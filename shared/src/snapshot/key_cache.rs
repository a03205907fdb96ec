//! Unwrapped data keys, cached per wrapped key so a snapshot of 500 segments costs one KMS call,
//! not 500. Concurrent misses for the same key share one unwrap.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use aws_lc_rs::aead::LessSafeKey;
use tokio::sync::OnceCell;

use crate::ids::{OrgId, SnapshotId};
use crate::ports::{KeyContext, KeyError, KeyProvider};

use super::envelope::aead_key;

type CacheKey = (OrgId, SnapshotId, Vec<u8>);
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

    /// The key for `wrapped` under (org, snapshot), unwrapping it through `provider` at most once
    /// while it stays cached. A failed unwrap is not cached, so a retry asks the provider again.
    pub(super) async fn get_or_unwrap(
        &self,
        provider: &dyn KeyProvider,
        org: &OrgId,
        snapshot: &SnapshotId,
        wrapped: &[u8],
    ) -> Result<Arc<LessSafeKey>, KeyError> {
        let slot = self.slot((org.clone(), snapshot.clone(), wrapped.to_vec()));
        let key = slot
            .get_or_try_init(|| async {
                let context = KeyContext {
                    org_id: org.clone(),
                    snapshot_id: snapshot.clone(),
                };
                let plaintext = provider.unwrap_data_key(wrapped, &context).await?;
                Ok::<_, KeyError>(Arc::new(aead_key(&plaintext)))
            })
            .await?;
        Ok(key.clone())
    }

    /// Records a key this process generated, so opening its own blobs needs no unwrap.
    pub(super) fn insert(&self, org: &OrgId, snapshot: &SnapshotId, wrapped: &[u8], key: Arc<LessSafeKey>) {
        let slot = self.slot((org.clone(), snapshot.clone(), wrapped.to_vec()));
        // Already set means another task unwrapped the same wrapped key: same plaintext, keep it.
        let _ = slot.set(key);
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
