//! [`S3BlobStore`]: the [`BlobStore`] port on an S3 bucket.
//!
//! - Keys are deterministic: `<prefix>/<key>` (or `<key>` without a prefix), so a repeated
//!   write of a page lands on the same object.
//! - Every write asks for SSE-KMS: a second layer under the project's own sealing, so a bucket
//!   policy or a leaked object alone never exposes data in plain text.
//! - `put_if_absent` is a conditional write (`If-None-Match: *`), race-free across Lambdas.
//! - Blobs above a threshold go up as a multipart upload ([`multipart`]).

mod export;
mod lock;
mod multipart;

use async_trait::async_trait;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

pub use export::{S3ExportStore, content_disposition, link_validity};
pub use multipart::MultipartPolicy;

use crate::aws::errors::Failure;
use crate::ports::{BlobStore, LockRule, Retention, StoreError, validate_key};

/// The [`BlobStore`] on S3. Cheap to clone: the SDK client is shared.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: aws_sdk_s3::Client,
    bucket: String,
    /// The KMS key for SSE-KMS; `None` uses the account's AWS-managed `aws/s3` key.
    kms_key_id: Option<String>,
    /// Without surrounding `/`; every object key starts with it and a `/`.
    prefix: Option<String>,
    multipart: MultipartPolicy,
    /// S3 Object Lock on the blobs it applies to, set on each write (see [`S3BlobStore::with_lock`]).
    lock: Option<ObjectLocking>,
}

/// Which blobs a store locks as it writes them, and how.
#[derive(Debug, Clone, Copy)]
pub struct ObjectLocking {
    pub rule: LockRule,
    /// Whether a blob key is locked (the snapshot blobs: `snapshot::keys::is_snapshot_blob`).
    pub applies_to: fn(&str) -> bool,
}

/// Whether a write may replace an existing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteMode {
    Replace,
    IfAbsent,
}

impl S3BlobStore {
    /// A store on `bucket`, encrypting every object with SSE-KMS under `kms_key_id` (or the
    /// AWS-managed key when `None`), keeping every object under `prefix` when one is given.
    pub fn new(client: aws_sdk_s3::Client, bucket: String, kms_key_id: Option<String>, prefix: Option<String>) -> Self {
        let prefix = prefix
            .map(|p| p.trim_matches('/').to_string())
            .filter(|p| !p.is_empty());
        Self {
            client,
            bucket,
            kms_key_id,
            prefix,
            multipart: MultipartPolicy::default(),
            lock: None,
        }
    }

    /// Locks each blob `locking` applies to for its rule's days from the write (PutObject's Object Lock
    /// headers), on a bucket with Object Lock on. Blobs it does not apply to (work documents, the search index)
    /// are written unlocked, so rewriting and deleting them leaves no locked versions behind.
    pub fn with_lock(mut self, locking: ObjectLocking) -> Self {
        self.lock = Some(locking);
        self
    }

    /// The lock a write of `key` gets now, if any.
    pub(crate) fn lock_for(
        &self,
        key: &str,
    ) -> Option<(aws_sdk_s3::types::ObjectLockMode, aws_sdk_s3::primitives::DateTime)> {
        let locking = self.lock.filter(|l| (l.applies_to)(key))?;
        let until = time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(locking.rule.days));
        Some((
            lock::object_mode(locking.rule.mode),
            aws_sdk_s3::primitives::DateTime::from_secs(until.unix_timestamp()),
        ))
    }

    /// Replaces when and how large blobs are uploaded in parts.
    pub fn with_multipart(mut self, policy: MultipartPolicy) -> Self {
        self.multipart = policy;
        self
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The S3 object key of a blob key.
    pub fn object_key(&self, key: &str) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}/{key}"),
            None => key.to_string(),
        }
    }

    /// The blob key of an S3 object key, when the object is one of this store's.
    fn blob_key<'a>(&self, object_key: &'a str) -> Option<&'a str> {
        match &self.prefix {
            Some(prefix) => object_key.strip_prefix(prefix.as_str())?.strip_prefix('/'),
            None => Some(object_key),
        }
    }

    fn location(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.object_key(key))
    }

    fn io_error(&self, operation: &'static str, key: &str, failure: Failure) -> StoreError {
        StoreError::Io {
            operation,
            key: key.to_string(),
            message: format!("{}: {}", self.location(key), failure.message),
            retryable: failure.retryable,
        }
    }

    /// Writes `bytes` in one request or in parts; `Ok(false)` when `mode` is `IfAbsent` and an
    /// object was already there.
    async fn write(&self, key: &str, bytes: Vec<u8>, mode: WriteMode) -> Result<bool, StoreError> {
        validate_key(key)?;
        if self.multipart.applies_to(bytes.len()) {
            return multipart::upload(self, key, &bytes, mode).await;
        }
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .set_ssekms_key_id(self.kms_key_id.clone())
            .body(ByteStream::from(bytes));
        if mode == WriteMode::IfAbsent {
            request = request.if_none_match("*");
        }
        if let Some((lock_mode, until)) = self.lock_for(key) {
            request = request.object_lock_mode(lock_mode).object_lock_retain_until_date(until);
        }
        self.write_outcome(mode, "put", key, request.send().await)
    }
}

