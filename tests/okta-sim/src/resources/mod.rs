//! Generic resources: the plain JSON configuration objects of an org (user types, schemas, group
//! rules, zones, policies, authenticators...), served from one declarative table.
//!
//! A resource is a row of [`Resource`]: its name (= the oktavault category name), its route, its parent
//! resource, whether it answers an array (paged like every Okta list) or one object, the scope and
//! rate-limit bucket it needs, the query filters it must honour, and a seed function. Adding one is
//! adding a row to an area file (`directory.rs`, `security.rs`, ...), not writing handlers.
//!
//! Storage is generic: resource name -> parent id (`""` at top level) -> objects, kept in
//! [`Collection`]s ordered by each object's key (its `id`, or `type` for authenticator methods).

mod authservers;
pub mod cascade;
pub mod clients;
pub(crate) mod directory;
pub mod factors;
pub mod iam;
mod identity;
pub mod links;
mod org;
mod profiles;
pub mod roles;
mod security;
pub mod targets;
mod workflows;
pub mod write;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawPathParams, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;

use crate::clock::{SEED_END_MS, SEED_EPOCH_MS, format_ms};
use crate::errors::ApiError;
use crate::handlers::{ListCall, PageSizes, as_stored, json_value, param, query_pairs};
use crate::ids::IdGen;
use crate::prng::SplitMix64;
use crate::ratelimit::{Bucket, OTHER_API};
use crate::server::Shared;
use crate::store::{Collection, Org, Record};

/// Every generic resource, parents before their children (seeding runs in this order).
pub fn all() -> impl Iterator<Item = &'static Resource> {
    directory::RESOURCES
        .iter()
        .chain(security::RESOURCES.iter())
        .chain(org::RESOURCES.iter())
        .chain(workflows::RESOURCES.iter())
        .chain(authservers::RESOURCES.iter())
        .chain(identity::RESOURCES.iter())
        .chain(iam::RESOURCES.iter())
        .chain(roles::RESOURCES.iter())
        .chain(factors::RESOURCES.iter())
        .chain(profiles::RESOURCES.iter())
        .chain(links::RESOURCES.iter())
        .chain(targets::RESOURCES.iter())
        .chain(clients::RESOURCES.iter())
}

/// Checks the path parameters of a per-parent list call against the org and names the parent its
/// objects are stored under; `Err` is the answer to the call. For routes where "the parent exists" is
/// not enough: a user named by login and a relationship name (linked objects), a role assignment of a
/// type that takes the targets asked for.
pub type CheckParent = fn(&Org, &[String]) -> Result<String, ApiError>;

/// The resources whose list calls are checked by a [`CheckParent`] instead of a parent lookup.
fn check_parent(resource: &Resource) -> Option<CheckParent> {
    links::CHECKED
        .iter()
        .chain(targets::CHECKED)
        .find(|(name, _)| *name == resource.name)
        .map(|(_, check)| *check)
}

pub fn find(name: &str) -> Option<&'static Resource> {
    all().find(|r| r.name == name)
}

/// One kind of configuration object and how the simulator serves it.
#[derive(Debug)]
pub struct Resource {
    /// The oktavault category name, also the key of its objects in [`crate::OrgState::resources`].
    pub name: &'static str,
    /// The list (or object) route, as the spec writes it: `/api/v1/policies/{policyId}/rules`. For a
    /// per-parent resource the first path parameter is the parent's id.
    pub route: &'static str,
    /// The route that reads one object of an array resource, if the spec has one; its last path
    /// parameter is the object's key.
    pub item_route: Option<&'static str>,
    /// The resource (generic, or `users`/`groups`/`apps`) whose objects this one lives under.
    pub parent: Option<&'static str>,
    pub shape: Shape,
    /// JSON pointer to what identifies an object within its parent (`/id`; `/type` for authenticator
    /// methods). Item routes look objects up by it. `/id|/name`: the first of these the object has.
    pub key: &'static str,
    /// The read scope (`okta.policies.read`); its `.manage` sibling grants it too.
    pub scope: &'static str,
    pub bucket: Bucket,
    /// Query parameters that select objects (`?type=PASSWORD`).
    pub filters: &'static [QueryFilter],
    /// For an object route whose path parameter is not a parent id (`/meta/schemas/user/{schemaId}`):
    /// maps the parameter to (parent id, key) of the stored object.
    pub resolve: Option<Resolve>,
    /// Produces the seeded objects, grouped by parent id.
    pub seed: fn(&mut SeedCtx) -> Seeded,
    /// The write calls it answers and what Okta does on each (`None`: read-only).
    pub writes: Option<&'static write::Writes>,
}

