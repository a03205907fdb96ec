//! Natural keys: what identifies an object across orgs and across a crash (a user by login, a policy by type and
//! name), and the objects Okta makes itself, which a restore matches and never creates.
//!
//! A restore looks an object up by its natural key before creating it, so a crash between Okta's answer and the
//! saved position never makes a duplicate, and a restore into another org finds what is already there. Keys are
//! read from an object whose references are already rewritten into the target org's ids
//! ([`crate::references::rewrite`]): a rule's key holds its policy's id in the target org.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::categories::{Category, Endpoint, Keep};

/// The values that identify an object within its category, in the order of [`key_pointers`]. A part is `None`
/// when the object has no value there (a standard role assignment has no custom `role`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct NaturalKey(pub Vec<Option<String>>);

impl fmt::Display for NaturalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = self.0.iter().map(|p| p.as_deref().unwrap_or("-")).collect();
        write!(f, "{}", parts.join(" / "))
    }
}

/// The JSON pointers a row's natural key reads: the parent field of a row kept with its parent, then the row's
/// `natural_key`; for an edge or a linked-object value, its ids; for a one-of-a-kind object, none (there is one).
pub fn key_pointers(row: &Category) -> Vec<String> {
    let fields: Vec<&str> = match row.keep {
        Keep::Whole | Keep::Named { .. } => Vec::new(),
        Keep::WithParent { parent_field } | Keep::OnePerParent { parent_field } => vec![parent_field],
        Keep::Edge {
            parent_field,
            child_field,
        } => vec![parent_field, child_field],
        Keep::LinkedUser {
            parent_field,
            name_field,
            child_field,
        } => vec![parent_field, name_field, child_field],
    };
    fields
        .into_iter()
        .map(|f| format!("/{f}"))
        .chain(row.natural_key.iter().map(|p| (*p).to_owned()))
        .collect()
}

/// The natural key of `object`, a stored object of `row` (with its references in the org it is compared in).
pub fn natural_key(row: &Category, object: &Value) -> NaturalKey {
    NaturalKey(key_pointers(row).iter().map(|p| part(object.pointer(p))).collect())
}

fn part(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// An object Okta makes itself: a restore finds the target org's copy by `match_by` and never creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OktaOwn {
    /// What it is, for the plan (`the Everyone group or a directory group`).
    pub what: &'static str,
    /// The JSON pointers whose values find the target org's copy, after the parent field of a per-parent row:
    /// Okta's own objects are matched by kind (a default policy by its type), not by the name an admin gave them.
    pub match_by: &'static [&'static str],
    pub write: OwnWrite,
}

/// What a restore does to the target org's copy of an object Okta owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OwnWrite {
    /// Updated in place with the row's update call.
    Update,
    /// Neither created nor changed: the API cannot (the Everyone group, a group imported from a directory).
    Untouched,
    /// Okta's first-party app: never created or replaced through `/api/v1/apps`; its settings, where Okta has them,
    /// are written with `settings` (`PUT /api/v1/first-party-app-settings/{appName}`, `appName` = `settings_name`).
    FirstPartyApp {
        settings: Option<Endpoint>,
        settings_name: Option<&'static str>,
    },
}

/// Which objects of a category are Okta's own: those whose value at `pointer`, as key text (a string as is, a
/// boolean `true`), is one of `any_of`.
struct OwnRule {
    category: &'static str,
    pointer: &'static str,
    any_of: &'static [&'static str],
    own: OktaOwn,
}

/// The authenticators every Identity Engine org has, matched by `key` (Okta's authenticator key enum).
pub const BUILT_IN_AUTHENTICATORS: &[&str] = &[
    "okta_email",
    "okta_password",
    "okta_verify",
    "phone_number",
    "security_question",
    "webauthn",
];

/// Okta's first-party apps by their app `name`: the Admin Console (`saasure`), the End-User Dashboard, the
/// browser plugin and Workflows. Only the Admin Console has settings in the spec (`admin-console`).
pub const FIRST_PARTY_APPS: &[&str] = &["saasure", "okta_enduser", "okta_browser_plugin", "flow"];

const FIRST_PARTY_SETTINGS: Endpoint = Endpoint {
    method: "PUT",
    path: "/api/v1/first-party-app-settings/{appName}",
};

