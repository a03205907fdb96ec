//! Okta's IAM configuration: custom admin roles and their permissions, resource sets with their
//! resources (ORNs of real seeded groups, apps, users and authorization servers), and the bindings that
//! grant a custom role over a resource set to members (real users and groups). These lists answer
//! wrapped bodies paged by a `next` link in the body ([`Shape::Wrapped`]). Shapes follow the spec's
//! `IamRoles`, `Permissions`, `ResourceSets`, `ResourceSetResources`, `ResourceSetBindings` and
//! `ResourceSetBindingMembers` schemas and examples.

use axum::response::Response;
use serde_json::{Value, json};

use super::roles::Assignee;
use super::write::{
    Change, Events, Fill, Op, WriteRequest, Writes, answer, call, emit, event_target, lock_ids, stored,
};
use super::{Resource, SeedCtx, Seeded, Shape, Wrapped, objects_of, put_object, remove_object};
use crate::errors::ApiError;
use crate::handlers::PageSizes;
use crate::handlers::privileges;
use crate::server::Shared;
use crate::store::Org;

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
        writes: Some(&ROLE_WRITES),
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
        writes: Some(&PERMISSION_WRITES),
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
        writes: Some(&SET_WRITES),
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
        writes: Some(&SET_RESOURCE_WRITES),
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
        writes: Some(&BINDING_WRITES),
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
        writes: Some(&MEMBER_WRITES),
        ..Resource::DEFAULTS
    },
];

static ROLE_WRITES: Writes = Writes {
    calls: &[
        call("POST", ROLES, Op::Create, 200),
        call("PUT", "/api/v1/iam/roles/{roleIdOrLabel}", Op::Replace, 200),
        call("DELETE", "/api/v1/iam/roles/{roleIdOrLabel}", Op::Delete, 204),
    ],
    id_prefix: "cr0",
    events: Events {
        target: "CustomRole",
        create: "iam.role.create",
        update: "iam.role.update",
        delete: "iam.role.delete",
        ..Events::NONE
    },
    rules: role_rules,
    fill: new_role,
    links: false,
    ..Writes::DEFAULTS
};

/// Labels name roles and resource sets (routes take either): each is unique. A role still bound to a
/// resource set is not deleted.
fn role_rules(org: &Org, change: &Change) -> Result<(), ApiError> {
    match change {
        Change::Create { body, .. } => label_free(org, "custom_roles", body, None),
        Change::Replace { old, body } => label_free(org, "custom_roles", body, old["id"].as_str()),
        Change::Delete { old } => {
            let bound = org
                .resources
                .get("resource_set_bindings")
                .into_iter()
                .flat_map(|by_set| by_set.iter())
                .find(|(_, bindings)| bindings.get(old["id"].as_str().unwrap_or_default()).is_some());
            match bound {
                Some((set, _)) => Err(ApiError::validation(
                    "id",
                    format!("id: the role is bound to resource set {set}; delete that binding first"),
                )),
                None => Ok(()),
            }
        }
        Change::Status { .. } => Ok(()),
    }
}

fn label_free(org: &Org, resource: &str, body: &Value, own: Option<&str>) -> Result<(), ApiError> {
    let label = body["label"].as_str().unwrap_or_default();
    if label.is_empty() {
        return Err(ApiError::validation("label", "label: The field cannot be left blank"));
    }
    let taken = objects_of(&org.resources, resource, "")
        .iter()
        .any(|o| o["label"] == label && o["id"].as_str() != own);
    match taken {
        true => Err(ApiError::validation(
            "label",
            format!("label: An object with this field already exists in the current organization ({label})"),
        )),
        false => Ok(()),
    }
}

