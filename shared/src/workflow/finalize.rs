//! FinalizeBackup: folds the job's work documents into the sealed manifest, records the snapshot
//! and finishes the job. Safe to run again: a job already finished answers with its result.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::page::{running_job, sealing_key};
use super::work::{self, WorkEntry};
use super::{StepContext, StepError};
use crate::ids::{JobId, SnapshotId};
use crate::ports::{JobRecord, JobStatus, SnapshotRecord};
use crate::snapshot::{CategoryManifest, Manifest, ManifestEntry};
use crate::timefmt;

pub const MANIFEST_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinalizeInput {
    pub job_id: JobId,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinalizeOutput {
    pub job_id: JobId,
    pub snapshot_id: SnapshotId,
    pub status: JobStatus,
}

pub async fn finalize_backup(ctx: &StepContext, input: FinalizeInput) -> Result<FinalizeOutput, StepError> {
    if let Some(done) = already_finished(ctx, &input.job_id).await? {
        return Ok(done);
    }
    let mut job = running_job(ctx, &input.job_id).await?;
    let key = sealing_key(ctx, &job).await?;
    let progress = ctx.catalog.load_progress(&job.job_id).await?;

    let now = timefmt::now();
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
        let state = progress.get(name).cloned().unwrap_or_default();
        if !state.done {
            return Err(StepError::fatal(format!(
                "job {}: category {name} is not complete; it cannot be finalized",
                job.job_id
            )));
        }
        let entries = dedup_by_id(work::read_all(&ctx.vault, &job.org_id, &job.job_id, name).await?);
        let mut counts = state.counts.clone();
        counts.objects = entries.len() as u64;
        let category = CategoryManifest {
            skipped: state.counts.skipped.clone(),
            entries: entries
                .into_iter()
                .map(|WorkEntry(id, hash, last_updated, segment_key, index)| {
                    let next = manifest.segments.len() as u32;
                    let segment = *segment_index.entry(segment_key.clone()).or_insert_with(|| {
                        manifest.segments.push(segment_key);
                        next
                    });
                    ManifestEntry {
                        id,
                        hash,
                        last_updated,
                        segment,
                        index,
                    }
                })
                .collect(),
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
    if let Some(mut org) = ctx.catalog.get_org(&job.org_id).await? {
        org.last_snapshot = Some(key.snapshot_id.clone());
        ctx.catalog.put_org(&org).await?;
    }
    finish(ctx, &mut job, status, now).await?;
    work::delete_all(&ctx.vault, &job.org_id, &job.job_id).await?;
    Ok(FinalizeOutput {
        job_id: job.job_id,
        snapshot_id: key.snapshot_id,
        status,
    })
}

async fn already_finished(ctx: &StepContext, job_id: &JobId) -> Result<Option<FinalizeOutput>, StepError> {
    let Some(job) = ctx.catalog.get_job(job_id).await? else {
        return Ok(None);
    };
    match (job.status, job.snapshot_id) {
        (JobStatus::Completed | JobStatus::CompletedWithErrors, Some(snapshot_id)) => Ok(Some(FinalizeOutput {
            job_id: job.job_id,
            snapshot_id,
            status: job.status,
        })),
        _ => Ok(None),
    }
}

async fn finish(
    ctx: &StepContext,
    job: &mut JobRecord,
    status: JobStatus,
    now: time::OffsetDateTime,
) -> Result<(), StepError> {
    job.status = status;
    job.updated_at = timefmt::rfc3339(now);
    job.finished_at = Some(timefmt::rfc3339(now));
    ctx.catalog.update_job(job, JobStatus::Running).await?;
    Ok(())
}

/// One entry per object id; when a page listed an object twice (an object that moved between
/// list passes), the later listing wins.
fn dedup_by_id(entries: Vec<WorkEntry>) -> Vec<WorkEntry> {
    let mut position: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    let mut out: Vec<WorkEntry> = Vec::with_capacity(entries.len());
    for entry in entries {
        match position.get(entry.id()) {
            Some(&i) => out[i] = entry,
            None => {
                position.insert(entry.id().to_owned(), out.len());
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
        let at = Location {
            segment_key: "s".into(),
            index: 0,
        };
        WorkEntry::new(id.into(), hash_object(content.as_bytes()), None, at)
    }

    #[test]
    fn a_repeated_object_keeps_one_entry_and_the_later_content() {
        let out = dedup_by_id(vec![entry("a", "1"), entry("b", "2"), entry("a", "3")]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].1, hash_object(b"3"));
        assert_eq!(out[1].id(), "b");
    }
}