const fn updated(what: &'static str, match_by: &'static [&'static str]) -> OktaOwn {
    OktaOwn {
        what,
        match_by,
        write: OwnWrite::Update,
    }
}

const OWN_RULES: &[OwnRule] = &[
    OwnRule {
        category: "groups",
        pointer: "/type",
        any_of: &["BUILT_IN", "APP_GROUP"],
        own: OktaOwn {
            what: "the Everyone group or a group imported from a directory or an app",
            match_by: &["/type", "/profile/name"],
            write: OwnWrite::Untouched,
        },
    },
    OwnRule {
        category: "policies",
        pointer: "/system",
        any_of: &["true"],
        own: updated("the default policy of its type", &["/type", "/system"]),
    },
    OwnRule {
        category: "policy_rules",
        pointer: "/system",
        any_of: &["true"],
        own: updated("the default rule of its policy", &["/system"]),
    },
    OwnRule {
        category: "network_zones",
        pointer: "/system",
        any_of: &["true"],
        own: updated("a system network zone", &["/name"]),
    },
    OwnRule {
        category: "authenticators",
        pointer: "/key",
        any_of: BUILT_IN_AUTHENTICATORS,
        own: updated("a built-in authenticator", &["/key"]),
    },
    OwnRule {
        category: "user_types",
        pointer: "/default",
        any_of: &["true"],
        own: updated("the default user type", &["/default"]),
    },
    OwnRule {
        category: "brands",
        pointer: "/isDefault",
        any_of: &["true"],
        own: updated("the org's default brand", &["/isDefault"]),
    },
    OwnRule {
        category: "authorization_servers",
        pointer: "/name",
        any_of: &["default"],
        own: updated("the default authorization server", &["/name"]),
    },
    OwnRule {
        category: "authserver_scopes",
        pointer: "/system",
        any_of: &["true"],
        own: updated("a system scope", &["/name"]),
    },
    OwnRule {
        category: "authserver_claims",
        pointer: "/system",
        any_of: &["true"],
        own: updated("a system claim", &["/name", "/claimType"]),
    },
    OwnRule {
        category: "authserver_policies",
        pointer: "/system",
        any_of: &["true"],
        own: updated("the default policy of its authorization server", &["/system"]),
    },
    OwnRule {
        category: "authserver_policy_rules",
        pointer: "/system",
        any_of: &["true"],
        own: updated("the default rule of its policy", &["/system"]),
    },
];

/// Whether `object` (of `row`) is one Okta makes itself, and how a restore treats it.
pub fn okta_own(row: &Category, object: &Value) -> Option<OktaOwn> {
    if row.name == "apps" {
        let name = object.get("name").and_then(Value::as_str)?;
        return FIRST_PARTY_APPS.contains(&name).then(|| OktaOwn {
            what: "an Okta first-party app",
            match_by: &["/name"],
            write: OwnWrite::FirstPartyApp {
                settings: (name == "saasure").then_some(FIRST_PARTY_SETTINGS),
                settings_name: (name == "saasure").then_some("admin-console"),
            },
        });
    }
    OWN_RULES
        .iter()
        .filter(|rule| rule.category == row.name)
        .find(|rule| part(object.pointer(rule.pointer)).is_some_and(|v| rule.any_of.contains(&v.as_str())))
        .map(|rule| rule.own.clone())
}

/// The key an object Okta owns is matched by: the parent field of a per-parent row, then its `match_by`.
pub fn own_key(row: &Category, own: &OktaOwn, object: &Value) -> NaturalKey {
    let parent = match row.keep {
        Keep::WithParent { parent_field } | Keep::OnePerParent { parent_field } => Some(format!("/{parent_field}")),
        _ => None,
    };
    NaturalKey(
        parent
            .iter()
            .map(String::as_str)
            .chain(own.match_by.iter().copied())
            .map(|p| part(object.pointer(p)))
            .collect(),
    )
}

/// The rules' categories, for the catalog's tests.
pub fn categories_with_own_objects() -> Vec<&'static str> {
    let mut names: Vec<&str> = OWN_RULES.iter().map(|r| r.category).chain(["apps"]).collect();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::find;
    use serde_json::json;

    fn row(name: &str) -> &'static Category {
        find(name).unwrap()
    }

    fn key(name: &str, object: Value) -> String {
        natural_key(row(name), &object).to_string()
    }

    #[test]
    fn keys_follow_the_row_and_its_parent() {
        assert_eq!(
            key("users", json!({"profile": {"login": "a@example.com"}})),
            "a@example.com"
        );
        assert_eq!(
            key(
                "apps",
                json!({"label": "Slack", "signOnMode": "SAML_2_0", "name": "slack"})
            ),
            "Slack / SAML_2_0"
        );
        assert_eq!(
            key("policies", json!({"type": "PASSWORD", "name": "Default"})),
            "PASSWORD / Default"
        );
        assert_eq!(
            key("policy_rules", json!({"policyId": "00p1", "name": "Catch-all"})),
            "00p1 / Catch-all"
        );
        assert_eq!(
            key("group_members", json!({"groupId": "00g1", "userId": "00u1"})),
            "00g1 / 00u1"
        );
        assert_eq!(key("org_settings", json!({"companyName": "Acme"})), "");
        assert_eq!(key("brand_themes", json!({"brandId": "bnd1", "id": "thd1"})), "bnd1");
        assert_eq!(
            key("user_roles", json!({"userId": "00u1", "type": "ORG_ADMIN"})),
            "00u1 / ORG_ADMIN / - / -"
        );
    }

    #[test]
    fn numbers_and_booleans_are_key_parts_too() {
        let k = natural_key(row("policies"), &json!({"type": 3, "name": true}));
        assert_eq!(k.0, vec![Some("3".to_owned()), Some("true".to_owned())]);
    }

    #[test]
    fn okta_makes_the_everyone_group_default_policies_and_built_in_authenticators() {
        let everyone = json!({"type": "BUILT_IN", "profile": {"name": "Everyone"}});
        let own = okta_own(row("groups"), &everyone).expect("Everyone is Okta's");
        assert_eq!(own.write, OwnWrite::Untouched);
        assert_eq!(
            own_key(row("groups"), &own, &everyone).to_string(),
            "BUILT_IN / Everyone"
        );
        assert_eq!(okta_own(row("groups"), &json!({"type": "OKTA_GROUP"})), None);

        let default_rule = json!({"policyId": "00p1", "name": "Catch-all Rule", "system": true});
        let own = okta_own(row("policy_rules"), &default_rule).unwrap();
        assert_eq!(own.write, OwnWrite::Update);
        assert_eq!(
            own_key(row("policy_rules"), &own, &default_rule).to_string(),
            "00p1 / true"
        );

        let email = json!({"key": "okta_email", "name": "E-mail"});
        let own = okta_own(row("authenticators"), &email).unwrap();
        assert_eq!(own_key(row("authenticators"), &own, &email).to_string(), "okta_email");
        assert_eq!(okta_own(row("authenticators"), &json!({"key": "custom_app"})), None);
        assert_eq!(okta_own(row("policies"), &json!({"system": false})), None);
    }

    #[test]
    fn first_party_apps_are_matched_by_name_and_the_admin_console_has_its_settings_call() {
        let console = okta_own(row("apps"), &json!({"name": "saasure", "label": "Okta Admin Console"})).unwrap();
        assert_eq!(
            console.write,
            OwnWrite::FirstPartyApp {
                settings: Some(FIRST_PARTY_SETTINGS),
                settings_name: Some("admin-console")
            }
        );
        let dashboard = okta_own(row("apps"), &json!({"name": "okta_enduser"})).unwrap();
        assert_eq!(
            dashboard.write,
            OwnWrite::FirstPartyApp {
                settings: None,
                settings_name: None
            }
        );
        assert_eq!(okta_own(row("apps"), &json!({"name": "bookmark"})), None);
    }

    #[test]
    fn every_rule_names_a_restorable_row_and_fields_a_key_can_read() {
        for name in categories_with_own_objects() {
            let row = find(name).unwrap_or_else(|| panic!("unknown {name}"));
            assert!(row.restorable, "{name}");
            assert!(
                row.restore.update.is_some() || name == "groups",
                "{name}: Okta's own objects are updated"
            );
        }
    }
}