/// A new custom role: its links, and a permission object per permission the request named.
fn new_role(fill: &mut Fill) {
    let id = fill.object["id"].as_str().unwrap_or_default().to_string();
    let permissions: Vec<String> = fill.object["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(String::from))
        .collect();
    if let Some(fields) = fill.object.as_object_mut() {
        fields.remove("permissions");
    }
    fill.object["_links"] = json!({
        "self": { "href": format!("{}{ROLES}/{id}", fill.base) },
        "permissions": { "href": format!("{}{ROLES}/{id}/permissions", fill.base) },
    });
    for label in permissions {
        let permission = permission(fill.base, &id, &label, fill.now, None);
        put_object(&mut fill.org.resources, "role_permissions", &id, &permission);
    }
}

/// A permission of a custom role (`Permission`).
fn permission(base: &str, role_id: &str, label: &str, now: &str, conditions: Option<&Value>) -> Value {
    let mut permission = json!({
        "label": label, "created": now, "lastUpdated": now,
        "_links": {
            "role": { "href": format!("{base}{ROLES}/{role_id}") },
            "self": { "href": format!("{base}{ROLES}/{role_id}/permissions/{label}") },
        },
    });
    if let Some(conditions) = conditions.filter(|c| !c.is_null()) {
        permission["conditions"] = conditions.clone();
    }
    permission
}

static PERMISSION_WRITES: Writes = Writes {
    calls: &[
        call(
            "POST",
            "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
            Op::Custom(add_permission),
            204,
        ),
        call(
            "PUT",
            "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
            Op::Replace,
            200,
        ),
        call(
            "DELETE",
            "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
            Op::Delete,
            204,
        ),
    ],
    events: Events {
        target: "CustomRole",
        create: "iam.role.permission.add",
        update: "iam.role.permission.update",
        delete: "iam.role.permission.remove",
        ..Events::NONE
    },
    links: false,
    ..Writes::DEFAULTS
};

/// `POST /api/v1/iam/roles/{role}/permissions/{permissionType}`: the role gains a permission.
fn add_permission(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let [role_id, label] = request.params.as_slice() else {
        return Err(ApiError::NotFound("permission (route)".into()));
    };
    let mut org = sim.write_org();
    let role =
        stored(&org, "custom_roles", "", role_id).ok_or_else(|| ApiError::NotFound(format!("{role_id} (Role)")))?;
    if stored(&org, "role_permissions", role_id, label).is_some() {
        return Err(ApiError::validation(
            "permissionType",
            format!("permissionType: role {role_id} already has {label}"),
        ));
    }
    let permission = permission(
        &sim.base,
        role_id,
        label,
        &sim.clock.now(),
        request.body.get("conditions"),
    );
    put_object(&mut org.resources, "role_permissions", role_id, &permission);
    emit(
        sim,
        &mut org,
        "iam.role.permission.add",
        event_target("CustomRole", role_id, &role),
    );
    Ok(answer(request.call.status, &permission))
}

static SET_WRITES: Writes = Writes {
    calls: &[
        call("POST", RESOURCE_SETS, Op::Create, 200),
        call(
            "PUT",
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}",
            Op::Replace,
            200,
        ),
        call(
            "DELETE",
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}",
            Op::Custom(delete_set),
            204,
        ),
    ],
    id_prefix: "iam",
    events: Events {
        target: "ResourceSet",
        create: "iam.resourceset.create",
        update: "iam.resourceset.update",
        delete: "iam.resourceset.delete",
        ..Events::NONE
    },
    rules: |org, change| match change {
        Change::Create { body, .. } => label_free(org, "resource_sets", body, None),
        Change::Replace { old, body } => label_free(org, "resource_sets", body, old["id"].as_str()),
        _ => Ok(()),
    },
    fill: new_set,
    links: false,
    ..Writes::DEFAULTS
};

