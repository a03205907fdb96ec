//! What a snapshot of a simulated org must hold, written out from the simulator's own state
//! independently of the backup code, and an object-for-object comparison that names the first
//! difference. Shared by the end-to-end tests of both hosts (embedded and Step Functions).

use std::collections::BTreeMap;

use okta_sim::OrgState;
use serde_json::Value;

use crate::categories::{CATEGORIES, Category, Keep, Source};
use crate::workflow::backup::log_window::LogWindow;

/// Objects by category, then by id.
pub type Contents = BTreeMap<String, BTreeMap<String, Value>>;

/// What a snapshot of the simulated org must hold, written out from the simulator's own state
/// (independently of the backup code): every user including DEPROVISIONED ones, every group,
/// each membership as an edge, every app, each app assignment with its app id, and every object of
/// every other catalog category, kept as its row says. The System Log category holds every event
/// the simulator has: right for a first snapshot taken with no change after it; a later snapshot
/// holds only its own window's events ([`expected_contents_in`]).
pub fn expected_contents(state: &OrgState) -> Contents {
    expected(state, None)
}

/// What a snapshot covering the System Log `window` must hold (see [`expected_contents`]).
pub fn expected_contents_in(state: &OrgState, window: &LogWindow) -> Contents {
    expected(state, Some(window))
}

