//! Every reference the catalog declares resolves in the simulator's seeded org: for every category and every
//! reference, the ids `references::extract` finds exist in the referenced category of the same snapshot
//! contents (the seeded org's `expected_contents`), except the documented cases below.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use oktavault_shared::categories::{CATEGORIES, Category, Form, Keep, Response, Source};
use oktavault_shared::references::{self, FoundRef};
use oktavault_shared::testkit::expected::{Contents, expected_contents};
use serde_json::Value;
use support::spec::{fail_on, property_schemas, resolve, spec_for, spec_listing_path};

/// References allowed not to resolve in the seeded org, with why: `(category, declared path, why)`.
const UNRESOLVED_BY_DESIGN: &[(&str, &str, &str)] = &[(
    "apps",
    "credentials.signing.kid",
    "a simulator gap: it seeds each app's signing kid as a fixed label (`salesforce-saml-signing-key`) and its \
     keys (`/api/v1/apps/{id}/credentials/keys`) with random kids, where in Okta the app signs with one of its keys",
)];

/// References the simulator's seeded org has no value for, so the test above cannot resolve them; the spec test
/// below still checks that each names a field Okta answers with, and `references`' unit tests cover their forms.
const NOT_SEEDED: &[(&str, &str)] = &[
    ("apps", "settings.inlineHookId"),
    ("apps", "settings.signOn.inlineHooks[].id"),
    ("group_rules", "conditions.people.groups.exclude[]"),
    ("policy_rules", "conditions.people.users.include[]"),
    ("policy_rules", "conditions.people.groups.exclude[]"),
    ("policy_rules", "conditions.network.exclude[]"),
    ("policy_rules", "conditions.userType.exclude[]"),
    ("policy_rules", "conditions.app.exclude[].id"),
    ("policy_rules", "conditions.identityProvider.idpIds[]"),
    ("policy_rules", "conditions.elCondition.condition"),
    (
        "policy_rules",
        "actions.appSignOn.verificationMethod.constraints[].knowledge.authenticationMethods[].id",
    ),
    (
        "policy_rules",
        "actions.appSignOn.verificationMethod.chains[].authenticationMethods[].id",
    ),
    ("policy_rules", "actions.idp.providers[].id"),
    (
        "policy_rules",
        "actions.profileEnrollment.preRegistrationInlineHooks[].inlineHookId",
    ),
    ("authserver_policy_rules", "actions.token.inlineHook.id"),
    ("identity_providers", "policy.provisioning.groups.filter[]"),
    ("identity_providers", "policy.accountLink.filter.groups.include[]"),
];

async fn seeded_contents() -> Contents {
    let sim = okta_sim::start(okta_sim::SimConfig::new(60, 7), 0).await.unwrap();
    let contents = expected_contents(&sim.snapshot_state());
    sim.shutdown().await;
    contents
}

/// Whether the object a reference names is in `contents`: by stored id, or an app by its OAuth client id.
fn resolves(contents: &Contents, found: &FoundRef) -> bool {
    let Some(objects) = contents.get(found.category) else {
        return false;
    };
    match found.form {
        Form::ClientId => objects
            .values()
            .any(|app| references::client_id_of(app) == Some(found.id.as_str())),
        _ => objects.contains_key(&found.id),
    }
}

