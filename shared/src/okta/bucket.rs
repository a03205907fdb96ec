//! Which Okta rate-limit bucket a request counts against.
//!
//! Okta picks a bucket by exact path template first, then the longest matching prefix. The buckets
//! that matter for reading an org (from the last published table, see okta/README.md):
//! `/api/v1/apps` and every `/api/v1/apps/*` sub-resource share one bucket while `/api/v1/apps/{id}`
//! alone is another; `/api/v1/groups` vs `/api/v1/groups/{id}` (and its sub-paths);
//! `/api/v1/users` list/create vs `GET /api/v1/users/{id}` vs writes to `/api/v1/users/{id}`;
//! `/api/v1/logs`, `/api/v1/events`, `/api/v1/devices`, `/oauth2/v1/clients`.
//!
//! For "everything else" this module keys on the first path segment (`/api/v1/policies`) rather
//! than one catch-all: each response reports the bucket Okta really used, so a finer key only ever
//! holds that bucket's own latest numbers, whereas one coarse key would mix several buckets'.

use std::fmt;

use reqwest::Method;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketKey(String);

impl BucketKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BucketKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The bucket for `method` on `path` (query ignored).
pub fn bucket_for(method: &Method, path: &str) -> BucketKey {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let key = match segments.as_slice() {
        ["api", "v1", "apps"] => "/api/v1/apps".to_owned(),
        ["api", "v1", "apps", _] => "/api/v1/apps/{id}".to_owned(),
        ["api", "v1", "apps", ..] => "/api/v1/apps".to_owned(),
        ["api", "v1", "groups"] => "/api/v1/groups".to_owned(),
        ["api", "v1", "groups", ..] => "/api/v1/groups/{id}".to_owned(),
        ["api", "v1", "users"] => "/api/v1/users".to_owned(),
        ["api", "v1", "users", ..] if *method == Method::GET => "GET /api/v1/users/{id}".to_owned(),
        ["api", "v1", "users", ..] => "write /api/v1/users/{id}".to_owned(),
        ["api", "v1", first, ..] => format!("/api/v1/{first}"),
        ["oauth2", "v1", first, ..] => format!("/oauth2/v1/{first}"),
        _ => "other".to_owned(),
    };
    BucketKey(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> String {
        bucket_for(&Method::GET, path).0
    }

    #[test]
    fn apps_sub_resources_share_the_apps_bucket_but_a_single_app_is_its_own() {
        assert_eq!(get("/api/v1/apps?limit=200"), "/api/v1/apps");
        assert_eq!(get("/api/v1/apps/0oa1/users"), "/api/v1/apps");
        assert_eq!(get("/api/v1/apps/0oa1/groups?limit=200"), "/api/v1/apps");
        assert_eq!(get("/api/v1/apps/0oa1"), "/api/v1/apps/{id}");
    }

    #[test]
    fn users_and_groups_split_list_from_single_objects() {
        assert_eq!(get("/api/v1/users?filter=status"), "/api/v1/users");
        assert_eq!(bucket_for(&Method::POST, "/api/v1/users").0, "/api/v1/users");
        assert_eq!(get("/api/v1/users/00u1"), "GET /api/v1/users/{id}");
        assert_eq!(
            bucket_for(&Method::PUT, "/api/v1/users/00u1").0,
            "write /api/v1/users/{id}"
        );
        assert_eq!(get("/api/v1/groups"), "/api/v1/groups");
        assert_eq!(get("/api/v1/groups/00g1"), "/api/v1/groups/{id}");
        assert_eq!(get("/api/v1/groups/00g1/users"), "/api/v1/groups/{id}");
    }

    #[test]
    fn other_endpoints_key_on_their_first_segment() {
        assert_eq!(get("/api/v1/logs?since=x"), "/api/v1/logs");
        assert_eq!(get("/api/v1/devices/guo1"), "/api/v1/devices");
        assert_eq!(get("/api/v1/policies/00p1/rules"), "/api/v1/policies");
        assert_eq!(get("/oauth2/v1/clients"), "/oauth2/v1/clients");
        assert_eq!(bucket_for(&Method::POST, "/oauth2/v1/token").0, "/oauth2/v1/token");
        assert_eq!(get("/.well-known/okta-organization"), "other");
    }
}
