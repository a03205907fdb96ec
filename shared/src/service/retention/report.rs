//! What a sweep did, per org and in total: one type that serializes (for `--json` and the Lambda's answer) and
//! displays.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::ids::{OrgId, SnapshotId};

/// What the sweep of one org did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgSweep {
    pub org_id: OrgId,
    /// The snapshots the plan expired in this run.
    pub expired: Vec<SnapshotId>,
    /// Catalog records deleted (those expired now and those a stopped run left marked).
    pub records_deleted: usize,
    /// Snapshots whose every blob is now gone.
    pub snapshots_deleted: Vec<SnapshotId>,
    /// Segments deleted: written by a deleted snapshot, named by no remaining one.
    pub segments_deleted: usize,
    /// Segments of deleted snapshots kept because a remaining snapshot still names them (deduplication).
    pub segments_kept: usize,
    /// Manifest blobs, and with a purge every other blob of the org.
    pub other_blobs_deleted: usize,
    /// Expired snapshots whose blobs wait for an active job that reads them, with why.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub deferred: BTreeMap<SnapshotId, String>,
    /// Segments whose Object Lock was lengthened because a newer snapshot still names them (locked buckets only).
    pub locks_extended: usize,
    /// The org's search index deltas were folded into its base (at a forgotten snapshot, or once enough waited).
    pub search_compacted: bool,
    /// Every remaining blob of the org was deleted (no longer backed up, no snapshot left).
    pub purged: bool,
    /// False when the time budget ended first: the next sweep finishes the job.
    pub finished: bool,
    /// Why the sweep of this org stopped, for a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl OrgSweep {
    pub fn new(org_id: OrgId) -> Self {
        Self {
            org_id,
            expired: Vec::new(),
            records_deleted: 0,
            snapshots_deleted: Vec::new(),
            segments_deleted: 0,
            segments_kept: 0,
            other_blobs_deleted: 0,
            locks_extended: 0,
            search_compacted: false,
            deferred: BTreeMap::new(),
            purged: false,
            finished: true,
            error: None,
        }
    }
}

/// What a sweep over every org did. Bytes freed are not reported: the blob store does not say how large a blob
/// is without reading it, and on AWS the bytes go only when the lifecycle rule expires the noncurrent versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SweepReport {
    pub orgs: Vec<OrgSweep>,
    pub snapshots_deleted: usize,
    pub segments_deleted: usize,
    pub other_blobs_deleted: usize,
    /// Orgs whose sweep failed; the others were still swept.
    pub errors: usize,
    /// False when the time budget ended before every org was swept: the next sweep goes on.
    pub finished: bool,
}

impl SweepReport {
    pub fn new() -> Self {
        Self {
            finished: true,
            ..Self::default()
        }
    }

    pub fn add(&mut self, org: OrgSweep) {
        self.snapshots_deleted += org.snapshots_deleted.len();
        self.segments_deleted += org.segments_deleted;
        self.other_blobs_deleted += org.other_blobs_deleted;
        if org.error.is_some() {
            self.errors += 1;
        }
        if !org.finished {
            self.finished = false;
        }
        self.orgs.push(org);
    }
}

impl fmt::Display for OrgSweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} snapshot(s) deleted, {} segment(s) deleted, {} kept for later snapshots, {} other blob(s) \
             deleted",
            self.org_id,
            self.snapshots_deleted.len(),
            self.segments_deleted,
            self.segments_kept,
            self.other_blobs_deleted
        )?;
        if self.locks_extended > 0 {
            write!(
                f,
                "; {} segment lock(s) lengthened for newer snapshots",
                self.locks_extended
            )?;
        }
        if self.search_compacted {
            write!(f, "; search index compacted")?;
        }
        if self.purged {
            write!(f, "; no snapshot remains, every blob of the org is deleted")?;
        }
        writeln!(f)?;
        for snapshot in &self.snapshots_deleted {
            writeln!(f, "  deleted {snapshot}")?;
        }
        for (snapshot, why) in &self.deferred {
            writeln!(f, "  {snapshot} expired, its blobs wait: {why}")?;
        }
        if !self.finished {
            writeln!(f, "  stopped at the time budget; the next sweep finishes it")?;
        }
        if let Some(error) = &self.error {
            writeln!(f, "  FAILED: {error}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SweepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.orgs.is_empty() {
            writeln!(f, "No orgs to sweep.")?;
        }
        for org in &self.orgs {
            write!(f, "{org}")?;
        }
        writeln!(
            f,
            "Total: {} snapshot(s), {} segment(s) and {} other blob(s) deleted{}{}",
            self.snapshots_deleted,
            self.segments_deleted,
            self.other_blobs_deleted,
            if self.errors > 0 {
                format!("; {} org(s) failed", self.errors)
            } else {
                String::new()
            },
            if self.finished {
                ""
            } else {
                "; stopped at the time budget, the next sweep goes on"
            }
        )
    }
}
