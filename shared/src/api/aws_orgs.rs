//! The org routes' hosting on AWS: each org's schedule on EventBridge Scheduler, its capture bus on EventBridge,
//! from the API function's environment.

use std::sync::Arc;

use aws_config::SdkConfig;

use super::OrgHosting;
use crate::aws::{EventBridgeCaptureBuses, EventBridgeSchedules};
use crate::lambda::StartupError;
use crate::okta::OrgUrlPolicy;

/// The schedule group orgs' schedules live in.
pub const ENV_SCHEDULE_GROUP: &str = "OKTAVAULT_SCHEDULE_GROUP";
/// The role EventBridge Scheduler assumes to start backups.
pub const ENV_SCHEDULER_ROLE_ARN: &str = "OKTAVAULT_SCHEDULER_ROLE_ARN";
/// The capture function an org's capture rule targets.
pub const ENV_CAPTURE_FUNCTION_ARN: &str = "OKTAVAULT_CAPTURE_FUNCTION_ARN";

/// The hosting from `lookup` (an environment); `backup_machine` is the state machine schedules start.
pub fn aws_org_hosting(
    config: &SdkConfig,
    lookup: impl Fn(&str) -> Option<String>,
    backup_machine: &str,
    allow_local_orgs: bool,
) -> Result<OrgHosting, StartupError> {
    let get = |name: &'static str, what: &'static str| {
        lookup(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or(StartupError::Missing { name, what })
    };
    let group = get(
        ENV_SCHEDULE_GROUP,
        "EventBridge Scheduler group of the orgs' backup schedules",
    )?;
    let role = get(
        ENV_SCHEDULER_ROLE_ARN,
        "role EventBridge Scheduler assumes to start backups",
    )?;
    let capture = get(ENV_CAPTURE_FUNCTION_ARN, "ARN of the capture function")?;
    let region = config
        .region()
        .map_or_else(|| "unknown region".to_owned(), |r| r.to_string());
    Ok(OrgHosting {
        schedules: Arc::new(EventBridgeSchedules::new(
            aws_sdk_scheduler::Client::new(config),
            group,
            backup_machine.to_owned(),
            role,
        )),
        capture: Arc::new(EventBridgeCaptureBuses::new(
            aws_sdk_eventbridge::Client::new(config),
            capture,
        )),
        storage: format!("AWS {region}"),
        url_policy: OrgUrlPolicy {
            allow_local: allow_local_orgs,
            allow_custom_domain: false,
        },
    })
}
