//! HTTP handlers, one module per resource, and what they share: query and body parsing, and
//! answering a page of a list.

pub mod admin;
pub mod apps;
pub mod groups;
pub mod links;
pub mod privileges;
pub mod token;
pub mod users;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::errors::ApiError;
use crate::filter::{Expr, Rules};
use crate::paging::{json_array, link_headers, page_size, page_url, take_page};
use crate::server::Shared;
use crate::store::Record;

pub type Sim = State<Arc<Shared>>;

pub fn query_pairs(raw: Option<String>) -> Vec<(String, String)> {
    raw.map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A query flag such as `activate=false`; `default` when absent.
pub fn flag(pairs: &[(String, String)], key: &str, default: bool) -> bool {
    param(pairs, key)
        .map(|v| v.eq_ignore_ascii_case("true"))
        .unwrap_or(default)
}

pub fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| ApiError::MalformedBody {
        cause: format!("the body is not JSON: {e}"),
    })?;
    if !value.is_object() {
        return Err(ApiError::MalformedBody {
            cause: "the body must be a JSON object".into(),
        });
    }
    Ok(value)
}

/// A JSON answer whose text is already made (stored objects are kept as text).
pub fn json_text(status: StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        text,
    )
        .into_response()
}

pub fn json_value(value: &Value) -> Response {
    json_text(StatusCode::OK, value.to_string())
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The `filter=` or `search=` expression of a list call, if any.
pub fn list_expression(pairs: &[(String, String)], filter_rules: Rules) -> Result<Option<Expr>, ApiError> {
    if let Some(search) = param(pairs, "search") {
        return Expr::parse(search, Rules::Search)
            .map(Some)
            .map_err(|cause| ApiError::InvalidSearch { cause });
    }
    if let Some(filter) = param(pairs, "filter") {
        return Expr::parse(filter, filter_rules)
            .map(Some)
            .map_err(|cause| ApiError::InvalidSearch { cause });
    }
    Ok(None)
}

/// Page sizes of one list endpoint.
#[derive(Debug, Clone, Copy)]
pub struct PageSizes {
    pub default: usize,
    pub min: usize,
    pub max: usize,
}

/// One page of a list, in the order of `ids` (sorted), starting after the request's cursor.
pub struct ListCall<'a> {
    pub sim: &'a Shared,
    pub path: &'a str,
    pub pairs: &'a [(String, String)],
    /// Names the list in its cursors, so a cursor of one list is refused by another.
    pub list: String,
    pub sizes: PageSizes,
}

impl ListCall<'_> {
    /// Where the page starts: the id after which to continue, from the `after` cursor.
    pub fn after(&self) -> Result<Option<String>, ApiError> {
        param(self.pairs, "after")
            .map(|cursor| self.sim.cursors.decode(&self.list, cursor))
            .transpose()
    }

    pub fn limit(&self) -> Result<usize, ApiError> {
        page_size(
            param(self.pairs, "limit"),
            self.sizes.default,
            self.sizes.min,
            self.sizes.max,
        )
    }

    /// Answers with the page taken from `records` (already positioned after the cursor).
    pub fn respond<'r>(
        &self,
        records: impl Iterator<Item = &'r Record>,
        keep: impl Fn(&Record) -> bool,
        render: impl Fn(&Record) -> String,
    ) -> Result<Response, ApiError> {
        let (page, more) = take_page(records, self.limit()?, keep);
        let next = match (more, page.last()) {
            (true, Some(last)) => Some(self.sim.cursors.encode(&self.list, &last.id)),
            _ => None,
        };
        let rendered: Vec<String> = page.iter().map(|r| render(r)).collect();
        let body = json_array(rendered.iter().map(String::as_str));
        let mut response = json_text(StatusCode::OK, body);
        for link in link_headers(&self.sim.base, self.path, self.pairs, next.as_deref()) {
            response.headers_mut().append(header::LINK, link);
        }
        Ok(response)
    }
}

impl ListCall<'_> {
    /// Answers an IAM-style page: `{"<field>": [...], "_links": {...}}` with `links` and, while more
    /// remain, `next` (the request's query with a new `after`). No `Link` header: Okta's IAM lists
    /// page by the body.
    pub fn respond_wrapped<'r>(
        &self,
        field: &str,
        records: impl Iterator<Item = &'r Record>,
        keep: impl Fn(&Record) -> bool,
        links: Vec<(String, String)>,
    ) -> Result<Response, ApiError> {
        let (page, more) = take_page(records, self.limit()?, keep);
        let mut body_links = serde_json::Map::new();
        for (rel, href) in links {
            body_links.insert(rel, serde_json::json!({ "href": href }));
        }
        if let (true, Some(last)) = (more, page.last()) {
            let after = self.sim.cursors.encode(&self.list, &last.id);
            let href = page_url(&self.sim.base, self.path, self.pairs, Some(&after));
            body_links.insert("next".into(), serde_json::json!({ "href": href }));
        }
        let items = json_array(page.iter().map(|r| &*r.json));
        let body = format!(
            "{{{}:{items},\"_links\":{}}}",
            Value::from(field),
            Value::Object(body_links)
        );
        Ok(json_text(StatusCode::OK, body))
    }
}

/// Renders a stored record as stored.
pub fn as_stored(record: &Record) -> String {
    record.json.to_string()
}
