//! Every catalog row's restore endpoints, checked against Okta's official specs: the management spec
//! (`management-openapi.yaml`) and, for `/oauth2/...` paths, the OAuth spec beside it. Both live in
//! `shared/okta/` next to the repository (or next to the folder of worktrees holding it).

use std::path::PathBuf;
use std::sync::LazyLock;

use oktavault_shared::categories::{CATEGORIES, Category, Endpoint};
use serde_json::Value;

static MANAGEMENT: LazyLock<Value> = LazyLock::new(|| load("management-openapi.yaml"));
static OAUTH: LazyLock<Value> = LazyLock::new(|| load("oauth-openapi.yaml"));

/// `<repo>/shared` -> the nearest ancestor of `<repo>` holding `shared/okta/<file>` (a worktree at
/// `<root>/wt/<name>` finds `<root>/shared/okta`).
fn spec_path(file: &str) -> Result<PathBuf, String> {
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

fn load(file: &str) -> Value {
    let path = spec_path(file).unwrap_or_else(|message| panic!("{message}"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read the spec {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("the spec {} is not valid YAML: {e}", path.display()))
}

fn spec_for(path: &str) -> &'static Value {
    if path.starts_with("/oauth2/") {
        &OAUTH
    } else {
        &MANAGEMENT
    }
}

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

fn fail_on(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
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
