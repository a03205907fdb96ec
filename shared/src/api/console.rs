//! The web console's static files (`console/dist`, committed and embedded by `build.rs`), served outside `/v1` by
//! the same router on both hosts: `oktavault serve` and the `api` Lambda (from the API's own domain). Hashed files
//! under `/assets/` are cached for good; `index.html` is revalidated, so a new binary's console is picked up at
//! once. A console path that names no file (`/orgs`, `/jobs/JOB`) answers `index.html`: the page routes itself.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Response, StatusCode, Uri, header};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));
}

const INDEX: &str = "/index.html";

/// The embedded file at `path` (`/assets/app-HASH.js`), if any.
pub fn asset(path: &str) -> Option<&'static [u8]> {
    embedded::ASSETS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

/// Every embedded file's path, for tests and the staleness check.
pub fn asset_paths() -> impl Iterator<Item = &'static str> {
    embedded::ASSETS.iter().map(|(p, _)| *p)
}

/// Whether the console answers `method path` (a GET or HEAD outside the API's `/v1`).
pub fn serves(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD) && path != "/v1" && !path.starts_with("/v1/")
}

/// The console's answer to a GET outside `/v1`: the file, `index.html` for a console route, or `None` for a path
/// that looks like a missing file (it has an extension), which the caller answers with a 404.
pub fn respond(uri: &Uri) -> Option<Response<Body>> {
    let path = uri.path();
    if let Some(bytes) = asset(path).filter(|_| path != "/") {
        let cache = if path.starts_with("/assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return Some(file(bytes, content_type(path), cache));
    }
    let last = path.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return None;
    }
    asset(INDEX).map(|bytes| file(bytes, "text/html; charset=utf-8", "no-cache"))
}

fn file(bytes: &'static [u8], content_type: &'static str, cache: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Everything the page loads is its own: no inline script, no other origin.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self' https:; frame-ancestors 'none'",
        ),
    );
    response
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_answers_its_files_and_its_routes_but_not_the_api_or_missing_files() {
        let index = respond(&Uri::from_static("/")).expect("index.html is embedded");
        assert_eq!(index.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(index.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(respond(&Uri::from_static("/jobs/job-1")).is_some());
        let script = asset_paths()
            .find(|p| p.ends_with(".js"))
            .expect("a script is embedded");
        let answer = respond(&script.parse().unwrap()).unwrap();
        assert_eq!(answer.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        assert!(
            answer.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert!(respond(&Uri::from_static("/assets/missing.js")).is_none());
        assert!(!serves(&Method::GET, "/v1/jobs"));
        assert!(!serves(&Method::POST, "/orgs"));
        assert!(serves(&Method::GET, "/orgs"));
    }
}
