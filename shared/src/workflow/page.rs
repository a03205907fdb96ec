//! BackupPage: fetches pages of one category until its time budget is spent or the category is
//! complete, writing each page's new objects to a segment and a work document, then saving the
//! cursor. A page is identified by its sequence number, so running a page again (after a crash
//! or a retry) overwrites the same blobs: nothing is duplicated and nothing is lost.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use super::batch::{CarriedParents, FETCH_CONCURRENCY, next_requests};
use super::carry::Carry;
use super::context::Previous;
use super::cursor::{Cursor, NextRequest};
use super::items::{Rejected, keep_items};
use super::log_window::{LATE_EVENT_MARGIN_MINUTES, LogWindow, logged_targets, previous_start};
use super::parents::{parent_entries, parent_queries};
use super::work::{self, WorkDoc, WorkEntry};
use super::{StepContext, StepError};
use crate::categories::{self, Category, Response, Source};
use crate::ids::JobId;
use crate::okta::{OktaClient, OktaError, Page};
use crate::ports::{CategoryProgress, JobRecord, JobStatus, LogEntry};
use crate::snapshot::{CanonicalObject, Location, SealingKey, keys};
use crate::timefmt;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupPageInput {
    pub job_id: JobId,
    pub category: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupPageOutput {
    pub job_id: JobId,
    pub category: String,
    pub done: bool,
    pub pages: u64,
    pub objects: u64,
}

pub async fn backup_page(ctx: &StepContext, input: BackupPageInput) -> Result<BackupPageOutput, StepError> {
    let job = running_job(ctx, &input.job_id).await?;
    let category = categories::find(&input.category)
        .filter(|c| job.categories.iter().any(|n| n == c.name))
        .ok_or_else(|| {
            StepError::fatal(format!(
                "job {} does not back up a category {:?}",
                job.job_id, input.category
            ))
        })?;
    let mut progress = ctx
        .catalog
        .load_progress(&job.job_id)
        .await?
        .remove(category.name)
        .unwrap_or_default();
    if progress.done {
        return Ok(output(&job, category, &progress));
    }

    let run = PageRun::start(ctx, &job, category).await?;
    let mut cursor: Cursor = match &progress.cursor {
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
            StepError::fatal(format!(
                "job {}: the saved position of {} is unreadable: {e}",
                job.job_id, category.name
            ))
        })?,
        None => Cursor::default(),
    };
    let parent_entries = match category.parent() {
        Some(parent) => match parent_entries(ctx, &job, category, parent).await? {
            Some(entries) => entries,
            None => {
                progress.counts.skipped = Some(format!("its parent category {} was skipped", parent.name));
                progress.done = true;
                ctx.catalog.save_progress(&job.job_id, category.name, &progress).await?;
                return Ok(output(&job, category, &progress));
            }
        },
        None => Vec::new(),
    };

    let Some(parents) = parent_queries(ctx, &job, category, &parent_entries).await? else {
        let names = category.requires().last().map_or("", |c| c.name);
        progress.counts.skipped = Some(format!("the category its names come from, {names}, was skipped"));
        progress.done = true;
        ctx.catalog.save_progress(&job.job_id, category.name, &progress).await?;
        return Ok(output(&job, category, &progress));
    };
    let carry = match Carry::new(category, &job, run.previous.as_ref()) {
        Some(mut carry) if !carry.events().is_empty() => {
            match run.logged_parents(carry.events(), carry.target()).await? {
                Some(parents) => {
                    carry.set_logged(parents);
                    Some(carry)
                }
                None => None,
            }
        }
        other => other,
    };
    // The cursor counts queries, which a parent filter or a name per parent set apart from the entries.
    let carried_parents = CarriedParents {
        carry: carry.as_ref(),
        entries_by_id: match carry {
            Some(_) => parent_entries.iter().map(|e| (e.id(), e)).collect(),
            None => HashMap::new(),
        },
    };
    let log_query = match category.source {
        Source::Log { path } => Some(run.log_window().await?.query(path, &[])),
        _ => None,
    };

    let started = Instant::now();
    loop {
        if let Some(carry) = &carry
            && cursor.next.is_none()
        {
            // A run of parents whose children need no call: carried together as one page.
            let mut carried = Vec::new();
            let mut skipped_parents = 0;
            while let Some(query) = parents.get(cursor.position + skipped_parents)
                && skipped_parents < CARRY_BATCH
                && let Some(parent) = carried_parents.entries_by_id.get(query.id.as_str())
                && let Some(children) = carry.children(&ctx.vault, &job.org_id, parent).await?
            {
                carried.extend(children);
                skipped_parents += 1;
            }
            if skipped_parents > 0 {
                let (_, total) = run.store_page(progress.pages, Vec::new(), carried).await?;
                progress.counts.objects += total;
                cursor.skip_parents(skipped_parents);
                progress.pages += 1;
                save_position(ctx, &job, category, &mut progress, &cursor).await?;
                if started.elapsed() >= ctx.page_budget {
                    break;
                }
                continue;
            }
        }
        let requests = next_requests(
            ctx,
            &job,
            category,
            &cursor,
            &parents,
            log_query.as_deref(),
            &carried_parents,
        )
        .await?;
        if requests.is_empty() {
            progress.done = true;
            save_position(ctx, &job, category, &mut progress, &cursor).await?;
            break;
        }
        let first_request = progress.pages == 0;
        let mut log = Vec::new();
        let mut objects = Vec::new();
        // Fetched together, taken in order: the cursor moves past each parent whose list is complete.
        let fetches = requests.iter().cloned().map(|request| {
            let client = run.client.clone();
            async move { fetch(&client, category, &request).await }
        });
        let results: Vec<Result<Page, OktaError>> = stream::iter(fetches).buffered(FETCH_CONCURRENCY).collect().await;
        for (i, (request, result)) in requests.iter().zip(results).enumerate() {
            match result {
                Ok(page) => {
                    // An empty page ends the list even if Okta links on (a log query can always do so).
                    let next = page.next.filter(|_| !page.items.is_empty());
                    let (kept, rejected) = keep_items(category, request.parent.as_deref(), page.items);
                    progress.counts.errors += rejected.len() as u64;
                    log.extend(rejected.into_iter().map(|r| log_line(category, r, "failed")));
                    objects.extend(kept);
                    let more = next.is_some();
                    cursor.advance(next);
                    if more {
                        // This parent's list goes on: the rest of the batch is fetched again after it.
                        break;
                    }
                }
                Err(e) if e.status() == Some(404) && request.parent.is_some() => {
                    // The parent was deleted between its listing and this one: nothing left to back up.
                    log.push(log_line(
                        category,
                        Rejected {
                            object_id: request.parent.clone(),
                            message: format!("skipped: the parent no longer exists ({e})"),
                        },
                        "skipped",
                    ));
                    cursor.advance(None);
                }
                Err(e) if e.is_not_granted() && first_request && i == 0 => {
                    // The org's plan or the app's scopes do not cover this category: record why, move on.
                    progress.counts.skipped = Some(skip_reason(category, &e));
                    progress.done = true;
                    ctx.catalog.save_progress(&job.job_id, category.name, &progress).await?;
                    return Ok(output(&job, category, &progress));
                }
                Err(e) if e.is_retryable() => return Err(e.into()),
                Err(e) => {
                    // A page Okta refuses for good: log it against the category, keep the rest of the job.
                    progress.counts.errors += 1;
                    log.push(log_line(
                        category,
                        Rejected {
                            object_id: request.parent.clone(),
                            message: e.to_string(),
                        },
                        "failed",
                    ));
                    cursor.advance(None);
                }
            }
        }
        let (new, total) = run.store_page(progress.pages, objects, Vec::new()).await?;
        progress.counts.objects += total;
        progress.counts.new_objects += new;
        let batch = format!("{}/{:08}", category.name, progress.pages);
        if !log.is_empty() {
            ctx.catalog.append_log(&job.job_id, &batch, &log).await?;
        }
        progress.pages += 1;
        save_position(ctx, &job, category, &mut progress, &cursor).await?;
        if started.elapsed() >= ctx.page_budget {
            break;
        }
    }
    Ok(output(&job, category, &progress))
}

