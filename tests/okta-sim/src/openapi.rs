//! Okta's official OpenAPI 3.0 specs as JSON Schemas: loading a spec (once per process and file),
//! finding the operation a call makes, and turning an OpenAPI schema (with `$ref`s into the spec's
//! `components/schemas`) into one JSON Schema (draft 2020-12) for the `jsonschema` crate. The
//! contract test checks the simulator's answers with it; request validation ([`crate::validate`])
//! checks the bodies the simulator is sent.
//!
//! OpenAPI 3.0 differences handled: `nullable` adds `null`; a `discriminator` dispatches on its
//! property to the mapped schema (`if`/`then`), and a mapped schema's `allOf` reference back to its
//! base uses the base without the discriminator (no endless recursion); `oneOf` becomes `anyOf`
//! (Okta's variants overlap, so "exactly one" fails valid bodies); boolean `exclusiveMinimum`/
//! `exclusiveMaximum` become numbers; `example(s)`, `x-okta-*` and other `x-` extensions are dropped.
//!
//! The direction matters for `readOnly` and `writeOnly` (OpenAPI 3.0.3, "Fixed Fields" of the Schema
//! Object): in a response, `writeOnly` properties are not required; in a request, `readOnly`
//! properties are not required and, as Okta owns them, not allowed either (their schema becomes
//! `false`). The spec marks them three ways, all honoured: `readOnly: true` on the property, on a
//! component the property refers to (`ApplicationLifecycleStatus`, `LastUpdated`...), or beside a
//! `$ref`/`allOf` of one reference.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

/// Which side of a call a schema checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Request,
    Response,
}

/// The spec at `path`, parsed once per process (a spec is 3.4 MB of YAML; every simulator of a test
/// binary shares one copy).
pub fn load(path: &Path) -> Result<Arc<Value>, String> {
    static LOADED: Mutex<BTreeMap<PathBuf, Arc<Value>>> = Mutex::new(BTreeMap::new());
    let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(spec) = loaded.get(path) {
        return Ok(spec.clone());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the spec {}: {e}", path.display()))?;
    let spec: Value =
        serde_yaml::from_str(&text).map_err(|e| format!("the spec {} is not valid YAML: {e}", path.display()))?;
    if spec.pointer("/components/schemas").is_none() || spec.get("paths").is_none() {
        return Err(format!(
            "{} is not an OpenAPI spec (no paths or components/schemas)",
            path.display()
        ));
    }
    let spec = Arc::new(spec);
    loaded.insert(path.to_path_buf(), spec.clone());
    Ok(spec)
}

/// `shared/okta/<file>` in the nearest directory above `from` that has it: how the tests find Okta's
/// specs beside a checkout (`<repo>/../shared/okta/`), from any crate or worktree inside it.
pub fn find_spec(file: &str, from: &Path) -> Option<PathBuf> {
    let relative = Path::new("shared").join("okta").join(file);
    from.ancestors()
        .map(|dir| dir.join(&relative))
        .find(|candidate| candidate.is_file())
}

/// A path with its parameters blanked (`/api/v1/groups/{}/users`), to compare templates whose
/// parameters are named differently.
pub fn normalize(template: &str) -> String {
    template
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// The spec's operation for `method` on `path` (a concrete request path or a template), with the
/// spec's path template. Literal segments win over parameters, as in Okta's router
/// (`/api/v1/groups/rules` is not the group `rules`).
pub fn operation<'a>(spec: &'a Value, method: &str, path: &str) -> Option<(&'a str, &'a Value)> {
    let method = method.to_ascii_lowercase();
    let wanted: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let paths = spec.get("paths")?.as_object()?;
    paths
        .iter()
        .filter_map(|(template, item)| {
            let segments: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
            if segments.len() != wanted.len() {
                return None;
            }
            let mut literals = 0;
            for (t, w) in segments.iter().zip(&wanted) {
                if t.starts_with('{') {
                    continue;
                }
                // A template given for a template matches by position, whatever its names.
                if t != w && !w.starts_with('{') {
                    return None;
                }
                literals += 1;
            }
            let op = item.get(method.as_str())?;
            Some((literals, template.as_str(), op))
        })
        .max_by_key(|(literals, ..)| *literals)
        .map(|(_, template, op)| (template, op))
}

/// Follows local `$ref`s (`#/components/...`) until a node without one.
pub fn deref<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        match spec.pointer(reference.trim_start_matches('#')) {
            Some(target) => node = target,
            None => return node,
        }
    }
    node
}

