//! Faults injected into the calls of one path: the answer Okta gives a call it refuses for good (a 400, a 403
//! on one object, a 401 for a revoked token), or a list whose next link leads back to the page just read.
//! Tests use them to break one parent's listing while the rest of the org answers as usual, or, with a
//! method, one kind of write (`POST /api/v1/groups`) or the writes of one object (`PUT /api/v1/groups/00g1`)
//! while reads of it still answer.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A fault for the calls of one path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathFault {
    /// The request path, exactly (`/api/v1/groups/00g1/users`), without its query.
    pub path: String,
    /// Only calls with this method (`POST`, any case); calls with every method when `None`.
    #[serde(default)]
    pub method: Option<String>,
    pub answer: PathAnswer,
    /// The calls it applies to before it is spent; every call when `None`.
    pub times: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PathAnswer {
    /// An error answer in Okta's `Error` shape.
    Error { status: u16, code: String, summary: String },
    /// The handler's answer, with a `Link: rel="next"` back to the very page it answers.
    NextToSelf,
    /// Two pages linking to each other: the page without `loop=1` links to itself with it, and the page with
    /// it links back to the first.
    NextInCircle,
}

impl PathFault {
    /// Every call of `path` answered `status` with Okta's `code` and `summary`.
    pub fn error(path: impl Into<String>, status: u16, code: &str, summary: &str) -> PathFault {
        PathFault {
            path: path.into(),
            method: None,
            answer: PathAnswer::Error {
                status,
                code: code.into(),
                summary: summary.into(),
            },
            times: None,
        }
    }

    /// Every page of `path` links back to itself.
    pub fn next_to_self(path: impl Into<String>) -> PathFault {
        PathFault {
            path: path.into(),
            method: None,
            answer: PathAnswer::NextToSelf,
            times: None,
        }
    }

    /// Every page of `path` is one of two that link to each other.
    pub fn next_in_circle(path: impl Into<String>) -> PathFault {
        PathFault {
            path: path.into(),
            method: None,
            answer: PathAnswer::NextInCircle,
            times: None,
        }
    }

    /// Okta's refusal of a body it will not take (400 `E0000001`) for every `method` call of `path`: how a test
    /// fails the write of one object (`PUT /api/v1/groups/00g1`) or one kind of write (`POST /api/v1/groups`).
    pub fn refuse_write(method: &str, path: impl Into<String>) -> PathFault {
        PathFault::error(path, 400, "E0000001", "Api validation failed: injected by the test").method(method)
    }

    /// The same fault for `method` calls only (`POST`), so reads of the path still answer.
    pub fn method(mut self, method: &str) -> PathFault {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// The same fault for the first `n` calls only.
    pub fn times(mut self, n: u32) -> PathFault {
        self.times = Some(n);
        self
    }
}

/// The faults in force; each call takes the first that matches its path.
#[derive(Debug, Default)]
pub struct PathFaults {
    faults: Vec<PathFault>,
}

impl PathFaults {
    pub fn add(&mut self, fault: PathFault) {
        self.faults.push(fault);
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }

    /// The answer a `method` call of `path` gets, if a fault matches it (spending one of its calls).
    pub fn take(&mut self, method: &str, path: &str) -> Option<PathAnswer> {
        let index = self
            .faults
            .iter()
            .position(|f| f.path == path && f.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method)))?;
        let fault = &mut self.faults[index];
        let answer = fault.answer.clone();
        if let Some(left) = &mut fault.times {
            *left -= 1;
            if *left == 0 {
                self.faults.remove(index);
            }
        }
        Some(answer)
    }
}

/// Okta's error body for an injected refusal.
pub fn error_response(status: u16, code: &str, summary: &str) -> Response {
    let body = json!({
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oaesimpathfault",
        "errorCauses": [],
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(body)).into_response()
}

/// `response` with its next link replaced by one to `next`.
pub fn linking_to(mut response: Response, next: &str) -> Response {
    if let Ok(link) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")) {
        response.headers_mut().insert("link", link);
    }
    response
}

/// The other page of a circle of two (see [`PathAnswer::NextInCircle`]): `page` with `loop=1` added or removed.
pub fn other_in_circle(page: &str) -> String {
    match page.strip_suffix("&loop=1").or_else(|| page.strip_suffix("?loop=1")) {
        Some(first) => first.to_owned(),
        None if page.contains('?') => format!("{page}&loop=1"),
        None => format!("{page}?loop=1"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_for_n_calls_is_spent_after_them_and_others_stay() {
        let mut faults = PathFaults::default();
        faults.add(PathFault::error("/a", 400, "E0000001", "bad").times(2));
        faults.add(PathFault::next_to_self("/b"));
        assert!(faults.take("GET", "/c").is_none());
        assert!(matches!(
            faults.take("GET", "/a"),
            Some(PathAnswer::Error { status: 400, .. })
        ));
        assert!(faults.take("POST", "/a").is_some());
        assert!(faults.take("GET", "/a").is_none(), "spent after two calls");
        for _ in 0..3 {
            assert_eq!(faults.take("GET", "/b"), Some(PathAnswer::NextToSelf));
        }
        faults.clear();
        assert!(faults.take("GET", "/b").is_none());
    }

    #[test]
    fn a_fault_with_a_method_leaves_the_other_methods_alone() {
        let mut faults = PathFaults::default();
        faults.add(PathFault::refuse_write("post", "/api/v1/groups").times(1));
        assert!(
            faults.take("GET", "/api/v1/groups").is_none(),
            "reads of the path still answer"
        );
        assert!(faults.take("PUT", "/api/v1/groups").is_none());
        assert!(matches!(
            faults.take("POST", "/api/v1/groups"),
            Some(PathAnswer::Error { status: 400, ref code, .. }) if code == "E0000001"
        ));
        assert!(faults.take("POST", "/api/v1/groups").is_none(), "spent after one call");
    }

    #[test]
    fn a_circle_of_two_pages_links_back_and_forth() {
        let first = "http://x/api/v1/groups/g/users?limit=1000";
        let second = other_in_circle(first);
        assert_eq!(second, "http://x/api/v1/groups/g/users?limit=1000&loop=1");
        assert_eq!(other_in_circle(&second), first);
        assert_eq!(other_in_circle("http://x/p"), "http://x/p?loop=1");
    }
}
