//! The category catalog: one declarative row per kind of Okta data.
//!
//! Backup reads this table (and later restore, download, search and the simulator's contract
//! test). Adding a category is adding a row here, not writing a new code path. Paths and page
//! sizes follow `../shared/okta/CATALOG.md`, read off Okta's management API spec.

use serde::Serialize;

/// How a category's objects are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Source {
    /// One or more list queries, each paged by `Link: rel="next"` and concatenated. Several
    /// passes exist where one query cannot return everything (a plain user list omits
    /// DEPROVISIONED users, so users are listed twice).
    List { passes: &'static [&'static str] },
    /// One list per object of `parent` (`{id}` in `path` is the parent's id), paged the same way.
    PerParent { parent: &'static str, path: &'static str },
}

/// What is kept of each listed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Keep {
    /// The item as Okta returned it; its id is the item's `id`.
    Whole,
    /// The item with the parent's id added under `parent_field`; its id is `<parent>/<item id>`.
    WithParent { parent_field: &'static str },
    /// Only the edge `{parent_field: parent id, child_field: item id}`; its id is
    /// `<parent>/<item id>`. For memberships, whose listed item is a whole user kept elsewhere.
    Edge {
        parent_field: &'static str,
        child_field: &'static str,
    },
}

/// An id inside an object that points at an object of another category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// A dotted path into the stored object (`type.id`, `groupId`).
    pub field: &'static str,
    pub category: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Stable name, used in manifests, blob keys and the command line.
    pub name: &'static str,
    /// For a person.
    pub title: &'static str,
    /// The read scope an OAuth service app needs for it.
    pub scope: &'static str,
    pub source: Source,
    /// The largest page size the endpoint allows (sent as `limit`).
    pub page_limit: u32,
    pub keep: Keep,
    /// The field holding the object's Okta modification time, when it has one.
    pub last_updated_field: Option<&'static str>,
    pub references: &'static [Reference],
    /// Fields Okta sets itself, removed before a create or replace.
    pub strip_on_restore: &'static [&'static str],
    /// Download-only categories (secrets unreadable, or no create API) are never restored.
    pub restorable: bool,
}

const OKTA_MANAGED: &[&str] = &["id", "_links", "_embedded", "created", "lastUpdated", "status"];

/// Every category, parents before the categories listed per parent.
pub const CATEGORIES: &[Category] = &[
    Category {
        name: "users",
        title: "Users",
        scope: "okta.users.read",
        // A plain list omits DEPROVISIONED users; a status filter is the documented way to get them.
        source: Source::List {
            passes: &[
                "/api/v1/users",
                "/api/v1/users?filter=status%20eq%20%22DEPROVISIONED%22",
            ],
        },
        page_limit: 200,
        keep: Keep::Whole,
        last_updated_field: Some("lastUpdated"),
        references: &[],
        strip_on_restore: &[
            "id",
            "_links",
            "_embedded",
            "created",
            "lastUpdated",
            "status",
            "activated",
            "statusChanged",
            "lastLogin",
            "passwordChanged",
            "transitioningToStatus",
        ],
        restorable: true,
    },
    Category {
        name: "groups",
        title: "Groups",
        scope: "okta.groups.read",
        source: Source::List {
            passes: &["/api/v1/groups"],
        },
        page_limit: 10000,
        keep: Keep::Whole,
        last_updated_field: Some("lastUpdated"),
        references: &[],
        strip_on_restore: &[
            "id",
            "_links",
            "_embedded",
            "created",
            "lastUpdated",
            "lastMembershipUpdated",
            "objectClass",
            "type",
        ],
        restorable: true,
    },
    Category {
        name: "group_members",
        title: "Group memberships",
        scope: "okta.groups.read",
        source: Source::PerParent {
            parent: "groups",
            path: "/api/v1/groups/{id}/users",
        },
        page_limit: 1000,
        keep: Keep::Edge {
            parent_field: "groupId",
            child_field: "userId",
        },
        last_updated_field: None,
        references: &[
            Reference {
                field: "groupId",
                category: "groups",
            },
            Reference {
                field: "userId",
                category: "users",
            },
        ],
        strip_on_restore: &[],
        restorable: true,
    },
    Category {
        name: "apps",
        title: "Applications",
        scope: "okta.apps.read",
        source: Source::List {
            passes: &["/api/v1/apps"],
        },
        page_limit: 200,
        keep: Keep::Whole,
        last_updated_field: Some("lastUpdated"),
        references: &[],
        strip_on_restore: OKTA_MANAGED,
        restorable: true,
    },
    Category {
        name: "app_users",
        title: "Application user assignments",
        scope: "okta.apps.read",
        source: Source::PerParent {
            parent: "apps",
            path: "/api/v1/apps/{id}/users",
        },
        page_limit: 500,
        keep: Keep::WithParent { parent_field: "appId" },
        last_updated_field: Some("lastUpdated"),
        references: &[
            Reference {
                field: "appId",
                category: "apps",
            },
            Reference {
                field: "id",
                category: "users",
            },
        ],
        strip_on_restore: &[
            "_links",
            "_embedded",
            "created",
            "lastUpdated",
            "status",
            "statusChanged",
            "syncState",
            "lastSync",
            "passwordChanged",
        ],
        restorable: true,
    },
    Category {
        name: "app_groups",
        title: "Application group assignments",
        scope: "okta.apps.read",
        source: Source::PerParent {
            parent: "apps",
            path: "/api/v1/apps/{id}/groups",
        },
        page_limit: 200,
        keep: Keep::WithParent { parent_field: "appId" },
        last_updated_field: Some("lastUpdated"),
        references: &[
            Reference {
                field: "appId",
                category: "apps",
            },
            Reference {
                field: "id",
                category: "groups",
            },
        ],
        strip_on_restore: &["_links", "_embedded", "lastUpdated"],
        restorable: true,
    },
];

