//! What restoring an object of each category means: how it is matched with a live object (its natural key),
//! which of its attributes are its own (compared, overwritten, merged), and the calls that write it.
//!
//! Objects are either **things** (a user, a group, an app), matched by id then natural key and created, updated
//! or left; or **edges** between two things (a membership, an assignment), named by the ids at their ends and
//! only ever added (see docs/restore.md).

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::categories::{self, Category};
use crate::ports::OnConflict;

/// An end of a relationship: the kind of thing there, and the edge's field holding its id.
pub type End = (Kind, &'static str);

/// A category a restore writes: a catalog row that is restorable and has a call that writes it. Users, groups,
/// apps and the three relationships between them have hooks of their own (below and in `plan`/`apply`), where Okta
/// treats them differently; every other row is planned and applied from its catalog row alone
/// ([`super::generic`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind(&'static str);

impl Kind {
    pub const GROUP: Kind = Kind("groups");
    pub const USER: Kind = Kind("users");
    pub const APP: Kind = Kind("apps");
    pub const MEMBERSHIP: Kind = Kind("group_members");
    pub const APP_USER: Kind = Kind("app_users");
    pub const APP_GROUP: Kind = Kind("app_groups");

    /// The kind of `category`, when a restore can write it.
    pub fn of(category: &str) -> Option<Kind> {
        let row = categories::find(category)?;
        (row.restorable && (row.restore.create.is_some() || row.restore.update.is_some())).then_some(Kind(row.name))
    }

    /// Every kind, in catalog order.
    pub fn all() -> impl Iterator<Item = Kind> {
        categories::CATEGORIES.iter().filter_map(|row| Kind::of(row.name))
    }

    pub fn category(self) -> &'static str {
        self.0
    }

    pub fn row(self) -> &'static Category {
        categories::find(self.0).expect("a kind is a catalog row")
    }

    /// The OAuth scope that lets a restore write it: the row's read scope, as `manage`.
    pub fn manage_scope(self) -> String {
        let read = self.row().scope;
        read.strip_suffix(".read")
            .map_or_else(|| read.to_owned(), |base| format!("{base}.manage"))
    }

    /// The things at an edge's ends: (parent's kind and field, child's kind and field).
    pub fn ends(self) -> Option<(End, End)> {
        match self {
            Kind::MEMBERSHIP => Some(((Kind::GROUP, "groupId"), (Kind::USER, "userId"))),
            Kind::APP_USER => Some(((Kind::APP, "appId"), (Kind::USER, "id"))),
            Kind::APP_GROUP => Some(((Kind::APP, "appId"), (Kind::GROUP, "id"))),
            _ => None,
        }
    }

    pub fn is_edge(self) -> bool {
        self.ends().is_some()
    }

    /// Whether the kind is planned and applied from its catalog row alone (no hook of its own).
    pub fn is_generic(self) -> bool {
        !matches!(
            self,
            Kind::GROUP | Kind::USER | Kind::APP | Kind::MEMBERSHIP | Kind::APP_USER | Kind::APP_GROUP
        )
    }
}

/// An object's natural key: what identifies it in any org (a user's login, a group's name, an app's label and
/// sign-on mode). `None` when the object lacks it.
pub fn natural_key(kind: Kind, object: &Value) -> Option<String> {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    match kind {
        // The catalog's keys (a user's login, a group's name and type, an app's label and sign-on mode); Okta
        // compares logins without case.
        Kind::USER => {
            text("/profile/login")?;
            Some(super::keys::natural_key(kind.row(), object).to_string().to_lowercase())
        }
        Kind::GROUP | Kind::APP => Some(super::keys::natural_key(kind.row(), object).to_string()),
        Kind::MEMBERSHIP | Kind::APP_USER | Kind::APP_GROUP => {
            let ((_, parent), (_, child)) = kind.ends().expect("an edge");
            Some(format!(
                "{}/{}",
                object.get(parent)?.as_str()?,
                object.get(child)?.as_str()?
            ))
        }
        _ => Some(super::keys::natural_key(kind.row(), object).to_string()),
    }
}

/// How a person names the object.
pub fn display_name(kind: Kind, object: &Value) -> String {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
    match kind {
        Kind::USER => text("/profile/login"),
        Kind::GROUP => text("/profile/name"),
        Kind::APP => text("/label"),
        _ if kind.is_generic() => text("/name")
            .or_else(|| text("/label"))
            .or_else(|| natural_key(kind, object)),
        _ => natural_key(kind, object),
    }
    .unwrap_or_default()
}

