//! The managed service's AWS pieces on moto: each org's backup schedule on EventBridge Scheduler (made when the
//! org is authorized, changed with its settings, disabled while backup is off, removed when the org is deleted;
//! always starting the backup state machine for that org with the scheduled trigger), and alerts published to
//! SNS, and each org's capture bus and rule on EventBridge.
//!
//! Run: `cargo test -p oktavault-shared --features aws,testkit --test managed_aws`

use oktavault_shared::aws::{EventBridgeCaptureBuses, EventBridgeSchedules, SnsAlerts};
use oktavault_shared::ids::{JobId, OrgId};
use oktavault_shared::ports::{Alert, AlertKind, Alerts, AuthKind, CaptureBuses, OrgRecord, Schedules};
use oktavault_shared::testkit::moto::MotoServer;

const GROUP: &str = "oktavault-test";
const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:oktavault-backup";
const ROLE: &str = "arn:aws:iam::123456789012:role/oktavault-scheduler";

fn org(id: &str) -> OrgRecord {
    OrgRecord::new(
        OrgId::new(id).unwrap(),
        format!("https://{id}"),
        AuthKind::ClientSecret,
        Some("0oa1".into()),
        "2026-01-01T00:00:00Z".into(),
    )
}

#[tokio::test]
async fn an_org_s_schedule_follows_its_record_from_authorization_to_deletion() {
    let moto = MotoServer::shared();
    let client = aws_sdk_scheduler::Client::new(&moto.sdk_config());
    client.create_schedule_group().name(GROUP).send().await.unwrap();
    let schedules = EventBridgeSchedules::new(client.clone(), GROUP.into(), MACHINE.into(), ROLE.into());
    let mut org = org("acme.okta.com");
    let name = EventBridgeSchedules::schedule_name(&org.org_id);

    let made = schedules.sync(&org).await.unwrap().unwrap();
    assert_eq!((made.expression.as_str(), made.enabled), ("rate(24 hours)", true));
    let held = client
        .get_schedule()
        .name(&name)
        .group_name(GROUP)
        .send()
        .await
        .unwrap();
    assert_eq!(held.schedule_expression(), Some("rate(24 hours)"));
    assert_eq!(held.state().map(|s| s.as_str()), Some("ENABLED"));
    let target = held.target().unwrap();
    assert_eq!((target.arn(), target.role_arn()), (MACHINE, ROLE));
    let input: serde_json::Value = serde_json::from_str(target.input().unwrap()).unwrap();
    assert_eq!(
        input,
        serde_json::json!({"org_id": "acme.okta.com", "trigger": "scheduled"})
    );

    // Hourly, then backup off: the same schedule, changed.
    org.schedule.every_hours = 1;
    org.backup_enabled = false;
    let changed = schedules.sync(&org).await.unwrap().unwrap();
    assert!(!changed.enabled);
    let held = client
        .get_schedule()
        .name(&name)
        .group_name(GROUP)
        .send()
        .await
        .unwrap();
    assert_eq!(held.schedule_expression(), Some("rate(1 hour)"));
    assert_eq!(held.state().map(|s| s.as_str()), Some("DISABLED"));
    let listed = client.list_schedules().group_name(GROUP).send().await.unwrap();
    assert_eq!(listed.schedules().len(), 1, "changed in place, not made twice");

    // Deleted: the schedule is gone, and deleting again is not an error.
    org.deleted_at = Some("2026-02-01T00:00:00Z".into());
    assert!(schedules.sync(&org).await.unwrap().is_none());
    assert!(
        client
            .get_schedule()
            .name(&name)
            .group_name(GROUP)
            .send()
            .await
            .is_err()
    );
    assert!(schedules.sync(&org).await.unwrap().is_none());
}

#[test]
fn a_long_org_id_gets_a_short_stable_schedule_name() {
    let long = OrgId::new(&format!("{}.okta.com", "a".repeat(70))).unwrap();
    let name = EventBridgeSchedules::schedule_name(&long);
    assert!(name.len() <= 64, "{name}");
    assert_eq!(name, EventBridgeSchedules::schedule_name(&long));
    assert_eq!(
        EventBridgeSchedules::schedule_name(&OrgId::new("acme.okta.com").unwrap()),
        "org-acme.okta.com"
    );
}

