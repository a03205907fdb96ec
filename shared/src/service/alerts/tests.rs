use std::collections::BTreeMap;

use super::*;
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::local::AlertFile;
use crate::ports::{AuthKind, BackupTrigger, ChangeCounts, JobKind};

fn at(s: &str) -> OffsetDateTime {
    timefmt::parse_rfc3339(s).unwrap()
}

fn org() -> OrgRecord {
    OrgRecord::new(
        OrgId::new("acme.okta.com").unwrap(),
        "https://acme.okta.com".into(),
        AuthKind::ApiToken,
        None,
        "2026-01-01T00:00:00Z".into(),
    )
}

fn snapshot(created_at: &str, removed: &[(&str, u64)]) -> SnapshotRecord {
    SnapshotRecord {
        snapshot_id: SnapshotId::new("s2").unwrap(),
        org_id: OrgId::new("acme.okta.com").unwrap(),
        job_id: JobId::new("j2").unwrap(),
        created_at: created_at.into(),
        manifest_key: "m".into(),
        counts: BTreeMap::new(),
        status: JobStatus::Completed,
        full_refresh: false,
        as_of: Default::default(),
        previous: Some(SnapshotId::new("s1").unwrap()),
        changes: Some(
            removed
                .iter()
                .map(|(c, n)| {
                    (
                        c.to_string(),
                        ChangeCounts {
                            removed: *n,
                            ..ChangeCounts::default()
                        },
                    )
                })
                .collect(),
        ),
        lacks: Vec::new(),
        trigger: BackupTrigger::Scheduled,
    }
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(c, n)| (c.to_string(), *n)).collect()
}

#[test]
fn removing_more_than_the_threshold_of_users_or_assignments_is_a_mass_change_and_less_is_not() {
    let before = counts(&[("users", 1000), ("groups", 40), ("app_users", 200)]);
    let quiet = snapshot("2026-01-02T00:00:00Z", &[("users", 50), ("groups", 2)]);
    assert!(
        mass_change(&org(), &quiet, &before).is_none(),
        "5% exactly is not more than 5%"
    );

    let loud = snapshot("2026-01-02T00:00:00Z", &[("users", 51), ("app_users", 30)]);
    let alert = mass_change(&org(), &loud, &before).unwrap();
    assert_eq!(alert.kind, AlertKind::MassChange);
    assert!(
        alert.message.contains("users: 51 of 1000 removed (5.1%)"),
        "{}",
        alert.message
    );
    assert!(alert.message.contains("app_users: 30 of 200"), "{}", alert.message);
    assert!(alert.message.contains("--snapshot s1"), "{}", alert.message);

    let mut strict = org();
    strict.alerts.mass_change_percent = 1.0;
    assert!(
        mass_change(&strict, &quiet, &before).is_some(),
        "the org's own threshold applies"
    );
}

#[test]
fn a_backup_is_stale_once_its_schedule_and_grace_pass_and_the_alert_is_raised_once() {
    let mut org = org();
    org.schedule.every_hours = 24;
    let newest = snapshot("2026-03-01T00:00:00Z", &[]);
    let hour = Duration::hours(1);
    // Due at 03-02 00:00, stale at 02:00 with the default grace.
    assert!(stale(&org, Some(&newest), at("2026-03-02T01:30:00Z"), hour).is_none());
    let alert = stale(&org, Some(&newest), at("2026-03-02T02:30:00Z"), hour).unwrap();
    assert_eq!(alert.kind, AlertKind::BackupStale);
    assert!(alert.message.contains("s2"), "{}", alert.message);
    assert!(
        stale(&org, Some(&newest), at("2026-03-02T03:30:00Z"), hour).is_none(),
        "not repeated hourly"
    );

    org.backup_enabled = false;
    assert!(
        stale(&org, Some(&newest), at("2026-03-02T02:30:00Z"), hour).is_none(),
        "not while backup is off"
    );
}

#[test]
fn only_failed_and_completed_with_errors_jobs_raise_an_alert() {
    let job = |status| JobRecord {
        status,
        updated_at: "2026-01-01T00:01:00Z".into(),
        finished_at: Some("2026-01-01T00:01:00Z".into()),
        error: Some("3 objects could not be restored".into()),
        ..JobRecord::new(
            JobId::new("j1").unwrap(),
            OrgId::new("acme.okta.com").unwrap(),
            JobKind::Restore,
            "2026-01-01T00:00:00Z".into(),
        )
    };
    assert!(job_ended(&job(JobStatus::Completed)).is_none());
    assert!(job_ended(&job(JobStatus::Running)).is_none());
    let alert = job_ended(&job(JobStatus::CompletedWithErrors)).unwrap();
    assert_eq!(alert.kind, AlertKind::JobCompletedWithErrors);
    assert!(alert.message.contains("3 objects could not be restored"));
    assert_eq!(job_ended(&job(JobStatus::Failed)).unwrap().kind, AlertKind::JobFailed);
}

#[tokio::test]
async fn the_hourly_check_sends_a_stale_org_s_alert_to_the_alert_file() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = crate::local::LocalCatalog::open(dir.path().join("catalog")).unwrap();
    let file = AlertFile::new(dir.path().join("alerts.jsonl"));
    let mut stale_org = org();
    stale_org.created_at = "2026-03-01T00:00:00Z".into();
    catalog.put_org(&stale_org).await.unwrap();

    let check = check_backups(&catalog, &file, at("2026-03-02T02:10:00Z"), Duration::hours(1))
        .await
        .unwrap();

    assert_eq!((check.orgs_checked, check.alerts.len()), (1, 1), "{check}");
    let sent = file.read().unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, AlertKind::BackupStale);
    assert!(
        sent[0].message.contains("no complete snapshot yet"),
        "{}",
        sent[0].message
    );
}

/// Alerts that never go out.
struct Unreachable;

#[async_trait::async_trait]
impl Alerts for Unreachable {
    async fn send(&self, alert: &Alert) -> Result<(), crate::ports::AlertError> {
        Err(crate::ports::AlertError {
            kind: alert.kind,
            org: alert.org_id.clone(),
            message: "the topic is gone".into(),
        })
    }
}

#[tokio::test]
async fn an_alert_that_cannot_be_sent_is_written_to_its_job_s_log_and_fails_nothing() {
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let catalog = Arc::new(crate::local::LocalCatalog::open(dir.path().join("catalog")).unwrap());
    let vault = crate::snapshot::Vault::new(
        Arc::new(crate::local::LocalBlobStore::open(dir.path().join("blobs")).unwrap()),
        Arc::new(crate::local::LocalKeyProvider::open(dir.path().join("master.key")).unwrap()),
    );
    let ctx = crate::workflow::StepContext::new(
        catalog.clone(),
        vault,
        Arc::new(crate::workflow::StaticConnector::default()),
    )
    .with_alerts(Arc::new(Unreachable));
    let job = JobId::new("job-9").unwrap();
    let alert = Alert {
        kind: AlertKind::JobFailed,
        org_id: OrgId::new("acme.okta.com").unwrap(),
        subject: "s".into(),
        message: "m".into(),
        at: "2026-01-01T00:00:00Z".into(),
        job_id: Some(job.clone()),
        snapshot_id: None,
    };

    ctx.alert(Some(alert)).await;

    let log = catalog.read_log(&job).await.unwrap();
    assert!(
        log.iter()
            .any(|l| l.message.contains("could not be sent") && l.message.contains("the topic is gone")),
        "{log:?}"
    );
}