/// The spec's `queryLimit` parameter, shared by many lists: `limit` defaults to 20, at most 200.
pub const QUERY_LIMIT: PageSizes = PageSizes {
    default: 20,
    min: 1,
    max: 200,
};

impl Resource {
    /// What most rows share; a row names only what differs (`..Resource::DEFAULTS`): an object with an `id`,
    /// at top level, in Okta's catch-all `/api/v1` bucket, without filters.
    pub const DEFAULTS: Resource = Resource {
        name: "",
        route: "",
        item_route: None,
        parent: None,
        shape: Shape::Object,
        key: "/id",
        scope: "",
        bucket: OTHER_API,
        filters: &[],
        resolve: None,
        seed: seed_nothing,
        writes: None,
    };
}

fn seed_nothing(_: &mut SeedCtx) -> Seeded {
    Seeded::new()
}

/// Maps an object route's path parameter to the (parent id, key) of the stored object.
pub type Resolve = fn(&ResourceStore, &str) -> Option<(String, String)>;

#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A JSON array. `Some` pages it with `limit`/`after` and `Link` headers; `None` means the
    /// endpoint has no paging parameters and answers everything at once.
    Array(Option<PageSizes>),
    /// An array whose list route shows each object without some top-level fields, as profile mappings
    /// are listed without their `properties`; the item route serves the whole object.
    Summaries {
        pages: Option<PageSizes>,
        omit: &'static [&'static str],
    },
    /// Okta's IAM lists: `{"<field>": [...], "_links": {...}}`, paged by a `next` link in the body
    /// (no `Link` header); the last page has no `_links.next`.
    Wrapped(Wrapped),
    /// One JSON object per route (per parent, or the one of the org).
    Object,
}

/// How a wrapped list is written and paged.
#[derive(Debug, Clone, Copy)]
pub struct Wrapped {
    /// The body field holding the items (`roles`, `resource-sets`, `value`...).
    pub field: &'static str,
    /// `None`: the endpoint answers everything at once.
    pub pages: Option<PageSizes>,
    /// Whether the endpoint takes `limit`; without it every page has `pages.default` items.
    pub limit: bool,
    /// Further `_links` of the body besides `next`: (rel, path) where `{path}` is the request's path
    /// and `{0}`, `{1}`... its path parameters.
    pub links: &'static [(&'static str, &'static str)],
}

impl Shape {
    /// Where the items of a list answer are: `None` for a bare array, the field of a wrapped body.
    pub fn items_field(&self) -> Option<&'static str> {
        match self {
            Shape::Wrapped(w) => Some(w.field),
            _ => None,
        }
    }

    fn pages(&self) -> Option<PageSizes> {
        match self {
            Shape::Array(pages) | Shape::Summaries { pages, .. } => *pages,
            Shape::Wrapped(w) => w.pages,
            Shape::Object => None,
        }
    }
}

/// A query parameter compared with a top-level field of each object.
#[derive(Debug)]
pub struct QueryFilter {
    pub param: &'static str,
    pub field: &'static str,
    /// A list call without it is refused with a 400, as Okta refuses `GET /api/v1/policies`.
    pub required: bool,
    /// The values the spec allows; anything else is a 400.
    pub allowed: &'static [&'static str],
}

/// Objects by parent id (`""` for top-level objects).
pub type Seeded = BTreeMap<String, Vec<Value>>;

/// Generic objects: resource name -> parent id -> objects in key order.
pub type ResourceStore = BTreeMap<String, BTreeMap<String, Collection>>;

/// What a seed function may read and draw from.
pub struct SeedCtx<'a> {
    pub base: &'a str,
    pub ids: &'a mut IdGen,
    pub rng: SplitMix64,
    /// The org as seeded so far: users, groups, apps, and the resources before this one.
    pub org: &'a Org,
    pub default_user_type_id: &'a str,
}