#[tokio::test]
async fn an_alert_is_published_to_the_topic_with_its_subject_and_its_json() {
    let moto = MotoServer::shared();
    let sns = aws_sdk_sns::Client::new(&moto.sdk_config());
    let topic = sns.create_topic().name("oktavault-alerts-test").send().await.unwrap();
    let topic_arn = topic.topic_arn().unwrap().to_owned();
    let alerts = SnsAlerts::new(sns, topic_arn.clone());
    let alert = Alert {
        kind: AlertKind::JobFailed,
        org_id: OrgId::new("acme.okta.com").unwrap(),
        subject: format!("oktavault: backup of acme.okta.com Failed {}", "x".repeat(120)),
        message: "The backup job j1 of acme.okta.com ended Failed.".into(),
        at: "2026-01-01T00:00:00Z".into(),
        job_id: Some(JobId::new("j1").unwrap()),
        snapshot_id: None,
    };

    alerts.send(&alert).await.unwrap();

    let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", moto.endpoint()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let topic = data["sns"]["Topic"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["arn"] == topic_arn.as_str())
        .unwrap();
    let sent = topic["sent_notifications"].as_array().unwrap();
    assert_eq!(sent.len(), 1);
    let subject = sent[0][2].as_str().unwrap();
    assert!(subject.starts_with("oktavault: backup of acme.okta.com Failed") && subject.len() <= 100);
    let body: Alert = serde_json::from_str(sent[0][1].as_str().unwrap()).unwrap();
    assert_eq!(body, alert, "the message is the alert's JSON");
}

#[tokio::test]
async fn capture_makes_the_org_s_partner_bus_and_a_rule_sending_admin_changes_to_the_capture_function() {
    let moto = MotoServer::shared();
    let events = aws_sdk_eventbridge::Client::new(&moto.sdk_config());
    let function = "arn:aws:lambda:us-east-1:123456789012:function:oktavault-capture";
    let buses = EventBridgeCaptureBuses::new(events.clone(), function.into());
    let org = OrgId::new("acme.okta.com").unwrap();
    let source = "aws.partner/okta.com/acme/oktavault";

    // Before Okta's log stream made the source, enabling says what to check.
    let missing = buses.enable(&org, source).await.unwrap_err();
    assert!(missing.to_string().contains("pending in this account"), "{missing}");
    // Okta (the partner) makes the source in the account when the log stream is set up.
    events
        .create_partner_event_source()
        .name(source)
        .account("123456789012")
        .send()
        .await
        .unwrap();

    // moto 5 keeps only the last `/` segment of a bus name in its rule and target calls, so the rule on a partner
    // bus (whose name has slashes, which AWS takes) cannot be made there: this checks the bus it made, the rule's
    // pattern (below) and removal. On AWS the same calls take the partner bus's name, as Okta's own sample does.
    let _ = buses.enable(&org, source).await;
    let bus = events.describe_event_bus().name(source).send().await.unwrap();
    assert_eq!(bus.name(), Some(source), "the source has a bus of its own, of its name");
    let pattern: serde_json::Value = serde_json::from_str(&EventBridgeCaptureBuses::pattern()).unwrap();
    assert_eq!(pattern["detail-type"], serde_json::json!(["SystemLog"]));
    let prefixes = pattern["detail"]["eventType"].as_array().unwrap();
    assert!(prefixes.contains(&serde_json::json!({"prefix": "group."})), "{pattern}");
    assert!(
        !prefixes.contains(&serde_json::json!({"prefix": "user.session."})),
        "{pattern}"
    );

    buses.disable(&org, source).await.unwrap();
    assert!(
        events.describe_event_bus().name(source).send().await.is_err(),
        "the bus is gone"
    );
    buses
        .disable(&org, source)
        .await
        .expect("disabling again is not an error");
}
