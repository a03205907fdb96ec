//! Okta's official specs as JSON Schemas: the management spec (`management-openapi.yaml`, `/api/v1/...`)
//! and, for the `/oauth2/...` routes, the OAuth spec beside it (`oauth-openapi.yaml`). Finds an
//! operation's response schema by path template and status, and turns its OpenAPI 3.0 schema (with
//! `$ref`s into that spec's `components/schemas`) into one JSON Schema (draft 2020-12) that the
//! `jsonschema` crate validates with.
//!
//! OpenAPI 3.0 differences handled: `nullable` adds `null`; a `discriminator` dispatches on its
//! property to the mapped schema (`if`/`then`), and a mapped schema's `allOf` reference back to its
//! base uses the base without the discriminator (no endless recursion); `oneOf` becomes `anyOf`
//! (Okta's variants overlap, so "exactly one" fails valid bodies); boolean `exclusiveMinimum`/
//! `exclusiveMaximum` become numbers; `writeOnly` properties are not required in responses;
//! `example(s)`, `x-okta-*` and other `x-` extensions are dropped.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::LazyLock;

use serde_json::{Map, Value, json};

/// The parsed management spec, once per test binary (3.4 MB of YAML).
pub static SPEC: LazyLock<Value> = LazyLock::new(|| load("management-openapi.yaml"));

/// The parsed OAuth spec: `/oauth2/v1/clients` and the other `/oauth2/...` routes.
pub static OAUTH_SPEC: LazyLock<Value> = LazyLock::new(|| load("oauth-openapi.yaml"));

fn load(file: &str) -> Value {
    let path = spec_path(file);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read the spec {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("the spec {} is not valid YAML: {e}", path.display()))
}

/// The spec that describes a route: the OAuth spec for `/oauth2/...`, the management spec otherwise.
pub fn spec_for(template: &str) -> &'static Value {
    if template.starts_with("/oauth2/") {
        &OAUTH_SPEC
    } else {
        &SPEC
    }
}

/// `<repo>/tests/okta-sim` -> `<repo>/../shared/okta/<file>`; a worktree nested one level deeper
/// (`<root>/wt/<name>`) finds it further up, so the nearest ancestor that has it wins.
pub fn spec_path(file: &str) -> PathBuf {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let repo = crate_dir
        .parent()
        .and_then(|p| p.parent())
        .expect("the crate sits at <repo>/tests/okta-sim");
    let relative = format!("shared/okta/{file}");
    repo.ancestors()
        .skip(1)
        .map(|dir| dir.join(&relative))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| repo.join("..").join(&relative))
}

fn normalize(template: &str) -> String {
    template
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Follows a local `$ref` (`#/components/...`) within the spec.
fn deref<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        node = spec
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {reference} in the spec"));
    }
    node
}

/// The GET operation of a path template in its spec, matched regardless of parameter names.
pub fn get_operation(template: &str) -> Option<&'static Value> {
    let wanted = normalize(template);
    let paths = spec_for(template).get("paths")?.as_object()?;
    paths
        .iter()
        .find(|(p, _)| normalize(p) == wanted)
        .and_then(|(_, item)| item.get("get"))
}

/// The JSON Schema of the response an operation declares for `status` (for an error status it does
/// not declare, its spec's generic `Error` schema), converted with the components of that spec.
pub fn response_schema(template: &str, status: u16) -> Result<Value, String> {
    let spec = spec_for(template);
    let op = get_operation(template).ok_or_else(|| format!("the spec has no GET {template}"))?;
    let declared = op.get("responses").and_then(|r| r.get(status.to_string()));
    let schema = match declared {
        Some(r) => deref(spec, r)
            .pointer("/content/application~1json/schema")
            .cloned()
            .ok_or_else(|| format!("GET {template} {status} has no application/json schema"))?,
        None if status >= 400 => json!({ "$ref": "#/components/schemas/Error" }),
        None => return Err(format!("GET {template} declares no {status} response")),
    };
    Ok(to_json_schema(spec, &schema))
}

