//! Which System Log events are admin changes worth a capture, and which categories each touches: the rows whose
//! `log_target` is one of the event's target types, the rows listed per parent under them, and always the
//! System Log itself (a snapshot holds the events of its own window, so every snapshot lists it).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::categories::{CATEGORIES, Category};

/// Event types (by prefix) that change what a backup holds.
pub const ADMIN_CHANGE_PREFIXES: &[&str] = &[
    "group.",
    "user.lifecycle.",
    "user.account.update_profile",
    "user.account.privilege.",
    "application.",
    "app.oauth2.",
    "policy.lifecycle.",
    "policy.rule.",
    "zone.",
    "system.idp.",
    "security.authenticator.",
    "iam.",
    "event_hook.",
    "inline_hook.",
    "trusted_origin.",
    "system.mfa.factor.",
];

/// Events under those prefixes that change nothing (sign-in evaluations, reads).
const NOT_CHANGES: &[&str] = &["application.user_membership.show_password", "app.oauth2.token.grant"];

/// The category every capture lists.
pub const ALWAYS: &str = "system_log";

pub fn is_admin_change(event_type: &str) -> bool {
    ADMIN_CHANGE_PREFIXES.iter().any(|p| event_type.starts_with(p))
        && !NOT_CHANGES.iter().any(|n| event_type.starts_with(n))
        && !event_type.starts_with("app.oauth2.as.token")
}

/// The categories `event` (one System Log event: an EventBridge event's `detail`) touches, in catalog order;
/// empty when it is not an admin change or names nothing oktavault keeps.
pub fn touched_categories(event: &Value) -> Vec<&'static str> {
    let event_type = event["eventType"].as_str().unwrap_or_default();
    if !is_admin_change(event_type) {
        return Vec::new();
    }
    let target_types: BTreeSet<&str> = event["target"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["type"].as_str())
        .collect();
    let roots: Vec<&'static Category> = CATEGORIES
        .iter()
        .filter(|c| c.log_target.is_some_and(|t| target_types.contains(t)))
        .collect();
    if roots.is_empty() {
        return Vec::new();
    }
    let mut touched: BTreeSet<&'static str> = roots.iter().map(|c| c.name).collect();
    // Rows listed per parent under a touched row: a group's members, an app's assignments.
    loop {
        let more: Vec<&'static str> = CATEGORIES
            .iter()
            .filter(|c| !touched.contains(c.name) && c.parent().is_some_and(|p| touched.contains(p.name)))
            .map(|c| c.name)
            .collect();
        if more.is_empty() {
            break;
        }
        touched.extend(more);
    }
    touched.insert(ALWAYS);
    CATEGORIES
        .iter()
        .map(|c| c.name)
        .filter(|name| touched.contains(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(event_type: &str, targets: &[&str]) -> Value {
        json!({
            "uuid": "e1",
            "eventType": event_type,
            "target": targets.iter().map(|t| json!({"id": "x", "type": t})).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn a_membership_change_touches_the_group_its_members_and_the_user_and_the_log() {
        let touched = touched_categories(&event("group.user_membership.add", &["User", "UserGroup"]));
        for name in ["users", "groups", "group_members", "system_log"] {
            assert!(touched.contains(&name), "{name} in {touched:?}");
        }
        assert!(!touched.contains(&"apps"), "{touched:?}");
    }

    #[test]
    fn sign_ins_and_reads_are_not_changes() {
        assert!(touched_categories(&event("user.session.start", &["User"])).is_empty());
        assert!(touched_categories(&event("user.authentication.sso", &["AppInstance"])).is_empty());
        assert!(touched_categories(&event("policy.evaluate_sign_on", &["PolicyEntity"])).is_empty());
        assert!(touched_categories(&event("group.user_membership.add", &["SomethingElse"])).is_empty());
    }

    #[test]
    fn an_app_change_touches_the_app_and_its_assignments() {
        let touched = touched_categories(&event("application.lifecycle.update", &["AppInstance"]));
        for name in ["apps", "app_users", "app_groups", "system_log"] {
            assert!(touched.contains(&name), "{name} in {touched:?}");
        }
        assert!(!touched.contains(&"users"), "{touched:?}");
    }
}