impl SeedCtx<'_> {
    /// The seeded objects of an earlier resource, all parents together.
    pub fn objects(&self, resource: &str) -> Vec<Value> {
        self.org
            .resources
            .get(resource)
            .map(|by_parent| by_parent.values().flat_map(Collection::values).collect())
            .unwrap_or_default()
    }
}

impl SeedCtx<'_> {
    /// A (created, lastUpdated) pair inside the seeded time range.
    pub fn times(&mut self) -> (String, String) {
        let span = (SEED_END_MS - SEED_EPOCH_MS) as u64;
        let created = SEED_EPOCH_MS + self.rng.below(span / 2) as i64;
        let updated = created + self.rng.below((SEED_END_MS - created) as u64) as i64;
        (format_ms(created), format_ms(updated))
    }

    /// An absolute URL on the simulator.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A `_links` entry with the methods it allows, as Okta writes them (`hints.allow`).
    pub fn link(&self, path: &str, allow: &[&str]) -> Value {
        serde_json::json!({ "href": self.url(path), "hints": { "allow": allow } })
    }

    /// Ids of the hand-written collections, in id order.
    pub fn group_ids(&self, kind: &str) -> Vec<String> {
        self.org
            .groups
            .iter()
            .filter(|g| g.value()["type"] == kind)
            .map(|g| g.id.to_string())
            .collect()
    }

    pub fn user_ids(&self, status: &str) -> Vec<String> {
        self.org
            .users
            .iter()
            .filter(|u| &*u.status == status)
            .map(|u| u.id.to_string())
            .collect()
    }
}

/// The key a resource's object is stored under.
pub fn key_of(resource: &str, value: &Value) -> String {
    let pointers = find(resource).map_or("/id", |r| r.key);
    pointers
        .split('|')
        .find_map(|pointer| value.pointer(pointer).and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

pub fn collection(resource: &str, values: &[Value]) -> Collection {
    let mut records: Vec<Record> = values
        .iter()
        .map(|v| {
            let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            Record::from_parts(
                &key_of(resource, v),
                &text("status"),
                &text("lastUpdated"),
                v.to_string(),
            )
        })
        .collect();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    records.dedup_by(|a, b| a.id == b.id);
    Collection::from_sorted(records)
}

/// Adds (or replaces, by key) one object of `resource` under `parent`: what an API mutation does.
pub fn put_object(store: &mut ResourceStore, resource: &str, parent: &str, value: &Value) {
    let text = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let record = Record::from_parts(
        &key_of(resource, value),
        &text("status"),
        &text("lastUpdated"),
        value.to_string(),
    );
    store
        .entry(resource.to_string())
        .or_default()
        .entry(parent.to_string())
        .or_default()
        .put(record);
}

/// Removes one object of `resource` under `parent`, and the parent's entry once it holds nothing.
pub fn remove_object(store: &mut ResourceStore, resource: &str, parent: &str, key: &str) -> Option<Value> {
    let by_parent = store.get_mut(resource)?;
    let items = by_parent.get_mut(parent)?;
    let removed = items.remove(key)?.value();
    if items.iter().next().is_none() {
        by_parent.remove(parent);
    }
    Some(removed)
}

/// The objects of `resource` under `parent`, in key order.
pub fn objects_of(store: &ResourceStore, resource: &str, parent: &str) -> Vec<Value> {
    store
        .get(resource)
        .and_then(|by_parent| by_parent.get(parent))
        .map(Collection::values)
        .unwrap_or_default()
}

pub fn store_from_values(values: &BTreeMap<String, BTreeMap<String, Vec<Value>>>) -> ResourceStore {
    values
        .iter()
        .map(|(name, by_parent)| {
            let parents = by_parent
                .iter()
                .map(|(parent, items)| (parent.clone(), collection(name, items)))
                .collect();
            (name.clone(), parents)
        })
        .collect()
}

pub fn store_to_values(store: &ResourceStore) -> BTreeMap<String, BTreeMap<String, Vec<Value>>> {
    store
        .iter()
        .map(|(name, by_parent)| {
            let parents = by_parent.iter().map(|(p, c)| (p.clone(), c.values())).collect();
            (name.clone(), parents)
        })
        .collect()
}

/// Seeds every resource in table order into `org.resources`.
pub fn seed_all(org: &mut Org, base: &str, seed: u64, ids: &mut IdGen, default_user_type_id: &str) {
    for resource in all() {
        let seeded = {
            let mut ctx = SeedCtx {
                base,
                ids,
                rng: SplitMix64::derive(seed, &format!("resources:{}", resource.name)),
                org,
                default_user_type_id,
            };
            (resource.seed)(&mut ctx)
        };
        let by_parent = seeded
            .into_iter()
            .map(|(parent, items)| (parent, collection(resource.name, &items)))
            .collect();
        org.resources.insert(resource.name.to_string(), by_parent);
    }
}

/// Which route template a request path matches, and its path parameters in order.
fn match_route(template: &str, path: &str) -> Option<Vec<String>> {
    let want: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let got: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if want.len() != got.len() {
        return None;
    }
    let mut params = Vec::new();
    for (w, g) in want.iter().zip(&got) {
        if w.starts_with('{') {
            params.push((*g).to_string());
        } else if w != g {
            return None;
        }
    }
    Some(params)
}

/// The resource route (list or item) a path belongs to, as the spec writes it. Where several match,
/// the one with the fewest parameters wins, as in the router: `/meta/schemas/user/linkedObjects` is
/// not the user schema `linkedObjects`.
pub fn template_of(path: &str) -> Option<(&'static Resource, &'static str)> {
    all()
        .flat_map(|r| std::iter::once(r.route).chain(r.item_route).map(move |t| (r, t)))
        .filter(|(_, t)| match_route(t, path).is_some())
        .min_by_key(|(_, t)| t.matches('{').count())
}

/// The resource serving an endpoint template (from [`template_of`] or [`write_template_of`]).
pub fn by_template(template: &str) -> Option<&'static Resource> {
    all().find(|r| {
        r.route == template
            || r.item_route == Some(template)
            || r.writes.is_some_and(|w| w.calls.iter().any(|c| c.route == template))
    })
}

/// Every write call the generic resources answer: (method, route as the spec writes it, resource name).
pub fn write_calls() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    all().flat_map(|r| {
        r.writes
            .into_iter()
            .flat_map(move |w| w.calls.iter().map(move |c| (c.method, c.route, r.name)))
    })
}