/// The OpenAPI schema of an operation's JSON request body, and whether the spec requires a body.
pub fn request_body<'a>(spec: &'a Value, op: &'a Value) -> Option<(&'a Value, bool)> {
    let body = deref(spec, op.get("requestBody")?);
    let schema = body.pointer("/content/application~1json/schema")?;
    Some((schema, body.get("required") == Some(&Value::Bool(true))))
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

/// One JSON Schema document for `schema` (an OpenAPI schema from `spec`) as `direction` reads it,
/// with every component of `spec` it reaches under `$defs`.
pub fn to_json_schema(spec: &Value, schema: &Value, direction: Direction) -> Value {
    let empty = Map::new();
    let components = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut converter = Converter {
        components,
        direction,
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
        let converted = match components.get(component) {
            Some(source) => {
                converter.done.insert(name.clone(), Value::Null);
                converter.convert_component(source, base_only)
            }
            // A reference to nothing: nothing validates against it, and it says why.
            None => json!({ "not": {}, "title": format!("the spec has no schema {component}") }),
        };
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
    direction: Direction,
    wanted: BTreeSet<String>,
    done: BTreeMap<String, Value>,
}

impl Converter<'_> {
    fn reference(&mut self, reference: &str, in_all_of: bool) -> Value {
        let Some(name) = reference.strip_prefix("#/components/schemas/") else {
            return json!({ "not": {}, "title": format!("a schema $ref outside components/schemas: {reference}") });
        };
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
            (Some(_), true) => {
                let mut base = schema.clone();
                if let Some(b) = base.as_object_mut() {
                    b.remove("discriminator");
                }
                self.convert(&base, false)
            }
            (None, _) => self.convert(schema, false),
        }
    }

    /// The base schema plus, per mapped value of the discriminator property, `if` it has that value
    /// `then` the mapped schema.
    fn dispatch(&mut self, schema: &Value, discriminator: &Value) -> Value {
        let property = discriminator["propertyName"].as_str().unwrap_or_default().to_string();
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
                    "if": { "properties": { property.clone(): { "const": value } }, "required": [property] },
                    "then": self.reference(reference, false),
                })
            })
            .collect();
        if let Some(fields) = converted.as_object_mut() {
            let all_of = fields.entry("allOf").or_insert_with(|| json!([]));
            if let Some(parts) = all_of.as_array_mut() {
                parts.extend(branches);
            }
        }
        converted
    }

    /// Whether a property's schema says the server owns it: `readOnly` on it, beside its one
    /// reference, or on the component it refers to.
    fn read_only(&self, property: &Value) -> bool {
        if property.get("readOnly") == Some(&Value::Bool(true)) {
            return true;
        }
        let reference = property.get("$ref").or_else(|| match property.get("allOf") {
            Some(Value::Array(parts)) if parts.len() == 1 => parts[0].get("$ref"),
            _ => None,
        });
        reference
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .and_then(|name| self.components.get(name))
            .is_some_and(|component| component.get("readOnly") == Some(&Value::Bool(true)))
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
        // Properties a body of this direction need not (or must not) have.
        let (not_required, forbidden): (BTreeSet<&str>, BTreeSet<&str>) = {
            let properties = fields.get("properties").and_then(Value::as_object);
            let marked = |f: &dyn Fn(&Value) -> bool| -> BTreeSet<&str> {
                properties
                    .into_iter()
                    .flatten()
                    .filter(|(_, s)| f(s))
                    .map(|(k, _)| k.as_str())
                    .collect()
            };
            match self.direction {
                Direction::Response => (
                    marked(&|s| s.get("writeOnly") == Some(&Value::Bool(true))),
                    BTreeSet::new(),
                ),
                Direction::Request => {
                    let read_only = marked(&|s| self.read_only(s));
                    (read_only.clone(), read_only)
                }
            }
        };
        let mut out = Map::new();
        for (key, value) in fields {
            match key.as_str() {
                "properties" | "patternProperties" => {
                    let converted: Map<String, Value> = value
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(name, s)| {
                            let schema = if key == "properties" && forbidden.contains(name.as_str()) {
                                Value::Bool(false)
                            } else {
                                self.convert(s, false)
                            };
                            (name.clone(), schema)
                        })
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
                        .filter(|r| r.as_str().is_none_or(|r| !not_required.contains(r)))
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
                "example" | "examples" | "nullable" | "discriminator" | "xml" | "externalDocs" | "description"
                | "readOnly" | "writeOnly" => {}
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

/// Compiled validators by (direction, method, spec template), so each schema compiles once.
#[derive(Default)]
pub struct Validators {
    compiled: Mutex<HashMap<(Direction, String, String), Result<Arc<jsonschema::Validator>, String>>>,
}

impl std::fmt::Debug for Validators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validators").finish_non_exhaustive()
    }
}

impl Validators {
    /// The validator for `(direction, method, template)`, compiled from `make()` on first use.
    pub fn get(
        &self,
        (direction, method, template): (Direction, &str, &str),
        make: impl FnOnce() -> Value,
    ) -> Result<Arc<jsonschema::Validator>, String> {
        let key = (direction, method.to_string(), template.to_string());
        if let Some(found) = self.compiled.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return found.clone();
        }
        // Compiled outside the lock: a large schema takes a moment, and other calls need not wait.
        let compiled = jsonschema::draft202012::new(&make())
            .map(Arc::new)
            .map_err(|e| format!("the spec's schema for {method} {template} does not compile: {e}"));
        self.compiled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, compiled.clone());
        compiled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        json!({
            "paths": {
                "/api/v1/groups/{groupId}": { "put": { "requestBody": { "$ref": "#/components/requestBodies/G" } } },
                "/api/v1/groups/rules": { "post": {} },
            },
            "components": {
                "requestBodies": { "G": { "required": true, "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Group" } } } } },
                "schemas": {
                    "Status": { "type": "string", "enum": ["ACTIVE"], "readOnly": true },
                    "Group": { "type": "object", "required": ["id", "name", "status", "secret"], "properties": {
                        "id": { "type": "string", "readOnly": true },
                        "name": { "type": "string" },
                        "status": { "$ref": "#/components/schemas/Status" },
                        "secret": { "type": "string", "writeOnly": true },
                    } },
                },
            },
        })
    }

    #[test]
    fn literal_segments_win_and_templates_match_templates() {
        let spec = spec();
        assert_eq!(
            operation(&spec, "POST", "/api/v1/groups/rules").map(|(t, _)| t),
            Some("/api/v1/groups/rules")
        );
        assert_eq!(
            operation(&spec, "PUT", "/api/v1/groups/00g1").map(|(t, _)| t),
            Some("/api/v1/groups/{groupId}")
        );
        assert_eq!(
            operation(&spec, "PUT", "/api/v1/groups/{id}").map(|(t, _)| t),
            Some("/api/v1/groups/{groupId}")
        );
        assert!(operation(&spec, "DELETE", "/api/v1/groups/00g1").is_none());
        let (_, op) = operation(&spec, "PUT", "/api/v1/groups/00g1").unwrap();
        assert_eq!(request_body(&spec, op).map(|(_, required)| required), Some(true));
    }

    #[test]
    fn read_only_properties_are_neither_required_nor_allowed_in_requests() {
        let spec = spec();
        let group = json!({ "$ref": "#/components/schemas/Group" });
        let request = to_json_schema(&spec, &group, Direction::Request);
        let response = to_json_schema(&spec, &group, Direction::Response);
        let def = |doc: &Value| doc["$defs"]["Group"].clone();
        assert_eq!(def(&request)["required"], json!(["name", "secret"]));
        assert_eq!(def(&request)["properties"]["id"], json!(false));
        assert_eq!(
            def(&request)["properties"]["status"],
            json!(false),
            "readOnly on the component"
        );
        assert_eq!(
            def(&response)["required"],
            json!(["id", "name", "status"]),
            "writeOnly is never answered"
        );
        assert_eq!(def(&response)["properties"]["id"], json!({ "type": "string" }));
    }
}
