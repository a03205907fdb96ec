//! A second oracle for the simulator's shapes: Okta's official Python SDK (PyPI `okta`, generated from the
//! management spec) lists every category of a simulated org (`tests/sdk/list_every_category.py`, every
//! parent, every page) and parses each answer into its strict models. The only parse errors accepted
//! are the SDK's own, listed in [`SDK_OWN_ERRORS`] with why: places where the SDK's models disagree
//! with the spec the simulator follows. Needs the project's venv with the SDK: `scripts/ensure-okta-sdk`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use okta_sim::SimConfig;
use serde_json::Value;

const SDK_VERSION: &str = "3.4.6";

/// The SDK's own parse errors: (category, the SDK model its message names, why the simulator is right).
const SDK_OWN_ERRORS: &[(&str, &str, &str)] = &[
    (
        "network_zones",
        "DynamicNetworkZoneAllOfAsns",
        "the spec's DynamicNetworkZone.asns is NetworkZoneAsns, an array of ASN strings; the SDK models it as \
         the {include, exclude} object of EnhancedDynamicNetworkZone (DYNAMIC_V2)",
    ),
    (
        "authenticator_methods",
        "AuthenticatorMethodTotpAllOfSettings",
        "the spec's OtpTotpAlgorithm enum is HMacSHA1/HMacSHA256/HMacSHA512; the SDK's is upper-case HMACSHA1..., \
         from another spec version",
    ),
    (
        "policy_rules",
        "IdpPolicyRuleActionProvider",
        "IdP discovery rules route to Okta itself with provider `type: OKTA`, as the spec's own IDP_DISCOVERY rule \
         examples show; the schema's (and so the SDK's) enum lists only external IdP types",
    ),
    (
        "role_permissions",
        "PermissionConditions",
        "the spec's own PermissionsResponse example (and Okta) give `okta:ResourceAttribute/User/Profile` as an \
         array of attribute names; the schema (and so the SDK) wants an object",
    ),
];

/// Catalog categories the SDK has no call for, and why.
const NO_SDK_CALL: &[(&str, &str)] = &[(
    "oauth_clients",
    "`/oauth2/v1/clients` is in Okta's OAuth spec, not the management spec the SDK is generated from",
)];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The project venv's python with the SDK at the pinned version, or a message saying how to get it.
fn python() -> PathBuf {
    let python = repo().join(".venv/bin/python");
    let check = Command::new(&python)
        .args([
            "-c",
            &format!("import okta, sys; sys.exit(okta.__version__ != '{SDK_VERSION}')"),
        ])
        .status();
    match check {
        Ok(status) if status.success() => python,
        _ => panic!(
            "Okta's Python SDK {SDK_VERSION} is not in {}: run scripts/ensure-okta-sdk (it installs it into the \
             project's .venv), then this test again",
            python.display()
        ),
    }
}

/// The catalog's category names, read from its source.
fn catalog_categories() -> BTreeSet<String> {
    let path = repo().join("shared/src/categories.rs");
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read the catalog {}: {e}", path.display()));
    let names: BTreeSet<String> = source
        .split("Category {")
        .skip(1)
        .filter_map(|row| {
            let at = row.find("name: \"")? + "name: \"".len();
            Some(row[at..].split('"').next()?.to_string())
        })
        .filter(|name| !name.is_empty())
        .collect();
    assert!(
        names.len() > 60,
        "only {} categories read from {}",
        names.len(),
        path.display()
    );
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_s_python_sdk_lists_every_category_with_only_its_own_documented_parse_errors() {
    let python = python();
    let mut config = SimConfig::new(80, 4);
    // The SDK lists every parent of every category: more calls than a minute of Okta's limits.
    config.rate.enabled = false;
    let sim = okta_sim::start(config, 0).await.expect("simulator starts");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/list_every_category.py");
    let (url, token) = (sim.url(), sim.api_token());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(&script)
            .env("OKTA_SIM_URL", url)
            .env("OKTA_SIM_TOKEN", token)
            .output()
    })
    .await
    .unwrap()
    .expect("the SDK script runs");
    assert!(
        output.status.success(),
        "the SDK script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "the SDK script printed no JSON report ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert_eq!(report["sdk"], SDK_VERSION);

    let mut problems = Vec::new();
    let mut seen_errors = BTreeSet::new();
    let mut objects: BTreeMap<String, u64> = BTreeMap::new();
    for call in report["calls"].as_array().unwrap() {
        let category = call["category"].as_str().unwrap().to_string();
        *objects.entry(category.clone()).or_default() += call["objects"].as_u64().unwrap_or(0);
        let Some(error) = call["error"].as_str() else { continue };
        match SDK_OWN_ERRORS
            .iter()
            .find(|(c, model, _)| *c == category && error.contains(model))
        {
            Some((_, model, _)) => {
                seen_errors.insert(*model);
            }
            None => problems.push(format!("{category}: {} -> {error}", call["call"])),
        }
    }
    assert!(
        problems.is_empty(),
        "the SDK refused {} answer(s) the simulator should not give:\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    for (category, model, _) in SDK_OWN_ERRORS {
        assert!(
            seen_errors.contains(model),
            "{category}: the SDK no longer refuses with {model}: remove it from SDK_OWN_ERRORS"
        );
    }
    let no_call: BTreeSet<&str> = NO_SDK_CALL.iter().map(|(c, _)| *c).collect();
    for category in catalog_categories() {
        if no_call.contains(category.as_str()) {
            continue;
        }
        assert!(
            objects.contains_key(&category),
            "{category} was not listed through the SDK"
        );
    }
    let read: u64 = objects.values().sum();
    assert!(read > 1000, "the SDK parsed only {read} objects");
    for category in [
        "users",
        "groups",
        "apps",
        "group_members",
        "app_users",
        "policies",
        "user_factors",
    ] {
        assert!(objects[category] > 0, "the SDK parsed no {category}");
    }
}