/// The write route a request path belongs to, as the spec writes it, for paths no read route has
/// (`/api/v1/zones/{zoneId}/lifecycle/activate`).
pub fn write_template_of(path: &str) -> Option<&'static str> {
    all()
        .flat_map(|r| r.writes.into_iter().flat_map(|w| w.calls.iter().map(|c| c.route)))
        .filter(|t| match_route(t, path).is_some())
        .min_by_key(|t| t.matches('{').count())
}

/// Axum route syntax with the first parameter named `id`, so resource routes share a prefix with the
/// hand-written ones (`/api/v1/groups/{id}/users`) without a parameter-name conflict.
fn axum_route(template: &str) -> String {
    let mut first = true;
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') && std::mem::take(&mut first) {
                "{id}".to_string()
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Adds a GET route for every resource's list and item routes.
pub fn routes(mut router: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    for resource in all() {
        router = router.route(
            &axum_route(resource.route),
            get(
                move |sim: State<Arc<Shared>>, params: RawPathParams, RawQuery(raw): RawQuery| async move {
                    let params: Vec<String> = params.iter().map(|(_, v)| v.to_string()).collect();
                    serve(&sim, resource, &params, &query_pairs(raw))
                },
            ),
        );
        if let Some(item_route) = resource.item_route {
            router = router.route(
                &axum_route(item_route),
                get(move |sim: State<Arc<Shared>>, params: RawPathParams| async move {
                    let params: Vec<String> = params.iter().map(|(_, v)| v.to_string()).collect();
                    serve_item(&sim, resource, &params)
                }),
            );
        }
        router = write::routes(router, resource);
    }
    router
}

/// What a list or object route selects: the parent, and the object key for object routes.
struct Selection {
    parent: String,
    key: Option<String>,
}

fn select(store: &ResourceStore, resource: &Resource, params: &[String]) -> Result<Selection, ApiError> {
    if let Some(resolve) = resource.resolve {
        let wanted = params.first().map(String::as_str).unwrap_or_default();
        let (parent, key) = resolve(store, wanted).ok_or_else(|| not_found(resource, wanted))?;
        return Ok(Selection { parent, key: Some(key) });
    }
    // Every parameter of a list route names the parent: a parent that is itself per parent
    // (an auth server's policy) has the id `server/policy`.
    let parent = match resource.parent {
        Some(_) => params.join("/"),
        None => String::new(),
    };
    Ok(Selection { parent, key: None })
}

fn not_found(resource: &Resource, what: &str) -> ApiError {
    ApiError::NotFound(format!("{what} ({})", resource.name))
}

/// Checks the query filters and returns the object predicate they make.
fn filter_predicate<'a>(
    resource: &'a Resource,
    pairs: &'a [(String, String)],
) -> Result<impl Fn(&Record) -> bool + 'a, ApiError> {
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    for f in resource.filters {
        match param(pairs, f.param) {
            None if f.required => {
                return Err(ApiError::validation(
                    f.param,
                    format!("{}: The field cannot be left blank", f.param),
                ));
            }
            None => {}
            Some(v) if !f.allowed.is_empty() && !f.allowed.contains(&v) => {
                return Err(ApiError::validation(
                    f.param,
                    format!("{}: `{v}` is not one of {}", f.param, f.allowed.join(", ")),
                ));
            }
            Some(v) => wanted.push((f.field, v)),
        }
    }
    Ok(move |r: &Record| {
        wanted.is_empty() || {
            let value = r.value();
            wanted
                .iter()
                .all(|(field, v)| value.get(*field).and_then(Value::as_str) == Some(*v))
        }
    })
}