/// One request: a page of an array (with `limit` on a first page), or one object.
async fn fetch(client: &OktaClient, category: &Category, request: &NextRequest) -> Result<Page, OktaError> {
    match category.response {
        Response::Array => {
            client
                .get_page(&request.url, category.page_limit.filter(|_| request.first_page))
                .await
        }
        Response::Object => Ok(Page {
            items: vec![client.get_json(&request.url).await?],
            next: None,
        }),
        Response::Wrapped { field } => {
            client
                .get_wrapped_page(&request.url, category.page_limit.filter(|_| request.first_page), field)
                .await
        }
    }
}

/// Saves the category's counts and position after a page: where a retried or resumed step starts.
async fn save_position(
    ctx: &StepContext,
    job: &JobRecord,
    category: &Category,
    progress: &mut CategoryProgress,
    cursor: &Cursor,
) -> Result<(), StepError> {
    progress.cursor = Some(serde_json::to_value(cursor).expect("a cursor serializes"));
    ctx.catalog.save_progress(&job.job_id, category.name, progress).await?;
    Ok(())
}

fn output(job: &JobRecord, category: &Category, progress: &CategoryProgress) -> BackupPageOutput {
    BackupPageOutput {
        job_id: job.job_id.clone(),
        category: category.name.to_owned(),
        done: progress.done,
        pages: progress.pages,
        objects: progress.counts.objects,
    }
}

