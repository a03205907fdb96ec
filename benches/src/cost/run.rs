//! One daily backup run in-process, measured: each Task's invocation timed as a Lambda bills it, each execution's
//! history counted in state transitions, the storage ports' requests taken from the [`Meter`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use oktavault_shared::asl::{
    ExecutionOptions, StateMachine, TaskFailure, TaskInvoker, embedded_function_substitutions,
};
use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, Secret};
use oktavault_shared::ports::{Catalog, OrgRecord};
use oktavault_shared::snapshot::Vault;
use oktavault_shared::workflow::embedded::BACKUP_DEFINITION;
use oktavault_shared::workflow::{STEPS, StaticConnector, StepContext, dispatch};
use serde_json::{Value, json};

use super::STEP_MEMORY_MB;
use super::billing::{billed_ms, gb_seconds, state_transitions};
use super::meter::{Meter, Usage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// The org's first snapshot: everything listed and stored.
    First,
    /// A daily backup: what the System Log names is listed again, the rest carried.
    Incremental,
    /// The weekly full refresh: everything listed again; unchanged segments are not stored twice.
    Refresh,
}

impl RunKind {
    fn name(self) -> &'static str {
        match self {
            RunKind::First => "first",
            RunKind::Incremental => "daily",
            RunKind::Refresh => "refresh",
        }
    }
}

#[derive(Debug, Default, Clone)]
struct StepTime {
    invocations: u64,
    billed_ms: u64,
}

/// Runs each Task's step in this process and times it.
struct TimedInvoker {
    ctx: Arc<StepContext>,
    steps: Mutex<BTreeMap<String, StepTime>>,
}

#[async_trait]
impl TaskInvoker for TimedInvoker {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure> {
        let started = Instant::now();
        let result = dispatch(&self.ctx, function, payload, None).await;
        let elapsed = started.elapsed();
        let mut steps = self.steps.lock().expect("steps lock");
        let entry = steps.entry(function.to_owned()).or_default();
        entry.invocations += 1;
        entry.billed_ms += billed_ms(elapsed);
        result.map_err(|e| TaskFailure {
            error: e.name().to_owned(),
            cause: e.message,
        })
    }
}

/// What one day's backup needs to run.
pub struct DailyRun {
    pub catalog: Arc<dyn Catalog>,
    pub vault: Vault,
    pub meter: Arc<Meter>,
    pub org: OrgRecord,
    pub url: OrgUrl,
    pub token: String,
    pub rate_share: f64,
    pub rate_scale: f64,
    pub page_budget: Duration,
}

/// What one day's backup used.
#[derive(Debug, Clone)]
pub struct Measured {
    pub day: usize,
    pub kind: RunKind,
    pub wall_s: f64,
    pub executions: u64,
    pub transitions: u64,
    pub invocations: u64,
    /// Lambda billed milliseconds at the run's rate limits.
    pub billed_ms: u64,
    pub usage: Usage,
    pub stored_bytes: u64,
    pub okta_calls: u64,
    /// The least wall time Okta's published limits allow this run's calls at the share: per bucket, its calls over
    /// its allowance a minute; the slowest bucket.
    pub okta_bound_s: f64,
}

