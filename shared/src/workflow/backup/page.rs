//! BackupPage: fetches pages of one category until its time budget is spent or the category is
//! complete. Each page's new objects go to a segment named by its content, and the page is committed by
//! its work document (see [`super::work`]): written once, so two writers of one page (an overlapping retry,
//! a second runner) can never interleave into a snapshot that points at the wrong bytes. A step that finds a
//! page already committed continues from that page's cursor: nothing is fetched twice once committed, and
//! nothing is lost.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use super::batch::{FETCH_CONCURRENCY, carried_children, next_requests};
use super::cadence;
use super::carry::Carry;
use super::changed::ByChange;
use super::cursor::{Cursor, NextRequest};
use super::items::keep_items;
use super::log_window::{LATE_EVENT_MARGIN_MINUTES, LogWindow, previous_start};
use super::logged::{self, Logged};
use super::parents::{Parents, parents};
use super::previous::{Previous, PreviousChildren, parent_of};
use super::work::{self, WorkDoc, WorkEntry};
use crate::categories::{self, Category, Response, Source};
use crate::ids::JobId;
use crate::okta::{OktaClient, OktaError, Page};
use crate::ports::{CategoryCounts, CategoryProgress, JobKind, JobRecord, LogEntry};
use crate::snapshot::{CanonicalObject, Incomplete, Location, SealingKey};
use crate::timefmt;
use crate::workflow::job::{Rejected, log_line, running_job, sealing_key};
use crate::workflow::{StepContext, StepError, lease};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupPageInput {
    pub job_id: JobId,
    pub category: String,
    /// The runner holding the job's lease.
    pub owner: String,
    /// BackupPage calls this category made in this execution so far.
    #[serde(default)]
    pub iteration: u32,
    /// The calls it may make in this execution (from PlanBackup); unbounded when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupPageOutput {
    pub job_id: JobId,
    pub category: String,
    pub owner: String,
    pub done: bool,
    /// A category it needs is not complete yet (it paused in this execution): this one waits for the next.
    pub blocked: bool,
    pub pages: u64,
    pub objects: u64,
    pub iteration: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
}

/// Time a step keeps for itself after its last fetch, to commit the page and answer before its deadline.
pub const COMMIT_MARGIN: std::time::Duration = std::time::Duration::from_secs(20);

/// Parents whose children are carried from the previous snapshot in one page, at most.
const CARRY_BATCH: usize = 1000;
/// Children carried from the previous snapshot in one page, at most (the step context's `carried_per_page`): a
/// page's entries are held, encoded and sealed whole, so this bounds a carried page's memory (at 100,000 users
/// every group's members in one page peaked at 319 MiB). A parent with more children (the Everyone group has
/// every user) is carried across pages, its cursor saying how many went before.
pub const CARRIED_PER_PAGE: usize = 20_000;

