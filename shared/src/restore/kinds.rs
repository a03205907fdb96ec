//! What restoring an object of each category means: how it is matched with a live object (its natural key),
//! which of its attributes are its own (compared, overwritten, merged), and the calls that write it.
//!
//! Objects are either **things** (a user, a group, an app), matched by id then natural key and created, updated
//! or left; or **edges** between two things (a membership, an assignment), named by the ids at their ends and
//! only ever added (see docs/restore.md).

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::ports::OnConflict;

/// The categories a restore writes today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Group,
    User,
    App,
    Membership,
    AppUser,
    AppGroup,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Group,
        Kind::User,
        Kind::App,
        Kind::Membership,
        Kind::AppUser,
        Kind::AppGroup,
    ];

    pub fn of(category: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.category() == category)
    }

    pub fn category(self) -> &'static str {
        match self {
            Kind::Group => "groups",
            Kind::User => "users",
            Kind::App => "apps",
            Kind::Membership => "group_members",
            Kind::AppUser => "app_users",
            Kind::AppGroup => "app_groups",
        }
    }

    /// The OAuth scope that lets a restore write it.
    pub fn manage_scope(self) -> &'static str {
        match self {
            Kind::User => "okta.users.manage",
            Kind::Group | Kind::Membership => "okta.groups.manage",
            Kind::App | Kind::AppUser | Kind::AppGroup => "okta.apps.manage",
        }
    }

    /// The things at an edge's ends: (parent's kind and field, child's kind and field).
    pub fn ends(self) -> Option<((Kind, &'static str), (Kind, &'static str))> {
        match self {
            Kind::Membership => Some(((Kind::Group, "groupId"), (Kind::User, "userId"))),
            Kind::AppUser => Some(((Kind::App, "appId"), (Kind::User, "id"))),
            Kind::AppGroup => Some(((Kind::App, "appId"), (Kind::Group, "id"))),
            Kind::Group | Kind::User | Kind::App => None,
        }
    }

    pub fn is_edge(self) -> bool {
        self.ends().is_some()
    }

    /// The order objects are restored in: things before the edges between them.
    pub fn rank(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).expect("every kind is listed")
    }
}

/// An object's natural key: what identifies it in any org (a user's login, a group's name, an app's label and
/// sign-on mode). `None` when the object lacks it.
pub fn natural_key(kind: Kind, object: &Value) -> Option<String> {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    match kind {
        Kind::User => text("/profile/login").map(str::to_lowercase),
        Kind::Group => text("/profile/name").map(str::to_owned),
        Kind::App => Some(format!("{}|{}", text("/label")?, text("/signOnMode")?)),
        Kind::Membership | Kind::AppUser | Kind::AppGroup => {
            let ((_, parent), (_, child)) = kind.ends().expect("an edge");
            Some(format!(
                "{}/{}",
                object.get(parent)?.as_str()?,
                object.get(child)?.as_str()?
            ))
        }
    }
}

/// How a person names the object.
pub fn display_name(kind: Kind, object: &Value) -> String {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
    match kind {
        Kind::User => text("/profile/login"),
        Kind::Group => text("/profile/name"),
        Kind::App => text("/label"),
        _ => natural_key(kind, object),
    }
    .unwrap_or_default()
}

