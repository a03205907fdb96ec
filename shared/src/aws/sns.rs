//! [`SnsAlerts`]: alerts published to the deployment's SNS topic: the subject for mail subscribers, the alert's
//! JSON as the message for everything else (a chat webhook, a ticket system).

use async_trait::async_trait;

use crate::aws::errors::Failure;
use crate::ports::{Alert, AlertError, Alerts};

/// SNS refuses a subject longer than this.
const SUBJECT_LIMIT: usize = 100;

#[derive(Debug, Clone)]
pub struct SnsAlerts {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsAlerts {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: String) -> Self {
        Self { client, topic_arn }
    }
}

#[async_trait]
impl Alerts for SnsAlerts {
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let failed = |message: String| AlertError {
            kind: alert.kind,
            org: alert.org_id.clone(),
            message,
        };
        let message = serde_json::to_string_pretty(alert).map_err(|e| failed(e.to_string()))?;
        let subject: String = alert
            .subject
            .chars()
            .filter(|c| !c.is_control())
            .take(SUBJECT_LIMIT)
            .collect();
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(message)
            .send()
            .await
            .map_err(|err| {
                failed(format!(
                    "publishing to {}: {}",
                    self.topic_arn,
                    Failure::from_sdk(&err).message
                ))
            })?;
        Ok(())
    }
}
