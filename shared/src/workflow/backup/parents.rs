//! The parents of a per-parent category, and where each one's children are listed.

use std::collections::HashSet;

use serde_json::Value;

use super::cursor::ParentQuery;
use super::work::{self, WorkEntry};
use crate::categories::{self, Category, Source};
use crate::ports::JobRecord;
use crate::snapshot::{Segment, id_order};
use crate::workflow::job::{Rejected, log_line};
use crate::workflow::{StepContext, StepError};

/// Where each parent's children are listed: the row's path filled in, the link a parent object holds
/// ([`Source::PerParentLink`]), or one path per parent and name ([`Source::PerParentAndName`]). Parents a
/// [`Category::parent_filter`] leaves out get no query; a parent without its link is logged and left out.
/// `None` when the category the names come from was skipped.
pub(super) async fn parent_queries(
    ctx: &StepContext,
    job: &JobRecord,
    category: &Category,
    parents: &[WorkEntry],
) -> Result<Option<Vec<ParentQuery>>, StepError> {
    let needs_objects = category.parent_filter.is_some() || matches!(category.source, Source::PerParentLink { .. });
    let names = match category.source {
        Source::PerParentAndName { names, .. } => {
            let names = categories::find(names).expect("the catalog test checks every row's names category");
            match parent_entries(ctx, job, category, names).await? {
                Some(entries) => entries.into_iter().map(|e| e.id).collect(),
                None => return Ok(None),
            }
        }
        _ => Vec::new(),
    };
    let mut queries = Vec::with_capacity(parents.len());
    let mut missing = Vec::new();
    let mut segment: Option<Segment> = None;
    for parent in parents {
        let object = match needs_objects {
            true => {
                if segment.as_ref().is_none_or(|s| s.blob_key() != parent.at.segment_key) {
                    segment = Some(ctx.vault.read_segment(&job.org_id, &parent.at.segment_key).await?);
                }
                Some(segment.as_ref().expect("read above").value(parent.at.index)?)
            }
            false => None,
        };
        if let (Some(filter), Some(object)) = (category.parent_filter, &object) {
            let value = object.pointer(filter.pointer).and_then(Value::as_str);
            if !value.is_some_and(|v| filter.any_of.contains(&v)) {
                continue;
            }
        }
        let id = parent.id.as_str();
        match category.source {
            Source::PerParent { path, .. } => queries.push(ParentQuery::filled(path, id)),
            Source::PerParentAndName { path, .. } => {
                for name in &names {
                    queries.push(ParentQuery {
                        id: format!("{id}/{name}"),
                        path: path.replace("{id}", id).replace("{name}", name),
                    });
                }
            }
            Source::PerParentLink { link, .. } => {
                match object.as_ref().and_then(|o| o.pointer(link)).and_then(Value::as_str) {
                    Some(url) => queries.push(ParentQuery {
                        id: id.to_owned(),
                        path: url.to_owned(),
                    }),
                    None => missing.push(log_line(
                        category.name,
                        Rejected {
                            object_id: Some(id.to_owned()),
                            message: format!(
                                "skipped: the object has no link at {link} to read its {} from",
                                category.name
                            ),
                        },
                        "skipped",
                    )),
                }
            }
            Source::List { .. } | Source::Log { .. } => {}
        }
    }
    // Parents in id order, the order the previous snapshot's children are walked in.
    queries.sort_by(|a, b| id_order(&a.id, &b.id));
    if !missing.is_empty() {
        // A fixed batch name: logged once however often the step runs.
        let batch = format!("{}/parents-without-link", category.name);
        ctx.catalog.append_log(&job.job_id, &batch, &missing).await?;
    }
    Ok(Some(queries))
}

/// The parent category's objects as this job recorded them (one per id), or `None` if it was
/// skipped.
pub(super) async fn parent_entries(
    ctx: &StepContext,
    job: &JobRecord,
    category: &Category,
    parent: &Category,
) -> Result<Option<Vec<WorkEntry>>, StepError> {
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
    let (entries, _) = work::read_all(&ctx.vault, &job.org_id, &job.job_id, parent.name).await?;
    let mut seen = HashSet::new();
    Ok(Some(
        entries.into_iter().filter(|e| seen.insert(e.id.clone())).collect(),
    ))
}
