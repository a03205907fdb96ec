//! One writer per job: every step holds the job's lease (see [`Lease`]) while it writes, taking it at the start
//! and renewing it as it goes. A runner that stops (a killed process, a stopped execution) stops renewing; once
//! its lease expires, or at once when it was a process of this machine that has ended, the next runner takes the
//! job over. A step that finds its lease taken over stops without writing ([`StepErrorKind::Superseded`]).

use std::time::Duration;

use super::runner::is_dead_local_runner;
use super::{StepContext, StepError, StepErrorKind};
use crate::ids::{JobId, OrgId};
use crate::ports::{CatalogError, JobKind, Lease};
use crate::timefmt;

/// How long a lease lasts without renewal: longer than any one step (a Lambda runs at most 15 minutes, the
/// functions' timeout is 5) plus the state machine's retry waits between steps (about 2 minutes at most).
pub const LEASE_TTL: Duration = Duration::from_secs(10 * 60);

/// A step renews its lease when this much of it has passed.
pub const RENEW_AFTER: Duration = Duration::from_secs(3 * 60);

fn lease(org: &OrgId, kind: JobKind, job: &JobId, owner: &str, now_ms: i64) -> Lease {
    Lease {
        org_id: org.clone(),
        kind,
        job_id: job.clone(),
        owner: owner.to_owned(),
        expires_at_ms: now_ms + LEASE_TTL.as_millis() as i64,
    }
}

/// Takes the lease of the org's `kind` job for `job` and `owner`: free, expired, already ours, or held by a
/// process of this machine that has ended. Otherwise the error says which job runs and until when.
pub async fn take(ctx: &StepContext, org: &OrgId, kind: JobKind, job: &JobId, owner: &str) -> Result<(), StepError> {
    let now = timefmt::now_millis();
    match ctx.catalog.acquire_lease(&lease(org, kind, job, owner, now), now).await {
        Err(CatalogError::LeaseHeld { lease: held }) if is_dead_local_runner(&held.owner) => {
            tracing::info!(job = %held.job_id, owner = %held.owner, "taking over the lease of a runner that ended");
            // Judged at the dead runner's expiry, its lease is expired: the conditional write still refuses if
            // anyone else took it meanwhile.
            let at = held.expires_at_ms.max(now);
            ctx.catalog.acquire_lease(&lease(org, kind, job, owner, at), at).await?;
            Ok(())
        }
        Err(CatalogError::LeaseHeld { lease: held }) => {
            Err(StepError::fatal(CatalogError::LeaseHeld { lease: held }.to_string()))
        }
        other => Ok(other?),
    }
}

/// Renews the lease a running step holds for `job`. A lease taken over by another runner stops this one.
pub async fn renew(ctx: &StepContext, org: &OrgId, kind: JobKind, job: &JobId, owner: &str) -> Result<(), StepError> {
    let now = timefmt::now_millis();
    match ctx.catalog.acquire_lease(&lease(org, kind, job, owner, now), now).await {
        Err(CatalogError::LeaseHeld { lease: held }) => Err(StepError::of_kind(
            StepErrorKind::Superseded,
            format!(
                "job {job}: runner {} took the job over (its lease runs until {}); this runner ({owner}) stops",
                held.owner,
                held.expires_at()
            ),
        )),
        other => Ok(other?),
    }
}

/// Whether `owner` may still write the job: it holds the lease, or nobody holds a live one.
pub async fn may_write(ctx: &StepContext, org: &OrgId, kind: JobKind, owner: &str) -> Result<bool, StepError> {
    let now = timefmt::now_millis();
    Ok(match ctx.catalog.get_lease(org, kind).await? {
        Some(held) => held.owner == owner || !held.is_live(now) || is_dead_local_runner(&held.owner),
        None => true,
    })
}

/// The live lease another runner holds on the org's `kind` job, if any: what a scheduled run that must not
/// wait for it checks first.
pub async fn held_by_other(
    ctx: &StepContext,
    org: &OrgId,
    kind: JobKind,
    owner: &str,
) -> Result<Option<Lease>, StepError> {
    let now = timefmt::now_millis();
    Ok(ctx
        .catalog
        .get_lease(org, kind)
        .await?
        .filter(|held| held.owner != owner && held.is_live(now) && !is_dead_local_runner(&held.owner)))
}

pub async fn release(ctx: &StepContext, org: &OrgId, kind: JobKind, owner: &str) -> Result<(), StepError> {
    ctx.catalog.release_lease(org, kind, owner).await?;
    Ok(())
}