pub async fn backup_page(
    ctx: &StepContext,
    input: BackupPageInput,
    deadline: Option<tokio::time::Instant>,
) -> Result<BackupPageOutput, StepError> {
    let job = running_job(ctx, &input.job_id).await?;
    let category = categories::find(&input.category)
        .filter(|c| job.categories.iter().any(|n| n == c.name))
        .ok_or_else(|| {
            StepError::fatal(format!(
                "job {} does not back up a category {:?}",
                job.job_id, input.category
            ))
        })?;
    lease::renew(ctx, &job.org_id, JobKind::Backup, &job.job_id, &input.owner).await?;
    let output = |progress: &CategoryProgress, blocked: bool| BackupPageOutput {
        job_id: job.job_id.clone(),
        category: category.name.to_owned(),
        owner: input.owner.clone(),
        done: progress.done,
        blocked,
        pages: progress.pages,
        objects: progress.counts.objects,
        iteration: input.iteration + 1,
        max_iterations: input.max_iterations,
    };

    let all_progress = ctx.catalog.load_progress(&job.job_id).await?;
    let mut progress = all_progress.get(category.name).cloned().unwrap_or_default();
    if category
        .requires()
        .iter()
        .any(|r| !all_progress.get(r.name).is_some_and(|p| p.done))
    {
        return Ok(output(&progress, true));
    }
    let run = PageRun::start(ctx, &job, category, &input.owner, deadline).await?;
    run.adopt_committed(&mut progress).await?;
    if progress.done {
        return Ok(output(&progress, false));
    }
    let mut cursor = saved_cursor(&job, category, &progress)?;

    let parents = match category.parent() {
        Some(_) => match parents(ctx, &job, category).await? {
            Some(parents) => Some(parents),
            None => {
                let skipped: Vec<&str> = category.requires().into_iter().map(|c| c.name).collect();
                let reason = format!("the category it is listed from, {}, was skipped", skipped.join(" or "));
                run.skip(&mut progress, reason).await?;
                return Ok(output(&progress, false));
            }
        },
        None => None,
    };
    // The System Log is read once per job (by PlanBackup) and shared; read here only if that read is missing.
    let needs_log = !category.incremental.logged_events().is_empty() && !job.full_refresh && run.previous.is_some();
    let logged = match needs_log {
        true => logged::logged(ctx, &job, &run.client).await?,
        false => None,
    };
    let on_cadence = cadence::carried_as_of(ctx, &job, category, run.previous.as_ref()).await?;
    let carry = match Carry::new(category, &job, run.previous.as_ref(), run.history.as_ref()) {
        None if on_cadence.is_some() => run.previous.as_ref().and_then(|previous| {
            let current = parents.as_ref().map(Parents::ids).unwrap_or_default();
            Carry::on_cadence(category, previous, run.history.as_ref(), current)
        }),
        Some(mut carry) if !carry.events().is_empty() => {
            match run
                .logged_parents(logged.as_ref(), carry.events(), carry.target())
                .await?
            {
                Some(parents) => {
                    carry.set_logged(parents);
                    Some(carry)
                }
                None => None,
            }
        }
        other => other,
    };
    let by_change = ByChange::new(ctx, &job, category, run.previous.as_ref(), logged.as_ref()).await?;
    let (query, known_events) = match category.source {
        Source::Log { path } => {
            let (window, known) = run.log_window().await?;
            (Some(window.query(path, &[])), known)
        }
        _ => (by_change.as_ref().map(|c| c.query().to_owned()), HashSet::new()),
    };

    let started = Instant::now();
    let before = progress.pages;
    // At least one page per call, however small the budget: every call moves the category on.
    while progress.pages == before || !run.out_of_time(started) {
        if let Some(carry) = &carry
            && cursor.next.is_none()
        {
            // A run of parents whose children need no call: carried together as one page, of at most
            // `carried_per_page` children; a parent with more goes on in the next page.
            let mut carried = Vec::new();
            let mut skipped_parents = 0;
            let mut carried_here = None;
            while skipped_parents < CARRY_BATCH && carried.len() < ctx.carried_per_page {
                let (from, begun) = match skipped_parents {
                    0 => (cursor.carried, cursor.carried > 0),
                    _ => (0, false),
                };
                let run = carried_children(
                    ctx,
                    &job,
                    Some(carry),
                    parents.as_ref(),
                    cursor.position + skipped_parents,
                    from,
                    ctx.carried_per_page - carried.len(),
                    begun,
                )
                .await;
                let Some(run) = run else {
                    if begun {
                        // Its first children are committed as carried: listing it now would mix two versions.
                        return Err(StepError::retryable(format!(
                            "{}: the previous snapshot's children of a parent this job began to carry cannot be read again",
                            category.name
                        )));
                    }
                    break;
                };
                let through = from + run.entries.len();
                carried.extend(run.entries);
                if run.more {
                    carried_here = Some(through);
                    break;
                }
                skipped_parents += 1;
            }
            if skipped_parents > 0 || carried_here.is_some() {
                let mut next = cursor.clone();
                next.skip_parents(skipped_parents);
                if let Some(through) = carried_here {
                    next.carried = through;
                }
                // The previous snapshot listed these parents' children: the category is available.
                next.listed_any = true;
                let page = PageContents {
                    carried,
                    ..PageContents::default()
                };
                cursor = run.commit(&mut progress, page, next, false).await?;
                run.done_through(parents.as_ref(), &cursor).await;
                continue;
            }
        }
        let requests = next_requests(
            ctx,
            &job,
            category,
            &cursor,
            parents.as_ref(),
            query.as_deref(),
            carry.as_ref(),
        )
        .await?;
        if requests.is_empty() {
            if let Some(by_change) = &by_change {
                // The changed objects are listed: carry the others, a page at a time.
                let (carried, last) = by_change
                    .carried(ctx, &job, cursor.carried_after.as_deref(), ctx.carried_per_page)
                    .await?;
                if let Some(last) = last {
                    let mut next = cursor.clone();
                    next.carried_after = Some(last);
                    let page = PageContents {
                        carried,
                        ..PageContents::default()
                    };
                    cursor = run.commit(&mut progress, page, next, false).await?;
                    continue;
                }
            }
            run.commit(&mut progress, PageContents::default(), cursor, true).await?;
            break;
        }
        let Some(results) = run.fetch_all(&requests).await else {
            // The deadline came before any answer: the next call fetches them again.
            break;
        };
        let mut page = PageContents::default();
        let mut next = cursor.clone();
        for (i, (request, result)) in requests.iter().zip(results).enumerate() {
            let part = || request.parent.clone().unwrap_or_else(|| request.url.clone());
            match result {
                Ok(fetched) => {
                    next.listed_any = true;
                    // An empty page ends the list even if Okta links on (a log query can always do so).
                    let link = fetched.next.filter(|_| !fetched.items.is_empty());
                    let (mut kept, rejected) = keep_items(category, request.parent.as_deref(), fetched.items);
                    kept.retain(|o| !known_events.contains(&o.id));
                    if !rejected.is_empty() {
                        page.incomplete(
                            part(),
                            format!("{} item(s) Okta answered could not be kept", rejected.len()),
                        );
                    }
                    page.errors += rejected.len() as u64;
                    page.log
                        .extend(rejected.into_iter().map(|r| log_line(category.name, r, "failed")));
                    page.objects.extend(kept);
                    let more = link.is_some();
                    if let Err(endless) = next.advance(link) {
                        page.fail(category, part(), request.parent.clone(), endless.to_string());
                    }
                    if more {
                        // This parent's list goes on: the rest of the batch is fetched again after it.
                        break;
                    }
                }
                Err(e) if e.status() == Some(404) && request.parent.is_some() => {
                    // The parent was deleted between its listing and this one: nothing left to back up.
                    page.log.push(log_line(
                        category.name,
                        Rejected {
                            object_id: request.parent.clone(),
                            message: format!("skipped: the parent no longer exists ({e})"),
                        },
                        "skipped",
                    ));
                    next.advance(None).expect("moving to the next part always succeeds");
                }
                Err(e) if e.is_not_granted() => {
                    match refusal(
                        category,
                        &e,
                        &mut next,
                        progress.pages == 0 && i == 0 && page.is_empty(),
                    ) {
                        Refusal::Category => {
                            run.skip(&mut progress, skip_reason(category, &e)).await?;
                            return Ok(output(&progress, false));
                        }
                        Refusal::Part => {
                            page.fail(category, part(), request.parent.clone(), e.to_string());
                            next.advance(None).expect("moving to the next part always succeeds");
                        }
                    }
                }
                // Outages are retried by the state machine; revoked credentials stop the job until it is
                // authorized again. Nothing of this batch is committed: it is fetched again.
                Err(e) if e.is_retryable() || matches!(e, OktaError::AuthRejected { .. }) => return Err(e.into()),
                Err(e) => {
                    // A page Okta refuses for good: the part is missing from the snapshot, and says so.
                    page.fail(category, part(), request.parent.clone(), e.to_string());
                    next.advance(None).expect("moving to the next part always succeeds");
                }
            }
        }
        cursor = run.commit(&mut progress, page, next, false).await?;
        run.done_through(parents.as_ref(), &cursor).await;
    }
    Ok(output(&progress, false))
}