/// Whether the parent a per-parent route names exists (the hand-written collections or a resource).
fn parent_exists(org: &Org, parent_resource: &str, id: &str) -> bool {
    match parent_resource {
        "users" => org.users.get(id).is_some(),
        "groups" => org.groups.get(id).is_some(),
        "apps" => org.apps.get(id).is_some(),
        other => org
            .resources
            .get(other)
            .is_some_and(|by_parent| match id.rsplit_once('/') {
                Some((grandparent, key)) => by_parent.get(grandparent).is_some_and(|c| c.get(key).is_some()),
                None => by_parent.values().any(|c| c.get(id).is_some()),
            }),
    }
}

fn serve(
    sim: &Shared,
    resource: &'static Resource,
    params: &[String],
    pairs: &[(String, String)],
) -> Result<Response, ApiError> {
    let org = sim.read_org();
    let selection = match check_parent(resource) {
        Some(check) => Selection {
            parent: check(&org, params)?,
            key: None,
        },
        None => select(&org.resources, resource, params)?,
    };
    if let Some(parent) = resource.parent
        && resource.resolve.is_none()
        && check_parent(resource).is_none()
        && !parent_exists(&org, parent, &selection.parent)
    {
        return Err(ApiError::NotFound(format!("{} ({parent})", selection.parent)));
    }
    let empty = Collection::default();
    let items = org
        .resources
        .get(resource.name)
        .and_then(|by_parent| by_parent.get(&selection.parent))
        .unwrap_or(&empty);
    match resource.shape {
        Shape::Object => {
            let record = match &selection.key {
                Some(key) => items.get(key),
                None => items.iter().next(),
            };
            let record = record.ok_or_else(|| not_found(resource, params.first().map_or("default", |p| p.as_str())))?;
            Ok(json_value(&record.value()))
        }
        list_shape => {
            let keep = filter_predicate(resource, pairs)?;
            let path = fill(resource.route, params);
            let filters: Vec<String> = resource
                .filters
                .iter()
                .filter_map(|f| param(pairs, f.param).map(|v| format!("{}={v}", f.param)))
                .collect();
            let pages = list_shape.pages();
            // Paging parameters the endpoint does not take are not looked at.
            let takes_limit = match list_shape {
                Shape::Wrapped(w) => w.limit && pages.is_some(),
                _ => pages.is_some(),
            };
            let used: Vec<(String, String)> = pairs
                .iter()
                .filter(|(k, _)| (k != "limit" || takes_limit) && (k != "after" || pages.is_some()))
                .cloned()
                .collect();
            let call = ListCall {
                sim,
                path: &path,
                pairs: &used,
                list: format!("{}:{}:{}", resource.name, selection.parent, filters.join("&")),
                sizes: pages.unwrap_or(PageSizes {
                    default: usize::MAX,
                    min: 1,
                    max: usize::MAX,
                }),
            };
            let after = call.after()?;
            let records = items.after(after.as_deref()).iter();
            match list_shape {
                Shape::Wrapped(w) => {
                    let links = wrapped_links(&sim.base, &w, &path, params);
                    call.respond_wrapped(w.field, records, keep, links)
                }
                Shape::Summaries { omit, .. } => call.respond(records, keep, |r| summary(&r.value(), omit).to_string()),
                _ => call.respond(records, keep, as_stored),
            }
        }
    }
}

