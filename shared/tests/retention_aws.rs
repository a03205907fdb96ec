//! Retention on the AWS host: backups into moto S3, DynamoDB and KMS through the AWS adapters, then the retention
//! sweep Lambda's handler: the expired snapshot and the segments no remaining snapshot names are deleted, and
//! nothing else is (the search index is rewritten without the snapshot, as on every host).
//!
//! Needs `scripts/ensure-moto`. Run: `cargo test -p oktavault-shared --features lambda,testkit --test retention_aws`

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use okta_sim::{SimConfig, SimHandle};
use oktavault_shared::aws::TableSpec;
use oktavault_shared::ids::{OrgId, SnapshotId};
use oktavault_shared::lambda::{Adapters, LambdaSettings, sweep_retention};
use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, Secret};
use oktavault_shared::ports::{AuthKind, JobStatus, OrgRecord};
use oktavault_shared::service::retention::{self, PolicyChange};
use oktavault_shared::service::verify;
use oktavault_shared::snapshot::{SnapshotReader, Vault, keys};
use oktavault_shared::testkit::aws_fixtures::{create_bucket, create_key};
use oktavault_shared::testkit::moto::MotoServer;
use oktavault_shared::timefmt;
use oktavault_shared::workflow::embedded::{BackupOptions, run_backup};
use oktavault_shared::workflow::{StaticConnector, StepContext};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retention_sweep_lambda_deletes_the_expired_snapshot_and_its_unnamed_segments_and_nothing_else() {
    let moto = tokio::task::spawn_blocking(MotoServer::start).await.unwrap();
    let sdk = moto.sdk_config();
    let settings = LambdaSettings {
        bucket: "oktavault-retention".into(),
        table: "oktavault-retention".into(),
        kms_key_id: create_key(&sdk).await,
        bucket_kms_key_id: create_key(&sdk).await,
        page_budget: Duration::from_secs(60),
        allow_local_orgs: true,
        alert_topic_arn: None,
        object_lock: None,
    };
    create_bucket(&sdk, &settings.bucket, false).await;
    TableSpec::new(&settings.table)
        .create_table(&aws_sdk_dynamodb::Client::new(&sdk))
        .await
        .unwrap();
    let adapters = Adapters::from_config(&sdk, &settings);
    let catalog = adapters.catalog.clone();
    let vault = Vault::new(adapters.blobs.clone(), adapters.keys.clone());

    let mut sim_config = SimConfig::new(60, 29);
    sim_config.rate.scale = 20.0;
    let sim = okta_sim::start(sim_config, 0).await.expect("the simulator starts");
    let url = OrgUrl::parse(&sim.url(), true).unwrap();
    let org = url.org_id();
    catalog
        .put_org(&OrgRecord::new(
            org.clone(),
            sim.url(),
            AuthKind::ApiToken,
            None,
            timefmt::rfc3339(timefmt::now()),
        ))
        .await
        .unwrap();
    let connector = StaticConnector::default();
    connector.register(
        org.clone(),
        OktaClient::new(ClientConfig::new(
            url,
            Credentials::ApiToken(Secret::new(sim.api_token())),
        ))
        .unwrap(),
    );
    let ctx = Arc::new(StepContext::new(catalog.clone(), vault.clone(), Arc::new(connector)));

    // Three backups with a change between each, so the later ones carry most objects from the first.
    let first = backup(&ctx, &org).await;
    let state = sim.snapshot_state();
    let user = state.users.iter().find(|u| u["status"] == "ACTIVE").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    admin(
        &sim,
        reqwest::Method::POST,
        &format!("/api/v1/users/{user}"),
        json!({"profile": {"title": "Moved"}}),
    )
    .await;
    let second = backup(&ctx, &org).await;
    admin(
        &sim,
        reqwest::Method::POST,
        &format!("/api/v1/users/{user}"),
        json!({"profile": {"title": "Again"}}),
    )
    .await;
    let third = backup(&ctx, &org).await;

    let before: BTreeSet<String> = vault.blobs().list("").await.unwrap().into_iter().collect();
    let later = named_segments(&vault, &org, &[second.clone(), third.clone()]).await;
    let written_first: BTreeSet<String> = before
        .iter()
        .filter(|k| k.starts_with(&keys::segments_prefix(&org, &first)))
        .cloned()
        .collect();
    let unnamed: BTreeSet<String> = written_first.difference(&later).cloned().collect();
    assert!(
        !unnamed.is_empty(),
        "a segment of the first snapshot is named by no later one"
    );
    assert!(
        written_first.len() > unnamed.len(),
        "the later snapshots deduplicate against the first"
    );

    retention::set_policy(
        catalog.as_ref(),
        &org,
        PolicyChange {
            days: None,
            count: Some(Some(2)),
        },
    )
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    let report = sweep_retention(catalog.as_ref(), &vault, Some(deadline)).await.unwrap();
    assert_eq!(report["snapshots_deleted"], 1, "{report}");
    assert_eq!(report["segments_deleted"], unnamed.len(), "{report}");
    assert_eq!(report["finished"], true, "{report}");

    let remaining: Vec<SnapshotId> = catalog
        .list_snapshots(&org)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.snapshot_id)
        .collect();
    assert_eq!(remaining, vec![second.clone(), third.clone()]);
    let after: BTreeSet<String> = vault.blobs().list("").await.unwrap().into_iter().collect();
    let search = format!("orgs/{org}/search/");
    let gone: BTreeSet<String> = before.difference(&after).cloned().collect();
    let first_manifest = keys::snapshot_prefix(&org, &first);
    for key in &gone {
        assert!(
            unnamed.contains(key) || key.starts_with(&first_manifest) || key.starts_with(&search),
            "{key} was deleted, and it is neither the expired snapshot's nor an unnamed segment"
        );
    }
    for key in unnamed
        .iter()
        .chain(before.iter().filter(|k| k.starts_with(&first_manifest)))
    {
        assert!(gone.contains(key), "{key} is deleted");
    }
    let added: Vec<&String> = after.difference(&before).filter(|k| !k.starts_with(&search)).collect();
    assert!(added.is_empty(), "the sweep leaves nothing behind: {added:?}");

    let records = catalog.list_snapshots(&org).await.unwrap();
    let verification = verify::verify(&vault, records).await;
    assert!(verification.ok(), "{verification}");
    let loaded = oktavault_shared::search::load(&vault, &org, &catalog.list_snapshots(&org).await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        loaded.index.snapshots(),
        &[second, third],
        "the index forgot the deleted snapshot"
    );
}

async fn backup(ctx: &Arc<StepContext>, org: &OrgId) -> SnapshotId {
    let run = run_backup(ctx.clone(), org, BackupOptions::default()).await;
    run.outcome.expect("the backup succeeds");
    let job = ctx.catalog.get_job(&run.job_id.unwrap()).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    job.snapshot_id.unwrap()
}

async fn named_segments(vault: &Vault, org: &OrgId, snapshots: &[SnapshotId]) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for snapshot in snapshots {
        let reader = SnapshotReader::open(vault.clone(), org, snapshot).await.unwrap();
        named.extend(reader.named_segments().await.unwrap());
    }
    named
}

async fn admin(sim: &SimHandle, method: reqwest::Method, path: &str, body: serde_json::Value) {
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.url()))
        .header("Authorization", format!("SSWS {}", sim.api_token()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
}
