//! Writes to generic resources, served from each resource's [`Writes`] table: create (a new object with
//! an Okta id), replace (PUT: the body replaces what the caller may set), merge (Okta's partial POST
//! updates: schemas, mappings), lifecycle (activate/deactivate move `status`) and delete (the object's
//! children go with it). Every change moves `lastUpdated`, keeps the org's state (what GET routes and
//! `snapshot_state()` serve) and emits the System Log event Okta emits. A kind's own rules (Okta's
//! refusals: a default policy is never deleted, an ACTIVE group rule is not updated...) are checked
//! before anything is kept; calls no table can describe are [`Op::Custom`] handlers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawPathParams, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use serde_json::{Map, Value, json};

use super::{Resource, Shape, fill, item_params, key_of, parent_exists, put_object, remove_object, select};
use crate::errors::ApiError;
use crate::handlers::{flag, json_text, no_content, parse_body, query_pairs};
use crate::ids::IdGen;
use crate::server::Shared;
use crate::store::{Collection, Org};
use crate::syslog;

/// How a resource is written: its calls and what Okta does on each.
#[derive(Debug)]
pub struct Writes {
    pub calls: &'static [Call],
    /// Prefix of the ids a create gives (`nzo`); unused when the key comes from the body (`/name`).
    pub id_prefix: &'static str,
    pub events: Events,
    /// Fields Okta owns: never taken from a body (Okta ignores them), kept from the stored object on a
    /// replace. The key, `created`, `lastUpdated` and `_links` are always Okta's.
    pub server_fields: &'static [&'static str],
    /// JSON pointers of write-only fields (hook header secrets, IdP client secrets): taken by Okta, never
    /// stored or answered.
    pub write_only: &'static [&'static str],
    /// Fields a create sets and a later change cannot (a user type's `name`): kept from the stored object.
    pub immutable: &'static [&'static str],
    /// The time fields Okta keeps on this kind: `created` is set once, `lastUpdated` on every change.
    pub stamps: &'static [&'static str],
    /// The status of a new object; a create with `?activate=false` makes it INACTIVE instead.
    pub created_status: Option<&'static str>,
    /// Okta's rules for this kind: `Err` refuses the change before anything is kept.
    pub rules: fn(&Org, &Change) -> Result<(), ApiError>,
    /// What Okta adds to a new object besides its id and times (defaults, objects that come with it).
    pub fill: fn(&mut Fill),
    /// Whether objects carry `_links` (self, and activate or deactivate while they have a status).
    pub links: bool,
    /// What else goes when an object is deleted (before the objects listed under it): `(org, parent, object)`.
    pub forget: fn(&mut Org, &str, &Value),
    /// What Okta does once an object's status changed (an activated group rule adds the users it matches):
    /// `(org, object as now, now)`.
    pub on_status: fn(&mut Org, &Value, &str),
}

impl Writes {
    /// What most kinds share; a table names only what differs (`..Writes::DEFAULTS`).
    pub const DEFAULTS: Writes = Writes {
        calls: &[],
        id_prefix: "",
        events: Events::NONE,
        server_fields: &[],
        write_only: &[],
        immutable: &[],
        stamps: &["created", "lastUpdated"],
        created_status: None,
        rules: |_, _| Ok(()),
        fill: |_| {},
        links: true,
        forget: |_, _, _| {},
        on_status: |_, _, _| {},
    };
}

/// One write call: method, route as the spec writes it, what it does, and the success status the spec
/// declares for it (204: no body).
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub method: &'static str,
    pub route: &'static str,
    pub op: Op,
    pub status: u16,
}

pub const fn call(method: &'static str, route: &'static str, op: Op, status: u16) -> Call {
    Call {
        method,
        route,
        op,
        status,
    }
}

/// A call no table describes: the resource, the call, the request.
pub type Custom = fn(&Shared, &WriteRequest) -> Result<Response, ApiError>;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    /// POST on the list route: a new object under the route's parent.
    Create,
    /// PUT on the object: the body replaces every field the caller may set.
    Replace,
    /// Okta's partial update: the body is merged into the object; a `null` removes a field.
    Merge,
    /// `.../lifecycle/activate`: status ACTIVE.
    Activate,
    /// `.../lifecycle/deactivate`: status INACTIVE.
    Deactivate,
    Delete,
    Custom(Custom),
}

