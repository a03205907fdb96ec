//! The deployment template's KMS permissions (`infra/template.yaml`), read as data: every KMS
//! statement a function gets is conditioned on the encryption context, the bucket encrypts under
//! a key of its own, and the conditions, evaluated on the very contexts the code sends
//! (`aws::encryption_context`), let a snapshot key be made and opened, let credentials only be
//! opened, and refuse every other context.
//!
//! Run: `cargo test -p oktavault-shared --features aws --test template_kms_policy`

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use oktavault_shared::aws::encryption_context;
use oktavault_shared::ids::{OrgId, SnapshotId};
use oktavault_shared::okta::OrgUrl;
use oktavault_shared::ports::KeyContext;
use serde_yaml::Value;

fn template() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

fn resources(template: &Value) -> &serde_yaml::Mapping {
    template["Resources"].as_mapping().expect("the template has Resources")
}

/// The resource a `!Ref X` or `!GetAtt X.Attr` names; `None` for anything else.
fn referenced(value: &Value) -> Option<&str> {
    let Value::Tagged(tagged) = value else {
        return None;
    };
    let name = tagged.value.as_str()?;
    if tagged.tag == "Ref" {
        Some(name)
    } else if tagged.tag == "GetAtt" {
        name.split('.').next()
    } else {
        None
    }
}

