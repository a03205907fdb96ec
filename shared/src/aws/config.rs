//! SDK configuration and clients, built once per process (once per Lambda container) and shared
//! by every invocation: building clients costs TLS and credential setup we must not pay per call.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the SDK configuration the AWS adapters use.
pub struct AwsConfig;

impl AwsConfig {
    /// The standard aws-config chain (environment, profile, container/instance credentials and
    /// region; `AWS_ENDPOINT_URL` is honoured by it), with `endpoint_url` overriding every
    /// service's endpoint when given (tests point it at a loopback moto server).
    pub async fn load(endpoint_url: Option<&str>) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        loader.load().await
    }
}

/// The clients of the services oktavault uses, made from one [`SdkConfig`].
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub s3: aws_sdk_s3::Client,
    pub kms: aws_sdk_kms::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sfn: aws_sdk_sfn::Client,
}

impl AwsClients {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            s3: s3_client(config),
            kms: aws_sdk_kms::Client::new(config),
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sfn: aws_sdk_sfn::Client::new(config),
        }
    }
}

/// An S3 client; path-style addressing when the endpoint is overridden, because a custom
/// endpoint such as `http://127.0.0.1:5000` cannot take the bucket name as a host name prefix.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}
