//! Verifying a snapshot end to end: every blob it needs opens, and every object is what the
//! manifest says.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use futures::StreamExt;
use serde::Serialize;

use crate::ids::SnapshotId;

use super::manifest::ManifestEntry;
use super::reader::{SnapshotReader, check_entry};

/// Segments fetched at once: enough to hide S3 latency, few enough to bound memory.
const PARALLEL_SEGMENT_READS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub snapshot_id: SnapshotId,
    /// Blobs read and authenticated (the manifest plus each referenced segment once).
    pub blobs_checked: usize,
    /// Manifest entries compared with the object in their segment.
    pub objects_checked: usize,
    pub problems: Vec<VerifyProblem>,
}

/// One missing or failing blob, or one object that is not what the manifest says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyProblem {
    pub blob_key: String,
    /// Set when the problem is one object rather than a whole blob.
    pub category: Option<String>,
    pub object_id: Option<String>,
    /// How many of the snapshot's objects cannot be restored because of this problem.
    pub objects_affected: usize,
    pub reason: String,
    /// True when the cause may be transient (a throttled store or KMS): verify again.
    pub retryable: bool,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "snapshot {}: checked {} blobs and {} objects",
            self.snapshot_id, self.blobs_checked, self.objects_checked
        )?;
        if self.problems.is_empty() {
            return writeln!(f, ": no problems");
        }
        writeln!(f, ": {} problem(s)", self.problems.len())?;
        for p in &self.problems {
            write!(f, "  - {}", p.blob_key)?;
            if let (Some(c), Some(id)) = (&p.category, &p.object_id) {
                write!(f, " ({c}/{id})")?;
            }
            write!(f, ": {} [{} object(s) affected", p.reason, p.objects_affected)?;
            writeln!(
                f,
                "{}]",
                if p.retryable {
                    "; may be transient, verify again"
                } else {
                    ""
                }
            )?;
        }
        Ok(())
    }
}

impl SnapshotReader {
    /// Reads and authenticates every blob the snapshot needs (the manifest head, each part, each referenced
    /// segment) and checks every entry's hash; returns a report listing each missing or failing blob by key,
    /// with why. A part at a time: a snapshot of any size is verified in bounded memory.
    pub async fn verify(&self) -> VerifyReport {
        let head = self.head();
        let mut report = VerifyReport {
            snapshot_id: head.snapshot_id.clone(),
            blobs_checked: 1, // the head, authenticated when the reader opened
            objects_checked: 0,
            problems: Vec::new(),
        };
        let mut checked: HashSet<String> = HashSet::new();
        let mut failed: HashSet<String> = HashSet::new();
        for (category, c) in &head.categories {
            for (n, part_ref) in c.parts.iter().enumerate() {
                let part = match self.part(category, n).await {
                    Ok(part) => part,
                    Err(e) => {
                        report.blobs_checked += 1;
                        report.problems.push(VerifyProblem {
                            blob_key: part_ref.key.clone(),
                            category: Some(category.clone()),
                            object_id: None,
                            objects_affected: part_ref.entries as usize,
                            reason: e.to_string(),
                            retryable: e.is_retryable(),
                        });
                        continue;
                    }
                };
                if !part_ref.key.is_empty() {
                    report.blobs_checked += 1;
                }
                // Entries by segment, each segment opened once per part (and once per snapshot, mostly).
                let mut by_segment: BTreeMap<u32, Vec<&ManifestEntry>> = BTreeMap::new();
                for entry in &part.entries {
                    by_segment.entry(entry.segment).or_default().push(entry);
                }
                let mut reads = futures::stream::iter(by_segment)
                    .map(|(segment, entries)| {
                        let key = part.segments[segment as usize].clone();
                        async move {
                            let opened = self.segment(&key).await;
                            (key, entries, opened)
                        }
                    })
                    .buffered(PARALLEL_SEGMENT_READS);
                while let Some((key, entries, opened)) = reads.next().await {
                    if checked.insert(key.clone()) {
                        report.blobs_checked += 1;
                    }
                    let segment = match opened {
                        Ok(segment) => segment,
                        Err(e) => {
                            if failed.insert(key.clone()) {
                                report.problems.push(VerifyProblem {
                                    blob_key: key,
                                    category: None,
                                    object_id: None,
                                    objects_affected: entries.len(),
                                    reason: e.to_string(),
                                    retryable: e.is_retryable(),
                                });
                            } else if let Some(p) = report.problems.iter_mut().find(|p| p.blob_key == key) {
                                p.objects_affected += entries.len();
                            }
                            continue;
                        }
                    };
                    for entry in entries {
                        report.objects_checked += 1;
                        if let Err(e) = check_entry(category, entry, &segment) {
                            report.problems.push(VerifyProblem {
                                blob_key: key.clone(),
                                category: Some(category.to_string()),
                                object_id: Some(entry.id.clone()),
                                objects_affected: 1,
                                reason: e.to_string(),
                                retryable: false,
                            });
                        }
                    }
                }
            }
        }
        report
    }
}
