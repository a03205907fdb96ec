//! FinalizeBackup: folds the job's committed pages into the sealed manifest, records the snapshot, moves the
//! org's last snapshot forward and finishes the job. Safe to run again: a job already finished answers with its
//! result. When some category is not complete yet (it paused to keep the execution under Step Functions'
//! history limit), it answers `finished: false` and the execution hands the job to a new one.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cadence;
use super::previous::parent_of;
use super::work::{self, Compact, SegmentKeys};
use crate::categories::{self, Category, Incremental};
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{
    Alert, BackupTrigger, CategoryCounts, ChangeCounts, JobKind, JobRecord, JobStatus, Lack, LogEntry, SnapshotRecord,
};
use crate::search;
use crate::snapshot::{AsOf, Location, ManifestWriter, SnapshotReader, id_order, walk};
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
    /// The state machine running this (`$$.StateMachine.Id`): a capture that waited for this job starts on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_machine: Option<String>,
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

    // Category by category, a part at a time: the manifest of any org is built in bounded memory.
    let mut writer = ManifestWriter::new(
        &ctx.vault,
        &key,
        job.job_id.clone(),
        job.created_at.clone(),
        job.previous_snapshot.clone(),
    );
    let mut carried_as_of = BTreeMap::new();
    for name in &job.categories {
        let mut counts = progress[name].counts.clone();
        match &counts.skipped {
            Some(reason) => writer.skipped(name, reason.clone()),
            None => {
                let category = categories::find(name)
                    .ok_or_else(|| StepError::fatal(format!("job {}: unknown category {name}", job.job_id)))?;
                let as_of = cadence::recorded(ctx, &job, category).await?;
                if let Some(as_of) = &as_of {
                    carried_as_of.insert(name.clone(), as_of.clone());
                }
                counts.objects = write_category(ctx, &mut writer, &job, category, as_of).await?;
            }
        }
        job.counts.insert(name.clone(), counts);
    }
    if job.trigger == BackupTrigger::Capture {
        carry_unlisted(ctx, &mut writer, &mut job, &mut carried_as_of).await?;
    }
    let manifest_key = writer.finish().await?;
    let (changes, lacks) = summarize(ctx, &job, &key.snapshot_id).await?;
    let status = if job.counts.values().any(|c| c.errors > 0) {
        JobStatus::CompletedWithErrors
    } else {
        JobStatus::Completed
    };
    let snapshot = SnapshotRecord {
        snapshot_id: key.snapshot_id.clone(),
        org_id: job.org_id.clone(),
        job_id: job.job_id.clone(),
        created_at: job.created_at.clone(),
        manifest_key,
        counts: job.counts.iter().map(|(name, c)| (name.clone(), c.objects)).collect(),
        status,
        full_refresh: job.full_refresh,
        previous: job.previous_snapshot.clone(),
        changes,
        lacks,
        trigger: job.trigger,
        as_of: carried_as_of,
    };
    ctx.catalog.put_snapshot(&snapshot).await?;
    // Never backwards: a slower job that finishes after a newer one leaves the newer one the org's last.
    ctx.catalog.advance_last_snapshot(&job.org_id, &key.snapshot_id).await?;
    index_for_search(ctx, &job, &key.snapshot_id).await?;
    let now = timefmt::rfc3339(timefmt::now());
    job.status = status;
    job.updated_at = now.clone();
    job.finished_at = Some(now);
    ctx.catalog.update_job(&job, JobStatus::Running).await?;
    work::delete_all(&ctx.vault, &job.org_id, &job.job_id).await?;
    lease::release(ctx, &job.org_id, JobKind::Backup, &input.owner).await?;
    ctx.alert(crate::service::alerts::job_ended(&job)).await;
    ctx.alert(mass_change(ctx, &snapshot).await?).await;
    crate::capture::start_waiting(ctx, &job.org_id, input.state_machine.as_deref()).await?;
    Ok(output(&job, true))
}

