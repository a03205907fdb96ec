//! The parents of a per-parent category, in id order, and where each one's children are listed.
//!
//! A million users are a million parents of their factors: they are held compactly (an id, a hash and a
//! location of a few dozen bytes) and each one's query (its id and path) is made when it is asked for.

use serde_json::Value;

use super::SortedIds;
use super::cursor::ParentQuery;
use super::work::{self, Compact, SegmentKeys, WorkEntry};
use crate::categories::{self, Category, Source};
use crate::ports::JobRecord;
#[cfg(test)]
use crate::snapshot::ObjectHash;
use crate::snapshot::{Location, Segment, id_order};
use crate::workflow::job::{Rejected, log_line};
use crate::workflow::{StepContext, StepError};

/// The parents of a per-parent category and the queries listing their children, in id order.
pub struct Parents {
    category: &'static Category,
    entries: Vec<Compact>,
    segments: SegmentKeys,
    /// For [`Source::PerParentAndName`]: the names, in id order (one query per parent and name).
    names: Vec<String>,
    /// For [`Source::PerParentLink`]: each entry's link.
    links: Vec<String>,
}

impl Parents {
    /// The parents with these ids (made up objects, for tests).
    #[cfg(test)]
    pub fn of(category: &'static Category, ids: &[&str]) -> Parents {
        let mut segments = SegmentKeys::default();
        let entries = ids
            .iter()
            .map(|id| Compact {
                id: (*id).into(),
                hash: ObjectHash([0; 32]),
                last_updated: None,
                segment: segments.number("s"),
                index: 0,
            })
            .collect();
        Parents {
            category,
            entries,
            segments,
            names: Vec::new(),
            links: Vec::new(),
        }
    }

    /// The parents' own ids.
    pub fn ids(&self) -> SortedIds {
        SortedIds::from_ids(self.entries.iter().map(|e| Box::from(&*e.id)))
    }

    /// Query `i`: its id and where its children are listed.
    pub fn query(&self, i: usize) -> Option<ParentQuery> {
        let per_parent = self.names.len().max(1);
        let entry = self.entries.get(i / per_parent)?;
        let id = &*entry.id;
        Some(match self.category.source {
            Source::PerParent { path, .. } => ParentQuery::filled(path, id),
            Source::PerParentAndName { path, .. } => {
                let name = &self.names[i % per_parent];
                ParentQuery {
                    id: format!("{id}/{name}"),
                    path: path.replace("{id}", id).replace("{name}", name),
                }
            }
            Source::PerParentLink { .. } => ParentQuery {
                id: id.to_owned(),
                path: self.links[i].clone(),
            },
            Source::List { .. } | Source::Log { .. } => return None,
        })
    }

    /// The parent object behind query `i`, as this job recorded it, under the query's id (`<parent>/<name>` for a
    /// row listed per parent and name: the id its children are kept under).
    pub fn entry(&self, i: usize) -> Option<WorkEntry> {
        let entry = self.entries.get(i / self.names.len().max(1))?;
        Some(WorkEntry {
            id: self.query(i)?.id,
            hash: entry.hash,
            last_updated: None,
            at: Location {
                segment_key: self.segments.key(entry.segment).to_owned(),
                index: entry.index,
            },
        })
    }
}

/// The parents of `category` and where each one's children are listed: the row's path filled in, the link a
/// parent object holds ([`Source::PerParentLink`]), or one path per parent and name
/// ([`Source::PerParentAndName`]). Parents a [`Category::parent_filter`] leaves out get no query; a parent
/// without its link is logged and left out. `None` when the parent category, or the category the names come
/// from, was skipped.
pub(super) async fn parents(
    ctx: &StepContext,
    job: &JobRecord,
    category: &'static Category,
) -> Result<Option<Parents>, StepError> {
    let parent = category.parent().expect("a per-parent category");
    let Some((mut entries, segments)) = parent_entries(ctx, job, category, parent).await? else {
        return Ok(None);
    };
    let mut names = match category.source {
        Source::PerParentAndName { names, .. } => {
            let names = categories::find(names).expect("the catalog test checks every row's names category");
            match parent_entries(ctx, job, category, names).await? {
                Some((entries, _)) => entries.into_iter().map(|e| e.id.into_string()).collect(),
                None => return Ok(None),
            }
        }
        _ => Vec::new(),
    };
    names.sort_by(|a: &String, b: &String| id_order(a, b));
    let needs_objects = category.parent_filter.is_some() || matches!(category.source, Source::PerParentLink { .. });
    let mut links = Vec::new();
    if needs_objects {
        let mut kept = Vec::with_capacity(entries.len());
        let mut missing = Vec::new();
        let mut segment: Option<Segment> = None;
        for entry in entries {
            let key = segments.key(entry.segment);
            if segment.as_ref().is_none_or(|s| s.blob_key() != key) {
                segment = Some(ctx.vault.read_segment(&job.org_id, key).await?);
            }
            let object = segment.as_ref().expect("read above").value(entry.index)?;
            if let Some(filter) = category.parent_filter {
                let value = object.pointer(filter.pointer).and_then(Value::as_str);
                if !value.is_some_and(|v| filter.any_of.contains(&v)) {
                    continue;
                }
            }
            if let Source::PerParentLink { link, .. } = category.source {
                match object.pointer(link).and_then(Value::as_str) {
                    Some(url) => links.push(url.to_owned()),
                    None => {
                        missing.push(log_line(
                            category.name,
                            Rejected {
                                object_id: Some(entry.id.to_string()),
                                message: format!(
                                    "skipped: the object has no link at {link} to read its {} from",
                                    category.name
                                ),
                            },
                            "skipped",
                        ));
                        continue;
                    }
                }
            }
            kept.push(entry);
        }
        entries = kept;
        if !missing.is_empty() {
            // A fixed batch name: logged once however often the step runs.
            let batch = format!("{}/parents-without-link", category.name);
            ctx.catalog.append_log(&job.job_id, &batch, &missing).await?;
        }
    }
    Ok(Some(Parents {
        category,
        entries,
        segments,
        names,
        links,
    }))
}

/// The objects of `parent` as this job recorded them, one per id, in id order; `None` if it was skipped.
pub(super) async fn parent_entries(
    ctx: &StepContext,
    job: &JobRecord,
    category: &Category,
    parent: &Category,
) -> Result<Option<(Vec<Compact>, SegmentKeys)>, StepError> {
    let progress = ctx
        .catalog
        .load_progress(&job.job_id)
        .await?
        .remove(parent.name)
        .unwrap_or_default();
    if !progress.done {
        return Err(StepError::fatal(format!(
            "{} cannot start before {} is complete (job {})",
            category.name, parent.name, job.job_id
        )));
    }
    if progress.counts.skipped.is_some() {
        return Ok(None);
    }
    let mut segments = SegmentKeys::default();
    let mut entries = Vec::new();
    for page in work::page_keys(&ctx.vault, &job.org_id, &job.job_id, parent.name).await? {
        let doc = work::read_page(&ctx.vault, &job.org_id, &page).await?;
        for e in doc.into_entries(&page)? {
            entries.push(Compact::of(e, &mut segments));
        }
    }
    // A parent listed twice (it moved between list passes) is one parent, as its later listing has it (the sort
    // is stable, so the later one comes last).
    entries.sort_by(|a, b| id_order(&a.id, &b.id));
    let mut unique: Vec<Compact> = Vec::with_capacity(entries.len());
    for entry in entries {
        match unique.last_mut() {
            Some(last) if last.id == entry.id => *last = entry,
            _ => unique.push(entry),
        }
    }
    Ok(Some((unique, segments)))
}
