//! Walking a reference path (`conditions.app.include[].id`) through a JSON object, read-only and in place.

use serde_json::{Map, Value};

/// One step of a path: a field name, and whether the path steps into every element of the array there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Step<'p> {
    name: &'p str,
    each: bool,
}

fn steps(path: &str) -> Vec<Step<'_>> {
    path.split('.')
        .map(|segment| match segment.strip_suffix("[]") {
            Some(name) => Step { name, each: true },
            None => Step {
                name: segment,
                each: false,
            },
        })
        .collect()
}

/// A string the path ends at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Site<'v> {
    /// JSON pointer to the string (`/conditions/app/include/0/id`).
    pub pointer: String,
    pub value: &'v str,
    /// The object holding the path's last field: where a field beside the value (a discriminator) is read.
    pub holder: &'v Map<String, Value>,
}

/// Every string at `path` in `object`. Missing fields, `null`s and values of another shape find nothing.
pub(crate) fn sites<'v>(object: &'v Value, path: &str) -> Vec<Site<'v>> {
    let mut found = Vec::new();
    if let Value::Object(map) = object {
        walk(map, &steps(path), String::new(), &mut found);
    }
    found
}

fn walk<'v>(map: &'v Map<String, Value>, steps: &[Step<'_>], pointer: String, found: &mut Vec<Site<'v>>) {
    let Some((step, rest)) = steps.split_first() else {
        return;
    };
    let Some(value) = map.get(step.name) else {
        return;
    };
    let pointer = format!("{pointer}/{}", escape(step.name));
    let elements: Vec<(String, &Value)> = match (step.each, value) {
        (true, Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("{pointer}/{i}"), item))
            .collect(),
        (true, _) => return,
        (false, value) => vec![(pointer, value)],
    };
    for (pointer, element) in elements {
        match (rest.is_empty(), element) {
            (true, Value::String(value)) => found.push(Site {
                pointer,
                value,
                holder: map,
            }),
            (false, Value::Object(inner)) => walk(inner, rest, pointer, found),
            _ => {}
        }
    }
}

/// Calls `change` with the pointer and the string at every place [`sites`] finds, to change it in place.
pub(crate) fn edit(object: &mut Value, path: &str, change: &mut dyn FnMut(&str, &mut String)) {
    if let Value::Object(map) = object {
        walk_mut(map, &steps(path), String::new(), change);
    }
}

