//! `oktavault-bench --per-step`: runs whole backups with every workflow step in a process of its own, as a
//! Lambda runs it (`oktavault step NAME`), and prints per step the invocations, the largest peak memory of one
//! invocation (its own `VmHWM`) and the time spent; and per execution the history events Step Functions would
//! count. What a 512 MB Lambda must hold is the largest of those peaks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use async_trait::async_trait;
use okta_sim::SimHandle;
use oktavault_shared::asl::{
    ExecutionOptions, StateMachine, TaskFailure, TaskInvoker, embedded_function_substitutions,
};
use oktavault_shared::workflow::STEPS;
use oktavault_shared::workflow::embedded::BACKUP_DEFINITION;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

#[derive(Debug, Default, Clone)]
struct StepStats {
    invocations: u64,
    peak_mib: f64,
    /// The category the invocation with the largest peak worked on (BackupPage pages one category).
    peak_category: Option<String>,
    seconds: f64,
}

/// Runs each Task in `oktavault step`, one process per invocation.
struct Subprocesses {
    binary: PathBuf,
    store: PathBuf,
    org: String,
    token: String,
    stats: Mutex<BTreeMap<String, StepStats>>,
}

#[async_trait]
impl TaskInvoker for Subprocesses {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure> {
        let started = Instant::now();
        let answer = self.run(function, &payload).await.map_err(|e| TaskFailure {
            error: "Bench.StepDidNotRun".into(),
            cause: format!("{e:#}"),
        })?;
        let mut stats = self.stats.lock().expect("stats lock");
        let entry = stats.entry(function.to_owned()).or_default();
        entry.invocations += 1;
        let peak = answer["peak_memory_mib"].as_f64().unwrap_or(0.0);
        if peak > entry.peak_mib {
            entry.peak_mib = peak;
            let input = payload.get("Payload").unwrap_or(&payload);
            entry.peak_category = input["category"].as_str().map(str::to_owned);
        }
        entry.seconds += started.elapsed().as_secs_f64();
        match answer.get("error") {
            Some(error) => Err(TaskFailure {
                error: error["Error"].as_str().unwrap_or("OktaVault.Fatal").to_owned(),
                cause: error["Cause"].as_str().unwrap_or_default().to_owned(),
            }),
            None => Ok(answer["output"].clone()),
        }
    }
}

impl Subprocesses {
    async fn run(&self, function: &str, payload: &Value) -> anyhow::Result<Value> {
        let mut child = tokio::process::Command::new(&self.binary)
            .arg("--store")
            .arg(&self.store)
            .args([
                "step",
                function,
                "--org",
                &self.org,
                "--token",
                &self.token,
                "--allow-local-org",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting oktavault step")?;
        let mut stdin = child.stdin.take().context("the step's stdin")?;
        stdin.write_all(payload.to_string().as_bytes()).await?;
        drop(stdin);
        let out = child.wait_with_output().await?;
        serde_json::from_slice(&out.stdout).with_context(|| {
            format!(
                "oktavault step {function} answered {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }
}

/// One backup of `sim`'s org into `store`, step by step, in as many executions as it takes. Prints its
/// figures under `label`.
pub async fn measure(binary: &Path, store: &Path, sim: &SimHandle, label: &str) -> anyhow::Result<()> {
    let machine = StateMachine::parse(BACKUP_DEFINITION, &embedded_function_substitutions(STEPS))?;
    let invoker = Arc::new(Subprocesses {
        binary: binary.to_owned(),
        store: store.to_owned(),
        org: sim.url(),
        token: sim.api_token(),
        stats: Mutex::new(BTreeMap::new()),
    });
    let org_id = oktavault_shared::okta::OrgUrl::parse(&sim.url(), true)?.org_id();
    let mut input = json!({"org_id": org_id});
    let started = Instant::now();
    let mut events = Vec::new();
    loop {
        let name = format!("bench-{label}-{}", events.len() + 1);
        let report = machine.run(input, invoker.clone(), &ExecutionOptions::new(name)).await;
        events.push(report.history_events());
        let output = report
            .outcome
            .map_err(|e| anyhow::anyhow!("the backup failed: {}: {}", e.error, e.cause))?;
        if output["continued"] != true {
            anyhow::ensure!(output["finished"] == true, "the backup did not finish: {output}");
            break;
        }
        input = output["next_input"].clone();
    }
    let wall = started.elapsed();
    println!(
        "  {label}: {:.1} s, {} execution(s), history events {:?} (Step Functions allows 25,000 per execution)",
        wall.as_secs_f64(),
        events.len(),
        events
    );
    println!(
        "  {:>16} {:>11} {:>14} {:>10}  {}",
        "step", "invocations", "peak MiB (max)", "seconds", "peak in category"
    );
    for (step, s) in invoker.stats.lock().expect("stats lock").iter() {
        println!(
            "  {step:>16} {:>11} {:>14.1} {:>10.1}  {}",
            s.invocations,
            s.peak_mib,
            s.seconds,
            s.peak_category.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
