//! S3 Object Lock on the snapshot bucket: one object's lock, and lengthening it. Each snapshot blob is locked as
//! it is written (`S3BlobStore::with_lock`); the bucket has Object Lock on and no default retention, so work
//! documents and the search index, which oktavault rewrites and deletes, leave no locked versions behind.
//!
//! The retention sweep lengthens the lock of a segment a newer snapshot still names (deduplication carries it),
//! so every snapshot's blobs stay locked for the bucket's days from the snapshot, not from the segment's write.
//! HeadObject answers the lock (with `s3:GetObjectRetention`); it is also what moto implements.

use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{ObjectLockMode, ObjectLockRetention, ObjectLockRetentionMode};
use time::OffsetDateTime;

use super::S3BlobStore;
use crate::aws::errors::Failure;
use crate::ports::{LockMode, Retention, StoreError, validate_key};

impl S3BlobStore {
    pub(super) async fn object_retention(&self, key: &str) -> Result<Option<Retention>, StoreError> {
        validate_key(key)?;
        let answer = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(err) => {
                let failure = Failure::from_sdk(&err);
                // HEAD answers carry no body, so a missing object is a bare 404.
                if failure.status == Some(404) {
                    return Ok(None);
                }
                return Err(self.io_error("read the lock of", key, failure));
            }
        };
        let mode = output.object_lock_mode().and_then(|m| lock_mode(m.as_str()));
        let until = output.object_lock_retain_until_date().and_then(offset_date_time);
        Ok(mode.zip(until).map(|(mode, until)| Retention { mode, until }))
    }

    pub(super) async fn lengthen_retention(&self, key: &str, retention: &Retention) -> Result<(), StoreError> {
        validate_key(key)?;
        let mode = match retention.mode {
            LockMode::Governance => ObjectLockRetentionMode::Governance,
            LockMode::Compliance => ObjectLockRetentionMode::Compliance,
        };
        let until = DateTime::from_secs(retention.until.unix_timestamp());
        self.client
            .put_object_retention()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .retention(
                ObjectLockRetention::builder()
                    .mode(mode)
                    .retain_until_date(until)
                    .build(),
            )
            .send()
            .await
            .map_err(|err| self.io_error("extend the lock of", key, Failure::from_sdk(&err)))?;
        Ok(())
    }
}

/// The mode a write or an object's retention is given in.
pub(super) fn object_mode(mode: LockMode) -> ObjectLockMode {
    match mode {
        LockMode::Governance => ObjectLockMode::Governance,
        LockMode::Compliance => ObjectLockMode::Compliance,
    }
}

/// S3 spells modes in capitals (`GOVERNANCE`); both the rule's and the object's mode types say the same words.
fn lock_mode(name: &str) -> Option<LockMode> {
    match name {
        n if n == ObjectLockMode::Governance.as_str() => Some(LockMode::Governance),
        n if n == ObjectLockMode::Compliance.as_str() => Some(LockMode::Compliance),
        _ => None,
    }
}

fn offset_date_time(at: &DateTime) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(at.secs()).ok()
}
