//! `oktavault verify`: reads and authenticates every blob a snapshot needs.

use std::fmt;
use std::path::Path;

use oktavault_shared::ids::{OrgId, SnapshotId};
use oktavault_shared::snapshot::{SnapshotReader, VerifyReport};
use serde::Serialize;

use crate::args::VerifyArgs;
use crate::output::Output;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: VerifyArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let records = match &args.snapshot {
        Some(wanted) => vec![store.resolve_snapshot(wanted).await?],
        None => store.snapshots(None).await?,
    };
    let mut results = Vec::with_capacity(records.len());
    for record in records {
        let outcome = match SnapshotReader::open(store.vault.clone(), &record.org_id, &record.snapshot_id).await {
            Ok(reader) => Outcome::Checked(reader.verify().await),
            // The manifest itself is missing or fails authentication: nothing else can be trusted.
            Err(e) => Outcome::Unreadable(e.to_string()),
        };
        results.push(SnapshotVerification {
            snapshot_id: record.snapshot_id,
            org_id: record.org_id,
            outcome,
        });
    }
    let report = Verification { snapshots: results };
    out.emit(&report);
    Ok(if report.ok() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    })
}

#[derive(Serialize)]
struct Verification {
    snapshots: Vec<SnapshotVerification>,
}

#[derive(Serialize)]
struct SnapshotVerification {
    snapshot_id: SnapshotId,
    org_id: OrgId,
    #[serde(flatten)]
    outcome: Outcome,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Checked(VerifyReport),
    Unreadable(String),
}

impl Verification {
    fn ok(&self) -> bool {
        self.snapshots
            .iter()
            .all(|s| matches!(&s.outcome, Outcome::Checked(r) if r.problems.is_empty()))
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.snapshots.is_empty() {
            return writeln!(f, "No snapshots to verify.");
        }
        for s in &self.snapshots {
            match &s.outcome {
                Outcome::Checked(report) if report.problems.is_empty() => {
                    writeln!(f, "{} ({}): OK, {report}", s.snapshot_id, s.org_id)?
                }
                Outcome::Checked(report) => writeln!(f, "{} ({}): FAILED\n{report}", s.snapshot_id, s.org_id)?,
                Outcome::Unreadable(e) => {
                    writeln!(f, "{} ({}): FAILED, manifest unreadable: {e}", s.snapshot_id, s.org_id)?
                }
            }
        }
        Ok(())
    }
}
