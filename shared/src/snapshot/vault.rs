//! The vault: seals, stores, fetches and opens blobs through the BlobStore and KeyProvider ports.

use std::io::Read;
use std::sync::Arc;

use secrecy::ExposeSecret;

use crate::ids::{OrgId, SnapshotId};
use crate::ports::{BlobStore, KeyContext, KeyError, KeyProvider};

use super::envelope::{self, BlobKind};
use super::error::SnapshotError;
use super::hash::CanonicalObject;
use super::key_cache::KeyCache;
use super::keys;
use super::manifest::Manifest;
use super::sealing_key::SealingKey;
use super::segment::{self, Segment};
use super::stored::{self, StoredManifest};

/// How many unwrapped data keys stay cached: one per snapshot touched, so a restore that
/// follows carried segments back through a few months of snapshots still hits the cache.
const KEY_CACHE_CAPACITY: usize = 256;
/// zstd level 3: zstd's default, fast enough for Lambda and about 5-10x on Okta JSON.
const ZSTD_LEVEL: i32 = 3;
/// A blob never decompresses to more than this; more means a bug or a hostile writer.
const MAX_PLAINTEXT: u64 = 1 << 30;

#[derive(Clone)]
pub struct Vault {
    blobs: Arc<dyn BlobStore>,
    keys: Arc<dyn KeyProvider>,
    cache: Arc<KeyCache>,
}

impl Vault {
    pub fn new(blobs: Arc<dyn BlobStore>, keys: Arc<dyn KeyProvider>) -> Self {
        Vault {
            blobs,
            keys,
            cache: Arc::new(KeyCache::new(KEY_CACHE_CAPACITY)),
        }
    }

    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    /// The key provider (what opens an org's sealed credentials too).
    pub fn keys(&self) -> &Arc<dyn KeyProvider> {
        &self.keys
    }

    /// A fresh data key for a new snapshot (one KeyProvider call).
    pub async fn new_sealing_key(&self, org: &OrgId, snapshot: &SnapshotId) -> Result<SealingKey, SnapshotError> {
        let data_key = self
            .keys
            .generate_data_key(&KeyContext::snapshot(org, snapshot))
            .await
            .map_err(|e| key_error(org, snapshot, None, e))?;
        let aead = Arc::new(envelope::aead_key(data_key.plaintext.expose_secret()));
        self.cache
            .insert(&KeyContext::snapshot(org, snapshot), &data_key.wrapped, aead.clone());
        Ok(SealingKey::new(org.clone(), snapshot.clone(), aead, &data_key.wrapped))
    }

    /// A fresh data key for `org`'s search index (one KeyProvider call), bound to the org and the index purpose
    /// rather than to any snapshot: the index outlives the snapshots it describes.
    pub async fn new_index_key(&self, org: &OrgId) -> Result<SealingKey, SnapshotError> {
        let context = KeyContext::search_index(org);
        let data_key = self
            .keys
            .generate_data_key(&context)
            .await
            .map_err(|e| index_key_error(org, None, e))?;
        let aead = Arc::new(envelope::aead_key(data_key.plaintext.expose_secret()));
        self.cache.insert(&context, &data_key.wrapped, aead.clone());
        Ok(SealingKey::for_index(org.clone(), aead, &data_key.wrapped))
    }

    /// The sealing key of a snapshot from its stored wrapped form (e.g. in a later workflow step).
    pub async fn sealing_key_from_wrapped(
        &self,
        org: &OrgId,
        snapshot: &SnapshotId,
        wrapped: &[u8],
    ) -> Result<SealingKey, SnapshotError> {
        let aead = self
            .cache
            .get_or_unwrap(self.keys.as_ref(), &KeyContext::snapshot(org, snapshot), wrapped)
            .await
            .map_err(|e| key_error(org, snapshot, None, e))?;
        Ok(SealingKey::new(org.clone(), snapshot.clone(), aead, wrapped))
    }

