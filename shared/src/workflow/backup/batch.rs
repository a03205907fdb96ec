//! Batches of parents: a per-parent category whose lists come in one answer each (a user's factors) fetches
//! many parents into one page, so a page, a segment and a saved position stand for a batch, not one parent.

use super::carry::{CarriedRun, Carry};
use super::cursor::{Cursor, NextRequest};
use super::parents::Parents;
use crate::categories::{Category, Response};
use crate::ports::JobRecord;
use crate::workflow::{StepContext, StepError};

/// Parents fetched together into one page, at most, for a category whose per-parent lists are not paged
/// (a user's factors): one page, one segment and one saved position per batch rather than per parent.
const PARENT_BATCH: usize = 100;
/// Requests of one batch in flight at once (the governor still keeps every bucket under its share).
pub(super) const FETCH_CONCURRENCY: usize = 8;

/// Whether a category's per-parent lists come in one answer each, so parents can be fetched in batches.
fn batches_parents(category: &Category) -> bool {
    category.parent().is_some()
        && match category.response {
            Response::Object => true,
            Response::Array => category.page_limit.is_none(),
            // A wrapped list may page by a body link even without a `limit` parameter.
            Response::Wrapped { .. } => false,
        }
}

/// The requests of the next page: the cursor's one request, or for a batching category the first pages of
/// up to [`PARENT_BATCH`] parents from the cursor on, ending before a parent whose children can be carried.
/// Empty when the category is complete.
pub(super) async fn next_requests(
    ctx: &StepContext,
    job: &JobRecord,
    category: &Category,
    cursor: &Cursor,
    parents: Option<&Parents>,
    query: Option<&str>,
    carry: Option<&Carry>,
) -> Result<Vec<NextRequest>, StepError> {
    let Some(first) = cursor.next_request(category, parents, query) else {
        return Ok(Vec::new());
    };
    let mut requests = vec![first];
    if cursor.next.is_some() || !batches_parents(category) {
        return Ok(requests);
    }
    while requests.len() < PARENT_BATCH {
        let ahead = Cursor {
            position: cursor.position + requests.len(),
            ..Cursor::default()
        };
        let Some(request) = ahead.next_request(category, parents, query) else {
            break;
        };
        if can_carry(ctx, job, carry, parents, ahead.position).await {
            break;
        }
        requests.push(request);
    }
    Ok(requests)
}

/// Whether the children of parent query `position` can be carried from the previous snapshot (see [`Carry`]).
pub(super) async fn can_carry(
    ctx: &StepContext,
    job: &JobRecord,
    carry: Option<&Carry>,
    parents: Option<&Parents>,
    position: usize,
) -> bool {
    carried_children(ctx, job, carry, parents, position, 0, 0, false)
        .await
        .is_some()
}

/// At most `at_most` of the children of parent query `position` carried from the previous snapshot, from its
/// `from`th on, if they can be carried (`begun`: an earlier page carried its first ones; see [`Carry::carried`]).
#[allow(clippy::too_many_arguments)]
pub(super) async fn carried_children(
    ctx: &StepContext,
    job: &JobRecord,
    carry: Option<&Carry>,
    parents: Option<&Parents>,
    position: usize,
    from: usize,
    at_most: usize,
    begun: bool,
) -> Option<CarriedRun> {
    let (carry, parent) = (carry?, parents?.entry(position)?);
    carry
        .carried(&ctx.vault, &job.org_id, &parent, from, at_most, begun)
        .await
}
