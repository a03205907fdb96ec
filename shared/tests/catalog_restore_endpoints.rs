//! Every catalog row's restore endpoints, checked against Okta's official specs: the management spec
//! (`management-openapi.yaml`) and, for `/oauth2/...` paths, the OAuth spec beside it. Both live in
//! `shared/okta/` next to the repository (or next to the folder of worktrees holding it).

mod support;

use oktavault_shared::categories::{CATEGORIES, Category, Endpoint, OnWhen, Source};
use serde_json::Value;
use support::spec::{fail_on, load, property_schemas, resolve, spec_for, spec_listing_path};

/// The spec's operation for an endpoint: its path must be a key of `paths`, verbatim (parameter names included).
fn operation(endpoint: &Endpoint) -> Option<&'static Value> {
    spec_for(endpoint.path)
        .get("paths")?
        .get(endpoint.path)?
        .get(endpoint.method.to_ascii_lowercase())
}

/// The OAuth 2.0 scopes the spec says an operation accepts (`security: [{oauth2: [...]}]`).
fn oauth_scopes(operation: &Value) -> Vec<&str> {
    let requirements = operation
        .get("security")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    requirements
        .iter()
        .filter_map(|requirement| requirement.get("oauth2")?.as_array())
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn every_endpoint() -> impl Iterator<Item = (&'static Category, Endpoint)> {
    CATEGORIES
        .iter()
        .flat_map(|c| c.restore.endpoints().map(move |e| (c, e)))
}

#[test]
fn the_specs_are_found_and_hold_paths() {
    for file in ["management-openapi.yaml", "oauth-openapi.yaml"] {
        let spec = load(file);
        let paths = spec
            .get("paths")
            .and_then(Value::as_object)
            .map(|p| p.len())
            .unwrap_or(0);
        assert!(paths > 10, "{file} has {paths} paths: not Okta's spec?");
    }
}

#[test]
fn restorable_rows_have_an_endpoint_and_download_only_rows_none() {
    let mut problems = Vec::new();
    for c in CATEGORIES {
        match (c.restorable, c.restore.endpoints().count()) {
            (true, 0) => problems.push(format!("{}: restorable, but no restore endpoint", c.name)),
            (false, n) if n > 0 => problems.push(format!("{}: download-only, but {n} restore endpoint(s)", c.name)),
            _ => {}
        }
    }
    fail_on(problems);
}

#[test]
fn every_restore_endpoint_is_in_the_spec_with_its_method() {
    let mut problems = Vec::new();
    for (c, endpoint) in every_endpoint() {
        if operation(&endpoint).is_none() {
            let methods: Vec<String> = spec_for(endpoint.path)
                .pointer(&format!(
                    "/paths/{}",
                    endpoint.path.replace('~', "~0").replace('/', "~1")
                ))
                .and_then(Value::as_object)
                .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                .unwrap_or_default();
            problems.push(format!(
                "{}: {} {} is not in the spec (the path has: {})",
                c.name,
                endpoint.method,
                endpoint.path,
                if methods.is_empty() {
                    "no such path".to_owned()
                } else {
                    methods.join(", ")
                }
            ));
        }
    }
    fail_on(problems);
}

#[test]
fn every_restore_endpoint_accepts_the_manage_scope_of_its_row() {
    let mut problems = Vec::new();
    for (c, endpoint) in every_endpoint() {
        let manage = c.scope.strip_suffix(".read").map(|base| format!("{base}.manage"));
        let Some(manage) = manage else {
            problems.push(format!("{}: scope {} is not a `.read` scope", c.name, c.scope));
            continue;
        };
        let Some(operation) = operation(&endpoint) else {
            continue;
        }; // reported by the test above
        let scopes = oauth_scopes(operation);
        if !scopes.contains(&manage.as_str()) {
            problems.push(format!(
                "{}: {} {} takes {scopes:?}, not {manage}",
                c.name, endpoint.method, endpoint.path
            ));
        }
    }
    fail_on(problems);
}

/// An app target without `id` (every instance of an OIN app) is written without the `/{appId}` segment.
#[test]
fn app_targets_have_the_whole_app_form_too() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for (c, endpoint) in every_endpoint() {
        let Some(whole_app) = endpoint
            .path
            .strip_suffix("/{appId}")
            .filter(|p| p.ends_with("/catalog/apps/{appName}"))
        else {
            continue;
        };
        seen += 1;
        if operation(&Endpoint {
            method: endpoint.method,
            path: whole_app,
        })
        .is_none()
        {
            problems.push(format!(
                "{}: {} {whole_app} is not in the spec",
                c.name, endpoint.method
            ));
        }
    }
    assert_eq!(
        seen, 2,
        "the user and group app-target rows write `.../catalog/apps/{{appName}}/{{appId}}`"
    );
    fail_on(problems);
}

/// The rows whose objects have a lifecycle call in the spec that the row deliberately leaves out, and why.
const LIFECYCLE_LEFT_OUT: &[(&str, &str)] = &[(
    "user_factors",
    "a factor's activation needs the passcode the person receives; a create with ?activate=true is the unattended way",
)];

