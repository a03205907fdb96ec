//! Directory configuration: user types and their schemas, the group schema, app user schemas, group
//! rules and group owners. Shapes follow the spec's `UserType`, `UserSchema`, `GroupSchema`,
//! `GroupRule` and `GroupOwner` schemas and examples.

use serde_json::{Value, json};

use super::{Resource, ResourceStore, SeedCtx, Seeded, Shape};
use crate::handlers::PageSizes;
use crate::ratelimit::GROUP_ITEM;

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "user_types",
        route: "/api/v1/meta/types/user",
        item_route: Some("/api/v1/meta/types/user/{typeId}"),
        shape: Shape::Array(None),
        scope: "okta.userTypes.read",
        seed: seed_user_types,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "user_schemas",
        route: "/api/v1/meta/schemas/user/{schemaId}",
        shape: Shape::Object,
        scope: "okta.schemas.read",
        resolve: Some(resolve_user_schema),
        seed: seed_user_schemas,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "group_schema",
        route: "/api/v1/meta/schemas/group/default",
        shape: Shape::Object,
        scope: "okta.schemas.read",
        seed: seed_group_schema,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "app_user_schemas",
        route: "/api/v1/meta/schemas/apps/{appId}/default",
        parent: Some("apps"),
        shape: Shape::Object,
        scope: "okta.schemas.read",
        seed: seed_app_user_schemas,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "group_rules",
        route: "/api/v1/groups/rules",
        item_route: Some("/api/v1/groups/rules/{groupRuleId}"),
        // Spec: default 50, maximum 200.
        shape: Shape::Array(Some(PageSizes {
            default: 50,
            min: 1,
            max: 200,
        })),
        scope: "okta.groups.read",
        bucket: GROUP_ITEM,
        seed: seed_group_rules,
        ..Resource::DEFAULTS
    },
    Resource {
        name: "group_owners",
        route: "/api/v1/groups/{groupId}/owners",
        parent: Some("groups"),
        // Spec: default 1000, no maximum stated; the simulator caps at 1000.
        shape: Shape::Array(Some(PageSizes {
            default: 1000,
            min: 1,
            max: 1000,
        })),
        scope: "okta.groups.read",
        bucket: GROUP_ITEM,
        seed: seed_group_owners,
        ..Resource::DEFAULTS
    },
];

/// The schema id of a user type: Okta gives both the same suffix (`oty…` / `osc…`).
fn schema_id_of(type_id: &str) -> String {
    format!("osc{}", type_id.get(3..).unwrap_or_default())
}

fn seed_user_types(ctx: &mut SeedCtx) -> Seeded {
    let creator = ctx
        .org
        .users
        .iter()
        .next()
        .map(|u| u.id.to_string())
        .unwrap_or_default();
    let custom_id = ctx.ids.next(crate::ids::USER_TYPE_PREFIX);
    let types = [
        (
            ctx.default_user_type_id.to_string(),
            "user",
            "User",
            "Okta user profile template with default permission settings",
            true,
        ),
        (
            custom_id,
            "contractor",
            "Contractor",
            "Contractors and temporary staff",
            false,
        ),
    ];
    let mut out = Vec::new();
    for (id, name, display, description, default) in types {
        let (created, updated) = ctx.times();
        let schema = format!("/api/v1/meta/schemas/user/{}", schema_id_of(&id));
        out.push(json!({
            "id": id, "name": name, "displayName": display, "description": description,
            "createdBy": creator, "lastUpdatedBy": creator, "created": created, "lastUpdated": updated,
            "default": default,
            "_links": {
                "self": ctx.link(&format!("/api/v1/meta/types/user/{id}"), &["GET", "PUT", "DELETE"]),
                "schema": { "href": ctx.url(&schema) },
            },
        }));
    }
    Seeded::from([(String::new(), out)])
}

/// `default` is the default user type's schema; anything else must be a schema id.
fn resolve_user_schema(store: &ResourceStore, wanted: &str) -> Option<(String, String)> {
    let schema_id = if wanted == "default" {
        let types = store.get("user_types")?.get("")?;
        let default = types.iter().map(|r| r.value()).find(|t| t["default"] == true)?;
        schema_id_of(default["id"].as_str()?)
    } else {
        wanted.to_string()
    };
    // Schemas are stored under their `id`, a URL ending in the schema id.
    let suffix = format!("/{schema_id}");
    let schemas = store.get("user_schemas")?.get("")?;
    let record = schemas.iter().find(|r| r.id.ends_with(&suffix))?;
    Some((String::new(), record.id.to_string()))
}