/// The System Log event types of a kind's changes (`""`: Okta logs none the simulator knows of), and
/// the `target[].type` naming the object. Names are Okta's event types (its Event Types catalog).
#[derive(Debug, Clone, Copy)]
pub struct Events {
    pub target: &'static str,
    pub create: &'static str,
    pub update: &'static str,
    pub activate: &'static str,
    pub deactivate: &'static str,
    pub delete: &'static str,
}

impl Events {
    pub const NONE: Events = Events {
        target: "",
        create: "",
        update: "",
        activate: "",
        deactivate: "",
        delete: "",
    };
}

/// A change a kind's rules may refuse. `body` is what the caller sent (server fields included).
#[derive(Debug)]
pub enum Change<'a> {
    Create { parent: &'a str, body: &'a Value },
    Replace { old: &'a Value, body: &'a Value },
    Status { old: &'a Value },
    Delete { old: &'a Value },
}

/// What a kind's `fill` works with: the new object and the org it joins.
pub struct Fill<'a> {
    pub org: &'a mut Org,
    pub ids: &'a mut IdGen,
    pub base: &'a str,
    pub parent: &'a str,
    pub now: &'a str,
    pub object: &'a mut Value,
}

/// One write call as its handler sees it.
pub struct WriteRequest {
    pub resource: &'static Resource,
    pub call: Call,
    /// Path parameters in order, labels of IAM roles and resource sets already turned into ids.
    pub params: Vec<String>,
    pub pairs: Vec<(String, String)>,
    pub body: Value,
}

/// Adds a route for every write call of `resource`.
pub fn routes(mut router: axum::Router<Arc<Shared>>, resource: &'static Resource) -> axum::Router<Arc<Shared>> {
    let Some(writes) = resource.writes else {
        return router;
    };
    for call in writes.calls {
        router = router.route(&super::axum_route(call.route), method_router(resource, *call));
    }
    router
}

fn method_router(resource: &'static Resource, call: Call) -> MethodRouter<Arc<Shared>> {
    let filter = match call.method {
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        other => panic!("{}: {other} is not a write method", call.route),
    };
    on(
        filter,
        move |sim: State<Arc<Shared>>, params: RawPathParams, RawQuery(raw): RawQuery, body: Bytes| async move {
            let body = parse_body(&body)?;
            let params: Vec<String> = params.iter().map(|(_, v)| v.to_string()).collect();
            let params = canonical_params(&sim.read_org(), call.route, params);
            let request = WriteRequest {
                resource,
                call,
                params,
                pairs: query_pairs(raw),
                body,
            };
            handle(&sim, &request)
        },
    )
}

/// IAM routes name a role or resource set by id or label (`{roleIdOrLabel}`); objects are stored by id.
fn canonical_params(org: &Org, route: &str, params: Vec<String>) -> Vec<String> {
    let names: Vec<&str> = route.split('/').filter(|s| s.starts_with('{')).collect();
    params
        .into_iter()
        .zip(names.iter().copied().chain(std::iter::repeat("")))
        .map(|(value, name)| {
            let resource = match name {
                "{roleIdOrLabel}" => "custom_roles",
                "{resourceSetIdOrLabel}" => "resource_sets",
                _ => return value,
            };
            super::objects_of(&org.resources, resource, "")
                .into_iter()
                .find(|o| o["label"] == value.as_str())
                .and_then(|o| o["id"].as_str().map(String::from))
                .unwrap_or(value)
        })
        .collect()
}

fn handle(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    match request.call.op {
        Op::Create => create(sim, request),
        Op::Replace => update(sim, request, false),
        Op::Merge => update(sim, request, true),
        Op::Activate => set_status(sim, request, "ACTIVE"),
        Op::Deactivate => set_status(sim, request, "INACTIVE"),
        Op::Delete => delete(sim, request),
        Op::Custom(custom) => custom(sim, request),
    }
}

pub fn writes_of(resource: &Resource) -> &'static Writes {
    resource.writes.unwrap_or(&Writes::DEFAULTS)
}