/// A new resource set: its links, and a resource per ORN or URL the request named.
fn new_set(fill: &mut Fill) {
    let id = fill.object["id"].as_str().unwrap_or_default().to_string();
    let given: Vec<String> = fill.object["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(String::from))
        .collect();
    if let Some(fields) = fill.object.as_object_mut() {
        fields.remove("resources");
    }
    let path = format!("{RESOURCE_SETS}/{id}");
    fill.object["_links"] = json!({
        "self": { "href": format!("{}{path}", fill.base) },
        "resources": { "href": format!("{}{path}/resources", fill.base) },
        "bindings": { "href": format!("{}{path}/bindings", fill.base) },
    });
    for resource in given {
        // Unknown resources are refused by `add_resource`; a create keeps the ones it can name.
        if let Ok(named) = named_resource(fill.org, fill.base, &resource) {
            let resource_id = fill.ids.next("ire");
            let item = set_resource(fill.base, &id, &resource_id, &named, fill.now, None);
            put_object(&mut fill.org.resources, "resource_set_resources", &id, &item);
        }
    }
}

/// `DELETE /api/v1/iam/resource-sets/{set}`: its role assignments (bindings' members) go, then the set.
fn delete_set(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let set_id = request.params.first().cloned().unwrap_or_default();
    let set = stored(&sim.read_org(), "resource_sets", "", &set_id)
        .ok_or_else(|| ApiError::NotFound(format!("{set_id} (ResourceSet)")))?;
    let members = members_where(&sim.read_org(), |binding| binding.starts_with(&format!("{set_id}/")));
    revoke(sim, &members)?;
    let mut org = sim.write_org();
    remove_object(&mut org.resources, "resource_sets", "", &set_id);
    super::cascade::children_gone(&mut org, "resource_sets", &set_id);
    emit(
        sim,
        &mut org,
        "iam.resourceset.delete",
        event_target("ResourceSet", &set_id, &set),
    );
    Ok(answer(request.call.status, &set))
}

/// What a resource of a set names: its ORN and the API path of the object (`/api/v1/groups/00g1`).
struct Named {
    orn: String,
    path: String,
}

/// The org's id, as ORNs name it, from a live org.
fn live_org_id(org: &Org) -> String {
    objects_of(&org.resources, "org_settings", "")
        .first()
        .map(id_of)
        .unwrap_or_else(|| "00o0000000000000000".into())
}

/// An ORN (`orn:okta:directory:<org>:groups:<id>`) or a REST URL of this org, as both forms.
fn named_resource(org: &Org, base: &str, given: &str) -> Result<Named, ApiError> {
    let org_id = live_org_id(org);
    let unknown = || {
        ApiError::validation(
            "resourceOrnOrUrl",
            format!("resourceOrnOrUrl: {given} names no user, group, app or authorization server of this org"),
        )
    };
    let (kind, rest): (&str, Vec<&str>) = if let Some(orn) = given.strip_prefix("orn:okta:") {
        let parts: Vec<&str> = orn.split(':').collect();
        match parts.as_slice() {
            [_, org, kind, rest @ ..] if *org == org_id => (kind, rest.to_vec()),
            _ => return Err(unknown()),
        }
    } else {
        let path = given.strip_prefix(base).unwrap_or(given);
        let parts: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
        match parts.as_slice() {
            ["users"] => ("users", vec![]),
            ["groups"] => ("groups", vec![]),
            ["groups", id] => ("groups", vec![id]),
            ["groups", id, "users"] => ("groups", vec![id, "contained_resources"]),
            ["apps", id] => {
                let name = org
                    .apps
                    .get(id)
                    .map(|a| a.value()["name"].as_str().unwrap_or_default().to_string());
                let name = name.ok_or_else(unknown)?;
                return Ok(Named {
                    orn: format!("orn:okta:idp:{org_id}:apps:{name}:{id}"),
                    path: format!("/api/v1/apps/{id}"),
                });
            }
            ["authorizationServers", id] => ("authorization_servers", vec![id]),
            _ => return Err(unknown()),
        }
    };
    let (orn, path) = match (kind, rest.as_slice()) {
        ("users", []) => (
            format!("orn:okta:directory:{org_id}:users"),
            "/api/v1/users".to_string(),
        ),
        ("groups", []) => (
            format!("orn:okta:directory:{org_id}:groups"),
            "/api/v1/groups".to_string(),
        ),
        ("groups", [id]) if org.groups.get(id).is_some() => (
            format!("orn:okta:directory:{org_id}:groups:{id}"),
            format!("/api/v1/groups/{id}"),
        ),
        ("groups", [id, "contained_resources"]) if org.groups.get(id).is_some() => (
            format!("orn:okta:directory:{org_id}:groups:{id}:contained_resources"),
            format!("/api/v1/groups/{id}/users"),
        ),
        ("apps", [name, id]) if org.apps.get(id).is_some() => (
            format!("orn:okta:idp:{org_id}:apps:{name}:{id}"),
            format!("/api/v1/apps/{id}"),
        ),
        ("authorization_servers", [id]) if stored(org, "authorization_servers", "", id).is_some() => (
            format!("orn:okta:idp:{org_id}:authorization_servers:{id}"),
            format!("/api/v1/authorizationServers/{id}"),
        ),
        _ => return Err(unknown()),
    };
    Ok(Named { orn, path })
}

/// A resource of a set (`ResourceSetResource`).
fn set_resource(base: &str, set_id: &str, id: &str, named: &Named, now: &str, conditions: Option<&Value>) -> Value {
    let mut item = json!({
        "id": id, "orn": named.orn, "created": now, "lastUpdated": now,
        "_links": {
            "self": { "href": format!("{base}{}", named.path) },
            "resource": { "href": format!("{base}{RESOURCE_SETS}/{set_id}/resources/{id}") },
        },
    });
    if let Some(conditions) = conditions.filter(|c| !c.is_null()) {
        item["conditions"] = conditions.clone();
    }
    item
}

static SET_RESOURCE_WRITES: Writes = Writes {
    calls: &[
        call(
            "POST",
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources",
            Op::Custom(add_resource),
            200,
        ),
        call(
            "PUT",
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources/{resourceId}",
            Op::Replace,
            200,
        ),
        call(
            "DELETE",
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources/{resourceId}",
            Op::Delete,
            204,
        ),
    ],
    events: Events {
        target: "ResourceSet",
        update: "iam.resourceset.resources.update",
        delete: "iam.resourceset.resources.delete",
        ..Events::NONE
    },
    // A resource names what it names for good; only its conditions change.
    server_fields: &["orn"],
    links: false,
    ..Writes::DEFAULTS
};

/// `POST .../resources` `{resourceOrnOrUrl, conditions}`: the set gains a resource.
fn add_resource(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let set_id = request.params.first().cloned().unwrap_or_default();
    let given = request.body["resourceOrnOrUrl"].as_str().unwrap_or_default();
    let mut org = sim.write_org();
    let set = stored(&org, "resource_sets", "", &set_id)
        .ok_or_else(|| ApiError::NotFound(format!("{set_id} (ResourceSet)")))?;
    let named = named_resource(&org, &sim.base, given)?;
    if objects_of(&org.resources, "resource_set_resources", &set_id)
        .iter()
        .any(|r| r["orn"] == named.orn.as_str())
    {
        return Err(ApiError::validation(
            "resourceOrnOrUrl",
            format!("resourceOrnOrUrl: {} is already in resource set {set_id}", named.orn),
        ));
    }
    let id = lock_ids(sim).next("ire");
    let item = set_resource(
        &sim.base,
        &set_id,
        &id,
        &named,
        &sim.clock.now(),
        request.body.get("conditions"),
    );
    put_object(&mut org.resources, "resource_set_resources", &set_id, &item);
    emit(
        sim,
        &mut org,
        "iam.resourceset.resources.add",
        event_target("ResourceSet", &set_id, &set),
    );
    Ok(answer(request.call.status, &item))
}

static BINDING_WRITES: Writes = Writes {
    calls: &[
        call(
            "POST",
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings",
            Op::Custom(add_binding),
            200,
        ),
        call(
            "DELETE",
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}",
            Op::Custom(delete_binding),
            204,
        ),
    ],
    ..Writes::DEFAULTS
};

