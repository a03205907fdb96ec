//! Directory configuration: user types and their schemas, the group schema, app user schemas, group
//! rules and group owners. Shapes follow the spec's `UserType`, `UserSchema`, `GroupSchema`,
//! `GroupRule` and `GroupOwner` schemas and examples.
//!
//! Writes follow Okta: a new user type comes with its schema (schemas have no create; they are
//! updated by a partial POST); the default type and a type users still have are never deleted; a
//! group rule is created INACTIVE, only an INACTIVE rule can be updated and never its `actions`, and
//! an INVALID rule can be neither activated nor deactivated (it is deleted and made again).

use serde_json::{Value, json};

use super::write::{Change, Events, Fill, Op, WriteRequest, Writes, call};
use super::{Resource, ResourceStore, SeedCtx, Seeded, Shape, put_object, remove_object};
use crate::errors::ApiError;
use crate::handlers::PageSizes;
use crate::ratelimit::GROUP_ITEM;
use crate::server::Shared;
use crate::store::Org;
use crate::syslog::ADMIN_ID;

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "user_types",
        route: "/api/v1/meta/types/user",
        item_route: Some("/api/v1/meta/types/user/{typeId}"),
        shape: Shape::Array(None),
        scope: "okta.userTypes.read",
        seed: seed_user_types,
        writes: Some(&USER_TYPE_WRITES),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "user_schemas",
        route: "/api/v1/meta/schemas/user/{schemaId}",
        shape: Shape::Object,
        scope: "okta.schemas.read",
        resolve: Some(resolve_user_schema),
        seed: seed_user_schemas,
        writes: Some(&schema_writes(&[call(
            "POST",
            "/api/v1/meta/schemas/user/{schemaId}",
            Op::Merge,
            200,
        )])),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "group_schema",
        route: "/api/v1/meta/schemas/group/default",
        shape: Shape::Object,
        scope: "okta.schemas.read",
        seed: seed_group_schema,
        writes: Some(&schema_writes(&[call(
            "POST",
            "/api/v1/meta/schemas/group/default",
            Op::Merge,
            200,
        )])),
        ..Resource::DEFAULTS
    },
    Resource {
        name: "app_user_schemas",
        route: "/api/v1/meta/schemas/apps/{appId}/default",
        parent: Some("apps"),
        shape: Shape::Object,
        scope: "okta.schemas.read",
        seed: seed_app_user_schemas,
        writes: Some(&schema_writes(&[call(
            "POST",
            "/api/v1/meta/schemas/apps/{appId}/default",
            Op::Merge,
            200,
        )])),
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
        writes: Some(&GROUP_RULE_WRITES),
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
        writes: Some(&GROUP_OWNER_WRITES),
        ..Resource::DEFAULTS
    },
];

static USER_TYPE_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/meta/types/user", Op::Create, 200),
        call("POST", "/api/v1/meta/types/user/{typeId}", Op::Merge, 200),
        call("PUT", "/api/v1/meta/types/user/{typeId}", Op::Replace, 200),
        call("DELETE", "/api/v1/meta/types/user/{typeId}", Op::Delete, 204),
    ],
    id_prefix: crate::ids::USER_TYPE_PREFIX,
    events: Events {
        target: "UserType",
        create: "system.user_type.create",
        update: "system.user_type.update",
        delete: "system.user_type.delete",
        ..Events::NONE
    },
    server_fields: &["createdBy", "lastUpdatedBy", "default"],
    // Okta keeps a type's `name` (the key profiles and expressions use) from its creation on.
    immutable: &["name"],
    rules: user_type_rules,
    fill: new_user_type,
    forget: |org, _, user_type| {
        let schema_id = schema_id_of(user_type["id"].as_str().unwrap_or_default());
        if let Some((parent, key)) = resolve_user_schema(&org.resources, &schema_id) {
            remove_object(&mut org.resources, "user_schemas", &parent, &key);
        }
    },
    ..Writes::DEFAULTS
};

