//! ApplyRestore: applies a category's planned objects from its saved position, for a bounded time, and saves
//! the position (with the ids created and the log lines) every few objects. A step that crashes repeats at most
//! those few objects, and repeating one is safe: a create finds what an earlier attempt created.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{id_maps, keep_ids, spec};
use crate::ids::JobId;
use crate::ports::{Catalog, CategoryProgress, JobKind, JobRecord, LogEntry, RestoreSpec};
use crate::restore::apply::{Applied, Applier, Outcome};
use crate::restore::live::LiveOrg;
use crate::restore::plan::PlannedObject;
use crate::restore::stored;
use crate::timefmt;
use crate::workflow::job::running_job;
use crate::workflow::{StepContext, StepError, lease};

/// Objects applied between two saves of the position.
const SAVE_EVERY: usize = 50;
/// How often an edge whose new end is being created beside it looks for the end's id.
const END_POLL: Duration = Duration::from_millis(500);
/// A step stops taking new objects this long before its invocation's deadline.
const DEADLINE_MARGIN: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApplyInput {
    pub job_id: JobId,
    pub owner: String,
    pub category: String,
    #[serde(default)]
    pub iteration: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApplyOutput {
    pub job_id: JobId,
    pub owner: String,
    pub category: String,
    pub iteration: u32,
    pub done: bool,
}

/// Outcomes of a category's objects so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub created: u64,
    pub matched: u64,
    pub updated: u64,
    pub reactivated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub failed: u64,
}

impl Tally {
    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Created(_) => self.created += 1,
            Outcome::Matched(_) => self.matched += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Reactivated => self.reactivated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Failed(_) => self.failed += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.created + self.matched + self.updated + self.reactivated + self.unchanged + self.skipped + self.failed
    }

    pub fn add(&mut self, other: &Tally) {
        self.created += other.created;
        self.matched += other.matched;
        self.updated += other.updated;
        self.reactivated += other.reactivated;
        self.unchanged += other.unchanged;
        self.skipped += other.skipped;
        self.failed += other.failed;
    }
}

/// Where a category's apply stands: the next object (chunk, index in it) and the outcomes so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Position {
    pub chunk: usize,
    pub index: usize,
    pub tally: Tally,
}

impl Position {
    pub fn of(progress: &CategoryProgress) -> Result<Position, StepError> {
        match &progress.cursor {
            None => Ok(Position::default()),
            Some(cursor) => serde_json::from_value(cursor.clone())
                .map_err(|e| StepError::fatal(format!("a restore position that does not parse: {e}"))),
        }
    }
}

pub async fn apply_restore(
    ctx: &StepContext,
    input: ApplyInput,
    deadline: Option<Instant>,
) -> Result<ApplyOutput, StepError> {
    let started = Instant::now();
    let stop_at = match deadline {
        Some(deadline) => (started + ctx.page_budget).min(deadline.checked_sub(DEADLINE_MARGIN).unwrap_or(started)),
        None => started + ctx.page_budget,
    };
    let job = running_job(ctx, &input.job_id).await?;
    let spec = spec(&job)?.clone();
    lease::renew(ctx, &job.org_id, JobKind::Restore, &job.job_id, &input.owner).await?;
    let output = |done| ApplyOutput {
        job_id: input.job_id.clone(),
        owner: input.owner.clone(),
        category: input.category.clone(),
        iteration: input.iteration + 1,
        done,
    };
    let progress = ctx
        .catalog
        .load_progress(&job.job_id)
        .await?
        .remove(&input.category)
        .unwrap_or_default();
    if progress.done {
        return Ok(output(true));
    }
    let summary = stored::read_head(&ctx.vault, &job.org_id, &job.job_id)
        .await?
        .ok_or_else(|| StepError::fatal(format!("restore job {} has no plan", job.job_id)))?;
    let chunks = summary.categories.get(&input.category).map_or(0, |c| c.chunks);
    let org = ctx.registered_org(&job.org_id).await?;
    let client = ctx.okta.client_for(&org).await?;
    let same_org = spec.source_org == job.org_id;
    let live = LiveOrg::new(&client, same_org, id_maps(ctx, &spec.source_org, &job.org_id).await?)
        .with_orgs(summary.orgs.clone());
    let applier = Applier::new(&client, live, spec.on_conflict, same_org);

    let position = Position::of(&progress)?;
    let mut run = CategoryRun {
        ctx,
        job: &job,
        spec: &spec,
        category: &input.category,
        applier,
        pending: Vec::new(),
        ends_seen: BTreeMap::new(),
        batch_start: (position.chunk, position.index),
        position,
        progress,
    };
    while run.position.chunk < chunks {
        let objects = stored::read_chunk(
            &ctx.vault,
            &job.org_id,
            &job.job_id,
            &input.category,
            run.position.chunk,
        )
        .await?;
        while run.position.index < objects.len() {
            let planned = &objects[run.position.index];
            if !run.ends_ready(planned, stop_at).await? {
                // Its new end is still being created beside this category: the next step goes on from here.
                run.save(false).await?;
                return Ok(output(false));
            }
            let applied = match run.applier.apply(planned).await {
                Ok(applied) => applied,
                Err(e) => {
                    // What was applied stays applied: saved before the step is retried.
                    run.save(false).await?;
                    return Err(e);
                }
            };
            run.position.tally.count(&applied.outcome);
            run.pending.push(log_line(planned, &applied));
            run.position.index += 1;
            let time_up = Instant::now() >= stop_at;
            if run.pending.len() >= SAVE_EVERY || time_up {
                run.save(false).await?;
                lease::renew(ctx, &job.org_id, JobKind::Restore, &job.job_id, &input.owner).await?;
            }
            if time_up {
                return Ok(output(false));
            }
        }
        run.position.chunk += 1;
        run.position.index = 0;
    }
    run.save(true).await?;
    Ok(output(true))
}