/// The answer to a write: the object with the call's status, or no body for a 204 (or a 202: accepted,
/// as Okta answers the delete of a group rule).
pub fn answer(status: u16, object: &Value) -> Response {
    match status {
        204 => no_content(),
        202 => StatusCode::ACCEPTED.into_response(),
        other => json_text(
            StatusCode::from_u16(other).unwrap_or(StatusCode::OK),
            object.to_string(),
        ),
    }
}

/// The parent id a list route's parameters name (`server/policy` for a nested parent).
fn parent_of(resource: &Resource, params: &[String]) -> String {
    match resource.parent {
        Some(_) => params.join("/"),
        None => String::new(),
    }
}

/// The stored object a call addresses: (parent id, key, object).
pub fn addressed(org: &Org, request: &WriteRequest) -> Result<(String, String, Value), ApiError> {
    let resource = request.resource;
    let (parent, key) = if request.call.route == resource.route {
        let selection = select(&org.resources, resource, &request.params)?;
        let parent = selection.parent;
        let key = match selection.key {
            Some(key) => key,
            None => first_key(org, resource.name, &parent)
                .ok_or_else(|| ApiError::NotFound(format!("{} ({})", resource.name, request.params.join("/"))))?,
        };
        (parent, key)
    } else {
        item_params(resource, &request.params)
            .ok_or_else(|| ApiError::NotFound(format!("{} (route)", resource.name)))?
    };
    let object = stored(org, resource.name, &parent, &key)
        .ok_or_else(|| ApiError::NotFound(format!("{key} ({})", resource.name)))?;
    Ok((parent, key, object))
}

fn first_key(org: &Org, resource: &str, parent: &str) -> Option<String> {
    collection(org, resource, parent)?
        .iter()
        .next()
        .map(|r| r.id.to_string())
}

fn collection<'a>(org: &'a Org, resource: &str, parent: &str) -> Option<&'a Collection> {
    org.resources.get(resource)?.get(parent)
}

pub fn stored(org: &Org, resource: &str, parent: &str, key: &str) -> Option<Value> {
    collection(org, resource, parent)?.get(key).map(|r| r.value())
}

/// The body without the fields Okta owns, and without write-only values (Okta never shows them).
fn settable(body: &Value, resource: &Resource, writes: &Writes) -> Value {
    let mut object = body.clone();
    for pointer in writes.write_only {
        if let Some((parent, field)) = pointer.rsplit_once('/')
            && let Some(Value::Object(fields)) = object.pointer_mut(parent)
        {
            fields.remove(field);
        }
    }
    if let Some(fields) = object.as_object_mut() {
        for field in writes
            .server_fields
            .iter()
            .chain(["created", "lastUpdated", "_links"].iter())
        {
            fields.remove(*field);
        }
        if resource.key == "/id" {
            fields.remove("id");
        }
    }
    object
}

/// The item path of an object (for `_links`): the item route with the parent's and its own key.
pub fn item_path(resource: &Resource, parent: &str, key: &str) -> String {
    let mut params: Vec<String> = match resource.parent {
        Some(_) if !parent.is_empty() => parent.split('/').map(String::from).collect(),
        _ => Vec::new(),
    };
    match resource.item_route {
        Some(route) => {
            params.push(key.to_string());
            fill(route, &params)
        }
        None => fill(resource.route, &params),
    }
}

/// `_links` as Okta writes them on objects with a lifecycle: self, and the one lifecycle call that
/// applies to the current status.
pub fn links(base: &str, path: &str, object: &Value) -> Value {
    let href = |p: &str, allow: &[&str]| json!({ "href": format!("{base}{p}"), "hints": { "allow": allow } });
    let mut links = Map::new();
    links.insert("self".into(), href(path, &["GET", "PUT", "DELETE"]));
    match object["status"].as_str() {
        Some("ACTIVE") => {
            links.insert(
                "deactivate".into(),
                href(&format!("{path}/lifecycle/deactivate"), &["POST"]),
            );
        }
        Some("INACTIVE") => {
            links.insert(
                "activate".into(),
                href(&format!("{path}/lifecycle/activate"), &["POST"]),
            );
        }
        _ => {}
    }
    Value::Object(links)
}

