//! Resources the AWS tests make on moto, as the deployment template makes them.

use aws_config::SdkConfig;
use aws_sdk_s3::types::{
    DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode, ObjectLockRule,
};

use crate::aws::s3_client;
use crate::ports::{LockMode, LockRule};

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

/// The snapshot bucket, with Object Lock's default retention when `lock` is given (as the template makes it).
pub async fn create_bucket(sdk: &SdkConfig, bucket: &str, lock: Option<LockRule>) {
    let s3 = s3_client(sdk);
    s3.create_bucket()
        .bucket(bucket)
        .object_lock_enabled_for_bucket(lock.is_some())
        .send()
        .await
        .unwrap();
    if let Some(rule) = lock {
        let mode = match rule.mode {
            LockMode::Governance => ObjectLockRetentionMode::Governance,
            LockMode::Compliance => ObjectLockRetentionMode::Compliance,
        };
        let retention = DefaultRetention::builder().mode(mode).days(rule.days as i32).build();
        let configuration = ObjectLockConfiguration::builder()
            .object_lock_enabled(ObjectLockEnabled::Enabled)
            .rule(ObjectLockRule::builder().default_retention(retention).build())
            .build();
        s3.put_object_lock_configuration()
            .bucket(bucket)
            .object_lock_configuration(configuration)
            .send()
            .await
            .unwrap();
    }
}