fn walk_mut(
    map: &mut Map<String, Value>,
    steps: &[Step<'_>],
    pointer: String,
    edit: &mut dyn FnMut(&str, &mut String),
) {
    let Some((step, rest)) = steps.split_first() else {
        return;
    };
    let Some(value) = map.get_mut(step.name) else {
        return;
    };
    let pointer = format!("{pointer}/{}", escape(step.name));
    let elements: Vec<(String, &mut Value)> = match (step.each, value) {
        (true, Value::Array(items)) => items
            .iter_mut()
            .enumerate()
            .map(|(i, item)| (format!("{pointer}/{i}"), item))
            .collect(),
        (true, _) => return,
        (false, value) => vec![(pointer, value)],
    };
    for (pointer, element) in elements {
        match (rest.is_empty(), element) {
            (true, Value::String(value)) => edit(&pointer, value),
            (false, Value::Object(inner)) => walk_mut(inner, rest, pointer, edit),
            _ => {}
        }
    }
}

/// Removes the field `path` ends at, in every object the path reaches (`credentials.provider`,
/// `settings.signOn.inlineHooks[].id`). A `[]` on the last step removes the whole array.
pub(crate) fn remove(object: &mut Value, path: &str) {
    let steps = steps(path);
    let Some((last, through)) = steps.split_last() else {
        return;
    };
    let mut holders: Vec<&mut Value> = vec![object];
    for step in through {
        holders = holders
            .into_iter()
            .filter_map(|holder| holder.as_object_mut()?.get_mut(step.name))
            .flat_map(|value| match (step.each, value) {
                (true, Value::Array(items)) => items.iter_mut().collect(),
                (true, _) => Vec::new(),
                (false, value) => vec![value],
            })
            .collect();
    }
    for holder in holders {
        if let Some(fields) = holder.as_object_mut() {
            fields.remove(last.name);
        }
    }
}

/// A field name as a JSON pointer token (RFC 6901).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointers(object: &Value, path: &str) -> Vec<(String, String)> {
        sites(object, path)
            .into_iter()
            .map(|s| (s.pointer, s.value.to_owned()))
            .collect()
    }

    #[test]
    fn a_plain_path_finds_one_string() {
        let object = json!({"type": {"id": "oty1"}});
        assert_eq!(pointers(&object, "type.id"), vec![("/type/id".into(), "oty1".into())]);
    }

    #[test]
    fn brackets_step_into_every_element_of_an_array_of_ids() {
        let object = json!({"actions": {"assignUserToGroups": {"groupIds": ["00g1", "00g2"]}}});
        assert_eq!(
            pointers(&object, "actions.assignUserToGroups.groupIds[]"),
            vec![
                ("/actions/assignUserToGroups/groupIds/0".into(), "00g1".into()),
                ("/actions/assignUserToGroups/groupIds/1".into(), "00g2".into())
            ]
        );
    }

    #[test]
    fn nested_arrays_of_objects_are_walked_element_by_element() {
        let object = json!({"constraints": [
            {"possession": {"authenticationMethods": [{"id": "aut1"}, {"key": "okta_verify"}, {"id": "aut2"}]}},
            {"knowledge": {}},
            {"possession": {"authenticationMethods": [{"id": "aut3"}]}}
        ]});
        assert_eq!(
            pointers(&object, "constraints[].possession.authenticationMethods[].id"),
            vec![
                (
                    "/constraints/0/possession/authenticationMethods/0/id".into(),
                    "aut1".into()
                ),
                (
                    "/constraints/0/possession/authenticationMethods/2/id".into(),
                    "aut2".into()
                ),
                (
                    "/constraints/2/possession/authenticationMethods/0/id".into(),
                    "aut3".into()
                )
            ]
        );
    }

    #[test]
    fn missing_fields_nulls_and_other_shapes_find_nothing() {
        for object in [
            json!({}),
            json!({"conditions": null}),
            json!({"conditions": {"people": {"users": {"exclude": "00u1"}}}}),
            json!({"conditions": {"people": {"users": {"exclude": [1, null, {"id": "00u1"}]}}}}),
        ] {
            assert!(
                pointers(&object, "conditions.people.users.exclude[]").is_empty(),
                "{object}"
            );
        }
        // Without brackets an array is another shape than a string.
        assert!(pointers(&json!({"ids": ["a"]}), "ids").is_empty());
    }

    #[test]
    fn the_holder_is_the_object_of_the_last_field() {
        let object = json!({"source": {"id": "0oa1", "type": "appuser"}});
        let site = &sites(&object, "source.id")[0];
        assert_eq!(site.holder.get("type"), Some(&json!("appuser")));
    }

    #[test]
    fn edit_changes_every_site_in_place() {
        let mut object = json!({"include": [{"id": "a"}, {"id": "b"}], "other": "a"});
        edit(&mut object, "include[].id", &mut |_, value| value.push('!'));
        assert_eq!(object, json!({"include": [{"id": "a!"}, {"id": "b!"}], "other": "a"}));
    }

    #[test]
    fn remove_drops_the_last_field_wherever_the_path_reaches() {
        let mut object = json!({
            "id": "x",
            "credentials": {"provider": {"type": "OKTA"}, "password": {}},
            "rules": [{"id": "a", "name": "n"}, {"name": "m"}, "text"]
        });
        remove(&mut object, "credentials.provider");
        remove(&mut object, "rules[].id");
        remove(&mut object, "missing.field");
        remove(&mut object, "id");
        assert_eq!(
            object,
            json!({"credentials": {"password": {}}, "rules": [{"name": "n"}, {"name": "m"}, "text"]})
        );
    }

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        let object = json!({"a/b": {"c~d": "x"}});
        assert_eq!(pointers(&object, "a/b.c~d")[0].0, "/a~1b/c~0d");
        assert_eq!(object.pointer("/a~1b/c~0d"), Some(&json!("x")));
    }
}
