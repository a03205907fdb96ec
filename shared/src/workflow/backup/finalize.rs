//! FinalizeBackup: folds the job's committed pages into the sealed manifest, records the snapshot, moves the
//! org's last snapshot forward and finishes the job. Safe to run again: a job already finished answers with its
//! result. When some category is not complete yet (it paused to keep the execution under Step Functions'
//! history limit), it answers `finished: false` and the execution hands the job to a new one.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::work::{self, WorkEntry};
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{JobKind, JobRecord, JobStatus, SnapshotRecord};
use crate::snapshot::{CategoryManifest, MANIFEST_FORMAT_VERSION, Manifest, ManifestEntry};
use crate::timefmt;
use crate::workflow::job::{running_job, sealing_key};
use crate::workflow::{StepContext, StepError, lease};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinalizeInput {
    pub job_id: JobId,
    pub owner: String,
    /// Passed through from PlanBackup, for the host's report and a continuation.
    #[serde(default)]
    pub resumed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinalizeOutput {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub owner: String,
    /// False when categories remain: the execution continues the job in a new one.
    pub finished: bool,
    pub snapshot_id: Option<SnapshotId>,
    pub status: JobStatus,
    pub resumed: bool,
    /// Always present (null when unset): the state machine passes it to ContinueBackup by path.
    #[serde(default)]
    pub max_iterations: Option<u32>,
}

pub async fn finalize_backup(ctx: &StepContext, input: FinalizeInput) -> Result<FinalizeOutput, StepError> {
    let output = |job: &JobRecord, finished: bool| FinalizeOutput {
        job_id: job.job_id.clone(),
        org_id: job.org_id.clone(),
        owner: input.owner.clone(),
        finished,
        snapshot_id: job.snapshot_id.clone(),
        status: job.status,
        resumed: input.resumed,
        max_iterations: input.max_iterations,
    };
    if let Some(job) = ctx.catalog.get_job(&input.job_id).await?
        && matches!(job.status, JobStatus::Completed | JobStatus::CompletedWithErrors)
    {
        return Ok(output(&job, true));
    }
    let mut job = running_job(ctx, &input.job_id).await?;
    lease::renew(ctx, &job.org_id, JobKind::Backup, &job.job_id, &input.owner).await?;
    let progress = ctx.catalog.load_progress(&job.job_id).await?;
    if job
        .categories
        .iter()
        .any(|name| !progress.get(name).is_some_and(|p| p.done))
    {
        return Ok(output(&job, false));
    }
    let key = sealing_key(ctx, &job).await?;

    let mut manifest = Manifest {
        format_version: MANIFEST_FORMAT_VERSION,
        org_id: job.org_id.clone(),
        snapshot_id: key.snapshot_id.clone(),
        job_id: job.job_id.clone(),
        created_at: job.created_at.clone(),
        previous: job.previous_snapshot.clone(),
        segments: Vec::new(),
        categories: BTreeMap::new(),
    };
    let mut segment_index: HashMap<String, u32> = HashMap::new();
    for name in &job.categories {
        let mut counts = progress[name].counts.clone();
        let category = match &counts.skipped {
            Some(reason) => CategoryManifest {
                skipped: Some(reason.clone()),
                ..CategoryManifest::default()
            },
            None => {
                let (entries, incomplete) = work::read_all(&ctx.vault, &job.org_id, &job.job_id, name).await?;
                let entries = dedup_by_id(entries);
                counts.objects = entries.len() as u64;
                CategoryManifest {
                    skipped: None,
                    incomplete,
                    entries: entries
                        .into_iter()
                        .map(
                            |WorkEntry {
                                 id,
                                 hash,
                                 last_updated,
                                 at,
                             }| {
                                let next = manifest.segments.len() as u32;
                                let segment = *segment_index.entry(at.segment_key.clone()).or_insert_with(|| {
                                    manifest.segments.push(at.segment_key);
                                    next
                                });
                                ManifestEntry {
                                    id,
                                    hash,
                                    last_updated,
                                    segment,
                                    index: at.index,
                                }
                            },
                        )
                        .collect(),
                }
            }
        };
        manifest.categories.insert(name.clone(), category);
        job.counts.insert(name.clone(), counts);
    }

    let manifest_key = ctx.vault.write_manifest(&key, &manifest).await?;
    let status = if job.counts.values().any(|c| c.errors > 0) {
        JobStatus::CompletedWithErrors
    } else {
        JobStatus::Completed
    };
    ctx.catalog
        .put_snapshot(&SnapshotRecord {
            snapshot_id: key.snapshot_id.clone(),
            org_id: job.org_id.clone(),
            job_id: job.job_id.clone(),
            created_at: job.created_at.clone(),
            manifest_key,
            counts: job.counts.iter().map(|(name, c)| (name.clone(), c.objects)).collect(),
            status,
            full_refresh: job.full_refresh,
        })
        .await?;
    // Never backwards: a slower job that finishes after a newer one leaves the newer one the org's last.
    ctx.catalog.advance_last_snapshot(&job.org_id, &key.snapshot_id).await?;
    let now = timefmt::rfc3339(timefmt::now());
    job.status = status;
    job.updated_at = now.clone();
    job.finished_at = Some(now);
    ctx.catalog.update_job(&job, JobStatus::Running).await?;
    work::delete_all(&ctx.vault, &job.org_id, &job.job_id).await?;
    lease::release(ctx, &job.org_id, JobKind::Backup, &input.owner).await?;
    Ok(output(&job, true))
}

/// One entry per object id; when a page listed an object twice (an object that moved between
/// list passes), the later listing wins.
fn dedup_by_id(entries: Vec<WorkEntry>) -> Vec<WorkEntry> {
    let mut position: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    let mut out: Vec<WorkEntry> = Vec::with_capacity(entries.len());
    for entry in entries {
        match position.get(&entry.id) {
            Some(&i) => out[i] = entry,
            None => {
                position.insert(entry.id.clone(), out.len());
                out.push(entry);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Location, hash_object};

    fn entry(id: &str, content: &str) -> WorkEntry {
        WorkEntry {
            id: id.into(),
            hash: hash_object(content.as_bytes()),
            last_updated: None,
            at: Location {
                segment_key: "s".into(),
                index: 0,
            },
        }
    }

    #[test]
    fn a_repeated_object_keeps_one_entry_and_the_later_content() {
        let out = dedup_by_id(vec![entry("a", "1"), entry("b", "2"), entry("a", "3")]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].hash, hash_object(b"3"));
        assert_eq!(out[1].id, "b");
    }
}
