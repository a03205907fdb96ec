//! Okta's IAM configuration: custom admin roles and their permissions, resource sets with their
//! resources (ORNs of real seeded groups, apps, users and authorization servers), and the bindings that
//! grant a custom role over a resource set to members (real users and groups). These lists answer
//! wrapped bodies paged by a `next` link in the body ([`Shape::Wrapped`]). Shapes follow the spec's
//! `IamRoles`, `Permissions`, `ResourceSets`, `ResourceSetResources`, `ResourceSetBindings` and
//! `ResourceSetBindingMembers` schemas and examples.

use serde_json::{Value, json};

use super::{Resource, SeedCtx, Seeded, Shape, Wrapped};
use crate::handlers::PageSizes;

/// Lists that take only `after`: Okta picks the page size. The simulator's is small so that a seeded
/// org has several pages to follow.
const SMALL_PAGES: Option<PageSizes> = Some(PageSizes {
    default: 2,
    min: 2,
    max: 2,
});

/// `limit` defaults to 100 (spec), the simulator caps it at 100.
const PAGES_OF_100: Option<PageSizes> = Some(PageSizes {
    default: 100,
    min: 1,
    max: 100,
});

pub const ROLES: &str = "/api/v1/iam/roles";
pub const RESOURCE_SETS: &str = "/api/v1/iam/resource-sets";

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "custom_roles",
        route: ROLES,
        item_route: Some("/api/v1/iam/roles/{roleIdOrLabel}"),
        shape: Shape::Wrapped(Wrapped {
            field: "roles",
            pages: SMALL_PAGES,
            limit: false,
            links: &[],
        }),
        scope: "okta.roles.read",
        seed: seed_custom_roles,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "role_permissions",
        route: "/api/v1/iam/roles/{roleIdOrLabel}/permissions",
        item_route: Some("/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}"),
        parent: Some("custom_roles"),
        shape: Shape::Wrapped(Wrapped {
            field: "permissions",
            pages: None,
            limit: false,
            links: &[],
        }),
        key: "/label",
        scope: "okta.roles.read",
        seed: seed_permissions,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "resource_sets",
        route: RESOURCE_SETS,
        item_route: Some("/api/v1/iam/resource-sets/{resourceSetIdOrLabel}"),
        shape: Shape::Wrapped(Wrapped {
            field: "resource-sets",
            pages: SMALL_PAGES,
            limit: false,
            links: &[],
        }),
        scope: "okta.roles.read",
        seed: seed_resource_sets,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "resource_set_resources",
        route: "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources",
        parent: Some("resource_sets"),
        shape: Shape::Wrapped(Wrapped {
            field: "resources",
            pages: PAGES_OF_100,
            limit: true,
            links: &[("resource-set", "/api/v1/iam/resource-sets/{0}")],
        }),
        scope: "okta.roles.read",
        seed: seed_resource_set_resources,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "resource_set_bindings",
        route: "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings",
        parent: Some("resource_sets"),
        shape: Shape::Wrapped(Wrapped {
            field: "roles",
            pages: SMALL_PAGES,
            limit: false,
            links: &[("self", "{path}"), ("resource-set", "/api/v1/iam/resource-sets/{0}")],
        }),
        scope: "okta.roles.read",
        seed: seed_bindings,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "resource_set_binding_members",
        route: "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members",
        item_route: Some(
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members/{memberId}",
        ),
        parent: Some("resource_set_bindings"),
        shape: Shape::Wrapped(Wrapped {
            field: "members",
            pages: SMALL_PAGES,
            limit: false,
            links: &[
                ("self", "{path}"),
                ("binding", "/api/v1/iam/resource-sets/{0}/bindings/{1}"),
            ],
        }),
        scope: "okta.roles.read",
        seed: seed_binding_members,
        ..Resource::DEFAULTS
    },
];

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// The org's id, as ORNs name it.
pub fn org_id(ctx: &SeedCtx) -> String {
    ctx.objects("org_settings")
        .first()
        .map(id_of)
        .unwrap_or_else(|| "00o0000000000000000".into())
}

/// (label, description, permissions with optional profile attributes they are limited to).
type RoleSpec = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static [&'static str])],
);

