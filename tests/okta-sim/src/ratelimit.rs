//! Okta's org-wide rate limits: per-bucket request counts over windows that start with the first
//! request, not on the minute. Limits are the Enterprise column of Okta's last published table
//! (`okta/README.md`), multiplied by `RateConfig::scale`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::clock::wall_clock_ms;
use crate::config::RateConfig;

/// A rate-limit bucket and its per-window limit before scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub name: &'static str,
    pub base_limit: u64,
}

/// The bucket of a call, from its method and endpoint template (exact match, then longest prefix).
pub fn bucket_for(method: &str, template: &str) -> Bucket {
    if let Some(resource) = crate::resources::by_template(template) {
        // A user's sub-resources (roles, factors) are read in the user GET bucket, changed in the
        // user write bucket.
        if resource.bucket == USER_GET && method != "GET" {
            return USER_WRITE;
        }
        return resource.bucket;
    }
    let b = Bucket::new;
    match template {
        "/api/v1/apps/{id}" => b("/api/v1/apps/{id}", 600),
        t if t == "/api/v1/apps" || t.starts_with("/api/v1/apps/") => APPS,
        "/api/v1/groups" => b("/api/v1/groups", 600),
        t if t.starts_with("/api/v1/groups/") => GROUP_ITEM,
        "/api/v1/users" => b("/api/v1/users", 600),
        t if t.starts_with("/api/v1/users/") && method == "GET" => USER_GET,
        t if t.starts_with("/api/v1/users/") => USER_WRITE,
        t if t.starts_with("/api/v1/logs") => b("/api/v1/logs", 50),
        // Not in the management table; the simulator gives the token endpoint its own bucket.
        "/oauth2/v1/token" => b("/oauth2/v1/token", 600),
        _ => OTHER_API,
    }
}

impl Bucket {
    pub const fn new(name: &'static str, base_limit: u64) -> Self {
        Self { name, base_limit }
    }
}

/// The bucket of every `/api/v1` endpoint without a bucket of its own.
pub const OTHER_API: Bucket = Bucket::new("/api/v1", 600);
/// `/api/v1/apps` and every app sub-resource (users, groups, grants, keys...) share one bucket.
pub const APPS: Bucket = Bucket::new("/api/v1/apps", 100);
/// `GET /api/v1/users/{idOrLogin}` and, by longest prefix, the GETs under it (roles, factors).
pub const USER_GET: Bucket = Bucket::new("GET /api/v1/users/{idOrLogin}", 1000);
/// `POST`/`PUT`/`DELETE /api/v1/users/{id}` and the changes under it.
pub const USER_WRITE: Bucket = Bucket::new("/api/v1/users/{id}", 600);
/// `/api/v1/groups/{id}` and the calls under it (owners, roles...): the nearest configured bucket.
pub const GROUP_ITEM: Bucket = Bucket::new("/api/v1/groups/{id}", 600);

/// What the rate-limit headers say for one call, and whether it may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub limit: u64,
    pub remaining: u64,
    /// Unix epoch seconds when the bucket's window ends (`X-Rate-Limit-Reset`).
    pub reset_epoch: u64,
    pub allowed: bool,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    reset_epoch: u64,
    used: u64,
}

#[derive(Debug)]
pub struct RateLimiter {
    config: RateConfig,
    windows: HashMap<&'static str, Window>,
}

impl RateLimiter {
    pub fn new(config: RateConfig) -> RateLimiter {
        RateLimiter {
            config,
            windows: HashMap::new(),
        }
    }

    pub fn limit_of(&self, bucket: Bucket) -> u64 {
        ((bucket.base_limit as f64 * self.config.scale).ceil() as u64).max(1)
    }

    /// Counts one call against `bucket`, unless the bucket is already used up.
    pub fn admit(&mut self, bucket: Bucket) -> Verdict {
        let limit = self.limit_of(bucket);
        let window_len = Duration::from_secs(self.config.window_secs.max(1));
        let now = Instant::now();
        let window = self
            .windows
            .entry(bucket.name)
            .or_insert_with(|| new_window(now, window_len));
        if now.duration_since(window.started) >= window_len {
            *window = new_window(now, window_len);
        }
        let allowed = !self.config.enabled || window.used < limit;
        if allowed {
            window.used += 1;
        }
        Verdict {
            limit,
            remaining: limit.saturating_sub(window.used),
            reset_epoch: window.reset_epoch,
            allowed,
        }
    }

