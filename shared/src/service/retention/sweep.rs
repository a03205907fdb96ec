//! Deleting what a [`RetentionPlan`] expires, as a mark-and-sweep that may stop anywhere and is finished by the
//! next run.
//!
//! For each expired snapshot, in this order:
//!
//! 1. Its mark `orgs/<org>/expired/<snapshot>` is written. The catalog record is how a sweep finds a snapshot;
//!    the mark is how it finds one whose record is already gone. It also makes the decision final: a policy
//!    changed before the next run cannot bring back a snapshot some of whose blobs may already be deleted.
//! 2. Its catalog record is deleted. From then on nothing lists or opens the snapshot (the timeline, `latest`,
//!    search, restore and the next backup all start from the catalog), so its blobs can go in any order.
//! 3. Mark: every segment key named by the manifest of every snapshot the catalog still lists, and of every
//!    snapshot an active job reads or builds on, is read. A snapshot whose manifest cannot be read stops the
//!    sweep of the org before anything is deleted: what it needs is unknown.
//!    On a bucket with Object Lock, each marked segment's lock is then lengthened as far as the newest
//!    snapshot that names it needs (`locks.rs`), every sweep, expired snapshots or not.
//! 4. It is forgotten in the org's search index. (With nothing expired, the index's deltas are folded into its
//!    base once enough wait.)
//! 5. Sweep: the snapshot's own segments (`orgs/<org>/segments/<snapshot>/`) that the mark does not hold are
//!    deleted (a later snapshot that deduplicated against it still names the rest), then its manifest blobs.
//!    A snapshot an active job still reads keeps its blobs and its mark until a later run.
//! 6. Its mark is deleted, last.
//!
//! A run that stops after any delete leaves marks behind; the next run finds them (before planning anything new),
//! deletes the records again (a missing one is no error), recomputes the mark from the catalog as it is then, and
//! deletes only what that mark does not hold. Every step is safe to repeat, and a blob a remaining snapshot needs
//! is never deleted. A running backup's own segments are under its own snapshot, never an expired one's.

use std::collections::{BTreeSet, HashMap};

use time::OffsetDateTime;
use tokio::time::Instant;

use super::in_use::{InUse, active_jobs};
use super::locks::extend_locks;
use super::plan::{RetentionPlan, decide};
use super::report::OrgSweep;
use crate::ids::{OrgId, SnapshotId};
use crate::ports::{Catalog, OrgRecord, SnapshotRecord};
use crate::service::ServiceError;
use crate::snapshot::{SnapshotError, SnapshotReader, Vault, keys};
use crate::{search, timefmt};

/// What retention writes in an expired snapshot's mark: enough for a person who finds one to know what it is.
#[derive(serde::Serialize)]
struct ExpiredMark<'a> {
    snapshot_id: &'a SnapshotId,
    reason: &'a str,
    at: String,
}

/// Applies retention to one org at `now`, stopping (to be resumed by the next run) when `deadline` passes.
pub async fn sweep(
    catalog: &dyn Catalog,
    vault: &Vault,
    org: &OrgId,
    now: OffsetDateTime,
    deadline: Option<Instant>,
) -> Result<OrgSweep, ServiceError> {
    let record = catalog
        .get_org(org)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no org {org} in the catalog")))?;
    let mut report = OrgSweep::new(org.clone());
    match sweep_org(catalog, vault, &record, now, deadline, &mut report).await {
        Ok(()) => Ok(report),
        Err(e) => {
            report.error = Some(e.to_string());
            Err(e)
        }
    }
}