/// Keeps the `_links` an object came with and refreshes the lifecycle ones.
fn relink(base: &str, path: &str, object: &mut Value) {
    let fresh = links(base, path, object);
    let mut merged = object.get("_links").cloned().unwrap_or_else(|| json!({}));
    if let Some(fields) = merged.as_object_mut() {
        fields.remove("activate");
        fields.remove("deactivate");
        for (rel, link) in fresh.as_object().into_iter().flatten() {
            if rel != "self" || !fields.contains_key("self") {
                fields.insert(rel.clone(), link.clone());
            }
        }
    }
    object["_links"] = merged;
}

/// The `target[]` entry of an event about `object`.
pub fn event_target(kind: &str, key: &str, object: &Value) -> Value {
    let text = |k: &str| object.get(k).and_then(Value::as_str).map(String::from);
    let display = text("name")
        .or_else(|| text("label"))
        .or_else(|| text("displayName"))
        .unwrap_or_else(|| key.to_string());
    syslog::target(kind, key, &display, &display)
}

pub fn emit(sim: &Shared, org: &mut Org, event_type: &str, target: Value) {
    if !event_type.is_empty() {
        syslog::emit(org, &sim.clock, event_type, vec![target]);
    }
}

pub fn lock_ids(sim: &Shared) -> std::sync::MutexGuard<'_, IdGen> {
    sim.ids.lock().unwrap_or_else(|p| p.into_inner())
}

fn create(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let (resource, writes) = (request.resource, writes_of(request.resource));
    let mut org = sim.write_org();
    let parent = parent_of(resource, &request.params);
    if let Some(parent_resource) = resource.parent
        && !parent_exists(&org, parent_resource, &parent)
    {
        return Err(ApiError::NotFound(format!("{parent} ({parent_resource})")));
    }
    (writes.rules)(
        &org,
        &Change::Create {
            parent: &parent,
            body: &request.body,
        },
    )?;
    let mut object = settable(&request.body, resource, writes);
    let now = sim.clock.now();
    let key = if resource.key == "/id" {
        let id = lock_ids(sim).next(writes.id_prefix);
        object["id"] = json!(id);
        id
    } else {
        let key = key_of(resource.name, &object);
        if key.is_empty() {
            let field = resource.key.trim_start_matches('/').replace('/', ".");
            return Err(ApiError::validation(
                &field,
                format!("{field}: The field cannot be left blank"),
            ));
        }
        key
    };
    if stored(&org, resource.name, &parent, &key).is_some() {
        let field = resource.key.trim_start_matches('/').replace('/', ".");
        return Err(ApiError::validation(
            &field,
            format!("{field}: An object with this field already exists in the current organization ({key})"),
        ));
    }
    for stamp in writes.stamps {
        object[*stamp] = json!(now);
    }
    if let Some(status) = writes.created_status {
        let status = if flag(&request.pairs, "activate", true) {
            status
        } else {
            "INACTIVE"
        };
        object["status"] = json!(status);
    }
    if writes.links {
        object["_links"] = links(&sim.base, &item_path(resource, &parent, &key), &object);
    }
    {
        let mut ids = lock_ids(sim);
        let mut fill = Fill {
            org: &mut org,
            ids: &mut ids,
            base: &sim.base,
            parent: &parent,
            now: &now,
            object: &mut object,
        };
        (writes.fill)(&mut fill);
    }
    put_object(&mut org.resources, resource.name, &parent, &object);
    emit(
        sim,
        &mut org,
        writes.events.create,
        event_target(writes.events.target, &key, &object),
    );
    Ok(answer(request.call.status, &object))
}

