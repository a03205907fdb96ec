//! The System Log (`GET /api/v1/logs`): an append-only list of LogEvents in `published` order.
//!
//! The seeded org comes with a history (sign-ins, user lifecycle, group membership and app assignment
//! adds) spread over the days before the simulator started, and every mutation through the API
//! appends the event Okta would emit, stamped by the simulator's clock, with its `target[]`.
//!
//! Queries follow Okta: `since` (default 7 days before `until`), `until` (default now; exclusive),
//! `filter` (`eventType eq "..."` and the like, joined with `and`/`or`), `sortOrder`, `limit`
//! (default 100, at most 1000) and an opaque `after`. A polling query (ascending, no `until`) always
//! answers a `next` link, even on an empty last page, so a client can keep polling it.

use axum::extract::RawQuery;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::clock::{SimClock, format_ms, parse_ms};
use crate::errors::ApiError;
use crate::filter::{Expr, Rules};
use crate::handlers::{Sim, json_text, param, query_pairs};
use crate::paging::{json_array, link_headers, page_size};
use crate::prng::SplitMix64;
use crate::store::{Org, Record};

/// Attributes a log `filter` may name.
const LOG_FILTER: Rules = Rules::Filter(&[
    "eventType",
    "uuid",
    "severity",
    "legacyEventType",
    "actor.id",
    "actor.type",
    "actor.alternateId",
    "outcome.result",
    "transaction.id",
]);

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
const PAGE_DEFAULT: usize = 100;
const PAGE_MAX: usize = 1000;

/// The org's events, oldest first. Each record's `id` is the event's `uuid` and its `last_updated`
/// its `published` time (canonical text, so text order is time order).
#[derive(Debug, Clone, Default)]
pub struct SystemLog {
    events: Vec<Record>,
}

impl SystemLog {
    pub fn from_values(values: &[Value]) -> SystemLog {
        let mut events: Vec<Record> = values.iter().map(event_record).collect();
        events.sort_by(|a, b| a.last_updated.cmp(&b.last_updated));
        SystemLog { events }
    }

    pub fn values(&self) -> Vec<Value> {
        self.events.iter().map(Record::value).collect()
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    fn push(&mut self, event: &Value) {
        self.events.push(event_record(event));
    }

    /// Adds an event in `published` order, wherever that is (an event Okta makes readable late).
    fn insert(&mut self, event: &Value) {
        let record = event_record(event);
        let at = self.events.partition_point(|e| e.last_updated <= record.last_updated);
        self.events.insert(at, record);
    }
}

fn event_record(event: &Value) -> Record {
    let text = |k: &str| event.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let published = parse_ms(&text("published")).map(format_ms).unwrap_or_default();
    Record::from_parts(&text("uuid"), "", &published, event.to_string())
}

/// A `target[]` entry: the object an event acted on.
pub fn target(kind: &str, id: &str, alternate_id: &str, display_name: &str) -> Value {
    json!({ "id": id, "type": kind, "alternateId": alternate_id, "displayName": display_name })
}

pub fn user_target(user: &Value) -> Value {
    let text = |p: &str| user.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    let name = format!("{} {}", text("/profile/firstName"), text("/profile/lastName"));
    target("User", &text("/id"), &text("/profile/login"), name.trim())
}

pub fn group_target(group: &Value) -> Value {
    let name = group
        .pointer("/profile/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    target("UserGroup", group["id"].as_str().unwrap_or_default(), name, name)
}

pub fn app_target(app: &Value) -> Value {
    target(
        "AppInstance",
        app["id"].as_str().unwrap_or_default(),
        app["name"].as_str().unwrap_or_default(),
        app["label"].as_str().unwrap_or_default(),
    )
}

/// The id of the administrator the API's mutations are attributed to (`createdBy` of what they make).
pub const ADMIN_ID: &str = "00usimadmin000000001";

/// The administrator the API's mutations are attributed to (the API token's owner).
fn admin_actor() -> Value {
    json!({
        "id": ADMIN_ID,
        "type": "User",
        "alternateId": "admin@sim.example.com",
        "displayName": "Simulator Admin",
    })
}

/// What Okta shows for an event type.
fn display_message(event_type: &str) -> &'static str {
    match event_type {
        "user.session.start" => "User login to Okta",
        "user.lifecycle.create" => "Create Okta user",
        "user.lifecycle.activate" => "Activate Okta user",
        "user.lifecycle.deactivate" => "Deactivate Okta user",
        "user.lifecycle.suspend" => "Suspend Okta user",
        "user.lifecycle.unsuspend" => "Unsuspend Okta user",
        "user.lifecycle.reactivate" => "Reactivate Okta user",
        "user.lifecycle.delete.initiated" => "Delete Okta user",
        "user.lifecycle.delete.completed" => "Okta user deleted",
        "user.account.unlock" => "Unlock user account",
        "user.account.expire_password" => "Expire user password",
        "user.account.reset_password" => "Reset user password",
        "user.account.update_profile" => "Update user profile for Okta",
        "group.user_membership.add" => "Add user to group membership",
        "group.user_membership.remove" => "Remove user from group membership",
        "group.lifecycle.create" => "Create Okta group",
        "group.lifecycle.delete" => "Delete Okta group",
        "group.profile.update" => "Update group profile",
        "group.application_assignment.add" => "Add assigned application to group",
        "group.application_assignment.remove" => "Remove assigned application from group",
        "group.application_assignment.update" => "Update assigned application in group",
        "application.user_membership.add" => "Add user to application membership",
        "application.user_membership.remove" => "Remove user from application membership",
        "application.user_membership.change_profile" => "Change user application profile",
        "application.lifecycle.create" => "Create application",
        "application.lifecycle.update" => "Update application",
        "application.lifecycle.activate" => "Activate application",
        "application.lifecycle.deactivate" => "Deactivate application",
        "application.lifecycle.delete" => "Delete application",
        _ => "Okta event",
    }
}

/// A uuid in Okta's (time-based) format, unique per (time, position) pair.
fn uuid(published_ms: i64, position: usize) -> String {
    let mut rng = SplitMix64::derive(published_ms as u64 ^ ((position as u64) << 20), "log-uuid");
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-11{:02x}-{:04x}-{:012x}",
        (published_ms as u64) & 0xffff_ffff,
        (published_ms as u64 >> 32) & 0xffff,
        a & 0xff,
        (b >> 48) & 0xffff,
        b & 0xffff_ffff_ffff
    )
}

