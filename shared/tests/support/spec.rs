//! Okta's official specs for the catalog's tests: loading them from `shared/okta/` beside the repository, and
//! walking their OpenAPI 3.0 schemas.

use std::path::PathBuf;
use std::sync::LazyLock;

use serde_json::Value;

pub static MANAGEMENT: LazyLock<Value> = LazyLock::new(|| load("management-openapi.yaml"));
pub static OAUTH: LazyLock<Value> = LazyLock::new(|| load("oauth-openapi.yaml"));

/// `<repo>/shared` -> the nearest ancestor of `<repo>` holding `shared/okta/<file>` (a worktree at
/// `<root>/wt/<name>` finds `<root>/shared/okta`).
pub fn spec_path(file: &str) -> Result<PathBuf, String> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let repo = repo.parent().expect("the crate sits at <repo>/shared");
    let relative = format!("shared/okta/{file}");
    let searched: Vec<PathBuf> = repo.ancestors().skip(1).map(|dir| dir.join(&relative)).collect();
    searched
        .iter()
        .find(|candidate| candidate.is_file())
        .cloned()
        .ok_or_else(|| {
            let searched: Vec<String> = searched.iter().map(|p| p.display().to_string()).collect();
            format!(
                "Okta's spec {file} is missing: looked for {}. Put the reference material (shared/okta/) beside \
             the repository; this test checks the catalog against it and cannot pass without it",
                searched.join(", ")
            )
        })
}

pub fn load(file: &str) -> Value {
    let path = spec_path(file).unwrap_or_else(|message| panic!("{message}"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read the spec {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("the spec {} is not valid YAML: {e}", path.display()))
}

pub fn spec_for(path: &str) -> &'static Value {
    if path.starts_with("/oauth2/") {
        &OAUTH
    } else {
        &MANAGEMENT
    }
}

pub fn fail_on(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The spec's path template for a listing path: same segments, any parameter names (`/api/v1/apps/{id}/users`
/// -> `/api/v1/apps/{appId}/users`).
pub fn spec_listing_path(listing: &str) -> Option<&'static str> {
    let listing = listing.split('?').next().unwrap_or(listing);
    let shape = |p: &str| -> Vec<String> {
        p.split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "{}".to_owned()
                } else {
                    s.to_owned()
                }
            })
            .collect()
    };
    let wanted = shape(listing);
    spec_for(listing)
        .get("paths")?
        .as_object()?
        .keys()
        .find(|p| shape(p) == wanted)
        .map(String::as_str)
}

/// Follows a `$ref` (`#/components/schemas/User`) within `spec`.
pub fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(spec, spec.pointer(pointer).unwrap_or(&Value::Null))
        }
        None => schema,
    }
}

/// Every schema the property `name` may have in an object of `schema`: through array items, `allOf`/`oneOf`/
/// `anyOf` and discriminator mappings (an app's `signOnMode`, a zone's `type`). `seen` stops reference loops.
pub fn property_schemas<'a>(
    spec: &'a Value,
    schema: &'a Value,
    name: &str,
    seen: &mut Vec<&'a str>,
    out: &mut Vec<&'a Value>,
) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if seen.contains(&reference) {
            return;
        }
        seen.push(reference);
    }
    let schema = resolve(spec, schema);
    if let Some(property) = schema.get("properties").and_then(|p| p.get(name)) {
        out.push(property);
    }
    let nested = ["allOf", "oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(k)?.as_array())
        .flatten()
        .chain(schema.get("items"));
    for inner in nested {
        property_schemas(spec, inner, name, seen, out);
    }
    let mapped = schema
        .pointer("/discriminator/mapping")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(Value::as_str);
    for reference in mapped {
        if seen.contains(&reference) {
            continue;
        }
        seen.push(reference);
        let pointer = reference.trim_start_matches('#');
        if let Some(target) = spec.pointer(pointer) {
            property_schemas(spec, target, name, seen, out);
        }
    }
}