/// One category's apply within one step.
struct CategoryRun<'a> {
    ctx: &'a StepContext,
    job: &'a JobRecord,
    spec: &'a RestoreSpec,
    category: &'a str,
    applier: Applier<'a>,
    /// Log lines of objects applied since the last save.
    pending: Vec<LogEntry>,
    /// Per category whose new ids this one waits for: its saved progress (pages, done) when its id map was read.
    ends_seen: BTreeMap<String, (u64, bool)>,
    /// The position those lines started at: it names their log batch, so a repeat of them replaces them.
    batch_start: (usize, usize),
    position: Position,
    progress: CategoryProgress,
}

impl CategoryRun<'_> {
    /// Whether the applier knows the target ids of `planned`'s ends, waiting for a category that creates them
    /// beside this one (in the same stage) to save them; false when the step's time is up first. An end whose
    /// category is done and left no id was not restored, and applying the edge says so.
    ///
    /// The creating category saves its new ids before its position, so once its position says done, the id map
    /// read after it holds every id it created.
    async fn ends_ready(&mut self, planned: &PlannedObject, stop_at: Instant) -> Result<bool, StepError> {
        loop {
            let unknown = self.applier.unknown_ends(planned);
            if unknown.is_empty() {
                return Ok(true);
            }
            let progress = self.ctx.catalog.load_progress(&self.job.job_id).await?;
            let mut open = false;
            for category in &unknown {
                let now = progress.get(category).map_or((0, false), |p| (p.pages, p.done));
                if self.ends_seen.get(category) != Some(&now) {
                    let ids = self
                        .ctx
                        .catalog
                        .id_map(&self.spec.source_org, &self.job.org_id, category)
                        .await?;
                    self.applier.learn_ids(category, ids);
                    self.ends_seen.insert(category.clone(), now);
                }
                open |= !now.1;
            }
            if !open || self.applier.unknown_ends(planned).is_empty() {
                return Ok(true);
            }
            if Instant::now() + END_POLL >= stop_at {
                return Ok(false);
            }
            tokio::time::sleep(END_POLL).await;
        }
    }

    /// Saves what was applied since the last save: the ids created first (so a repeat finds them), then the log
    /// lines, then the position.
    async fn save(&mut self, done: bool) -> Result<(), StepError> {
        let (ctx, job) = (self.ctx, &self.job.job_id);
        let batch = format!("{}-{:06}-{:06}", self.category, self.batch_start.0, self.batch_start.1);
        keep_ids(
            ctx,
            self.spec,
            &self.job.org_id,
            &format!("{job}-{batch}"),
            self.applier.take_new_ids(),
        )
        .await?;
        if !self.pending.is_empty() {
            ctx.catalog.append_log(job, &batch, &self.pending).await?;
            self.pending.clear();
        }
        let tally = &self.position.tally;
        self.progress.pages += 1;
        self.progress.done = done;
        self.progress.counts.objects = tally.total();
        self.progress.counts.new_objects = tally.created;
        self.progress.counts.errors = tally.failed;
        self.progress.cursor = Some(serde_json::to_value(&self.position).expect("a position serializes"));
        ctx.catalog.save_progress(job, self.category, &self.progress).await?;
        self.batch_start = (self.position.chunk, self.position.index);
        Ok(())
    }
}

fn log_line(planned: &PlannedObject, applied: &Applied) -> LogEntry {
    let mut message = match &applied.outcome {
        Outcome::Created(id) | Outcome::Matched(id) if planned.kind().is_edge() => format!("{} ({id})", planned.name),
        Outcome::Created(id) | Outcome::Matched(id) => format!("{} is {id} in the target", planned.name),
        Outcome::Skipped => format!("{}: {}", planned.name, planned.notes.join("; ")),
        _ => planned.name.clone(),
    };
    let detail = applied.message();
    if !detail.is_empty() {
        message = format!("{message}: {detail}");
    }
    LogEntry {
        at: timefmt::rfc3339(timefmt::now()),
        category: planned.category.clone(),
        object_id: Some(planned.source_id.clone()),
        outcome: applied.outcome.as_str().to_owned(),
        message,
    }
}

/// Every category's tally and whether it is done, from the job's saved positions.
pub async fn tallies(catalog: &dyn Catalog, job: &JobId) -> Result<BTreeMap<String, (Tally, bool)>, StepError> {
    let mut out = BTreeMap::new();
    for (category, progress) in catalog.load_progress(job).await? {
        out.insert(category, (Position::of(&progress)?.tally, progress.done));
    }
    Ok(out)
}