fn attribute(title: &str, required: bool, extra: Value) -> Value {
    let mut a = json!({
        "title": title, "type": "string", "required": required, "mutability": "READ_WRITE", "scope": "NONE",
        "permissions": [{ "principal": "SELF", "action": "READ_WRITE" }],
        "master": { "type": "PROFILE_MASTER" },
    });
    if let (Some(a), Some(extra)) = (a.as_object_mut(), extra.as_object()) {
        a.extend(extra.clone());
    }
    a
}

fn seed_user_schemas(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Vec::new();
    for user_type in ctx.objects("user_types") {
        let (created, updated) = ctx.times();
        let type_id = user_type["id"].as_str().unwrap_or_default();
        let schema_id = schema_id_of(type_id);
        let mut custom = json!({
            "employeeNumber": attribute("Employee number", false, json!({ "maxLength": 20 })),
            "costCenter": attribute("Cost center", false, json!({ "description": "Finance cost center" })),
        });
        if user_type["default"] != true {
            custom["contractEnd"] = attribute(
                "Contract end date",
                false,
                json!({ "description": "Last day of the contract" }),
            );
        }
        let base = json!({
            "login": attribute("Username", true, json!({ "minLength": 5, "maxLength": 100, "pattern": ".+" })),
            "firstName": attribute("First name", true, json!({ "minLength": 1, "maxLength": 50 })),
            "lastName": attribute("Last name", true, json!({ "minLength": 1, "maxLength": 50 })),
            "email": attribute("Primary email", true, json!({ "format": "email" })),
            "mobilePhone": attribute("Mobile phone", false, json!({ "maxLength": 100 })),
        });
        out.push(json!({
            "id": ctx.url(&format!("/meta/schemas/user/{schema_id}")),
            "$schema": "http://json-schema.org/draft-04/schema#",
            "name": user_type["name"], "title": user_type["displayName"],
            "description": user_type["description"],
            "created": created, "lastUpdated": updated, "type": "object",
            "definitions": {
                "base": { "id": "#base", "type": "object", "properties": base,
                          "required": ["login", "firstName", "lastName", "email"] },
                "custom": { "id": "#custom", "type": "object", "properties": custom, "required": [] },
            },
            "properties": { "profile": { "allOf": [{ "$ref": "#/definitions/custom" }, { "$ref": "#/definitions/base" }] } },
            "_links": {
                "self": { "href": ctx.url(&format!("/api/v1/meta/schemas/user/{schema_id}")), "method": "GET", "rel": "self" },
                "type": { "href": ctx.url(&format!("/api/v1/meta/types/user/{type_id}")), "method": "GET", "rel": "type" },
            },
        }));
    }
    Seeded::from([(String::new(), out)])
}

fn seed_group_schema(ctx: &mut SeedCtx) -> Seeded {
    let (created, updated) = ctx.times();
    let schema = json!({
        "id": ctx.url("/meta/schemas/group/default"),
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": "group", "title": "Okta group", "description": "Okta group profile template",
        "created": created, "lastUpdated": updated, "type": "object",
        "definitions": {
            "base": { "id": "#base", "type": "object", "required": ["name"], "properties": {
                "name": attribute("Name", true, json!({ "maxLength": 255 })),
                "description": attribute("Description", false, json!({ "maxLength": 1024 })),
            } },
            "custom": { "id": "#custom", "type": "object", "required": [], "properties": {
                "groupContact": attribute("Group administrative contact", false,
                                          json!({ "description": "Group administrative contact" })),
                "costCenter": attribute("Cost center", false, json!({})),
            } },
        },
        "properties": { "profile": { "allOf": [{ "$ref": "#/definitions/custom" }, { "$ref": "#/definitions/base" }] } },
        "_links": { "self": { "href": ctx.url("/api/v1/meta/schemas/group/default"), "method": "GET", "rel": "self" } },
    });
    Seeded::from([(String::new(), vec![schema])])
}

