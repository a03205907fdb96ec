//! The capture function's Lambda host: EventBridge rules on the orgs' partner event buses invoke it with one
//! event each; it records the admin change and schedules the org's capture ([`super::handle`]).

use std::sync::Arc;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

use crate::aws::{AwsConfig, EventBridgeSchedules};
use crate::lambda::{Adapters, Error, LambdaSettings, StartupError};
use crate::ports::{BlobStore, Catalog, Schedules};

/// The deployment's schedule group, where captures are scheduled.
pub const ENV_SCHEDULE_GROUP: &str = "OKTAVAULT_SCHEDULE_GROUP";
/// The role EventBridge Scheduler assumes to start the backup state machine.
pub const ENV_SCHEDULER_ROLE_ARN: &str = "OKTAVAULT_SCHEDULER_ROLE_ARN";
/// The backup state machine a capture starts.
pub const ENV_BACKUP_STATE_MACHINE_ARN: &str = "OKTAVAULT_BACKUP_STATE_MACHINE_ARN";

/// Handles one invocation's payload; an error only when the catalog, the bucket or the scheduler failed (EventBridge
/// then retries the event, which is recorded once however often it comes).
pub async fn handle_event(
    catalog: &dyn Catalog,
    blobs: &dyn BlobStore,
    schedules: &dyn Schedules,
    payload: &Value,
) -> Result<Value, Diagnostic> {
    let report = super::handle(catalog, blobs, schedules, payload, crate::timefmt::now())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "capture failed");
            Diagnostic {
                error_type: "OktaVault.Retryable".into(),
                error_message: e.to_string(),
            }
        })?;
    for why in &report.ignored {
        tracing::info!(why = %why, "event ignored");
    }
    tracing::info!(
        recorded = report.recorded,
        repeated = report.repeated,
        "capture events handled"
    );
    Ok(serde_json::to_value(&report).expect("the capture report serializes"))
}

/// Runs the capture function's runtime loop. Returns only when the container cannot start.
pub async fn serve() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let settings = LambdaSettings::from_env().inspect_err(|e| tracing::error!("cannot start: {e}"))?;
    let required = |name: &'static str, what: &'static str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or(StartupError::Missing { name, what })
    };
    let group = required(ENV_SCHEDULE_GROUP, "EventBridge Scheduler group for captures")?;
    let role = required(
        ENV_SCHEDULER_ROLE_ARN,
        "role EventBridge Scheduler assumes to start backups",
    )?;
    let machine = required(ENV_BACKUP_STATE_MACHINE_ARN, "backup state machine a capture starts")?;
    let config = AwsConfig::load(None).await;
    let adapters = Adapters::from_config(&config, &settings);
    let schedules: Arc<dyn Schedules> = Arc::new(EventBridgeSchedules::new(
        aws_sdk_scheduler::Client::new(&config),
        group,
        machine,
        role,
    ));
    let (catalog, blobs) = (adapters.catalog, adapters.blobs);
    tracing::info!("oktavault capture ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (catalog, blobs, schedules) = (catalog.clone(), blobs.clone(), schedules.clone());
        async move { handle_event(catalog.as_ref(), blobs.as_ref(), schedules.as_ref(), &event.payload).await }
    }))
    .await
}