/// What a refusal (403, or a 404/401 "not on this plan") of one request means.
enum Refusal {
    /// The category is not available to this org or app: skip it whole.
    Category,
    /// Only this parent or pass is refused: its error.
    Part,
}

/// Okta answers E0000006 both for a token without the scope and for one object the admin may not see. A token's
/// `insufficient_scope` challenge, a refusal of a list's first page, or the same refusal of a category's first two
/// parents before any parent was listed means the category is not available; any other refusal is the part's.
fn refusal(category: &Category, e: &OktaError, cursor: &mut Cursor, first_request: bool) -> Refusal {
    if e.is_insufficient_scope() {
        return Refusal::Category;
    }
    if category.parent().is_none() {
        return if first_request {
            Refusal::Category
        } else {
            Refusal::Part
        };
    }
    if cursor.listed_any {
        return Refusal::Part;
    }
    match cursor.first_refusal.replace(e.to_string()) {
        Some(_) => Refusal::Category,
        None => Refusal::Part,
    }
}

fn saved_cursor(job: &JobRecord, category: &Category, progress: &CategoryProgress) -> Result<Cursor, StepError> {
    match &progress.cursor {
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
            StepError::fatal(format!(
                "job {}: the saved position of {} is unreadable: {e}",
                job.job_id, category.name
            ))
        }),
        None => Ok(Cursor::default()),
    }
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

