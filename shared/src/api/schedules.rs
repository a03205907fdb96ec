//! The embedded host's schedules: `oktavault serve` starts each org's scheduled backup when it is due, as
//! EventBridge Scheduler starts the backup state machine on AWS. An org is due every `every_hours` after its last
//! scheduled backup began (`service::orgs::scheduled_backup_due`), so the org card's next run is when it starts.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::launcher::Launch;
use super::routes::held_lease;
use super::{Api, ApiError};
use crate::ids::{JobId, OrgId};
use crate::ports::{BackupTrigger, JobKind};
use crate::service::orgs::scheduled_backup_due;
use crate::timefmt;
use crate::workflow::backup::BackupRequest;

/// How often `oktavault serve` looks for due backups: a schedule runs at most this late.
pub const TICK: Duration = Duration::from_secs(60);

/// Starts the scheduled backup of every org that is due at `now`, and returns the jobs started. An org whose
/// backup holds its lease (a backup now, or the last scheduled one still running) is left for a later tick, as
/// the backup state machine skips a scheduled run on AWS.
pub async fn start_due(api: &Api, now: OffsetDateTime) -> Result<Vec<(OrgId, JobId)>, ApiError> {
    let mut started = Vec::new();
    for org in api.catalog.list_orgs().await? {
        let jobs = api.catalog.list_jobs(&org.org_id, None).await?;
        if !scheduled_backup_due(&org, &jobs, now) {
            continue;
        }
        if held_lease(api, &org.org_id, JobKind::Backup, timefmt::millis(now))
            .await?
            .is_some()
        {
            continue;
        }
        let job_id = JobId::generate(now);
        let request = BackupRequest {
            org_id: org.org_id.clone(),
            job_id: None,
            categories: None,
            full_refresh: false,
            max_iterations: None,
            trigger: BackupTrigger::Scheduled,
            new_job_id: Some(job_id.clone()),
        };
        api.launcher.launch(Launch::Backup(request)).await?;
        tracing::info!(org = %org.org_id, job = %job_id, "scheduled backup started");
        started.push((org.org_id, job_id));
    }
    Ok(started)
}

/// Runs [`start_due`] every `tick` for as long as the server runs; a failed tick is logged and the next one
/// tries again.
pub fn run(api: Arc<Api>, tick: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = start_due(&api, timefmt::now()).await {
                tracing::warn!(error = %e.message, "starting the due scheduled backups failed; the next tick tries again");
            }
        }
    })
}
