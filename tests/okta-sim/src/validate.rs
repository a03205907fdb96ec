//! Request bodies checked against the request schema of the spec's operation, as Okta checks them:
//! required fields, types, enums, and no read-only fields (see [`crate::openapi`] for how the spec
//! marks them). A body that breaks its schema is answered 400 `E0000001` ("Api validation failed")
//! with one `errorCauses` entry per problem, before the handler sees it.
//!
//! Switched on by [`crate::SimConfig::validate_requests`] (the path of `management-openapi.yaml`),
//! off by default: the demo runs without Okta's spec beside it. The spec is parsed once per process;
//! each operation's schema is converted and compiled on its first call.

use std::path::Path;
use std::sync::Arc;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::errors::ApiError;
use crate::openapi::{self, Direction, Validators};

/// Places where the spec's request schema refuses what Okta accepts and what its own examples send:
/// (method, spec template, JSON pointer of the problem, required property or `""`, why). A problem
/// exactly there is forgiven; nothing else is.
const SPEC_EXCEPTIONS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "POST",
        "/api/v1/mappings/{mappingId}",
        "",
        "expression",
        "`ProfileMappingRequest` requires `expression` and `pushStatus` at the top, where it has no such \
         properties: they belong to each entry of `properties`, as the operation's own example shows",
    ),
    (
        "POST",
        "/api/v1/mappings/{mappingId}",
        "",
        "pushStatus",
        "as above: `pushStatus` is a field of each mapped property, not of the request",
    ),
    (
        "POST",
        "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
        "/conditions/include/okta:ResourceAttribute~1User~1Profile",
        "",
        "`PermissionConditions.include` maps each attribute group to an object, but the spec's own permission \
         examples (and Okta) give the profile attributes as an array of names",
    ),
    (
        "PUT",
        "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
        "/conditions/include/okta:ResourceAttribute~1User~1Profile",
        "",
        "as for the POST: the attributes are an array of names",
    ),
    (
        "POST",
        "/api/v1/policies/{policyId}/rules",
        "/actions/idp/providers/0/type",
        "",
        "`IdpPolicyRuleActionProvider.type` is an `IdentityProviderType`, which lacks `OKTA`, yet the same \
         property's description says \"IdP types of `OKTA`, `AgentlessDSSO`, and `IWA` don't require an ID\": an \
         IdP discovery rule routing to Okta names it so",
    ),
    (
        "PUT",
        "/api/v1/policies/{policyId}/rules/{ruleId}",
        "/actions/idp/providers/0/type",
        "",
        "as for the POST: an IdP discovery rule's provider may be `OKTA`",
    ),
];

/// The spec's request schemas, compiled on demand.
#[derive(Debug)]
pub struct RequestValidator {
    spec: Arc<Value>,
    validators: Validators,
}

impl RequestValidator {
    /// Reads the spec at `path` (once per process).
    pub fn load(path: &Path) -> Result<RequestValidator, String> {
        Ok(RequestValidator {
            spec: openapi::load(path)?,
            validators: Validators::default(),
        })
    }

    /// Checks the body of a `method` call of `path` (the request path, without its query). Calls the
    /// spec does not describe, or describes without a JSON body, pass: the router answers them.
    pub fn check(&self, method: &str, path: &str, body: &[u8]) -> Result<(), ApiError> {
        let Some((template, op)) = openapi::operation(&self.spec, method, path) else {
            return Ok(());
        };
        let Some((schema, required)) = openapi::request_body(&self.spec, op) else {
            return Ok(());
        };
        if body.iter().all(u8::is_ascii_whitespace) {
            return match required {
                true => Err(ApiError::MalformedBody {
                    cause: format!("{method} {template} needs a JSON body"),
                }),
                false => Ok(()),
            };
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| ApiError::MalformedBody {
            cause: format!("the body is not JSON: {e}"),
        })?;
        let validator = self
            .validators
            .get((Direction::Request, method, template), || {
                openapi::to_json_schema(&self.spec, schema, Direction::Request)
            })
            .map_err(|e| ApiError::validation("body", e))?;
        let mut problems: Vec<(String, String)> = validator
            .iter_errors(&value)
            .filter_map(|e| {
                let at = e.instance_path().to_string();
                let required = match e.kind() {
                    ValidationErrorKind::Required { property } => property.as_str().unwrap_or_default().to_string(),
                    _ => String::new(),
                };
                let forgiven = SPEC_EXCEPTIONS.iter().any(|(m, t, place, property, _)| {
                    m.eq_ignore_ascii_case(method) && *t == template && *place == at && *property == required
                });
                (!forgiven).then(|| cause(&at, e.kind(), &e.to_string()))
            })
            .collect();
        // A value checked by several `allOf` parts is reported once per part.
        problems.sort();
        problems.dedup();
        match problems.first() {
            None => Ok(()),
            Some((field, _)) => Err(ApiError::Validation {
                field: field.clone(),
                causes: problems.iter().map(|(_, c)| c.clone()).collect(),
            }),
        }
    }
}

/// (field, cause) for one problem, in Okta's `field: explanation` form.
fn cause(at: &str, kind: &ValidationErrorKind, message: &str) -> (String, String) {
    let field = dotted(at);
    match kind {
        ValidationErrorKind::Required { property } => {
            let property = property.as_str().unwrap_or_default();
            let field = if field.is_empty() {
                property.to_string()
            } else {
                format!("{field}.{property}")
            };
            let cause = format!("{field}: The field cannot be left blank");
            (field, cause)
        }
        ValidationErrorKind::FalseSchema => {
            let cause = format!("{field}: is read-only: Okta sets it, leave it out of the request");
            (field, cause)
        }
        _ => {
            let field = if field.is_empty() { "body".to_string() } else { field };
            let cause = format!("{field}: {message}");
            (field, cause)
        }
    }
}

/// `/settings/app/url` -> `settings.app.url`.
fn dotted(pointer: &str) -> String {
    pointer
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_dotted_fields() {
        assert_eq!(dotted("/settings/app/url"), "settings.app.url");
        assert_eq!(dotted(""), "");
        assert_eq!(dotted("/a~1b"), "a/b");
    }
}
