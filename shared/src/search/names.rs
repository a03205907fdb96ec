//! The searchable text of an object: the values the catalog names as how a person finds it (`search_names`) and
//! its natural key, without repeats. The id is matched on its own, whole.

use serde_json::Value;

use crate::categories;

/// The searchable text values of `object` of `category`, in catalog order, each once. An unknown category (a newer
/// writer's) has none: its objects are found by id.
pub fn searchable(category: &str, object: &Value) -> Vec<String> {
    let Some(row) = categories::find(category) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for pointer in row.search_names.iter().chain(row.natural_key) {
        if let Some(text) = object.pointer(pointer).and_then(Value::as_str)
            && !text.is_empty()
            && !out.iter().any(|t| t == text)
        {
            out.push(text.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_users_login_email_and_names_are_searchable_and_a_groups_name() {
        let user = json!({"id": "00u1", "profile": {"login": "ada@example.com", "email": "ada@example.com",
            "firstName": "Ada", "lastName": "Lovelace", "mobilePhone": "555"}});
        assert_eq!(
            searchable("users", &user),
            ["ada@example.com", "Ada", "Lovelace"].map(String::from)
        );
        let group = json!({"id": "00g1", "type": "OKTA_GROUP", "profile": {"name": "Finance"}});
        assert_eq!(
            searchable("groups", &group),
            ["Finance", "OKTA_GROUP"].map(String::from)
        );
        let app = json!({"id": "0oa1", "name": "bookmark", "label": "Wiki", "signOnMode": "BOOKMARK"});
        assert_eq!(
            searchable("apps", &app),
            ["bookmark", "Wiki", "BOOKMARK"].map(String::from)
        );
        assert!(searchable("not_a_category", &app).is_empty());
    }
}
