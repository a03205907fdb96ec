//! Turns items listed from Okta into the objects a snapshot keeps, as the catalog row says.

use serde_json::{Map, Value};

use crate::categories::{Category, Keep};
use crate::snapshot::CanonicalObject;
use crate::workflow::job::Rejected;

/// Converts one page of listed items. `parent` is the parent's id for per-parent categories.
pub fn keep_items(
    category: &Category,
    parent: Option<&str>,
    items: Vec<Value>,
) -> (Vec<CanonicalObject>, Vec<Rejected>) {
    let mut kept = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for item in items {
        match keep_item(category, parent, item) {
            Ok(object) => kept.push(object),
            Err(r) => rejected.push(r),
        }
    }
    (kept, rejected)
}

/// A JSON pointer into an object's fields, without wrapping them in a `Value` (which would copy them).
fn pointer_in<'a>(fields: &'a Map<String, Value>, pointer: &str) -> Option<&'a Value> {
    let mut tokens = pointer
        .strip_prefix('/')?
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"));
    let mut current = fields.get(&tokens.next()?)?;
    for token in tokens {
        current = match current {
            Value::Object(map) => map.get(&token)?,
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The last path segment of a link (`https://org/api/v1/users/00u1` -> `00u1`), if it has one.
fn last_segment(link: &str) -> Option<&str> {
    let path = link.split(['?', '#']).next()?;
    path.rsplit('/').next().filter(|s| !s.is_empty())
}

fn keep_item(category: &Category, parent: Option<&str>, item: Value) -> Result<CanonicalObject, Rejected> {
    let (id, value) = keep_value(category, parent, item)?;
    let last_updated = category
        .last_updated_field
        .and_then(|field| value.get(field))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(CanonicalObject::new(id, last_updated, &value))
}

/// One listed item as the snapshot keeps it, with its stored id: what a restore compares live objects by too.
pub fn keep_value(category: &Category, parent: Option<&str>, item: Value) -> Result<(String, Value), Rejected> {
    let Value::Object(mut fields) = item else {
        return Err(Rejected {
            object_id: None,
            message: format!("Okta returned a non-object item in {}", category.name),
        });
    };
    let own_id = |fields: &Map<String, Value>| -> Result<String, Rejected> {
        let found = category
            .id_pointer
            .split('|')
            .find_map(|pointer| match pointer_in(fields, pointer) {
                Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
                _ => None,
            });
        match found {
            Some(id) => Ok(id),
            _ => Err(Rejected {
                object_id: None,
                message: format!(
                    "an item in {} has no {:?}; it was not backed up",
                    category.name, category.id_pointer
                ),
            }),
        }
    };
    let parent_id = |kind: &str| -> Result<String, Rejected> {
        parent.map(str::to_owned).ok_or_else(|| Rejected {
            object_id: None,
            message: format!("{} keeps {kind} items but no parent id was given", category.name),
        })
    };
    let (id, value) = match category.keep {
        Keep::Whole => (own_id(&fields)?, Value::Object(fields)),
        Keep::Named { id } => (id.to_owned(), Value::Object(fields)),
        Keep::WithParent { parent_field } => {
            let (parent, item_id) = (parent_id("per-parent")?, own_id(&fields)?);
            fields.insert(parent_field.to_owned(), Value::String(parent.clone()));
            (format!("{parent}/{item_id}"), Value::Object(fields))
        }
        Keep::OnePerParent { parent_field } => {
            let parent = parent_id("one-per-parent")?;
            fields.insert(parent_field.to_owned(), Value::String(parent.clone()));
            (parent, Value::Object(fields))
        }
        Keep::Edge {
            parent_field,
            child_field,
        } => {
            let (parent, item_id) = (parent_id("edge")?, own_id(&fields)?);
            let mut edge = Map::new();
            edge.insert(parent_field.to_owned(), Value::String(parent.clone()));
            edge.insert(child_field.to_owned(), Value::String(item_id.clone()));
            (format!("{parent}/{item_id}"), Value::Object(edge))
        }
        Keep::LinkedUser {
            parent_field,
            name_field,
            child_field,
        } => {
            let (pair, link) = (parent_id("linked-user")?, own_id(&fields)?);
            let (Some((user, relationship)), Some(linked)) = (pair.rsplit_once('/'), last_segment(&link)) else {
                return Err(Rejected {
                    object_id: Some(pair.clone()),
                    message: format!(
                        "{}: the link {link:?} does not name a user; it was not backed up",
                        category.name
                    ),
                });
            };
            let mut value = Map::new();
            value.insert(parent_field.to_owned(), Value::String(user.to_owned()));
            value.insert(name_field.to_owned(), Value::String(relationship.to_owned()));
            value.insert(child_field.to_owned(), Value::String(linked.to_owned()));
            (format!("{pair}/{linked}"), Value::Object(value))
        }
    };
    Ok((id, value))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::categories::find;

    #[test]
    fn memberships_keep_only_the_edge_not_the_whole_user() {
        let (kept, rejected) = keep_items(
            find("group_members").unwrap(),
            Some("00g1"),
            vec![json!({"id": "00u1", "profile": {"login": "a@b"}})],
        );
        assert!(rejected.is_empty());
        assert_eq!(kept[0].id, "00g1/00u1");
        let value: Value = serde_json::from_slice(&kept[0].bytes).unwrap();
        assert_eq!(value, json!({"groupId": "00g1", "userId": "00u1"}));
    }

    #[test]
    fn app_assignments_carry_their_app_id_and_last_updated() {
        let item = json!({"id": "00u1", "scope": "USER", "lastUpdated": "2026-01-01T00:00:00.000Z"});
        let (kept, _) = keep_items(find("app_users").unwrap(), Some("0oa1"), vec![item]);
        assert_eq!(kept[0].id, "0oa1/00u1");
        assert_eq!(kept[0].last_updated.as_deref(), Some("2026-01-01T00:00:00.000Z"));
        let value: Value = serde_json::from_slice(&kept[0].bytes).unwrap();
        assert_eq!(value["appId"], "0oa1");
    }

    #[test]
    fn items_without_an_id_are_rejected_with_a_reason_not_dropped_silently() {
        let (kept, rejected) = keep_items(find("users").unwrap(), None, vec![json!({"profile": {}}), json!("x")]);
        assert!(kept.is_empty());
        assert_eq!(rejected.len(), 2);
        assert!(rejected[0].message.contains("no \"/id\""), "{}", rejected[0].message);
    }

    #[test]
    fn named_and_one_per_parent_objects_take_their_fixed_or_parent_id() {
        let settings = Category {
            keep: Keep::Named { id: "settings" },
            ..Category::DEFAULTS
        };
        let (kept, _) = keep_items(&settings, None, vec![json!({"companyName": "Acme"})]);
        assert_eq!(kept[0].id, "settings");
        let schema = Category {
            keep: Keep::OnePerParent { parent_field: "appId" },
            ..Category::DEFAULTS
        };
        let (kept, _) = keep_items(
            &schema,
            Some("0oa1"),
            vec![json!({"id": "https://x/meta/schemas/apps/0oa1/default"})],
        );
        assert_eq!(kept[0].id, "0oa1");
    }

    #[test]
    fn the_id_pointer_can_name_a_nested_field() {
        let linked = Category {
            id_pointer: "/primary/name",
            ..Category::DEFAULTS
        };
        let (kept, rejected) = keep_items(&linked, None, vec![json!({"primary": {"name": "manager"}})]);
        assert!(rejected.is_empty());
        assert_eq!(kept[0].id, "manager");
    }

    #[test]
    fn a_linked_object_value_keeps_both_users_and_the_relationship() {
        let (kept, rejected) = keep_items(
            find("linked_object_values").unwrap(),
            Some("00u1/manager"),
            vec![json!({"_links": {"self": {"href": "https://acme.okta.com/api/v1/users/00u9"}}})],
        );
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(kept[0].id, "00u1/manager/00u9");
        assert_eq!(
            serde_json::from_slice::<Value>(&kept[0].bytes).unwrap(),
            json!({"userId": "00u1", "relationship": "manager", "primaryUserId": "00u9"})
        );
        let (_, rejected) = keep_items(
            find("linked_object_values").unwrap(),
            Some("00u1/manager"),
            vec![json!({"_links": {"self": {"href": "https://acme.okta.com/"}}})],
        );
        assert_eq!(rejected.len(), 1);
    }

    #[test]
    fn an_app_target_is_kept_by_instance_id_or_else_by_catalog_name() {
        let (kept, rejected) = keep_items(
            find("user_role_app_targets").unwrap(),
            Some("00u1/ra1"),
            vec![json!({"name": "salesforce", "id": "0oa1"}), json!({"name": "workday"})],
        );
        assert!(rejected.is_empty(), "{rejected:?}");
        let ids: Vec<&str> = kept.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["00u1/ra1/0oa1", "00u1/ra1/workday"]);
    }
}
