//! Multipart uploads for large blobs (big segments): one request per part, a few at a time,
//! then one CompleteMultipartUpload that makes the object appear whole or not at all. Any
//! failure aborts the upload so no orphaned parts keep costing storage.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use futures::{StreamExt, TryStreamExt};

use super::{S3BlobStore, WriteMode};
use crate::aws::errors::Failure;
use crate::ports::{BlobStore, StoreError};

/// S3 refuses parts below 5 MiB (except the last one).
const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// S3 allows at most 10,000 parts per upload.
const MAX_PARTS: usize = 10_000;

/// When and how a blob is uploaded in parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartPolicy {
    /// Blobs larger than this many bytes go up in parts.
    pub threshold: usize,
    /// Bytes per part (every part but the last); raised to S3's 5 MiB minimum when lower.
    pub part_size: usize,
    /// Parts in flight at once: bounds the memory of request bodies and the connections used.
    pub concurrency: usize,
}

impl Default for MultipartPolicy {
    /// Parts of 8 MiB for blobs above 8 MiB, four at a time.
    fn default() -> Self {
        Self {
            threshold: 8 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            concurrency: 4,
        }
    }
}

impl MultipartPolicy {
    pub(crate) fn applies_to(&self, len: usize) -> bool {
        len > self.threshold
    }

    /// The part size used for a blob of `len` bytes: at least S3's minimum, and large enough to
    /// stay within S3's part count limit.
    fn part_size_for(&self, len: usize) -> usize {
        self.part_size.max(MIN_PART_SIZE).max(len.div_ceil(MAX_PARTS))
    }
}

/// Uploads `bytes` to `key` in parts. `Ok(false)` when `mode` is `IfAbsent` and the object
/// already existed (checked before uploading, and again atomically at completion).
pub(crate) async fn upload(store: &S3BlobStore, key: &str, bytes: &[u8], mode: WriteMode) -> Result<bool, StoreError> {
    // Cheap early answer: no point sending megabytes that completion would refuse.
    if mode == WriteMode::IfAbsent && store.exists(key).await? {
        return Ok(false);
    }
    let object_key = store.object_key(key);
    let (lock_mode, lock_until) = store.lock_for(key).unzip();
    let created = store
        .client
        .create_multipart_upload()
        .bucket(&store.bucket)
        .key(&object_key)
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .set_ssekms_key_id(store.kms_key_id.clone())
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .set_object_lock_mode(lock_mode)
        .set_object_lock_retain_until_date(lock_until)
        .send()
        .await
        .map_err(|err| store.io_error("put (start multipart upload)", key, Failure::from_sdk(&err)))?;
    let upload_id = created.upload_id().ok_or_else(|| StoreError::Io {
        operation: "put (start multipart upload)",
        key: key.to_string(),
        message: format!("{}: S3 answered without an upload id", store.location(key)),
        retryable: true,
    })?;

    let outcome = upload_parts_and_complete(store, key, &object_key, upload_id, bytes, mode).await;
    if !matches!(outcome, Ok(true)) {
        abort(store, key, &object_key, upload_id).await;
    }
    outcome
}

async fn upload_parts_and_complete(
    store: &S3BlobStore,
    key: &str,
    object_key: &str,
    upload_id: &str,
    bytes: &[u8],
    mode: WriteMode,
) -> Result<bool, StoreError> {
    let part_size = store.multipart.part_size_for(bytes.len());
    // The futures are made up front (they do nothing until polled) so the stream holds plain
    // futures rather than a closure over borrowed chunks, which keeps the whole write `Send`.
    let uploads: Vec<_> = bytes
        .chunks(part_size)
        .enumerate()
        .map(|(index, chunk)| upload_part(store, key, object_key, upload_id, index, chunk))
        .collect();
    let parts: Vec<CompletedPart> = futures::stream::iter(uploads)
        .buffered(store.multipart.concurrency.max(1))
        .try_collect()
        .await?;

    let mut complete = store
        .client
        .complete_multipart_upload()
        .bucket(&store.bucket)
        .key(object_key)
        .upload_id(upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build());
    if mode == WriteMode::IfAbsent {
        complete = complete.if_none_match("*");
    }
    store.write_outcome(mode, "put (complete multipart upload)", key, complete.send().await)
}

async fn upload_part(
    store: &S3BlobStore,
    key: &str,
    object_key: &str,
    upload_id: &str,
    index: usize,
    chunk: &[u8],
) -> Result<CompletedPart, StoreError> {
    // Part numbers start at 1; MAX_PARTS keeps them well inside i32.
    let part_number = index as i32 + 1;
    let output = store
        .client
        .upload_part()
        .bucket(&store.bucket)
        .key(object_key)
        .upload_id(upload_id)
        .part_number(part_number)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from(chunk.to_vec()))
        .send()
        .await
        .map_err(|err| store.io_error("put (upload part)", key, Failure::from_sdk(&err)))?;
    Ok(CompletedPart::builder()
        .part_number(part_number)
        .set_e_tag(output.e_tag().map(str::to_string))
        .set_checksum_crc32(output.checksum_crc32().map(str::to_string))
        .build())
}

/// Best effort: a failed abort leaves parts that a bucket lifecycle rule
/// (`AbortIncompleteMultipartUpload`) removes; the write's own error is what the caller needs.
async fn abort(store: &S3BlobStore, key: &str, object_key: &str, upload_id: &str) {
    if let Err(err) = store
        .client
        .abort_multipart_upload()
        .bucket(&store.bucket)
        .key(object_key)
        .upload_id(upload_id)
        .send()
        .await
    {
        tracing::warn!(
            key,
            bucket = %store.bucket,
            error = %Failure::from_sdk(&err).message,
            "could not abort a failed multipart upload; a lifecycle rule must remove its parts"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_respects_the_s3_minimum_and_part_count_limit() {
        let policy = MultipartPolicy {
            threshold: 1,
            part_size: 1024,
            concurrency: 1,
        };
        assert_eq!(policy.part_size_for(10), MIN_PART_SIZE);
        let huge = 100_000 * MIN_PART_SIZE;
        assert!(huge.div_ceil(policy.part_size_for(huge)) <= MAX_PARTS);
        assert!(MultipartPolicy::default().applies_to(8 * 1024 * 1024 + 1));
        assert!(!MultipartPolicy::default().applies_to(8 * 1024 * 1024));
    }
}
