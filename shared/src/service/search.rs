//! Searching every snapshot of an org, and the history of one object, through the org's search index
//! ([`crate::search`]). Each object found comes with its versions: the snapshots that hold each, and what changed
//! from the version before (the comparison `diff` and the restore plan use). An object the newest snapshot lacks
//! is found in the last snapshot that had it, marked deleted since the next one.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;
use serde_json::Value;
use time::{Date, Month, OffsetDateTime, Time};

use super::ServiceError;
use crate::categories;
use crate::compare::{self, Change};
use crate::ids::{OrgId, SnapshotId};
use crate::ports::Catalog;
use crate::search::{self, Reindexed, SearchIndex, Span, Version};
use crate::snapshot::{ObjectHash, SnapshotReader, Vault};
use crate::timefmt;

/// Objects shown at most; the report counts the rest.
pub const MAX_RESULTS: usize = 50;

/// A search as a person asks for it.
#[derive(Debug, Clone, Default)]
pub struct SearchAsk {
    /// The org; may be left out when the store holds one.
    pub org: Option<OrgId>,
    /// Part of a name, login, email or label, or a whole id; any case.
    pub query: String,
    /// Only this category.
    pub category: Option<String>,
    /// Only objects with a version modified (its own `lastUpdated`) on or after this (a date or RFC 3339 time).
    pub from: Option<String>,
    /// ... and on or before this (a date means the whole day).
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchReport {
    pub org: OrgId,
    pub query: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// How many snapshots were searched.
    pub snapshots: usize,
    pub results: Vec<ObjectHistory>,
    /// Matching objects beyond [`MAX_RESULTS`], not shown.
    pub more: usize,
    /// Categories with matches that the modified-time range could not filter (they have no `lastUpdated`): their
    /// matches are shown whatever their dates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_filtered_by_time: Vec<String>,
    /// Snapshots the index had to index again from their manifests, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reindexed: Vec<Reindexed>,
}

/// One object across the org's snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectHistory {
    pub category: String,
    pub id: String,
    /// How a person names it (its newest version's first name), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Oldest first.
    pub versions: Vec<VersionReport>,
    /// The newest snapshot that holds the object.
    pub last_seen: SnapshotId,
    /// The first snapshot without it, when the newest snapshot lacks it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_since: Option<SnapshotId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionReport {
    pub hash: ObjectHash,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// The runs of consecutive snapshots that hold this version.
    pub snapshots: Vec<SnapshotRun>,
    /// What changed from the version before (none for the first).
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotRun {
    pub first: SnapshotId,
    pub last: SnapshotId,
    pub count: usize,
}

/// Searches every snapshot of the org.
pub async fn search(catalog: &dyn Catalog, vault: &Vault, ask: &SearchAsk) -> Result<SearchReport, ServiceError> {
    let query = ask.query.trim();
    if query.is_empty() {
        return Err(ServiceError::Invalid(
            "give a keyword: part of a name, login, email or label, or a whole id".to_owned(),
        ));
    }
    if let Some(name) = &ask.category {
        known_category(name)?;
    }
    let from = ask.from.as_deref().map(|t| parse_bound(t, false)).transpose()?;
    let to = ask.to.as_deref().map(|t| parse_bound(t, true)).transpose()?;
    let org = org_of(catalog, ask.org.as_ref()).await?;
    let search::Loaded { index, reindexed } = load_index(catalog, vault, &org).await?;
    let mut not_filtered = BTreeSet::new();
    let mut found = Vec::new();
    for (category, id) in index.matching(query, ask.category.as_deref()) {
        let versions = index.versions_of(&category, &id);
        if from.is_some() || to.is_some() {
            match in_range(&category, &versions, from, to) {
                Some(true) => {}
                Some(false) => continue,
                None => {
                    not_filtered.insert(category.clone());
                }
            }
        }
        found.push((category, id));
    }
    let more = found.len().saturating_sub(MAX_RESULTS);
    let mut readers = Readers::new(vault, &org);
    let mut results = Vec::new();
    for (category, id) in found.into_iter().take(MAX_RESULTS) {
        results.push(history_of(&index, &mut readers, &category, &id).await?);
    }
    Ok(SearchReport {
        org,
        query: query.to_owned(),
        category: ask.category.clone(),
        from: ask.from.clone(),
        to: ask.to.clone(),
        snapshots: index.snapshots().len(),
        results,
        more,
        not_filtered_by_time: not_filtered.into_iter().collect(),
        reindexed,
    })
}

/// The history of one object as a person asks for it.
#[derive(Debug, Clone)]
pub struct HistoryAsk {
    pub org: Option<OrgId>,
    pub category: String,
    /// Its id, or one of its names (login, email, name, label) in any version.
    pub id_or_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    pub org: OrgId,
    pub snapshots: usize,
    #[serde(flatten)]
    pub object: ObjectHistory,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reindexed: Vec<Reindexed>,
}

/// The versions of one object across the org's snapshots, with what changed between them.
pub async fn history(catalog: &dyn Catalog, vault: &Vault, ask: &HistoryAsk) -> Result<HistoryReport, ServiceError> {
    known_category(&ask.category)?;
    let org = org_of(catalog, ask.org.as_ref()).await?;
    let search::Loaded { index, reindexed } = load_index(catalog, vault, &org).await?;
    let id = if !index.versions_of(&ask.category, &ask.id_or_name).is_empty() {
        ask.id_or_name.clone()
    } else {
        let ids = index.named(&ask.category, &ask.id_or_name);
        match ids.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(ServiceError::NotFound(format!(
                    "no {} with the id or name {:?} in any snapshot of {org}; `oktavault search {}` finds objects by \
                     part of a name",
                    ask.category, ask.id_or_name, ask.id_or_name
                )));
            }
            many => {
                return Err(ServiceError::Invalid(format!(
                    "{} {} are named {:?} ({}): name one by its id",
                    many.len(),
                    ask.category,
                    ask.id_or_name,
                    many.join(", ")
                )));
            }
        }
    };
    let mut readers = Readers::new(vault, &org);
    let object = history_of(&index, &mut readers, &ask.category, &id).await?;
    Ok(HistoryReport {
        org,
        snapshots: index.snapshots().len(),
        object,
        reindexed,
    })
}

