//! Lists read by change (users, [`Incremental::ListedByChange`]): a repeat backup lists only the objects whose
//! `lastUpdated` moved since the previous snapshot's job started, less the late-event margin (one query, which
//! also returns DEPROVISIONED users), then carries every other object of the previous snapshot by reference to
//! the same bytes, in id order, leaving out those the System Log says were deleted. A carried object is the same
//! object the previous snapshot listed, so the snapshot stays whole for `ls`, `show`, restore, search and diff.
//!
//! Everything is listed instead on a full refresh, without a readable previous snapshot of the category, when
//! that snapshot could not list it completely or carried it whole from an older one (a capture that did not list
//! it records it "as of" that read), or when the System Log cannot be read (then the job log says so): a deleted
//! object would otherwise be carried on.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::carry::work_entry;
use super::logged::Logged;
use super::previous::Previous;
use super::work::{self, WorkEntry};
use crate::categories::{Category, Incremental};
use crate::ports::{JobRecord, LogEntry};
use crate::timefmt;
use crate::workflow::{StepContext, StepError};

pub struct ByChange {
    category: &'static Category,
    /// The one query: the objects changed since the window's start.
    query: String,
    /// Objects the System Log says were deleted inside the window.
    deleted: HashSet<String>,
    previous: Arc<Previous>,
    /// Ids this job committed (read once per call): a listed object is never carried too.
    listed: tokio::sync::Mutex<Option<HashSet<String>>>,
}

impl ByChange {
    /// How `category` is read by change in `job`, or `None` when it is listed whole (see the module's note).
    pub async fn new(
        ctx: &StepContext,
        job: &JobRecord,
        category: &'static Category,
        previous: Option<&Arc<Previous>>,
        logged: Option<&Logged>,
    ) -> Result<Option<Self>, StepError> {
        let Incremental::ListedByChange { query, deleted, target } = category.incremental else {
            return Ok(None);
        };
        if job.full_refresh {
            return Ok(None);
        }
        // A previous snapshot that carried the category whole (a capture that did not list it) holds it as of an
        // older read: changes since that read are not all after the previous job's start, so everything is listed.
        let listed_whole = |p: &&Arc<Previous>| {
            p.backed_up(category.name)
                .is_some_and(|c| c.incomplete.is_empty() && c.as_of.is_none())
        };
        let Some(previous) = previous.filter(listed_whole) else {
            return Ok(None);
        };
        let Some(logged) = logged else {
            return Ok(None);
        };
        let (Some(window), deleted) = (&logged.window, logged.targets(deleted, target)) else {
            return Ok(None);
        };
        let deleted = match deleted {
            Ok(deleted) => deleted,
            Err(why) => {
                let line = LogEntry {
                    at: timefmt::rfc3339(timefmt::now()),
                    category: category.name.to_owned(),
                    object_id: None,
                    outcome: "listed_all".to_owned(),
                    message: format!(
                        "listing every one of {} again: the System Log, which names the deleted ones, could not be \
                         read ({why})",
                        category.name
                    ),
                };
                let batch = format!("{}/log-fallback", category.name);
                ctx.catalog.append_log(&job.job_id, &batch, &[line]).await?;
                return Ok(None);
            }
        };
        let since: String = url::form_urlencoded::byte_serialize(window.since.as_bytes()).collect();
        Ok(Some(Self {
            category,
            query: query.replace("{since}", &since),
            deleted,
            previous: previous.clone(),
            listed: tokio::sync::Mutex::new(None),
        }))
    }

    /// The query listing the changed objects.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The previous snapshot's next objects after `after` (from the first when `None`), walking at most
    /// `at_most` of them: those to carry (not listed by this job, not deleted), and the last id walked (`None` when
    /// the walk is over).
    pub async fn carried(
        &self,
        ctx: &StepContext,
        job: &JobRecord,
        after: Option<&str>,
        at_most: usize,
    ) -> Result<(Vec<WorkEntry>, Option<String>), StepError> {
        let mut listed = self.listed.lock().await;
        if listed.is_none() {
            *listed = Some(committed_ids(ctx, job, self.category).await?);
        }
        let listed = listed.as_ref().expect("read above");
        let mut walker = self.previous.walker(self.category.name);
        if let Some(after) = after {
            walker.seek(after).await?;
        }
        let walked = AtomicUsize::new(0);
        let entries = walker
            .take_while(|id| {
                if Some(id) == after {
                    return true;
                }
                walked.fetch_add(1, Ordering::Relaxed) < at_most.max(1)
            })
            .await?;
        let last = entries
            .last()
            .map(|e| e.id.clone())
            .filter(|id| Some(id.as_str()) != after);
        let carried = entries
            .into_iter()
            .filter(|e| Some(e.id.as_str()) != after && !listed.contains(&e.id) && !self.deleted.contains(&e.id))
            .map(work_entry)
            .collect();
        Ok((carried, last))
    }
}

/// The ids of the objects the job committed for `category` so far.
async fn committed_ids(ctx: &StepContext, job: &JobRecord, category: &Category) -> Result<HashSet<String>, StepError> {
    let mut ids = HashSet::new();
    for page in work::page_keys(&ctx.vault, &job.org_id, &job.job_id, category.name).await? {
        let doc = work::read_page(&ctx.vault, &job.org_id, &page).await?;
        ids.extend(doc.into_entries(&page)?.into_iter().map(|e| e.id));
    }
    Ok(ids)
}
