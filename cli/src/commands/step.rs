//! `oktavault step NAME` (hidden): runs one workflow step on the JSON payload read from stdin, in a process of
//! its own, as a Lambda would run it, and prints its answer and the process's peak memory. The benchmark drives
//! whole backups this way to measure the memory each step needs.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use oktavault_shared::workflow::{StaticConnector, StepContext, dispatch};
use serde_json::json;

use super::authorize::{authorize, restore_scopes};
use super::backup::peak_memory_mib;
use crate::args::StepArgs;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: StepArgs) -> anyhow::Result<std::process::ExitCode> {
    let mut payload = String::new();
    std::io::stdin()
        .read_to_string(&mut payload)
        .context("reading the step's payload from stdin")?;
    let payload = serde_json::from_str(&payload).context("the step's payload is not JSON")?;
    let store = Store::open(store_dir)?;
    let (org, client) = authorize(&store, &args.backup.org, restore_scopes).await?;
    let connector = StaticConnector::default();
    connector.register(org.org_id.clone(), client);
    let ctx = StepContext::new(store.catalog.clone(), store.vault.clone(), Arc::new(connector))
        .with_page_budget(Duration::from_secs(args.backup.page_budget_secs));
    let answer = match dispatch(&ctx, &args.step, payload, None).await {
        Ok(output) => json!({"output": output}),
        Err(e) => json!({"error": {"Error": e.name(), "Cause": e.message}}),
    };
    let mut answer = answer;
    answer["peak_memory_mib"] = json!(peak_memory_mib());
    println!("{answer}");
    Ok(std::process::ExitCode::SUCCESS)
}