fn skip_reason(category: &Category, e: &OktaError) -> String {
    format!("not available to this org or app (needs scope {}): {e}", category.scope)
}

/// What one page adds to the category before it is committed.
#[derive(Default)]
struct PageContents {
    /// Objects listed from Okta.
    objects: Vec<CanonicalObject>,
    /// Objects carried from the previous snapshot without a call.
    carried: Vec<WorkEntry>,
    errors: u64,
    incomplete: Vec<Incomplete>,
    log: Vec<LogEntry>,
}

impl PageContents {
    fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.carried.is_empty() && self.errors == 0
    }

    fn incomplete(&mut self, part: String, reason: String) {
        self.incomplete.push(Incomplete { part, reason });
    }

    /// A part that could not be listed: an error, a log line and a gap the snapshot records.
    fn fail(&mut self, category: &Category, part: String, parent: Option<String>, reason: String) {
        self.errors += 1;
        self.log.push(log_line(
            category.name,
            Rejected {
                object_id: parent,
                message: reason.clone(),
            },
            "failed",
        ));
        self.incomplete(part, reason);
    }
}

/// What one BackupPage call holds across its pages.
struct PageRun<'a> {
    ctx: &'a StepContext,
    job: &'a JobRecord,
    category: &'static Category,
    owner: &'a str,
    client: OktaClient,
    key: SealingKey,
    previous: Option<Arc<Previous>>,
    /// For a per-parent category: the previous snapshot's children, parent by parent.
    history: Option<Arc<tokio::sync::Mutex<PreviousChildren>>>,
    /// Fetching stops here, leaving time to commit.
    hard_stop: Option<tokio::time::Instant>,
    lease_renewed: std::sync::Mutex<Instant>,
}

impl<'a> PageRun<'a> {
    async fn start(
        ctx: &'a StepContext,
        job: &'a JobRecord,
        category: &'static Category,
        owner: &'a str,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<Self, StepError> {
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
        let history = previous
            .as_ref()
            .filter(|_| category.parent().is_some())
            .and_then(|p| PreviousChildren::new(p, category, !job.full_refresh, ctx.carried_per_page))
            .map(|h| Arc::new(tokio::sync::Mutex::new(h)));
        Ok(Self {
            ctx,
            job,
            category,
            owner,
            client,
            key,
            previous,
            history,
            hard_stop: deadline.map(|d| d.checked_sub(COMMIT_MARGIN).unwrap_or(d)),
            lease_renewed: std::sync::Mutex::new(Instant::now()),
        })
    }

    /// Whether this call should stop fetching: its budget is spent, or its deadline is near.
    fn out_of_time(&self, started: Instant) -> bool {
        started.elapsed() >= self.ctx.page_budget || self.hard_stop.is_some_and(|h| tokio::time::Instant::now() >= h)
    }