const CUSTOM_ROLES: &[RoleSpec] = &[
    (
        "UserCreator",
        "Create users",
        &[
            ("okta.users.create", &[]),
            ("okta.users.read", &["city", "state", "zipCode"]),
            ("okta.groups.read", &[]),
        ],
    ),
    (
        "GroupMembershipManager",
        "Manage group membership",
        &[("okta.groups.members.manage", &[]), ("okta.groups.read", &[])],
    ),
    (
        "AppAssignmentManager",
        "Assign users and groups to apps",
        &[
            ("okta.apps.assignment.manage", &[]),
            ("okta.apps.read", &[]),
            ("okta.users.read", &[]),
        ],
    ),
    (
        "HelpdeskLite",
        "Reset passwords and unlock accounts",
        &[
            ("okta.users.credentials.resetPassword", &[]),
            ("okta.users.lifecycle.unlock", &[]),
            ("okta.users.read", &["department"]),
        ],
    ),
    (
        "AuthServerReader",
        "Read authorization servers",
        &[("okta.authzServers.read", &[])],
    ),
];

fn seed_custom_roles(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Vec::new();
    for (label, description, _) in CUSTOM_ROLES {
        let id = ctx.ids.next("cr0");
        let (created, updated) = ctx.times();
        out.push(json!({
            "id": id, "label": label, "description": description, "created": created, "lastUpdated": updated,
            "_links": {
                "self": { "href": ctx.url(&format!("{ROLES}/{id}")) },
                "permissions": { "href": ctx.url(&format!("{ROLES}/{id}/permissions")) },
            },
        }));
    }
    Seeded::from([(String::new(), out)])
}

fn seed_permissions(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Seeded::new();
    for role in ctx.objects("custom_roles") {
        let role_id = id_of(&role);
        let Some((_, _, permissions)) = CUSTOM_ROLES.iter().find(|(label, ..)| role["label"] == *label) else {
            continue;
        };
        let mut items = Vec::new();
        for (permission, attributes) in *permissions {
            let (created, updated) = ctx.times();
            let mut item = json!({
                "label": permission, "created": created, "lastUpdated": updated,
                "_links": {
                    "role": { "href": ctx.url(&format!("{ROLES}/{role_id}")) },
                    "self": { "href": ctx.url(&format!("{ROLES}/{role_id}/permissions/{permission}")) },
                },
            });
            if !attributes.is_empty() {
                item["conditions"] = json!({ "include": { "okta:ResourceAttribute/User/Profile": attributes } });
            }
            items.push(item);
        }
        out.insert(role_id, items);
    }
    out
}

const SETS: &[(&str, &str)] = &[
    ("SF-IT", "San Francisco IT: its groups and every user"),
    ("Contractors", "Contractor groups"),
    ("Sales apps", "Apps the sales team administers"),
    ("API servers", "Custom authorization servers"),
];

fn seed_resource_sets(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Vec::new();
    for (label, description) in SETS {
        let id = ctx.ids.next("iam");
        let (created, updated) = ctx.times();
        let path = format!("{RESOURCE_SETS}/{id}");
        out.push(json!({
            "id": id, "label": label, "description": description, "created": created, "lastUpdated": updated,
            "_links": {
                "self": { "href": ctx.url(&path) },
                "resources": { "href": ctx.url(&format!("{path}/resources")) },
                "bindings": { "href": ctx.url(&format!("{path}/bindings")) },
            },
        }));
    }
    Seeded::from([(String::new(), out)])
}

/// One resource of a set: its ORN and the API path of what it names.
struct Target {
    orn: String,
    path: String,
}

