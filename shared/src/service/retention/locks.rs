//! Keeping a snapshot's blobs locked for the bucket's lock days from the snapshot, when the store locks blobs
//! (S3 Object Lock with a default retention).
//!
//! A new blob is locked for the rule's days from its write. A snapshot that deduplicates against an older one
//! names that one's segments, whose locks started earlier: without more, they would unlock while the newer
//! snapshot still needs them. Each sweep reads the lock of every segment a remaining snapshot names, and lengthens
//! one that ends too soon to the later of
//!
//! - the newest naming snapshot's time plus the rule's days (what that snapshot's lock promises), and
//! - the sweep's time plus [`GAP`] plus [`SLACK`].
//!
//! The second bound covers the time until the next sweep: a backup between two sweeps only names segments the
//! org's newest snapshot named (it carries from it), and those stay locked past the next sweep, which then
//! lengthens them for the new snapshot. [`GAP`] is two daily sweeps, so one missed sweep loses nothing; [`SLACK`]
//! keeps a long-lived segment from being rewritten every day. A lock is only ever lengthened, in the mode it has.

use std::collections::HashMap;

use time::{Duration, OffsetDateTime};
use tokio::time::Instant;

use super::report::OrgSweep;
use crate::ports::{LockRule, Retention};
use crate::service::ServiceError;
use crate::snapshot::{SnapshotError, Vault};

/// How long a segment a remaining snapshot names must stay locked past a sweep, at least: two daily sweeps.
pub const GAP: Duration = Duration::days(2);
/// How much further a lock is lengthened than it must be, so that it is lengthened about weekly, not daily.
pub const SLACK: Duration = Duration::days(7);

/// The lock a segment needs now, when the newest snapshot that names it was taken at `newest`.
pub fn needed(rule: LockRule, newest: OffsetDateTime, now: OffsetDateTime) -> OffsetDateTime {
    (newest + Duration::days(i64::from(rule.days))).max(now + GAP)
}

/// What a lock that ends before [`needed`] is lengthened to.
pub fn lengthened(rule: LockRule, newest: OffsetDateTime, now: OffsetDateTime) -> OffsetDateTime {
    (newest + Duration::days(i64::from(rule.days))).max(now + GAP + SLACK)
}

/// Lengthens the lock of each segment in `named` (segment key, the newest remaining snapshot's time that names
/// it) that ends too soon. Returns false when `deadline` passed first; the next sweep goes on.
pub(super) async fn extend_locks(
    vault: &Vault,
    named: &HashMap<String, OffsetDateTime>,
    now: OffsetDateTime,
    deadline: Option<Instant>,
    report: &mut OrgSweep,
) -> Result<bool, ServiceError> {
    let blobs = vault.blobs();
    let Some(rule) = blobs.lock_rule().await.map_err(SnapshotError::from)? else {
        return Ok(true);
    };
    let mut keys: Vec<(&String, &OffsetDateTime)> = named.iter().collect();
    keys.sort();
    for (key, newest) in keys {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
        let mode = match blobs.retention(key).await.map_err(SnapshotError::from)? {
            Some(current) if current.until >= needed(rule, *newest, now) => continue,
            Some(current) => current.mode,
            // Unlocked: written before the bucket had its rule. A missing segment is `verify`'s to report.
            None if blobs.exists(key).await.map_err(SnapshotError::from)? => rule.mode,
            None => continue,
        };
        let until = lengthened(rule, *newest, now);
        blobs
            .extend_retention(key, &Retention { mode, until })
            .await
            .map_err(SnapshotError::from)?;
        report.locks_extended += 1;
    }
    Ok(true)
}
