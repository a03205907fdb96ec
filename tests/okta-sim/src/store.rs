//! The org's data, kept compact: each object is stored as its JSON text plus the few fields that lists
//! filter and page on. A 100k-user org as `serde_json::Value` trees would take most of a gigabyte;
//! as text it takes well under a tenth of that, and list pages are written out without re-serializing.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::resources::{self, ResourceStore};
use crate::syslog::SystemLog;

/// The full data of the simulated org, in Okta's JSON shapes. Every list is sorted by `id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrgState {
    pub users: Vec<Value>,
    pub groups: Vec<Value>,
    /// Group id -> ids of the member users.
    pub group_members: BTreeMap<String, Vec<String>>,
    pub apps: Vec<Value>,
    /// App id -> AppUser objects (`id` is the user id).
    pub app_users: BTreeMap<String, Vec<Value>>,
    /// App id -> ApplicationGroupAssignment objects (`id` is the group id).
    pub app_groups: BTreeMap<String, Vec<Value>>,
    /// Generic resources (see `resources`): resource name -> parent id (`""` at top level) -> objects
    /// in key order. The resource name is the oktavault category name.
    #[serde(default)]
    pub resources: BTreeMap<String, BTreeMap<String, Vec<Value>>>,
    /// System Log events (LogEvent objects), oldest first.
    #[serde(default)]
    pub logs: Vec<Value>,
}

/// One stored object: its JSON text and the fields lists filter and page on.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: Box<str>,
    pub status: Box<str>,
    pub last_updated: Box<str>,
    pub last_membership_updated: Box<str>,
    pub json: Box<str>,
}

impl Record {
    pub fn from_value(value: &Value) -> Record {
        let text = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or_default().into();
        Record {
            id: text("id"),
            status: text("status"),
            last_updated: text("lastUpdated"),
            last_membership_updated: text("lastMembershipUpdated"),
            json: value.to_string().into(),
        }
    }

    /// A record from JSON text made by the simulator itself (seeding), with its list fields.
    pub fn from_parts(id: &str, status: &str, last_updated: &str, json: String) -> Record {
        Record {
            id: id.into(),
            status: status.into(),
            last_updated: last_updated.into(),
            last_membership_updated: "".into(),
            json: json.into_boxed_str(),
        }
    }

    pub fn value(&self) -> Value {
        serde_json::from_str(&self.json).expect("stored records are valid JSON written by the simulator")
    }
}

/// Records sorted by id, so a page cursor ("after this id") stays valid while objects come and go.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    items: Vec<Record>,
}

impl Collection {
    pub fn from_values(values: &[Value]) -> Collection {
        let mut items: Vec<Record> = values.iter().map(Record::from_value).collect();
        items.sort_by(|a, b| a.id.cmp(&b.id));
        items.dedup_by(|a, b| a.id == b.id);
        Collection { items }
    }

    /// Builds from records already in id order (seeding), checking that they are.
    pub fn from_sorted(items: Vec<Record>) -> Collection {
        debug_assert!(
            items.windows(2).all(|w| w[0].id < w[1].id),
            "seeded records must be in id order"
        );
        Collection { items }
    }

    pub fn values(&self) -> Vec<Value> {
        self.items.iter().map(Record::value).collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Record> {
        self.items.iter()
    }

    pub fn get(&self, id: &str) -> Option<&Record> {
        self.items
            .binary_search_by(|r| (*r.id).cmp(id))
            .ok()
            .map(|i| &self.items[i])
    }

    pub fn put(&mut self, record: Record) {
        match self.items.binary_search_by(|r| r.id.cmp(&record.id)) {
            Ok(i) => self.items[i] = record,
            Err(i) => self.items.insert(i, record),
        }
    }

    pub fn put_value(&mut self, value: &Value) {
        self.put(Record::from_value(value));
    }

    pub fn remove(&mut self, id: &str) -> Option<Record> {
        let i = self.items.binary_search_by(|r| (*r.id).cmp(id)).ok()?;
        Some(self.items.remove(i))
    }

    /// The records whose id sorts after `after` (all of them when `None`).
    pub fn after(&self, after: Option<&str>) -> &[Record] {
        match after {
            None => &self.items,
            Some(cursor) => {
                let start = self.items.partition_point(|r| *r.id <= *cursor);
                &self.items[start..]
            }
        }
    }
}

/// The simulator's working copy of the org.
#[derive(Debug, Clone, Default)]
pub struct Org {
    pub users: Collection,
    pub groups: Collection,
    pub group_members: BTreeMap<String, Vec<String>>,
    pub apps: Collection,
    pub app_users: BTreeMap<String, Collection>,
    pub app_groups: BTreeMap<String, Collection>,
    /// Lower-cased `profile.login` -> user id; Okta logins are unique case-insensitively.
    pub logins: HashMap<String, String>,
    pub resources: ResourceStore,
    pub logs: SystemLog,
}

impl Org {
    pub fn from_state(state: &OrgState) -> Org {
        let mut org = Org {
            users: Collection::from_values(&state.users),
            groups: Collection::from_values(&state.groups),
            group_members: state.group_members.clone(),
            apps: Collection::from_values(&state.apps),
            app_users: state
                .app_users
                .iter()
                .map(|(k, v)| (k.clone(), Collection::from_values(v)))
                .collect(),
            app_groups: state
                .app_groups
                .iter()
                .map(|(k, v)| (k.clone(), Collection::from_values(v)))
                .collect(),
            logins: HashMap::new(),
            resources: resources::store_from_values(&state.resources),
            logs: SystemLog::from_values(&state.logs),
        };
        for members in org.group_members.values_mut() {
            members.sort();
            members.dedup();
        }
        org.rebuild_login_index();
        org
    }