fn known_category(name: &str) -> Result<(), ServiceError> {
    match categories::find(name) {
        Some(_) => Ok(()),
        None => Err(ServiceError::Invalid(format!(
            "{name:?} is not a category; `oktavault ls SNAPSHOT` lists them"
        ))),
    }
}

/// `org`, or the one org of the store.
async fn org_of(catalog: &dyn Catalog, org: Option<&OrgId>) -> Result<OrgId, ServiceError> {
    if let Some(org) = org {
        return match catalog.get_org(org).await? {
            Some(_) => Ok(org.clone()),
            None => Err(ServiceError::NotFound(format!(
                "org {org} is not registered in this store"
            ))),
        };
    }
    let orgs = catalog.list_orgs().await?;
    match orgs.as_slice() {
        [one] => Ok(one.org_id.clone()),
        [] => Err(ServiceError::NotFound("this store has no orgs yet".to_owned())),
        many => Err(ServiceError::Invalid(format!(
            "this store holds {} orgs ({}): name one with --org",
            many.len(),
            many.iter().map(|o| o.org_id.to_string()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

async fn load_index(catalog: &dyn Catalog, vault: &Vault, org: &OrgId) -> Result<search::Loaded, ServiceError> {
    let snapshots = catalog.list_snapshots(org).await?;
    if snapshots.is_empty() {
        return Err(ServiceError::NotFound(format!("org {org} has no snapshots yet")));
    }
    Ok(search::load(vault, org, &snapshots).await?)
}

/// Whether a version of the object was modified inside the range; `None` when its category has no modification
/// time (or its versions do not carry one).
fn in_range(
    category: &str,
    versions: &[&Version],
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
) -> Option<bool> {
    categories::find(category)?.last_updated_field?;
    let mut any_time = false;
    for v in versions {
        let Some(t) = v.last_updated.as_deref().and_then(timefmt::parse_rfc3339) else {
            continue;
        };
        any_time = true;
        if from.is_none_or(|f| t >= f) && to.is_none_or(|u| t <= u) {
            return Some(true);
        }
    }
    any_time.then_some(false)
}

/// A date (`2026-03-01`: its first instant, or with `end` its last) or an RFC 3339 time.
fn parse_bound(text: &str, end: bool) -> Result<OffsetDateTime, ServiceError> {
    if let Some(t) = timefmt::parse_rfc3339(text) {
        return Ok(t);
    }
    let invalid = || {
        ServiceError::Invalid(format!(
            "{text:?} is not a date: give 2026-03-01 or an RFC 3339 time such as 2026-03-01T12:00:00Z"
        ))
    };
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(invalid());
    };
    let (y, m, d): (i32, u8, u8) = (
        y.parse().map_err(|_| invalid())?,
        m.parse().map_err(|_| invalid())?,
        d.parse().map_err(|_| invalid())?,
    );
    let month = Month::try_from(m).map_err(|_| invalid())?;
    let date = Date::from_calendar_date(y, month, d).map_err(|_| invalid())?;
    let time = if end {
        Time::from_hms_nano(23, 59, 59, 999_999_999).expect("a valid time")
    } else {
        Time::MIDNIGHT
    };
    Ok(date.with_time(time).assume_utc())
}

/// Opened snapshot readers, one per snapshot, for reading the versions of the objects shown.
struct Readers<'a> {
    vault: &'a Vault,
    org: &'a OrgId,
    open: HashMap<SnapshotId, SnapshotReader>,
}

impl<'a> Readers<'a> {
    fn new(vault: &'a Vault, org: &'a OrgId) -> Self {
        Readers {
            vault,
            org,
            open: HashMap::new(),
        }
    }

    async fn object(&mut self, snapshot: &SnapshotId, category: &str, id: &str) -> Result<Value, ServiceError> {
        if !self.open.contains_key(snapshot) {
            let reader = SnapshotReader::open(self.vault.clone(), self.org, snapshot).await?;
            self.open.insert(snapshot.clone(), reader);
        }
        self.open[snapshot].object(category, id).await?.ok_or_else(|| {
            ServiceError::NotFound(format!(
                "the search index says snapshot {snapshot} holds {category} {id}, but its manifest does not"
            ))
        })
    }
}

async fn history_of(
    index: &SearchIndex,
    readers: &mut Readers<'_>,
    category: &str,
    id: &str,
) -> Result<ObjectHistory, ServiceError> {
    let versions = index.versions_of(category, id);
    let mut out = Vec::with_capacity(versions.len());
    let mut previous: Option<Value> = None;
    // Versions in the order they first appeared; a version that came back (a change undone) is shown once.
    for v in &versions {
        let first = &index.span_snapshots(v.spans[0])[0];
        let value = readers.object(first, category, id).await?;
        let changes = previous.as_ref().map(|p| compare::diff(p, &value)).unwrap_or_default();
        out.push(VersionReport {
            hash: v.hash,
            last_updated: v.last_updated.clone(),
            snapshots: v.spans.iter().map(|s| run(index, *s)).collect(),
            changes,
        });
        previous = Some(value);
    }
    let newest = versions
        .iter()
        .flat_map(|v| v.spans.iter())
        .max_by_key(|s| s.1)
        .copied()
        .expect("an indexed object has a version held somewhere");
    let held = index.span_snapshots(newest);
    Ok(ObjectHistory {
        category: category.to_owned(),
        id: id.to_owned(),
        name: versions
            .iter()
            .max_by_key(|v| v.spans.last().map(|s| s.1))
            .and_then(|v| v.names.first().cloned()),
        versions: out,
        last_seen: held.last().expect("a span holds a snapshot").clone(),
        deleted_since: (!newest.is_open()).then(|| index.snapshots()[newest.1 as usize].clone()),
    })
}

fn run(index: &SearchIndex, span: Span) -> SnapshotRun {
    let held = index.span_snapshots(span);
    SnapshotRun {
        first: held[0].clone(),
        last: held[held.len() - 1].clone(),
        count: held.len(),
    }
}

impl fmt::Display for SnapshotRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.count {
            1 => write!(f, "{}", self.first),
            n => write!(f, "{} .. {} ({n} snapshots)", self.first, self.last),
        }
    }
}

impl fmt::Display for ObjectHistory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.category, self.id)?;
        if let Some(name) = &self.name {
            write!(f, " ({name})")?;
        }
        match &self.deleted_since {
            Some(since) => writeln!(f, ": deleted since {since}, last in {}", self.last_seen)?,
            None => writeln!(f, ": in the newest snapshot, {}", self.last_seen)?,
        }
        for (n, v) in self.versions.iter().enumerate() {
            let runs: Vec<String> = v.snapshots.iter().map(ToString::to_string).collect();
            write!(f, "  version {}: in {}", n + 1, runs.join(", "))?;
            match &v.last_updated {
                Some(t) => writeln!(f, "; lastUpdated {t}")?,
                None => writeln!(f)?,
            }
            for change in &v.changes {
                writeln!(f, "      {change}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for SearchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_reindexed(f, &self.reindexed)?;
        let total = self.results.len() + self.more;
        writeln!(
            f,
            "{total} object{} match {:?} in {} snapshot{} of {}{}:",
            if total == 1 { "" } else { "s" },
            self.query,
            self.snapshots,
            if self.snapshots == 1 { "" } else { "s" },
            self.org,
            self.category.as_ref().map_or(String::new(), |c| format!(" ({c} only)"))
        )?;
        for object in &self.results {
            write!(f, "{object}")?;
        }
        if self.more > 0 {
            writeln!(
                f,
                "... and {} more: narrow the search with a longer keyword or --type",
                self.more
            )?;
        }
        if !self.not_filtered_by_time.is_empty() {
            writeln!(
                f,
                "Not filtered by --from/--to (no lastUpdated, shown whatever their dates): {}",
                self.not_filtered_by_time.join(", ")
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for HistoryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_reindexed(f, &self.reindexed)?;
        writeln!(
            f,
            "{} version{} in {} snapshot{} of {}:",
            self.object.versions.len(),
            if self.object.versions.len() == 1 { "" } else { "s" },
            self.snapshots,
            if self.snapshots == 1 { "" } else { "s" },
            self.org
        )?;
        write!(f, "{}", self.object)
    }
}

fn write_reindexed(f: &mut fmt::Formatter<'_>, reindexed: &[Reindexed]) -> fmt::Result {
    for r in reindexed {
        match &r.snapshot {
            Some(s) => writeln!(f, "Indexed {s} again from its manifest: {}", r.reason)?,
            None => writeln!(f, "Search index: {}", r.reason)?,
        }
    }
    Ok(())
}
