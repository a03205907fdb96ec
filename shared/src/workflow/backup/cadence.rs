//! Categories read on a cadence in time ([`Incremental::OnCadence`]: linked-object values). Okta logs no event
//! for a link change and the spec does not say that a link moves the user's `lastUpdated`, so no cheaper signal
//! tells which values changed: they are read again when the last read is `linked_objects_every_days` old (the
//! org's setting, a week by default), on `--full` and on the periodic full refresh, and carried in between.
//! Measured in time, not in snapshots, so hourly schedules and captures do not make them more expensive.
//!
//! The decision is made once per job and kept in the job's work area, so every BackupPage call and FinalizeBackup
//! agree on it even if the org's setting changes meanwhile; the snapshot records it per category ([`AsOf`]).

use std::sync::Arc;

use time::Duration;

use super::previous::Previous;
use crate::categories::{Category, Incremental};
use crate::ports::JobRecord;
use crate::snapshot::{AsOf, BlobKind, SnapshotError, keys};
use crate::timefmt;
use crate::workflow::job::sealing_key;
use crate::workflow::{StepContext, StepError};

/// How often linked-object values are read again when the org does not say.
pub const DEFAULT_EVERY_DAYS: u32 = 7;

fn blob_key(job: &JobRecord, category: &Category) -> String {
    format!(
        "{}cadence-{}",
        keys::work_prefix(&job.org_id, &job.job_id),
        category.name
    )
}

/// `Some(as_of)` when `category`'s values are carried in `job` from the snapshot that last read them; `None` when
/// they are read (not a cadence category, `--full` or a full refresh, nothing to carry, or the cadence is due).
pub(crate) async fn carried_as_of(
    ctx: &StepContext,
    job: &JobRecord,
    category: &'static Category,
    previous: Option<&Arc<Previous>>,
) -> Result<Option<AsOf>, StepError> {
    // Nothing to carry: read, with no decision to keep.
    let held = previous.filter(|p| !job.full_refresh && p.backed_up(category.name).is_some());
    let Some(previous) = held.filter(|_| category.incremental == Incremental::OnCadence) else {
        return Ok(None);
    };
    let key = blob_key(job, category);
    match ctx.vault.get_opened(&job.org_id, &key, BlobKind::Work).await {
        Ok(bytes) => return decode(&key, &bytes),
        Err(SnapshotError::Missing { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let every = match ctx.catalog.get_org(&job.org_id).await? {
        Some(org) => org.schedule.linked_objects_every_days,
        None => DEFAULT_EVERY_DAYS,
    };
    let read = previous
        .backed_up(category.name)
        .and_then(|held| held.as_of.clone())
        .unwrap_or_else(|| AsOf {
            snapshot_id: previous.snapshot_id().clone(),
            read_at: previous.created_at().to_owned(),
        });
    let decided = (!due(&read, &job.created_at, Duration::days(i64::from(every)))).then_some(read);
    let bytes =
        serde_json::to_vec(&decided).map_err(|e| StepError::fatal(format!("could not encode a cadence: {e}")))?;
    let sealing = sealing_key(ctx, job).await?;
    if ctx
        .vault
        .put_sealed_if_absent(&sealing, &key, BlobKind::Work, &bytes)
        .await?
    {
        return Ok(decided);
    }
    let bytes = ctx.vault.get_opened(&job.org_id, &key, BlobKind::Work).await?;
    decode(&key, &bytes)
}

/// Whether values last read as `read` must be read again by a job started at `job_start`: they are `every` old
/// (or the times cannot be read). An `every` of zero reads them on every backup.
fn due(read: &AsOf, job_start: &str, every: Duration) -> bool {
    match (timefmt::parse_rfc3339(&read.read_at), timefmt::parse_rfc3339(job_start)) {
        (Some(read_at), Some(now)) => now - read_at >= every,
        _ => true,
    }
}

fn decode(key: &str, bytes: &[u8]) -> Result<Option<AsOf>, StepError> {
    serde_json::from_slice(bytes).map_err(|e| StepError::fatal(format!("the job's cadence {key} is unreadable: {e}")))
}

/// What the job decided for `category`, for FinalizeBackup: `Some(as_of)` when its values were carried.
pub(crate) async fn recorded(
    ctx: &StepContext,
    job: &JobRecord,
    category: &'static Category,
) -> Result<Option<AsOf>, StepError> {
    if category.incremental != Incremental::OnCadence {
        return Ok(None);
    }
    let key = blob_key(job, category);
    match ctx.vault.get_opened(&job.org_id, &key, BlobKind::Work).await {
        Ok(bytes) => decode(&key, &bytes),
        Err(SnapshotError::Missing { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SnapshotId;

    #[test]
    fn values_are_carried_for_a_week_after_their_read_however_many_snapshots_come_between() {
        let read = AsOf {
            snapshot_id: SnapshotId::new("s1").unwrap(),
            read_at: "2026-03-01T12:00:00Z".into(),
        };
        let week = Duration::days(7);
        assert!(!due(&read, "2026-03-01T13:00:00Z", week), "an hour later");
        assert!(
            !due(&read, "2026-03-08T11:59:59Z", week),
            "a second before the week ends"
        );
        assert!(due(&read, "2026-03-08T12:00:00Z", week), "the week is over");
        assert!(
            due(&read, "2026-03-01T12:00:00Z", Duration::ZERO),
            "zero days: every backup"
        );
        let unreadable = AsOf {
            read_at: "yesterday".into(),
            ..read
        };
        assert!(
            due(&unreadable, "2026-03-01T13:00:00Z", week),
            "an unreadable time reads them again"
        );
    }
}
