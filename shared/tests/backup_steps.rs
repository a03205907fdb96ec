//! The backup steps called directly, as a Lambda host calls them, against the Okta simulator over HTTP and the
//! embedded adapters: what the state machine cannot show from outside. A step answers before its invocation's
//! deadline, two overlapping invocations of one category's pages (a Lambda retried while the first still
//! runs) commit one chain of pages, and a group with more members than one carried page holds is carried across
//! pages.
//!
//! `cargo test -p oktavault-shared --features testkit --test backup_steps`

use std::sync::Arc;
use std::time::Duration;

use okta_sim::{Faults, SimConfig, SimHandle};
use oktavault_shared::ids::OrgId;
use oktavault_shared::local::{LocalBlobStore, LocalCatalog, LocalKeyProvider};
use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, Secret};
use oktavault_shared::ports::{AuthKind, BackupTrigger, Catalog, JobStatus, OrgRecord};
use oktavault_shared::snapshot::{SnapshotReader, Vault};
use oktavault_shared::testkit::expected::expected_contents;
use oktavault_shared::timefmt;
use oktavault_shared::workflow::backup::COMMIT_MARGIN;
use oktavault_shared::workflow::{
    BackupPageInput, BackupRequest, FinalizeInput, PlanInput, PlanOutput, StaticConnector, StepContext, backup_page,
    finalize_backup, plan_backup,
};

struct Fixture {
    sim: SimHandle,
    ctx: Arc<StepContext>,
    org_id: OrgId,
    _dir: tempfile::TempDir,
}

async fn fixture(users: usize, seed: u64, page_budget: Duration) -> Fixture {
    fixture_with(
        users,
        seed,
        page_budget,
        oktavault_shared::workflow::backup::CARRIED_PER_PAGE,
    )
    .await
}