/// The row named `name`.
pub fn find(name: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.name == name)
}

impl Category {
    /// The category this one is listed under, if it is listed per parent.
    pub fn parent(&self) -> Option<&'static Category> {
        match self.source {
            Source::PerParent { parent, .. } => find(parent),
            Source::List { .. } => None,
        }
    }

    /// How many parent levels sit above this category (0 for top-level lists). Categories of
    /// one depth can be backed up in parallel; a deeper one waits for its parents.
    pub fn depth(&self) -> usize {
        self.parent().map_or(0, |p| p.depth() + 1)
    }
}

/// The categories grouped by [`Category::depth`], shallowest first: the stages of a backup.
pub fn stages(selected: &[&'static Category]) -> Vec<Vec<&'static str>> {
    let max = selected.iter().map(|c| c.depth()).max().unwrap_or(0);
    (0..=max)
        .map(|d| {
            selected
                .iter()
                .filter(|c| c.depth() == d)
                .map(|c| c.name)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown category {name:?}; the categories are {}", CATEGORIES.iter().map(|c| c.name).collect::<Vec<_>>().join(", "))]
pub struct UnknownCategory {
    pub name: String,
}

/// The requested categories (all when `None`) in catalog order, with the parents they need:
/// memberships cannot be listed without their groups.
pub fn select(requested: Option<&[String]>) -> Result<Vec<&'static Category>, UnknownCategory> {
    let Some(requested) = requested else {
        return Ok(CATEGORIES.iter().collect());
    };
    let mut wanted = Vec::new();
    for name in requested {
        let mut category = find(name).ok_or_else(|| UnknownCategory { name: name.clone() })?;
        wanted.push(category.name);
        while let Some(parent) = category.parent() {
            wanted.push(parent.name);
            category = parent;
        }
    }
    Ok(CATEGORIES.iter().filter(|c| wanted.contains(&c.name)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parent_and_reference_names_a_known_category_listed_before_it() {
        for (i, c) in CATEGORIES.iter().enumerate() {
            if let Some(p) = c.parent() {
                let pos = CATEGORIES.iter().position(|x| x.name == p.name).unwrap();
                assert!(pos < i, "{} is listed before its parent {}", c.name, p.name);
            }
            if let Source::PerParent { parent, path } = c.source {
                assert!(find(parent).is_some(), "{}: unknown parent {parent}", c.name);
                assert!(path.contains("{id}"), "{}: per-parent path lacks {{id}}", c.name);
            }
            for r in c.references {
                assert!(
                    find(r.category).is_some(),
                    "{}: reference to unknown {}",
                    c.name,
                    r.category
                );
            }
        }
    }

    #[test]
    fn names_are_unique_and_key_safe() {
        let mut names: Vec<_> = CATEGORIES.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CATEGORIES.len());
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
    }

    #[test]
    fn stages_put_children_after_parents() {
        let all: Vec<_> = CATEGORIES.iter().collect();
        let st = stages(&all);
        assert_eq!(st[0], vec!["users", "groups", "apps"]);
        assert_eq!(st[1], vec!["group_members", "app_users", "app_groups"]);
    }

    #[test]
    fn selecting_a_child_category_brings_its_parent() {
        let names: Vec<_> = select(Some(&["group_members".to_string()]))
            .unwrap()
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, vec!["groups", "group_members"]);
    }

    #[test]
    fn an_unknown_category_is_refused_with_the_known_ones_listed() {
        let err = select(Some(&["userz".to_string()])).unwrap_err().to_string();
        assert!(
            err.contains("unknown category \"userz\"") && err.contains("users"),
            "{err}"
        );
    }
}
