//! The flattened columns of the tabular categories: what a CSV file (and a table a person queries) holds. A user's
//! profile attributes are columns named `profile.<attribute>`, taken from the snapshot's user schemas (base and
//! custom attributes of every user type), so the header is known before the first user is read and the file is
//! written in one pass. Okta refuses a profile attribute its schema does not define, so the schemas name them all.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One column: its header, and where its value sits in the stored object (a JSON pointer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub pointer: String,
}

impl Column {
    fn new(name: &str, pointer: &str) -> Self {
        Column {
            name: name.to_owned(),
            pointer: pointer.to_owned(),
        }
    }

    /// The cell of `object` in this column: a string as it is, a number or boolean as JSON writes it, an array or
    /// object as compact JSON; `None` when the object has no value there.
    pub fn cell(&self, object: &Value) -> Option<String> {
        match object.pointer(&self.pointer)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// The name `column` has as a field of a JSON Lines row (`download::jsonl`): its name with every character but
/// ASCII letters, digits and `_` made `_` (`profile.login` is `profile_login`), since Athena's column names hold
/// no dots. Athena matches a JSON key to a column case-insensitively, so names equal but for case get `_2`, `_3`.
pub fn field_names(columns: &[Column]) -> Vec<String> {
    let mut taken = BTreeSet::from(["id".to_owned(), "json".to_owned()]);
    let mut out = Vec::with_capacity(columns.len());
    for column in columns {
        let base: String = column
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
            .collect();
        if base == "id" {
            out.push(base);
            continue;
        }
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.to_ascii_lowercase()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        out.push(name);
    }
    out
}

/// The fixed columns of each tabular category, beside the users' (whose profile columns come from the schemas).
const TABLES: &[(&str, &[(&str, &str)])] = &[
    (
        "users",
        &[
            ("id", "/id"),
            ("status", "/status"),
            ("created", "/created"),
            ("activated", "/activated"),
            ("statusChanged", "/statusChanged"),
            ("lastLogin", "/lastLogin"),
            ("lastUpdated", "/lastUpdated"),
            ("passwordChanged", "/passwordChanged"),
            ("type.id", "/type/id"),
        ],
    ),
    (
        "groups",
        &[
            ("id", "/id"),
            ("type", "/type"),
            ("created", "/created"),
            ("lastUpdated", "/lastUpdated"),
            ("lastMembershipUpdated", "/lastMembershipUpdated"),
            ("profile.name", "/profile/name"),
            ("profile.description", "/profile/description"),
        ],
    ),
    ("group_members", &[("groupId", "/groupId"), ("userId", "/userId")]),
    (
        "app_users",
        &[
            ("appId", "/appId"),
            ("userId", "/id"),
            ("scope", "/scope"),
            ("status", "/status"),
            ("created", "/created"),
            ("lastUpdated", "/lastUpdated"),
            ("statusChanged", "/statusChanged"),
            ("credentials.userName", "/credentials/userName"),
            ("syncState", "/syncState"),
        ],
    ),
    (
        "app_groups",
        &[
            ("appId", "/appId"),
            ("groupId", "/id"),
            ("priority", "/priority"),
            ("lastUpdated", "/lastUpdated"),
        ],
    ),
    (
        "user_roles",
        &[
            ("userId", "/userId"),
            ("id", "/id"),
            ("type", "/type"),
            ("label", "/label"),
            ("role", "/role"),
            ("resourceSet", "/resource-set"),
            ("status", "/status"),
            ("assignmentType", "/assignmentType"),
            ("created", "/created"),
            ("lastUpdated", "/lastUpdated"),
        ],
    ),
    (
        "group_roles",
        &[
            ("groupId", "/groupId"),
            ("id", "/id"),
            ("type", "/type"),
            ("label", "/label"),
            ("role", "/role"),
            ("resourceSet", "/resource-set"),
            ("status", "/status"),
            ("assignmentType", "/assignmentType"),
            ("created", "/created"),
            ("lastUpdated", "/lastUpdated"),
        ],
    ),
];

/// The categories a CSV file can hold.
pub fn tabular() -> impl Iterator<Item = &'static str> {
    TABLES.iter().map(|(name, _)| *name)
}

pub fn is_tabular(category: &str) -> bool {
    tabular().any(|c| c == category)
}

/// The columns of `category` (users: with a `profile.<attribute>` column for every attribute `user_schemas`
/// define), or `None` for a category that is not tabular.
pub fn columns(category: &str, user_schemas: &[Value]) -> Option<Vec<Column>> {
    let (_, fixed) = TABLES.iter().find(|(name, _)| *name == category)?;
    let mut columns: Vec<Column> = fixed.iter().map(|(name, pointer)| Column::new(name, pointer)).collect();
    if category == "users" {
        for attribute in profile_attributes(user_schemas) {
            columns.push(Column {
                name: format!("profile.{attribute}"),
                pointer: format!("/profile/{}", attribute.replace('~', "~0").replace('/', "~1")),
            });
        }
    }
    Some(columns)
}

/// Every profile attribute the schemas define (base and custom), base attributes first, each once.
fn profile_attributes(user_schemas: &[Value]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for section in ["base", "custom"] {
        for schema in user_schemas {
            let pointer = format!("/definitions/{section}/properties");
            let Some(Value::Object(properties)) = schema.pointer(&pointer) else {
                continue;
            };
            for name in properties.keys() {
                if seen.insert(name.clone()) {
                    out.push(name.clone());
                }
            }
        }
    }
    out
}

/// Appends one CSV row (RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled).
pub fn csv_row<'a>(out: &mut Vec<u8>, cells: impl Iterator<Item = Option<&'a str>>) {
    for (n, cell) in cells.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let Some(cell) = cell else { continue };
        if cell.contains([',', '"', '\n', '\r']) {
            out.push(b'"');
            out.extend_from_slice(cell.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(cell.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn user_columns_come_from_every_schema_base_first_each_once() {
        let schemas = [
            json!({"definitions": {"base": {"properties": {"login": {}, "email": {}}}, "custom": {"properties": {"costCenter": {}}}}}),
            json!({"definitions": {"base": {"properties": {"login": {}, "nickName": {}}}, "custom": {"properties": {"a/b": {}}}}}),
        ];
        let names: Vec<String> = columns("users", &schemas)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        let profile: Vec<&str> = names.iter().filter_map(|n| n.strip_prefix("profile.")).collect();
        assert_eq!(profile, ["email", "login", "nickName", "costCenter", "a/b"]);
        let slash = columns("users", &schemas).unwrap().pop().unwrap();
        assert_eq!(slash.cell(&json!({"profile": {"a/b": "x"}})).as_deref(), Some("x"));
        assert!(columns("policies", &schemas).is_none());
    }

    #[test]
    fn field_names_hold_no_dots_and_differ_beyond_case() {
        let columns: Vec<Column> = ["id", "type.id", "profile.login", "profile.Login", "profile.a/b", "json"]
            .iter()
            .map(|n| Column::new(n, "/x"))
            .collect();
        assert_eq!(
            field_names(&columns),
            [
                "id",
                "type_id",
                "profile_login",
                "profile_Login_2",
                "profile_a_b",
                "json_2"
            ]
        );
    }

    #[test]
    fn cells_flatten_and_csv_quotes_what_needs_it() {
        let object = json!({"profile": {"name": "A, \"B\"", "n": 3, "list": ["x", "y"], "none": null}});
        let cell = |p: &str| Column::new("c", p).cell(&object);
        assert_eq!(cell("/profile/n").as_deref(), Some("3"));
        assert_eq!(cell("/profile/list").as_deref(), Some(r#"["x","y"]"#));
        assert_eq!(cell("/profile/none"), None);
        let mut out = Vec::new();
        let name = cell("/profile/name");
        csv_row(
            &mut out,
            [name.as_deref(), None, Some("plain"), Some("two\nlines")].into_iter(),
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"A, \"\"B\"\"\",,plain,\"two\nlines\"\r\n"
        );
    }
}
