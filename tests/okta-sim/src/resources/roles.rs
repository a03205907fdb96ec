//! Admin role assignments: the roles each user holds (`/api/v1/users/{id}/roles`), the users that hold
//! any (`/api/v1/iam/assignees/users`, a wrapped list) and the roles of groups
//! (`/api/v1/groups/{id}/roles`). A handful of users and groups hold standard roles (ORG_ADMIN,
//! APP_ADMIN...); the members of resource-set bindings hold the binding's custom role over its set, with
//! the member id as assignment id, as Okta does. Shapes follow the spec's `StandardRole`, `CustomRole`
//! and `RoleAssignedUsers` schemas and examples.

use serde_json::{Value, json};

use super::iam::{RESOURCE_SETS, ROLES, org_id};
use super::{Resource, SeedCtx, Seeded, Shape, Wrapped};
use crate::handlers::PageSizes;
use crate::ratelimit::{GROUP_ITEM, USER_GET};

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "user_roles",
        route: "/api/v1/users/{userId}/roles",
        item_route: Some("/api/v1/users/{userId}/roles/{roleAssignmentId}"),
        // Every user answers (an empty list without roles); the backup lists those of `role_assignees`.
        parent: Some("users"),
        shape: Shape::Array(None),
        scope: "okta.roles.read",
        bucket: USER_GET,
        seed: seed_user_roles,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "role_assignees",
        route: "/api/v1/iam/assignees/users",
        // Spec: `limit` defaults to 100; the simulator caps it at 100.
        shape: Shape::Wrapped(Wrapped {
            field: "value",
            pages: Some(PageSizes {
                default: 100,
                min: 1,
                max: 100,
            }),
            limit: true,
            links: &[],
        }),
        scope: "okta.roles.read",
        seed: seed_role_assignees,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "group_roles",
        route: "/api/v1/groups/{groupId}/roles",
        item_route: Some("/api/v1/groups/{groupId}/roles/{roleAssignmentId}"),
        parent: Some("groups"),
        shape: Shape::Array(None),
        scope: "okta.roles.read",
        bucket: GROUP_ITEM,
        seed: seed_group_roles,
        ..Resource::DEFAULTS
    },
];

/// The label Okta gives a standard role type; `None` for a type that cannot be assigned this way.
pub fn standard_label(role_type: &str) -> Option<&'static str> {
    Some(match role_type {
        "SUPER_ADMIN" => "Super Administrator",
        "ORG_ADMIN" => "Organization Administrator",
        "APP_ADMIN" => "Application Administrator",
        "USER_ADMIN" => "Group Administrator",
        "HELP_DESK_ADMIN" => "Help Desk Administrator",
        "READ_ONLY_ADMIN" => "Read-only Administrator",
        "GROUP_MEMBERSHIP_ADMIN" => "Group Membership Administrator",
        "REPORT_ADMIN" => "Report Administrator",
        "API_ACCESS_MANAGEMENT_ADMIN" => "API Access Management Administrator",
        "WORKFLOWS_ADMIN" => "Workflows Administrator",
        "ACCESS_CERTIFICATIONS_ADMIN" => "Access Certifications Administrator",
        "ACCESS_REQUESTS_ADMIN" => "Access Requests Administrator",
        _ => return None,
    })
}

/// Who holds an assignment: a user or a group, by id.
#[derive(Debug, Clone, Copy)]
pub enum Assignee<'a> {
    User(&'a str),
    Group(&'a str),
}

impl Assignee<'_> {
    pub fn path(&self) -> String {
        match self {
            Assignee::User(id) => format!("/api/v1/users/{id}"),
            Assignee::Group(id) => format!("/api/v1/groups/{id}"),
        }
    }

    fn assignment_type(&self) -> &'static str {
        match self {
            Assignee::User(_) => "USER",
            Assignee::Group(_) => "GROUP",
        }
    }
}

/// A StandardRole assignment.
pub fn standard_assignment(base: &str, id: &str, role_type: &str, to: Assignee, created: &str) -> Value {
    json!({
        "id": id, "label": standard_label(role_type).unwrap_or(role_type), "type": role_type, "status": "ACTIVE",
        "created": created, "lastUpdated": created, "assignmentType": to.assignment_type(),
        "_links": { "assignee": { "href": format!("{base}{}", to.path()) } },
    })
}

/// A CustomRole assignment of `role` (a custom role object) over the resource set `set_id`; its id is
/// the id of the binding member it makes.
pub fn custom_assignment(
    base: &str,
    member_id: &str,
    role: &Value,
    set_id: &str,
    to: Assignee,
    created: &str,
) -> Value {
    let role_id = role["id"].as_str().unwrap_or_default();
    json!({
        "id": member_id, "role": role_id, "label": role["label"], "type": "CUSTOM", "status": "ACTIVE",
        "created": created, "lastUpdated": created, "assignmentType": to.assignment_type(), "resource-set": set_id,
        "_links": {
            "assignee": { "href": format!("{base}{}", to.path()) },
            "resource-set": { "href": format!("{base}{RESOURCE_SETS}/{set_id}") },
            "member": { "href": format!("{base}{RESOURCE_SETS}/{set_id}/bindings/{role_id}/members/{member_id}") },
            "role": { "href": format!("{base}{ROLES}/{role_id}") },
            "permissions": { "href": format!("{base}{ROLES}/{role_id}/permissions") },
        },
    })
}

