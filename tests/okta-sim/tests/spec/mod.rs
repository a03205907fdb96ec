//! Okta's official specs for the tests: the management spec (`management-openapi.yaml`, `/api/v1/...`)
//! and, for the `/oauth2/...` routes, the OAuth spec beside it (`oauth-openapi.yaml`). Finds an
//! operation's response or request schema by path template and status, converted to one JSON Schema
//! by the simulator's own converter (`okta_sim::openapi`, which request validation uses too).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use okta_sim::openapi::{self, Direction};
use serde_json::{Value, json};

/// The parsed management spec, once per test binary (3.4 MB of YAML).
pub static SPEC: LazyLock<Arc<Value>> = LazyLock::new(|| load("management-openapi.yaml"));

/// The parsed OAuth spec: `/oauth2/v1/clients` and the other `/oauth2/...` routes.
pub static OAUTH_SPEC: LazyLock<Arc<Value>> = LazyLock::new(|| load("oauth-openapi.yaml"));

fn load(file: &str) -> Arc<Value> {
    openapi::load(&spec_path(file)).unwrap_or_else(|e| panic!("{e}"))
}

/// `<repo>/tests/okta-sim` -> `<repo>/../shared/okta/<file>`; a worktree nested one level deeper
/// (`<root>/wt/<name>`) finds it further up, so the nearest ancestor that has it wins.
pub fn spec_path(file: &str) -> PathBuf {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let repo = crate_dir
        .parent()
        .and_then(|p| p.parent())
        .expect("the crate sits at <repo>/tests/okta-sim");
    repo.parent()
        .and_then(|above| openapi::find_spec(file, above))
        .unwrap_or_else(|| repo.join("..").join("shared").join("okta").join(file))
}

/// The spec that describes a route: the OAuth spec for `/oauth2/...`, the management spec otherwise.
pub fn spec_for(template: &str) -> &'static Value {
    if template.starts_with("/oauth2/") {
        &OAUTH_SPEC
    } else {
        &SPEC
    }
}

/// The GET operation of a path template in its spec, matched regardless of parameter names.
pub fn get_operation(template: &str) -> Option<&'static Value> {
    operation("GET", template)
}

/// The `method` operation of a path template in its spec, matched regardless of parameter names.
pub fn operation(method: &str, template: &str) -> Option<&'static Value> {
    let wanted = openapi::normalize(template);
    let paths = spec_for(template).get("paths")?.as_object()?;
    paths
        .iter()
        .find(|(p, _)| openapi::normalize(p) == wanted)
        .and_then(|(_, item)| item.get(method.to_ascii_lowercase()))
}

/// The JSON Schema of the response a GET declares for `status` (see [`method_response_schema`]).
pub fn response_schema(template: &str, status: u16) -> Result<Value, String> {
    method_response_schema("GET", template, status)
}

/// The JSON Schema of the response an operation declares for `status` (for an error status it does
/// not declare, its spec's generic `Error` schema), converted with the components of that spec.
pub fn method_response_schema(method: &str, template: &str, status: u16) -> Result<Value, String> {
    let spec = spec_for(template);
    let op = operation(method, template).ok_or_else(|| format!("the spec has no {method} {template}"))?;
    let declared = op.get("responses").and_then(|r| r.get(status.to_string()));
    let schema = match declared {
        Some(r) => openapi::deref(spec, r)
            .pointer("/content/application~1json/schema")
            .cloned()
            .ok_or_else(|| format!("{method} {template} {status} has no application/json schema"))?,
        None if status >= 400 => json!({ "$ref": "#/components/schemas/Error" }),
        None => return Err(format!("{method} {template} declares no {status} response")),
    };
    Ok(openapi::to_json_schema(spec, &schema, Direction::Response))
}

/// The success statuses an operation declares (`200`, `201`, `204`).
pub fn success_statuses(method: &str, template: &str) -> Vec<u16> {
    operation(method, template)
        .and_then(|op| op.get("responses")?.as_object())
        .map(|r| {
            r.keys()
                .filter_map(|k| k.parse().ok())
                .filter(|s: &u16| (200..300).contains(s))
                .collect()
        })
        .unwrap_or_default()
}