/// A LogEvent as Okta writes it.
fn event(published_ms: i64, position: usize, event_type: &str, actor: Value, targets: Vec<Value>) -> Value {
    let uuid = uuid(published_ms, position);
    json!({
        "uuid": uuid,
        "published": format_ms(published_ms),
        "eventType": event_type,
        "version": "0",
        "severity": "INFO",
        "displayMessage": display_message(event_type),
        "legacyEventType": format!("core.{event_type}"),
        "actor": actor,
        "client": {
            "userAgent": { "rawUserAgent": "okta-sim", "os": "Unknown", "browser": "UNKNOWN" },
            "zone": "null",
            "device": "Unknown",
            "ipAddress": "127.0.0.1",
        },
        "authenticationContext": { "authenticationStep": 0, "externalSessionId": format!("trs{}", &uuid[..8]) },
        "outcome": { "result": "SUCCESS" },
        "request": { "ipChain": [{ "ip": "127.0.0.1", "version": "V4" }] },
        "transaction": { "type": "WEB", "id": format!("sim{}", &uuid[..13]), "detail": {} },
        "debugContext": { "debugData": {} },
        "target": targets,
    })
}

/// Appends the event an API mutation makes Okta emit, published now (by the simulator's clock).
pub fn emit(org: &mut Org, clock: &SimClock, event_type: &str, targets: Vec<Value>) {
    let published = clock.now_ms();
    let value = event(published, org.logs.len(), event_type, admin_actor(), targets);
    org.logs.push(&value);
}

/// Adds an event published `published_ms` (by the simulator's clock) that only becomes readable now: Okta
/// makes some events readable a little after their `published` time, so a reader that read the log up to
/// "now" a moment ago missed it. Returns its uuid.
pub fn emit_late(org: &mut Org, published_ms: i64, event_type: &str, targets: Vec<Value>) -> String {
    let value = event(published_ms, org.logs.len(), event_type, admin_actor(), targets);
    org.logs.insert(&value);
    value["uuid"].as_str().unwrap_or_default().to_owned()
}