/// The binding answer Okta gives (`ResourceSetBindingResponse`): the role, and links.
fn binding_answer(base: &str, set_id: &str, role_id: &str) -> Value {
    json!({
        "id": role_id,
        "_links": {
            "self": { "href": format!("{base}{RESOURCE_SETS}/{set_id}/bindings/{role_id}") },
            "bindings": { "href": format!("{base}{RESOURCE_SETS}/{set_id}/bindings") },
            "resource-set": { "href": format!("{base}{RESOURCE_SETS}/{set_id}") },
        },
    })
}

/// `POST .../bindings` `{role, members}`: the role is granted over the set to each member (users and
/// groups by href), each getting its CUSTOM role assignment.
fn add_binding(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let set_id = request.params.first().cloned().unwrap_or_default();
    let wanted = request.body["role"].as_str().unwrap_or_default();
    let role_id = {
        let mut org = sim.write_org();
        stored(&org, "resource_sets", "", &set_id)
            .ok_or_else(|| ApiError::NotFound(format!("{set_id} (ResourceSet)")))?;
        let role = objects_of(&org.resources, "custom_roles", "")
            .into_iter()
            .find(|r| r["id"] == wanted || r["label"] == wanted)
            .ok_or_else(|| ApiError::validation("role", format!("role: custom role {wanted} does not exist")))?;
        let role_id = id_of(&role);
        if stored(&org, "resource_set_bindings", &set_id, &role_id).is_some() {
            return Err(ApiError::validation(
                "role",
                format!("role: {role_id} is already bound to resource set {set_id}; add members to that binding"),
            ));
        }
        put_object(
            &mut org.resources,
            "resource_set_bindings",
            &set_id,
            &binding(&sim.base, &set_id, &role_id),
        );
        emit(
            sim,
            &mut org,
            "iam.resourceset.bindings.add",
            event_target("ResourceSet", &set_id, &role),
        );
        role_id
    };
    add_principals(sim, &set_id, &role_id, &request.body["members"])?;
    Ok(answer(
        request.call.status,
        &binding_answer(&sim.base, &set_id, &role_id),
    ))
}