pub(crate) async fn running_job(ctx: &StepContext, job_id: &JobId) -> Result<JobRecord, StepError> {
    let job = ctx
        .catalog
        .get_job(job_id)
        .await?
        .ok_or_else(|| StepError::fatal(format!("job {job_id} not found")))?;
    if job.status != JobStatus::Running {
        return Err(StepError::fatal(format!("job {job_id} is {}, not running", job.status)));
    }
    Ok(job)
}

pub(crate) async fn sealing_key(ctx: &StepContext, job: &JobRecord) -> Result<SealingKey, StepError> {
    let (Some(snapshot), Some(wrapped)) = (&job.snapshot_id, &job.wrapped_key) else {
        return Err(StepError::fatal(format!("job {} has no snapshot key", job.job_id)));
    };
    let wrapped = BASE64
        .decode(wrapped)
        .map_err(|e| StepError::fatal(format!("job {}: its wrapped data key is not base64: {e}", job.job_id)))?;
    Ok(ctx
        .vault
        .sealing_key_from_wrapped(&job.org_id, snapshot, &wrapped)
        .await?)
}

/// Parents whose children are carried from the previous snapshot in one page, at most.
const CARRY_BATCH: usize = 1000;

fn skip_reason(category: &Category, e: &OktaError) -> String {
    format!("not available to this org or app (needs scope {}): {e}", category.scope)
}

pub(super) fn log_line(category: &Category, r: Rejected, outcome: &str) -> LogEntry {
    LogEntry {
        at: timefmt::rfc3339(timefmt::now()),
        category: category.name.to_owned(),
        object_id: r.object_id,
        outcome: outcome.to_owned(),
        message: r.message,
    }
}

/// What one BackupPage call holds across its pages.
struct PageRun<'a> {
    ctx: &'a StepContext,
    job: &'a JobRecord,
    category: &'a Category,
    client: OktaClient,
    key: SealingKey,
    previous: Option<Arc<Previous>>,
}

impl<'a> PageRun<'a> {
    async fn start(ctx: &'a StepContext, job: &'a JobRecord, category: &'a Category) -> Result<Self, StepError> {
        let org = ctx
            .catalog
            .get_org(&job.org_id)
            .await?
            .ok_or_else(|| StepError::fatal(format!("org {} is no longer registered", job.org_id)))?;
        let client = ctx.okta.client_for(&org).await?;
        let key = sealing_key(ctx, job).await?;
        let previous = match &job.previous_snapshot {
            Some(snapshot) => Some(ctx.previous(&job.org_id, snapshot).await?),
            None => None,
        };
        Ok(Self {
            ctx,
            job,
            category,
            client,
            key,
            previous,
        })
    }