fn one_or_many(value: &Value) -> Vec<&Value> {
    match value {
        Value::Sequence(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

fn actions(statement: &Value) -> Vec<&str> {
    one_or_many(&statement["Action"])
        .into_iter()
        .map(|a| a.as_str().expect("an action is a string"))
        .collect()
}

/// The key resources a statement's `Resource` names.
fn statement_resources(statement: &Value) -> Vec<&str> {
    one_or_many(&statement["Resource"])
        .into_iter()
        .map(|r| referenced(r).unwrap_or_else(|| panic!("a KMS statement names its key by !GetAtt or !Ref: {r:?}")))
        .collect()
}

/// The key named by a function environment variable in Globals.
fn global_env_key(template: &Value, variable: &str) -> String {
    let value = &template["Globals"]["Function"]["Environment"]["Variables"][variable];
    referenced(value)
        .unwrap_or_else(|| panic!("Globals sets {variable} to a key of the template, found {value:?}"))
        .to_owned()
}

/// Every (function, statement) pair the functions get, from managed policies of the template and
/// inline documents. A SAM policy template is refused, so none can grant KMS unseen.
fn function_statements(template: &Value) -> Vec<(String, Value)> {
    let resources = resources(template);
    let mut out = Vec::new();
    for (name, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let function = name.as_str().unwrap().to_owned();
        for policy in one_or_many(&resource["Properties"]["Policies"]) {
            let document = match referenced(policy) {
                Some(managed) => {
                    let resource = &resources[managed];
                    assert_eq!(resource["Type"].as_str(), Some("AWS::IAM::ManagedPolicy"), "{managed}");
                    &resource["Properties"]["PolicyDocument"]
                }
                None if policy.get("Statement").is_some() => policy,
                None => panic!("{function}: a policy this test cannot read, so cannot vouch for: {policy:?}"),
            };
            for statement in one_or_many(&document["Statement"]) {
                out.push((function.clone(), statement.clone()));
            }
        }
    }
    assert!(!out.is_empty(), "no function statements found");
    out
}

fn kms_statements(template: &Value) -> Vec<(String, Value)> {
    let statements: Vec<_> = function_statements(template)
        .into_iter()
        .filter(|(_, s)| actions(s).iter().any(|a| a.to_ascii_lowercase().starts_with("kms:")))
        .collect();
    assert!(
        !statements.is_empty(),
        "no function may use KMS: then what opens snapshots?"
    );
    statements
}

/// Whether `statement`'s conditions hold for a request carrying `context` (KMS's view: the
/// context keys are `kms:EncryptionContextKeys`, each value `kms:EncryptionContext:<key>`). Only
/// the operators the template uses are understood; any other fails the test.
fn conditions_hold(statement: &Value, context: &HashMap<String, String>) -> bool {
    let keys: BTreeSet<&str> = context.keys().map(String::as_str).collect();
    let value_of = |condition_key: &str| -> Option<&str> {
        let context_key = condition_key
            .strip_prefix("kms:EncryptionContext:")
            .unwrap_or_else(|| panic!("this test only evaluates encryption context keys, not {condition_key}"));
        context.get(context_key).map(String::as_str)
    };
    let Some(condition) = statement["Condition"].as_mapping() else {
        return true;
    };
    condition.iter().all(|(operator, tests)| {
        let tests = tests.as_mapping().expect("a condition operator maps keys to values");
        tests.iter().all(|(key, expected)| {
            let key = key.as_str().unwrap();
            let expected: Vec<&str> = one_or_many(expected)
                .into_iter()
                .map(|v| v.as_str().expect("plain string values"))
                .collect();
            match operator.as_str().unwrap() {
                "StringEquals" => value_of(key).is_some_and(|v| expected.contains(&v)),
                // IAM: true when the key is absent.
                "StringNotEquals" => value_of(key).is_none_or(|v| !expected.contains(&v)),
                "ForAllValues:StringEquals" => {
                    assert_eq!(key, "kms:EncryptionContextKeys");
                    keys.iter().all(|k| expected.contains(k))
                }
                "Null" => {
                    let absent = value_of(key).is_none();
                    absent == (expected == ["true"])
                }
                other => panic!("this test does not evaluate the condition operator {other}"),
            }
        })
    })
}

/// Whether any function may call `action` on `key` with `context`.
fn allowed(template: &Value, key: &str, action: &str, context: &HashMap<String, String>) -> bool {
    !functions_allowed(template, key, action, context).is_empty()
}

/// The functions that may call `action` on `key` with `context`.
fn functions_allowed(template: &Value, key: &str, action: &str, context: &HashMap<String, String>) -> BTreeSet<String> {
    kms_statements(template)
        .into_iter()
        .filter(|(_, statement)| {
            statement["Effect"].as_str() == Some("Allow")
                && actions(statement).contains(&action)
                && statement_resources(statement).contains(&key)
                && conditions_hold(statement, context)
        })
        .map(|(function, _)| function)
        .collect()
}

/// The one function that authorizes orgs, and so seals their credentials.
const API_FUNCTION: &str = "ApiFunction";

fn acme() -> OrgId {
    OrgId::new("acme.okta.com").unwrap()
}

fn snapshot_context() -> HashMap<String, String> {
    encryption_context(&KeyContext::snapshot(
        &acme(),
        &SnapshotId::new("20261123T115000Z-3f9a").unwrap(),
    ))
}

fn credentials_context() -> HashMap<String, String> {
    let url = OrgUrl::parse("https://acme.okta.com", false).unwrap();
    encryption_context(&KeyContext::org_credentials(&acme(), &url))
}

fn with(mut context: HashMap<String, String>, key: &str, value: Option<&str>) -> HashMap<String, String> {
    match value {
        Some(value) => context.insert(key.to_owned(), value.to_owned()),
        None => context.remove(key),
    };
    context
}

#[test]
fn the_bucket_encrypts_under_a_key_of_its_own() {
    let template = template();
    let resources = resources(&template);
    let envelope = global_env_key(&template, "OKTAVAULT_KMS_KEY_ID");
    let bucket_key = global_env_key(&template, "OKTAVAULT_BUCKET_KMS_KEY_ID");
    let sse = &resources["SnapshotBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
    assert_eq!(sse["SSEAlgorithm"].as_str(), Some("aws:kms"));
    assert_eq!(referenced(&sse["KMSMasterKeyID"]), Some(bucket_key.as_str()));
    assert_ne!(
        bucket_key, envelope,
        "S3's own context would need an exemption on the envelope key"
    );
    for key in [&envelope, &bucket_key] {
        assert_eq!(resources[key.as_str()]["Type"].as_str(), Some("AWS::KMS::Key"), "{key}");
    }
}

#[test]
fn every_kms_statement_of_every_function_is_conditioned_on_the_encryption_context() {
    let template = template();
    let envelope = global_env_key(&template, "OKTAVAULT_KMS_KEY_ID");
    let bucket_key = global_env_key(&template, "OKTAVAULT_BUCKET_KMS_KEY_ID");
    for (function, statement) in kms_statements(&template) {
        let sid = statement["Sid"].as_str().unwrap_or("(no Sid)");
        let condition = statement["Condition"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{function} {sid}: a KMS statement without a Condition"));
        let names_context = condition.values().any(|tests| {
            tests.as_mapping().is_some_and(|t| {
                t.keys()
                    .any(|k| k.as_str().is_some_and(|k| k.starts_with("kms:EncryptionContext")))
            })
        });
        assert!(
            names_context,
            "{function} {sid}: the condition names no encryption context"
        );
        for key in statement_resources(&statement) {
            if key == bucket_key {
                let equals = &statement["Condition"]["StringEquals"];
                let via = match &equals["kms:ViaService"] {
                    Value::Tagged(sub) if sub.tag == "Sub" => sub.value.as_str().unwrap_or_default(),
                    other => other.as_str().unwrap_or_default(),
                };
                assert!(
                    via.starts_with("s3."),
                    "{function} {sid}: the bucket key only via S3, not {via:?}"
                );
                assert_eq!(
                    referenced(&equals["kms:EncryptionContext:aws:s3:arn"]),
                    Some("SnapshotBucket"),
                    "{function} {sid}: the bucket key only for the snapshot bucket"
                );
            } else {
                assert_eq!(key, envelope, "{function} {sid}: a KMS statement on an unknown key");
                assert!(
                    statement["Condition"]["ForAllValues:StringEquals"]["kms:EncryptionContextKeys"].is_sequence(),
                    "{function} {sid}: the envelope key's context keys must be limited"
                );
            }
        }
    }
}

#[test]
fn the_envelope_key_makes_and_opens_snapshot_keys_and_only_opens_credentials() {
    let template = template();
    let envelope = global_env_key(&template, "OKTAVAULT_KMS_KEY_ID");
    let may = |action: &str, context: &HashMap<String, String>| allowed(&template, &envelope, action, context);

    let snapshot = snapshot_context();
    let credentials = credentials_context();
    assert!(may("kms:GenerateDataKey", &snapshot) && may("kms:Decrypt", &snapshot));
    assert!(may("kms:Decrypt", &credentials));
    assert_eq!(
        functions_allowed(&template, &envelope, "kms:GenerateDataKey", &credentials),
        BTreeSet::from([API_FUNCTION.to_owned()]),
        "sealing credentials is the API's job (authorizing an org), not a step's"
    );

    let refused = [
        ("no context", HashMap::new()),
        (
            "a snapshot context naming a purpose",
            with(snapshot.clone(), "purpose", Some("org-credentials")),
        ),
        (
            "a snapshot context without its org",
            with(snapshot.clone(), "org", None),
        ),
        (
            "the context credentials had before they named a purpose",
            with(snapshot, "snapshot", Some("org-credentials")),
        ),
        (
            "a credentials context naming another purpose",
            with(credentials.clone(), "purpose", Some("snapshot-data")),
        ),
        (
            "a credentials context without its URL",
            with(credentials.clone(), "url", None),
        ),
        (
            "a credentials context with an extra key",
            with(credentials, "snapshot", Some("s1")),
        ),
        (
            "S3's own context",
            HashMap::from([("aws:s3:arn".to_owned(), "arn:aws:s3:::bucket".to_owned())]),
        ),
    ];
    for (case, context) in &refused {
        for action in ["kms:GenerateDataKey", "kms:Decrypt"] {
            assert!(!may(action, context), "{action} is allowed with {case}: {context:?}");
        }
    }
}

#[test]
fn the_envelope_key_makes_and_opens_an_orgs_search_index_keys_under_that_purpose_only() {
    let template = template();
    let envelope = global_env_key(&template, "OKTAVAULT_KMS_KEY_ID");
    let may = |action: &str, context: &HashMap<String, String>| allowed(&template, &envelope, action, context);

    let index = encryption_context(&KeyContext::search_index(&acme()));
    assert!(may("kms:GenerateDataKey", &index) && may("kms:Decrypt", &index));
    let refused = [
        (
            "a search index context without its org",
            with(index.clone(), "org", None),
        ),
        (
            "a search index context naming a snapshot",
            with(index.clone(), "snapshot", Some("s1")),
        ),
        (
            "a search index context naming a URL",
            with(index, "url", Some("https://acme.okta.com")),
        ),
    ];
    for (case, context) in &refused {
        for action in ["kms:GenerateDataKey", "kms:Decrypt"] {
            assert!(!may(action, context), "{action} is allowed with {case}: {context:?}");
        }
    }
}

#[test]
fn both_keys_resist_deletion_and_a_deletion_or_disabling_reaches_the_alert_topic() {
    let template = template();
    let resources = resources(&template);
    let envelope = global_env_key(&template, "OKTAVAULT_KMS_KEY_ID");
    let bucket_key = global_env_key(&template, "OKTAVAULT_BUCKET_KMS_KEY_ID");
    for key in [&envelope, &bucket_key] {
        let properties = &resources[key.as_str()]["Properties"];
        assert_eq!(
            properties["PendingWindowInDays"].as_u64(),
            Some(30),
            "{key}: the longest deletion window"
        );
        let guarded = one_or_many(&properties["KeyPolicy"]["Statement"]).into_iter().any(|s| {
            let denied = actions(s);
            s["Effect"].as_str() == Some("Deny")
                && denied.contains(&"kms:ScheduleKeyDeletion")
                && denied.contains(&"kms:DisableKey")
        });
        assert!(
            guarded,
            "{key}: its policy denies scheduling its deletion and disabling it"
        );
    }

    let rule = &resources["KeyGuardRule"]["Properties"];
    let pattern = &rule["EventPattern"]["detail"];
    let events: Vec<&str> = one_or_many(&pattern["eventName"])
        .into_iter()
        .filter_map(Value::as_str)
        .collect();
    for event in ["ScheduleKeyDeletion", "DisableKey"] {
        assert!(events.contains(&event), "the rule matches {event}: {events:?}");
    }
    let watched: BTreeSet<&str> = one_or_many(&pattern["resources"]["ARN"])
        .into_iter()
        .filter_map(referenced)
        .collect();
    assert_eq!(watched, BTreeSet::from([envelope.as_str(), bucket_key.as_str()]));
    let target = &rule["Targets"][0]["Arn"];
    assert_eq!(referenced(target), Some("AlertTopic"), "{target:?}");
    assert_eq!(
        referenced(&template["Globals"]["Function"]["Environment"]["Variables"]["OKTAVAULT_ALERT_TOPIC_ARN"]),
        Some("AlertTopic"),
        "the functions' alerts and the key guard share the topic"
    );
}