#[tokio::test]
async fn every_declared_reference_resolves_in_the_seeded_org() {
    let contents = seeded_contents().await;
    let mut checked: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut outside_seen = BTreeSet::new();
    let mut problems = Vec::new();
    for row in CATEGORIES {
        let objects = contents
            .get(row.name)
            .unwrap_or_else(|| panic!("the seeded org has no {}", row.name));
        for (id, object) in objects {
            for reference in row.references {
                if !references::strings_at(object, reference.path).is_empty() {
                    *checked.entry((row.name, reference.path)).or_default() += 1;
                }
            }
            for found in references::extract(row, object) {
                if resolves(&contents, &found) {
                    continue;
                }
                if UNRESOLVED_BY_DESIGN
                    .iter()
                    .any(|(c, f, _)| *c == row.name && *f == found.field)
                {
                    outside_seen.insert((row.name, found.field));
                    continue;
                }
                problems.push(format!(
                    "{} {id}: {} ({}) names {} {:?}, which the seeded org does not have",
                    row.name, found.pointer, found.field, found.category, found.id
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} unresolved:\n{}",
        problems.len(),
        problems.join("\n")
    );
    for (category, field, why) in UNRESOLVED_BY_DESIGN {
        assert!(
            outside_seen.contains(&(*category, *field)),
            "{category}.{field} is listed as unresolved by design ({why}), but every one resolves: drop it"
        );
    }

    let unchecked: Vec<(&str, &str)> = CATEGORIES
        .iter()
        .flat_map(|row| row.references.iter().map(move |r| (row.name, r.path)))
        .filter(|key| !checked.contains_key(key))
        .collect();
    assert_eq!(
        unchecked, NOT_SEEDED,
        "the references the seeded org has no value for (left) must be the documented ones (right)"
    );
}

/// Guards the test above against passing by finding nothing: the forms beyond a plain id are all exercised.
#[tokio::test]
async fn the_seeded_org_exercises_every_reference_form() {
    let contents = seeded_contents().await;
    let mut forms = BTreeSet::new();
    for row in CATEGORIES {
        for object in contents[row.name].values() {
            for found in references::extract(row, object) {
                forms.insert(format!("{:?}", found.form));
            }
        }
    }
    let forms: Vec<&str> = forms.iter().map(String::as_str).collect();
    assert_eq!(forms, vec!["ClientId", "Expression", "Href", "Id", "Orn"]);
}

/// The spec schema of one stored item of `row`: the listing's 200 answer, its items for a list, the wrapped field's
/// items for an IAM list. `None` for rows not listed from one spec path (a user type's schema, the System Log).
fn item_schema(row: &Category) -> Option<(&'static Value, Value)> {
    let listing = match row.source {
        Source::List { passes } => passes[0],
        Source::PerParent { path, .. } | Source::PerParentAndName { path, .. } => path,
        Source::PerParentLink { .. } => "/api/v1/meta/schemas/user/{schemaId}",
        Source::Log { .. } => return None,
    };
    let template = spec_listing_path(listing)?;
    let spec = spec_for(template);
    let pointer = format!(
        "/paths/{}/get/responses/200/content/application~1json/schema",
        template.replace('~', "~0").replace('/', "~1")
    );
    let answer = resolve(spec, spec.pointer(&pointer)?);
    let item = match row.response {
        Response::Object => answer,
        Response::Array => resolve(spec, answer.get("items")?),
        Response::Wrapped { field } => resolve(
            spec,
            resolve(spec, answer.pointer(&format!("/properties/{field}"))?).get("items")?,
        ),
    };
    Some((spec, item.clone()))
}

/// The fields a row adds to what Okta answers (the parent's id), which the spec cannot have.
fn added_by_keep(row: &Category) -> Vec<&'static str> {
    match row.keep {
        Keep::Whole | Keep::Named { .. } => Vec::new(),
        Keep::WithParent { parent_field } | Keep::OnePerParent { parent_field } => vec![parent_field],
        Keep::Edge {
            parent_field,
            child_field,
        } => vec![parent_field, child_field],
        Keep::LinkedUser {
            parent_field,
            name_field,
            child_field,
        } => vec![parent_field, name_field, child_field],
    }
}

/// Every reference path names fields of the spec's answer for its row, step by step (through `allOf`/`oneOf`,
/// discriminator variants and array items): a reference to a field Okta never answers with would find nothing.
#[test]
fn every_reference_path_is_a_field_okta_answers_with() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for row in CATEGORIES {
        let Some((spec, item)) = item_schema(row) else {
            continue;
        };
        for reference in row.references {
            if added_by_keep(row).contains(&reference.path) {
                continue;
            }
            checked += 1;
            let mut schemas: Vec<Value> = vec![item.clone()];
            for segment in reference.path.split('.') {
                let (name, each) = match segment.strip_suffix("[]") {
                    Some(name) => (name, true),
                    None => (segment, false),
                };
                let mut found = Vec::new();
                for schema in &schemas {
                    property_schemas(spec, schema, name, &mut Vec::new(), &mut found);
                }
                if found.is_empty() {
                    problems.push(format!(
                        "{}: {} has no `{name}` in the spec's answer",
                        row.name, reference.path
                    ));
                    break;
                }
                schemas = found
                    .into_iter()
                    .map(|s| resolve(spec, s))
                    .map(|s| {
                        if each {
                            s.get("items").map(|i| resolve(spec, i)).unwrap_or(s)
                        } else {
                            s
                        }
                    })
                    .cloned()
                    .collect();
            }
        }
    }
    assert!(checked > 60, "only {checked} references were checked");
    fail_on(problems);
}
