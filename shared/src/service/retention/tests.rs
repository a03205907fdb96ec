//! The retention rules on plain records, and the sweep over snapshots written with the real writer and vault on an
//! in-memory blob store and the embedded catalog.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::*;
use crate::ids::{JobId, SnapshotId};
use crate::local::LocalCatalog;
use crate::ports::{
    AuthKind, BackupTrigger, BlobStore, DownloadSpec, JobKind, JobRecord, JobStatus, OnConflict, RestoreSpec,
    SnapshotRecord, StoreError,
};
use crate::snapshot::tests::fakes::{MasterKeyProvider, MemoryStore};
use crate::snapshot::{CanonicalObject, Location, ManifestWriter, ObjectHash, SnapshotReader, id_order, keys};
use crate::{search, timefmt};

fn now() -> OffsetDateTime {
    timefmt::parse_rfc3339("2026-11-28T12:00:00Z").unwrap()
}

fn org_id() -> OrgId {
    OrgId::new("acme.okta.com").unwrap()
}

fn org(policy: RetentionPolicy) -> OrgRecord {
    let mut org = OrgRecord::new(
        org_id(),
        "https://acme.okta.com".into(),
        AuthKind::ApiToken,
        None,
        "2025-01-01T00:00:00Z".into(),
    );
    org.retention = policy;
    org
}

fn policy(days: Option<u32>, count: Option<u32>) -> RetentionPolicy {
    RetentionPolicy { days, count }
}

/// A snapshot record `age_days` old (plus `n` seconds, so ids and times stay distinct and ordered).
fn record(n: u32, age_days: i64, trigger: BackupTrigger) -> SnapshotRecord {
    let created = now() - Duration::days(age_days) + Duration::seconds(i64::from(n));
    SnapshotRecord {
        snapshot_id: snapshot_id(created, n),
        org_id: org_id(),
        job_id: JobId::new(format!("job-{n}")).unwrap(),
        created_at: timefmt::rfc3339(created),
        manifest_key: String::new(),
        counts: BTreeMap::new(),
        status: JobStatus::Completed,
        full_refresh: false,
        as_of: Default::default(),
        previous: None,
        changes: None,
        lacks: Vec::new(),
        trigger,
    }
}

fn snapshot_id(created: OffsetDateTime, n: u32) -> SnapshotId {
    SnapshotId::new(format!("{}-{n:04}", timefmt::compact(created))).unwrap()
}

fn expired(plan: &RetentionPlan) -> Vec<SnapshotId> {
    let mut ids: Vec<SnapshotId> = plan.expire.iter().map(|s| s.snapshot_id.clone()).collect();
    ids.sort();
    ids
}

fn ids(records: &[&SnapshotRecord]) -> Vec<SnapshotId> {
    let mut ids: Vec<SnapshotId> = records.iter().map(|r| r.snapshot_id.clone()).collect();
    ids.sort();
    ids
}

fn reason<'a>(plan: &'a RetentionPlan, snapshot: &SnapshotId) -> &'a str {
    plan.keep
        .iter()
        .chain(&plan.expire)
        .find(|s| s.snapshot_id == *snapshot)
        .map(|s| s.reason.as_str())
        .unwrap()
}

fn job(kind: JobKind, status: JobStatus) -> JobRecord {
    JobRecord {
        status,
        ..JobRecord::new(JobId::generate(now()), org_id(), kind, timefmt::rfc3339(now()))
    }
}

// ---------------------------------------------------------------------------------------------
// The rules

#[test]
fn snapshots_older_than_the_days_expire() {
    let snapshots = [
        record(1, 100, BackupTrigger::Scheduled),
        record(2, 40, BackupTrigger::Manual),
        record(3, 10, BackupTrigger::Scheduled),
        record(4, 1, BackupTrigger::Scheduled),
    ];
    let plan = decide(&org(policy(Some(30), None)), &snapshots, &InUse::default(), now());
    assert_eq!(expired(&plan), ids(&[&snapshots[0], &snapshots[1]]), "{plan}");
    assert_eq!(reason(&plan, &snapshots[0].snapshot_id), "older than 30 days");
    assert_eq!(reason(&plan, &snapshots[2].snapshot_id), "within 30 days");
    assert!(!plan.purge);
}

