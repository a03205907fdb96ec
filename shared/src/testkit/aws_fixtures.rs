//! Resources the AWS tests make on moto, as the deployment template makes them.

use aws_config::SdkConfig;

use crate::aws::s3_client;

/// A symmetric KMS key; returns its id.
pub async fn create_key(sdk: &SdkConfig) -> String {
    let kms = aws_sdk_kms::Client::new(sdk);
    let key = kms
        .create_key()
        .description("oktavault envelope key (test)")
        .send()
        .await
        .unwrap();
    key.key_metadata().unwrap().key_id().to_owned()
}

/// The snapshot bucket, with Object Lock on (and no default retention: oktavault locks snapshot blobs as it
/// writes them) when `object_lock`, as the template makes it.
pub async fn create_bucket(sdk: &SdkConfig, bucket: &str, object_lock: bool) {
    s3_client(sdk)
        .create_bucket()
        .bucket(bucket)
        .object_lock_enabled_for_bucket(object_lock)
        .send()
        .await
        .unwrap();
}
