//! Near-real-time capture end to end on the embedded runner, against the Okta simulator over HTTP: a batch of
//! EventBridge events of the exact shape Okta's log stream sends goes through the capture handler, then the
//! capture backup the schedule would start lists only the categories the changes touched (and the System Log), and
//! its snapshot is whole: every other category is carried from the snapshot before, object for object.
//!
//! `cargo test -p oktavault-shared --features testkit --test capture`

use std::collections::BTreeSet;
use std::sync::Arc;

use okta_sim::{SimConfig, SimHandle};
use oktavault_shared::capture::{self, pending};
use oktavault_shared::ids::{OrgId, SnapshotId};
use oktavault_shared::local::{LocalBlobStore, LocalCatalog, LocalKeyProvider};
use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, Secret};
use oktavault_shared::ports::{
    AuthKind, BackupTrigger, CaptureSettings, Catalog, JobStatus, OrgRecord, ScheduleError, ScheduleState, Schedules,
};
use oktavault_shared::snapshot::{SnapshotReader, Vault};
use oktavault_shared::timefmt;
use oktavault_shared::workflow::embedded::{BackupOptions, run_backup};
use oktavault_shared::workflow::{StaticConnector, StepContext};
use serde_json::{Value, json};

const SOURCE: &str = "aws.partner/okta.com/sim/oktavault";

/// Keeps the capture the handler schedules; the test starts it as the schedule would.
#[derive(Default)]
struct Scheduled(std::sync::Mutex<Vec<Value>>);

#[async_trait::async_trait]
impl Schedules for Scheduled {
    async fn sync(&self, _org: &OrgRecord) -> Result<Option<ScheduleState>, ScheduleError> {
        Ok(None)
    }
    async fn once(
        &self,
        _org: &OrgId,
        _name: &str,
        _at: time::OffsetDateTime,
        input: Value,
    ) -> Result<(), ScheduleError> {
        self.0.lock().unwrap().push(input);
        Ok(())
    }
}

struct Fixture {
    sim: SimHandle,
    ctx: Arc<StepContext>,
    catalog: Arc<dyn Catalog>,
    blobs: Arc<LocalBlobStore>,
    org_id: OrgId,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let mut config = SimConfig::new(30, 12);
    config.rate.scale = 20.0;
    let sim = okta_sim::start(config, 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let catalog: Arc<dyn Catalog> = Arc::new(LocalCatalog::open(dir.path().join("catalog")).unwrap());
    let blobs = Arc::new(LocalBlobStore::open(dir.path().join("blobs")).unwrap());
    let vault = Vault::new(
        blobs.clone(),
        Arc::new(LocalKeyProvider::open(dir.path().join("master.key")).unwrap()),
    );
    let url = OrgUrl::parse(&sim.url(), true).unwrap();
    let org_id = url.org_id();
    let mut org = OrgRecord::new(
        org_id.clone(),
        sim.url(),
        AuthKind::ApiToken,
        None,
        timefmt::rfc3339(timefmt::now()),
    );
    org.capture = Some(CaptureSettings {
        source_name: SOURCE.into(),
        debounce_secs: 300,
    });
    catalog.put_org(&org).await.unwrap();
    let connector = StaticConnector::default();
    let credentials = Credentials::ApiToken(Secret::new(sim.api_token()));
    connector.register(
        org_id.clone(),
        OktaClient::new(ClientConfig::new(url, credentials)).unwrap(),
    );
    let ctx = Arc::new(StepContext::new(catalog.clone(), vault, Arc::new(connector)));
    Fixture {
        sim,
        ctx,
        catalog,
        blobs,
        org_id,
        _dir: dir,
    }
}

fn envelope(uuid: &str, event_type: &str, targets: Value) -> Value {
    json!({
        "version": "0",
        "id": format!("eb-{uuid}"),
        "detail-type": "SystemLog",
        "source": SOURCE,
        "account": "123456789012",
        "time": timefmt::rfc3339(timefmt::now()),
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "uuid": uuid,
            "published": timefmt::rfc3339(timefmt::now()),
            "eventType": event_type,
            "legacyEventType": "core.user_group_member.user_add",
            "displayMessage": "Add user to group membership",
            "severity": "INFO",
            "actor": {"id": "00uadmin", "type": "User", "alternateId": "admin@example.com", "displayName": "Admin"},
            "outcome": {"result": "SUCCESS"},
            "target": targets,
        }
    })
}

