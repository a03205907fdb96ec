//! Undo of one admin change the System Log recorded: the objects the event names (its targets) are put back as
//! they were in the last snapshot whose job finished before the event was published, through the restore engine
//! (its plan, guardrail and relationships), overwriting what the org holds now.
//!
//! The event is read from the org's snapshots (each keeps the log window it backed up), so an event can be undone
//! once a backup after it has run. Undo puts back what a change removed or altered; it does not take away what
//! one added, because a restore only adds memberships and assignments.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::restore::{self, RestoreAsk, RestoreReport};
use super::{ServiceError, snapshots};
use crate::categories::{self, Category};
use crate::ids::{OrgId, SnapshotId};
use crate::ports::{Catalog, OnConflict, SnapshotRecord};
use crate::restore::select;
use crate::snapshot::{SnapshotReader, Vault};
use crate::timefmt;
use crate::workflow::restore::RestoreRequest;

const SYSTEM_LOG: &str = "system_log";

/// An undo as a person asks for it.
#[derive(Debug, Clone)]
pub struct UndoAsk {
    /// The org the change was made in, and is undone in.
    pub org: OrgId,
    /// The event's `uuid`.
    pub event: String,
    pub dry_run: bool,
    /// Confirms a plan the guardrail holds.
    pub confirmed: bool,
}

/// The event being undone, as the System Log recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedEvent {
    pub uuid: String,
    pub event_type: String,
    pub published: String,
    pub display_message: String,
    /// Who made the change (the actor's alternate id, e.g. a login).
    pub actor: String,
    /// The snapshot whose log window holds the event.
    pub found_in: SnapshotId,
}

/// One target of the event and what undo does with it.
#[derive(Debug, Clone, Serialize)]
pub struct UndoTarget {
    pub target_type: String,
    pub id: String,
    pub name: String,
    /// The restore selector that puts it back (`groups:00g...`), when it can be.
    pub restores: Option<String>,
    /// Why it cannot be put back, when it cannot.
    pub refused: Option<String>,
}

/// What an undo restores, from which snapshot, and the restore request that does it.
#[derive(Debug, Clone, Serialize)]
pub struct UndoPlan {
    pub event: LoggedEvent,
    /// The last snapshot whose job finished before the event was published.
    pub snapshot: SnapshotId,
    pub snapshot_finished_at: String,
    pub targets: Vec<UndoTarget>,
    #[serde(skip)]
    pub request: RestoreRequest,
}

/// Finds the event, the snapshot before it and the objects to put back; refuses, with the reason, an event that
/// no snapshot holds, that no snapshot precedes, that added rather than changed, or whose targets cannot be
/// restored.
pub async fn plan(catalog: &dyn Catalog, vault: &Vault, ask: &UndoAsk) -> Result<UndoPlan, ServiceError> {
    let uuid = ask.event.trim();
    if uuid.is_empty() {
        return Err(ServiceError::Invalid(
            "name the System Log event to undo by its uuid".into(),
        ));
    }
    let mut records = snapshots::list(catalog, Some(&ask.org)).await?;
    records.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.snapshot_id.cmp(&a.snapshot_id)));
    let (event, raw) = find_event(vault, &records, uuid, &ask.org).await?;
    if let Some(why) = adds_rather_than_changes(&event.event_type) {
        return Err(ServiceError::Invalid(format!(
            "event {uuid} ({}) cannot be undone: {why}",
            event.event_type
        )));
    }
    let published = timefmt::parse_rfc3339(&event.published).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "event {uuid} has no readable publication time: {:?}",
            event.published
        ))
    })?;
    let (before, finished_at) = snapshot_before(catalog, &records, published, &event).await?;
    let reader = SnapshotReader::open(vault.clone(), &before.org_id, &before.snapshot_id).await?;
    let mut targets = Vec::new();
    for target in raw.get("target").and_then(Value::as_array).into_iter().flatten() {
        targets.push(resolve_target(&reader, target).await?);
    }
    let selection: Vec<String> = targets.iter().filter_map(|t| t.restores.clone()).collect();
    if selection.is_empty() {
        let reasons: Vec<String> = targets
            .iter()
            .map(|t| {
                format!(
                    "{} {} ({}): {}",
                    t.target_type,
                    t.id,
                    t.name,
                    t.refused.as_deref().unwrap_or("")
                )
            })
            .collect();
        return Err(ServiceError::Invalid(format!(
            "event {uuid} ({}) cannot be undone: {}",
            event.event_type,
            if reasons.is_empty() {
                "it names no object".to_owned()
            } else {
                reasons.join("; ")
            }
        )));
    }
    let request = restore::request(
        catalog,
        &RestoreAsk {
            target_org: ask.org.clone(),
            snapshot: before.snapshot_id.to_string(),
            source_org: Some(ask.org.clone()),
            selection,
            on_conflict: OnConflict::Overwrite,
            relationships: true,
            activate: true,
            dry_run: ask.dry_run,
            confirmed: ask.confirmed,
            leave_rule_memberships: false,
            confirmation_token: None,
        },
    )
    .await?;
    Ok(UndoPlan {
        event,
        snapshot: before.snapshot_id.clone(),
        snapshot_finished_at: finished_at,
        targets,
        request,
    })
}