#[test]
fn scheduled_and_manual_snapshots_beyond_the_count_expire_and_captures_are_not_counted() {
    let snapshots = [
        record(1, 5, BackupTrigger::Scheduled),
        record(2, 4, BackupTrigger::Manual),
        record(3, 3, BackupTrigger::Capture),
        record(4, 3, BackupTrigger::Scheduled),
        record(5, 2, BackupTrigger::Capture),
        record(6, 1, BackupTrigger::Scheduled),
    ];
    let plan = decide(&org(policy(None, Some(2))), &snapshots, &InUse::default(), now());
    assert_eq!(expired(&plan), ids(&[&snapshots[0], &snapshots[1]]), "{plan}");
    assert_eq!(
        reason(&plan, &snapshots[0].snapshot_id),
        "beyond the newest 2 scheduled and manual snapshots"
    );
    assert_eq!(
        reason(&plan, &snapshots[2].snapshot_id),
        "a capture, which is kept by age only"
    );
}

#[test]
fn captures_go_by_age_only() {
    let snapshots = [
        record(1, 40, BackupTrigger::Capture),
        record(2, 20, BackupTrigger::Capture),
        record(3, 10, BackupTrigger::Scheduled),
        record(4, 2, BackupTrigger::Scheduled),
    ];
    let plan = decide(&org(policy(Some(30), Some(1))), &snapshots, &InUse::default(), now());
    // The old capture by age, the second scheduled one by count; the younger capture stays whatever the count.
    assert_eq!(expired(&plan), ids(&[&snapshots[0], &snapshots[2]]), "{plan}");
    assert!(
        plan.keep.iter().any(|s| s.snapshot_id == snapshots[1].snapshot_id),
        "{plan}"
    );
}

#[test]
fn the_newest_snapshot_of_an_org_still_backed_up_is_never_deleted() {
    let snapshots = [
        record(1, 300, BackupTrigger::Scheduled),
        record(2, 200, BackupTrigger::Capture),
        record(3, 100, BackupTrigger::Scheduled),
    ];
    let plan = decide(&org(policy(Some(30), Some(1))), &snapshots, &InUse::default(), now());
    assert_eq!(expired(&plan), ids(&[&snapshots[0], &snapshots[1]]), "{plan}");
    assert_eq!(
        reason(&plan, &snapshots[2].snapshot_id),
        "the newest snapshot of an org that is still backed up"
    );

    // The org's last snapshot (what its next backup builds on) is kept too, even when a newer record exists.
    let mut with_last = org(policy(Some(30), None));
    with_last.last_snapshot = Some(snapshots[1].snapshot_id.clone());
    let plan = decide(&with_last, &snapshots, &InUse::default(), now());
    assert_eq!(expired(&plan), ids(&[&snapshots[0]]), "{plan}");
}

#[test]
fn snapshots_that_active_jobs_read_or_build_on_are_kept() {
    let snapshots: Vec<SnapshotRecord> = (1..=6)
        .map(|n| record(n, 400 - i64::from(n), BackupTrigger::Scheduled))
        .collect();
    let other_org = OrgId::new("other.okta.com").unwrap();

    let mut backup = job(JobKind::Backup, JobStatus::Running);
    backup.previous_snapshot = Some(snapshots[0].snapshot_id.clone());
    let mut restore = job(JobKind::Restore, JobStatus::Running);
    restore.org_id = other_org.clone();
    restore.restore = Some(RestoreSpec {
        source_org: org_id(),
        snapshot_id: snapshots[1].snapshot_id.clone(),
        selection: vec!["all".into()],
        on_conflict: OnConflict::Skip,
        relationships: false,
        activate: false,
        dry_run: false,
        confirmed: false,
        leave_rule_memberships: false,
        confirmation_token: None,
        plan_key: snapshots[1].snapshot_id.clone(),
    });
    let mut download = job(JobKind::Download, JobStatus::Running);
    download.download = Some(DownloadSpec {
        snapshot_id: snapshots[3].snapshot_id.clone(),
        snapshots: vec![snapshots[2].snapshot_id.clone(), snapshots[3].snapshot_id.clone()],
        selection: vec!["all".into()],
        relationships: false,
        format: "json".into(),
        path: None,
        export_key: None,
        file_name: "x.json".into(),
        piece_key: snapshots[3].snapshot_id.clone(),
    });
    let mut resumable = job(JobKind::Backup, JobStatus::Failed);
    resumable.resumable = true;
    resumable.previous_snapshot = Some(snapshots[4].snapshot_id.clone());
    // A finished job and another org's backup hold nothing.
    let mut finished = job(JobKind::Download, JobStatus::Completed);
    finished.snapshot_id = Some(snapshots[5].snapshot_id.clone());
    let mut elsewhere = job(JobKind::Backup, JobStatus::Running);
    elsewhere.org_id = other_org;
    elsewhere.previous_snapshot = Some(snapshots[5].snapshot_id.clone());

    let in_use = InUse::of(&org_id(), &[backup, restore, download, resumable, finished, elsewhere]);
    let mut deleted = org(policy(Some(30), None));
    deleted.deleted_at = Some("2026-01-01T00:00:00Z".into());
    let plan = decide(&deleted, &snapshots, &in_use, now());
    assert_eq!(expired(&plan), ids(&[&snapshots[5]]), "{plan}");
    assert!(
        reason(&plan, &snapshots[0].snapshot_id).contains("running backup job"),
        "{plan}"
    );
    assert!(
        reason(&plan, &snapshots[1].snapshot_id).contains("running restore job"),
        "{plan}"
    );
    assert!(
        reason(&plan, &snapshots[2].snapshot_id).contains("running download job"),
        "{plan}"
    );
    assert!(
        reason(&plan, &snapshots[4].snapshot_id).contains("resumable backup job"),
        "{plan}"
    );
    assert!(!plan.purge);
}

