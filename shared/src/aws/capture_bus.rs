//! [`EventBridgeCaptureBuses`]: an org's partner event bus for its Okta log stream, with a rule that matches admin
//! changes (the event types of `capture::events::ADMIN_CHANGE_PREFIXES`) and targets the capture function.

use async_trait::async_trait;
use aws_sdk_eventbridge::types::{RuleState, Target};
use serde_json::json;

use crate::aws::errors::Failure;
use crate::capture::events::ADMIN_CHANGE_PREFIXES;
use crate::ids::OrgId;
use crate::ports::{CaptureBus, CaptureBusError, CaptureBuses};

/// The rule's name on each org's bus.
pub const CAPTURE_RULE: &str = "oktavault-capture";

#[derive(Debug, Clone)]
pub struct EventBridgeCaptureBuses {
    client: aws_sdk_eventbridge::Client,
    /// The capture function the rule targets.
    function_arn: String,
}

impl EventBridgeCaptureBuses {
    pub fn new(client: aws_sdk_eventbridge::Client, function_arn: String) -> Self {
        Self { client, function_arn }
    }

    /// The rule's pattern: System Log events whose type starts with an admin-change prefix.
    pub fn pattern() -> String {
        let prefixes: Vec<_> = ADMIN_CHANGE_PREFIXES.iter().map(|p| json!({"prefix": p})).collect();
        json!({"detail-type": ["SystemLog"], "detail": {"eventType": prefixes}}).to_string()
    }

    fn error(org: &OrgId, doing: &str, failure: Failure) -> CaptureBusError {
        CaptureBusError {
            org: org.clone(),
            message: format!("{doing}: {}", failure.message),
        }
    }
}

#[async_trait]
impl CaptureBuses for EventBridgeCaptureBuses {
    async fn enable(&self, org: &OrgId, source_name: &str) -> Result<CaptureBus, CaptureBusError> {
        // A partner event source is associated with a bus of the same name.
        let created = self
            .client
            .create_event_bus()
            .name(source_name)
            .event_source_name(source_name)
            .send()
            .await;
        if let Err(err) = created
            && !err
                .as_service_error()
                .is_some_and(|e| e.is_resource_already_exists_exception())
        {
            return Err(Self::error(
                org,
                &format!(
                    "making the event bus of {source_name} (is the source's name exactly as Okta made it, and pending in \
                     this account and region?)"
                ),
                Failure::from_sdk(&err),
            ));
        }
        self.client
            .put_rule()
            .name(CAPTURE_RULE)
            .event_bus_name(source_name)
            .event_pattern(Self::pattern())
            .state(RuleState::Enabled)
            .description(format!("oktavault: admin changes of {org} to the capture function"))
            .send()
            .await
            .map_err(|err| Self::error(org, "putting the capture rule", Failure::from_sdk(&err)))?;
        let target = Target::builder()
            .id("capture")
            .arn(&self.function_arn)
            .build()
            .map_err(|e| CaptureBusError {
                org: org.clone(),
                message: format!("could not build the rule's target: {e}"),
            })?;
        self.client
            .put_targets()
            .rule(CAPTURE_RULE)
            .event_bus_name(source_name)
            .targets(target)
            .send()
            .await
            .map_err(|err| Self::error(org, "targeting the capture function", Failure::from_sdk(&err)))?;
        Ok(CaptureBus {
            bus: source_name.to_owned(),
            rule: CAPTURE_RULE.to_owned(),
        })
    }

    async fn disable(&self, org: &OrgId, source_name: &str) -> Result<(), CaptureBusError> {
        let gone = |failure: &Failure| failure.code.as_deref() == Some("ResourceNotFoundException");
        if let Err(err) = self
            .client
            .remove_targets()
            .rule(CAPTURE_RULE)
            .event_bus_name(source_name)
            .ids("capture")
            .send()
            .await
        {
            let failure = Failure::from_sdk(&err);
            if !gone(&failure) {
                return Err(Self::error(org, "removing the rule's target", failure));
            }
        }
        if let Err(err) = self
            .client
            .delete_rule()
            .name(CAPTURE_RULE)
            .event_bus_name(source_name)
            .send()
            .await
        {
            let failure = Failure::from_sdk(&err);
            if !gone(&failure) {
                return Err(Self::error(org, "deleting the capture rule", failure));
            }
        }
        if let Err(err) = self.client.delete_event_bus().name(source_name).send().await {
            let failure = Failure::from_sdk(&err);
            if !gone(&failure) {
                return Err(Self::error(org, "deleting the event bus", failure));
            }
        }
        Ok(())
    }
}
