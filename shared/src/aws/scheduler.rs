//! [`EventBridgeSchedules`]: each org's backup schedule on EventBridge Scheduler, in the deployment's schedule
//! group, starting the backup state machine with `{"org_id": ..., "trigger": "scheduled"}`.

use async_trait::async_trait;
use aws_lc_rs::digest::{SHA256, digest};
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState as AwsState, Target,
};
use serde_json::Value;
use time::OffsetDateTime;

use crate::aws::errors::Failure;
use crate::ids::OrgId;
use crate::ports::{OrgRecord, ScheduleError, ScheduleState, Schedules, rate_expression};

/// Where the schedules live and what they start.
#[derive(Debug, Clone)]
pub struct EventBridgeSchedules {
    client: aws_sdk_scheduler::Client,
    /// The deployment's schedule group.
    group: String,
    /// The backup state machine.
    state_machine_arn: String,
    /// The role EventBridge Scheduler assumes to call `states:StartExecution`.
    role_arn: String,
}

/// EventBridge Scheduler names: 1 to 64 of `[0-9a-zA-Z-_.]`.
const NAME_LIMIT: usize = 64;

impl EventBridgeSchedules {
    pub fn new(client: aws_sdk_scheduler::Client, group: String, state_machine_arn: String, role_arn: String) -> Self {
        Self {
            client,
            group,
            state_machine_arn,
            role_arn,
        }
    }

    /// The schedule's name: `org-<org id>`, or a digest of the id when that is too long (org ids are already
    /// made of the allowed characters).
    pub fn schedule_name(org: &OrgId) -> String {
        fit(format!("org-{org}"), "org")
    }

    fn error(&self, org: &OrgId, doing: &str, failure: Failure) -> ScheduleError {
        ScheduleError {
            org: org.clone(),
            message: format!("{doing} in group {}: {}", self.group, failure.message),
            retryable: failure.retryable,
        }
    }

    async fn delete(&self, org: &OrgId, name: &str) -> Result<(), ScheduleError> {
        match self
            .client
            .delete_schedule()
            .name(name)
            .group_name(&self.group)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(self.error(org, "deleting the schedule", Failure::from_sdk(&err))),
        }
    }

    fn target(&self, org: &OrgId) -> Result<Target, ScheduleError> {
        let input = serde_json::json!({"org_id": org, "trigger": "scheduled"}).to_string();
        Target::builder()
            .arn(&self.state_machine_arn)
            .role_arn(&self.role_arn)
            .input(input)
            .build()
            .map_err(|e| ScheduleError {
                org: org.clone(),
                message: format!("could not build the schedule's target: {e}"),
                retryable: false,
            })
    }
}

/// `name` when it fits the limit, else `<kind>-` and a digest of it.
fn fit(name: String, kind: &str) -> String {
    if name.len() <= NAME_LIMIT {
        return name;
    }
    let hash = digest(&SHA256, name.as_bytes());
    let hex: String = hash.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}-{hex}")
}

#[async_trait]
impl Schedules for EventBridgeSchedules {
    async fn sync(&self, org: &OrgRecord) -> Result<Option<ScheduleState>, ScheduleError> {
        let name = Self::schedule_name(&org.org_id);
        if org.deleted_at.is_some() {
            self.delete(&org.org_id, &name).await?;
            return Ok(None);
        }
        let expression = rate_expression(org.schedule.every_hours);
        let enabled = org.is_backed_up();
        let state = if enabled { AwsState::Enabled } else { AwsState::Disabled };
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .expect("the mode is set");
        let description = format!("oktavault: back up {} every {} h", org.url, org.schedule.every_hours);
        let created = self
            .client
            .create_schedule()
            .name(&name)
            .group_name(&self.group)
            .schedule_expression(&expression)
            .flexible_time_window(window.clone())
            .state(state.clone())
            .description(&description)
            .target(self.target(&org.org_id)?)
            .send()
            .await;
        match created {
            Ok(_) => {}
            // It exists: an update must give every field again (what it omits is reset).
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conflict_exception()) => {
                self.client
                    .update_schedule()
                    .name(&name)
                    .group_name(&self.group)
                    .schedule_expression(&expression)
                    .flexible_time_window(window)
                    .state(state)
                    .description(&description)
                    .target(self.target(&org.org_id)?)
                    .send()
                    .await
                    .map_err(|err| self.error(&org.org_id, "updating the schedule", Failure::from_sdk(&err)))?;
            }
            Err(err) => return Err(self.error(&org.org_id, "creating the schedule", Failure::from_sdk(&err))),
        }
        Ok(Some(ScheduleState {
            name,
            expression,
            enabled,
        }))
    }

    async fn once(&self, org: &OrgId, name: &str, at: OffsetDateTime, input: Value) -> Result<(), ScheduleError> {
        let name = fit(name.to_owned(), "capture");
        let at = at.to_offset(time::UtcOffset::UTC);
        let expression = format!(
            "at({:04}-{:02}-{:02}T{:02}:{:02}:{:02})",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        );
        let target = Target::builder()
            .arn(&self.state_machine_arn)
            .role_arn(&self.role_arn)
            .input(input.to_string())
            .build()
            .map_err(|e| ScheduleError {
                org: org.clone(),
                message: format!("could not build the capture's target: {e}"),
                retryable: false,
            })?;
        let made = self
            .client
            .create_schedule()
            .name(&name)
            .group_name(&self.group)
            .schedule_expression(&expression)
            .schedule_expression_timezone("UTC")
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .expect("the mode is set"),
            )
            .action_after_completion(ActionAfterCompletion::Delete)
            .description(format!("oktavault: capture of {org}"))
            .target(target)
            .send()
            .await;
        match made {
            Ok(_) => Ok(()),
            // This window's capture is already scheduled.
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conflict_exception()) => Ok(()),
            Err(err) => Err(self.error(org, "scheduling a capture", Failure::from_sdk(&err))),
        }
    }
}
