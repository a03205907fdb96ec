//! Executes the real `statemachines/backup.asl.json` against a fake set of backup steps that behaves like
//! the real ones: per-category page cursors, a plan with two stages, a finalize that refuses an unfinished
//! snapshot, and a FailJob that records what it was told.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::test_options;
use crate::asl::{StateMachine, TaskFailure, TaskInvoker, embedded_function_substitutions};

const BACKUP_DEFINITION: &str = include_str!("../../../../statemachines/backup.asl.json");
const STEPS: [&str; 4] = ["PlanBackup", "BackupPage", "FinalizeBackup", "FailJob"];
const STAGE_ONE: [&str; 3] = ["users", "groups", "apps"];
const STAGE_TWO: [&str; 3] = ["group_members", "app_users", "app_groups"];

/// How many pages each category has in the fake org; deliberately all different.
fn pages_of(category: &str) -> u32 {
    match category {
        "users" => 3,
        "groups" => 2,
        "apps" => 1,
        "group_members" => 4,
        "app_users" => 2,
        "app_groups" => 1,
        other => panic!("the plan never names category {other}"),
    }
}

/// A failure to inject on a given call (1-based) of BackupPage for one category.
struct InjectedFailure {
    category: &'static str,
    call: u32,
    times: u32,
    error: &'static str,
}

#[derive(Default)]
struct Ledger {
    calls: Vec<(String, Value)>,
    /// Pages backed up so far per category (the cursor a real step would keep in the job record).
    pages_done: BTreeMap<String, u32>,
    /// BackupPage calls per category, failed ones included.
    page_calls: HashMap<String, u32>,
    failures_left: HashMap<&'static str, u32>,
}

struct FakeBackupSteps {
    ledger: Mutex<Ledger>,
    injected: Option<InjectedFailure>,
    plan_failure: Option<&'static str>,
    /// Pages `users` has beyond [`pages_of`]: a larger org.
    extra_user_pages: u32,
    /// How long a page takes.
    page_time: Duration,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl FakeBackupSteps {
    fn new() -> Self {
        FakeBackupSteps {
            ledger: Mutex::new(Ledger::default()),
            injected: None,
            plan_failure: None,
            extra_user_pages: 0,
            page_time: Duration::from_millis(2),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
        }
    }

    fn failing_page(injected: InjectedFailure) -> Self {
        let fake = FakeBackupSteps {
            injected: Some(injected),
            ..Self::new()
        };
        let injected = fake.injected.as_ref().unwrap();
        fake.ledger
            .lock()
            .unwrap()
            .failures_left
            .insert(injected.category, injected.times);
        fake
    }

    fn pages(&self, category: &str) -> u32 {
        pages_of(category) + if category == "users" { self.extra_user_pages } else { 0 }
    }

    fn calls(&self) -> Vec<(String, Value)> {
        self.ledger.lock().unwrap().calls.clone()
    }

    fn plan(&self, payload: &Value) -> Result<Value, TaskFailure> {
        if let Some(error) = self.plan_failure {
            return Err(TaskFailure::new(error, "could not reach the catalog"));
        }
        let (Some(org_id), Some(job_id)) = (payload["org_id"].as_str(), payload["job_id"].as_str()) else {
            return Err(TaskFailure::new(
                "OktaVault.InvalidInput",
                format!("PlanBackup needs org_id and job_id, got {payload}"),
            ));
        };
        Ok(json!({
            "job_id": job_id, "org_id": org_id, "snapshot_id": format!("snap-{job_id}"),
            "stages": [STAGE_ONE, STAGE_TWO]
        }))
    }

    async fn backup_page(&self, payload: &Value) -> Result<Value, TaskFailure> {
        let job_id = payload["job_id"]
            .as_str()
            .ok_or_else(|| TaskFailure::new("OktaVault.InvalidInput", "no job_id"))?;
        let category = payload["category"]
            .as_str()
            .ok_or_else(|| TaskFailure::new("OktaVault.InvalidInput", "no category"))?;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        // A page takes time: lets the categories of a stage overlap as they would against Okta.
        tokio::time::sleep(self.page_time).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);

        let mut ledger = self.ledger.lock().unwrap();
        let call = {
            let calls = ledger.page_calls.entry(category.to_string()).or_default();
            *calls += 1;
            *calls
        };
        if let Some(injected) = &self.injected
            && injected.category == category
            && call >= injected.call
        {
            let left = ledger.failures_left.get_mut(injected.category).unwrap();
            if *left > 0 {
                *left -= 1;
                return Err(TaskFailure::new(
                    injected.error,
                    format!("page {call} of {category} failed"),
                ));
            }
        }
        let total = self.pages(category);
        let done = ledger.pages_done.entry(category.to_string()).or_default();
        if *done >= total {
            return Err(TaskFailure::new(
                "OktaVault.Fatal",
                format!("{category} was already complete"),
            ));
        }
        *done += 1;
        Ok(
            json!({"job_id": job_id, "category": category, "done": *done == total, "pages": *done, "objects": *done * 100}),
        )
    }