async fn backup(f: &Fixture, trigger: BackupTrigger) -> (SnapshotId, Vec<String>) {
    let run = run_backup(
        f.ctx.clone(),
        &f.org_id,
        BackupOptions {
            trigger,
            ..BackupOptions::default()
        },
    )
    .await;
    assert!(run.outcome.is_ok(), "{:?} {:?}", run.outcome, run.failure);
    let job = f.catalog.get_job(run.job_id.as_ref().unwrap()).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    (job.snapshot_id.unwrap(), job.categories)
}

async fn contents(f: &Fixture, snapshot: &SnapshotId) -> SnapshotReader {
    SnapshotReader::open(f.ctx.vault.clone(), &f.org_id, snapshot)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_membership_change_is_captured_by_listing_only_what_it_touched_into_a_whole_snapshot() {
    let f = fixture().await;
    let (first, _) = backup(&f, BackupTrigger::Manual).await;

    // An admin adds a user to a group; Okta's log stream sends the event.
    let state = f.sim.snapshot_state();
    let group = state.groups.iter().find(|g| g["type"] == "OKTA_GROUP").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let members = state.group_members.get(&group).cloned().unwrap_or_default();
    let user = state
        .users
        .iter()
        .filter(|u| u["status"] == "ACTIVE")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .find(|u| !members.contains(u))
        .unwrap();
    let group = &group;
    let response = reqwest::Client::new()
        .put(format!("{}/api/v1/groups/{group}/users/{user}", f.sim.url()))
        .header("Authorization", format!("SSWS {}", f.sim.api_token()))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let event = envelope(
        "8c2a1f3e-0000-4000-8000-000000000001",
        "group.user_membership.add",
        json!([
            {"id": user, "type": "User", "alternateId": "someone@example.com", "displayName": "Someone"},
            {"id": group, "type": "UserGroup", "alternateId": "unknown", "displayName": "A group"}
        ]),
    );
    let scheduled = Scheduled::default();
    let report = capture::handle(
        f.catalog.as_ref(),
        f.blobs.as_ref(),
        &scheduled,
        &json!([event]),
        timefmt::now(),
    )
    .await
    .unwrap();
    assert_eq!(report.recorded, 1, "{report}");
    assert_eq!(scheduled.0.lock().unwrap()[0]["trigger"], "capture");

    // The schedule fires: a capture backup.
    f.sim.reset_calls();
    let (second, listed) = backup(&f, BackupTrigger::Capture).await;

    let listed: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    for category in ["users", "groups", "group_members", "system_log"] {
        assert!(listed.contains(category), "{category} listed: {listed:?}");
    }
    assert!(
        !listed.contains("apps") && !listed.contains("policies"),
        "only what changed: {listed:?}"
    );
    let calls = f.sim.calls();
    assert_eq!(calls.get("GET /api/v1/apps"), 0, "apps are not listed again: {calls:?}");
    assert!(calls.get("GET /api/v1/groups") > 0, "{calls:?}");

    // Whole: every category of the first snapshot is in the capture, the unlisted ones object for object.
    let (before, after) = (contents(&f, &first).await, contents(&f, &second).await);
    for (name, held) in &before.head().categories {
        let kept = after.head().categories.get(name);
        assert!(kept.is_some(), "{name} is in the capture");
        if !listed.contains(name.as_str()) {
            assert_eq!(kept.unwrap().objects, held.objects, "{name} carried whole");
        }
    }
    // Linked-object values, read on a cadence, stay as of the snapshot that read them: the capture's start is not
    // the time of their last read.
    let links = &after.head().categories["linked_object_values"];
    assert_eq!(links.as_of.as_ref().map(|a| &a.snapshot_id), Some(&first), "{links:?}");
    let apps_before: Vec<_> = before.objects("apps").await.unwrap();
    assert_eq!(
        after.objects("apps").await.unwrap(),
        apps_before,
        "apps carried object for object"
    );
    let members_after: Vec<String> = after
        .objects("group_members")
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert!(
        members_after
            .iter()
            .any(|id| id.contains(group.as_str()) && id.contains(user.as_str())),
        "the new member is in the capture"
    );
    let snapshot = f.catalog.get_snapshot(&f.org_id, &second).await.unwrap().unwrap();
    assert_eq!(snapshot.trigger, BackupTrigger::Capture);
    assert!(!snapshot.full_refresh, "a capture is never the weekly full refresh");
    assert!(
        !pending::any(f.blobs.as_ref(), &f.org_id).await.unwrap(),
        "the capture took its changes"
    );

    // A second capture of the same window finds nothing pending and does nothing.
    let run = run_backup(
        f.ctx.clone(),
        &f.org_id,
        BackupOptions {
            trigger: BackupTrigger::Capture,
            ..BackupOptions::default()
        },
    )
    .await;
    assert!(
        run.outcome.as_ref().unwrap()["skipped"].is_string(),
        "{:?}",
        run.outcome
    );
}