fn expected(state: &OrgState, window: Option<&LogWindow>) -> Contents {
    let by_id = |items: &[Value]| -> BTreeMap<String, Value> {
        items
            .iter()
            .map(|v| (v["id"].as_str().unwrap().to_owned(), v.clone()))
            .collect()
    };
    let mut c = Contents::new();
    c.insert("users".into(), by_id(&state.users));
    c.insert("groups".into(), by_id(&state.groups));
    c.insert("apps".into(), by_id(&state.apps));
    let mut members = BTreeMap::new();
    for (group, users) in &state.group_members {
        for user in users {
            members.insert(
                format!("{group}/{user}"),
                serde_json::json!({"groupId": group, "userId": user}),
            );
        }
    }
    c.insert("group_members".into(), members);
    for (category, field, per_app) in [
        ("app_users", "appId", &state.app_users),
        ("app_groups", "appId", &state.app_groups),
    ] {
        let mut objects = BTreeMap::new();
        for (app, items) in per_app {
            for item in items {
                let mut item = item.clone();
                item[field] = Value::String(app.clone());
                objects.insert(format!("{app}/{}", item["id"].as_str().unwrap()), item);
            }
        }
        c.insert(category.into(), objects);
    }
    // Every other category: what the simulator answers at the row's URLs (all pages), kept as the
    // row's Keep says. Parents come first in the catalog, so their ids are already here.
    let written_out: Vec<String> = c.keys().cloned().collect();
    for category in CATEGORIES
        .iter()
        .filter(|cat| !written_out.iter().any(|n| n == cat.name))
    {
        if let Source::Log { .. } = category.source {
            let events = state.logs.iter().filter(|e| {
                let published = e["published"].as_str().unwrap_or_default();
                window.is_none_or(|w| w.contains(published))
            });
            let objects = events.map(|e| keep(category, None, e.clone())).collect();
            c.insert(category.name.into(), objects);
            continue;
        }
        // The parents a row's filter selects (all when it has none).
        let parents: Vec<(&String, &Value)> = match category.parent() {
            Some(parent) => c[parent.name]
                .iter()
                .filter(|(_, object)| {
                    category.parent_filter.is_none_or(|f| {
                        object
                            .pointer(f.pointer)
                            .and_then(Value::as_str)
                            .is_some_and(|v| f.any_of.contains(&v))
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        let requests: Vec<(String, Option<String>)> = match category.source {
            Source::List { passes } => passes.iter().map(|p| (p.to_string(), None)).collect(),
            Source::PerParent { path, .. } => parents
                .iter()
                .map(|(id, _)| (fill_parent(path, id), Some(id.to_string())))
                .collect(),
            Source::PerParentLink { link, .. } => parents
                .iter()
                .map(|(id, object)| {
                    let url = object
                        .pointer(link)
                        .and_then(Value::as_str)
                        .unwrap_or_else(|| panic!("{}: parent {id} has no {link}", category.name));
                    (path_of(url), Some(id.to_string()))
                })
                .collect(),
            Source::PerParentAndName { names, path, .. } => parents
                .iter()
                .flat_map(|(id, _)| {
                    c[names].keys().map(move |name| {
                        let url = path.replace("{id}", id).replace("{name}", name);
                        (url, Some(format!("{id}/{name}")))
                    })
                })
                .collect(),
            Source::Log { .. } => unreachable!("log categories are written out above"),
        };
        let mut objects = BTreeMap::new();
        for (url, parent) in requests {
            let items = okta_sim::everything_at(&state.resources, &url)
                .unwrap_or_else(|| panic!("the simulator serves nothing at {url} ({})", category.name));
            for item in items {
                let (id, value) = keep(category, parent.as_deref(), item);
                objects.insert(id, value);
            }
        }
        c.insert(category.name.into(), objects);
    }
    c
}

/// The path and query of an absolute URL the simulator wrote into an object.
fn path_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or_else(|| "/".to_owned(), |i| after_scheme[i..].to_owned())
}

/// `{id}` is the parent id; `{0}`, `{1}`... its `/`-separated parts.
fn fill_parent(path: &str, parent: &str) -> String {
    let mut filled = path.replace("{id}", parent);
    for (i, part) in parent.split('/').enumerate() {
        filled = filled.replace(&format!("{{{i}}}"), part);
    }
    filled
}

/// The id and stored value of one listed item, per the catalog's Keep (written here, not taken
/// from the backup code, so the two can disagree and a test can notice).
fn keep(category: &Category, parent: Option<&str>, item: Value) -> (String, Value) {
    let own_id = |item: &Value| -> String {
        category
            .id_pointer
            .split('|')
            .find_map(|pointer| item.pointer(pointer).and_then(Value::as_str))
            .unwrap_or_else(|| panic!("{}: an item has no {}: {item}", category.name, category.id_pointer))
            .to_owned()
    };
    let parent = || {
        parent
            .unwrap_or_else(|| panic!("{} is kept per parent", category.name))
            .to_owned()
    };
    match category.keep {
        Keep::Whole => (own_id(&item), item),
        Keep::Named { id } => (id.to_owned(), item),
        Keep::WithParent { parent_field } => {
            let (p, id) = (parent(), own_id(&item));
            let mut item = item;
            item[parent_field] = Value::String(p.clone());
            (format!("{p}/{id}"), item)
        }
        Keep::OnePerParent { parent_field } => {
            let p = parent();
            let mut item = item;
            item[parent_field] = Value::String(p.clone());
            (p, item)
        }
        Keep::Edge {
            parent_field,
            child_field,
        } => {
            let (p, id) = (parent(), own_id(&item));
            (
                format!("{p}/{id}"),
                serde_json::json!({ parent_field: p, child_field: id }),
            )
        }
        Keep::LinkedUser {
            parent_field,
            name_field,
            child_field,
        } => {
            let (pair, link) = (parent(), own_id(&item));
            let (user, relationship) = pair.split_once('/').expect("a (user, relationship) pair");
            let linked = link.rsplit('/').next().expect("a link to a user");
            (
                format!("{pair}/{linked}"),
                serde_json::json!({ parent_field: user, name_field: relationship, child_field: linked }),
            )
        }
    }
}

/// Compares category by category and object by object, naming the first difference.
pub fn assert_same_contents(actual: &Contents, expected: &Contents) {
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "categories differ"
    );
    for (category, want) in expected {
        let got = &actual[category];
        for (id, value) in want {
            match got.get(id) {
                None => panic!("{category}/{id} is missing from the snapshot"),
                Some(v) if v != value => panic!("{category}/{id} differs:\n snapshot {v}\n expected {value}"),
                Some(_) => {}
            }
        }
        if let Some(extra) = got.keys().find(|id| !want.contains_key(*id)) {
            panic!("{category}/{extra} is in the snapshot but not in the org");
        }
    }
}