/// S3 answers a conditional write whose object exists with 412 PreconditionFailed, and one
/// that raced another conditional write of the same key with 409 ConditionalRequestConflict:
/// either way another writer owns the key, so this write did not happen.
impl S3BlobStore {
    /// What a write's answer means: written (`true`), lost an `If-None-Match` race (`false`),
    /// or an error naming the operation and the key.
    pub(crate) fn write_outcome<T, E>(
        &self,
        mode: WriteMode,
        operation: &'static str,
        key: &str,
        answer: Result<T, SdkError<E>>,
    ) -> Result<bool, StoreError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match answer {
            Ok(_) => Ok(true),
            Err(err) => {
                let failure = Failure::from_sdk(&err);
                if mode == WriteMode::IfAbsent && lost_conditional_write(&failure) {
                    Ok(false)
                } else {
                    Err(self.io_error(operation, key, failure))
                }
            }
        }
    }
}

pub(crate) fn lost_conditional_write(failure: &Failure) -> bool {
    failure.status == Some(412)
        || failure.has_code("PreconditionFailed")
        || failure.has_code("ConditionalRequestConflict")
        || (failure.status == Some(409) && failure.code.is_none())
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.write(key, bytes, WriteMode::Replace).await.map(|_| ())
    }

    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        self.write(key, bytes, WriteMode::IfAbsent).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        validate_key(key)?;
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) if matches!(err.as_service_error(), Some(GetObjectError::NoSuchKey(_))) => return Ok(None),
            Err(err) => return Err(self.io_error("get", key, Failure::from_sdk(&err))),
        };
        // The body streams in chunks; collecting it here is the one copy the port's
        // `Vec<u8>` needs.
        let body = output.body.collect().await.map_err(|e| StoreError::Io {
            operation: "get",
            key: key.to_string(),
            message: format!(
                "{}: the object's body broke off while reading: {}",
                self.location(key),
                aws_sdk_s3::error::DisplayErrorContext(&e)
            ),
            retryable: true,
        })?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        validate_key(key)?;
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if matches!(err.as_service_error(), Some(HeadObjectError::NotFound(_))) => Ok(false),
            Err(err) => {
                let failure = Failure::from_sdk(&err);
                // HEAD answers carry no body, so a 404 may arrive without an error code.
                if failure.status == Some(404) {
                    Ok(false)
                } else {
                    Err(self.io_error("exists", key, failure))
                }
            }
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let object_prefix = match &self.prefix {
            Some(base) => format!("{base}/{prefix}"),
            None => prefix.to_string(),
        };
        let mut keys = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&object_prefix)
                .set_continuation_token(continuation.take())
                .send()
                .await
                .map_err(|err| self.io_error("list", prefix, Failure::from_sdk(&err)))?;
            for object in page.contents() {
                // Objects that are not blob keys (put there by hand or another tool) are not
                // this store's blobs: listing them would hand callers keys `get` refuses.
                if let Some(key) = object.key().and_then(|k| self.blob_key(k))
                    && validate_key(key).is_ok()
                {
                    keys.push(key.to_string());
                }
            }
            match page.next_continuation_token() {
                Some(token) if page.is_truncated() == Some(true) => continuation = Some(token.to_string()),
                _ => break,
            }
        }
        keys.sort();
        Ok(keys)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        validate_key(key)?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .send()
            .await
            .map_err(|err| self.io_error("delete", key, Failure::from_sdk(&err)))?;
        Ok(())
    }

    async fn lock_rule(&self) -> Result<Option<LockRule>, StoreError> {
        Ok(self.lock.map(|locking| locking.rule))
    }

    async fn retention(&self, key: &str) -> Result<Option<Retention>, StoreError> {
        self.object_retention(key).await
    }

    async fn extend_retention(&self, key: &str, retention: &Retention) -> Result<(), StoreError> {
        self.lengthen_retention(key, retention).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(prefix: Option<&str>) -> S3BlobStore {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .build();
        S3BlobStore::new(
            aws_sdk_s3::Client::from_conf(config),
            "bucket".into(),
            None,
            prefix.map(str::to_string),
        )
    }

    #[test]
    fn object_keys_carry_the_prefix_once_and_round_trip() {
        let s = store(Some("/tenants/acme/"));
        assert_eq!(s.object_key("snapshots/a.seg"), "tenants/acme/snapshots/a.seg");
        assert_eq!(s.blob_key("tenants/acme/snapshots/a.seg"), Some("snapshots/a.seg"));
        assert_eq!(s.blob_key("tenants/acmex/a"), None);
        assert_eq!(s.blob_key("other/a"), None);
        let bare = store(Some(""));
        assert_eq!(bare.object_key("a/b"), "a/b");
        assert_eq!(bare.blob_key("a/b"), Some("a/b"));
    }
}