/// Each href of `members` (`.../api/v1/users/{id}` or `.../api/v1/groups/{id}`) gets the role over the set.
fn add_principals(sim: &Shared, set_id: &str, role_id: &str, members: &Value) -> Result<(), ApiError> {
    for href in members.as_array().into_iter().flatten() {
        let href = href.as_str().unwrap_or_default();
        let path = href.strip_prefix(&sim.base).unwrap_or(href);
        let to = match path.rsplit_once('/') {
            Some(("/api/v1/users", id)) => Assignee::User(id),
            Some(("/api/v1/groups", id)) => Assignee::Group(id),
            _ => {
                return Err(ApiError::validation(
                    "members",
                    format!("members: {href} is not the URL of a user or group of this org"),
                ));
            }
        };
        let body = json!({ "type": "CUSTOM", "role": role_id, "resource-set": set_id });
        privileges::assign_role(sim, to, &body)?;
    }
    Ok(())
}

/// `DELETE .../bindings/{role}`: every member loses the role, then the binding goes.
fn delete_binding(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let [set_id, role_id] = request.params.as_slice() else {
        return Err(ApiError::NotFound("binding (route)".into()));
    };
    let binding = stored(&sim.read_org(), "resource_set_bindings", set_id, role_id)
        .ok_or_else(|| ApiError::NotFound(format!("{role_id} (ResourceSetBinding)")))?;
    let parent = format!("{set_id}/{role_id}");
    let members = members_where(&sim.read_org(), |binding| binding == parent);
    revoke(sim, &members)?;
    let mut org = sim.write_org();
    remove_object(&mut org.resources, "resource_set_bindings", set_id, role_id);
    super::cascade::children_gone(&mut org, "resource_set_bindings", &parent);
    emit(
        sim,
        &mut org,
        "iam.resourceset.bindings.delete",
        event_target("ResourceSet", set_id, &binding),
    );
    Ok(answer(request.call.status, &binding))
}