    /// The headers for a refused call that does not count (a 429 storm): nothing left until the reset.
    pub fn exhausted(&mut self, bucket: Bucket) -> Verdict {
        let mut verdict = self.peek(bucket);
        verdict.remaining = 0;
        verdict.allowed = false;
        verdict
    }

    fn peek(&mut self, bucket: Bucket) -> Verdict {
        let limit = self.limit_of(bucket);
        let window_len = Duration::from_secs(self.config.window_secs.max(1));
        let now = Instant::now();
        let window = self
            .windows
            .entry(bucket.name)
            .or_insert_with(|| new_window(now, window_len));
        Verdict {
            limit,
            remaining: limit.saturating_sub(window.used),
            reset_epoch: window.reset_epoch,
            allowed: true,
        }
    }
}

fn new_window(now: Instant, len: Duration) -> Window {
    let end_ms = wall_clock_ms() as u64 + len.as_millis() as u64;
    Window {
        started: now,
        reset_epoch: end_ms.div_ceil(1000),
        used: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_okta_table() {
        assert_eq!(bucket_for("GET", "/api/v1/apps/{id}/users").base_limit, 100);
        assert_eq!(bucket_for("GET", "/api/v1/apps/{id}").base_limit, 600);
        assert_eq!(bucket_for("GET", "/api/v1/users/{id}").base_limit, 1000);
        assert_eq!(bucket_for("POST", "/api/v1/users/{id}").name, "/api/v1/users/{id}");
        assert_eq!(
            bucket_for("GET", "/api/v1/groups/{id}/users").name,
            "/api/v1/groups/{id}"
        );
        assert_eq!(bucket_for("GET", "/api/v1/logs").base_limit, 50);
    }

    /// Every write a restore of users, groups, apps and their relationships makes, with the bucket Okta's table
    /// puts it in (Enterprise column, okta/README.md), from the request path as the simulator templates it.
    #[test]
    fn restore_writes_count_in_okta_write_buckets() {
        let cases = [
            ("POST", "/api/v1/users", "/api/v1/users", 600),
            ("POST", "/api/v1/users/00u1", "/api/v1/users/{id}", 600),
            ("PUT", "/api/v1/users/00u1", "/api/v1/users/{id}", 600),
            (
                "POST",
                "/api/v1/users/00u1/lifecycle/activate",
                "/api/v1/users/{id}",
                600,
            ),
            ("POST", "/api/v1/users/00u1/roles", "/api/v1/users/{id}", 600),
            ("POST", "/api/v1/groups", "/api/v1/groups", 600),
            ("PUT", "/api/v1/groups/00g1", "/api/v1/groups/{id}", 600),
            ("PUT", "/api/v1/groups/00g1/users/00u1", "/api/v1/groups/{id}", 600),
            ("POST", "/api/v1/apps", "/api/v1/apps", 100),
            ("PUT", "/api/v1/apps/0oa1", "/api/v1/apps/{id}", 600),
            ("DELETE", "/api/v1/apps/0oa1", "/api/v1/apps/{id}", 600),
            ("POST", "/api/v1/apps/0oa1/lifecycle/activate", "/api/v1/apps", 100),
            ("POST", "/api/v1/apps/0oa1/users", "/api/v1/apps", 100),
            ("POST", "/api/v1/apps/0oa1/users/00u1", "/api/v1/apps", 100),
            ("PUT", "/api/v1/apps/0oa1/groups/00g1", "/api/v1/apps", 100),
            ("PUT", "/api/v1/apps/0oa1/policies/rst1", "/api/v1/apps", 100),
            ("POST", "/api/v1/zones", "/api/v1", 600),
        ];
        for (method, path, bucket, limit) in cases {
            let template = crate::calls::endpoint_template(path);
            let found = bucket_for(method, &template);
            assert_eq!(
                (found.name, found.base_limit),
                (bucket, limit),
                "{method} {path} (template {template})"
            );
        }
    }

    #[test]
    fn scaled_limit_runs_out_and_comes_back_after_the_window() {
        let mut rl = RateLimiter::new(RateConfig {
            window_secs: 1,
            scale: 0.005,
            enabled: true,
        });
        let bucket = bucket_for("GET", "/api/v1/users");
        let first = rl.admit(bucket);
        assert_eq!((first.limit, first.remaining, first.allowed), (3, 2, true));
        rl.admit(bucket);
        rl.admit(bucket);
        assert!(!rl.admit(bucket).allowed);
        std::thread::sleep(Duration::from_millis(1050));
        assert!(rl.admit(bucket).allowed);
    }
}