    fn finalize(&self, payload: &Value) -> Result<Value, TaskFailure> {
        let ledger = self.ledger.lock().unwrap();
        for category in STAGE_ONE.iter().chain(&STAGE_TWO) {
            if ledger.pages_done.get(*category).copied().unwrap_or(0) != self.pages(category) {
                return Err(TaskFailure::new("OktaVault.Fatal", format!("{category} is incomplete")));
            }
        }
        Ok(json!({"job_id": payload["job_id"], "snapshot_id": payload["snapshot_id"], "status": "Succeeded"}))
    }
}

#[async_trait]
impl TaskInvoker for FakeBackupSteps {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure> {
        self.ledger
            .lock()
            .unwrap()
            .calls
            .push((function.to_string(), payload.clone()));
        match function {
            "PlanBackup" => self.plan(&payload),
            "BackupPage" => self.backup_page(&payload).await,
            "FinalizeBackup" => self.finalize(&payload),
            "FailJob" => Ok(json!({"job_id": payload["job_id"], "status": "Failed"})),
            other => Err(TaskFailure::new(
                "OktaVault.UnknownFunction",
                format!("no step named {other}"),
            )),
        }
    }
}

fn backup_machine() -> StateMachine {
    StateMachine::parse(BACKUP_DEFINITION, &embedded_function_substitutions(&STEPS)).expect("backup.asl.json parses")
}

async fn run_backup(fake: &Arc<FakeBackupSteps>) -> Result<Value, crate::asl::ExecutionFailed> {
    let input = json!({"org_id": "org-1", "job_id": "job-7"});
    backup_machine().execute(input, fake.clone(), &test_options()).await
}

fn position_of_calls(calls: &[(String, Value)], pick: impl Fn(&str, &Value) -> bool) -> Vec<usize> {
    calls
        .iter()
        .enumerate()
        .filter(|(_, (function, payload))| pick(function, payload))
        .map(|(index, _)| index)
        .collect()
}

fn page_calls_for(calls: &[(String, Value)], categories: &[&str]) -> Vec<usize> {
    position_of_calls(calls, |function, payload| {
        function == "BackupPage" && categories.iter().any(|category| payload["category"] == *category)
    })
}

#[test]
fn the_backup_definition_invokes_exactly_the_four_steps() {
    let machine = backup_machine();
    let functions: Vec<&String> = machine.task_functions().iter().collect();
    assert_eq!(functions, vec!["BackupPage", "FailJob", "FinalizeBackup", "PlanBackup"]);
}

