//! One reading of an SDK failure for every adapter: a message for a person and whether trying
//! again later can succeed. The adapters turn this into their port's error type.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Error codes AWS services use for "slow down" and transient faults, whatever the status.
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "KMSInternalException",
    "DependencyTimeoutException",
    "TransactionInProgressException",
];

/// An SDK failure reduced to what the ports need.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// The error code the service sent (`NoSuchKey`, `ConditionalCheckFailedException`, ...).
    pub code: Option<String>,
    /// The HTTP status of the service's answer, when there was one.
    pub status: Option<u16>,
    pub message: String,
    pub retryable: bool,
}

impl Failure {
    pub(crate) fn from_sdk<E>(err: &SdkError<E>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match err {
            // The request never got an answer or the answer broke off: the network or the
            // service is in trouble, and a later attempt can go through.
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => Failure {
                code: None,
                status: None,
                message: DisplayErrorContext(err).to_string(),
                retryable: true,
            },
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let code = service.err().code().map(str::to_string);
                let transient_code = code.as_deref().is_some_and(|c| TRANSIENT_CODES.contains(&c));
                // The service's own code and message; the SDK's full rendering would dump the
                // raw response (headers, request ids) into a message meant for a person.
                let message = match (code.as_deref(), service.err().message()) {
                    (Some(code), Some(text)) => format!("{code}: {text} (HTTP {status})"),
                    (Some(code), None) => format!("{code} (HTTP {status})"),
                    (None, _) => format!("HTTP {status} without an error code"),
                };
                Failure {
                    retryable: status >= 500 || status == 429 || transient_code,
                    code,
                    status: Some(status),
                    message,
                }
            }
            // Building the request failed: the same input fails the same way next time.
            _ => Failure {
                code: None,
                status: None,
                message: DisplayErrorContext(err).to_string(),
                retryable: false,
            },
        }
    }

    pub(crate) fn has_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::http::HttpResponse;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::primitives::SdkBody;

    fn service_error(status: u16, code: &str) -> SdkError<ErrorMetadata> {
        let meta = ErrorMetadata::builder().code(code).message("from the test").build();
        let raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        SdkError::service_error(meta, raw)
    }

    #[test]
    fn throttling_and_server_errors_are_retryable_client_errors_are_not() {
        assert!(Failure::from_sdk(&service_error(503, "SlowDown")).retryable);
        assert!(Failure::from_sdk(&service_error(500, "Whatever")).retryable);
        assert!(Failure::from_sdk(&service_error(400, "ThrottlingException")).retryable);
        assert!(Failure::from_sdk(&service_error(429, "TooMany")).retryable);
        let denied = Failure::from_sdk(&service_error(403, "AccessDenied"));
        assert!(!denied.retryable);
        assert!(denied.has_code("AccessDenied"));
        assert_eq!(denied.status, Some(403));
        assert_eq!(denied.message, "AccessDenied: from the test (HTTP 403)");
    }

    #[test]
    fn a_request_that_got_no_answer_is_retryable() {
        let err: SdkError<ErrorMetadata> = SdkError::timeout_error("took too long");
        assert!(Failure::from_sdk(&err).retryable);
        let err: SdkError<ErrorMetadata> = SdkError::construction_failure("bad input");
        assert!(!Failure::from_sdk(&err).retryable);
    }
}