/// An event before it gets its time: (event type, actor, targets).
type Draft = (&'static str, Value, Vec<Value>);

/// A plausible recent history for a seeded org: sign-ins, user creations and profile updates, group
/// membership adds and app assignment adds, spread over the 6 days before the last hour of the day
/// before `now_ms`'s (UTC) day: all in the past (also for a backup that reads a little further back
/// than its previous one), all within the 7 days a first backup reads back, and the same for every
/// simulator of one seed started on the same day.
pub fn seed_history(org: &Org, seed: u64, now_ms: i64) -> SystemLog {
    let day_start = now_ms - now_ms.rem_euclid(DAY_MS);
    let mut rng = SplitMix64::derive(seed, "system-log");
    let mut drafts: Vec<Draft> = Vec::new();
    let users: Vec<Value> = org.users.iter().take(800).map(Record::value).collect();
    for user in &users {
        let t = user_target(user);
        if user["status"] == "ACTIVE" && rng.chance(0.6) {
            let actor = json!({ "id": t["id"], "type": "User", "alternateId": t["alternateId"], "displayName": t["displayName"] });
            drafts.push(("user.session.start", actor, vec![]));
        }
        if rng.chance(0.08) {
            drafts.push(("user.lifecycle.create", admin_actor(), vec![t.clone()]));
            drafts.push(("user.lifecycle.activate", admin_actor(), vec![t.clone()]));
        }
        if rng.chance(0.05) {
            drafts.push(("user.account.update_profile", admin_actor(), vec![t.clone()]));
        }
    }
    for (group_id, members) in org.group_members.iter().take(30) {
        let Some(group) = org.groups.get(group_id).map(Record::value) else {
            continue;
        };
        for member in members.iter().take(4) {
            if let Some(user) = org.users.get(member).map(Record::value) {
                drafts.push((
                    "group.user_membership.add",
                    admin_actor(),
                    vec![user_target(&user), group_target(&group)],
                ));
            }
        }
    }
    for app in org.apps.iter().map(Record::value) {
        let app_id = app["id"].as_str().unwrap_or_default();
        for row in org.app_users.get(app_id).into_iter().flat_map(|c| c.iter()).take(3) {
            if let Some(user) = org.users.get(&row.id).map(Record::value) {
                drafts.push((
                    "application.user_membership.add",
                    admin_actor(),
                    vec![user_target(&user), app_target(&app)],
                ));
            }
        }
        for row in org.app_groups.get(app_id).into_iter().flat_map(|c| c.iter()).take(2) {
            if let Some(group) = org.groups.get(&row.id).map(Record::value) {
                drafts.push((
                    "group.application_assignment.add",
                    admin_actor(),
                    vec![group_target(&group), app_target(&app)],
                ));
            }
        }
    }
    let span = (6 * DAY_MS - 2 * HOUR_MS) as u64;
    let mut timed: Vec<(i64, Draft)> = drafts
        .into_iter()
        .map(|d| (day_start - HOUR_MS - rng.below(span) as i64, d))
        .collect();
    timed.sort_by_key(|(at, _)| *at);
    let mut log = SystemLog::default();
    for (position, (at, (event_type, actor, targets))) in timed.into_iter().enumerate() {
        log.push(&event(at, position, event_type, actor, targets));
    }
    log
}

/// `GET /api/v1/logs`.
pub async fn list(sim: Sim, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw);
    let time = |name: &str| -> Result<Option<String>, ApiError> {
        param(&pairs, name)
            .map(|text| {
                parse_ms(text)
                    .map(format_ms)
                    .ok_or_else(|| ApiError::validation(name, format!("{name}: `{text}` is not an ISO 8601 timestamp")))
            })
            .transpose()
    };
    let until = time("until")?;
    let ascending = match param(&pairs, "sortOrder") {
        None | Some("ASCENDING") => true,
        Some("DESCENDING") => false,
        Some(other) => {
            return Err(ApiError::validation(
                "sortOrder",
                format!("sortOrder: `{other}` is not ASCENDING or DESCENDING"),
            ));
        }
    };
    let polling = ascending && until.is_none();
    let until_ms = until
        .as_deref()
        .and_then(parse_ms)
        .unwrap_or_else(|| sim.clock.now_ms());
    let since = time("since")?.unwrap_or_else(|| format_ms(until_ms - 7 * DAY_MS));
    let filter = param(&pairs, "filter")
        .map(|f| Expr::parse(f, LOG_FILTER))
        .transpose()
        .map_err(|cause| ApiError::InvalidSearch { cause })?;
    let limit = page_size(param(&pairs, "limit"), PAGE_DEFAULT, 1, PAGE_MAX)?;

    let org = sim.read_org();
    let events = &org.logs.events;
    // The cursor is a position in the log: where an ascending read continues (the first event not yet
    // returned) or where a descending one stops (the last one returned).
    let position = match param(&pairs, "after") {
        Some(cursor) => sim
            .cursors
            .decode("logs", cursor)?
            .parse::<usize>()
            .map_err(|_| ApiError::validation("after", "after: not a cursor of this list"))?
            .min(events.len()),
        None if ascending => 0,
        None => events.len(),
    };
    let keep = |r: &Record| {
        *r.last_updated >= *since
            && until.as_deref().is_none_or(|u| *r.last_updated < *u)
            && filter.as_ref().is_none_or(|f| f.matches(r))
    };
    let candidates: Box<dyn Iterator<Item = (usize, &Record)>> = if ascending {
        Box::new(events.iter().enumerate().skip(position))
    } else {
        Box::new(events[..position].iter().enumerate().rev())
    };
    let mut page = Vec::new();
    let mut rest = candidates.filter(|(_, r)| keep(r));
    for found in rest.by_ref() {
        page.push(found);
        if page.len() == limit {
            break;
        }
    }
    let more = page.len() == limit && rest.next().is_some();
    let next_position = match page.last() {
        Some((i, _)) if ascending => i + 1,
        Some((i, _)) => *i,
        None => position,
    };
    let next = (more || polling).then(|| sim.cursors.encode("logs", &next_position.to_string()));
    let body = json_array(page.iter().map(|(_, r)| &*r.json));
    let mut response = json_text(StatusCode::OK, body);
    for link in link_headers(&sim.base, "/api/v1/logs", &pairs, next.as_deref()) {
        response.headers_mut().append(header::LINK, link);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_keep_published_order_and_get_distinct_uuids() {
        let a = event(1_000, 0, "user.session.start", admin_actor(), vec![]);
        let b = event(1_000, 1, "user.session.start", admin_actor(), vec![]);
        assert_ne!(a["uuid"], b["uuid"]);
        let log = SystemLog::from_values(&[event(2_000, 2, "x", admin_actor(), vec![]), a.clone()]);
        assert_eq!(log.values()[0], a);
        assert_eq!(log.len(), 2);
    }
}