fn user_type_rules(org: &Org, change: &Change) -> Result<(), ApiError> {
    let Change::Delete { old } = change else {
        return Ok(());
    };
    let id = old["id"].as_str().unwrap_or_default();
    if old["default"] == true {
        return Err(ApiError::validation(
            "id",
            format!("id: {id} is the default user type, which cannot be deleted"),
        ));
    }
    let typed = format!(r#""type":{{"id":"{id}"}}"#);
    if org.users.iter().any(|u| u.json.contains(&typed)) {
        return Err(ApiError::validation(
            "id",
            format!("id: users of type {id} remain; change their type or delete them first"),
        ));
    }
    Ok(())
}

/// A new user type: its creator, not the default, and its schema (base attributes, no custom ones).
fn new_user_type(fill: &mut Fill) {
    let id = fill.object["id"].as_str().unwrap_or_default().to_string();
    fill.object["createdBy"] = json!(ADMIN_ID);
    fill.object["lastUpdatedBy"] = json!(ADMIN_ID);
    fill.object["default"] = json!(false);
    let schema = format!("{}/api/v1/meta/schemas/user/{}", fill.base, schema_id_of(&id));
    fill.object["_links"]["schema"] = json!({ "href": schema });
    let schema = user_schema(fill.base, fill.object, json!({}), fill.now, fill.now);
    put_object(&mut fill.org.resources, "user_schemas", "", &schema);
}

/// Schemas: one partial-update POST, no create or delete (they come and go with what they describe).
const fn schema_writes(calls: &'static [super::write::Call]) -> Writes {
    Writes {
        calls,
        events: Events {
            target: "UserSchema",
            update: "system.schema.update",
            ..Events::NONE
        },
        server_fields: &["$schema", "name", "type"],
        links: false,
        ..Writes::DEFAULTS
    }
}

static GROUP_RULE_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/groups/rules", Op::Create, 200),
        call("PUT", "/api/v1/groups/rules/{groupRuleId}", Op::Replace, 200),
        call("DELETE", "/api/v1/groups/rules/{groupRuleId}", Op::Delete, 202),
        call(
            "POST",
            "/api/v1/groups/rules/{groupRuleId}/lifecycle/activate",
            Op::Activate,
            204,
        ),
        call(
            "POST",
            "/api/v1/groups/rules/{groupRuleId}/lifecycle/deactivate",
            Op::Deactivate,
            204,
        ),
    ],
    id_prefix: "0pr",
    events: Events {
        target: "GroupRule",
        create: "group.user_membership.rule.create",
        update: "group.user_membership.rule.update",
        activate: "group.user_membership.rule.activated",
        deactivate: "group.user_membership.rule.deactivated",
        delete: "group.user_membership.rule.delete",
    },
    server_fields: &["status"],
    // Okta creates every rule INACTIVE; it runs once activated.
    created_status: Some("INACTIVE"),
    rules: group_rule_rules,
    links: false,
    on_status: run_group_rule,
    ..Writes::DEFAULTS
};

/// What Okta does when a group rule is activated: every user the expression matches (and the rule does not
/// exclude) becomes a member of the rule's groups. Evaluates the expression forms the seed writes
/// (`user.department=="X"`, `String.stringContains(user.title, "X")`, `isMemberOfAnyGroup("id")`, joined with
/// `AND`); a clause of another form matches no one.
fn run_group_rule(org: &mut Org, rule: &Value, now: &str) {
    if rule["status"] != "ACTIVE" {
        return;
    }
    let expression = rule
        .pointer("/conditions/expression/value")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let excluded: Vec<&str> = rule
        .pointer("/conditions/people/users/exclude")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let groups: Vec<String> = rule
        .pointer("/actions/assignUserToGroups/groupIds")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let matched: Vec<String> = org
        .users
        .iter()
        .map(crate::store::Record::value)
        .filter(|u| u["status"] != "DEPROVISIONED")
        .filter(|u| !excluded.contains(&u["id"].as_str().unwrap_or_default()))
        .filter(|u| rule_matches(org, expression, u))
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    for group in &groups {
        let mut changed = false;
        for user in &matched {
            changed |= org.add_member(group, user);
        }
        if changed {
            crate::handlers::users::touch_membership(org, group, now);
        }
    }
}