/// A `role_assignees` item: a user holding at least one admin role.
pub fn role_assignee(base: &str, org_id: &str, user_id: &str) -> Value {
    json!({
        "id": user_id, "orn": format!("orn:okta:directory:{org_id}:users:{user_id}"),
        "_links": {
            "self": { "href": format!("{base}/api/v1/users/{user_id}") },
            "roles": { "href": format!("{base}/api/v1/users/{user_id}/roles") },
        },
    })
}

/// The CUSTOM assignments the binding members make, by principal path (`/api/v1/users/{id}`).
fn custom_assignments_by_principal(ctx: &SeedCtx) -> Vec<(String, Value)> {
    let roles = ctx.objects("custom_roles");
    let mut out = Vec::new();
    let Some(by_binding) = ctx.org.resources.get("resource_set_binding_members") else {
        return out;
    };
    for (binding, members) in by_binding {
        let Some((set_id, role_id)) = binding.split_once('/') else {
            continue;
        };
        let Some(role) = roles.iter().find(|r| r["id"] == role_id) else {
            continue;
        };
        for member in members.values() {
            let href = member["_links"]["self"]["href"].as_str().unwrap_or_default();
            let path = href.strip_prefix(ctx.base).unwrap_or(href).to_string();
            let created = member["created"].as_str().unwrap_or_default();
            let member_id = member["id"].as_str().unwrap_or_default();
            let to = match path.rsplit_once('/') {
                Some(("/api/v1/users", id)) => Assignee::User(id),
                Some(("/api/v1/groups", id)) => Assignee::Group(id),
                _ => continue,
            };
            let assignment = custom_assignment(ctx.base, member_id, role, set_id, to, created);
            out.push((path.clone(), assignment));
        }
    }
    out
}

/// Standard roles of the first ACTIVE users, by position.
const USER_STANDARD_ROLES: &[&[&str]] = &[
    &["SUPER_ADMIN"],
    &["ORG_ADMIN"],
    &["APP_ADMIN", "HELP_DESK_ADMIN"],
    &["READ_ONLY_ADMIN"],
    &["USER_ADMIN", "REPORT_ADMIN"],
    // Role types that take targets (`targets.rs` limits all but the first of each kind).
    &["GROUP_MEMBERSHIP_ADMIN", "APP_ADMIN"],
    &["USER_ADMIN", "APP_ADMIN"],
];

/// Standard roles of the first OKTA groups, by position.
const GROUP_STANDARD_ROLES: &[&[&str]] = &[
    &["USER_ADMIN", "GROUP_MEMBERSHIP_ADMIN"],
    &["HELP_DESK_ADMIN"],
    &["APP_ADMIN"],
    &["APP_ADMIN", "USER_ADMIN"],
];

fn seed_assignments(ctx: &mut SeedCtx, group: bool) -> Seeded {
    let (holders, standard) = if group {
        (ctx.group_ids("OKTA_GROUP"), GROUP_STANDARD_ROLES)
    } else {
        (ctx.user_ids("ACTIVE"), USER_STANDARD_ROLES)
    };
    let mut out = Seeded::new();
    for (holder, types) in holders.iter().zip(standard) {
        let to = if group {
            Assignee::Group(holder)
        } else {
            Assignee::User(holder)
        };
        for role_type in *types {
            let id = ctx.ids.next(if group { "gra" } else { "ra1" });
            let (created, _) = ctx.times();
            let assignment = standard_assignment(ctx.base, &id, role_type, to, &created);
            out.entry(holder.clone()).or_default().push(assignment);
        }
    }
    let prefix = if group { "/api/v1/groups/" } else { "/api/v1/users/" };
    for (path, assignment) in custom_assignments_by_principal(ctx) {
        if let Some(holder) = path.strip_prefix(prefix) {
            out.entry(holder.to_string()).or_default().push(assignment);
        }
    }
    out
}

fn seed_user_roles(ctx: &mut SeedCtx) -> Seeded {
    seed_assignments(ctx, false)
}

fn seed_group_roles(ctx: &mut SeedCtx) -> Seeded {
    seed_assignments(ctx, true)
}

/// Exactly the users holding an assignment in `user_roles`.
fn seed_role_assignees(ctx: &mut SeedCtx) -> Seeded {
    let org = org_id(ctx);
    let users: Vec<String> = ctx
        .org
        .resources
        .get("user_roles")
        .map(|by_user| {
            by_user
                .iter()
                .filter(|(_, c)| c.iter().next().is_some())
                .map(|(u, _)| u.clone())
                .collect()
        })
        .unwrap_or_default();
    let items = users.iter().map(|u| role_assignee(ctx.base, &org, u)).collect();
    Seeded::from([(String::new(), items)])
}