/// [`sweep`] of an org already read, filling `report` as it goes (so a failure still reports what was done).
pub(super) async fn sweep_org(
    catalog: &dyn Catalog,
    vault: &Vault,
    org: &OrgRecord,
    now: OffsetDateTime,
    deadline: Option<Instant>,
    report: &mut OrgSweep,
) -> Result<(), ServiceError> {
    let org_id = &org.org_id;
    let in_use = InUse::of(org_id, &active_jobs(catalog).await?);
    let records = catalog.list_snapshots(org_id).await?;
    let plan = decide(org, &records, &in_use, now);
    report.expired = plan.expire.iter().map(|s| s.snapshot_id.clone()).collect();

    // A run that stopped half way left marks: those snapshots are finished first, whatever the plan says now.
    let mut doomed: BTreeSet<SnapshotId> = pending_marks(vault, org_id).await?;
    for expired in &plan.expire {
        if out_of_time(deadline) {
            report.finished = false;
            return Ok(());
        }
        let mark = ExpiredMark {
            snapshot_id: &expired.snapshot_id,
            reason: &expired.reason,
            at: plan.at.clone(),
        };
        let bytes = serde_json::to_vec(&mark).expect("a mark serializes");
        vault
            .blobs()
            .put(&keys::expired(org_id, &expired.snapshot_id), bytes)
            .await
            .map_err(SnapshotError::from)?;
        doomed.insert(expired.snapshot_id.clone());
    }
    for snapshot in &doomed {
        catalog.delete_snapshot(org_id, snapshot).await?;
    }
    report.records_deleted = doomed.len();
    let remaining = catalog.list_snapshots(org_id).await?;
    let marked = mark(vault, org_id, &remaining, &doomed, &in_use, now, deadline).await?;
    let Some(marked) = marked else {
        report.finished = false;
        return Ok(());
    };
    let named: HashMap<String, OffsetDateTime> = marked
        .iter()
        .filter_map(|(key, newest)| newest.map(|at| (key.clone(), at)))
        .collect();
    if !extend_locks(vault, &named, now, deadline, report).await? {
        report.finished = false;
        return Ok(());
    }
    report.search_compacted = forget_in_search(vault, org_id, &remaining, &doomed).await?;
    for snapshot in &doomed {
        if let Some(why) = in_use.snapshots.get(snapshot) {
            report.deferred.insert(snapshot.clone(), why.clone());
            continue;
        }
        if !delete_snapshot_blobs(vault, org_id, snapshot, &marked, deadline, report).await? {
            report.finished = false;
            return Ok(());
        }
        report.snapshots_deleted.push(snapshot.clone());
    }
    if report.deferred.is_empty() && remaining.is_empty() {
        purge_if_planned(vault, &plan, &in_use, deadline, report).await?;
    }
    Ok(())
}

/// The snapshots whose marks a stopped run left.
async fn pending_marks(vault: &Vault, org: &OrgId) -> Result<BTreeSet<SnapshotId>, ServiceError> {
    let prefix = keys::expired_prefix(org);
    let mut pending = BTreeSet::new();
    for key in vault.blobs().list(&prefix).await.map_err(SnapshotError::from)? {
        let name = key.strip_prefix(&prefix).unwrap_or(&key);
        let snapshot = SnapshotId::new(name).map_err(|e| {
            ServiceError::Invalid(format!(
                "blob {key} is not a retention mark ({e}); remove it by hand, it is not oktavault's"
            ))
        })?;
        pending.insert(snapshot);
    }
    Ok(pending)
}

/// Forgets the doomed snapshots in the org's search index: loading it over the remaining records drops every
/// snapshot the catalog no longer lists, and the base is written once; then each doomed delta goes. With nothing
/// doomed, the deltas are folded into the base once enough wait: backups only add deltas, and this is where they
/// are compacted. Returns whether the base was written.
async fn forget_in_search(
    vault: &Vault,
    org: &OrgId,
    remaining: &[SnapshotRecord],
    doomed: &BTreeSet<SnapshotId>,
) -> Result<bool, ServiceError> {
    let Some(first) = doomed.first() else {
        return Ok(search::compact_if_due(vault, org, remaining).await?.is_some());
    };
    // Forgetting `first` deletes its delta; the others' deltas go here.
    search::forget_snapshot(vault, org, remaining, first).await?;
    for snapshot in doomed.iter().skip(1) {
        search::delta::delete(vault, org, snapshot).await?;
    }
    Ok(true)
}