/// The event `uuid` in the newest snapshot whose log window holds it.
async fn find_event(
    vault: &Vault,
    newest_first: &[SnapshotRecord],
    uuid: &str,
    org: &OrgId,
) -> Result<(LoggedEvent, Value), ServiceError> {
    for record in newest_first {
        let reader = SnapshotReader::open(vault.clone(), &record.org_id, &record.snapshot_id).await?;
        if let Some(raw) = reader.object(SYSTEM_LOG, uuid).await? {
            let text = |pointer: &str| {
                raw.pointer(pointer)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let event = LoggedEvent {
                uuid: uuid.to_owned(),
                event_type: text("/eventType"),
                published: text("/published"),
                display_message: text("/displayMessage"),
                actor: text("/actor/alternateId"),
                found_in: record.snapshot_id.clone(),
            };
            return Ok((event, raw));
        }
    }
    Err(ServiceError::NotFound(format!(
        "no snapshot of org {org} holds System Log event {uuid}: run a backup after the event (each backup keeps the \
         log since the one before), and check the uuid"
    )))
}

/// Why an event type cannot be undone by putting objects back: it made something rather than changed it.
fn adds_rather_than_changes(event_type: &str) -> Option<&'static str> {
    if event_type.contains("lifecycle.create") {
        Some("it created its objects, and undo puts back what a change removed or altered; delete what it made instead")
    } else if event_type.ends_with(".add") {
        Some(
            "it added a membership or an assignment, and a restore only adds them; remove it in Okta instead \
             (undo puts back what a change removed or altered)",
        )
    } else {
        None
    }
}

/// The last snapshot whose job finished before `published`, and when it finished.
async fn snapshot_before<'a>(
    catalog: &dyn Catalog,
    newest_first: &'a [SnapshotRecord],
    published: time::OffsetDateTime,
    event: &LoggedEvent,
) -> Result<(&'a SnapshotRecord, String), ServiceError> {
    let mut best: Option<(&SnapshotRecord, time::OffsetDateTime, String)> = None;
    let mut earliest: Option<String> = None;
    for record in newest_first {
        let Some(finished) = catalog.get_job(&record.job_id).await?.and_then(|j| j.finished_at) else {
            continue;
        };
        let Some(at) = timefmt::parse_rfc3339(&finished) else {
            continue;
        };
        if earliest.as_ref().is_none_or(|e| finished < *e) {
            earliest = Some(finished.clone());
        }
        if at < published && best.as_ref().is_none_or(|(_, b, _)| at > *b) {
            best = Some((record, at, finished));
        }
    }
    best.map(|(record, _, finished)| (record, finished)).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "event {} ({}, published {}) cannot be undone: no snapshot of the org finished before it{}",
            event.uuid,
            event.event_type,
            event.published,
            earliest.map_or_else(String::new, |e| format!(" (the earliest finished {e})"))
        ))
    })
}

