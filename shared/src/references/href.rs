//! Management API URLs: `https://<org>/api/v1/<collection>/<id>[/...]`.

use std::ops::Range;

use crate::categories::HREF_COLLECTIONS;

/// What an href names, as byte ranges into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Href {
    /// `scheme://host[:port]`: the org's origin.
    pub origin: Range<usize>,
    /// The category and id of the object it names; `None` for a whole collection (`/api/v1/users`) or a path
    /// oktavault keeps no category for.
    pub object: Option<(&'static str, Range<usize>)>,
}

const API: &str = "/api/v1/";

pub(crate) fn parse(value: &str) -> Option<Href> {
    let scheme_end = value.find("://")?;
    let host_start = scheme_end + 3;
    let path_start = value[host_start..].find('/').map_or(value.len(), |i| host_start + i);
    if path_start == host_start {
        return None;
    }
    let origin = 0..path_start;
    let path_end = value[path_start..]
        .find(['?', '#'])
        .map_or(value.len(), |i| path_start + i);
    let path = &value[path_start..path_end];
    let Some(api_path) = path.strip_prefix(API) else {
        return Some(Href { origin, object: None });
    };
    let api_start = path_start + API.len();
    // The longest collection that the path starts with, segment by segment (`meta/types/user` before `meta`).
    let object = HREF_COLLECTIONS
        .iter()
        .filter(|(collection, _)| {
            api_path
                .strip_prefix(collection)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .max_by_key(|(collection, _)| collection.len())
        .and_then(|(collection, category)| {
            let id_start = api_start + collection.len() + 1;
            let id_end = value[id_start.min(path_end)..path_end]
                .find('/')
                .map_or(path_end, |i| id_start + i);
            (id_start < id_end).then_some((*category, id_start..id_end))
        });
    Some(Href { origin, object })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(value: &str) -> Option<(&'static str, &str)> {
        parse(value)?.object.map(|(c, r)| (c, &value[r]))
    }

    #[test]
    fn the_collection_names_the_category_and_the_next_segment_the_id() {
        assert_eq!(
            named("https://acme.okta.com/api/v1/users/00u1"),
            Some(("users", "00u1"))
        );
        assert_eq!(
            named("https://acme.okta.com/api/v1/groups/00g1/users"),
            Some(("groups", "00g1"))
        );
        assert_eq!(
            named("http://127.0.0.1:8080/api/v1/policies/00p1?expand=rules"),
            Some(("policies", "00p1"))
        );
        assert_eq!(
            named("https://a.okta.com/api/v1/meta/types/user/oty1"),
            Some(("user_types", "oty1"))
        );
        assert_eq!(
            named("https://a.okta.com/api/v1/iam/resource-sets/iam1"),
            Some(("resource_sets", "iam1"))
        );
    }

    #[test]
    fn collections_and_other_urls_name_no_object_but_keep_their_origin() {
        for value in [
            "https://acme.okta.com/api/v1/users",
            "https://acme.okta.com/api/v1/users/",
            "https://acme.okta.com/api/v1/usersx/00u1",
            "https://acme.okta.com/oauth2/v1/clients/0oa1",
        ] {
            let href = parse(value).unwrap_or_else(|| panic!("{value} is an href"));
            assert_eq!(href.object, None, "{value}");
            assert_eq!(&value[href.origin], "https://acme.okta.com");
        }
    }

    #[test]
    fn strings_without_an_origin_are_not_hrefs() {
        for value in ["", "00u1", "/api/v1/users/00u1", "https://"] {
            assert_eq!(parse(value), None, "{value}");
        }
    }
}
