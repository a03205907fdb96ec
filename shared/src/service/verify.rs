//! Verifying snapshots: every blob each needs is read and authenticated, and a damaged blob is named with every
//! snapshot it reaches (a segment is shared by every later snapshot that carried its objects).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::ids::{OrgId, SnapshotId};
use crate::ports::SnapshotRecord;
use crate::snapshot::{SnapshotReader, Vault, VerifyReport};

#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub snapshots: Vec<SnapshotVerification>,
    /// Each missing or damaged blob once, with the snapshots it reaches.
    pub damage: Vec<Damage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotVerification {
    pub snapshot_id: SnapshotId,
    pub org_id: OrgId,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Checked(VerifyReport),
    /// The manifest itself is missing or fails authentication: nothing else of the snapshot can be trusted.
    Unreadable(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Damage {
    pub blob_key: String,
    pub reason: String,
    /// Every verified snapshot that needs the blob, oldest first.
    pub snapshots: Vec<SnapshotId>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.damage.is_empty()
    }
}

/// Verifies `records` (snapshots of any orgs).
pub async fn verify(vault: &Vault, records: Vec<SnapshotRecord>) -> Verification {
    let mut snapshots = Vec::with_capacity(records.len());
    let mut damage: BTreeMap<String, Damage> = BTreeMap::new();
    let mut note = |blob_key: &str, reason: &str, snapshot: &SnapshotId| {
        let entry = damage.entry(blob_key.to_owned()).or_insert_with(|| Damage {
            blob_key: blob_key.to_owned(),
            reason: reason.to_owned(),
            snapshots: Vec::new(),
        });
        if !entry.snapshots.contains(snapshot) {
            entry.snapshots.push(snapshot.clone());
        }
    };
    for record in records {
        let outcome = match SnapshotReader::open(vault.clone(), &record.org_id, &record.snapshot_id).await {
            Ok(reader) => {
                let report = reader.verify().await;
                for problem in &report.problems {
                    note(&problem.blob_key, &problem.reason, &record.snapshot_id);
                }
                Outcome::Checked(report)
            }
            Err(e) => {
                note(&record.manifest_key, &e.to_string(), &record.snapshot_id);
                Outcome::Unreadable(e.to_string())
            }
        };
        snapshots.push(SnapshotVerification {
            snapshot_id: record.snapshot_id,
            org_id: record.org_id,
            outcome,
        });
    }
    Verification {
        snapshots,
        damage: damage.into_values().collect(),
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
        if !self.damage.is_empty() {
            writeln!(f, "\nDamaged or missing blobs, and the snapshots they reach:")?;
            for d in &self.damage {
                let reached: Vec<String> = d.snapshots.iter().map(|s| s.to_string()).collect();
                writeln!(f, "  {}: {}", d.blob_key, reached.join(", "))?;
            }
            writeln!(
                f,
                "Run `oktavault backup --full` for the org: it writes a new, whole snapshot, storing afresh every \
                 object whose bytes are lost. Sealed snapshots are never rewritten."
            )?;
        }
        Ok(())
    }
}
