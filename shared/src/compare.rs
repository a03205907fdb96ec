//! Attribute-level comparison of two versions of an object: what was added, removed or changed, by path.
//! The one comparison `diff`, an object's history and the restore plan all use.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One difference between two versions, at a path such as `profile.email` or `conditions.people.groups.include`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Change {
    Added { path: String, value: Value },
    Removed { path: String, value: Value },
    Changed { path: String, before: Value, after: Value },
}

impl Change {
    pub fn path(&self) -> &str {
        match self {
            Change::Added { path, .. } | Change::Removed { path, .. } | Change::Changed { path, .. } => path,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Added { path, value } => write!(f, "+ {path}: {}", short(value)),
            Change::Removed { path, value } => write!(f, "- {path}: {}", short(value)),
            Change::Changed { path, before, after } => write!(f, "~ {path}: {} -> {}", short(before), short(after)),
        }
    }
}

/// A value on one line, cut after 120 characters.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// What changed from `before` to `after`. Objects are compared key by key; arrays of objects that carry an `id`
/// are matched by it (an element moved is not a change); any other array that differs is one change of the
/// whole array. Equal values give no change; the result is in path order.
pub fn diff(before: &Value, after: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(path: &str, before: &Value, after: &Value, out: &mut Vec<Change>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for key in keys {
                let at = join(path, key);
                match (b.get(key), a.get(key)) {
                    (Some(bv), Some(av)) => walk(&at, bv, av, out),
                    (Some(bv), None) => out.push(Change::Removed {
                        path: at,
                        value: bv.clone(),
                    }),
                    (None, Some(av)) => out.push(Change::Added {
                        path: at,
                        value: av.clone(),
                    }),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(b), Value::Array(a)) if keyed_by_id(b) && keyed_by_id(a) => {
            let id = |v: &Value| v["id"].as_str().map(str::to_owned).unwrap_or_default();
            let before_ids: BTreeSet<String> = b.iter().map(id).collect();
            for element in b {
                let key = id(element);
                let at = format!("{path}[id={key}]");
                match a.iter().find(|e| id(e) == key) {
                    Some(other) => walk(&at, element, other, out),
                    None => out.push(Change::Removed {
                        path: at,
                        value: element.clone(),
                    }),
                }
            }
            for element in a.iter().filter(|e| !before_ids.contains(&id(e))) {
                out.push(Change::Added {
                    path: format!("{path}[id={}]", id(element)),
                    value: element.clone(),
                });
            }
        }
        _ => out.push(Change::Changed {
            path: path.to_owned(),
            before: before.clone(),
            after: after.clone(),
        }),
    }
}

/// Whether every element is an object with a string `id`, and no id repeats.
fn keyed_by_id(items: &[Value]) -> bool {
    let mut seen = BTreeSet::new();
    !items.is_empty() && items.iter().all(|v| v["id"].as_str().is_some_and(|id| seen.insert(id)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nested_attributes_are_compared_one_by_one() {
        let before = json!({"profile": {"email": "a@x", "city": "Oslo", "title": null}, "status": "ACTIVE"});
        let after = json!({"profile": {"email": "b@x", "title": null, "mobile": "+1"}, "status": "ACTIVE"});
        let changes = diff(&before, &after);
        let text: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "- profile.city: \"Oslo\"",
                "~ profile.email: \"a@x\" -> \"b@x\"",
                "+ profile.mobile: \"+1\""
            ]
        );
        assert!(diff(&before, &before).is_empty());
    }

    #[test]
    fn arrays_of_objects_with_ids_are_matched_by_id_and_others_change_whole() {
        let before = json!({"rules": [{"id": "r1", "name": "a"}, {"id": "r2", "name": "b"}], "include": ["g1", "g2"]});
        let after = json!({"rules": [{"id": "r2", "name": "B"}, {"id": "r3", "name": "c"}], "include": ["g2", "g1"]});
        let paths: Vec<(String, &str)> = diff(&before, &after)
            .iter()
            .map(|c| {
                let kind = match c {
                    Change::Added { .. } => "added",
                    Change::Removed { .. } => "removed",
                    Change::Changed { .. } => "changed",
                };
                (c.path().to_owned(), kind)
            })
            .collect();
        assert_eq!(
            paths,
            [
                ("include".to_owned(), "changed"),
                ("rules[id=r1]".to_owned(), "removed"),
                ("rules[id=r2].name".to_owned(), "changed"),
                ("rules[id=r3]".to_owned(), "added"),
            ]
        );
    }

    #[test]
    fn a_type_change_is_one_change_and_long_values_are_cut_in_text() {
        let changes = diff(&json!({"a": {"b": 1}}), &json!({"a": "x".repeat(300)}));
        assert_eq!(changes.len(), 1);
        assert!(changes[0].to_string().ends_with('…'), "{}", changes[0]);
    }
}