#[test]
fn a_deleted_or_disabled_org_is_swept_to_nothing_once_no_job_works_on_it() {
    let snapshots = [
        record(1, 100, BackupTrigger::Scheduled),
        record(2, 50, BackupTrigger::Scheduled),
    ];
    let mut deleted = org(policy(Some(30), None));
    deleted.deleted_at = Some("2026-06-01T00:00:00Z".into());
    let mut disabled = org(policy(Some(30), None));
    disabled.backup_enabled = false;
    for record in [deleted, disabled] {
        let plan = decide(&record, &snapshots, &InUse::default(), now());
        assert_eq!(expired(&plan), ids(&[&snapshots[0], &snapshots[1]]), "{plan}");
        assert!(plan.purge && plan.keep.is_empty(), "{plan}");

        let mut working = job(JobKind::Restore, JobStatus::Running);
        working.restore = None;
        let plan = decide(&record, &snapshots, &InUse::of(&org_id(), &[working]), now());
        assert!(!plan.purge, "a restore into the org holds its blobs: {plan}");
        assert!(plan.purge_held.as_deref().unwrap().contains("restore job"), "{plan}");
    }
    // The same snapshots of an org still backed up: the newest stays, nothing is purged.
    let plan = decide(&org(policy(Some(30), None)), &snapshots, &InUse::default(), now());
    assert_eq!(expired(&plan), ids(&[&snapshots[0]]), "{plan}");
    assert!(!plan.purge);
}

#[test]
fn a_policy_that_keeps_everything_expires_nothing() {
    let snapshots = [
        record(1, 3000, BackupTrigger::Scheduled),
        record(2, 1, BackupTrigger::Capture),
    ];
    let plan = decide(&org(policy(None, None)), &snapshots, &InUse::default(), now());
    assert!(plan.expire.is_empty(), "{plan}");
    assert_eq!(
        reason(&plan, &snapshots[0].snapshot_id),
        "the policy keeps every snapshot"
    );
}