fn rule_matches(org: &Org, expression: &str, user: &Value) -> bool {
    let quoted = |clause: &str| clause.split('"').nth(1).map(str::to_owned);
    let profile = |field: &str| user["profile"][field].as_str().unwrap_or_default().to_owned();
    expression.split(" AND ").all(|clause| {
        let clause = clause.trim();
        if let Some(field) = clause.strip_prefix("user.").and_then(|c| c.split("==").next()) {
            quoted(clause).is_some_and(|v| profile(field) == v)
        } else if let Some(rest) = clause.strip_prefix("String.stringContains(user.") {
            let field = rest.split(',').next().unwrap_or_default();
            quoted(clause).is_some_and(|v| profile(field).contains(&v))
        } else if clause.starts_with("isMemberOfAnyGroup(") {
            quoted(clause).is_some_and(|g| {
                org.group_members
                    .get(&g)
                    .is_some_and(|m| m.iter().any(|id| Some(id.as_str()) == user["id"].as_str()))
            })
        } else {
            false
        }
    })
}

fn group_rule_rules(org: &Org, change: &Change) -> Result<(), ApiError> {
    match change {
        Change::Create { body, .. } => assignable_groups(org, body),
        Change::Replace { old, body } => {
            let status = old["status"].as_str().unwrap_or_default();
            if status != "INACTIVE" {
                return Err(ApiError::validation(
                    "status",
                    format!(
                        "status: only an INACTIVE group rule can be updated, this one is {status}; deactivate it first (an INVALID rule is deleted and created again)"
                    ),
                ));
            }
            if body.get("actions").is_some_and(|a| *a != old["actions"]) {
                return Err(ApiError::validation(
                    "actions",
                    "actions: the actions of a group rule cannot be changed; delete the rule and create it again",
                ));
            }
            Ok(())
        }
        Change::Status { old, .. } if old["status"] == "INVALID" => Err(ApiError::validation(
            "status",
            "status: an INVALID group rule can be neither activated nor deactivated; delete it and create it again",
        )),
        _ => Ok(()),
    }
}