/// A capture's snapshot is whole: every category it did not list is carried whole from the snapshot it builds on,
/// entry by entry (the same segments), with what that snapshot lacked. A category that snapshot does not hold is
/// recorded as skipped, with why.
async fn carry_unlisted(
    ctx: &StepContext,
    writer: &mut ManifestWriter<'_>,
    job: &mut JobRecord,
    carried_as_of: &mut BTreeMap<String, AsOf>,
) -> Result<(), StepError> {
    let Some(previous) = &job.previous_snapshot else {
        return Ok(());
    };
    let before = SnapshotReader::open(ctx.vault.clone(), &job.org_id, previous).await?;
    for category in categories::CATEGORIES {
        if job.categories.iter().any(|c| c == category.name) {
            continue;
        }
        let mut counts = CategoryCounts::default();
        match before.head().categories.get(category.name) {
            None => {
                let why = format!("the snapshot {previous} this capture carries from does not hold it");
                writer.skipped(category.name, why.clone());
                counts.skipped = Some(why);
            }
            Some(held) if held.skipped.is_some() => {
                writer.skipped(category.name, held.skipped.clone().unwrap_or_default());
                counts.skipped = held.skipped.clone();
            }
            Some(held) => {
                writer.begin(category.name, held.incomplete.clone()).await?;
                // A category read on a cadence or by change stays as of its last read (the capture did not read
                // it): the next backup must not take the capture's start as the time its values were read.
                let by_time = matches!(
                    category.incremental,
                    Incremental::OnCadence | Incremental::ListedByChange { .. }
                );
                let as_of = held.as_of.clone().or_else(|| {
                    by_time.then(|| AsOf {
                        snapshot_id: previous.clone(),
                        read_at: before.head().created_at.clone(),
                    })
                });
                if let Some(as_of) = as_of {
                    carried_as_of.insert(category.name.to_owned(), as_of.clone());
                    writer.set_as_of(as_of);
                }
                for n in 0..before.part_count(category.name) {
                    let part = before.part(category.name, n).await?;
                    for entry in &part.entries {
                        let at = Location {
                            segment_key: part.segment_key(entry).to_owned(),
                            index: entry.index,
                        };
                        writer
                            .push(entry.id.clone(), entry.hash, entry.last_updated.clone(), &at)
                            .await?;
                        counts.objects += 1;
                    }
                }
                writer.end().await?;
            }
        }
        job.counts.insert(category.name.to_owned(), counts);
    }
    Ok(())
}

/// The mass-change alert the snapshot just written calls for, judged against the counts of the snapshot before it.
async fn mass_change(ctx: &StepContext, snapshot: &SnapshotRecord) -> Result<Option<Alert>, StepError> {
    let Some(previous) = &snapshot.previous else {
        return Ok(None);
    };
    let Some(before) = ctx.catalog.get_snapshot(&snapshot.org_id, previous).await? else {
        return Ok(None);
    };
    let org = ctx.registered_org(&snapshot.org_id).await?;
    Ok(crate::service::alerts::mass_change(&org, snapshot, &before.counts))
}

/// What the snapshot just written changed since the org's previous one, and what it lacks, for the timeline.
/// The changes are left unrecorded (the timeline compares the manifests when asked) if the previous snapshot can
/// no longer be read: a finished backup is never failed for the sake of its summary.
async fn summarize(
    ctx: &StepContext,
    job: &JobRecord,
    snapshot: &SnapshotId,
) -> Result<(Option<BTreeMap<String, ChangeCounts>>, Vec<Lack>), StepError> {
    let after = SnapshotReader::open(ctx.vault.clone(), &job.org_id, snapshot).await?;
    let lacks = walk::lacks(after.head());
    let before = match &job.previous_snapshot {
        // The org's first snapshot: nothing to count against (the timeline shows it as the first).
        None => return Ok((Some(BTreeMap::new()), lacks)),
        Some(previous) => match SnapshotReader::open(ctx.vault.clone(), &job.org_id, previous).await {
            Ok(reader) => reader,
            Err(e) => {
                tracing::warn!(job = %job.job_id, %previous, error = %e, "changes since the previous snapshot not counted");
                return Ok((None, lacks));
            }
        },
    };
    let changes = match walk::count_changes(&before, &after).await {
        Ok(changes) => Some(changes),
        Err(e) => {
            tracing::warn!(job = %job.job_id, error = %e, "changes since the previous snapshot not counted");
            None
        }
    };
    Ok((changes, lacks))
}

/// Adds the snapshot to the org's search index. The backup stands without it: a failure is logged on the job, and
/// the next load of the index or finalize indexes the snapshot from its manifest.
async fn index_for_search(ctx: &StepContext, job: &JobRecord, snapshot: &SnapshotId) -> Result<(), StepError> {
    let snapshots = ctx.catalog.list_snapshots(&job.org_id).await?;
    if let Err(e) = search::index_snapshot(&ctx.vault, &job.org_id, &snapshots, snapshot).await {
        let line = LogEntry {
            at: timefmt::rfc3339(timefmt::now()),
            category: "search_index".to_owned(),
            object_id: None,
            outcome: "not_indexed".to_owned(),
            message: format!(
                "snapshot {snapshot} is not in the search index yet ({e}); the next search or backup indexes it from \
                 its manifest"
            ),
        };
        ctx.catalog.append_log(&job.job_id, "search_index", &[line]).await?;
    }
    Ok(())
}