#[test]
fn limits_are_whole_numbers_from_one_or_none() {
    assert_eq!(parse_limit("--days", "30").unwrap(), Some(30));
    assert_eq!(parse_limit("--days", "None").unwrap(), None);
    for bad in ["0", "-1", "a week", ""] {
        let err = parse_limit("--count", bad).unwrap_err().to_string();
        assert!(err.contains("--count") && err.contains("none"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// The sweep

/// An org with snapshots written by the real writer; each later one carries the unchanged users of the one before
/// (their bytes stay in the earlier snapshot's segment) and writes the changed ones to a segment of its own.
struct World {
    _dir: tempfile::TempDir,
    store: Arc<MemoryStore>,
    vault: Vault,
    catalog: Arc<LocalCatalog>,
    org: OrgId,
    at: HashMap<ObjectHash, Location>,
}

impl World {
    async fn new(policy: RetentionPolicy) -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryStore::default());
        let world = World {
            vault: Vault::new(store.clone(), Arc::new(MasterKeyProvider::new())),
            catalog: Arc::new(LocalCatalog::open(dir.path().join("catalog")).unwrap()),
            _dir: dir,
            store,
            org: org_id(),
            at: HashMap::new(),
        };
        world.catalog.put_org(&org(policy)).await.unwrap();
        world
    }

    /// Four snapshots a day apart: users 1..=4, then user 1 changes each time and user 2 once, so the first
    /// snapshot's segment stays named by every later one and the second's by none after the third.
    async fn four_snapshots(policy: RetentionPolicy) -> (World, Vec<SnapshotId>) {
        let mut world = World::new(policy).await;
        let mut snapshots = Vec::new();
        for (n, versions) in [[1, 1, 1, 1], [2, 1, 1, 1], [3, 2, 1, 1], [4, 2, 1, 1]]
            .into_iter()
            .enumerate()
        {
            let users: Vec<Value> = versions
                .iter()
                .enumerate()
                .map(|(i, v)| user(i as u32 + 1, *v))
                .collect();
            snapshots.push(world.snapshot(n as u32 + 1, &users).await);
        }
        (world, snapshots)
    }

    async fn snapshot(&mut self, n: u32, users: &[Value]) -> SnapshotId {
        let created = now() - Duration::days(10 - i64::from(n));
        let id = snapshot_id(created, n);
        let key = self.vault.new_sealing_key(&self.org, &id).await.unwrap();
        let mut objects: Vec<CanonicalObject> = users
            .iter()
            .map(|u| CanonicalObject::new(u["id"].as_str().unwrap().to_owned(), None, u))
            .collect();
        objects.sort_by(|a, b| id_order(&a.id, &b.id));
        let fresh: Vec<CanonicalObject> = objects
            .iter()
            .filter(|o| !self.at.contains_key(&o.hash))
            .cloned()
            .collect();
        if !fresh.is_empty() {
            let segment = self.vault.write_page_segment(&key, "users", 0, &fresh).await.unwrap();
            for (index, o) in fresh.iter().enumerate() {
                let at = Location {
                    segment_key: segment.clone(),
                    index: index as u32,
                };
                self.at.insert(o.hash, at);
            }
        }
        let previous = self.records().await.last().map(|r| r.snapshot_id.clone());
        let job_id = JobId::new(format!("job-{n}")).unwrap();
        let mut writer = ManifestWriter::new(
            &self.vault,
            &key,
            job_id.clone(),
            timefmt::rfc3339(created),
            previous.clone(),
        );
        writer.begin("users", Vec::new()).await.unwrap();
        for o in &objects {
            writer
                .push(o.id.clone(), o.hash, None, &self.at[&o.hash])
                .await
                .unwrap();
        }
        let manifest_key = writer.finish().await.unwrap();
        let mut record = record(n, 0, BackupTrigger::Scheduled);
        record.snapshot_id = id.clone();
        record.created_at = timefmt::rfc3339(created);
        record.job_id = job_id;
        record.manifest_key = manifest_key;
        record.previous = previous;
        self.catalog.put_snapshot(&record).await.unwrap();
        self.catalog.advance_last_snapshot(&self.org, &id).await.unwrap();
        search::index_snapshot(&self.vault, &self.org, &self.records().await, &id)
            .await
            .unwrap();
        id
    }

    async fn records(&self) -> Vec<SnapshotRecord> {
        self.catalog.list_snapshots(&self.org).await.unwrap()
    }

    async fn remaining(&self) -> Vec<SnapshotId> {
        self.records().await.into_iter().map(|r| r.snapshot_id).collect()
    }

    fn keys(&self) -> BTreeSet<String> {
        futures::executor::block_on(self.store.list(""))
            .unwrap()
            .into_iter()
            .collect()
    }

    /// A vault over the same blobs whose deletes fail after `allowed` of them, and that store (it counts deletes).
    fn failing_after(&self, allowed: usize) -> (Vault, Arc<FailingDeletes>) {
        let failing = Arc::new(FailingDeletes {
            inner: self.store.clone(),
            allowed,
            done: AtomicUsize::new(0),
        });
        (Vault::new(failing.clone(), Arc::new(MasterKeyProvider::new())), failing)
    }

    async fn sweep(&self, vault: &Vault) -> Result<SweepReport, ServiceError> {
        let report = sweep_all(self.catalog.as_ref(), vault, None, now(), None).await?;
        match report.orgs[0].error.clone() {
            Some(e) => Err(ServiceError::Invalid(e)),
            None => Ok(report),
        }
    }

    /// Every remaining snapshot opens and every object it names is in a segment, as `oktavault verify` checks.
    async fn assert_remaining_verify(&self) {
        for snapshot in self.remaining().await {
            let reader = SnapshotReader::open(self.vault.clone(), &self.org, &snapshot)
                .await
                .unwrap();
            let report = reader.verify().await;
            assert!(report.is_ok(), "{report}");
            assert_eq!(report.objects_checked, 4, "{report}");
        }
    }

    /// The segments the manifests of `snapshots` name.
    async fn named_segments(&self, snapshots: &[SnapshotId]) -> BTreeSet<String> {
        let mut named = BTreeSet::new();
        for snapshot in snapshots {
            let reader = SnapshotReader::open(self.vault.clone(), &self.org, snapshot)
                .await
                .unwrap();
            named.extend(reader.part("users", 0).await.unwrap().segments.iter().cloned());
        }
        named
    }
}

fn user(n: u32, version: u32) -> Value {
    json!({"id": format!("00u{n}"), "profile": {"login": format!("user{n}@acme.test"), "title": format!("v{version}")}})
}

/// The master key is fixed, so a second provider opens what the first sealed.
struct FailingDeletes {
    inner: Arc<MemoryStore>,
    allowed: usize,
    done: AtomicUsize,
}

#[async_trait]
impl BlobStore for FailingDeletes {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.inner.put(key, bytes).await
    }
    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        self.inner.put_if_absent(key, bytes).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key).await
    }
    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.exists(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list(prefix).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        if self.done.fetch_add(1, Ordering::SeqCst) >= self.allowed {
            return Err(StoreError::Io {
                operation: "delete",
                key: key.to_owned(),
                message: "the process stopped here (test)".into(),
                retryable: true,
            });
        }
        self.inner.delete(key).await
    }
}