static MEMBER_WRITES: Writes = Writes {
    calls: &[
        call(
            "PATCH",
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members",
            Op::Custom(add_members),
            200,
        ),
        call(
            "DELETE",
            "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members/{memberId}",
            Op::Custom(delete_member),
            204,
        ),
    ],
    ..Writes::DEFAULTS
};

/// `PATCH .../bindings/{role}/members` `{additions}`: more users and groups hold the role over the set.
fn add_members(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let [set_id, role_id] = request.params.as_slice() else {
        return Err(ApiError::NotFound("binding members (route)".into()));
    };
    if stored(&sim.read_org(), "resource_set_bindings", set_id, role_id).is_none() {
        return Err(ApiError::NotFound(format!(
            "{role_id} (ResourceSetBinding of {set_id})"
        )));
    }
    add_principals(sim, set_id, role_id, &request.body["additions"])?;
    Ok(answer(request.call.status, &binding_answer(&sim.base, set_id, role_id)))
}

/// `DELETE .../members/{memberId}`: that user or group no longer holds the role over the set.
fn delete_member(sim: &Shared, request: &WriteRequest) -> Result<Response, ApiError> {
    let [set_id, role_id, member_id] = request.params.as_slice() else {
        return Err(ApiError::NotFound("binding member (route)".into()));
    };
    let parent = format!("{set_id}/{role_id}");
    let members = members_where(&sim.read_org(), |binding| binding == parent);
    let member: Vec<_> = members.into_iter().filter(|(id, _)| id == member_id).collect();
    if member.is_empty() {
        return Err(ApiError::NotFound(format!("{member_id} (ResourceSetBindingMember)")));
    }
    revoke(sim, &member)?;
    Ok(answer(request.call.status, &Value::Null))
}

/// The members of the bindings `binding` selects (by `set/role`), as (member id, principal path).
fn members_where(org: &Org, binding: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    org.resources
        .get("resource_set_binding_members")
        .into_iter()
        .flat_map(|by_binding| by_binding.iter())
        .filter(|(parent, _)| binding(parent))
        .flat_map(|(_, members)| members.values())
        .filter_map(|m| {
            let href = m.pointer("/_links/self/href")?.as_str()?;
            let path = href.find("/api/v1/").map(|at| href[at..].to_string())?;
            Some((id_of(&m), path))
        })
        .collect()
}

/// Removes the CUSTOM role assignments (and so the binding members) of `members`.
fn revoke(sim: &Shared, members: &[(String, String)]) -> Result<(), ApiError> {
    for (member_id, path) in members {
        let to = match path.rsplit_once('/') {
            Some(("/api/v1/users", id)) => Assignee::User(id),
            Some(("/api/v1/groups", id)) => Assignee::Group(id),
            _ => continue,
        };
        match privileges::unassign_role(sim, to, member_id) {
            // A member whose holder is gone has no assignment left to remove: drop the member itself.
            Err(ApiError::NotFound(_)) => {
                let mut org = sim.write_org();
                let by_binding = org
                    .resources
                    .get("resource_set_binding_members")
                    .cloned()
                    .unwrap_or_default();
                for (parent, items) in by_binding {
                    if items.get(member_id).is_some() {
                        remove_object(&mut org.resources, "resource_set_binding_members", &parent, member_id);
                    }
                }
            }
            other => other?,
        }
    }
    Ok(())
}

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