/// A rule assigns users to existing groups of its own (OKTA_GROUP), never to Everyone or app groups.
fn assignable_groups(org: &Org, body: &Value) -> Result<(), ApiError> {
    let ids = body
        .pointer("/actions/assignUserToGroups/groupIds")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::validation(
            "actions.assignUserToGroups.groupIds",
            "actions.assignUserToGroups.groupIds: The field cannot be left blank",
        ));
    }
    for id in ids.iter().map(|i| i.as_str().unwrap_or_default()) {
        match org.groups.get(id).map(|g| g.value()) {
            None => {
                return Err(ApiError::validation(
                    "actions.assignUserToGroups.groupIds",
                    format!("actions.assignUserToGroups.groupIds: group {id} does not exist"),
                ));
            }
            Some(g) if g["type"] != "OKTA_GROUP" => {
                return Err(ApiError::validation(
                    "actions.assignUserToGroups.groupIds",
                    format!(
                        "actions.assignUserToGroups.groupIds: {id} is a {} group; rules assign only to OKTA_GROUP groups",
                        g["type"].as_str().unwrap_or("?")
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

static GROUP_OWNER_WRITES: Writes = Writes {
    calls: &[
        call("POST", "/api/v1/groups/{groupId}/owners", Op::Custom(add_owner), 201),
        call("DELETE", "/api/v1/groups/{groupId}/owners/{ownerId}", Op::Delete, 204),
    ],
    events: Events {
        target: "UserGroup",
        create: "group.owner.add",
        delete: "group.owner.remove",
        ..Events::NONE
    },
    stamps: &["lastUpdated"],
    links: false,
    ..Writes::DEFAULTS
};

/// `POST /api/v1/groups/{groupId}/owners` with `{id, type}`: a user or group becomes an owner.
fn add_owner(sim: &Shared, request: &WriteRequest) -> Result<axum::response::Response, ApiError> {
    let group_id = request.params.first().cloned().unwrap_or_default();
    let (id, kind) = (
        request.body["id"].as_str().unwrap_or_default(),
        request.body["type"].as_str().unwrap_or("USER"),
    );
    let mut org = sim.write_org();
    let group = org
        .groups
        .get(&group_id)
        .map(|g| g.value())
        .ok_or_else(|| ApiError::NotFound(format!("{group_id} (UserGroup)")))?;
    let display = match kind {
        "USER" => org.users.get(id).map(|u| {
            let u = u.value();
            let name = format!(
                "{} {}",
                u["profile"]["firstName"].as_str().unwrap_or_default(),
                u["profile"]["lastName"].as_str().unwrap_or_default()
            );
            u["profile"]["displayName"].as_str().map(String::from).unwrap_or(name)
        }),
        "GROUP" => org
            .groups
            .get(id)
            .map(|g| g.value()["profile"]["name"].as_str().unwrap_or_default().to_string()),
        other => {
            return Err(ApiError::validation(
                "type",
                format!("type: `{other}` is not one of USER, GROUP"),
            ));
        }
    };
    let display = display.ok_or_else(|| ApiError::NotFound(format!("{id} ({kind})")))?;
    if super::write::stored(&org, "group_owners", &group_id, id).is_some() {
        return Err(ApiError::validation(
            "id",
            format!("id: {id} already owns group {group_id}"),
        ));
    }
    let owner = json!({
        "id": id, "type": kind, "resolved": true, "originId": "null", "originType": "OKTA_DIRECTORY",
        "displayName": display, "lastUpdated": sim.clock.now(),
    });
    put_object(&mut org.resources, "group_owners", &group_id, &owner);
    super::write::emit(sim, &mut org, "group.owner.add", crate::syslog::group_target(&group));
    Ok(super::write::answer(201, &owner))
}

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
        out.push(user_schema(ctx.base, &user_type, custom, &created, &updated));
    }
    Seeded::from([(String::new(), out)])
}

/// The schema of a user type: Okta's base attributes and `custom` ones.
fn user_schema(base_url: &str, user_type: &Value, custom: Value, created: &str, updated: &str) -> Value {
    let type_id = user_type["id"].as_str().unwrap_or_default();
    let schema_id = schema_id_of(type_id);
    let base = json!({
        "login": attribute("Username", true, json!({ "minLength": 5, "maxLength": 100, "pattern": ".+" })),
        "firstName": attribute("First name", true, json!({ "minLength": 1, "maxLength": 50 })),
        "lastName": attribute("Last name", true, json!({ "minLength": 1, "maxLength": 50 })),
        "email": attribute("Primary email", true, json!({ "format": "email" })),
        "mobilePhone": attribute("Mobile phone", false, json!({ "maxLength": 100 })),
    });
    json!({
        "id": format!("{base_url}/meta/schemas/user/{schema_id}"),
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
            "self": { "href": format!("{base_url}/api/v1/meta/schemas/user/{schema_id}"), "method": "GET", "rel": "self" },
            "type": { "href": format!("{base_url}/api/v1/meta/types/user/{type_id}"), "method": "GET", "rel": "type" },
        },
    })
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
        let custom = json!({ "role": attribute("Role", false, json!({ "description": "Role in the application" })) });
        out.insert(
            app_id,
            vec![app_user_schema(ctx.base, &app, &created, &updated, custom)],
        );
    }
    out
}

/// An app's user schema: the base attributes its sign-on mode has, and `custom` ones. Okta makes one with every
/// app; a new app's has no custom attributes.
pub fn app_user_schema(base_url: &str, app: &Value, created: &str, updated: &str, custom: Value) -> Value {
    let app_id = app["id"].as_str().unwrap_or_default();
    let url = |path: &str| format!("{base_url}{path}");
    let mut base = json!({
        "userName": attribute("Username", true, json!({ "scope": "NONE", "master": { "type": "PROFILE_MASTER" } })),
    });
    if app["signOnMode"] != "BOOKMARK" {
        base["email"] = attribute("Email", false, json!({}));
        base["firstName"] = attribute("First name", false, json!({}));
        base["lastName"] = attribute("Last name", false, json!({}));
    }
    json!({
        "id": url(&format!("/meta/schemas/apps/{app_id}/default")),
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": app["name"], "title": format!("{} User", app["label"].as_str().unwrap_or_default()),
        "description": format!("User profile for {}", app["label"].as_str().unwrap_or_default()),
        "created": created, "lastUpdated": updated, "type": "object",
        "definitions": {
            "base": { "id": "#base", "type": "object", "properties": base, "required": ["userName"] },
            "custom": { "id": "#custom", "type": "object", "required": [], "properties": custom },
        },
        "properties": { "profile": { "allOf": [{ "$ref": "#/definitions/custom" }, { "$ref": "#/definitions/base" }] } },
        "_links": { "self": { "href": url(&format!("/api/v1/meta/schemas/apps/{app_id}/default")),
                              "method": "GET", "rel": "self" } },
    })
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