/// Every `$ref` in `spec` that points nowhere in it.
pub fn dangling_refs(spec: &Value) -> Vec<String> {
    openapi::dangling_refs(spec)
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

/// Where the spec itself is wrong for a route the simulator serves (reads, and writes answering the same
/// objects): (route templates, place in the
/// body with `*` for any array index, why). Problems exactly there are forgiven; nothing else is.
/// Every entry is a schema that contradicts the spec's own examples for the same operation.
pub const SPEC_EXCEPTIONS: &[(&[&str], &str, &str)] = &[
    (
        APP_ROUTES,
        "accessibility/errorRedirectUrl",
        "`ApplicationAccessibility.errorRedirectUrl` is a non-nullable string, but the spec's app examples \
         (and Okta) answer `null` when no custom error page is set",
    ),
    (
        APP_ROUTES,
        "accessibility/loginRedirectUrl",
        "non-nullable string in the schema; `null` in the spec's app examples when unset",
    ),
    (
        APP_ROUTES,
        "settings/notes/admin",
        "`ApplicationSettingsNotes` strings are not nullable, but the spec's examples have `admin: null`",
    ),
    (
        APP_ROUTES,
        "settings/notes/enduser",
        "`ApplicationSettingsNotes` strings are not nullable, but the spec's examples have `enduser: null`",
    ),
    (
        APP_ROUTES,
        "settings/notifications/vpn/helpUrl",
        "non-nullable string in the schema; `helpUrl: null` in the spec's app examples",
    ),
    (
        APP_ROUTES,
        "settings/notifications/vpn/message",
        "non-nullable string in the schema; `null` in the spec's app examples when no VPN message is set",
    ),
    (
        &["/api/v1/apps/{appId}/users", "/api/v1/apps/{appId}/users/{userId}"],
        "externalId",
        "`AppUser.externalId` is a non-nullable string, but the spec's AppUser examples answer `externalId: null` \
         for users not provisioned to the app",
    ),
    (
        &[
            "/api/v1/policies/{policyId}/rules",
            "/api/v1/policies/{policyId}/rules/{ruleId}",
        ],
        "actions/idp/providers/*/type",
        "`IdpPolicyRuleActionProvider.type` lists only external IdP types, but IdP discovery rules route to Okta \
         itself with `type: OKTA`, as the spec's own IDP_DISCOVERY rule examples show",
    ),
    (
        &["/api/v1/iam/roles/{roleIdOrLabel}/permissions"],
        "permissions/*/conditions/include/okta:ResourceAttribute~1User~1Profile",
        "`PermissionConditions.include` maps each attribute group to an object, but the spec's own \
         PermissionsResponse example (and Okta) list the profile attributes as an array of names",
    ),
    (
        &["/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}"],
        "conditions/include/okta:ResourceAttribute~1User~1Profile",
        "as for the permissions list: the spec's examples give the attributes as an array of names",
    ),
    (
        CLIENT_ROUTES,
        "post_logout_redirect_uris",
        "`Client.post_logout_redirect_uris` is typed `string` (with `items`), but it is described as an \
         \"Array of redirection URI strings\" and the spec's own ClientResponseWeb example answers an array",
    ),
];

const APP_ROUTES: &[&str] = &["/api/v1/apps", "/api/v1/apps/{appId}"];
const CLIENT_ROUTES: &[&str] = &["/oauth2/v1/clients", "/oauth2/v1/clients/{clientId}"];

/// `/0/settings/notes/admin` -> `settings/notes/admin` when the body is a list; indexes inside become `*`.
fn place(at: &str, body_is_list: bool) -> String {
    let mut segments: Vec<&str> = at.split('/').filter(|s| !s.is_empty()).collect();
    if body_is_list && !segments.is_empty() {
        segments.remove(0);
    }
    segments
        .iter()
        .map(|s| if s.parse::<usize>().is_ok() { "*" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `problem` of a body answered for `template` is one of [`SPEC_EXCEPTIONS`].
pub fn forgiven(template: &str, problem: &Problem, body_is_list: bool) -> bool {
    let at = place(&problem.at, body_is_list);
    SPEC_EXCEPTIONS
        .iter()
        .any(|(templates, pattern, _)| templates.contains(&template) && at == *pattern)
}
