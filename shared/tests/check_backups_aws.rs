//! The hourly backup check on the AWS host: orgs in the DynamoDB catalog on moto, the check-backups Lambda's
//! handler (`lambda::check_backups`), and the alert published to an SNS topic on moto.
//!
//! Needs `scripts/ensure-moto`. Run: `cargo test -p oktavault-shared --features lambda,testkit --test check_backups_aws`

use std::time::Duration;

use oktavault_shared::aws::{DynamoCatalog, SnsAlerts, TableSpec};
use oktavault_shared::ids::OrgId;
use oktavault_shared::lambda::check_backups;
use oktavault_shared::ports::{Alert, AlertKind, AuthKind, Catalog, OrgRecord};
use oktavault_shared::testkit::moto::MotoServer;
use oktavault_shared::timefmt;

fn org(id: &str, authorized: time::OffsetDateTime) -> OrgRecord {
    OrgRecord::new(
        OrgId::new(id).unwrap(),
        format!("https://{id}"),
        AuthKind::ApiToken,
        None,
        timefmt::rfc3339(authorized),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_publishes_one_alert_for_the_backed_up_org_that_went_stale_within_the_hour() {
    let moto = MotoServer::shared();
    let sdk = moto.sdk_config();
    let table = "oktavault-check-backups";
    TableSpec::new(table)
        .create_table(&aws_sdk_dynamodb::Client::new(&sdk))
        .await
        .unwrap();
    let catalog = DynamoCatalog::new(aws_sdk_dynamodb::Client::new(&sdk), table.to_owned());
    let sns = aws_sdk_sns::Client::new(&sdk);
    let topic_arn = sns
        .create_topic()
        .name("oktavault-check-backups")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_owned();
    let alerts = SnsAlerts::new(sns, topic_arn.clone());

    // Daily backups, 2 hours' grace, no snapshot yet: the deadline is 26 hours after authorization.
    let now = timefmt::parse_rfc3339("2026-11-28T12:00:00Z").unwrap();
    let minutes_ago = |m: u64| now - Duration::from_secs(m * 60);
    catalog
        .put_org(&org("stale.okta.com", minutes_ago(26 * 60 + 20)))
        .await
        .unwrap();
    catalog.put_org(&org("fresh.okta.com", minutes_ago(60))).await.unwrap();
    let mut disabled = org("disabled.okta.com", minutes_ago(26 * 60 + 20));
    disabled.backup_enabled = false;
    catalog.put_org(&disabled).await.unwrap();

    let report = check_backups(&catalog, &alerts, now).await.unwrap();
    assert_eq!(report["orgs_checked"], 2, "the disabled org is not checked: {report}");
    assert_eq!(report["unsent"].as_array().unwrap().len(), 0, "{report}");

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
    assert_eq!(sent.len(), 1, "{sent:?}");
    let alert: Alert = serde_json::from_str(sent[0][1].as_str().unwrap()).unwrap();
    assert_eq!(alert.kind, AlertKind::BackupStale);
    assert_eq!(alert.org_id.as_str(), "stale.okta.com");
    assert_eq!(
        sent[0][2].as_str().unwrap(),
        "oktavault: backups of stale.okta.com are stale"
    );
}