impl DailyRun {
    pub async fn backup(&self, day: usize, kind: RunKind) -> anyhow::Result<Measured> {
        let mut config = ClientConfig::new(self.url.clone(), Credentials::ApiToken(Secret::new(self.token.clone())));
        config.rate_share = self.rate_share;
        let client = OktaClient::new(config)?;
        let connector = StaticConnector::default();
        connector.register(self.org.org_id.clone(), client.clone());
        let ctx = Arc::new(
            StepContext::new(self.catalog.clone(), self.vault.clone(), Arc::new(connector))
                .with_page_budget(self.page_budget),
        );
        let invoker = Arc::new(TimedInvoker {
            ctx,
            steps: Mutex::new(BTreeMap::new()),
        });
        let machine = StateMachine::parse(BACKUP_DEFINITION, &embedded_function_substitutions(STEPS))?;
        let mut input = json!({"org_id": self.org.org_id, "full_refresh": kind == RunKind::Refresh});
        let (mut executions, mut transitions) = (0u64, 0u64);
        let started = Instant::now();
        loop {
            executions += 1;
            let name = format!("cost-day{day}-{executions}");
            let report = machine.run(input, invoker.clone(), &ExecutionOptions::new(name)).await;
            transitions += state_transitions(&report.history);
            let output = report
                .outcome
                .map_err(|e| anyhow::anyhow!("day {day}'s backup failed: {}: {}", e.error, e.cause))?;
            if output["continued"] != true {
                anyhow::ensure!(
                    output["finished"] == true,
                    "day {day}'s backup did not finish: {output}"
                );
                break;
            }
            input = output["next_input"].clone();
        }
        let wall_s = started.elapsed().as_secs_f64();
        let steps = invoker.steps.lock().expect("steps lock").clone();
        let stats = client.stats();
        let okta_bound_s = stats
            .buckets
            .iter()
            .filter_map(|b| {
                let published = b.limit? as f64 / self.rate_scale;
                Some(b.calls as f64 / (published * self.rate_share) * 60.0)
            })
            .fold(0.0, f64::max);
        Ok(Measured {
            day,
            kind,
            wall_s,
            executions,
            transitions,
            invocations: steps.values().map(|s| s.invocations).sum(),
            billed_ms: steps.values().map(|s| s.billed_ms).sum(),
            usage: self.meter.take(),
            stored_bytes: self.meter.stored_bytes(),
            okta_calls: stats.calls,
            okta_bound_s,
        })
    }
}

const MB: f64 = 1024.0 * 1024.0;

pub fn print_header() {
    println!(
        "{:>4} {:>8} {:>8} {:>5} {:>6} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>6} {:>7} {:>8} {:>8}",
        "day",
        "run",
        "wall s",
        "execs",
        "trans",
        "lambda inv",
        "lambda s",
        "s3 put+ls",
        "s3 get",
        "new MiB",
        "over MiB",
        "store MiB",
        "ddb WRU",
        "ddb RRU",
        "kms GDK",
        "kms dec",
        "okta",
        "bound s"
    );
}

impl Measured {
    pub fn print(&self) {
        let u = &self.usage;
        println!(
            "{:>4} {:>8} {:>8.1} {:>5} {:>6} {:>10} {:>9.1} {:>9} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>8} {:>8} {:>6} {:>7} {:>8} {:>8.0}",
            self.day,
            self.kind.name(),
            self.wall_s,
            self.executions,
            self.transitions,
            self.invocations,
            self.billed_ms as f64 / 1000.0,
            u.s3_put_tier,
            u.s3_get_tier,
            u.s3_new_bytes as f64 / MB,
            u.s3_overwritten_bytes as f64 / MB,
            self.stored_bytes as f64 / MB,
            u.dynamodb_write_units,
            u.dynamodb_read_units,
            u.kms_generate_data_key,
            u.kms_decrypt,
            self.okta_calls,
            self.okta_bound_s
        );
    }
}

