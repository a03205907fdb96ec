//! The port conformance suites run against the local adapters, and the behaviour only the local
//! adapters have (files, permissions, locks between catalog instances).

use std::sync::Arc;

use super::{LocalBlobStore, LocalCatalog, LocalKeyProvider};
use crate::conformance;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_blob_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    conformance::blob_store(&LocalBlobStore::open(dir.path().join("blobs")).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_key_provider_conforms() {
    let dir = tempfile::tempdir().unwrap();
    conformance::key_provider(&LocalKeyProvider::open(dir.path().join("master.key")).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_catalog_conforms() {
    let dir = tempfile::tempdir().unwrap();
    conformance::catalog(&LocalCatalog::open(dir.path().join("catalog")).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_suites_pass_twice_on_one_backend() {
    // Suites make their ids unique, so a second run on a used backend (a shared bucket/table) passes.
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::open(dir.path().join("blobs")).unwrap();
    let catalog = LocalCatalog::open(dir.path().join("catalog")).unwrap();
    for _ in 0..2 {
        conformance::blob_store(&store).await;
        conformance::catalog(&catalog).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_catalogs_on_one_directory_race_update_job_and_one_wins() {
    use crate::ports::{Catalog, CatalogError, JobKind, JobRecord, JobStatus};
    let dir = tempfile::tempdir().unwrap();
    let first = Arc::new(LocalCatalog::open(dir.path()).unwrap());
    let second = Arc::new(LocalCatalog::open(dir.path()).unwrap());
    let job = JobRecord {
        full_refresh: true,
        ..JobRecord::new(
            "job-race".parse().unwrap(),
            "acme.okta.com".parse().unwrap(),
            JobKind::Backup,
            "2026-01-01T00:00:00Z".into(),
        )
    };
    first.create_job(&job).await.unwrap();
    for round in 0..10 {
        let from = if round % 2 == 0 {
            JobStatus::Running
        } else {
            JobStatus::Failed
        };
        let to = if round % 2 == 0 {
            JobStatus::Failed
        } else {
            JobStatus::Running
        };
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let catalog = if i % 2 == 0 {
                    Arc::clone(&first)
                } else {
                    Arc::clone(&second)
                };
                let attempt = JobRecord {
                    status: to,
                    error: Some(format!("round {round} writer {i}")),
                    ..job.clone()
                };
                tokio::spawn(async move { catalog.update_job(&attempt, from).await })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => wins += 1,
                Err(CatalogError::Conflict { .. }) => {}
                Err(other) => panic!("unexpected error: {other}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one of the racing updates must win");
        assert_eq!(second.get_job(&job.job_id).await.unwrap().unwrap().status, to);
    }
}

#[tokio::test]
async fn a_corrupt_catalog_file_is_an_error_naming_it() {
    use crate::ports::Catalog;
    let dir = tempfile::tempdir().unwrap();
    let catalog = LocalCatalog::open(dir.path()).unwrap();
    let jobs = dir.path().join("jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    std::fs::write(jobs.join("job-broken.json"), b"{ not json").unwrap();
    let err = catalog
        .get_job(&"job-broken".parse().unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("job-broken.json") && err.contains("not a valid job record"),
        "{err}"
    );

    let orgs = dir.path().join("orgs");
    std::fs::create_dir_all(&orgs).unwrap();
    std::fs::write(orgs.join("acme.okta.com.json"), b"[]").unwrap();
    let err = catalog.list_orgs().await.unwrap_err().to_string();
    assert!(err.contains("acme.okta.com.json"), "{err}");
}

#[tokio::test]
async fn catalog_temp_files_are_never_read_as_records() {
    use crate::ports::Catalog;
    let dir = tempfile::tempdir().unwrap();
    let catalog = LocalCatalog::open(dir.path()).unwrap();
    let snapshots = dir.path().join("snapshots/acme.okta.com");
    std::fs::create_dir_all(&snapshots).unwrap();
    std::fs::write(snapshots.join("s1.json~0123456789abcdef.tmp"), b"{ half").unwrap();
    assert!(
        catalog
            .list_snapshots(&"acme.okta.com".parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn catalog_files_follow_the_documented_layout() {
    use crate::ports::{Catalog, LogEntry};
    let dir = tempfile::tempdir().unwrap();
    let catalog = LocalCatalog::open(dir.path()).unwrap();
    let entry = LogEntry {
        at: "t".into(),
        category: "users".into(),
        object_id: None,
        outcome: "ok".into(),
        message: "m".into(),
    };
    catalog
        .append_log(&"job-1".parse().unwrap(), "users/00000003", &[entry])
        .await
        .unwrap();
    assert!(dir.path().join("logs/job-1/users%2F00000003.json").is_file());
}

/// Set for the child processes of `update_job_is_exclusive_between_processes`.
const RACE_DIR_VAR: &str = "OKTAVAULT_TEST_CATALOG_RACE_DIR";
const RACE_CHILD_VAR: &str = "OKTAVAULT_TEST_CATALOG_RACE_CHILD";
const PROCESSES: usize = 4;

fn race_job() -> crate::ports::JobRecord {
    use crate::ports::{JobKind, JobRecord};
    JobRecord {
        full_refresh: true,
        ..JobRecord::new(
            "job-process-race".parse().unwrap(),
            "acme.okta.com".parse().unwrap(),
            JobKind::Backup,
            "2026-01-01T00:00:00Z".into(),
        )
    }
}

#[test]
fn update_job_is_exclusive_between_processes() {
    use crate::ports::{Catalog, JobStatus};
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let catalog = LocalCatalog::open(dir.path()).unwrap();
    runtime.block_on(catalog.create_job(&race_job())).unwrap();

    // Each child is this test binary running `catalog_race_child`; all wait for `go`.
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "local::tests::catalog_race_child", "--ignored", "--quiet"])
                .env(RACE_DIR_VAR, dir.path())
                .env(RACE_CHILD_VAR, i.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while (0..PROCESSES).any(|i| !dir.path().join(format!("ready-{i}")).exists()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the child processes did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::fs::write(dir.path().join("go"), b"").unwrap();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a child process failed");
    }

    let outcomes: Vec<String> = (0..PROCESSES)
        .map(|i| std::fs::read_to_string(dir.path().join(format!("outcome-{i}"))).unwrap())
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| *o == "won").count(),
        1,
        "exactly one process must win: {outcomes:?}"
    );
    assert!(outcomes.iter().all(|o| o == "won" || o == "conflict"), "{outcomes:?}");
    let stored = runtime.block_on(catalog.get_job(&race_job().job_id)).unwrap().unwrap();
    let winner = outcomes.iter().position(|o| o == "won").unwrap();
    assert_eq!(stored.status, JobStatus::Completed);
    assert_eq!(stored.error, Some(format!("process {winner}")));
}

/// One contender of `update_job_is_exclusive_between_processes`, run in its own process.
#[test]
#[ignore = "a helper: run only as a child process of update_job_is_exclusive_between_processes"]
fn catalog_race_child() {
    use crate::ports::{Catalog, CatalogError, JobRecord, JobStatus};
    let (Ok(dir), Ok(child)) = (std::env::var(RACE_DIR_VAR), std::env::var(RACE_CHILD_VAR)) else {
        panic!("run only by update_job_is_exclusive_between_processes (it sets {RACE_DIR_VAR})");
    };
    let dir = std::path::PathBuf::from(dir);
    let catalog = LocalCatalog::open(&dir).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    std::fs::write(dir.join(format!("ready-{child}")), b"").unwrap();
    while !dir.join("go").exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let attempt = JobRecord {
        status: JobStatus::Completed,
        error: Some(format!("process {child}")),
        ..race_job()
    };
    let outcome = match runtime.block_on(catalog.update_job(&attempt, JobStatus::Running)) {
        Ok(()) => "won",
        Err(CatalogError::Conflict { .. }) => "conflict",
        Err(other) => panic!("unexpected error: {other}"),
    };
    std::fs::write(dir.join(format!("outcome-{child}")), outcome).unwrap();
}
