//! A category's position inside a backup: which list pass (or which parent) and the opaque `next`
//! link Okta gave for it. Stored in the catalog after every page, so a crash resumes here.

use serde::{Deserialize, Serialize};

use crate::categories::{Category, Source};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The list pass (for lists) or the parent's index (for per-parent categories).
    pub position: usize,
    /// Okta's `next` link within that pass or parent; `None` starts it from its first page.
    pub next: Option<String>,
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
    /// What to fetch next, or `None` when the category is complete. `log_query` is the one query
    /// of a [`Source::Log`] category (its path with the job's time window).
    pub fn next_request(
        &self,
        category: &Category,
        parents: &[ParentQuery],
        log_query: Option<&str>,
    ) -> Option<NextRequest> {
        let (start, parent) = match category.source {
            Source::List { passes } => (passes.get(self.position)?.to_string(), None),
            Source::Log { .. } => {
                debug_assert!(log_query.is_some(), "{} needs its log query", category.name);
                (log_query.filter(|_| self.position == 0)?.to_string(), None)
            }
            Source::PerParent { .. } | Source::PerParentLink { .. } | Source::PerParentAndName { .. } => {
                let parent = parents.get(self.position)?;
                (parent.path.clone(), Some(parent.id.clone()))
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
        self.position += n;
        self.next = None;
    }

    /// Moves past a fetched page: to Okta's `next` link, or to the next pass or parent.
    pub fn advance(&mut self, next: Option<String>) {
        match next {
            Some(link) => self.next = Some(link),
            None => {
                self.position += 1;
                self.next = None;
            }
        }
    }
}

/// Puts a parent's id into a per-parent path: `{id}` is the whole id, `{0}`, `{1}`... its
/// `/`-separated parts (a parent listed per parent has an id like `<server>/<policy>`).
fn fill_parent(path: &str, parent: &str) -> String {
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
        let first = c.next_request(users, &[], None).unwrap();
        assert_eq!(first.url, "/api/v1/users");
        assert!(first.first_page);
        c.advance(Some("http://x/api/v1/users?after=abc".into()));
        let second = c.next_request(users, &[], None).unwrap();
        assert_eq!(second.url, "http://x/api/v1/users?after=abc");
        assert!(!second.first_page);
        c.advance(None);
        assert!(c.next_request(users, &[], None).unwrap().url.contains("DEPROVISIONED"));
        c.advance(None);
        assert_eq!(c.next_request(users, &[], None), None);
    }

    #[test]
    fn per_parent_lists_each_parent_in_turn() {
        let members = find("group_members").unwrap();
        let parents = vec![
            ParentQuery::filled("/api/v1/groups/{id}/users", "00g1"),
            ParentQuery::filled("/api/v1/groups/{id}/users", "00g2"),
        ];
        let mut c = Cursor::default();
        assert_eq!(
            c.next_request(members, &parents, None).unwrap().url,
            "/api/v1/groups/00g1/users"
        );
        c.advance(None);
        let r = c.next_request(members, &parents, None).unwrap();
        assert_eq!(
            (r.url.as_str(), r.parent.as_deref()),
            ("/api/v1/groups/00g2/users", Some("00g2"))
        );
        c.advance(None);
        assert_eq!(c.next_request(members, &parents, None), None);
    }

    #[test]
    fn a_log_category_makes_its_one_query_then_ends() {
        let log = find("system_log").unwrap();
        let mut c = Cursor::default();
        let first = c.next_request(log, &[], Some("/api/v1/logs?since=a")).unwrap();
        assert_eq!((first.url.as_str(), first.first_page), ("/api/v1/logs?since=a", true));
        c.advance(Some("http://x/api/v1/logs?after=1".into()));
        assert_eq!(
            c.next_request(log, &[], Some("/api/v1/logs?since=a")).unwrap().url,
            "http://x/api/v1/logs?after=1"
        );
        c.advance(None);
        assert_eq!(c.next_request(log, &[], Some("/api/v1/logs?since=a")), None);
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