/// A month's billing units from averages per run kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Month {
    pub runs: f64,
    pub transitions: f64,
    pub invocations: f64,
    /// At the measured run's limits.
    pub lambda_gb_s: f64,
    /// At Okta's published limits: the measured seconds times the rate scale (the page budget was shortened as
    /// much, so each invocation stood for one that long). An upper estimate: the work between calls does not
    /// lengthen with the limits.
    pub lambda_gb_s_paced: f64,
    /// The least any run can be billed at Okta's limits: one invocation waiting for the whole of the time the
    /// slowest bucket needs.
    pub lambda_gb_s_floor: f64,
    pub s3_put_tier: f64,
    pub s3_get_tier: f64,
    pub dynamodb_write_units: f64,
    pub dynamodb_read_units: f64,
    pub kms_requests: f64,
    /// Bytes stored after the first backup; what the stored bytes grow by a day on average; and what a day writes
    /// and deletes or replaces (kept as noncurrent versions until the bucket's lifecycle rule expires them).
    pub first_bytes: f64,
    pub daily_growth_bytes: f64,
    pub daily_noncurrent_bytes: f64,
    /// The first run stood in for the weekly refresh (no refresh was measured).
    pub refresh_from_first: bool,
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let values: Vec<f64> = values.collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// A month of daily backups in steady state: per `refresh_every` days, one full refresh and the rest incremental,
/// each at the measured average of its kind. Storage is reported apart, as the first snapshot plus a daily growth.
pub fn month(runs: &[Measured], days: f64, refresh_every: usize, rate_scale: f64) -> Option<Month> {
    let of = |kind: RunKind| runs.iter().filter(move |r| r.kind == kind);
    let first = of(RunKind::First).next()?;
    let refresh_from_first = of(RunKind::Refresh).next().is_none();
    let refreshes = days / refresh_every as f64;
    let dailies = days - refreshes;
    let per = |f: &dyn Fn(&Measured) -> f64| -> Option<f64> {
        let daily = mean(of(RunKind::Incremental).map(f))?;
        let refresh = mean(of(RunKind::Refresh).map(f)).unwrap_or_else(|| f(first));
        Some(dailies * daily + refreshes * refresh)
    };
    // Per day after the first: how much the current objects grew, and what was written but is no longer current
    // (work files deleted, objects replaced), which a versioned bucket keeps as noncurrent versions for a while.
    let mut growth = Vec::new();
    let mut transient = Vec::new();
    for pair in runs.windows(2) {
        let grew = pair[1].stored_bytes as f64 - pair[0].stored_bytes as f64;
        let written = (pair[1].usage.s3_new_bytes + pair[1].usage.s3_overwritten_bytes) as f64;
        growth.push(grew);
        transient.push((written - grew).max(0.0));
    }
    let gb_s = |r: &Measured| gb_seconds(r.billed_ms, STEP_MEMORY_MB);
    Some(Month {
        runs: days,
        transitions: per(&|r| r.transitions as f64)?,
        invocations: per(&|r| r.invocations as f64)?,
        lambda_gb_s: per(&gb_s)?,
        lambda_gb_s_paced: per(&|r| gb_s(r) * rate_scale.max(1.0))?,
        lambda_gb_s_floor: per(&|r| gb_seconds((r.okta_bound_s * 1000.0) as u64, STEP_MEMORY_MB))?,
        s3_put_tier: per(&|r| r.usage.s3_put_tier as f64)?,
        s3_get_tier: per(&|r| r.usage.s3_get_tier as f64)?,
        dynamodb_write_units: per(&|r| r.usage.dynamodb_write_units as f64)?,
        dynamodb_read_units: per(&|r| r.usage.dynamodb_read_units as f64)?,
        kms_requests: per(&|r| (r.usage.kms_generate_data_key + r.usage.kms_decrypt) as f64)?,
        first_bytes: first.stored_bytes as f64,
        daily_growth_bytes: mean(growth.into_iter())?,
        daily_noncurrent_bytes: mean(transient.into_iter())?,
        refresh_from_first,
    })
}