#[tokio::test]
async fn a_sweep_that_expires_nothing_folds_the_search_deltas_into_the_base_once_enough_wait() {
    let mut world = World::new(policy(None, None)).await;
    let mut snapshots = Vec::new();
    for n in 1..=search::store::COMPACT_AFTER as u32 {
        snapshots.push(world.snapshot(n, &[user(1, n), user(2, 1)]).await);
        if n == 2 {
            let report = world.sweep(&world.vault).await.unwrap();
            assert!(
                !report.orgs[0].search_compacted,
                "two deltas are not worth a rewrite: {report}"
            );
        }
    }
    assert!(
        !world.keys().contains(&keys::search_base(&world.org)),
        "backups never compact"
    );
    let report = world.sweep(&world.vault).await.unwrap();
    assert!(report.orgs[0].search_compacted, "{report}");
    assert!(report.orgs[0].expired.is_empty(), "{report}");
    let left = world.keys();
    assert!(left.contains(&keys::search_base(&world.org)));
    assert!(
        !left.iter().any(|k| k.contains("/search/delta")),
        "every delta is in the base now: {left:?}"
    );
    let loaded = search::load(&world.vault, &world.org, &world.records().await)
        .await
        .unwrap();
    assert!(loaded.reindexed.is_empty(), "{:?}", loaded.reindexed);
    assert_eq!(loaded.index.snapshots(), &snapshots[..]);
    assert_eq!(loaded.index.versions_of("users", "00u1").len(), snapshots.len());
}

