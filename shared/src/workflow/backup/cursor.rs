//! A category's position inside a backup: which list pass (or which parent) and the opaque `next`
//! link Okta gave for it. Stored in the catalog after every page, so a crash resumes here.

use serde::{Deserialize, Serialize};

use super::parents::Parents;
use crate::categories::{Category, Source};
use crate::okta::url_fingerprint;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The list pass (for lists) or the parent's index (for per-parent categories).
    pub position: usize,
    /// Okta's `next` link within that pass or parent; `None` starts it from its first page.
    pub next: Option<String>,
    /// Fingerprints of the last next links followed in this pass or parent, to stop a list whose links
    /// come back to a page already read (kept short: a longer loop still ends at [`MAX_PAGES_PER_PART`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub followed: Vec<u64>,
    /// Pages read in this pass or parent.
    #[serde(default)]
    pub pages_here: u64,
    /// Whether any parent's list was read yet, and Okta's refusal of the first parent if it refused it: a
    /// refusal of the first two parents alike means the category is not available, one refusal is that
    /// parent's error (see `page.rs`).
    #[serde(default)]
    pub listed_any: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_refusal: Option<String>,
    /// Children of the parent at `position` carried from the previous snapshot by earlier pages: a parent with
    /// more children than one page carries (the Everyone group's members) goes on in the next page from here.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub carried: usize,
    /// For a list read by change, once its query is read: the last id of the previous snapshot's objects walked
    /// to carry the unchanged ones (see `changed.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried_after: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Next links remembered per pass or parent for loop detection.
const FOLLOWED_KEPT: usize = 16;
/// No pass or parent of Okta's has more pages than this (10 million users at 200 a page is 50,000): more means
/// links that never end.
pub const MAX_PAGES_PER_PART: u64 = 100_000;

/// A list whose next links do not end: the pass or parent is given up, and recorded as incomplete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndlessList {
    #[error("Okta's next link {0} leads back to a page already read; the rest of this list was not read")]
    Loop(String),
    #[error("the list went on past {MAX_PAGES_PER_PART} pages; the rest of it was not read")]
    TooLong,
}

/// A parent of a per-parent category, and the path its children are listed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentQuery {
    pub id: String,
    pub path: String,
}

impl ParentQuery {
    /// The query of a [`Source::PerParent`] row: the row's path with the parent's id put in.
    pub fn filled(path: &str, id: &str) -> Self {
        Self {
            id: id.to_owned(),
            path: fill_parent(path, id),
        }
    }
}

/// The request for the next page: a path (first page, `limit` to add) or an opaque `next` link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextRequest {
    pub url: String,
    pub first_page: bool,
    /// The parent the page lists children of.
    pub parent: Option<String>,
}

impl Cursor {
    /// What to fetch next, or `None` when the category's listing is complete. `query` is the one query of a
    /// [`Source::Log`] category (its path with the job's time window), or of a list read by change (the objects
    /// changed since the previous snapshot), in place of the row's passes.
    pub fn next_request(
        &self,
        category: &Category,
        parents: Option<&Parents>,
        query: Option<&str>,
    ) -> Option<NextRequest> {
        let (start, parent) = match category.source {
            Source::List { .. } | Source::Log { .. } if query.is_some() => {
                (query.filter(|_| self.position == 0)?.to_string(), None)
            }
            Source::List { passes } => (passes.get(self.position)?.to_string(), None),
            Source::Log { .. } => {
                debug_assert!(query.is_some(), "{} needs its log query", category.name);
                return None;
            }
            Source::PerParent { .. } | Source::PerParentLink { .. } | Source::PerParentAndName { .. } => {
                let parent = parents?.query(self.position)?;
                (parent.path, Some(parent.id))
            }
        };
        Some(match &self.next {
            Some(next) => NextRequest {
                url: next.clone(),
                first_page: false,
                parent,
            },
            None => NextRequest {
                url: start,
                first_page: true,
                parent,
            },
        })
    }

    /// Moves past `n` parents whose children were carried without a call.
    pub fn skip_parents(&mut self, n: usize) {
        self.start_part(self.position + n);
    }

    /// Moves past a fetched page: to Okta's `next` link, or to the next pass or parent. A link that leads
    /// back to a page already read, or a list past [`MAX_PAGES_PER_PART`], ends the pass or parent and says so.
    pub fn advance(&mut self, next: Option<String>) -> Result<(), EndlessList> {
        let Some(link) = next else {
            self.next_part();
            return Ok(());
        };
        let print = url_fingerprint(&link);
        if self.followed.contains(&print) {
            self.next_part();
            return Err(EndlessList::Loop(link));
        }
        if self.pages_here + 1 >= MAX_PAGES_PER_PART {
            self.next_part();
            return Err(EndlessList::TooLong);
        }
        if self.followed.len() == FOLLOWED_KEPT {
            self.followed.remove(0);
        }
        self.followed.push(print);
        self.pages_here += 1;
        self.next = Some(link);
        Ok(())
    }

    fn next_part(&mut self) {
        self.start_part(self.position + 1);
    }