/// A listed object without the fields its list route leaves out.
fn summary(value: &Value, omit: &[&str]) -> Value {
    let mut value = value.clone();
    if let Some(fields) = value.as_object_mut() {
        for field in omit {
            fields.remove(*field);
        }
    }
    value
}

/// The `_links` of a wrapped list body other than `next`, with absolute URLs.
fn wrapped_links(base: &str, wrapped: &Wrapped, path: &str, params: &[String]) -> Vec<(String, String)> {
    wrapped
        .links
        .iter()
        .map(|(rel, template)| {
            let mut href = template.replace("{path}", path);
            for (i, p) in params.iter().enumerate() {
                href = href.replace(&format!("{{{i}}}"), p);
            }
            (rel.to_string(), format!("{base}{href}"))
        })
        .collect()
}

/// An item route's (parent id, key): the last parameter is the key, the ones before it the parent.
fn item_params(resource: &Resource, params: &[String]) -> Option<(String, String)> {
    match (resource.parent, params) {
        (Some(_), [parents @ .., key]) if !parents.is_empty() => Some((parents.join("/"), key.clone())),
        (None, [key]) => Some((String::new(), key.clone())),
        _ => None,
    }
}

fn serve_item(sim: &Shared, resource: &'static Resource, params: &[String]) -> Result<Response, ApiError> {
    let org = sim.read_org();
    let (parent, key) =
        item_params(resource, params).ok_or_else(|| ApiError::NotFound(format!("{} (route)", resource.name)))?;
    org.resources
        .get(resource.name)
        .and_then(|by_parent| by_parent.get(&parent))
        .and_then(|items| items.get(&key))
        .map(|record| json_value(&record.value()))
        .ok_or_else(|| not_found(resource, &key))
}

/// Concrete calls of every resource route, with data behind them (see `SimHandle::get_route_samples`).
pub fn samples(store: &ResourceStore) -> Vec<crate::RouteSample> {
    let mut out = Vec::new();
    for resource in all() {
        let by_parent = store.get(resource.name);
        let paged = resource.shape.pages().is_some();
        // The parent with the most objects, so a paged list has a second page.
        let (parent, items) = by_parent
            .and_then(|p| p.iter().max_by_key(|(_, c)| c.iter().count()))
            .map(|(p, c)| (p.clone(), c.clone()))
            .unwrap_or_default();
        let mut push = |template: &str, params: &[String], query: String| {
            out.push(crate::RouteSample {
                template: template.to_string(),
                path: format!("{}{query}", fill(template, params)),
                paged: paged && template == resource.route,
                items_in: resource
                    .shape
                    .items_field()
                    .filter(|_| template == resource.route)
                    .map(String::from),
            })
        };
        let parent_params: Vec<String> = match resource.parent {
            Some(_) => parent.split('/').map(String::from).collect(),
            None => Vec::new(),
        };
        if resource.resolve.is_some() {
            push(resource.route, &["default".to_string()], String::new());
            for record in items.iter() {
                let last = record.id.rsplit('/').next().unwrap_or_default().to_string();
                push(resource.route, &[last], String::new());
            }
        } else {
            let mut queries = vec![String::new()];
            for f in resource.filters.iter().filter(|f| f.required) {
                let mut values: Vec<String> = items
                    .iter()
                    .filter_map(|r| r.value().get(f.field).and_then(Value::as_str).map(String::from))
                    .collect();
                values.sort();
                values.dedup();
                queries = values.iter().map(|v| format!("?{}={v}", f.param)).collect();
            }
            for query in queries {
                push(resource.route, &parent_params, query);
            }
        }
        if let (Some(item_route), Some(first)) = (resource.item_route, items.iter().next()) {
            let mut params = parent_params.clone();
            params.push(first.id.to_string());
            push(item_route, &params, String::new());
        }
    }
    out
}

