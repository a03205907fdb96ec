//! Executes the real `statemachines/backup.asl.json` against a fake set of backup steps that behaves like
//! the real ones: per-category page cursors, a plan with two stages, pages that wait while the stage before
//! is unfinished, a finalize that reports an unfinished job (which the execution hands to a new one), and a
//! FailJob that records what it was told.

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
const STEPS: [&str; 5] = [
    "PlanBackup",
    "BackupPage",
    "FinalizeBackup",
    "ContinueBackup",
    "FailJob",
];
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
    /// The plan's cap on BackupPage calls per category and execution.
    max_iterations: u32,
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
            max_iterations: 100,
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
        let (Some(org_id), Some(owner)) = (payload["request"]["org_id"].as_str(), payload["owner"].as_str()) else {
            return Err(TaskFailure::new(
                "OktaVault.InvalidInput",
                format!("PlanBackup needs request.org_id and owner, got {payload}"),
            ));
        };
        let job_id = payload["request"]["job_id"].as_str().unwrap_or("job-7");
        Ok(json!({
            "job_id": job_id, "org_id": org_id, "snapshot_id": format!("snap-{job_id}"), "owner": owner,
            "stages": [STAGE_ONE, STAGE_TWO], "max_iterations": self.max_iterations,
            "resumed": payload["request"]["job_id"].is_string()
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
        let iteration = payload["iteration"].as_u64().unwrap_or(0) + 1;
        let answer = |done: bool, blocked: bool, pages: u32| {
            json!({
                "job_id": job_id, "category": category, "owner": payload["owner"], "done": done, "blocked": blocked,
                "pages": pages, "objects": pages * 100, "iteration": iteration,
                "max_iterations": payload["max_iterations"]
            })
        };
        let stage_one_done = STAGE_ONE
            .iter()
            .all(|c| ledger.pages_done.get(*c).copied().unwrap_or(0) == self.pages(c));
        if STAGE_TWO.contains(&category) && !stage_one_done {
            return Ok(answer(false, true, 0));
        }
        let total = self.pages(category);
        let done = ledger.pages_done.entry(category.to_string()).or_default();
        if *done >= total {
            // A category an earlier execution completed answers done at once, as the real step does.
            return Ok(answer(true, false, total));
        }
        *done += 1;
        Ok(answer(*done == total, false, *done))
    }

    fn finalize(&self, payload: &Value) -> Result<Value, TaskFailure> {
        let ledger = self.ledger.lock().unwrap();
        let finished = STAGE_ONE
            .iter()
            .chain(&STAGE_TWO)
            .all(|c| ledger.pages_done.get(*c).copied().unwrap_or(0) == self.pages(c));
        Ok(json!({
            "job_id": payload["job_id"], "org_id": "org-1", "owner": payload["owner"], "finished": finished,
            "snapshot_id": "snap-job-7", "status": if finished { "Completed" } else { "Running" },
            "resumed": payload["resumed"], "max_iterations": payload["max_iterations"]
        }))
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
            "ContinueBackup" => Ok(json!({
                "job_id": payload["job_id"], "org_id": payload["org_id"], "continued": true,
                "next_input": {"org_id": payload["org_id"], "job_id": payload["job_id"]}, "execution": null
            })),
            "FailJob" => Ok(json!({"job_id": payload["state"]["job_id"], "status": "Failed"})),
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
    let input = json!({"org_id": "org-1"});
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
fn the_backup_definition_invokes_exactly_the_five_steps() {
    let machine = backup_machine();
    let functions: Vec<&String> = machine.task_functions().iter().collect();
    assert_eq!(
        functions,
        vec![
            "BackupPage",
            "ContinueBackup",
            "FailJob",
            "FinalizeBackup",
            "PlanBackup"
        ]
    );
}

#[tokio::test]
async fn backup_plans_then_runs_stages_in_order_with_categories_in_parallel_then_finalizes() {
    let fake = Arc::new(FakeBackupSteps::new());
    let output = run_backup(&fake).await.unwrap();
    assert_eq!(output["status"], "Completed");
    assert_eq!(output["finished"], true);

    let calls = fake.calls();
    assert_eq!(
        calls[0],
        (
            "PlanBackup".to_string(),
            json!({"request": {"org_id": "org-1"}, "owner": "test-execution"})
        )
    );
    let stage_one = page_calls_for(&calls, &STAGE_ONE);
    let stage_two = page_calls_for(&calls, &STAGE_TWO);
    assert!(
        stage_one.iter().max() < stage_two.iter().min(),
        "a stage-2 page ran before stage 1 finished: {calls:?}"
    );
    let (last_function, last_payload) = calls.last().unwrap();
    assert_eq!(last_function, "FinalizeBackup");
    // The Maps discard their results, so Finalize reads the plan's output.
    assert_eq!(
        last_payload,
        &json!({"job_id": "job-7", "owner": "test-execution", "resumed": false, "max_iterations": 100,
                "state_machine": "arn:aws:states:local:000000000000:stateMachine:embedded"})
    );

    // Each category was paged exactly as many times as it has pages: first with the item the Map built,
    // then with the previous page's output (which carries the same job id and category).
    for category in STAGE_ONE.iter().chain(&STAGE_TWO) {
        let pages = page_calls_for(&calls, &[category]);
        assert_eq!(pages.len() as u32, pages_of(category), "{category}");
        assert_eq!(
            calls[pages[0]].1,
            json!({"job_id": "job-7", "owner": "test-execution", "max_iterations": 100, "category": category, "iteration": 0})
        );
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
    // Our own retryable errors, Lambda's throttling and service errors, and a Lambda that ran out of time or
    // memory (`Sandbox.Timedout`, `Lambda.Unknown`) or a Task past its timeout (`States.Timeout`).
    for error in [
        "OktaVault.Retryable",
        "Lambda.TooManyRequestsException",
        "Lambda.ServiceException",
        "Sandbox.Timedout",
        "Lambda.Unknown",
        "States.Timeout",
    ] {
        let fake = Arc::new(FakeBackupSteps::failing_page(InjectedFailure {
            category: "users",
            call: 2,
            times: 2,
            error,
        }));
        let output = run_backup(&fake).await.unwrap();
        assert_eq!(output["status"], "Completed", "{error}");
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
    assert_eq!(fail_job.1["state"]["error"]["Error"], "OktaVault.Retryable");
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
    let state = &fail_jobs[0].1["state"];
    assert_eq!(fail_jobs[0].1["owner"], "test-execution");
    assert_eq!((&state["job_id"], &state["org_id"]), (&json!("job-7"), &json!("org-1")));
    assert_eq!(
        state["error"],
        json!({"Error": "OktaVault.Fatal", "Cause": "page 2 of group_members failed"})
    );
    assert!(position_of_calls(&calls, |function, _| function == "FinalizeBackup").is_empty());
    assert_eq!(calls.last().unwrap().0, "FailJob");
}

#[tokio::test]
async fn a_failed_plan_also_runs_fail_job_with_the_org_and_the_runner() {
    let fake = Arc::new(FakeBackupSteps {
        plan_failure: Some("OktaVault.Fatal"),
        ..FakeBackupSteps::new()
    });
    let failed = run_backup(&fake).await.unwrap_err();
    assert_eq!(failed.error, "BackupFailed");
    let calls = fake.calls();
    let functions: Vec<&str> = calls.iter().map(|(function, _)| function.as_str()).collect();
    assert_eq!(functions, vec!["PlanBackup", "FailJob"]);
    // No job id yet: FailJob finds the job, if PlanBackup chose one, by the runner's lease.
    assert_eq!(calls[1].1["state"]["org_id"], "org-1");
    assert_eq!(calls[1].1["owner"], "test-execution");
    assert_eq!(calls[1].1["state"]["error"]["Error"], "OktaVault.Fatal");
}

#[tokio::test]
async fn a_job_that_spends_its_share_of_history_continues_in_a_new_execution() {
    let fake = Arc::new(FakeBackupSteps {
        max_iterations: 2,
        ..FakeBackupSteps::new()
    });
    let first = run_backup(&fake).await.unwrap();
    assert_eq!(first["continued"], true, "{first}");
    let calls = fake.calls();
    assert_eq!(
        page_calls_for(&calls, &["users"]).len(),
        2,
        "users paused after its 2 calls"
    );
    let stage_two = page_calls_for(&calls, &STAGE_TWO);
    assert_eq!(
        stage_two.len(),
        3,
        "each stage-2 category found stage 1 unfinished once and waited"
    );
    let continued = calls
        .iter()
        .find(|(f, _)| f == "ContinueBackup")
        .expect("ContinueBackup ran");
    assert_eq!(
        continued.1,
        json!({"job_id": "job-7", "org_id": "org-1", "owner": "test-execution", "max_iterations": 2, "state_machine": "arn:aws:states:local:000000000000:stateMachine:embedded"})
    );

    // The next executions pick the job up where it stopped, until it finishes.
    let mut executions = 1;
    let mut output = first;
    while output["continued"] == true {
        output = backup_machine()
            .execute(output["next_input"].clone(), fake.clone(), &test_options())
            .await
            .unwrap();
        executions += 1;
    }
    assert_eq!(output["status"], "Completed");
    assert_eq!(
        executions, 3,
        "users 3 pages and group_members 4 at 2 calls per execution"
    );
    let calls = fake.calls();
    for category in STAGE_ONE.iter().chain(&STAGE_TWO) {
        let pages_done = fake.ledger.lock().unwrap().pages_done[*category];
        assert_eq!(pages_done, pages_of(category), "{category}");
    }
    assert!(position_of_calls(&calls, |function, _| function == "FailJob").is_empty());
}

#[tokio::test]
async fn a_failed_finalize_runs_fail_job() {
    // An invoker whose Finalize fails for good (its snapshot key cannot be opened, say).
    struct ForgetfulSteps(FakeBackupSteps);
    #[async_trait]
    impl TaskInvoker for ForgetfulSteps {
        async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure> {
            if function == "FinalizeBackup" {
                return Err(TaskFailure::new("OktaVault.Fatal", "the snapshot key is gone"));
            }
            self.0.invoke(function, payload).await
        }
    }
    let steps = Arc::new(ForgetfulSteps(FakeBackupSteps::new()));
    let failed = backup_machine()
        .execute(json!({"org_id": "org-1"}), steps.clone(), &test_options())
        .await
        .unwrap_err();
    assert_eq!(failed.error, "BackupFailed");
    let calls = steps.0.calls();
    let fail_job = &calls.last().unwrap();
    assert_eq!(fail_job.0, "FailJob");
    assert_eq!(fail_job.1["state"]["error"]["Cause"], "the snapshot key is gone");
}

/// The history events one execution of `backup.asl.json` writes, from the event rules in `asl/history.rs`:
/// 22 whatever the org (the execution's start and end; PlanBackup and FinalizeBackup, five each: entered,
/// scheduled, started, succeeded, exited; Skipped entered and exited; BackupStages entered, started, succeeded,
/// exited; BackupFinished
/// entered and exited; BackupSucceeded entered and exited), 6 per stage (its iteration started and succeeded;
/// BackupCategories entered, started, succeeded, exited), 4 per category (its iteration started and succeeded;
/// CategoryBackedUp or CategoryWaits entered and exited), 7 per BackupPage call (its five, CategoryDone entered
/// and exited) and 3 per retry (scheduled, started, failed). An execution that hands the job on replaces
/// BackupSucceeded's 2 by BackupFinished's successor ContinueBackup (5) and BackupContinued (2).
fn backup_history_events(
    stages: usize,
    categories: usize,
    page_calls: usize,
    retries: usize,
    continued: bool,
) -> usize {
    22 + 6 * stages + 4 * categories + 7 * page_calls + 3 * retries + if continued { 5 } else { 0 }
}

async fn backup_report(fake: &Arc<FakeBackupSteps>, input: Value) -> crate::asl::ExecutionReport {
    backup_machine().run(input, fake.clone(), &test_options()).await
}

fn page_call_count(fake: &FakeBackupSteps) -> usize {
    fake.calls().iter().filter(|(f, _)| f == "BackupPage").count()
}

#[tokio::test]
async fn a_backup_writes_the_history_events_aws_would() {
    let fake = Arc::new(FakeBackupSteps::new());
    let report = backup_report(&fake, json!({"org_id": "org-1"})).await;
    assert!(report.outcome.is_ok(), "{:?}", report.outcome);
    assert_eq!(
        report.history_events(),
        backup_history_events(2, 6, page_call_count(&fake), 0, false)
    );

    let retried = Arc::new(FakeBackupSteps::failing_page(InjectedFailure {
        category: "users",
        call: 2,
        times: 2,
        error: "OktaVault.Retryable",
    }));
    let report = backup_report(&retried, json!({"org_id": "org-1"})).await;
    assert!(report.outcome.is_ok(), "{:?}", report.outcome);
    // The two failed calls are retries of one state entry, not calls of their own.
    assert_eq!(
        report.history_events(),
        backup_history_events(2, 6, page_call_count(&retried) - 2, 2, false)
    );
}

#[tokio::test]
async fn an_org_larger_than_one_execution_continues_in_executions_that_each_stay_under_the_history_quota() {
    // The cap PlanBackup computes for six categories, and an org whose users need many times that.
    let cap = crate::workflow::backup::max_iterations(6, None);
    let fake = Arc::new(FakeBackupSteps {
        max_iterations: cap,
        extra_user_pages: 3 * cap,
        page_time: Duration::ZERO,
        ..FakeBackupSteps::new()
    });
    let mut input = json!({"org_id": "org-1"});
    let mut executions = 0;
    let mut calls_before = 0;
    loop {
        let report = backup_report(&fake, input.clone()).await;
        executions += 1;
        let output = report.outcome.as_ref().expect("every execution succeeds");
        let calls = page_call_count(&fake);
        let continued = output["continued"] == true;
        assert_eq!(
            report.history_events(),
            backup_history_events(2, 6, calls - calls_before, 0, continued),
            "execution {executions}"
        );
        assert!(
            report.history_events() < crate::asl::HISTORY_EVENT_LIMIT,
            "execution {executions} wrote {} events",
            report.history_events()
        );
        calls_before = calls;
        if !continued {
            assert_eq!(output["status"], "Completed");
            break;
        }
        input = output["next_input"].clone();
    }
    assert_eq!(
        executions, 4,
        "users' 3 x cap + 3 pages take four executions at cap calls each"
    );
    assert_eq!(fake.ledger.lock().unwrap().pages_done["users"], fake.pages("users"));
}