/// Writes one category's committed pages into the manifest, in id order, and returns its object count.
///
/// A list category (users...) comes in Okta's order and is sorted whole (a million users is about 100 MB).
/// A per-parent category comes parent by parent in id order (BackupPage walks its parents so), so only one
/// parent's children are sorted at a time; should a job's pages not be in that order (a job begun by an older
/// version), the category is sorted whole instead.
async fn write_category(
    ctx: &StepContext,
    writer: &mut ManifestWriter<'_>,
    job: &JobRecord,
    category: &'static Category,
    as_of: Option<AsOf>,
) -> Result<u64, StepError> {
    let pages = work::page_keys(&ctx.vault, &job.org_id, &job.job_id, category.name).await?;
    let mut segments = SegmentKeys::default();
    let mut incomplete = Vec::new();
    if category.parent().is_some() {
        let mut group: Vec<Compact> = Vec::new();
        let mut written = 0u64;
        writer.begin(category.name, Vec::new()).await?;
        if let Some(as_of) = &as_of {
            writer.set_as_of(as_of.clone());
        }
        let mut in_order = true;
        'pages: for page in &pages {
            let doc = work::read_page(&ctx.vault, &job.org_id, page).await?;
            incomplete.extend(doc.incomplete.iter().cloned());
            for entry in doc.into_entries(page)? {
                let entry = Compact::of(entry, &mut segments);
                let parent = parent_of(category, &entry.id);
                if let Some(first) = group.first()
                    && parent_of(category, &first.id) != parent
                {
                    if id_order(parent_of(category, &first.id), parent) != Ordering::Less {
                        in_order = false;
                        break 'pages;
                    }
                    written += push_sorted(writer, std::mem::take(&mut group), &segments).await?;
                }
                group.push(entry);
            }
        }
        if in_order {
            written += push_sorted(writer, group, &segments).await?;
            writer.set_incomplete(incomplete);
            writer.end().await?;
            return Ok(written);
        }
        writer.restart();
        incomplete.clear();
    }
    let mut entries = Vec::new();
    for page in &pages {
        let doc = work::read_page(&ctx.vault, &job.org_id, page).await?;
        incomplete.extend(doc.incomplete.iter().cloned());
        entries.extend(
            doc.into_entries(page)?
                .into_iter()
                .map(|e| Compact::of(e, &mut segments)),
        );
    }
    writer.begin(category.name, incomplete).await?;
    if let Some(as_of) = as_of {
        writer.set_as_of(as_of);
    }
    let written = push_sorted(writer, entries, &segments).await?;
    writer.end().await?;
    Ok(written)
}

/// Pushes `entries` in id order, one per id: when a page listed an object twice (an object that moved between
/// list passes), the later listing wins. Returns how many were pushed.
async fn push_sorted(
    writer: &mut ManifestWriter<'_>,
    entries: Vec<Compact>,
    segments: &SegmentKeys,
) -> Result<u64, StepError> {
    let entries = dedup_sorted(entries);
    let count = entries.len() as u64;
    for entry in entries {
        let at = entry.location(segments);
        writer
            .push(
                entry.id.into_string(),
                entry.hash,
                entry.last_updated.map(String::from),
                &at,
            )
            .await?;
    }
    Ok(count)
}

/// `entries` in id order, one per id, the later of two with one id kept.
fn dedup_sorted(mut entries: Vec<Compact>) -> Vec<Compact> {
    // Stable: of equal ids, the later listing stays later, and is the one kept.
    entries.sort_by(|a, b| id_order(&a.id, &b.id));
    let mut out: Vec<Compact> = Vec::with_capacity(entries.len());
    for entry in entries {
        match out.last_mut() {
            Some(last) if last.id == entry.id => *last = entry,
            _ => out.push(entry),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::hash_object;

    fn entry(id: &str, content: &str) -> Compact {
        Compact {
            id: id.into(),
            hash: hash_object(content.as_bytes()),
            last_updated: None,
            segment: 0,
            index: 0,
        }
    }

    #[test]
    fn a_repeated_object_keeps_one_entry_and_the_later_content_in_id_order() {
        let out = dedup_sorted(vec![entry("b", "2"), entry("a", "1"), entry("a", "3")]);
        assert_eq!(out.len(), 2);
        assert_eq!(&*out[0].id, "a");
        assert_eq!(out[0].hash, hash_object(b"3"));
        assert_eq!(&*out[1].id, "b");
    }
}