/// The route with its parameters filled in, in order.
fn fill(template: &str, params: &[String]) -> String {
    let mut values = params.iter();
    template
        .split('/')
        .map(|segment| match segment.starts_with('{') {
            true => values.next().cloned().unwrap_or_default(),
            false => segment.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Everything a GET of `path_and_query` answers (all pages; the items of a wrapped list), read from a
/// state copy: what a complete backup of that URL must hold. `None` when no resource serves the path
/// or the call would fail.
///
/// Called once per parent by the expected-contents builder (10,000 users: 10,000 calls), so it builds
/// only the one collection it reads, not the whole store.
pub fn everything_at(
    resources: &BTreeMap<String, BTreeMap<String, Vec<Value>>>,
    path_and_query: &str,
) -> Option<Vec<Value>> {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let pairs = query_pairs(Some(query.to_string()));
    let (resource, template) = template_of(path)?;
    let params = match_route(template, path)?;
    let no_items = Vec::new();
    let stored = |parent: &str| {
        let values = resources
            .get(resource.name)
            .and_then(|by_parent| by_parent.get(parent))
            .unwrap_or(&no_items);
        collection(resource.name, values)
    };
    if template != resource.route {
        let (parent, key) = item_params(resource, &params)?;
        return Some(vec![stored(&parent).get(&key)?.value()]);
    }
    let selection = match resource.resolve {
        // Resolving reads other resources (a user schema through the user types): the whole store.
        Some(_) => select(&store_from_values(resources), resource, &params).ok()?,
        None => select(&ResourceStore::new(), resource, &params).ok()?,
    };
    let items = stored(&selection.parent);
    match resource.shape {
        Shape::Object => {
            let record = match &selection.key {
                Some(key) => items.get(key),
                None => items.iter().next(),
            }?;
            Some(vec![record.value()])
        }
        list_shape => {
            let keep = filter_predicate(resource, &pairs).ok()?;
            let listed = items.iter().filter(|r| keep(r)).map(Record::value);
            Some(match list_shape {
                Shape::Summaries { omit, .. } => listed.map(|v| summary(&v, omit)).collect(),
                _ => listed.collect(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_their_templates_and_fill_back() {
        let params = match_route("/api/v1/policies/{policyId}/rules", "/api/v1/policies/00p1/rules").unwrap();
        assert_eq!(params, ["00p1"]);
        assert_eq!(
            fill("/api/v1/policies/{policyId}/rules", &params),
            "/api/v1/policies/00p1/rules"
        );
        assert!(match_route("/api/v1/policies/{policyId}/rules", "/api/v1/policies/00p1").is_none());
        assert_eq!(
            template_of("/api/v1/meta/schemas/user/linkedObjects").map(|(r, _)| r.name),
            Some("linked_object_definitions")
        );
        let nested = "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}";
        let params = match_route(nested, "/api/v1/authorizationServers/aus1/policies/00p2/rules/0pr3").unwrap();
        let rules = find("authserver_policy_rules").unwrap();
        assert_eq!(
            item_params(rules, &params),
            Some(("aus1/00p2".to_string(), "0pr3".to_string()))
        );
        assert_eq!(
            axum_route("/api/v1/groups/{groupId}/owners"),
            "/api/v1/groups/{id}/owners"
        );
    }

    #[test]
    fn every_resource_has_a_unique_name_and_a_known_parent_listed_before_it() {
        let names: Vec<&str> = all().map(|r| r.name).collect();
        for (i, r) in all().enumerate() {
            assert!(!names[..i].contains(&r.name), "{} is listed twice", r.name);
            if let Some(parent) = r.parent {
                let known = ["users", "groups", "apps"].contains(&parent) || names[..i].contains(&parent);
                assert!(known, "{}: parent {parent} is unknown or listed after it", r.name);
                assert!(
                    r.route.contains('{') || r.resolve.is_some(),
                    "{}: no parent parameter",
                    r.name
                );
            }
        }
    }
}