    /// The System Log window this job's `system_log` category covers: from the previous snapshot's
    /// job start if that snapshot kept the log, else from [`super::log_window::FIRST_LOOKBACK_DAYS`] back.
    async fn log_window(&self) -> Result<LogWindow, StepError> {
        let previous_kept_log = self.previous.as_ref().is_some_and(|p| {
            p.manifest
                .categories
                .get(self.category.name)
                .is_some_and(|c| c.skipped.is_none())
        });
        let since = match previous_kept_log {
            true => previous_start(self.ctx, self.job).await?,
            false => None,
        };
        self.window(since.as_deref())
    }

    fn window(&self, previous_start: Option<&str>) -> Result<LogWindow, StepError> {
        LogWindow::between(previous_start, &self.job.created_at).ok_or_else(|| {
            StepError::fatal(format!(
                "job {}: its start time {:?} (or its previous snapshot's) is not an RFC 3339 time",
                self.job.job_id, self.job.created_at
            ))
        })
    }

    /// The parents (targets of type `target`) that System Log events of `events` targeted since the previous snapshot's job
    /// started, or `None` when the log cannot be read (not granted, not on the plan): then every
    /// app's children are listed, and the job log says why.
    async fn logged_parents(&self, events: &[&str], target: &str) -> Result<Option<HashSet<String>>, StepError> {
        let Some(since) = previous_start(self.ctx, self.job).await? else {
            return Ok(None);
        };
        let window = self.window(Some(&since))?.reaching_back(LATE_EVENT_MARGIN_MINUTES);
        match logged_targets(&self.client, &window, events, target).await {
            Ok(parents) => Ok(Some(parents)),
            Err(e) if e.is_retryable() => Err(e.into()),
            Err(e) => {
                let line = LogEntry {
                    at: timefmt::rfc3339(timefmt::now()),
                    category: self.category.name.to_owned(),
                    object_id: None,
                    outcome: "listed_all".to_owned(),
                    message: format!(
                        "listing every parent's {} again: the System Log, which tells which changed, could not be \
                         read ({e})",
                        self.category.name
                    ),
                };
                let batch = format!("{}/log-fallback", self.category.name);
                self.ctx.catalog.append_log(&self.job.job_id, &batch, &[line]).await?;
                Ok(None)
            }
        }
    }

    /// Writes page `seq`: its new objects into one segment, and every object's location into a
    /// work document. Objects the previous snapshot already holds are carried by hash.
    /// Returns (new objects, all objects).
    async fn store_page(
        &self,
        seq: u64,
        objects: Vec<CanonicalObject>,
        carried: Vec<WorkEntry>,
    ) -> Result<(u64, u64), StepError> {
        let seq = u32::try_from(seq).map_err(|_| {
            StepError::fatal(format!(
                "{} has more pages than a snapshot can hold",
                self.category.name
            ))
        })?;
        let segment_key = keys::segment(&self.job.org_id, &self.key.snapshot_id, self.category.name, seq);
        let mut fresh: Vec<CanonicalObject> = Vec::new();
        let mut entries = carried;
        entries.reserve(objects.len());
        for object in objects {
            let carried = self.previous.as_ref().and_then(|p| p.location_of(&object.hash));
            let is_new = carried.is_none();
            let at = carried.unwrap_or_else(|| Location {
                segment_key: segment_key.clone(),
                index: fresh.len() as u32,
            });
            entries.push(WorkEntry::new(
                object.id.clone(),
                object.hash,
                object.last_updated.clone(),
                at,
            ));
            if is_new {
                fresh.push(object);
            }
        }
        if !fresh.is_empty() {
            self.ctx.vault.write_segment(&self.key, &segment_key, &fresh).await?;
        }
        let total = entries.len() as u64;
        work::write(
            &self.ctx.vault,
            &self.key,
            &self.job.job_id,
            self.category.name,
            seq,
            &WorkDoc { entries },
        )
        .await?;
        Ok((fresh.len() as u64, total))
    }
}