pub fn print_month(runs: &[Measured], days: f64, refresh_every: usize, rate_scale: f64) {
    let Some(m) = month(runs, days, refresh_every, rate_scale) else {
        println!("\nA month needs the first run and at least one daily run: give --cost-days 1 or more.");
        return;
    };
    println!(
        "\nA month of {days} daily backups (one full refresh every {refresh_every} days{}):",
        if m.refresh_from_first {
            "; no refresh measured, the first run stands in for it"
        } else {
            ""
        }
    );
    println!("  Step Functions state transitions  {:>14.0}", m.transitions);
    println!("  Lambda invocations                {:>14.0}", m.invocations);
    println!(
        "  Lambda GB-s ({STEP_MEMORY_MB} MB), as measured   {:>10.0}",
        m.lambda_gb_s
    );
    println!("  Lambda GB-s at Okta's limits, high  {:>12.0}", m.lambda_gb_s_paced);
    println!("  Lambda GB-s at Okta's limits, floor {:>12.0}", m.lambda_gb_s_floor);
    println!("  S3 PUT/LIST requests              {:>14.0}", m.s3_put_tier);
    println!("  S3 GET/HEAD requests              {:>14.0}", m.s3_get_tier);
    println!("  DynamoDB write request units      {:>14.0}", m.dynamodb_write_units);
    println!("  DynamoDB read request units       {:>14.0}", m.dynamodb_read_units);
    println!("  KMS requests (GenerateDataKey+Decrypt) {:>9.0}", m.kms_requests);
    println!("  S3 bytes of the first snapshot    {:>14.0}", m.first_bytes);
    println!("  S3 bytes stored, growth per day   {:>14.0}", m.daily_growth_bytes);
    println!("  S3 bytes made noncurrent per day  {:>14.0}", m.daily_noncurrent_bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: RunKind, transitions: u64, billed_ms: u64, new_bytes: u64, stored_bytes: u64) -> Measured {
        Measured {
            day: 0,
            kind,
            wall_s: 0.0,
            executions: 1,
            transitions,
            invocations: 1,
            billed_ms,
            usage: Usage {
                s3_new_bytes: new_bytes,
                ..Usage::default()
            },
            stored_bytes,
            okta_calls: 0,
            okta_bound_s: 10.0,
        }
    }

    #[test]
    fn a_month_is_one_refresh_a_week_and_the_rest_daily_runs() {
        let runs = [
            run(RunKind::First, 700, 4_000, 1_200, 1_000),
            run(RunKind::Incremental, 100, 1_000, 10, 1_010),
            run(RunKind::Incremental, 300, 3_000, 30, 1_030),
            run(RunKind::Refresh, 800, 6_000, 20, 1_030),
        ];
        let m = month(&runs, 28.0, 7, 10.0).unwrap();
        // 4 refreshes of 800 and 24 daily runs of 200 on average.
        assert_eq!(m.transitions, 4.0 * 800.0 + 24.0 * 200.0);
        // 512 MB: 4 refreshes of 3 GB-s, 24 daily runs of 1 GB-s; ten times as long at limits ten times lower; at
        // least each run's bound (10 s, 5 GB-s) however the work is spread.
        assert_eq!(m.lambda_gb_s, 4.0 * 3.0 + 24.0 * 1.0);
        assert_eq!(m.lambda_gb_s_paced, 10.0 * m.lambda_gb_s);
        assert_eq!(m.lambda_gb_s_floor, 28.0 * 5.0);
        assert_eq!(m.first_bytes, 1_000.0);
        // Growth 10, 20, 0; written but not kept 0, 10, 20.
        assert_eq!(m.daily_growth_bytes, 10.0);
        assert_eq!(m.daily_noncurrent_bytes, 10.0);
        assert!(!m.refresh_from_first);
    }

    #[test]
    fn without_a_measured_refresh_the_first_run_stands_in_and_no_daily_run_means_no_month() {
        let runs = [
            run(RunKind::First, 700, 0, 0, 0),
            run(RunKind::Incremental, 100, 0, 0, 0),
        ];
        let m = month(&runs, 7.0, 7, 1.0).unwrap();
        assert_eq!(m.transitions, 700.0 + 6.0 * 100.0);
        assert!(m.refresh_from_first);
        assert_eq!(month(&runs[..1], 7.0, 7, 1.0), None);
    }
}