/// Whether Okta lets the API write this object at all: built-in groups (Everyone) and groups an app imports
/// (`APP_GROUP`) can be neither created nor changed, nor given members.
pub fn writable(kind: Kind, object: &Value) -> Result<(), String> {
    match (kind, object.get("type").and_then(Value::as_str)) {
        (Kind::GROUP, Some(kind @ ("BUILT_IN" | "APP_GROUP"))) => Err(format!(
            "a {kind} group is Okta's own: it cannot be created or changed through the API"
        )),
        _ => Ok(()),
    }
}

/// The object's own attributes: what a restore compares, overwrites and merges. Okta-managed fields (ids,
/// timestamps, status, links) are never among them: status is set with lifecycle calls.
pub fn own(kind: Kind, object: &Value) -> Value {
    let pick = |keys: &[&str]| {
        let mut out = Map::new();
        for key in keys {
            if let Some(value) = object.get(*key) {
                out.insert((*key).to_owned(), value.clone());
            }
        }
        Value::Object(out)
    };
    match kind {
        Kind::USER => pick(&["profile"]),
        Kind::GROUP => pick(&["profile"]),
        Kind::APP => {
            let mut app = pick(&["label", "settings", "visibility", "accessibility"]);
            // Signing and other credentials the org made itself stay the target's; the scheme is the app's.
            if let Some(scheme) = object.pointer("/credentials/scheme") {
                app["credentials"] = json!({ "scheme": scheme });
            }
            // Nulls, empty objects and what Okta sets itself are not compared: a write never sends them.
            kind.row().stripped(&app, categories::Write::Update)
        }
        Kind::MEMBERSHIP => json!({}),
        Kind::APP_USER => pick(&["scope", "profile"]),
        Kind::APP_GROUP => pick(&["priority", "profile"]),
        _ => kind.row().stripped(object, categories::Write::Update),
    }
}

/// The attributes to write to an existing object under `option`: the snapshot's own attributes, or (merge) the
/// live ones where set, filled from the snapshot, with lists of ids unioned.
pub fn resolved(option: OnConflict, snapshot: &Value, live: &Value) -> Value {
    match option {
        OnConflict::Skip => live.clone(),
        OnConflict::Overwrite => snapshot.clone(),
        OnConflict::Merge => merge(live, snapshot),
    }
}