/// Every segment key a remaining snapshot's manifest names, with the time of the newest such snapshot, and those
/// of the doomed snapshots an active job reads or builds on (a job that started before their records went may
/// still carry their objects), with no time unless a remaining snapshot names them too. `None` when the deadline
/// passed first.
async fn mark(
    vault: &Vault,
    org: &OrgId,
    remaining: &[SnapshotRecord],
    doomed: &BTreeSet<SnapshotId>,
    in_use: &InUse,
    now: OffsetDateTime,
    deadline: Option<Instant>,
) -> Result<Option<Marked>, ServiceError> {
    let mut marked = Marked::new();
    let held = in_use.snapshots.keys().filter(|s| doomed.contains(*s));
    // A record whose time does not parse counts as taken now: its segments then stay locked the longest.
    let readers: Vec<(&SnapshotId, Option<OffsetDateTime>)> = remaining
        .iter()
        .map(|r| {
            (
                &r.snapshot_id,
                Some(timefmt::parse_rfc3339(&r.created_at).unwrap_or(now)),
            )
        })
        .chain(held.map(|s| (s, None)))
        .collect();
    for (snapshot, taken) in readers {
        let listed = taken.is_some();
        if out_of_time(deadline) {
            return Ok(None);
        }
        let reader = match SnapshotReader::open(vault.clone(), org, snapshot).await {
            Ok(reader) => reader,
            // A doomed snapshot whose manifest is already gone names nothing any more.
            Err(SnapshotError::Missing { .. }) if !listed => continue,
            Err(e) => return Err(unreadable(snapshot, e)),
        };
        for segment in reader.named_segments().await.map_err(|e| unreadable(snapshot, e))? {
            let newest = marked.entry(segment).or_insert(taken);
            *newest = (*newest).max(taken);
        }
    }
    Ok(Some(marked))
}

/// Segment key -> the time of the newest remaining snapshot that names it (`None`: only a held, doomed one does).
type Marked = HashMap<String, Option<OffsetDateTime>>;

fn unreadable(snapshot: &SnapshotId, e: SnapshotError) -> ServiceError {
    ServiceError::Invalid(format!(
        "the manifest of snapshot {snapshot} cannot be read ({e}), so which segments it needs is unknown and no \
         segment of this org was deleted; run `oktavault verify {snapshot}` (if the cause was transient, the next \
         sweep goes on)"
    ))
}

/// Deletes a doomed snapshot's unmarked segments, its manifest blobs and then its mark. Returns false when the
/// deadline passed first (what is left is finished by the next run).
async fn delete_snapshot_blobs(
    vault: &Vault,
    org: &OrgId,
    snapshot: &SnapshotId,
    marked: &Marked,
    deadline: Option<Instant>,
    report: &mut OrgSweep,
) -> Result<bool, ServiceError> {
    let blobs = vault.blobs();
    let segments = blobs
        .list(&keys::segments_prefix(org, snapshot))
        .await
        .map_err(SnapshotError::from)?;
    for key in segments {
        if marked.contains_key(&key) {
            report.segments_kept += 1;
            continue;
        }
        if out_of_time(deadline) {
            return Ok(false);
        }
        blobs.delete(&key).await.map_err(SnapshotError::from)?;
        report.segments_deleted += 1;
    }
    let manifest = blobs
        .list(&keys::snapshot_prefix(org, snapshot))
        .await
        .map_err(SnapshotError::from)?;
    for key in manifest {
        if out_of_time(deadline) {
            return Ok(false);
        }
        blobs.delete(&key).await.map_err(SnapshotError::from)?;
        report.other_blobs_deleted += 1;
    }
    blobs
        .delete(&keys::expired(org, snapshot))
        .await
        .map_err(SnapshotError::from)?;
    Ok(true)
}

/// Deletes every remaining blob of an org that is no longer backed up and has no snapshot left.
async fn purge_if_planned(
    vault: &Vault,
    plan: &RetentionPlan,
    in_use: &InUse,
    deadline: Option<Instant>,
    report: &mut OrgSweep,
) -> Result<(), ServiceError> {
    if !plan.purge || !in_use.jobs.is_empty() {
        return Ok(());
    }
    let blobs = vault.blobs();
    for key in blobs
        .list(&keys::org_prefix(&plan.org_id))
        .await
        .map_err(SnapshotError::from)?
    {
        if out_of_time(deadline) {
            report.finished = false;
            return Ok(());
        }
        blobs.delete(&key).await.map_err(SnapshotError::from)?;
        report.other_blobs_deleted += 1;
    }
    report.purged = true;
    Ok(())
}

fn out_of_time(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}