#[tokio::test]
async fn a_sweep_deletes_expired_snapshots_and_only_the_segments_no_remaining_snapshot_names() {
    let (world, snapshots) = World::four_snapshots(policy(None, Some(2))).await;
    let later = world.named_segments(&snapshots[2..]).await;
    let first_two: BTreeSet<String> = world
        .keys()
        .into_iter()
        .filter(|k| {
            k.starts_with(&keys::segments_prefix(&world.org, &snapshots[0]))
                || k.starts_with(&keys::segments_prefix(&world.org, &snapshots[1]))
        })
        .collect();
    let (still_named, unnamed): (BTreeSet<String>, BTreeSet<String>) =
        first_two.iter().cloned().partition(|k| later.contains(k));
    assert!(
        !still_named.is_empty() && !unnamed.is_empty(),
        "the world dedups and changes: {first_two:?}"
    );

    let report = world.sweep(&world.vault).await.unwrap();
    assert_eq!(report.snapshots_deleted, 2, "{report}");
    assert_eq!(report.segments_deleted, unnamed.len(), "{report}");
    assert!(report.finished, "{report}");
    assert_eq!(world.remaining().await, snapshots[2..].to_vec());
    let left = world.keys();
    for key in &still_named {
        assert!(left.contains(key), "{key}, named by a later snapshot, is kept");
    }
    for key in &unnamed {
        assert!(!left.contains(key), "{key}, named by no remaining snapshot, is deleted");
    }
    for snapshot in &snapshots[..2] {
        let prefix = keys::snapshot_prefix(&world.org, snapshot);
        assert!(
            !left.iter().any(|k| k.starts_with(&prefix)),
            "the manifest of {snapshot} is deleted"
        );
        assert!(!left.contains(&keys::expired(&world.org, snapshot)), "no mark is left");
        assert!(!left.contains(&keys::search_delta(&world.org, snapshot)));
        let parts = keys::search_delta_parts_prefix(&world.org, snapshot);
        assert!(
            !left.iter().any(|k| k.starts_with(&parts)),
            "no part of its delta is left"
        );
    }
    world.assert_remaining_verify().await;
    let loaded = search::load(&world.vault, &world.org, &world.records().await)
        .await
        .unwrap();
    assert_eq!(
        loaded.index.snapshots(),
        &snapshots[2..],
        "the index forgot the deleted snapshots"
    );
    assert!(
        loaded.reindexed.is_empty(),
        "the index needed no repair: {:?}",
        loaded.reindexed
    );

    // A second sweep has nothing to do.
    let again = world.sweep(&world.vault).await.unwrap();
    assert_eq!(
        (
            again.snapshots_deleted,
            again.segments_deleted,
            again.other_blobs_deleted
        ),
        (0, 0, 0)
    );
    assert_eq!(world.keys(), left);
}

#[tokio::test]
async fn a_sweep_stopped_after_any_delete_and_run_again_ends_as_an_uninterrupted_one() {
    let (whole, _) = World::four_snapshots(policy(None, Some(2))).await;
    whole.sweep(&whole.vault).await.unwrap();
    let (expected_keys, expected_records) = (whole.keys(), whole.remaining().await);
    let deletes = {
        let (probe, _) = World::four_snapshots(policy(None, Some(2))).await;
        let (counting, store) = probe.failing_after(usize::MAX);
        probe.sweep(&counting).await.unwrap();
        store.done.load(Ordering::SeqCst)
    };
    assert!(deletes > 6, "the sweep deletes blobs one by one: {deletes}");

    for allowed in 0..deletes {
        let (world, _) = World::four_snapshots(policy(None, Some(2))).await;
        let (failing, _) = world.failing_after(allowed);
        assert!(world.sweep(&failing).await.is_err(), "delete {allowed} fails the sweep");
        // The remaining snapshots are whole meanwhile.
        world.assert_remaining_verify().await;
        // A policy relaxed before the next run does not bring back what the stopped run decided.
        if allowed % 2 == 1 {
            settings_keep_everything(&world).await;
        }
        world.sweep(&world.vault).await.unwrap();
        assert_eq!(
            world.remaining().await,
            expected_records,
            "after a stop at delete {allowed}"
        );
        assert_eq!(world.keys(), expected_keys, "after a stop at delete {allowed}");
        world.assert_remaining_verify().await;
    }
}

