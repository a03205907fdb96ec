use std::time::Duration;

use okta_sim::Faults;
use oktavault_shared::ports::Catalog;

use crate::support::*;

/// Kills a backup mid-category, runs the same command again, and checks that it resumed the
/// unfinished job and produced exactly what an uninterrupted run produces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_killed_mid_category_resumes_to_the_same_snapshot_contents() {
    let sim = start_sim(3_000, 9).await;
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let args = [
        "--json",
        "backup",
        "--org",
        &sim.url(),
        "--token",
        &sim.api_token(),
        "--allow-local-org",
    ];

    // Slow pages down so the kill lands while users are being paged.
    sim.set_faults(Faults {
        latency_ms: 40,
        ..Faults::default()
    });
    let mut child = command(store.path()).args(args).spawn().unwrap();
    let killed_at_pages = wait_for_pages(&view, "users", 3).await;
    child.kill().await.unwrap();
    child.wait().await.unwrap();
    sim.set_faults(Faults::default());

    let out = command(store.path()).args(args).output().await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let resumed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resumed["resumed"], true, "the second run picked up the unfinished job");
    assert_eq!(resumed["status"], "Completed", "{resumed}");
    assert!(killed_at_pages >= 3);

    let uninterrupted_store = tempfile::tempdir().unwrap();
    let uninterrupted = backup_with_token(uninterrupted_store.path(), &sim).await;
    let a = view.contents(&snapshot_id(&resumed)).await;
    let b = open_store(uninterrupted_store.path())
        .contents(&snapshot_id(&uninterrupted))
        .await;
    assert_eq!(a, b, "a resumed run holds exactly what an uninterrupted run holds");
    assert_same_contents(&a, &expected_contents(&sim.snapshot_state()));
}

/// Waits until the running job has saved at least `pages` pages of `category`.
async fn wait_for_pages(view: &StoreView, category: &str, pages: u64) -> u64 {
    for _ in 0..600 {
        for org in view.catalog.list_orgs().await.unwrap_or_default() {
            for job in view.catalog.list_jobs(&org.org_id, None).await.unwrap_or_default() {
                let progress = view.catalog.load_progress(&job.job_id).await.unwrap_or_default();
                if let Some(p) = progress.get(category)
                    && p.pages >= pages
                    && !p.done
                {
                    return p.pages;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the backup never reached {pages} pages of {category}")
}
