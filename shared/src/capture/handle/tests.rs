use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::json;

use super::*;
use crate::local::{LocalBlobStore, LocalCatalog};
use crate::ports::{AuthKind, CaptureSettings, ScheduleError, ScheduleState};

/// Records the captures scheduled.
#[derive(Default)]
struct Recorded(Mutex<Vec<(OrgId, String, OffsetDateTime, Value)>>);

#[async_trait]
impl Schedules for Recorded {
    async fn sync(&self, _org: &OrgRecord) -> Result<Option<ScheduleState>, ScheduleError> {
        Ok(None)
    }

    async fn once(&self, org: &OrgId, name: &str, at: OffsetDateTime, input: Value) -> Result<(), ScheduleError> {
        self.0.lock().unwrap().push((org.clone(), name.to_owned(), at, input));
        Ok(())
    }
}

const SOURCE: &str = "aws.partner/okta.com/acme/oktavault";

fn envelope(source: &str, uuid: &str, event_type: &str, targets: &[&str]) -> Value {
    json!({
        "version": "0",
        "id": format!("eb-{uuid}"),
        "detail-type": "SystemLog",
        "source": source,
        "account": "123456789012",
        "time": "2026-03-01T10:01:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "uuid": uuid,
            "published": "2026-03-01T10:01:00.000Z",
            "eventType": event_type,
            "displayMessage": "an admin change",
            "target": targets.iter().map(|t| json!({"id": "x1", "type": t, "alternateId": "x", "displayName": "x"})).collect::<Vec<_>>(),
        }
    })
}

#[tokio::test]
async fn admin_changes_are_recorded_once_and_one_capture_is_scheduled_per_window() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = LocalCatalog::open(dir.path().join("catalog")).unwrap();
    let blobs = LocalBlobStore::open(dir.path().join("blobs")).unwrap();
    let mut org = OrgRecord::new(
        OrgId::new("acme.okta.com").unwrap(),
        "https://acme.okta.com".into(),
        AuthKind::ClientSecret,
        Some("0oa1".into()),
        "2026-01-01T00:00:00Z".into(),
    );
    org.capture = Some(CaptureSettings {
        source_name: SOURCE.into(),
        debounce_secs: 300,
    });
    catalog.put_org(&org).await.unwrap();
    let schedules = Recorded::default();
    let batch = json!([
        envelope(SOURCE, "e1", "group.user_membership.add", &["User", "UserGroup"]),
        envelope(SOURCE, "e1", "group.user_membership.add", &["User", "UserGroup"]),
        envelope(SOURCE, "e2", "application.lifecycle.update", &["AppInstance"]),
        envelope(SOURCE, "e3", "user.session.start", &["User"]),
        envelope(
            "aws.partner/okta.com/other/stream",
            "e4",
            "group.lifecycle.create",
            &["UserGroup"]
        ),
    ]);
    let now = timefmt::parse_rfc3339("2026-03-01T10:01:30Z").unwrap();

    let report = handle(&catalog, &blobs, &schedules, &batch, now).await.unwrap();

    assert_eq!(
        (report.events, report.recorded, report.repeated, report.ignored.len()),
        (5, 2, 1, 2),
        "{report}"
    );
    let taken = pending::take(&blobs, &org.org_id).await.unwrap();
    assert_eq!(taken.keys.len(), 2);
    for category in ["groups", "group_members", "users", "apps", "app_users", "system_log"] {
        assert!(
            taken.categories.contains(category),
            "{category} in {:?}",
            taken.categories
        );
    }
    let scheduled = schedules.0.lock().unwrap();
    assert!(scheduled.iter().all(|(_, name, at, input)| name == &scheduled[0].1
        && *at == timefmt::parse_rfc3339("2026-03-01T10:05:00Z").unwrap()
        && input == &json!({"org_id": "acme.okta.com", "trigger": "capture"})));
    assert_eq!(report.captures.len(), 1, "one capture for the window: {report}");

    // A disabled org's changes are left alone.
    org.backup_enabled = false;
    catalog.put_org(&org).await.unwrap();
    let later = handle(
        &catalog,
        &blobs,
        &schedules,
        &envelope(SOURCE, "e5", "group.lifecycle.create", &["UserGroup"]),
        now,
    )
    .await
    .unwrap();
    assert_eq!((later.recorded, later.ignored.len()), (0, 1));
}
