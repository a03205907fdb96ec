//! A request body checked against the spec's request schema, as a write is: types, enums and required fields (the
//! simulator's converter, `openapi`), and two rules that plain JSON Schema leaves out: a `readOnly` property must
//! not be sent, and a property the request schema does not declare is refused. Okta ignores or refuses what it
//! does not take; a restore relies on neither.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::{Value, json};

use super::openapi;
use super::spec::{MANAGEMENT, resolve};

/// The management spec with every read-only property forbidden and dropped from `required`.
static WRITABLE: LazyLock<Value> = LazyLock::new(|| {
    let mut writable = MANAGEMENT.clone();
    forbid_read_only(&MANAGEMENT, &mut writable);
    writable
});

/// The JSON body schema the spec gives `method path` (a spec path template), if the call takes one.
pub fn body_schema<'s>(spec: &'s Value, method: &str, path: &str) -> Option<&'s Value> {
    let operation = spec.get("paths")?.get(path)?.get(method.to_ascii_lowercase())?;
    resolve(spec, operation.get("requestBody")?).pointer("/content/application~1json/schema")
}

/// A compiled check of the request bodies of one call.
pub struct RequestCheck {
    schema: Value,
    validator: jsonschema::Validator,
}

impl RequestCheck {
    /// `None` when the call takes no JSON body.
    pub fn new(method: &str, path: &str) -> Option<Result<RequestCheck, String>> {
        let writable = body_schema(&WRITABLE, method, path)?;
        let schema = body_schema(&MANAGEMENT, method, path)?.clone();
        let document = openapi::to_json_schema(&WRITABLE, writable, openapi::Direction::Request);
        Some(
            jsonschema::draft202012::new(&document)
                .map(|validator| RequestCheck { schema, validator })
                .map_err(|e| format!("{method} {path}: the converted request schema does not compile: {e}")),
        )
    }

    /// What is wrong with `body`, one line per problem: `<JSON pointer>: <message>`.
    pub fn problems(&self, body: &Value) -> Vec<String> {
        let mut found: Vec<String> = self
            .validator
            .iter_errors(body)
            .map(|e| format!("{}: {}", e.instance_path(), short(&e.to_string())))
            .collect();
        undeclared(&MANAGEMENT, &[&self.schema], body, "", &mut found);
        found.sort();
        found.dedup();
        found
    }
}

/// A validation message without the (possibly huge) instance it quotes.
fn short(message: &str) -> String {
    if message.len() > 200 {
        format!("{}...", &message[..message.floor_char_boundary(200)])
    } else {
        message.to_owned()
    }
}

/// Whether a property schema is read-only: marked so, or a reference to (or an `allOf` with) a read-only schema.
fn is_read_only(spec: &Value, schema: &Value, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    if schema.get("readOnly") == Some(&Value::Bool(true)) {
        return true;
    }
    if schema.get("$ref").is_some() {
        return is_read_only(spec, resolve(spec, schema), depth + 1);
    }
    schema
        .get("allOf")
        .and_then(Value::as_array)
        .is_some_and(|parts| parts.iter().any(|p| is_read_only(spec, p, depth + 1)))
}

/// Replaces, everywhere in `node` (but examples), each read-only property's schema with one nothing satisfies.
fn forbid_read_only(spec: &Value, node: &mut Value) {
    match node {
        Value::Object(fields) => {
            let read_only: Vec<String> = fields
                .get("properties")
                .and_then(Value::as_object)
                .map(|properties| {
                    properties
                        .iter()
                        .filter(|(_, schema)| is_read_only(spec, schema, 0))
                        .map(|(name, _)| name.clone())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(properties)) = fields.get_mut("properties") {
                for name in &read_only {
                    properties.insert(name.clone(), json!({"not": {}, "description": "read-only"}));
                }
            }
            if let Some(Value::Array(required)) = fields.get_mut("required") {
                required.retain(|r| r.as_str().is_none_or(|r| !read_only.iter().any(|n| n == r)));
            }
            for (key, value) in fields.iter_mut() {
                if !matches!(key.as_str(), "example" | "examples") {
                    forbid_read_only(spec, value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| forbid_read_only(spec, item)),
        _ => {}
    }
}

/// The properties an object of `schemas` may have (each with the schemas it may take), and whether it takes
/// others too (`additionalProperties`, or a free-form object).
#[derive(Default)]
struct Declared<'s> {
    properties: BTreeMap<&'s str, Vec<&'s Value>>,
    open: bool,
}

fn declare<'s>(spec: &'s Value, schema: &'s Value, body: &Value, seen: &mut Vec<&'s str>, out: &mut Declared<'s>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if seen.contains(&reference) {
            return;
        }
        seen.push(reference);
    }
    let schema = resolve(spec, schema);
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, property) in properties.into_iter().flatten() {
        out.properties.entry(name.as_str()).or_default().push(property);
    }
    let combined: Vec<&Value> = ["allOf", "oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(k)?.as_array())
        .flatten()
        .collect();
    match schema.get("additionalProperties") {
        Some(Value::Bool(false)) => {}
        Some(_) => out.open = true,
        None if properties.is_none() && combined.is_empty() && schema.get("discriminator").is_none() => out.open = true,
        None => {}
    }
    // A discriminator with a mapping: only the variant the body's value names.
    let chosen = schema.get("discriminator").and_then(|d| {
        let property = d.get("propertyName")?.as_str()?;
        let value = body.get(property)?.as_str()?;
        d.pointer("/mapping")?.get(value)?.as_str()
    });
    match chosen {
        Some(reference) => {
            if let Some(variant) = spec.pointer(reference.trim_start_matches('#'))
                && !seen.contains(&reference)
            {
                seen.push(reference);
                declare(spec, variant, body, seen, out);
            }
            for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
                declare(spec, part, body, seen, out);
            }
        }
        None => {
            for part in combined {
                declare(spec, part, body, seen, out);
            }
        }
    }
}

/// Reports every property of `body` (and, within, of its objects and arrays) that none of `schemas` declares.
fn undeclared(spec: &Value, schemas: &[&Value], body: &Value, pointer: &str, found: &mut Vec<String>) {
    match body {
        Value::Object(fields) => {
            let mut declared = Declared::default();
            for schema in schemas {
                declare(spec, schema, body, &mut Vec::new(), &mut declared);
            }
            for (name, value) in fields {
                match declared.properties.get(name.as_str()) {
                    Some(inner) => undeclared(spec, inner, value, &format!("{pointer}/{name}"), found),
                    None if declared.open => {}
                    None => found.push(format!("{pointer}: `{name}` is not a property of the request")),
                }
            }
        }
        Value::Array(items) => {
            let mut item_schemas = Vec::new();
            for schema in schemas {
                collect_items(spec, schema, &mut Vec::new(), &mut item_schemas);
            }
            for (i, item) in items.iter().enumerate() {
                undeclared(spec, &item_schemas, item, &format!("{pointer}/{i}"), found);
            }
        }
        _ => {}
    }
}

fn collect_items<'s>(spec: &'s Value, schema: &'s Value, seen: &mut Vec<&'s str>, out: &mut Vec<&'s Value>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if seen.contains(&reference) {
            return;
        }
        seen.push(reference);
    }
    let schema = resolve(spec, schema);
    out.extend(schema.get("items"));
    for part in ["allOf", "oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(k)?.as_array())
        .flatten()
    {
        collect_items(spec, part, seen, out);
    }
}
