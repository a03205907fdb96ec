//! Okta Resource Names: `orn:<partition>:<service>:<org id>:<object type>[:<id>[:...]]`.

use std::ops::Range;

use crate::categories::{ORN_TYPES, OrnId};

/// What an ORN names, as byte ranges into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Orn {
    /// The org id segment.
    pub org: Range<usize>,
    /// The category and id of the object it names; `None` for every object of a kind (`...:users`) or an object
    /// type oktavault keeps no category for.
    pub object: Option<(&'static str, Range<usize>)>,
}

/// Okta's app ids start so; an ORN's lone segment after `apps` is an id only then (otherwise an OIN app name).
const APP_ID_PREFIX: &str = "0oa";

pub(crate) fn parse(value: &str) -> Option<Orn> {
    let mut segments = Vec::new();
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if c == ':' {
            segments.push(start..i);
            start = i + 1;
        }
    }
    segments.push(start..value.len());
    let text = |i: usize| segments.get(i).map(|r: &Range<usize>| &value[r.clone()]);
    if text(0) != Some("orn") || segments.len() < 5 {
        return None;
    }
    let (service, kind) = (text(2)?, text(4)?);
    let object = ORN_TYPES
        .iter()
        .find(|(s, k, _, _)| *s == service && *k == kind)
        .and_then(|(_, _, category, id_at)| {
            let rest = &segments[5..];
            let id = match (id_at, rest) {
                (OrnId::Next, [id, ..]) => Some(id.clone()),
                (OrnId::AfterAppName, [_, id, ..]) => Some(id.clone()),
                (OrnId::AfterAppName, [only]) if value[only.clone()].starts_with(APP_ID_PREFIX) => Some(only.clone()),
                _ => None,
            };
            id.filter(|r| !r.is_empty()).map(|r| (*category, r))
        });
    Some(Orn {
        org: segments[3].clone(),
        object,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(value: &str) -> Option<(&'static str, &str)> {
        parse(value)?.object.map(|(c, r)| (c, &value[r]))
    }

    #[test]
    fn groups_users_apps_and_servers_are_named() {
        assert_eq!(named("orn:okta:directory:00o1:groups:00g1"), Some(("groups", "00g1")));
        assert_eq!(
            named("orn:okta:directory:00o1:groups:00g1:contained_resources"),
            Some(("groups", "00g1"))
        );
        assert_eq!(named("orn:okta:directory:00o1:users:00u1"), Some(("users", "00u1")));
        assert_eq!(named("orn:okta:idp:00o1:apps:bookmark:0oa1"), Some(("apps", "0oa1")));
        assert_eq!(named("orn:okta:idp:00o1:apps:0oa2"), Some(("apps", "0oa2")));
        assert_eq!(
            named("orn:okta:idp:00o1:authorization_servers:aus1"),
            Some(("authorization_servers", "aus1"))
        );
    }

    #[test]
    fn whole_kinds_oin_app_names_and_unknown_types_name_no_object() {
        for value in [
            "orn:okta:directory:00o1:users",
            "orn:okta:idp:00o1:apps",
            "orn:okta:idp:00o1:apps:slack",
            "orn:okta:governance:00o1:bundles:0bb1",
        ] {
            let orn = parse(value).unwrap_or_else(|| panic!("{value} is an ORN"));
            assert_eq!(orn.object, None, "{value}");
            assert_eq!(&value[orn.org], "00o1");
        }
    }

    #[test]
    fn other_strings_are_not_orns() {
        for value in ["", "orn:okta:directory", "urn:okta:directory:00o1:groups:00g1", "00g1"] {
            assert_eq!(parse(value), None, "{value}");
        }
    }
}