#[tokio::test]
async fn backup_plans_then_runs_stages_in_order_with_categories_in_parallel_then_finalizes() {
    let fake = Arc::new(FakeBackupSteps::new());
    let output = run_backup(&fake).await.unwrap();
    assert_eq!(
        output,
        json!({"job_id": "job-7", "snapshot_id": "snap-job-7", "status": "Succeeded"})
    );

    let calls = fake.calls();
    assert_eq!(
        calls[0],
        ("PlanBackup".to_string(), json!({"org_id": "org-1", "job_id": "job-7"}))
    );
    let stage_one = page_calls_for(&calls, &STAGE_ONE);
    let stage_two = page_calls_for(&calls, &STAGE_TWO);
    assert!(
        stage_one.iter().max() < stage_two.iter().min(),
        "a stage-2 page ran before stage 1 finished: {calls:?}"
    );
    let (last_function, last_payload) = calls.last().unwrap();
    assert_eq!(last_function, "FinalizeBackup");
    // The Maps discard their results, so Finalize sees the plan's output unchanged.
    assert_eq!(
        last_payload,
        &json!({"job_id": "job-7", "org_id": "org-1", "snapshot_id": "snap-job-7", "stages": [STAGE_ONE, STAGE_TWO]})
    );

    // Each category was paged exactly as many times as it has pages: first with the item the Map built,
    // then with the previous page's output (which carries the same job id and category).
    for category in STAGE_ONE.iter().chain(&STAGE_TWO) {
        let pages = page_calls_for(&calls, &[category]);
        assert_eq!(pages.len() as u32, pages_of(category), "{category}");
        assert_eq!(calls[pages[0]].1, json!({"job_id": "job-7", "category": category}));
        for (page, index) in pages.iter().enumerate().skip(1) {
            assert_eq!(calls[*index].1["job_id"], "job-7");
            assert_eq!(calls[*index].1["pages"], json!(page), "{category}");
        }
    }
    assert!(position_of_calls(&calls, |function, _| function == "FailJob").is_empty());
    // Categories of one stage overlapped (three of them, under the MaxConcurrency of 4).
    assert_eq!(fake.most_in_flight.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_retryable_page_failure_is_retried_and_the_backup_completes() {
    for error in [
        "OktaVault.Retryable",
        "Lambda.TooManyRequestsException",
        "Lambda.ServiceException",
    ] {
        let fake = Arc::new(FakeBackupSteps::failing_page(InjectedFailure {
            category: "users",
            call: 2,
            times: 2,
            error,
        }));
        let output = run_backup(&fake).await.unwrap();
        assert_eq!(output["status"], "Succeeded", "{error}");
        let calls = fake.calls();
        assert_eq!(
            page_calls_for(&calls, &["users"]).len() as u32,
            pages_of("users") + 2,
            "{error}"
        );
        assert!(
            position_of_calls(&calls, |function, _| function == "FailJob").is_empty(),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_retryable_failure_that_outlasts_six_retries_fails_the_job() {
    let fake = Arc::new(FakeBackupSteps::failing_page(InjectedFailure {
        category: "app_users",
        call: 1,
        times: 7,
        error: "OktaVault.Retryable",
    }));
    let failed = run_backup(&fake).await.unwrap_err();
    assert_eq!(failed.error, "BackupFailed");
    let calls = fake.calls();
    assert_eq!(
        page_calls_for(&calls, &["app_users"]).len(),
        7,
        "one attempt and six retries"
    );
    let fail_job = calls
        .iter()
        .find(|(function, _)| function == "FailJob")
        .expect("FailJob ran");
    assert_eq!(fail_job.1["error"]["Error"], "OktaVault.Retryable");
}

#[tokio::test]
async fn a_fatal_page_failure_runs_fail_job_with_the_job_id_and_error_and_the_execution_fails() {
    let fake = Arc::new(FakeBackupSteps::failing_page(InjectedFailure {
        category: "group_members",
        call: 2,
        times: 1,
        error: "OktaVault.Fatal",
    }));
    let failed = run_backup(&fake).await.unwrap_err();
    assert_eq!(failed.error, "BackupFailed");

    let calls = fake.calls();
    assert_eq!(
        page_calls_for(&calls, &["group_members"]).len(),
        2,
        "a fatal error is not retried"
    );
    let fail_jobs: Vec<&(String, Value)> = calls.iter().filter(|(function, _)| function == "FailJob").collect();
    assert_eq!(fail_jobs.len(), 1);
    assert_eq!(
        fail_jobs[0].1,
        json!({"job_id": "job-7", "error": {"Error": "OktaVault.Fatal", "Cause": "page 2 of group_members failed"}})
    );
    assert!(position_of_calls(&calls, |function, _| function == "FinalizeBackup").is_empty());
    assert_eq!(calls.last().unwrap().0, "FailJob");
}

#[tokio::test]
async fn a_failed_plan_also_runs_fail_job_with_the_job_id() {
    let fake = Arc::new(FakeBackupSteps {
        plan_failure: Some("OktaVault.Fatal"),
        ..FakeBackupSteps::new()
    });
    let failed = run_backup(&fake).await.unwrap_err();
    assert_eq!(failed.error, "BackupFailed");
    let calls = fake.calls();
    let functions: Vec<&str> = calls.iter().map(|(function, _)| function.as_str()).collect();
    assert_eq!(functions, vec!["PlanBackup", "FailJob"]);
    assert_eq!(calls[1].1["job_id"], "job-7");
    assert_eq!(calls[1].1["error"]["Error"], "OktaVault.Fatal");
}

#[tokio::test]
async fn a_failed_finalize_runs_fail_job() {
    // An invoker that loses one category's pages (as if a step forgot its cursor) makes Finalize refuse.
    struct ForgetfulSteps(FakeBackupSteps);
    #[async_trait]
    impl TaskInvoker for ForgetfulSteps {
        async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure> {
            if function == "FinalizeBackup" {
                self.0.ledger.lock().unwrap().pages_done.remove("apps");
            }
            self.0.invoke(function, payload).await
        }
    }
    let steps = Arc::new(ForgetfulSteps(FakeBackupSteps::new()));
    let failed = backup_machine()
        .execute(
            json!({"org_id": "org-1", "job_id": "job-7"}),
            steps.clone(),
            &test_options(),
        )
        .await
        .unwrap_err();
    assert_eq!(failed.error, "BackupFailed");
    let calls = steps.0.calls();
    let fail_job = &calls.last().unwrap();
    assert_eq!(fail_job.0, "FailJob");
    assert_eq!(fail_job.1["error"]["Cause"], "apps is incomplete");
}

/// The history events a backup writes with `backup.asl.json` as it stands, from the event rules in
/// `asl/history.rs`: 18 whatever the org (the execution's start and end; PlanBackup and FinalizeBackup, five
/// each: entered, scheduled, started, succeeded, exited; BackupStages entered, started, succeeded, exited;
/// BackupSucceeded entered and exited), 6 per stage (its iteration started and succeeded; BackupCategories
/// entered, started, succeeded, exited), 4 per category (its iteration started and succeeded;
/// CategoryBackedUp entered and exited), 7 per page (BackupPage's five, CategoryDone entered and exited) and
/// 3 per retry (scheduled, started, failed).
fn backup_history_events(stages: usize, categories: usize, pages: u32, retries: u32) -> usize {
    18 + 6 * stages + 4 * categories + 7 * pages as usize + 3 * retries as usize
}

fn total_pages(fake: &FakeBackupSteps) -> u32 {
    STAGE_ONE
        .iter()
        .chain(&STAGE_TWO)
        .map(|category| fake.pages(category))
        .sum()
}

async fn backup_report(fake: &Arc<FakeBackupSteps>) -> crate::asl::ExecutionReport {
    let input = json!({"org_id": "org-1", "job_id": "job-7"});
    backup_machine().run(input, fake.clone(), &test_options()).await
}

#[tokio::test]
async fn a_backup_writes_the_history_events_aws_would() {
    let fake = Arc::new(FakeBackupSteps::new());
    let report = backup_report(&fake).await;
    assert!(report.outcome.is_ok(), "{:?}", report.outcome);
    assert_eq!(
        report.history_events(),
        backup_history_events(2, 6, total_pages(&fake), 0)
    );
    assert_eq!(report.history_events(), 145);

    let retried = Arc::new(FakeBackupSteps::failing_page(InjectedFailure {
        category: "users",
        call: 2,
        times: 2,
        error: "OktaVault.Retryable",
    }));
    let report = backup_report(&retried).await;
    assert!(report.outcome.is_ok(), "{:?}", report.outcome);
    assert_eq!(
        report.history_events(),
        backup_history_events(2, 6, total_pages(&retried), 2)
    );
}

/// 18 + 6 x 2 stages + 4 x 6 categories + 7 x 3563 pages = 24,995 events: the most pages one execution of
/// `backup.asl.json` backs up under the 25,000-event quota.
const MOST_PAGES_IN_ONE_EXECUTION: u32 = 3563;

fn org_with_pages(pages: u32) -> Arc<FakeBackupSteps> {
    let small = FakeBackupSteps::new();
    Arc::new(FakeBackupSteps {
        extra_user_pages: pages - total_pages(&small),
        page_time: Duration::ZERO,
        ..FakeBackupSteps::new()
    })
}

#[tokio::test]
async fn the_largest_org_one_execution_backs_up_stays_under_the_history_quota() {
    let fake = org_with_pages(MOST_PAGES_IN_ONE_EXECUTION);
    let report = backup_report(&fake).await;
    assert_eq!(report.outcome.as_ref().unwrap()["status"], "Succeeded");
    assert_eq!(report.history_events(), 24_995);
    assert_eq!(
        report.history_events(),
        backup_history_events(2, 6, MOST_PAGES_IN_ONE_EXECUTION, 0)
    );
}

async fn assert_fails_for_the_history_quota(fake: &Arc<FakeBackupSteps>) -> Vec<String> {
    let report = backup_report(fake).await;
    let failed = report.outcome.as_ref().unwrap_err();
    assert_eq!(failed.error, "States.Runtime");
    assert!(failed.cause.contains("(25000)"), "{}", failed.cause);
    assert_eq!(report.history_events(), crate::asl::HISTORY_EVENT_LIMIT);
    fake.calls().into_iter().map(|(function, _)| function).collect()
}

#[tokio::test]
async fn one_page_more_fails_the_execution_after_finalize_has_sealed_the_snapshot() {
    // The quota runs out on BackupSucceeded's SucceedStateEntered, two events short of the end: AWS fails
    // an execution whose job step already reported success.
    let functions = assert_fails_for_the_history_quota(&org_with_pages(MOST_PAGES_IN_ONE_EXECUTION + 1)).await;
    assert_eq!(functions.last().map(String::as_str), Some("FinalizeBackup"));
    assert!(!functions.iter().any(|function| function == "FailJob"));
}

#[tokio::test]
async fn an_org_too_large_for_one_execution_fails_in_the_page_loop_and_fail_job_never_runs() {
    let functions = assert_fails_for_the_history_quota(&org_with_pages(MOST_PAGES_IN_ONE_EXECUTION + 100)).await;
    // States.Runtime is beyond every Catch: the definition never marks the job failed.
    assert_eq!(functions.last().map(String::as_str), Some("BackupPage"));
    assert!(
        !functions
            .iter()
            .any(|function| function == "FailJob" || function == "FinalizeBackup")
    );
}
