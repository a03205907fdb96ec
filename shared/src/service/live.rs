//! The live org read as a backup reads it: each category through its catalog row's listing (its passes, or one
//! query per parent object), each item kept as the snapshot keeps it (same id, same content), so a live object
//! and its snapshot version compare as equals when nothing changed.

use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt};
use serde_json::Value;

use crate::categories::{self, Category, Response, Source};
use crate::okta::{OktaClient, OktaError, Page};
use crate::snapshot::CanonicalObject;
use crate::workflow::backup::{fill_parent, keep_items};

/// Parents whose children are listed at once (the governor keeps them under the rate share).
const PARENTS_AT_ONCE: usize = 8;

/// One category of the live org.
#[derive(Debug)]
pub enum LiveCategory {
    /// Its objects, by id.
    Read(BTreeMap<String, CanonicalObject>),
    /// Why it could not be read (the app's scopes or the org's plan do not allow it, or Okta refused a part of it).
    Unavailable(String),
}

/// Reads `wanted` from the live org, and the categories they are listed from. System Log rows are not states and
/// are not read.
pub async fn read(
    client: &OktaClient,
    wanted: &[&'static Category],
) -> Result<BTreeMap<&'static str, LiveCategory>, OktaError> {
    let mut needed: BTreeSet<&'static str> = BTreeSet::new();
    let mut stack: Vec<&'static Category> = wanted.to_vec();
    while let Some(category) = stack.pop() {
        if needed.insert(category.name) {
            stack.extend(category.requires());
        }
    }
    let rows: Vec<&'static Category> = needed.iter().filter_map(|n| categories::find(n)).collect();
    let mut out = BTreeMap::new();
    // Stages list parents before their children.
    for name in categories::stages(&rows).into_iter().flatten() {
        let category = categories::find(name).expect("stages name catalog rows");
        if category.is_event_log() {
            continue;
        }
        let read = read_category(client, category, &out).await?;
        out.insert(category.name, read);
    }
    Ok(out)
}

async fn read_category(
    client: &OktaClient,
    category: &'static Category,
    done: &BTreeMap<&'static str, LiveCategory>,
) -> Result<LiveCategory, OktaError> {
    let queries = match queries(category, done) {
        Ok(queries) => queries,
        Err(why) => return Ok(LiveCategory::Unavailable(why)),
    };
    let answers: Vec<_> = stream::iter(queries.into_iter().map(|(parent, path)| async move {
        let listed = list_all(client, category, &path).await;
        (parent, path, listed)
    }))
    .buffered(PARENTS_AT_ONCE)
    .collect()
    .await;
    let mut objects = BTreeMap::new();
    for (parent, path, listed) in answers {
        let items = match listed {
            Ok(items) => items,
            // The parent was deleted between its listing and this one: it has no children now.
            Err(e) if e.status() == Some(404) && parent.is_some() => continue,
            Err(e) if e.is_retryable() || matches!(e, OktaError::AuthRejected { .. }) => return Err(e),
            Err(e) => {
                return Ok(LiveCategory::Unavailable(format!(
                    "Okta refused {path} (needs scope {}): {e}",
                    category.scope
                )));
            }
        };
        let (kept, rejected) = keep_items(category, parent.as_deref(), items);
        if let Some(first) = rejected.first() {
            return Ok(LiveCategory::Unavailable(format!(
                "{} item(s) Okta answered at {path} cannot be compared: {}",
                rejected.len(),
                first.message
            )));
        }
        objects.extend(kept.into_iter().map(|o| (o.id.clone(), o)));
    }
    Ok(LiveCategory::Read(objects))
}

/// The queries listing `category`: (the parent's id, path), in the catalog row's order.
fn queries(
    category: &'static Category,
    done: &BTreeMap<&'static str, LiveCategory>,
) -> Result<Vec<(Option<String>, String)>, String> {
    let read = |name: &str| match done.get(name) {
        Some(LiveCategory::Read(objects)) => Ok(objects),
        _ => Err(format!("the category it is listed from, {name}, could not be read")),
    };
    let parents = |name: &str| -> Result<Vec<(String, Value)>, String> {
        Ok(read(name)?
            .values()
            .filter_map(|o| Some((o.id.clone(), serde_json::from_slice::<Value>(&o.bytes).ok()?)))
            .filter(|(_, object)| {
                category.parent_filter.is_none_or(|f| {
                    object
                        .pointer(f.pointer)
                        .and_then(Value::as_str)
                        .is_some_and(|v| f.any_of.contains(&v))
                })
            })
            .collect())
    };
    Ok(match category.source {
        Source::List { passes } => passes.iter().map(|p| (None, (*p).to_owned())).collect(),
        Source::PerParent { parent, path } => parents(parent)?
            .into_iter()
            .map(|(id, _)| {
                let path = fill_parent(path, &id);
                (Some(id), path)
            })
            .collect(),
        Source::PerParentLink { parent, link } => parents(parent)?
            .into_iter()
            .filter_map(|(id, object)| {
                let url = object.pointer(link)?.as_str()?.to_owned();
                Some((Some(id), url))
            })
            .collect(),
        Source::PerParentAndName { parent, names, path } => {
            let names: Vec<String> = read(names)?.keys().cloned().collect();
            parents(parent)?
                .into_iter()
                .flat_map(|(id, _)| {
                    names.iter().map(move |name| {
                        let filled = path.replace("{id}", &id).replace("{name}", name);
                        (Some(format!("{id}/{name}")), filled)
                    })
                })
                .collect()
        }
        Source::Log { .. } => Vec::new(),
    })
}

/// Every item at `path`, following the pages.
async fn list_all(client: &OktaClient, category: &Category, path: &str) -> Result<Vec<Value>, OktaError> {
    let mut items = Vec::new();
    let mut next = Some(path.to_owned());
    let mut first = true;
    while let Some(url) = next {
        let limit = category.page_limit.filter(|_| first);
        let page = match category.response {
            Response::Array => client.get_page(&url, limit).await?,
            Response::Object => Page {
                items: vec![client.get_json(&url).await?],
                next: None,
            },
            Response::Wrapped { field } => client.get_wrapped_page(&url, limit, field).await?,
        };
        first = false;
        // An empty page ends the list even if Okta links on.
        next = page.next.filter(|_| !page.items.is_empty());
        items.extend(page.items);
    }
    Ok(items)
}