/// Every `$ref` in `spec` that points nowhere in it. Example bodies (`example`, an example's `value`)
/// are data, not spec: a schema document shown as an example may hold `$ref`s of its own.
pub fn dangling_refs(spec: &Value) -> Vec<String> {
    fn walk(spec: &Value, node: &Value, out: &mut Vec<String>) {
        match node {
            Value::Object(fields) => {
                if let Some(reference) = fields.get("$ref").and_then(Value::as_str)
                    && (!reference.starts_with('#') || spec.pointer(&reference[1..]).is_none())
                {
                    out.push(reference.to_string());
                }
                fields
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "example" | "value"))
                    .for_each(|(_, v)| walk(spec, v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(spec, v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(spec, spec, &mut out);
    out.sort();
    out.dedup();
    out
}

/// One JSON Schema document for `schema` (an OpenAPI schema from `spec`), with every component
/// of `spec` it reaches under `$defs`.
pub fn to_json_schema(spec: &Value, schema: &Value) -> Value {
    let components = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .expect("the spec has components");
    let mut converter = Converter {
        components,
        wanted: BTreeSet::new(),
        done: BTreeMap::new(),
    };
    let root = converter.convert(schema, false);
    while let Some(name) = converter
        .wanted
        .iter()
        .find(|n| !converter.done.contains_key(*n))
        .cloned()
    {
        let (component, base_only) = match name.strip_suffix(BASE_SUFFIX) {
            Some(base) => (base, true),
            None => (name.as_str(), false),
        };
        let source = components
            .get(component)
            .unwrap_or_else(|| panic!("the spec has no schema {component}"));
        converter.done.insert(name.clone(), Value::Null);
        let converted = converter.convert_component(source, base_only);
        converter.done.insert(name, converted);
    }
    let mut document = match root {
        Value::Object(map) => map,
        other => Map::from_iter([("allOf".to_string(), json!([other]))]),
    };
    document.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    document.insert("$defs".into(), Value::Object(converter.done.into_iter().collect()));
    Value::Object(document)
}

const BASE_SUFFIX: &str = "__base";

struct Converter<'a> {
    components: &'a Map<String, Value>,
    wanted: BTreeSet<String>,
    done: BTreeMap<String, Value>,
}

impl Converter<'_> {
    fn reference(&mut self, reference: &str, in_all_of: bool) -> Value {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a schema $ref outside components/schemas: {reference}"));
        let has_discriminator = self
            .components
            .get(name)
            .is_some_and(|s| s.get("discriminator").is_some());
        // `allOf: [$ref Base, {...}]` is how a mapped schema inherits: it must not dispatch again.
        let target = if in_all_of && has_discriminator {
            format!("{name}{BASE_SUFFIX}")
        } else {
            name.to_string()
        };
        self.wanted.insert(target.clone());
        json!({ "$ref": format!("#/$defs/{target}") })
    }

    fn convert_component(&mut self, schema: &Value, base_only: bool) -> Value {
        match (schema.get("discriminator"), base_only) {
            (Some(discriminator), false) => self.dispatch(schema, discriminator),
            _ => self.convert(schema, false),
        }
    }

    /// The base schema plus, per mapped value of the discriminator property, `if` it has that value
    /// `then` the mapped schema.
    fn dispatch(&mut self, schema: &Value, discriminator: &Value) -> Value {
        let property = discriminator["propertyName"]
            .as_str()
            .expect("a discriminator names its property");
        let mut mapping: Vec<(String, String)> = discriminator
            .get("mapping")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        if mapping.is_empty() {
            // Without a mapping the values are the schema names of the `oneOf`/`anyOf` variants.
            for variant in schema
                .get("oneOf")
                .or(schema.get("anyOf"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(r) = variant.get("$ref").and_then(Value::as_str) {
                    let name = r.rsplit('/').next().unwrap_or_default().to_string();
                    mapping.push((name, r.to_string()));
                }
            }
        }
        let mut base = schema.clone();
        if let Some(b) = base.as_object_mut() {
            b.remove("discriminator");
            if !mapping.is_empty() {
                b.remove("oneOf");
                b.remove("anyOf");
            }
        }
        let mut converted = self.convert(&base, false);
        let branches: Vec<Value> = mapping
            .iter()
            .map(|(value, reference)| {
                json!({
                    "if": { "properties": { property: { "const": value } }, "required": [property] },
                    "then": self.reference(reference, false),
                })
            })
            .collect();
        let all_of = converted
            .as_object_mut()
            .expect("a converted schema is an object")
            .entry("allOf")
            .or_insert_with(|| json!([]));
        all_of.as_array_mut().expect("allOf is an array").extend(branches);
        converted
    }

    fn convert(&mut self, schema: &Value, in_all_of: bool) -> Value {
        let Some(fields) = schema.as_object() else {
            return schema.clone();
        };
        if let Some(reference) = fields.get("$ref").and_then(Value::as_str) {
            return self.reference(reference, in_all_of);
        }
        if fields.contains_key("discriminator") {
            // An inline discriminator (not a component): dispatch in place.
            return self.dispatch(schema, &fields["discriminator"]);
        }
        let write_only: BTreeSet<&str> = fields
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| {
                p.iter()
                    .filter(|(_, s)| s.get("writeOnly") == Some(&Value::Bool(true)))
                    .map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Map::new();
        for (key, value) in fields {
            match key.as_str() {
                "properties" | "patternProperties" => {
                    let converted: Map<String, Value> = value
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(name, s)| (name.clone(), self.convert(s, false)))
                        .collect();
                    out.insert(key.clone(), Value::Object(converted));
                }
                "items" | "not" => {
                    out.insert(key.clone(), self.convert(value, false));
                }
                "additionalProperties" => {
                    let converted = match value {
                        Value::Object(_) => self.convert(value, false),
                        other => other.clone(),
                    };
                    out.insert(key.clone(), converted);
                }
                "allOf" | "anyOf" | "oneOf" => {
                    let parts: Vec<Value> = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|s| self.convert(s, key == "allOf"))
                        .collect();
                    let name = if key == "oneOf" { "anyOf" } else { key.as_str() };
                    out.insert(name.to_string(), Value::Array(parts));
                }
                "required" => {
                    let required: Vec<Value> = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|r| r.as_str().is_none_or(|r| !write_only.contains(r)))
                        .cloned()
                        .collect();
                    out.insert(key.clone(), Value::Array(required));
                }
                "exclusiveMinimum" | "exclusiveMaximum" => {
                    if let Value::Bool(true) = value {
                        let bound = if key == "exclusiveMinimum" {
                            "minimum"
                        } else {
                            "maximum"
                        };
                        if let Some(b) = fields.get(bound) {
                            out.insert(key.clone(), b.clone());
                        }
                    } else if value.is_number() {
                        out.insert(key.clone(), value.clone());
                    }
                }
                "minimum" | "maximum" => {
                    let exclusive = if key == "minimum" {
                        "exclusiveMinimum"
                    } else {
                        "exclusiveMaximum"
                    };
                    if fields.get(exclusive) != Some(&Value::Bool(true)) {
                        out.insert(key.clone(), value.clone());
                    }
                }
                "example" | "examples" | "nullable" | "discriminator" | "xml" | "externalDocs" | "description" => {}
                k if k.starts_with("x-") => {}
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        if fields.get("nullable") == Some(&Value::Bool(true)) {
            return allow_null(out);
        }
        Value::Object(out)
    }
}

/// OpenAPI 3.0 `nullable: true`: `null` is valid too.
fn allow_null(mut schema: Map<String, Value>) -> Value {
    match schema.get("type").cloned() {
        Some(Value::String(t)) => {
            schema.insert("type".into(), json!([t, "null"]));
            if let Some(Value::Array(values)) = schema.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
            Value::Object(schema)
        }
        _ => json!({ "anyOf": [Value::Object(schema), { "type": "null" }] }),
    }
}

/// One place where a body breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON pointer into the body (`/0/settings/notes/admin`).
    pub at: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {:?}: {}", self.at, self.message)
    }
}

/// Validates `body` against a JSON Schema from [`response_schema`], each problem once.
pub fn problems(document: &Value, body: &Value) -> Result<Vec<Problem>, String> {
    let validator =
        jsonschema::draft202012::new(document).map_err(|e| format!("the converted schema does not compile: {e}"))?;
    let mut found: Vec<Problem> = validator
        .iter_errors(body)
        .map(|e| Problem {
            at: e.instance_path().to_string(),
            message: e.to_string(),
        })
        .collect();
    // A value checked by several `allOf` parts is reported once per part.
    found.sort_by(|a, b| (&a.at, &a.message).cmp(&(&b.at, &b.message)));
    found.dedup();
    Ok(found)
}