/// Overlays `patch` on `base`, object by object; a `null` removes the field (Okta's partial updates).
pub fn merge_removing_nulls(base: &mut Value, patch: &Value) {
    match (base.as_object_mut(), patch.as_object()) {
        (Some(target), Some(source)) => {
            for (k, v) in source {
                if v.is_null() {
                    target.remove(k);
                } else {
                    merge_removing_nulls(target.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        _ => *base = patch.clone(),
    }
}

fn update(sim: &Shared, request: &WriteRequest, merge: bool) -> Result<Response, ApiError> {
    let (resource, writes) = (request.resource, writes_of(request.resource));
    let mut org = sim.write_org();
    let (parent, key, old) = addressed(&org, request)?;
    (writes.rules)(
        &org,
        &Change::Replace {
            old: &old,
            body: &request.body,
        },
    )?;
    let body = settable(&request.body, resource, writes);
    let object = kept(resource, writes, &old, body, merge, &sim.clock.now());
    save(sim, &mut org, resource, &parent, &key, object.clone());
    emit(
        sim,
        &mut org,
        writes.events.update,
        event_target(writes.events.target, &key, &object),
    );
    Ok(answer(request.call.status, &object))
}

/// The new version of `old`: `body` merged into it or replacing it, with Okta's fields kept.
pub fn kept(resource: &Resource, writes: &Writes, old: &Value, body: Value, merge: bool, now: &str) -> Value {
    let mut object = if merge {
        let mut object = old.clone();
        merge_removing_nulls(&mut object, &body);
        object
    } else {
        body
    };
    let always = ["created", "_links"];
    for field in writes.server_fields.iter().chain(writes.immutable).chain(always.iter()) {
        match old.get(*field) {
            Some(v) => object[*field] = v.clone(),
            None => {
                if let Some(fields) = object.as_object_mut() {
                    fields.remove(*field);
                }
            }
        }
    }
    // An object keeps its id, and a listed one the name it is stored by; the one object of a route
    // (org contacts by `userId`, ThreatInsight by `action`) is stored by a field the caller may change.
    let pointer = resource.key.split('|').next().unwrap_or("/id");
    let keeps_key = pointer == "/id" || !matches!(resource.shape, Shape::Object);
    if let (true, Some(value)) = (keeps_key, old.pointer(pointer)) {
        if let Some(slot) = object.pointer_mut(pointer) {
            *slot = value.clone();
        } else if pointer.matches('/').count() == 1 {
            object[&pointer[1..]] = value.clone();
        }
    }
    if writes.stamps.contains(&"lastUpdated") {
        object["lastUpdated"] = json!(now);
    }
    object
}

/// Stores a changed object (by the key it had: a key field changed by the caller is not a new object).
fn save(sim: &Shared, org: &mut Org, resource: &Resource, parent: &str, key: &str, mut object: Value) {
    if writes_of(resource).links && object.get("_links").is_some() {
        relink(&sim.base, &item_path(resource, parent, key), &mut object);
    }
    let new_key = key_of(resource.name, &object);
    if new_key != key {
        remove_object(&mut org.resources, resource.name, parent, key);
    }
    put_object(&mut org.resources, resource.name, parent, &object);
}

fn set_status(sim: &Shared, request: &WriteRequest, to: &str) -> Result<Response, ApiError> {
    let (resource, writes) = (request.resource, writes_of(request.resource));
    let mut org = sim.write_org();
    let (parent, key, old) = addressed(&org, request)?;
    (writes.rules)(&org, &Change::Status { old: &old })?;
    let mut object = old.clone();
    if old["status"] != to {
        object["status"] = json!(to);
        if writes.stamps.contains(&"lastUpdated") {
            object["lastUpdated"] = json!(sim.clock.now());
        }
        if writes.links {
            relink(&sim.base, &item_path(resource, &parent, &key), &mut object);
        }
        put_object(&mut org.resources, resource.name, &parent, &object);
        (writes.on_status)(&mut org, &object, &sim.clock.now());
        let event = if to == "ACTIVE" {
            writes.events.activate
        } else {
            writes.events.deactivate
        };
        emit(sim, &mut org, event, event_target(writes.events.target, &key, &object));
    }
    Ok(answer(request.call.status, &object))
}

fn delete(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let (resource, writes) = (request.resource, writes_of(request.resource));
    let mut org = sim.write_org();
    let (parent, key, old) = addressed(&org, request)?;
    (writes.rules)(&org, &Change::Delete { old: &old })?;
    remove_object(&mut org.resources, resource.name, &parent, &key);
    let full = if parent.is_empty() {
        key.clone()
    } else {
        format!("{parent}/{key}")
    };
    (writes.forget)(&mut org, &parent, &old);
    super::cascade::children_gone(&mut org, resource.name, &full);
    emit(
        sim,
        &mut org,
        writes.events.delete,
        event_target(writes.events.target, &key, &old),
    );
    Ok(answer(request.call.status, &old))
}