    pub fn to_state(&self) -> OrgState {
        OrgState {
            users: self.users.values(),
            groups: self.groups.values(),
            group_members: self.group_members.clone(),
            apps: self.apps.values(),
            app_users: self.app_users.iter().map(|(k, v)| (k.clone(), v.values())).collect(),
            app_groups: self.app_groups.iter().map(|(k, v)| (k.clone(), v.values())).collect(),
            resources: resources::store_to_values(&self.resources),
            logs: self.logs.values(),
        }
    }

    pub fn rebuild_login_index(&mut self) {
        self.logins = self
            .users
            .iter()
            .filter_map(|r| {
                let user = r.value();
                let login = user.pointer("/profile/login")?.as_str()?.to_lowercase();
                Some((login, r.id.to_string()))
            })
            .collect();
    }

    /// Adds a member; false when the user already was one.
    pub fn add_member(&mut self, group_id: &str, user_id: &str) -> bool {
        let members = self.group_members.entry(group_id.to_string()).or_default();
        match members.binary_search_by(|m| m.as_str().cmp(user_id)) {
            Ok(_) => false,
            Err(i) => {
                members.insert(i, user_id.to_string());
                true
            }
        }
    }

    /// Removes a member; false when the user was not one.
    pub fn remove_member(&mut self, group_id: &str, user_id: &str) -> bool {
        let Some(members) = self.group_members.get_mut(group_id) else {
            return false;
        };
        match members.binary_search_by(|m| m.as_str().cmp(user_id)) {
            Ok(i) => {
                members.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Group ids the user is a member of.
    pub fn groups_of(&self, user_id: &str) -> Vec<String> {
        self.group_members
            .iter()
            .filter(|(_, members)| members.binary_search_by(|m| m.as_str().cmp(user_id)).is_ok())
            .map(|(group, _)| group.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collection_keeps_id_order_and_pages_after_a_removed_id() {
        let mut c = Collection::from_values(&[json!({"id": "b"}), json!({"id": "a"}), json!({"id": "d"})]);
        c.put_value(&json!({"id": "c", "status": "ACTIVE"}));
        let ids: Vec<&str> = c.iter().map(|r| &*r.id).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        c.remove("b");
        let rest: Vec<&str> = c.after(Some("b")).iter().map(|r| &*r.id).collect();
        assert_eq!(rest, ["c", "d"]);
        assert_eq!(&*c.get("c").unwrap().status, "ACTIVE");
    }

    #[test]
    fn org_state_round_trips() {
        let state = OrgState {
            users: vec![json!({"id": "00u1", "profile": {"login": "A@example.com"}})],
            group_members: BTreeMap::from([("00g1".to_string(), vec!["00u1".to_string()])]),
            ..OrgState::default()
        };
        let org = Org::from_state(&state);
        assert_eq!(org.logins.get("a@example.com").map(String::as_str), Some("00u1"));
        assert_eq!(org.to_state(), state);
    }
}

/// Removes `id`'s assignment row from every app in `per_app` (app users or app groups) and
/// returns those apps, as Okta does when the user or group itself is deleted.
pub fn unassign_from_every_app(per_app: &mut BTreeMap<String, Collection>, apps: &Collection, id: &str) -> Vec<Value> {
    let unassigned: Vec<String> = per_app
        .iter_mut()
        .filter_map(|(app, rows)| rows.remove(id).map(|_| app.clone()))
        .collect();
    unassigned
        .iter()
        .filter_map(|a| apps.get(a).map(Record::value))
        .collect()
}
