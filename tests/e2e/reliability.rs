//! Faults that must leave nothing lost: a part Okta refuses for good, credentials revoked mid-job, a list that
//! never ends, a System Log event Okta makes readable late, lost or damaged blobs, two backups of one org at
//! once, an interrupted job, and a job that outgrows one workflow execution. Each fault is injected into the
//! simulator over HTTP or into the store's files; `docs/reliability.md` lists them all.

use std::time::Duration;

use okta_sim::{Faults, PathFault};
use oktavault_shared::ports::{Catalog, JobKind, JobStatus, Lease};
use oktavault_shared::snapshot::SnapshotReader;
use oktavault_shared::timefmt;
use serde_json::Value;

use crate::support::*;

const MEMBER_LISTS: &str = "GET /api/v1/groups/{id}/users";
const USER_LISTS: &str = "GET /api/v1/users";

/// The parts a snapshot's category lacks, as the manifest records them.
async fn incomplete_parts(view: &StoreView, report: &Value, category: &str) -> Vec<String> {
    let snapshot = snapshot_id(report);
    let org = view.snapshot_org(&snapshot).await;
    let reader = SnapshotReader::open(view.vault.clone(), &org, &snapshot).await.unwrap();
    reader.head().categories[category]
        .incomplete
        .iter()
        .map(|i| i.part.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_whose_members_okta_refuses_for_good_is_recorded_as_missing_and_listed_again_next_time() {
    let sim = start_sim(300, 31).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let (group, path) = group_with_members(&sim);
    sim.fail_path(PathFault::error(&path, 400, "E0000001", "Api validation failed: after"));

    let first = backup(store.path(), &sim, &["--token", &sim.api_token()]).await;
    assert_eq!(first.code, Some(2), "Completed With Errors: {}", first.output);
    assert_eq!(first.report["status"], "CompletedWithErrors");
    assert_eq!(
        incomplete_parts(&view, &first.report, "group_members").await,
        [group.clone()]
    );
    let listing = oktavault(store.path(), &["ls", first.report["snapshot_id"].as_str().unwrap()]).await;
    assert!(
        text(&listing).contains("incomplete") && text(&listing).contains(&group) && text(&listing).contains("E0000001"),
        "ls says what the snapshot lacks: {}",
        text(&listing)
    );
    let job = oktavault(store.path(), &["job", first.report["job_id"].as_str().unwrap()]).await;
    assert!(
        text(&job).contains(&group) && text(&job).contains("E0000001"),
        "{}",
        text(&job)
    );

    // Nothing changed in the org, so an incremental backup would carry every group's members: the group the
    // previous snapshot lacks is listed again, and only it.
    sim.clear_path_faults();
    sim.reset_calls();
    let second = backup_with_token(store.path(), &sim).await;
    assert_eq!(
        sim.calls().get(MEMBER_LISTS),
        1,
        "only the refused group's members were listed again"
    );
    assert!(incomplete_parts(&view, &second, "group_members").await.is_empty());
    let contents = view.contents(&snapshot_id(&second)).await;
    assert_same_contents(&contents, &view.expected(&second, &sim).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_of_the_first_parent_is_that_parents_error_not_a_skipped_category() {
    let sim = start_sim(300, 32).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let first_group = sim.snapshot_state().groups[0]["id"].as_str().unwrap().to_owned();
    sim.fail_path(PathFault::error(
        format!("/api/v1/groups/{first_group}/users"),
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    ));
    let run = backup(store.path(), &sim, &["--token", &sim.api_token()]).await;
    assert_eq!(run.code, Some(2), "{}", run.output);
    let members = &run.report["categories"]["group_members"];
    assert_eq!(members["skipped"], Value::Null, "{members}");
    assert_eq!(members["errors"], 1, "{members}");
    assert_eq!(
        incomplete_parts(&view, &run.report, "group_members").await,
        [first_group.clone()]
    );
    let contents = view.contents(&snapshot_id(&run.report)).await;
    let listed_groups: std::collections::BTreeSet<&str> = contents["group_members"]
        .keys()
        .map(|id| id.split('/').next().unwrap())
        .collect();
    assert!(!listed_groups.contains(first_group.as_str()));
    let expected_groups = sim
        .snapshot_state()
        .group_members
        .values()
        .filter(|m| !m.is_empty())
        .count();
    assert_eq!(
        listed_groups.len(),
        expected_groups - 1,
        "every other group's members were backed up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_deleted_while_its_children_are_listed_is_skipped_not_an_error() {
    let sim = start_sim(300, 42).await;
    let store = tempfile::tempdir().unwrap();
    let (group, path) = group_with_members(&sim);
    sim.fail_path(PathFault::error(
        &path,
        404,
        "E0000007",
        "Not found: Resource not found",
    ));
    let run = backup(store.path(), &sim, &["--token", &sim.api_token()]).await;
    assert_eq!(
        run.code,
        Some(0),
        "a group gone since it was listed is no error: {}",
        run.output
    );
    let job = oktavault(store.path(), &["job", run.report["job_id"].as_str().unwrap()]).await;
    assert!(
        text(&job).contains(&group) && text(&job).contains("the parent no longer exists"),
        "{}",
        text(&job)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_revoked_mid_job_fail_the_job_and_the_next_backup_continues_it_without_fetching_again() {
    let sim = start_sim(600, 33).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    // The org answers as if the token were revoked once the backup reaches group members.
    let (_, path) = group_with_members(&sim);
    sim.fail_path(PathFault::error(&path, 401, "E0000011", "Invalid token provided"));
    let failed = backup(store.path(), &sim, &["--token", &sim.api_token()]).await;
    assert_eq!(failed.code, Some(1), "{}", failed.output);
    assert_eq!(failed.report["status"], "Failed");
    assert!(
        failed.report["error"]
            .as_str()
            .unwrap()
            .contains("rejected the credentials"),
        "{}",
        failed.report
    );
    let job = view.job(&failed.report).await;
    assert!(job.resumable, "a revoked token leaves the job to be continued: {job:?}");
    let org = job.org_id.clone();
    assert!(
        !view
            .blob_keys(&format!("orgs/{org}/work/{}/", job.job_id))
            .await
            .is_empty(),
        "its work is kept for the continuation"
    );
    let states = oktavault(store.path(), &["jobs"]).await;
    assert!(text(&states).contains("will be continued"), "{}", text(&states));

    sim.clear_path_faults();
    sim.reset_calls();
    let continued = backup_with_token(store.path(), &sim).await;
    assert_eq!(
        continued["job_id"], failed.report["job_id"],
        "the failed job itself was continued"
    );
    assert_eq!(continued["resumed"], true);
    assert_eq!(continued["status"], "Completed");
    assert_eq!(
        sim.calls().get(USER_LISTS),
        0,
        "users, listed before the failure, were not listed again"
    );
    let contents = view.contents(&snapshot_id(&continued)).await;
    assert_same_contents(&contents, &view.expected(&continued, &sim).await);
    assert!(
        view.blob_keys(&format!("orgs/{org}/work/")).await.is_empty(),
        "work removed once finished"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_links_that_lead_back_to_pages_already_read_end_those_lists_with_an_error_instead_of_looping() {
    let sim = start_sim(300, 34).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let state = sim.snapshot_state();
    let mut groups = state
        .group_members
        .iter()
        .filter(|(_, m)| m.len() >= 2)
        .map(|(g, _)| g.clone());
    let (to_itself, in_circle) = (groups.next().unwrap(), groups.next().unwrap());
    sim.fail_path(PathFault::next_to_self(format!("/api/v1/groups/{to_itself}/users")));
    sim.fail_path(PathFault::next_in_circle(format!("/api/v1/groups/{in_circle}/users")));
    let run = tokio::time::timeout(
        Duration::from_secs(120),
        backup(store.path(), &sim, &["--token", &sim.api_token()]),
    )
    .await
    .expect("the backup ends");
    assert_eq!(run.code, Some(2), "{}", run.output);
    let mut lacking = incomplete_parts(&view, &run.report, "group_members").await;
    lacking.sort();
    let mut expected = vec![to_itself, in_circle];
    expected.sort();
    assert_eq!(lacking, expected);
    let job = oktavault(store.path(), &["job", run.report["job_id"].as_str().unwrap()]).await;
    assert!(
        text(&job).contains("its next link is the page itself"),
        "{}",
        text(&job)
    );
    assert!(
        text(&job).contains("leads back to a page already read"),
        "{}",
        text(&job)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_system_log_keeps_an_event_okta_made_readable_late_and_no_event_twice() {
    let sim = start_sim(200, 35).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let first = backup_with_token(store.path(), &sim).await;
    let first_start = timefmt::parse_rfc3339(&view.job(&first).await.created_at).unwrap();
    // Published two minutes before the first backup read the log, readable only now.
    let published_ago_ms = timefmt::now_millis() - timefmt::millis(first_start) + 2 * 60_000;
    let late = sim.publish_late_event("user.lifecycle.update", published_ago_ms);

    let second = backup_with_token(store.path(), &sim).await;
    let (before, after) = (
        view.contents(&snapshot_id(&first)).await,
        view.contents(&snapshot_id(&second)).await,
    );
    assert!(
        !before["system_log"].contains_key(&late),
        "the first backup could not see it"
    );
    assert!(
        after["system_log"].contains_key(&late),
        "the second backup kept the late event"
    );
    let twice: Vec<&String> = after["system_log"]
        .keys()
        .filter(|uuid| before["system_log"].contains_key(*uuid))
        .collect();
    assert!(twice.is_empty(), "events kept by both snapshots: {twice:?}");
    // Together the two snapshots hold every event published before the second backup started.
    let second_start = timefmt::parse_rfc3339(&view.job(&second).await.created_at).unwrap();
    let window_start = first_start - Duration::from_secs(7 * 86_400);
    for event in sim.snapshot_state().logs.iter() {
        let published = timefmt::parse_rfc3339(event["published"].as_str().unwrap()).unwrap();
        if published >= window_start && published < second_start {
            let uuid = event["uuid"].as_str().unwrap();
            assert!(
                before["system_log"].contains_key(uuid) || after["system_log"].contains_key(uuid),
                "event {uuid} published {published} is in neither snapshot"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_backup_heals_a_lost_segment_and_verify_names_every_snapshot_it_reached() {
    let sim = start_sim(600, 36).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let first = backup_with_token(store.path(), &sim).await;
    let second = backup_with_token(store.path(), &sim).await;
    let org = view.snapshot_org(&snapshot_id(&first)).await;
    let first_segments = view
        .blob_keys(&format!(
            "orgs/{org}/segments/{}/",
            first["snapshot_id"].as_str().unwrap()
        ))
        .await;
    let lost = first_segments.iter().find(|k| k.contains("/users/")).unwrap().clone();
    let manifests_before = manifest_bytes(store.path(), &view, &org).await;
    std::fs::remove_file(store.path().join("blobs").join(&lost)).unwrap();

    let verified = oktavault(store.path(), &["--json", "verify"]).await;
    assert_eq!(verified.status.code(), Some(1), "{}", text(&verified));
    let report: Value = serde_json::from_slice(&verified.stdout).unwrap();
    let damage = report["damage"].as_array().unwrap();
    assert_eq!(damage.len(), 1, "{report}");
    assert_eq!(damage[0]["blob_key"], lost.as_str());
    assert_eq!(
        damage[0]["snapshots"],
        serde_json::json!([first["snapshot_id"], second["snapshot_id"]]),
        "the second snapshot carried the lost objects by reference"
    );

    let healed = backup(store.path(), &sim, &["--token", &sim.api_token(), "--full"]).await;
    assert_eq!(healed.code, Some(0), "{}", healed.output);
    let new_users = healed.report["categories"]["users"]["new_objects"].as_u64().unwrap();
    assert!(new_users > 0, "the lost users were written afresh: {}", healed.report);
    assert!(
        new_users < 600,
        "users whose segments are intact still point at them: {}",
        healed.report
    );
    for (category, counts) in healed.report["categories"].as_object().unwrap() {
        if category != "users" && category != "system_log" {
            assert_eq!(counts["new_objects"], 0, "{category}: nothing else was written again");
        }
    }
    let ok = oktavault(
        store.path(),
        &["verify", healed.report["snapshot_id"].as_str().unwrap()],
    )
    .await;
    assert!(ok.status.success(), "the new snapshot is whole: {}", text(&ok));
    let contents = view.contents(&snapshot_id(&healed.report)).await;
    assert_same_contents(&contents, &view.expected(&healed.report, &sim).await);
    let mut manifests_after = manifest_bytes(store.path(), &view, &org).await;
    manifests_after.retain(|key, _| manifests_before.contains_key(key));
    assert_eq!(
        manifests_after, manifests_before,
        "sealed manifests are never rewritten"
    );
}

/// The bytes of every manifest blob (heads and parts) of `org`, by key.
async fn manifest_bytes(
    store: &std::path::Path,
    view: &StoreView,
    org: &oktavault_shared::ids::OrgId,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    for key in view.blob_keys(&format!("orgs/{org}/snapshots/")).await {
        let bytes = std::fs::read(store.join("blobs").join(&key)).unwrap();
        out.insert(key, bytes);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_after_an_unreadable_previous_snapshot_is_a_full_one_that_says_why() {
    let sim = start_sim(300, 37).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let first = backup_with_token(store.path(), &sim).await;
    let org = view.snapshot_org(&snapshot_id(&first)).await;
    let manifest = oktavault_shared::snapshot::keys::manifest(&org, &snapshot_id(&first));
    std::fs::write(store.path().join("blobs").join(&manifest), b"damaged").unwrap();

    let second = backup_with_token(store.path(), &sim).await;
    assert_eq!(second["status"], "Completed");
    let job = view.job(&second).await;
    assert!(job.full_refresh && job.previous_snapshot.is_none(), "{job:?}");
    let log = view.catalog.read_log(&job.job_id).await.unwrap();
    assert!(
        log.iter().any(|l| l.message.contains("cannot be read") && l.message.contains(first["snapshot_id"].as_str().unwrap())),
        "the job log says why it listed everything: {log:?}"
    );
    let ok = oktavault(store.path(), &["verify", second["snapshot_id"].as_str().unwrap()]).await;
    assert!(ok.status.success(), "{}", text(&ok));
    // And the org goes on: the next backup builds on the new snapshot.
    let third = backup_with_token(store.path(), &sim).await;
    assert_eq!(view.job(&third).await.previous_snapshot, Some(snapshot_id(&second)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_after_a_damaged_part_of_the_previous_manifest_is_a_full_one() {
    let sim = start_sim(300, 41).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let first = backup_with_token(store.path(), &sim).await;
    let org = view.snapshot_org(&snapshot_id(&first)).await;
    let part = view
        .blob_keys(&format!(
            "orgs/{org}/snapshots/{}/parts/users/",
            first["snapshot_id"].as_str().unwrap()
        ))
        .await
        .pop()
        .unwrap();
    std::fs::write(store.path().join("blobs").join(&part), b"damaged").unwrap();
    let second = backup_with_token(store.path(), &sim).await;
    let job = view.job(&second).await;
    assert!(job.full_refresh && job.previous_snapshot.is_none(), "{job:?}");
    let log = view.catalog.read_log(&job.job_id).await.unwrap();
    assert!(
        log.iter().any(|l| l.message.contains(&part)),
        "the job log names the damaged part: {log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_backups_of_one_org_started_together_run_one_job_and_the_other_says_which() {
    let sim = start_sim(1_000, 38).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    sim.set_faults(Faults {
        latency_ms: 5,
        ..Faults::default()
    });
    let token = sim.api_token();
    let auth = ["--token", token.as_str()];
    let (a, b) = tokio::join!(backup(store.path(), &sim, &auth), backup(store.path(), &sim, &auth));
    let (done, refused) = match (a.code, b.code) {
        (Some(0), Some(1)) => (a, b),
        (Some(1), Some(0)) => (b, a),
        other => panic!(
            "one backup runs and the other is refused, got {other:?}:\n{}\n{}",
            a.output, b.output
        ),
    };
    let error = refused.report["error"].as_str().unwrap();
    let job_id = done.report["job_id"].as_str().unwrap();
    assert!(
        error.contains(job_id) && error.contains("is running") && error.contains("lease"),
        "the refusal names the running job and its lease: {error}"
    );
    let org = view.job(&done.report).await.org_id;
    assert_eq!(
        view.catalog.list_jobs(&org, None).await.unwrap().len(),
        1,
        "one job was made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_held_by_a_live_runner_elsewhere_is_left_alone_and_taken_over_once_its_lease_expires() {
    let sim = start_sim(2_000, 39).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    // A backup killed mid-category leaves a Running job behind.
    sim.set_faults(Faults {
        latency_ms: 40,
        ..Faults::default()
    });
    let mut child = command(store.path())
        .args([
            "--json",
            "backup",
            "--org",
            &sim.url(),
            "--token",
            &sim.api_token(),
            "--allow-local-org",
        ])
        .spawn()
        .unwrap();
    let job = wait_for_running_job(&view).await;
    child.kill().await.unwrap();
    child.wait().await.unwrap();
    sim.set_faults(Faults::default());
    let interrupted = oktavault(store.path(), &["jobs"]).await;
    assert!(text(&interrupted).contains("Interrupted"), "{}", text(&interrupted));

    // As if another runner (an execution on AWS) had taken the job over and still worked on it.
    let until = timefmt::now_millis() + 600_000;
    let elsewhere = Lease {
        org_id: job.org_id.clone(),
        kind: JobKind::Backup,
        job_id: job.job_id.clone(),
        owner: "backup-execution-elsewhere".into(),
        expires_at_ms: until,
    };
    view.catalog
        .acquire_lease(&elsewhere, timefmt::now_millis() + 10 * 60 * 1000)
        .await
        .unwrap();
    let refused = backup(store.path(), &sim, &["--token", &sim.api_token()]).await;
    assert_eq!(refused.code, Some(1), "{}", refused.output);
    let error = refused.report["error"].as_str().unwrap();
    assert!(
        error.contains(job.job_id.as_str())
            && error.contains("backup-execution-elsewhere")
            && error.contains(&elsewhere.expires_at()),
        "{error}"
    );
    assert_eq!(
        view.catalog.get_job(&job.job_id).await.unwrap().unwrap().status,
        JobStatus::Running
    );

    // The other runner stopped: its lease expires, and the next backup continues the job.
    let expired = Lease {
        expires_at_ms: timefmt::now_millis() - 1,
        ..elsewhere
    };
    view.catalog
        .acquire_lease(&expired, timefmt::now_millis())
        .await
        .unwrap();
    let continued = backup_with_token(store.path(), &sim).await;
    assert_eq!(continued["job_id"], job.job_id.as_str());
    assert_eq!(continued["resumed"], true);
    let contents = view.contents(&snapshot_id(&continued)).await;
    assert_same_contents(&contents, &view.expected(&continued, &sim).await);
}

/// Waits until the store has a Running job with a few saved pages of users.
async fn wait_for_running_job(view: &StoreView) -> oktavault_shared::ports::JobRecord {
    for _ in 0..600 {
        for org in view.catalog.list_orgs().await.unwrap_or_default() {
            for job in view
                .catalog
                .list_jobs(&org.org_id, Some(JobStatus::Running))
                .await
                .unwrap_or_default()
            {
                let progress = view.catalog.load_progress(&job.job_id).await.unwrap_or_default();
                if progress.get("users").is_some_and(|p| p.pages >= 2) {
                    return job;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no backup job got going")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_outgrows_one_execution_continues_in_new_ones_to_the_same_snapshot() {
    let sim = start_sim(500, 40).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    // One step per category per execution, each step one page (users take three pages of 200).
    let run = backup(
        store.path(),
        &sim,
        &[
            "--token",
            &sim.api_token(),
            "--max-page-calls",
            "1",
            "--page-budget-secs",
            "0",
        ],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert!(run.report["executions"].as_u64().unwrap() >= 3, "{}", run.report);
    let contents = view.contents(&snapshot_id(&run.report)).await;
    assert_same_contents(&contents, &view.expected(&run.report, &sim).await);
}