async fn fixture_with(users: usize, seed: u64, page_budget: Duration, carried_per_page: usize) -> Fixture {
    let mut config = SimConfig::new(users, seed);
    config.rate.scale = 20.0;
    let sim = okta_sim::start(config, 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let catalog: Arc<dyn Catalog> = Arc::new(LocalCatalog::open(dir.path().join("catalog")).unwrap());
    let vault = Vault::new(
        Arc::new(LocalBlobStore::open(dir.path().join("blobs")).unwrap()),
        Arc::new(LocalKeyProvider::open(dir.path().join("master.key")).unwrap()),
    );
    let url = OrgUrl::parse(&sim.url(), true).unwrap();
    let org_id = url.org_id();
    catalog
        .put_org(&OrgRecord::new(
            org_id.clone(),
            sim.url(),
            AuthKind::ApiToken,
            None,
            timefmt::rfc3339(timefmt::now()),
        ))
        .await
        .unwrap();
    let connector = StaticConnector::default();
    let credentials = Credentials::ApiToken(Secret::new(sim.api_token()));
    connector.register(
        org_id.clone(),
        OktaClient::new(ClientConfig::new(url, credentials)).unwrap(),
    );
    let ctx = Arc::new(
        StepContext::new(catalog, vault, Arc::new(connector))
            .with_page_budget(page_budget)
            .with_carried_per_page(carried_per_page),
    );
    Fixture {
        sim,
        ctx,
        org_id,
        _dir: dir,
    }
}

const OWNER: &str = "backup-execution-1";

impl Fixture {
    async fn plan(&self, categories: &[&str]) -> PlanOutput {
        let request = BackupRequest {
            org_id: self.org_id.clone(),
            job_id: None,
            categories: Some(categories.iter().map(|c| c.to_string()).collect()),
            full_refresh: false,
            max_iterations: None,
            trigger: Default::default(),
            new_job_id: None,
        };
        plan_backup(
            &self.ctx,
            PlanInput {
                request,
                owner: OWNER.into(),
            },
        )
        .await
        .unwrap()
    }

    fn page(&self, plan: &PlanOutput, category: &str) -> BackupPageInput {
        BackupPageInput {
            job_id: plan.job_id.clone(),
            category: category.into(),
            owner: OWNER.into(),
            iteration: 0,
            max_iterations: None,
        }
    }

    /// Calls BackupPage for `category` until it is done; answers how many calls it took.
    async fn finish_category(&self, plan: &PlanOutput, category: &str) -> usize {
        for call in 1..=1000 {
            if backup_page(&self.ctx, self.page(plan, category), None)
                .await
                .unwrap()
                .done
            {
                return call;
            }
        }
        panic!("{category} never finished");
    }

    /// Finalizes the job and reads its snapshot back, checking the categories it holds against the org.
    async fn finalize_and_compare(&self, plan: &PlanOutput) {
        let done = finalize_backup(
            &self.ctx,
            FinalizeInput {
                job_id: plan.job_id.clone(),
                owner: OWNER.into(),
                resumed: false,
                max_iterations: None,
                state_machine: None,
            },
        )
        .await
        .unwrap();
        assert!(done.finished);
        assert_eq!(done.status, JobStatus::Completed);
        let reader = SnapshotReader::open(self.ctx.vault.clone(), &self.org_id, done.snapshot_id.as_ref().unwrap())
            .await
            .unwrap();
        let expected = expected_contents(&self.sim.snapshot_state());
        for category in reader.head().categories.keys() {
            let objects = reader.objects(category).await.unwrap();
            let count = objects.len();
            let got: std::collections::BTreeMap<String, serde_json::Value> = objects.into_iter().collect();
            assert_eq!(got.len(), count, "{category}: an object is in the snapshot twice");
            assert_eq!(&got, &expected[category], "{category} differs from the org");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_page_stops_fetching_before_its_invocation_deadline_and_the_next_call_goes_on() {
    let f = fixture(300, 51, Duration::from_secs(600)).await;
    let plan = f.plan(&["user_factors"]).await;
    f.finish_category(&plan, "users").await;

    // Every answer takes 3 s: a batch of 100 users' factors, 8 at a time, would take about 38 s.
    f.sim.set_faults(Faults {
        latency_ms: 3_000,
        ..Faults::default()
    });
    let started = tokio::time::Instant::now();
    let deadline = started + COMMIT_MARGIN + Duration::from_secs(5);
    let answer = backup_page(&f.ctx, f.page(&plan, "user_factors"), Some(deadline))
        .await
        .unwrap();
    assert!(
        tokio::time::Instant::now() < deadline,
        "answered {:?} after its start, past its deadline",
        started.elapsed()
    );
    assert!(
        !answer.done && answer.pages == 1,
        "what arrived in time was committed: {answer:?}"
    );

    f.sim.set_faults(Faults::default());
    f.finish_category(&plan, "user_factors").await;
    f.finalize_and_compare(&plan).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_overlapping_invocations_of_one_category_commit_one_chain_of_pages() {
    let f = fixture(1_000, 52, Duration::from_secs(600)).await;
    let plan = f.plan(&["users"]).await;
    f.sim.set_faults(Faults {
        latency_ms: 30,
        ..Faults::default()
    });
    // A retried invocation overlapping the first: same job, same runner, same category, at the same time.
    let (a, b) = tokio::join!(
        backup_page(&f.ctx, f.page(&plan, "users"), None),
        backup_page(&f.ctx, f.page(&plan, "users"), None)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.done && b.done);
    assert_eq!(a.objects, 1_000, "each user counted once: {a:?}");
    assert_eq!(
        (a.pages, a.objects),
        (b.pages, b.objects),
        "both ended on the same chain"
    );
    f.sim.set_faults(Faults::default());
    f.finalize_and_compare(&plan).await;
}

/// The Everyone group of a large org has more members than one carried page holds (20,000): a repeat backup
/// carries such a group across pages, each call resuming from the count its saved cursor records, and the
/// snapshot still equals the org. Here a carried page holds 7 children and each call commits one page.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_group_with_more_members_than_a_carried_page_holds_is_carried_across_pages_and_the_snapshot_equals_the_org() {
    const PER_PAGE: usize = 7;
    let f = fixture_with(150, 13, Duration::ZERO, PER_PAGE).await;
    let categories = ["groups", "group_members"];
    let first = f.plan(&categories).await;
    for category in categories {
        f.finish_category(&first, category).await;
    }
    f.finalize_and_compare(&first).await;

    let state = f.sim.snapshot_state();
    let members: usize = state.group_members.values().map(Vec::len).sum();
    let largest = state.group_members.values().map(Vec::len).max().unwrap_or(0);
    assert!(
        largest > 3 * PER_PAGE,
        "the seeded org needs a group spanning several carried pages (its largest has {largest} members)"
    );

    f.sim.reset_calls();
    let second = f.plan(&categories).await;
    f.finish_category(&second, "groups").await;
    let calls = f.finish_category(&second, "group_members").await;
    assert_eq!(
        f.sim.calls().get("GET /api/v1/groups/{id}/users"),
        0,
        "no group changed: every group's members are carried"
    );
    assert!(
        calls > members / PER_PAGE,
        "{members} members carried {PER_PAGE} a page took only {calls} calls: a page held more than it may"
    );
    f.finalize_and_compare(&second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scheduled_run_that_finds_the_org_s_backup_running_is_skipped_and_logged_on_the_running_job() {
    let f = fixture(20, 3, Duration::from_secs(20)).await;
    let running = f.plan(&["users"]).await;
    assert!(running.skipped.is_none());

    let plan_as = |owner: &str, trigger: BackupTrigger| {
        plan_backup(
            &f.ctx,
            PlanInput {
                request: BackupRequest {
                    org_id: f.org_id.clone(),
                    job_id: None,
                    categories: Some(vec!["users".into()]),
                    full_refresh: false,
                    max_iterations: None,
                    trigger,
                    new_job_id: None,
                },
                owner: owner.into(),
            },
        )
    };
    let skipped = plan_as("schedule-run-2", BackupTrigger::Scheduled).await.unwrap();
    assert_eq!(skipped.job_id, running.job_id, "the running job is named");
    assert!(skipped.stages.is_empty());
    assert!(skipped.skipped.as_deref().unwrap().contains("skipped"), "{skipped:?}");
    let log = f.ctx.catalog.read_log(&running.job_id).await.unwrap();
    assert!(
        log.iter()
            .any(|l| l.message.contains("schedule-run-2") && l.message.contains("skipped")),
        "{log:?}"
    );

    // A person's backup is not skipped: it says which job runs (and waits or continues it elsewhere).
    let error = plan_as("person", BackupTrigger::Manual).await.unwrap_err();
    assert!(error.to_string().contains(running.job_id.as_str()), "{error}");
}