async fn settings_keep_everything(world: &World) {
    set_policy(
        world.catalog.as_ref(),
        &world.org,
        PolicyChange {
            days: Some(None),
            count: Some(None),
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_snapshot_a_running_backup_builds_on_keeps_every_segment_it_names() {
    let (world, snapshots) = World::four_snapshots(policy(Some(1), None)).await;
    let mut record = world.catalog.get_org(&world.org).await.unwrap().unwrap();
    record.backup_enabled = false;
    world.catalog.put_org(&record).await.unwrap();
    let mut backup = job(JobKind::Backup, JobStatus::Running);
    backup.previous_snapshot = Some(snapshots[1].clone());
    backup.snapshot_id = Some(snapshot_id(now(), 99));
    world.catalog.create_job(&backup).await.unwrap();
    // The running backup's own segment, in no manifest yet.
    let own = keys::segment(
        &world.org,
        backup.snapshot_id.as_ref().unwrap(),
        "users",
        0,
        &ObjectHash([7; 32]),
    );
    world.store.set_raw(&own, b"sealed page".to_vec());

    let report = world.sweep(&world.vault).await.unwrap();
    assert_eq!(world.remaining().await, vec![snapshots[1].clone()], "{report}");
    let left = world.keys();
    for key in world.named_segments(&snapshots[1..2]).await {
        assert!(
            left.contains(&key),
            "{key} is named by the snapshot the backup builds on"
        );
    }
    assert!(left.contains(&own), "the running backup's own segment stays");
    assert!(!report.orgs[0].purged, "{report}");
    world.assert_remaining_verify().await;
}

#[tokio::test]
async fn a_deleted_org_is_swept_to_nothing() {
    let (world, _) = World::four_snapshots(policy(Some(1), None)).await;
    let mut record = world.catalog.get_org(&world.org).await.unwrap().unwrap();
    record.deleted_at = Some(timefmt::rfc3339(now()));
    world.catalog.put_org(&record).await.unwrap();
    let work = keys::work(&world.org, &JobId::new("job-old").unwrap(), "users", 0);
    world.store.set_raw(&work, b"left by a failed job".to_vec());

    let report = world.sweep(&world.vault).await.unwrap();
    assert_eq!(report.snapshots_deleted, 4, "{report}");
    assert!(report.orgs[0].purged, "{report}");
    assert!(world.remaining().await.is_empty());
    assert_eq!(world.keys(), BTreeSet::new(), "nothing of the org is left");
}

#[tokio::test]
async fn one_org_that_fails_does_not_stop_the_others() {
    let (world, snapshots) = World::four_snapshots(policy(None, Some(1))).await;
    // A second org, whose newest snapshot's manifest is damaged: what it needs is unknown.
    let broken_org = OrgId::new("broken.okta.com").unwrap();
    let mut broken = org(policy(None, Some(1)));
    broken.org_id = broken_org.clone();
    world.catalog.put_org(&broken).await.unwrap();
    for n in [1, 2] {
        let mut r = record(n, 3 - i64::from(n), BackupTrigger::Scheduled);
        r.org_id = broken_org.clone();
        world.catalog.put_snapshot(&r).await.unwrap();
        world
            .store
            .set_raw(&keys::manifest(&broken_org, &r.snapshot_id), b"not a manifest".to_vec());
    }

    let report = sweep_all(world.catalog.as_ref(), &world.vault, None, now(), None)
        .await
        .unwrap();
    assert_eq!(report.errors, 1, "{report}");
    let failed = report.orgs.iter().find(|o| o.org_id == broken_org).unwrap();
    let error = failed.error.as_deref().unwrap();
    assert!(
        error.contains("cannot be read") && error.contains("oktavault verify"),
        "{error}"
    );
    assert!(
        world
            .keys()
            .iter()
            .any(|k| k.starts_with(&keys::org_prefix(&broken_org))),
        "nothing of it is deleted"
    );
    assert_eq!(
        world.remaining().await,
        vec![snapshots[3].clone()],
        "the other org is swept: {report}"
    );
    assert!(report.to_string().contains("1 org(s) failed"), "{report}");
}

#[tokio::test]
async fn a_sweep_past_its_deadline_stops_and_the_next_one_finishes() {
    let (world, snapshots) = World::four_snapshots(policy(None, Some(1))).await;
    let past = Some(tokio::time::Instant::now());
    let report = sweep_all(world.catalog.as_ref(), &world.vault, None, now(), past)
        .await
        .unwrap();
    assert!(!report.finished, "{report}");
    assert_eq!(world.remaining().await.len(), 4, "nothing was started");
    let report = world.sweep(&world.vault).await.unwrap();
    assert!(report.finished && report.snapshots_deleted == 3, "{report}");
    assert_eq!(world.remaining().await, vec![snapshots[3].clone()]);
}

#[tokio::test]
async fn the_policy_is_shown_and_set_through_the_service() {
    let world = World::new(RetentionPolicy::default()).await;
    let org = resolve_org(world.catalog.as_ref(), "https://acme.okta.com/")
        .await
        .unwrap();
    assert_eq!(org.org_id, world.org);
    assert!(resolve_org(world.catalog.as_ref(), "nope.okta.com").await.is_err());

    let set = set_policy(
        world.catalog.as_ref(),
        &world.org,
        PolicyChange {
            days: None,
            count: Some(Some(7)),
        },
    )
    .await
    .unwrap();
    assert_eq!(set.policy, policy(Some(365), Some(7)));
    assert_eq!(settings(world.catalog.as_ref(), &world.org).await.unwrap(), set);
    assert!(
        set.to_string().contains("kept 365 days, and at most the newest 7"),
        "{set}"
    );
    let refused = set_policy(
        world.catalog.as_ref(),
        &world.org,
        PolicyChange {
            days: Some(Some(0)),
            count: None,
        },
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("would delete every snapshot"), "{refused}");
}

#[tokio::test]
async fn a_segment_a_newer_snapshot_names_stays_locked_for_the_lock_days_from_that_snapshot() {
    use crate::ports::{LockMode, LockRule, Retention};
    // Four snapshots 9, 8, 7 and 6 days old; every blob locked for 30 days from its snapshot, as S3 does from
    // the write.
    let (world, snapshots) = World::four_snapshots(policy(None, None)).await;
    let records = world.records().await;
    let taken: HashMap<SnapshotId, OffsetDateTime> = records
        .iter()
        .map(|r| (r.snapshot_id.clone(), timefmt::parse_rfc3339(&r.created_at).unwrap()))
        .collect();
    let rule = LockRule {
        mode: LockMode::Compliance,
        days: 30,
    };
    let mut locks = BTreeMap::new();
    for key in world.keys() {
        let writer = snapshots
            .iter()
            .find(|s| key.starts_with(&keys::segments_prefix(&world.org, s)))
            .or_else(|| {
                snapshots
                    .iter()
                    .find(|s| key.starts_with(&keys::snapshot_prefix(&world.org, s)))
            });
        if let Some(snapshot) = writer {
            let until = taken[snapshot] + Duration::days(30);
            locks.insert(key, Retention { mode: rule.mode, until });
        }
    }
    *world.store.lock_rule.lock().unwrap() = Some(rule);
    *world.store.locks.lock().unwrap() = locks.clone();

    let report = world.sweep(&world.vault).await.unwrap();
    // The first snapshot's segment (users 2 to 4, named by all four) and the third's (user 2's second version,
    // named by the fourth too) now end 30 days after the fourth; the second's and the fourth's are named by no
    // newer snapshot and keep their locks.
    let segment_of = |snapshot: &SnapshotId| {
        world
            .keys()
            .into_iter()
            .find(|k| k.starts_with(&keys::segments_prefix(&world.org, snapshot)))
            .unwrap()
    };
    let newest = taken[&snapshots[3]] + Duration::days(30);
    let held = world.store.locks.lock().unwrap().clone();
    assert_eq!(held[&segment_of(&snapshots[0])].until, newest);
    assert_eq!(held[&segment_of(&snapshots[2])].until, newest);
    assert_eq!(held[&segment_of(&snapshots[0])].mode, LockMode::Compliance);
    for unchanged in [&snapshots[1], &snapshots[3]] {
        let key = segment_of(unchanged);
        assert_eq!(held[&key], locks[&key], "{key}");
    }
    assert_eq!(report.orgs[0].locks_extended, 2, "{report}");
    assert!(report.to_string().contains("2 segment lock(s) lengthened"), "{report}");

    // Locks long enough are not touched again.
    let again = world.sweep(&world.vault).await.unwrap();
    assert_eq!(again.orgs[0].locks_extended, 0, "{again}");
}

#[test]
fn a_lock_is_kept_past_the_next_two_sweeps_and_lengthened_with_slack() {
    use super::locks::{GAP, SLACK, lengthened, needed};
    use crate::ports::{LockMode, LockRule};
    let rule = LockRule {
        mode: LockMode::Governance,
        days: 1,
    };
    let taken = now() - Duration::hours(1);
    assert_eq!(
        needed(rule, taken, now()),
        now() + GAP,
        "short locks still outlast two sweeps"
    );
    assert_eq!(lengthened(rule, taken, now()), now() + GAP + SLACK);
    let long = LockRule { days: 365, ..rule };
    assert_eq!(needed(long, taken, now()), taken + Duration::days(365));
    assert_eq!(lengthened(long, taken, now()), taken + Duration::days(365));
}
