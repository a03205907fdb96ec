//! Cursor paging as Okta does it: `limit` + an opaque `after` cursor, and RFC 8288 `Link` headers
//! (`rel="self"`, and `rel="next"` while more results remain).
//!
//! A cursor names the last object of the page it ends (lists are sorted by id), so paging stays
//! correct while objects are added or deleted. It carries the list it belongs to and a keyed checksum:
//! a cursor from another list, or an edited one, is refused with a 400.

use aws_lc_rs::digest;
use axum::http::HeaderValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::errors::ApiError;
use crate::store::Record;

const CHECK_LEN: usize = 6;

/// Makes and reads cursors; `key` keeps clients from forging them.
#[derive(Debug, Clone)]
pub struct Cursors {
    key: [u8; 16],
}

impl Cursors {
    pub fn new(seed: u64) -> Cursors {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..].copy_from_slice(b"okta-sim");
        Cursors { key }
    }

    fn check(&self, payload: &[u8]) -> [u8; CHECK_LEN] {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(&self.key);
        ctx.update(payload);
        let d = ctx.finish();
        let mut out = [0u8; CHECK_LEN];
        out.copy_from_slice(&d.as_ref()[..CHECK_LEN]);
        out
    }

    /// The cursor that continues `list` after the object `last_id`.
    pub fn encode(&self, list: &str, last_id: &str) -> String {
        let mut payload = format!("{list}\n{last_id}").into_bytes();
        let check = self.check(&payload);
        payload.extend_from_slice(&check);
        URL_SAFE_NO_PAD.encode(payload)
    }

    /// The id a cursor continues after, if it is one of ours and belongs to `list`.
    pub fn decode(&self, list: &str, cursor: &str) -> Result<String, ApiError> {
        let refuse = || {
            ApiError::validation(
                "after",
                format!("after: `{cursor}` is not a valid cursor for this list"),
            )
        };
        let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refuse())?;
        if raw.len() <= CHECK_LEN {
            return Err(refuse());
        }
        let (payload, check) = raw.split_at(raw.len() - CHECK_LEN);
        if self.check(payload) != check {
            return Err(refuse());
        }
        let text = std::str::from_utf8(payload).map_err(|_| refuse())?;
        match text.split_once('\n') {
            Some((owner, id)) if owner == list => Ok(id.to_string()),
            _ => Err(refuse()),
        }
    }
}

/// The page size from `limit`: the endpoint's default when absent, capped at its maximum, at least `min`.
pub fn page_size(limit: Option<&str>, default: usize, min: usize, max: usize) -> Result<usize, ApiError> {
    let Some(text) = limit else { return Ok(default) };
    let value: i64 = text
        .trim()
        .parse()
        .map_err(|_| ApiError::validation("limit", format!("limit: `{text}` is not a number")))?;
    // Okta's apps list documents -1 as "no limit": that is the maximum page.
    if value < 0 {
        return Ok(max);
    }
    Ok((value as usize).clamp(min.max(1), max))
}

/// Takes up to `limit` matching records, and says whether any further record matches.
pub fn take_page<'a>(
    records: impl Iterator<Item = &'a Record>,
    limit: usize,
    keep: impl Fn(&Record) -> bool,
) -> (Vec<&'a Record>, bool) {
    let mut page = Vec::with_capacity(limit.min(1000));
    let mut rest = records;
    for record in rest.by_ref() {
        if keep(record) {
            page.push(record);
            if page.len() == limit {
                break;
            }
        }
    }
    let more = page.len() == limit && rest.any(keep);
    (page, more)
}

/// A JSON array of stored objects, written without re-serializing them.
pub fn json_array<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut body = String::from("[");
    for (i, item) in items.enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push(']');
    body
}

/// The absolute URL of a page: the request's query with `after` replaced by `next_after` (`None`:
/// the request itself, its own `after` kept).
pub fn page_url(base: &str, path: &str, query: &[(String, String)], next_after: Option<&str>) -> String {
    let mut url = url::Url::parse(&format!("{base}{path}")).expect("the simulator's base URL is valid");
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            if next_after.is_none() || k != "after" {
                pairs.append_pair(k, v);
            }
        }
        if let Some(a) = next_after {
            pairs.append_pair("after", a);
        }
    }
    let mut text = url.to_string();
    if text.ends_with('?') {
        text.pop();
    }
    text
}

/// The `Link` headers of a page: `self` is the request itself; `next` repeats its query with a new `after`.
pub fn link_headers(base: &str, path: &str, query: &[(String, String)], next_after: Option<&str>) -> Vec<HeaderValue> {
    let mut links = vec![format!("<{}>; rel=\"self\"", page_url(base, path, query, None))];
    if let Some(after) = next_after {
        links.push(format!("<{}>; rel=\"next\"", page_url(base, path, query, Some(after))));
    }
    links
        .into_iter()
        .filter_map(|l| HeaderValue::from_str(&l).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_tampering_or_other_lists() {
        let c = Cursors::new(5);
        let cursor = c.encode("users", "00uABC");
        assert!(!cursor.contains("00uABC"), "cursor must be opaque");
        assert_eq!(c.decode("users", &cursor).unwrap(), "00uABC");
        assert!(c.decode("groups", &cursor).is_err());
        assert!(c.decode("users", "00uABC").is_err());
        let mut bent = cursor.into_bytes();
        bent[2] ^= 1;
        assert!(c.decode("users", &String::from_utf8(bent).unwrap()).is_err());
    }

    #[test]
    fn page_size_applies_default_cap_and_refuses_garbage() {
        assert_eq!(page_size(None, 200, 1, 200).unwrap(), 200);
        assert_eq!(page_size(Some("5000"), 200, 1, 200).unwrap(), 200);
        assert_eq!(page_size(Some("3"), 20, 20, 200).unwrap(), 20);
        assert_eq!(page_size(Some("-1"), 200, 1, 200).unwrap(), 200);
        assert!(page_size(Some("ten"), 200, 1, 200).is_err());
    }

    #[test]
    fn next_link_keeps_the_query_and_replaces_after() {
        let q = vec![
            ("limit".to_string(), "2".to_string()),
            ("after".to_string(), "old".to_string()),
            ("filter".to_string(), "status eq \"A\"".to_string()),
        ];
        let links = link_headers("http://127.0.0.1:9", "/api/v1/users", &q, Some("new"));
        let next = links[1].to_str().unwrap();
        assert!(
            next.starts_with("<http://127.0.0.1:9/api/v1/users?limit=2&filter=status+eq+%22A%22&after=new>"),
            "{next}"
        );
        assert!(next.ends_with("rel=\"next\""));
    }
}
