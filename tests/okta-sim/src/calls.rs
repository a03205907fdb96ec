//! Counting API calls per endpoint template ("GET /api/v1/groups/{id}/users"), which is how tests and
//! benchmarks compare the calls a backup made with the minimum it needs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Calls received per endpoint template, including refused ones (401, 429, injected faults).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallCounts {
    pub by_endpoint: BTreeMap<String, u64>,
}

impl CallCounts {
    /// Calls to one endpoint, e.g. `get("GET /api/v1/users")`; 0 when never called.
    pub fn get(&self, endpoint: &str) -> u64 {
        self.by_endpoint.get(endpoint).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.by_endpoint.values().sum()
    }

    pub fn record(&mut self, endpoint: String) {
        *self.by_endpoint.entry(endpoint).or_insert(0) += 1;
    }
}

/// Path segments after which the next segment is an object id.
const COLLECTIONS: &[(&str, &str)] = &[("users", "{userId}"), ("groups", "{groupId}"), ("apps", "{appId}")];
/// Hand-written routes with parameters the rules below would not see, as the spec writes them.
const SPEC_TEMPLATES: &[&str] =
    &["/api/v1/users/{userIdOrLogin}/linkedObjects/{primaryRelationshipName}/{primaryUserId}"];

/// Whether `path` is `template` with its `{parameters}` filled in.
fn fills(template: &str, path: &str) -> bool {
    let want: Vec<&str> = template.split('/').collect();
    let got: Vec<&str> = path.split('/').collect();
    want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| w.starts_with('{') || w == g)
}

/// Words that follow a collection name but are not ids.
const NOT_IDS: &[&str] = &["rules", "me"];

/// The endpoint template of a request path: ids become `{id}` (the first) or `{userId}`, `{groupId}`,
/// `{appId}` (later ones), matching the route templates the simulator serves.
pub fn endpoint_template(path: &str) -> String {
    // Generic resources name their routes as the spec does.
    if let Some((_, template)) = crate::resources::template_of(path) {
        return template.to_string();
    }
    if let Some(template) = crate::resources::write_template_of(path) {
        return template.to_string();
    }
    if let Some(template) = SPEC_TEMPLATES.iter().find(|t| fills(t, path)) {
        return template.to_string();
    }
    let mut out = String::with_capacity(path.len());
    let mut previous = "";
    let mut placeholders = 0;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        let placeholder = COLLECTIONS.iter().find(|(name, _)| *name == previous).map(|(_, p)| *p);
        match placeholder {
            Some(named) if !NOT_IDS.contains(&segment) && path.starts_with("/api/") => {
                out.push_str(if placeholders == 0 { "{id}" } else { named });
                placeholders += 1;
            }
            _ => out.push_str(segment),
        }
        previous = segment;
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_the_route_names() {
        assert_eq!(endpoint_template("/api/v1/users"), "/api/v1/users");
        assert_eq!(
            endpoint_template("/api/v1/users/00u1/lifecycle/deactivate"),
            "/api/v1/users/{id}/lifecycle/deactivate"
        );
        assert_eq!(
            endpoint_template("/api/v1/groups/00g1/users"),
            "/api/v1/groups/{id}/users"
        );
        assert_eq!(
            endpoint_template("/api/v1/groups/00g1/users/00u2"),
            "/api/v1/groups/{id}/users/{userId}"
        );
        assert_eq!(
            endpoint_template("/api/v1/apps/0oa1/groups/00g2"),
            "/api/v1/apps/{id}/groups/{groupId}"
        );
        assert_eq!(endpoint_template("/api/v1/groups/rules"), "/api/v1/groups/rules");
        assert_eq!(
            endpoint_template("/api/v1/users/00u1/linkedObjects/manager/00u2"),
            "/api/v1/users/{userIdOrLogin}/linkedObjects/{primaryRelationshipName}/{primaryUserId}"
        );
        assert_eq!(endpoint_template("/oauth2/v1/token"), "/oauth2/v1/token");
        assert_eq!(
            endpoint_template("/api/v1/policies/00p1/rules"),
            "/api/v1/policies/{policyId}/rules"
        );
        assert_eq!(
            endpoint_template("/api/v1/groups/00g1/owners"),
            "/api/v1/groups/{groupId}/owners"
        );
    }
}