fn seed_app_user_schemas(ctx: &mut SeedCtx) -> Seeded {
    let apps: Vec<Value> = ctx.org.apps.values();
    let mut out = Seeded::new();
    for app in apps {
        let app_id = app["id"].as_str().unwrap_or_default().to_string();
        let (created, updated) = ctx.times();
        let mut base = json!({
            "userName": attribute("Username", true, json!({ "scope": "NONE", "master": { "type": "PROFILE_MASTER" } })),
        });
        if app["signOnMode"] != "BOOKMARK" {
            base["email"] = attribute("Email", false, json!({}));
            base["firstName"] = attribute("First name", false, json!({}));
            base["lastName"] = attribute("Last name", false, json!({}));
        }
        let schema = json!({
            "id": ctx.url(&format!("/meta/schemas/apps/{app_id}/default")),
            "$schema": "http://json-schema.org/draft-04/schema#",
            "name": app["name"], "title": format!("{} User", app["label"].as_str().unwrap_or_default()),
            "description": format!("User profile for {}", app["label"].as_str().unwrap_or_default()),
            "created": created, "lastUpdated": updated, "type": "object",
            "definitions": {
                "base": { "id": "#base", "type": "object", "properties": base, "required": ["userName"] },
                "custom": { "id": "#custom", "type": "object", "required": [], "properties": {
                    "role": attribute("Role", false, json!({ "description": "Role in the application" })),
                } },
            },
            "properties": { "profile": { "allOf": [{ "$ref": "#/definitions/custom" }, { "$ref": "#/definitions/base" }] } },
            "_links": { "self": { "href": ctx.url(&format!("/api/v1/meta/schemas/apps/{app_id}/default")),
                                  "method": "GET", "rel": "self" } },
        });
        out.insert(app_id, vec![schema]);
    }
    out
}

fn seed_group_rules(ctx: &mut SeedCtx) -> Seeded {
    let groups = ctx.group_ids("OKTA_GROUP");
    let departments = ["Engineering", "Sales", "Marketing", "Finance", "Support", "IT"];
    let excluded = ctx.user_ids("SUSPENDED");
    let mut out = Vec::new();
    for (i, department) in departments.iter().enumerate() {
        let id = ctx.ids.next("0pr");
        let (created, updated) = ctx.times();
        let target = &groups[i % groups.len()];
        let also = &groups[(i * 3 + 1) % groups.len()];
        // Some rules test group membership: the group id inside the expression must be rewritten on restore.
        let expression = match i % 3 {
            0 => format!("user.department==\"{department}\""),
            1 => format!("user.department==\"{department}\" AND isMemberOfAnyGroup(\"{also}\")"),
            _ => format!("String.stringContains(user.title, \"{department}\")"),
        };
        let exclude: Vec<&String> = excluded.iter().skip(i).take(1 + i % 2).collect();
        out.push(json!({
            "type": "group_rule", "id": id, "name": format!("{department} auto-assignment"),
            "status": if i % 4 == 3 { "INACTIVE" } else { "ACTIVE" },
            "created": created, "lastUpdated": updated,
            "conditions": {
                "people": { "users": { "exclude": exclude }, "groups": { "exclude": [] } },
                "expression": { "value": expression, "type": "urn:okta:expression:1.0" },
            },
            "actions": { "assignUserToGroups": { "groupIds": [target] } },
        }));
    }
    Seeded::from([(String::new(), out)])
}

fn seed_group_owners(ctx: &mut SeedCtx) -> Seeded {
    let groups = ctx.group_ids("OKTA_GROUP");
    let people: Vec<Value> = ctx
        .org
        .users
        .iter()
        .filter(|u| &*u.status == "ACTIVE")
        .take(50)
        .map(|u| u.value())
        .collect();
    let mut out = Seeded::new();
    // Most groups have one or two user owners; some also have a group as owner; some have none.
    for (i, group) in groups.iter().enumerate() {
        if i % 5 == 4 || people.is_empty() {
            continue;
        }
        let mut owners = Vec::new();
        for k in 0..(1 + i % 2) {
            let user = &people[(i * 7 + k * 13) % people.len()];
            let (_, updated) = ctx.times();
            owners.push(json!({
                "id": user["id"], "type": "USER", "resolved": true, "originId": "null",
                "originType": "OKTA_DIRECTORY", "displayName": user["profile"]["displayName"],
                "lastUpdated": updated,
            }));
        }
        if i % 3 == 0 {
            let owner_group = &groups[(i + 1) % groups.len()];
            let name = ctx
                .org
                .groups
                .get(owner_group)
                .map(|g| g.value()["profile"]["name"].clone());
            let (_, updated) = ctx.times();
            owners.push(json!({
                "id": owner_group, "type": "GROUP", "resolved": true, "originId": "null",
                "originType": "OKTA_DIRECTORY", "displayName": name, "lastUpdated": updated,
            }));
        }
        out.insert(group.clone(), owners);
    }
    out
}
