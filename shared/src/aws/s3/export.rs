//! [`S3ExportStore`]: finished downloads in the snapshot bucket, under `exports/` (which the bucket's lifecycle rule
//! expires), encrypted with SSE-KMS; links to them are presigned GETs made when asked for and never stored.

use std::path::Path;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::config::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use crate::aws::errors::Failure;
use crate::ports::{ExportStore, Link, StoreError, validate_export_key};

/// A link is never valid for less than this: shorter than a person can click.
const SHORTEST_LINK: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct S3ExportStore {
    client: aws_sdk_s3::Client,
    bucket: String,
    kms_key_id: Option<String>,
    /// The credentials the client signs with, to cut a link to their expiry.
    credentials: Option<SharedCredentialsProvider>,
}

impl S3ExportStore {
    /// Exports in `bucket`, encrypted under `kms_key_id` (the AWS-managed key when `None`); links are cut to the
    /// expiry of `credentials` (the client's, from its SDK config) when they have one.
    pub fn new(
        client: aws_sdk_s3::Client,
        bucket: String,
        kms_key_id: Option<String>,
        credentials: Option<SharedCredentialsProvider>,
    ) -> Self {
        Self {
            client,
            bucket,
            kms_key_id,
            credentials,
        }
    }

    fn io_error(&self, operation: &'static str, key: &str, message: String, retryable: bool) -> StoreError {
        StoreError::Io {
            operation,
            key: key.to_owned(),
            message: format!("s3://{}/{key}: {message}", self.bucket),
            retryable,
        }
    }

    /// When the credentials the client signs with end (a role session's), if they do.
    async fn credentials_expiry(&self) -> Option<SystemTime> {
        let provider = self.credentials.as_ref()?;
        provider.provide_credentials().await.ok()?.expiry()
    }
}

/// What a link asked to last `wanted` may last: no longer than the credentials that sign it (a presigned URL
/// stops working when they expire), less a minute to spare; never under [`SHORTEST_LINK`].
pub fn link_validity(wanted: Duration, credentials_expiry: Option<SystemTime>, now: SystemTime) -> Duration {
    let Some(expiry) = credentials_expiry else {
        return wanted;
    };
    let left = expiry
        .duration_since(now)
        .unwrap_or_default()
        .saturating_sub(SHORTEST_LINK);
    wanted.min(left).max(SHORTEST_LINK.min(wanted))
}

/// `attachment; filename="..."` with the characters a header cannot hold in a quoted string replaced.
pub fn content_disposition(file_name: &str) -> String {
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("attachment; filename=\"{safe}\"")
}

#[async_trait]
impl ExportStore for S3ExportStore {
    async fn publish(&self, key: &str, local: &Path) -> Result<(), StoreError> {
        validate_export_key(key)?;
        let body = ByteStream::from_path(local)
            .await
            .map_err(|e| self.io_error("put", key, format!("could not read {}: {e}", local.display()), false))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .set_ssekms_key_id(self.kms_key_id.clone())
            .body(body)
            .send()
            .await
            .map_err(|e| {
                let failure = Failure::from_sdk(&e);
                self.io_error("put", key, failure.message, failure.retryable)
            })?;
        Ok(())
    }

    async fn link(&self, key: &str, file_name: &str, expires: Duration) -> Result<Link, StoreError> {
        validate_export_key(key)?;
        let expires = link_validity(expires, self.credentials_expiry().await, SystemTime::now());
        let presigning =
            PresigningConfig::expires_in(expires).map_err(|e| self.io_error("presign", key, e.to_string(), false))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(content_disposition(file_name))
            .presigned(presigning)
            .await
            .map_err(|e| {
                let failure = Failure::from_sdk(&e);
                self.io_error("presign", key, failure.message, failure.retryable)
            })?;
        Ok(Link {
            url: request.uri().to_owned(),
            expires,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_lasts_no_longer_than_the_credentials_that_sign_it() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = Duration::from_secs(3600);
        assert_eq!(link_validity(hour, None, now), hour, "long-lived credentials");
        assert_eq!(
            link_validity(hour, Some(now + 3 * hour), now),
            hour,
            "a session that outlasts the link"
        );
        assert_eq!(
            link_validity(hour, Some(now + Duration::from_secs(1200)), now),
            Duration::from_secs(1140),
            "a role session ending in 20 minutes, less a minute"
        );
        assert_eq!(
            link_validity(hour, Some(now), now),
            SHORTEST_LINK,
            "never under a minute"
        );
    }

    #[test]
    fn the_file_name_is_a_safe_quoted_attachment() {
        assert_eq!(
            content_disposition("acme.okta.com-2026.zip"),
            "attachment; filename=\"acme.okta.com-2026.zip\""
        );
        assert_eq!(
            content_disposition("a\"b\\c\nd é"),
            "attachment; filename=\"a_b_c_d _\""
        );
    }
}