    /// Starts pass or parent `position` from its first page.
    fn start_part(&mut self, position: usize) {
        self.position = position;
        self.carried = 0;
        self.next = None;
        self.followed.clear();
        self.pages_here = 0;
    }
}

/// Puts a parent's id into a per-parent path: `{id}` is the whole id, `{0}`, `{1}`... its
/// `/`-separated parts (a parent listed per parent has an id like `<server>/<policy>`).
pub(crate) fn fill_parent(path: &str, parent: &str) -> String {
    let mut filled = path.replace("{id}", parent);
    for (i, part) in parent.split('/').enumerate() {
        filled = filled.replace(&format!("{{{i}}}"), part);
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::find;

    #[test]
    fn user_list_walks_both_passes_then_ends() {
        let users = find("users").unwrap();
        let mut c = Cursor::default();
        let first = c.next_request(users, None, None).unwrap();
        assert_eq!(first.url, "/api/v1/users");
        assert!(first.first_page);
        c.advance(Some("http://x/api/v1/users?after=abc".into())).unwrap();
        let second = c.next_request(users, None, None).unwrap();
        assert_eq!(second.url, "http://x/api/v1/users?after=abc");
        assert!(!second.first_page);
        c.advance(None).unwrap();
        assert!(c.next_request(users, None, None).unwrap().url.contains("DEPROVISIONED"));
        c.advance(None).unwrap();
        assert_eq!(c.next_request(users, None, None), None);
    }

    #[test]
    fn per_parent_lists_each_parent_in_turn() {
        let members = find("group_members").unwrap();
        let parents = Parents::of(members, &["00g1", "00g2"]);
        let parents = Some(&parents);
        let mut c = Cursor::default();
        assert_eq!(
            c.next_request(members, parents, None).unwrap().url,
            "/api/v1/groups/00g1/users"
        );
        c.advance(None).unwrap();
        let r = c.next_request(members, parents, None).unwrap();
        assert_eq!(
            (r.url.as_str(), r.parent.as_deref()),
            ("/api/v1/groups/00g2/users", Some("00g2"))
        );
        c.advance(None).unwrap();
        assert_eq!(c.next_request(members, parents, None), None);
    }

    #[test]
    fn a_log_category_makes_its_one_query_then_ends() {
        let log = find("system_log").unwrap();
        let mut c = Cursor::default();
        let first = c.next_request(log, None, Some("/api/v1/logs?since=a")).unwrap();
        assert_eq!((first.url.as_str(), first.first_page), ("/api/v1/logs?since=a", true));
        c.advance(Some("http://x/api/v1/logs?after=1".into())).unwrap();
        assert_eq!(
            c.next_request(log, None, Some("/api/v1/logs?since=a")).unwrap().url,
            "http://x/api/v1/logs?after=1"
        );
        c.advance(None).unwrap();
        assert_eq!(c.next_request(log, None, Some("/api/v1/logs?since=a")), None);
    }

    #[test]
    fn a_next_link_that_leads_back_to_a_page_already_read_ends_the_list_with_an_error() {
        let mut c = Cursor::default();
        c.advance(Some("http://x/api/v1/users?after=a".into())).unwrap();
        c.advance(Some("http://x/api/v1/users?after=b".into())).unwrap();
        let err = c.advance(Some("http://x/api/v1/users?after=a".into())).unwrap_err();
        assert!(
            matches!(err, EndlessList::Loop(ref l) if l.ends_with("after=a")),
            "{err}"
        );
        assert_eq!(
            (c.position, c.next.as_deref(), c.followed.len()),
            (1, None, 0),
            "the pass is given up"
        );
        // The next pass starts afresh: the same link there is a first visit.
        c.advance(Some("http://x/api/v1/users?after=a".into())).unwrap();
    }

    #[test]
    fn a_list_that_never_ends_stops_at_the_page_limit() {
        let mut c = Cursor {
            pages_here: MAX_PAGES_PER_PART - 2,
            ..Cursor::default()
        };
        c.advance(Some("http://x/p?after=1".into())).unwrap();
        assert_eq!(c.advance(Some("http://x/p?after=2".into())), Err(EndlessList::TooLong));
        assert_eq!(c.position, 1);
    }

    #[test]
    fn skipping_carried_parents_moves_past_exactly_those_parents() {
        let mut c = Cursor::default();
        c.advance(Some("http://x/p?after=1".into())).unwrap();
        c.skip_parents(3);
        assert_eq!((c.position, c.next.as_deref(), c.pages_here), (3, None, 0));
        c.skip_parents(1);
        assert_eq!(c.position, 4);
    }

    #[test]
    fn a_nested_parent_fills_each_part_of_its_id() {
        assert_eq!(
            fill_parent("/api/v1/authorizationServers/{0}/policies/{1}/rules", "aus1/00p2"),
            "/api/v1/authorizationServers/aus1/policies/00p2/rules"
        );
        assert_eq!(
            fill_parent("/api/v1/groups/{id}/users", "00g1"),
            "/api/v1/groups/00g1/users"
        );
    }
}