fn seed_resource_set_resources(ctx: &mut SeedCtx) -> Seeded {
    let org = org_id(ctx);
    let groups = ctx.group_ids("OKTA_GROUP");
    let apps: Vec<(String, String)> = ctx
        .org
        .apps
        .values()
        .into_iter()
        .map(|a| (id_of(&a), a["name"].as_str().unwrap_or_default().to_string()))
        .collect();
    let servers: Vec<String> = ctx.objects("authorization_servers").iter().map(id_of).collect();
    let group = |g: &String| Target {
        orn: format!("orn:okta:directory:{org}:groups:{g}"),
        path: format!("/api/v1/groups/{g}"),
    };
    let mut out = Seeded::new();
    for (i, set) in ctx.objects("resource_sets").iter().enumerate() {
        let set_id = id_of(set);
        let targets: Vec<Target> = match i {
            0 => {
                let mut t: Vec<Target> = groups.iter().take(3).map(group).collect();
                if let Some(g) = groups.get(3) {
                    t.push(Target {
                        orn: format!("orn:okta:directory:{org}:groups:{g}:contained_resources"),
                        path: format!("/api/v1/groups/{g}/users"),
                    });
                }
                t.push(Target {
                    orn: format!("orn:okta:directory:{org}:users"),
                    path: "/api/v1/users".into(),
                });
                t
            }
            1 => groups.iter().rev().take(2).map(group).collect(),
            2 => apps
                .iter()
                .take(3)
                .map(|(id, name)| Target {
                    orn: format!("orn:okta:idp:{org}:apps:{name}:{id}"),
                    path: format!("/api/v1/apps/{id}"),
                })
                .collect(),
            _ => servers
                .iter()
                .map(|s| Target {
                    orn: format!("orn:okta:idp:{org}:authorization_servers:{s}"),
                    path: format!("/api/v1/authorizationServers/{s}"),
                })
                .collect(),
        };
        let mut items = Vec::new();
        for target in targets {
            let id = ctx.ids.next("ire");
            let (created, updated) = ctx.times();
            items.push(json!({
                "id": id, "orn": target.orn, "created": created, "lastUpdated": updated,
                "_links": {
                    "self": { "href": ctx.url(&target.path) },
                    "resource": { "href": ctx.url(&format!("{RESOURCE_SETS}/{set_id}/resources/{id}")) },
                },
            }));
        }
        out.insert(set_id, items);
    }
    out
}

/// A binding's object in the bindings list: the role, and where its members are.
pub fn binding(base: &str, set_id: &str, role_id: &str) -> Value {
    json!({
        "id": role_id,
        "_links": {
            "self": { "href": format!("{base}{ROLES}/{role_id}") },
            "members": { "href": format!("{base}{RESOURCE_SETS}/{set_id}/bindings/{role_id}/members") },
        },
    })
}

/// Which custom roles (by position) each resource set (by position) grants.
const BINDINGS: &[&[usize]] = &[&[0, 1, 3], &[1], &[2], &[4]];

fn seed_bindings(ctx: &mut SeedCtx) -> Seeded {
    let roles: Vec<String> = ctx.objects("custom_roles").iter().map(id_of).collect();
    let mut out = Seeded::new();
    for (set, granted) in ctx.objects("resource_sets").iter().zip(BINDINGS) {
        let set_id = id_of(set);
        let items = granted
            .iter()
            .filter_map(|r| roles.get(*r))
            .map(|role| binding(ctx.base, &set_id, role))
            .collect();
        out.insert(set_id, items);
    }
    out
}

/// A binding member: a user or group (by its API path) holding the binding's role over its set.
pub fn member(id: &str, created: &str, updated: &str, principal_url: &str) -> Value {
    json!({
        "id": id, "created": created, "lastUpdated": updated,
        "_links": { "self": { "href": principal_url } },
    })
}

/// Stored under `set/role`. Members are ACTIVE users and OKTA groups; the same principals get a
/// CUSTOM role assignment (`user_roles`, `group_roles`) whose id is the member id, as in Okta.
fn seed_binding_members(ctx: &mut SeedCtx) -> Seeded {
    // Users past the first few (who hold standard roles), so some admins hold only custom roles.
    let users: Vec<String> = ctx.user_ids("ACTIVE").into_iter().skip(3).take(12).collect();
    let groups = ctx.group_ids("OKTA_GROUP");
    let mut out = Seeded::new();
    let Some(by_set) = ctx.org.resources.get("resource_set_bindings").cloned() else {
        return out;
    };
    let mut n = 0;
    for (set, bindings) in by_set {
        for binding in bindings.values() {
            let role = id_of(&binding);
            let mut members = Vec::new();
            for k in 0..(1 + n % 3) {
                let principal = match (k, users.get((n * 2 + k) % users.len().max(1))) {
                    (2, _) | (_, None) => groups
                        .get(n % groups.len().max(1))
                        .map(|g| format!("/api/v1/groups/{g}")),
                    (_, Some(u)) => Some(format!("/api/v1/users/{u}")),
                };
                let Some(principal) = principal.map(|p| ctx.url(&p)) else {
                    continue;
                };
                if members
                    .iter()
                    .any(|m: &Value| m["_links"]["self"]["href"] == principal.as_str())
                {
                    continue;
                }
                let id = ctx.ids.next("irb");
                let (created, updated) = ctx.times();
                members.push(member(&id, &created, &updated, &principal));
            }
            n += 1;
            out.insert(format!("{set}/{role}"), members);
        }
    }
    out
}