    /// Compresses, seals and stores `plaintext` at `blob_key`, replacing any earlier blob there.
    pub async fn put_sealed(
        &self,
        key: &SealingKey,
        blob_key: &str,
        kind: BlobKind,
        plaintext: &[u8],
    ) -> Result<(), SnapshotError> {
        let sealed = self.seal(key, blob_key, kind, plaintext)?;
        self.blobs.put(blob_key, sealed).await?;
        Ok(())
    }

    /// Like [`Vault::put_sealed`], but only when no blob is at `blob_key`; returns whether it wrote.
    pub async fn put_sealed_if_absent(
        &self,
        key: &SealingKey,
        blob_key: &str,
        kind: BlobKind,
        plaintext: &[u8],
    ) -> Result<bool, SnapshotError> {
        let sealed = self.seal(key, blob_key, kind, plaintext)?;
        Ok(self.blobs.put_if_absent(blob_key, sealed).await?)
    }

    fn seal(
        &self,
        key: &SealingKey,
        blob_key: &str,
        kind: BlobKind,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SnapshotError> {
        if key.is_index() != (kind == BlobKind::Index) {
            return Err(SnapshotError::InvalidInput {
                what: format!("{kind} blob {blob_key}"),
                reason: "index blobs are sealed with the org's index key, and only they are".to_owned(),
            });
        }
        let compressed = zstd::bulk::compress(plaintext, ZSTD_LEVEL).map_err(|e| SnapshotError::Seal {
            key: blob_key.to_string(),
            reason: format!("zstd: {e}"),
        })?;
        envelope::seal(
            &key.aead,
            key.wrapped(),
            &key.org_id,
            &key.snapshot_id,
            blob_key,
            kind,
            &compressed,
        )
    }

    /// Fetches, authenticates, decrypts and decompresses the blob at `blob_key`, which must be of
    /// kind `expect` and sealed for `org`.
    pub async fn get_opened(&self, org: &OrgId, blob_key: &str, expect: BlobKind) -> Result<Vec<u8>, SnapshotError> {
        let sealed = self.blobs.get(blob_key).await?.ok_or_else(|| SnapshotError::Missing {
            key: blob_key.to_string(),
        })?;
        self.open(org, blob_key, expect, &sealed).await
    }

    /// Opens sealed bytes already fetched from `blob_key`.
    pub async fn open(
        &self,
        org: &OrgId,
        blob_key: &str,
        expect: BlobKind,
        sealed: &[u8],
    ) -> Result<Vec<u8>, SnapshotError> {
        let header = envelope::parse(blob_key, sealed)?;
        // The kind is not authenticated yet: a changed kind byte unwraps under the wrong context and fails, or
        // fails the AAD check below.
        let aead = match header.kind {
            BlobKind::Index => self
                .cache
                .get_or_unwrap(self.keys.as_ref(), &KeyContext::search_index(org), header.wrapped_key)
                .await
                .map_err(|e| index_key_error(org, Some(blob_key), e))?,
            _ => self
                .cache
                .get_or_unwrap(
                    self.keys.as_ref(),
                    &KeyContext::snapshot(org, &header.snapshot_id),
                    header.wrapped_key,
                )
                .await
                .map_err(|e| key_error(org, &header.snapshot_id, Some(blob_key), e))?,
        };
        let compressed = envelope::open(&aead, org, blob_key, &header)?;
        // Checked after authentication: before it, a different kind byte means tampering, not a mix-up.
        if header.kind != expect {
            return Err(SnapshotError::WrongKind {
                key: blob_key.to_string(),
                expected: expect,
                found: header.kind,
            });
        }
        decompress(blob_key, &compressed)
    }

    pub async fn write_segment(
        &self,
        key: &SealingKey,
        blob_key: &str,
        objects: &[CanonicalObject],
    ) -> Result<(), SnapshotError> {
        let plaintext = segment::encode(blob_key, objects)?;
        self.put_sealed(key, blob_key, BlobKind::Segment, &plaintext).await
    }

    /// Writes page `seq` of `category` as a segment whose key names its content (see [`keys::segment`]), and
    /// returns the key. Writing the same objects again finds the segment there and writes nothing.
    pub async fn write_page_segment(
        &self,
        key: &SealingKey,
        category: &str,
        seq: u32,
        objects: &[CanonicalObject],
    ) -> Result<String, SnapshotError> {
        let plaintext = segment::encode(&format!("{category} page {seq}"), objects)?;
        let content = super::hash::hash_object(&plaintext);
        let blob_key = keys::segment(&key.org_id, &key.snapshot_id, category, seq, &content);
        self.put_sealed_if_absent(key, &blob_key, BlobKind::Segment, &plaintext)
            .await?;
        Ok(blob_key)
    }

    /// Reads a segment and checks every object's bytes against its stored hash.
    pub async fn read_segment(&self, org: &OrgId, blob_key: &str) -> Result<Segment, SnapshotError> {
        let plaintext = self.get_opened(org, blob_key, BlobKind::Segment).await?;
        segment::decode(blob_key, plaintext)
    }

    /// Seals `manifest` (whole, in memory) at its snapshot's manifest key, in format 2, and returns that key.
    /// The manifest must belong to the key's org and snapshot.
    pub async fn write_manifest(&self, key: &SealingKey, manifest: &Manifest) -> Result<String, SnapshotError> {
        if manifest.org_id != key.org_id || manifest.snapshot_id != key.snapshot_id {
            return Err(SnapshotError::InvalidInput {
                what: format!(
                    "manifest of snapshot {} (org {})",
                    manifest.snapshot_id, manifest.org_id
                ),
                reason: format!(
                    "it must be sealed with its own snapshot's key, not {}'s",
                    key.snapshot_id
                ),
            });
        }
        manifest.validate().map_err(|reason| SnapshotError::InvalidInput {
            what: format!("manifest of snapshot {}", manifest.snapshot_id),
            reason,
        })?;
        stored::write_whole(self, key, manifest).await
    }

    /// The whole manifest of `snapshot`, in memory (every part read): for small snapshots. Large ones are read
    /// a part at a time through [`StoredManifest`].
    pub async fn read_manifest(&self, org: &OrgId, snapshot: &SnapshotId) -> Result<Manifest, SnapshotError> {
        StoredManifest::open(self, org, snapshot).await?.whole(self).await
    }
}

fn key_error(org: &OrgId, snapshot: &SnapshotId, blob_key: Option<&str>, source: KeyError) -> SnapshotError {
    SnapshotError::Key {
        org_id: org.to_string(),
        snapshot_id: snapshot.to_string(),
        blob_key: blob_key.map(str::to_string),
        source,
    }
}

fn index_key_error(org: &OrgId, blob_key: Option<&str>, source: KeyError) -> SnapshotError {
    SnapshotError::Key {
        org_id: org.to_string(),
        snapshot_id: super::sealing_key::INDEX_KEY_ID.to_owned(),
        blob_key: blob_key.map(str::to_string),
        source,
    }
}

fn decompress(blob_key: &str, compressed: &[u8]) -> Result<Vec<u8>, SnapshotError> {
    let decode_error = |reason: String| SnapshotError::Decode {
        key: blob_key.to_string(),
        reason,
    };
    let decoder = zstd::stream::read::Decoder::new(compressed).map_err(|e| decode_error(format!("zstd: {e}")))?;
    let mut out = Vec::new();
    decoder
        .take(MAX_PLAINTEXT + 1)
        .read_to_end(&mut out)
        .map_err(|e| decode_error(format!("zstd: {e}")))?;
    if out.len() as u64 > MAX_PLAINTEXT {
        return Err(decode_error(format!(
            "it decompresses to more than {MAX_PLAINTEXT} bytes"
        )));
    }
    Ok(out)
}