/// Whether Okta lets the API write this object at all: built-in groups (Everyone) and groups an app imports
/// (`APP_GROUP`) can be neither created nor changed, nor given members.
pub fn writable(kind: Kind, object: &Value) -> Result<(), String> {
    match (kind, object.get("type").and_then(Value::as_str)) {
        (Kind::Group, Some(kind @ ("BUILT_IN" | "APP_GROUP"))) => Err(format!(
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
        Kind::User => pick(&["profile"]),
        Kind::Group => pick(&["profile"]),
        Kind::App => {
            let mut app = pick(&["label", "settings", "visibility", "accessibility"]);
            // Signing and other credentials the org made itself stay the target's; the scheme is the app's.
            if let Some(scheme) = object.pointer("/credentials/scheme") {
                app["credentials"] = json!({ "scheme": scheme });
            }
            app
        }
        Kind::Membership => json!({}),
        Kind::AppUser => pick(&["scope", "profile"]),
        Kind::AppGroup => pick(&["priority", "profile"]),
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
        Kind::User => {
            let mut body = own;
            if let Some(type_id) = object.pointer("/type/id") {
                body["type"] = json!({ "id": type_id });
            }
            (Method::POST, "/api/v1/users?activate=false".into(), body)
        }
        Kind::Group => (Method::POST, "/api/v1/groups".into(), own),
        Kind::App => {
            let mut body = own;
            for key in ["name", "signOnMode"] {
                if let Some(value) = object.get(key) {
                    body[key] = value.clone();
                }
            }
            (Method::POST, "/api/v1/apps?activate=false".into(), body)
        }
        Kind::Membership => (
            Method::PUT,
            format!("/api/v1/groups/{}/users/{}", field("groupId"), field("userId")),
            Value::Null,
        ),
        Kind::AppUser => {
            let mut body = own;
            body["id"] = json!(field("id"));
            (Method::POST, format!("/api/v1/apps/{}/users", field("appId")), body)
        }
        Kind::AppGroup => (
            Method::PUT,
            format!("/api/v1/apps/{}/groups/{}", field("appId"), field("id")),
            own,
        ),
    }
}

/// The call that replaces the own attributes of the live thing `target_id` with `attributes`.
pub fn update_call(kind: Kind, target_id: &str, attributes: Value) -> Option<(Method, String, Value)> {
    match kind {
        Kind::User => Some((Method::POST, format!("/api/v1/users/{target_id}"), attributes)),
        Kind::Group => Some((Method::PUT, format!("/api/v1/groups/{target_id}"), attributes)),
        Kind::App => Some((Method::PUT, format!("/api/v1/apps/{target_id}"), attributes)),
        Kind::Membership | Kind::AppUser | Kind::AppGroup => None,
    }
}

/// Where a live thing is read by id, or by its natural key when Okta allows it (a user by login).
pub fn get_path(kind: Kind, id_or_key: &str) -> Option<String> {
    match kind {
        Kind::User => Some(format!("/api/v1/users/{}", urlencode(id_or_key))),
        Kind::Group => Some(format!("/api/v1/groups/{}", urlencode(id_or_key))),
        Kind::App => Some(format!("/api/v1/apps/{}", urlencode(id_or_key))),
        _ => None,
    }
}

/// Where live things with a natural key are looked for, when Okta cannot read one by its key directly.
pub fn search_path(kind: Kind, object: &Value) -> Option<String> {
    match kind {
        Kind::Group => {
            let name = object.pointer("/profile/name")?.as_str()?;
            Some(format!("/api/v1/groups?q={}", urlencode(name)))
        }
        Kind::App => {
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
        assert_eq!(natural_key(Kind::User, &user).as_deref(), Some("ada@example.com"));
        let app = json!({"label": "Payroll", "signOnMode": "SAML_2_0"});
        assert_eq!(natural_key(Kind::App, &app).as_deref(), Some("Payroll|SAML_2_0"));
        let edge = json!({"groupId": "00g1", "userId": "00u1"});
        assert_eq!(natural_key(Kind::Membership, &edge).as_deref(), Some("00g1/00u1"));
        assert!(writable(Kind::Group, &json!({"type": "BUILT_IN"})).is_err());
    }

    #[test]
    fn a_user_is_created_staged_with_its_profile_and_type() {
        let user = json!({"id": "00u1", "status": "ACTIVE", "profile": {"login": "a@x"}, "type": {"id": "oty1"}, "lastLogin": "t"});
        let (method, path, body) = create_call(Kind::User, &user);
        assert_eq!((method, path.as_str()), (Method::POST, "/api/v1/users?activate=false"));
        assert_eq!(body, json!({"profile": {"login": "a@x"}, "type": {"id": "oty1"}}));
        assert!(user_was_active(&user));
    }
}