/// `true` when the spec has `POST <path>`.
fn has_post(path: &str) -> bool {
    spec_for(path)
        .get("paths")
        .and_then(|paths| paths.get(path))
        .and_then(|ops| ops.get("post"))
        .is_some()
}

/// The spec's paths one parameter below `collection` (`<collection>/{x}`): the objects a create-only row makes.
fn objects_under(collection: &str) -> Vec<&'static str> {
    let Some(paths) = spec_for(collection).get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    paths
        .keys()
        .filter(|p| {
            p.strip_prefix(collection)
                .and_then(|rest| rest.strip_prefix("/{"))
                .is_some_and(|rest| rest.ends_with('}') && !rest.contains('/'))
        })
        .map(String::as_str)
        .collect()
}

/// Every restorable row whose object has `POST <object>/lifecycle/activate|deactivate` in the spec says so: a
/// restore that cannot activate leaves group rules, policies and users off.
#[test]
fn every_lifecycle_call_the_spec_has_for_a_restored_object_is_in_its_row() {
    let mut problems = Vec::new();
    let mut left_out_seen = Vec::new();
    for c in CATEGORIES.iter().filter(|c| c.restorable) {
        let objects: Vec<&str> = match (c.restore.update, c.restore.create) {
            (Some(update), _) => vec![update.path],
            (None, Some(create)) => objects_under(create.path),
            (None, None) => Vec::new(),
        };
        for object in objects {
            for (call, row_has) in [("activate", c.restore.activate), ("deactivate", c.restore.deactivate)] {
                let path = format!("{object}/lifecycle/{call}");
                if !has_post(&path) || row_has.is_some_and(|e| e.path == path) {
                    continue;
                }
                if LIFECYCLE_LEFT_OUT.iter().any(|(name, _)| *name == c.name) {
                    left_out_seen.push(c.name);
                    continue;
                }
                problems.push(format!("{}: the spec has POST {path}, the row has {row_has:?}", c.name));
            }
        }
    }
    for (name, why) in LIFECYCLE_LEFT_OUT {
        assert!(
            left_out_seen.contains(name),
            "{name} is listed as leaving out a lifecycle call ({why}), but the spec has none for it: drop it"
        );
    }
    fail_on(problems);
}

/// The `enum` values and `type`s a property schema allows, through `$ref`s and `allOf`/`oneOf`/`anyOf`.
fn allowed(spec: &Value, schema: &Value, values: &mut Vec<String>, types: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    values.extend(
        schema
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned)),
    );
    types.extend(schema.get("type").and_then(Value::as_str).map(str::to_owned));
    for inner in ["allOf", "oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(k)?.as_array())
        .flatten()
    {
        allowed(spec, inner, values, types);
    }
}

/// A row with `activate` stores objects that say whether they were on: the spec's answer to the row's listing
/// GET has the field `on_when` reads, a `status` whose enum holds every state the row names, or a boolean flag.
#[test]
fn rows_with_a_lifecycle_store_the_field_that_chooses_the_call() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for c in CATEGORIES {
        let Some(on_when) = c.restore.on_when else {
            continue;
        };
        let listing = match c.source {
            Source::List { passes } => passes[0],
            Source::PerParent { path, .. } => path,
            other => {
                problems.push(format!(
                    "{}: a lifecycle on a row listed as {other:?} is not checked here",
                    c.name
                ));
                continue;
            }
        };
        let Some(spec_path) = spec_listing_path(listing) else {
            problems.push(format!("{}: no spec path for the listing {listing}", c.name));
            continue;
        };
        let spec = spec_for(spec_path);
        let pointer = format!(
            "/paths/{}/get/responses/200/content/application~1json/schema",
            spec_path.replace('~', "~0").replace('/', "~1")
        );
        let Some(answer) = spec.pointer(&pointer) else {
            problems.push(format!("{}: GET {spec_path} declares no JSON answer", c.name));
            continue;
        };
        let field = on_when.field();
        let mut schemas = Vec::new();
        property_schemas(spec, answer, field, &mut Vec::new(), &mut schemas);
        if schemas.is_empty() {
            problems.push(format!("{}: GET {spec_path} answers objects without `{field}`", c.name));
            continue;
        }
        let (mut values, mut types) = (Vec::new(), Vec::new());
        for schema in schemas {
            allowed(spec, schema, &mut values, &mut types);
        }
        values.sort();
        values.dedup();
        match on_when {
            OnWhen::Status { on, off } => {
                let unknown: Vec<_> = on
                    .iter()
                    .chain(off)
                    .filter(|s| !values.iter().any(|v| v == *s))
                    .collect();
                if !unknown.is_empty() {
                    problems.push(format!(
                        "{}: `status` of GET {spec_path} allows {values:?}, not {unknown:?}",
                        c.name
                    ));
                }
            }
            OnWhen::Flag { .. } => {
                if !types.iter().all(|t| t == "boolean") || types.is_empty() {
                    problems.push(format!(
                        "{}: `{field}` of GET {spec_path} is {types:?}, not a boolean",
                        c.name
                    ));
                }
            }
        }
        checked += 1;
    }
    fail_on(problems);
    // The catalog's 14 status rows and 2 switches: guards against a check that passes by finding nothing.
    assert!(checked >= 16, "only {checked} rows with a lifecycle were checked");
}