/// The restore selector for one event target, or why there is none.
async fn resolve_target(reader: &SnapshotReader, target: &Value) -> Result<UndoTarget, ServiceError> {
    let text = |field: &str| target.get(field).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (target_type, id) = (text("type"), text("id"));
    let name = [text("displayName"), text("alternateId")]
        .into_iter()
        .find(|n| !n.is_empty())
        .unwrap_or_default();
    let mut out = UndoTarget {
        target_type: target_type.clone(),
        id: id.clone(),
        name,
        restores: None,
        refused: None,
    };
    let rows: Vec<&'static Category> = categories::CATEGORIES
        .iter()
        .filter(|c| c.log_target == Some(target_type.as_str()))
        .collect();
    if rows.is_empty() || id.is_empty() {
        out.refused = Some(format!(
            "oktavault keeps nothing that a System Log {target_type} target names"
        ));
        return Ok(out);
    }
    for row in &rows {
        let Some(held) = held_id(reader, row, &id).await? else {
            continue;
        };
        let selector = format!("{}:{held}", row.name);
        match select::check(std::slice::from_ref(&selector)) {
            Ok(()) => out.restores = Some(selector),
            Err(e) => out.refused = Some(e.to_string()),
        }
        return Ok(out);
    }
    let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    out.refused = Some(format!(
        "snapshot {} does not hold it ({}): it was made after that snapshot, or the snapshot lacks it",
        reader.head().snapshot_id,
        names.join(" or ")
    ));
    Ok(out)
}

/// The id under which the snapshot holds the object Okta calls `id` in `row`: the id itself, or for a row kept
/// per parent, `<parent>/<id>`.
async fn held_id(reader: &SnapshotReader, row: &Category, id: &str) -> Result<Option<String>, ServiceError> {
    if reader.object(row.name, id).await?.is_some() {
        return Ok(Some(id.to_owned()));
    }
    if row.parent().is_none() {
        return Ok(None);
    }
    let suffix = format!("/{id}");
    let mut entries = reader.entries(row.name);
    while let Some(entry) = entries.next().await? {
        if entry.id.ends_with(&suffix) {
            return Ok(Some(entry.id));
        }
    }
    Ok(None)
}

/// An undo's plan and the report of the restore job that carried it out.
#[derive(Debug, Clone, Serialize)]
pub struct UndoReport {
    pub undo: UndoPlan,
    pub restore: RestoreReport,
}

impl fmt::Display for UndoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.undo, self.restore)
    }
}

impl fmt::Display for UndoPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.event;
        writeln!(
            f,
            "Undo of System Log event {} ({}: {}), published {} by {}",
            e.uuid,
            e.event_type,
            e.display_message,
            e.published,
            if e.actor.is_empty() { "-" } else { &e.actor }
        )?;
        writeln!(
            f,
            "  puts back, as snapshot {} held them (finished {}, the last before the event):",
            self.snapshot, self.snapshot_finished_at
        )?;
        for t in &self.targets {
            match (&t.restores, &t.refused) {
                (Some(selector), _) => writeln!(f, "    {} {} ({}) -> {selector}", t.target_type, t.id, t.name)?,
                (None, why) => writeln!(
                    f,
                    "    {} {} ({}) not restored: {}",
                    t.target_type,
                    t.id,
                    t.name,
                    why.as_deref().unwrap_or("")
                )?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_that_made_something_are_refused_and_changes_are_not() {
        for made in [
            "group.lifecycle.create",
            "user.lifecycle.create",
            "group.user_membership.add",
            "application.user_membership.add",
        ] {
            assert!(adds_rather_than_changes(made).is_some(), "{made}");
        }
        for changed in [
            "group.lifecycle.delete",
            "policy.rule.update",
            "application.user_membership.remove",
            "user.account.update_profile",
        ] {
            assert!(adds_rather_than_changes(changed).is_none(), "{changed}");
        }
    }

    #[test]
    fn every_log_target_names_rows_that_hold_objects_by_their_own_id() {
        for row in categories::CATEGORIES.iter().filter(|c| c.log_target.is_some()) {
            assert!(!row.is_event_log(), "{}", row.name);
            assert!(
                row.id_pointer.starts_with("/id"),
                "{}: a System Log target carries the object's id",
                row.name
            );
        }
    }
}