fn merge(live: &Value, snapshot: &Value) -> Value {
    match (live, snapshot) {
        (Value::Object(l), Value::Object(s)) => {
            let mut out = l.clone();
            for (key, value) in s {
                let merged = match l.get(key) {
                    None | Some(Value::Null) => value.clone(),
                    Some(existing) => merge(existing, value),
                };
                out.insert(key.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(s)) if l.iter().chain(s).all(Value::is_string) => {
            let mut out = l.clone();
            out.extend(s.iter().filter(|v| !l.contains(v)).cloned());
            Value::Array(out)
        }
        // A value set on the live object is kept.
        (live, _) => live.clone(),
    }
}

/// Whether a snapshot user was one who could sign in (so a recreated copy is activated, which emails them).
pub fn user_was_active(object: &Value) -> bool {
    matches!(
        object.get("status").and_then(Value::as_str),
        Some("ACTIVE" | "PROVISIONED" | "RECOVERY" | "PASSWORD_EXPIRED" | "LOCKED_OUT")
    )
}

/// The call that creates `object` (its references already rewritten to the target's ids).
pub fn create_call(kind: Kind, object: &Value) -> (Method, String, Value) {
    let own = own(kind, object);
    let field = |name: &str| object.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    match kind {
        Kind::USER => {
            let mut body = own;
            if let Some(type_id) = object.pointer("/type/id") {
                body["type"] = json!({ "id": type_id });
            }
            (Method::POST, "/api/v1/users?activate=false".into(), body)
        }
        Kind::GROUP => (Method::POST, "/api/v1/groups".into(), own),
        Kind::APP => {
            let mut body = own;
            for key in ["name", "signOnMode"] {
                if let Some(value) = object.get(key) {
                    body[key] = value.clone();
                }
            }
            if !app_takes_name(object) {
                body.as_object_mut().map(|b| b.remove("name"));
            }
            // An OIDC client is created with its client settings; Okta makes a new client id and secret.
            if let Some(mut client) = object.pointer("/credentials/oauthClient").cloned() {
                client.as_object_mut().map(|c| {
                    c.remove("client_id");
                    c.remove("client_secret")
                });
                body["credentials"]["oauthClient"] = client;
            }
            // What the spec refuses on a create (read-only settings, nulls) goes, as the catalog row says.
            let body = kind.row().stripped(&body, categories::Write::Create);
            (Method::POST, "/api/v1/apps?activate=false".into(), body)
        }
        Kind::MEMBERSHIP => (
            Method::PUT,
            format!("/api/v1/groups/{}/users/{}", field("groupId"), field("userId")),
            Value::Null,
        ),
        Kind::APP_USER => {
            let mut body = own;
            body["id"] = json!(field("id"));
            (Method::POST, format!("/api/v1/apps/{}/users", field("appId")), body)
        }
        Kind::APP_GROUP => (
            Method::PUT,
            format!("/api/v1/apps/{}/groups/{}", field("appId"), field("id")),
            own,
        ),
        _ => unreachable!("{kind:?} is created by the generic path"),
    }
}

/// Whether an app's `name` is sent on a write: Okta names custom SAML 2.0 and auto-login apps itself (the spec
/// marks their `name` read-only); every other app is named by its OIN template (`bookmark`, `oidc_client`).
pub fn app_takes_name(app: &Value) -> bool {
    !matches!(
        app.get("signOnMode").and_then(Value::as_str),
        Some("SAML_2_0" | "AUTO_LOGIN")
    )
}

/// The call that replaces the own attributes of the live thing `target_id` with `attributes`.
pub fn update_call(kind: Kind, target_id: &str, attributes: Value) -> Option<(Method, String, Value)> {
    match kind {
        Kind::USER => Some((Method::POST, format!("/api/v1/users/{target_id}"), attributes)),
        Kind::GROUP => Some((Method::PUT, format!("/api/v1/groups/{target_id}"), attributes)),
        Kind::APP => Some((Method::PUT, format!("/api/v1/apps/{target_id}"), attributes)),
        _ => None,
    }
}

/// Where a live thing is read by id, or by its natural key when Okta allows it (a user by login).
pub fn get_path(kind: Kind, id_or_key: &str) -> Option<String> {
    match kind {
        Kind::USER => Some(format!("/api/v1/users/{}", urlencode(id_or_key))),
        Kind::GROUP => Some(format!("/api/v1/groups/{}", urlencode(id_or_key))),
        Kind::APP => Some(format!("/api/v1/apps/{}", urlencode(id_or_key))),
        _ => None,
    }
}

/// Where live things with a natural key are looked for, when Okta cannot read one by its key directly.
pub fn search_path(kind: Kind, object: &Value) -> Option<String> {
    match kind {
        Kind::GROUP => {
            let name = object.pointer("/profile/name")?.as_str()?;
            Some(format!("/api/v1/groups?q={}", urlencode(name)))
        }
        Kind::APP => {
            let label = object.get("label")?.as_str()?;
            Some(format!("/api/v1/apps?q={}", urlencode(label)))
        }
        _ => None,
    }
}

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_what_the_live_object_has_and_fills_the_rest() {
        let snapshot = json!({"profile": {"title": "Engineer", "city": "Oslo", "groups": ["a", "b"]}});
        let live = json!({"profile": {"title": "Manager", "city": null, "groups": ["b", "c"]}});
        assert_eq!(
            resolved(OnConflict::Merge, &snapshot, &live),
            json!({"profile": {"title": "Manager", "city": "Oslo", "groups": ["b", "c", "a"]}})
        );
        assert_eq!(resolved(OnConflict::Overwrite, &snapshot, &live), snapshot);
        assert_eq!(resolved(OnConflict::Skip, &snapshot, &live), live);
    }

    #[test]
    fn natural_keys_name_objects_across_orgs() {
        let user = json!({"id": "00u1", "profile": {"login": "Ada@Example.com"}});
        assert_eq!(natural_key(Kind::USER, &user).as_deref(), Some("ada@example.com"));
        let app = json!({"label": "Payroll", "signOnMode": "SAML_2_0"});
        assert_eq!(natural_key(Kind::APP, &app).as_deref(), Some("Payroll / SAML_2_0"));
        let group = json!({"profile": {"name": "Finance"}, "type": "OKTA_GROUP"});
        assert_eq!(
            natural_key(Kind::GROUP, &group).as_deref(),
            Some("Finance / OKTA_GROUP")
        );
        let edge = json!({"groupId": "00g1", "userId": "00u1"});
        assert_eq!(natural_key(Kind::MEMBERSHIP, &edge).as_deref(), Some("00g1/00u1"));
        assert!(writable(Kind::GROUP, &json!({"type": "BUILT_IN"})).is_err());
    }

    #[test]
    fn a_user_is_created_staged_with_its_profile_and_type() {
        let user = json!({"id": "00u1", "status": "ACTIVE", "profile": {"login": "a@x"}, "type": {"id": "oty1"}, "lastLogin": "t"});
        let (method, path, body) = create_call(Kind::USER, &user);
        assert_eq!((method, path.as_str()), (Method::POST, "/api/v1/users?activate=false"));
        assert_eq!(body, json!({"profile": {"login": "a@x"}, "type": {"id": "oty1"}}));
        assert!(user_was_active(&user));
    }
}