    /// Fetches `requests` together, taking the answers in order until the deadline: `None` when it came before
    /// the first answer, else the answers that arrived in time (a prefix).
    async fn fetch_all(&self, requests: &[NextRequest]) -> Option<Vec<Result<Page, OktaError>>> {
        // Owned futures: a stream of borrowing ones is not `Send` for every lifetime the step's future needs.
        let fetches = requests.iter().cloned().map(|request| {
            let (client, category) = (self.client.clone(), self.category);
            async move { fetch(&client, category, &request).await }
        });
        let mut answers = stream::iter(fetches).buffered(FETCH_CONCURRENCY);
        let mut results = Vec::with_capacity(requests.len());
        loop {
            let next = match self.hard_stop {
                Some(stop) => match tokio::time::timeout_at(stop, answers.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        tracing::info!(
                            category = self.category.name,
                            answered = results.len(),
                            "deadline near: committing what arrived"
                        );
                        break;
                    }
                },
                None => answers.next().await,
            };
            match next {
                Some(result) => results.push(result),
                None => break,
            }
        }
        (!results.is_empty()).then_some(results)
    }

    /// Lets go of what was read of the previous snapshot for the parents before the cursor: they are done.
    async fn done_through(&self, parents: Option<&Parents>, cursor: &Cursor) {
        let done = cursor.position.checked_sub(1).and_then(|i| parents?.query(i));
        if let (Some(history), Some(done)) = (&self.history, done) {
            history.lock().await.done_through(&done.id);
        }
    }

    /// Takes the pages other writers (or this runner before a crash) committed from `progress` on.
    async fn adopt_committed(&self, progress: &mut CategoryProgress) -> Result<(), StepError> {
        while !progress.done
            && let Some(doc) = work::read(
                &self.ctx.vault,
                &self.job.org_id,
                &self.job.job_id,
                self.category.name,
                progress.pages,
            )
            .await?
        {
            self.apply(progress, doc).await?;
        }
        Ok(())
    }

    /// Records that the category is not backed up at all, and why.
    async fn skip(&self, progress: &mut CategoryProgress, reason: String) -> Result<(), StepError> {
        progress.counts = CategoryCounts {
            skipped: Some(reason),
            ..CategoryCounts::default()
        };
        progress.done = true;
        self.ctx
            .catalog
            .save_progress(&self.job.job_id, self.category.name, progress)
            .await?;
        Ok(())
    }

    /// Writes the page's new objects to a segment and commits the page, or, when another writer committed this
    /// page first, takes theirs. Returns where the category stands now.
    async fn commit(
        &self,
        progress: &mut CategoryProgress,
        page: PageContents,
        cursor: Cursor,
        done: bool,
    ) -> Result<Cursor, StepError> {
        let seq = progress.pages;
        let (mut entries, new) = self.store_objects(seq, page.objects).await?;
        entries.splice(0..0, page.carried);
        let counts = CategoryCounts {
            objects: progress.counts.objects + entries.len() as u64,
            new_objects: progress.counts.new_objects + new,
            errors: progress.counts.errors + page.errors,
            skipped: None,
        };
        let mut doc = WorkDoc::new(entries, cursor, counts, done);
        doc.incomplete = page.incomplete;
        doc.log = page.log;
        let ctx = self.ctx;
        if !work::commit(&ctx.vault, &self.key, &self.job.job_id, self.category.name, seq, &doc).await? {
            doc = work::read(&ctx.vault, &self.job.org_id, &self.job.job_id, self.category.name, seq)
                .await?
                .ok_or_else(|| {
                    StepError::retryable(format!(
                        "page {seq} of {} vanished after it was committed",
                        self.category.name
                    ))
                })?;
        }
        let cursor = doc.cursor.clone();
        self.apply(progress, doc).await?;
        self.keep_lease().await?;
        Ok(cursor)
    }

    /// Moves `progress` past a committed page and writes the page's log lines (again, when adopting: a log
    /// batch written twice holds its lines once).
    async fn apply(&self, progress: &mut CategoryProgress, doc: WorkDoc) -> Result<(), StepError> {
        let ctx = self.ctx;
        if !doc.log.is_empty() {
            let batch = format!("{}/{:08}", self.category.name, progress.pages);
            ctx.catalog.append_log(&self.job.job_id, &batch, &doc.log).await?;
        }
        progress.pages += 1;
        progress.counts = doc.counts;
        progress.done = doc.done;
        progress.cursor = Some(serde_json::to_value(&doc.cursor).expect("a cursor serializes"));
        ctx.catalog
            .save_progress(&self.job.job_id, self.category.name, progress)
            .await?;
        Ok(())
    }

    /// Renews the job's lease when a good part of it has passed.
    async fn keep_lease(&self) -> Result<(), StepError> {
        if self.lease_renewed.lock().expect("lease clock").elapsed() < lease::RENEW_AFTER {
            return Ok(());
        }
        lease::renew(
            self.ctx,
            &self.job.org_id,
            JobKind::Backup,
            &self.job.job_id,
            self.owner,
        )
        .await?;
        *self.lease_renewed.lock().expect("lease clock") = Instant::now();
        Ok(())
    }

    /// The System Log window this job's `system_log` category covers, and the events the previous snapshot
    /// already kept inside it. When the previous snapshot kept the log, the window starts
    /// [`LATE_EVENT_MARGIN_MINUTES`] before that snapshot's job start: an event Okta made readable late, after the
    /// previous job read the log, is still kept, and one it had kept is dropped by its `uuid`. Else the window
    /// reaches [`super::log_window::FIRST_LOOKBACK_DAYS`] back.
    async fn log_window(&self) -> Result<(LogWindow, HashSet<String>), StepError> {
        let previous_kept_log = self
            .previous
            .as_ref()
            .filter(|p| p.backed_up(self.category.name).is_some());
        let since = match previous_kept_log {
            Some(_) => previous_start(self.ctx, self.job).await?,
            None => None,
        };
        let window = match since {
            Some(since) => self.window(Some(&since))?.reaching_back(LATE_EVENT_MARGIN_MINUTES),
            None => self.window(None)?,
        };
        let known = match previous_kept_log {
            Some(previous) => previous
                .walker(self.category.name)
                .take_while(|_| true)
                .await?
                .into_iter()
                .filter(|e| {
                    e.last_updated
                        .as_deref()
                        .is_none_or(|published| window.contains(published))
                })
                .map(|e| e.id)
                .collect(),
            None => HashSet::new(),
        };
        Ok((window, known))
    }

    fn window(&self, previous_start: Option<&str>) -> Result<LogWindow, StepError> {
        LogWindow::between(previous_start, &self.job.created_at).ok_or_else(|| {
            StepError::fatal(format!(
                "job {}: its start time {:?} (or its previous snapshot's) is not an RFC 3339 time",
                self.job.job_id, self.job.created_at
            ))
        })
    }

    /// The parents (targets of type `target`) that System Log events of `events` targeted since the previous
    /// snapshot's job started (from the job's one read of the log), or `None` when there is nothing to compare
    /// against or the log cannot be read (not granted, not on the plan): then every parent's children are
    /// listed, and the job log says why.
    async fn logged_parents(
        &self,
        logged: Option<&Logged>,
        events: &[&str],
        target: &str,
    ) -> Result<Option<HashSet<String>>, StepError> {
        let Some(logged) = logged else {
            return Ok(None);
        };
        match logged.targets(events, target) {
            Ok(parents) => Ok(Some(parents)),
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

    /// Where the previous snapshot holds `object`'s content, if it does: among the previous children of its parent
    /// for a per-parent category, by content hash for a list.
    async fn previously_at(&self, object: &CanonicalObject) -> Result<Option<Location>, StepError> {
        let Some(previous) = &self.previous else {
            return Ok(None);
        };
        match &self.history {
            Some(history) => {
                let parent = parent_of(self.category, &object.id);
                let mut history = history.lock().await;
                Ok(history.location(parent, &object.id, &object.hash).await?)
            }
            None if self.category.parent().is_none() => {
                Ok(previous.location_of(self.category.name, &object.hash).await?)
            }
            None => Ok(None),
        }
    }

    /// Writes the objects of page `seq` that the previous snapshot does not hold into one segment, and says
    /// where every object's bytes are: an unchanged object points at the previous snapshot's bytes. On a full
    /// refresh those bytes are proven first (their segment opens and holds the object), and an object whose
    /// bytes are missing or damaged is written afresh: a full refresh heals what a lost blob broke.
    /// Returns the entries and how many objects are new.
    async fn store_objects(&self, seq: u64, objects: Vec<CanonicalObject>) -> Result<(Vec<WorkEntry>, u64), StepError> {
        let mut fresh: Vec<CanonicalObject> = Vec::new();
        let mut entries = Vec::with_capacity(objects.len());
        // Index into `fresh`, for entries whose segment is not known yet.
        let mut pending: Vec<(usize, usize)> = Vec::new();
        for object in objects {
            let carried = match self.previously_at(&object).await? {
                Some(at) if self.job.full_refresh => {
                    let previous = self.previous.as_ref().expect("a location came from it");
                    previous.proves(&self.job.org_id, &at, &object.hash).await.then_some(at)
                }
                other => other,
            };
            let is_new = carried.is_none();
            let at = match carried {
                Some(at) => at,
                None => {
                    pending.push((entries.len(), fresh.len()));
                    Location {
                        segment_key: String::new(),
                        index: fresh.len() as u32,
                    }
                }
            };
            entries.push(WorkEntry {
                id: object.id.clone(),
                hash: object.hash,
                last_updated: object.last_updated.clone(),
                at,
            });
            if is_new {
                fresh.push(object);
            }
        }
        if !fresh.is_empty() {
            let seq = u32::try_from(seq).map_err(|_| {
                StepError::fatal(format!(
                    "{} has more pages than a snapshot can hold",
                    self.category.name
                ))
            })?;
            let segment_key = self
                .ctx
                .vault
                .write_page_segment(&self.key, self.category.name, seq, &fresh)
                .await?;
            for (entry, _) in &pending {
                entries[*entry].at.segment_key = segment_key.clone();
            }
        }
        Ok((entries, fresh.len() as u64))
    }
}
