//! A full-org restore into another org: the seeded simulated org is backed up and restored (`--select all`) into a
//! second simulated org that holds only what Okta creates itself. Both orgs are then compared object by object,
//! category by category, with references mapped through the id map; a second restore of the same snapshot changes
//! nothing.

use std::collections::BTreeMap;

use oktavault_shared::categories::{CATEGORIES, Category, Write};
use oktavault_shared::ids::OrgId;
use oktavault_shared::ports::Catalog;
use oktavault_shared::references::{OrgMove, rewrite};
use oktavault_shared::restore::generic::supported;
use oktavault_shared::restore::keys::{natural_key, okta_own, own_key};
use oktavault_shared::restore::kinds::Kind;
use oktavault_shared::restore::live::CLIENT_IDS;
use serde_json::{Value, json};

use crate::restore::{restore, spec_path, validating_sim};
use crate::support::*;

/// What a restore documents it cannot bring back, or the target org decides (docs/restore.md, "What cannot come
/// back"), per category: JSON pointers left out of the comparison.
const NOT_RESTORED: &[(&str, &[&str])] = &[
    // No password, recovery question or provider can be read from Okta: users come back without them.
    ("users", &["/credentials"]),
    // Signing keys, client ids and secrets are the target org's own; Okta names custom SAML and auto-login apps.
    (
        "apps",
        &[
            "/credentials/signing",
            "/credentials/oauthClient/client_id",
            "/credentials/oauthClient/client_secret",
        ],
    ),
];

/// Objects of the source org the restore leaves, by design: Okta's own groups (never written), and assignments an
/// app gets from a group assignment (they come back with it).
fn left_by_design(row: &Category, object: &Value) -> bool {
    if let Some(only) = row.restores_only {
        let value = object.pointer(only.pointer).and_then(Value::as_str).unwrap_or_default();
        if !only.any_of.contains(&value) {
            return true;
        }
    }
    // The org's CAPTCHA setting names a CAPTCHA, which is download-only (its secret key cannot be read): a new org
    // has neither. An app's profile mappings are Okta's to make with the app (update-only); the simulator makes
    // none for a new app, so the restore has nothing to write them onto (it says so in the plan).
    matches!(row.name, "org_captcha" | "profile_mapping_properties")
        || (row.name == "groups" && okta_own(row, object).is_some())
}

/// The object as a restore writes it: its own attributes, minus what cannot come back.
fn comparable(row: &Category, object: &Value) -> Value {
    match row.name {
        // A feature is on or off; a template's settings are what is written (its customizations are not a
        // category oktavault keeps).
        "features" => return json!({ "status": object["status"] }),
        "email_templates" => {
            let mut settings = object.pointer("/_embedded/settings").cloned().unwrap_or(Value::Null);
            settings.as_object_mut().map(|s| s.remove("_links"));
            return settings;
        }
        _ => {}
    }
    let mut own = row.stripped(object, Write::Update);
    // Timestamps are the target org's.
    for field in ["created", "lastUpdated"] {
        own.as_object_mut().map(|o| o.remove(field));
    }
    for (category, pointers) in NOT_RESTORED {
        if *category == row.name {
            for pointer in *pointers {
                let (parent, field) = pointer.rsplit_once('/').unwrap();
                if let Some(Value::Object(holder)) = own.pointer_mut(parent) {
                    holder.remove(field);
                } else if parent.is_empty() {
                    own.as_object_mut().unwrap().remove(field);
                }
            }
        }
    }
    if row.name == "apps" && matches!(object["signOnMode"].as_str(), Some("SAML_2_0" | "AUTO_LOGIN")) {
        own.as_object_mut().unwrap().remove("name");
    }
    own
}

/// Every difference between the source org's restorable objects (mapped into the target org) and the target's.
async fn differences(
    view: &StoreView,
    source: (&OrgId, &Contents),
    target: (&OrgId, &Contents),
    orgs: &OrgMove<'_>,
) -> Vec<String> {
    let mut maps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for category in CATEGORIES.iter().map(|c| c.name).chain([CLIENT_IDS]) {
        maps.insert(
            category.to_owned(),
            view.catalog.id_map(source.0, target.0, category).await.unwrap(),
        );
    }
    let empty = BTreeMap::new();
    let mut out = Vec::new();
    for row in CATEGORIES {
        let restorable = Kind::of(row.name).is_some_and(|k| !k.is_generic() || supported(row).is_ok());
        if !restorable {
            continue;
        }
        let theirs: Vec<&Value> = target.1.get(row.name).unwrap_or(&empty).values().collect();
        for (id, object) in source.1.get(row.name).unwrap_or(&empty) {
            if left_by_design(row, object) {
                continue;
            }
            let map = |r: &oktavault_shared::references::FoundRef| {
                let category = if r.form == oktavault_shared::categories::Form::ClientId {
                    CLIENT_IDS
                } else {
                    r.category
                };
                Some(
                    maps.get(category)
                        .and_then(|m| m.get(&r.id))
                        .cloned()
                        .unwrap_or_else(|| r.id.clone()),
                )
            };
            let mine = rewrite(row, object, &map, Some(orgs)).object;
            let found = match okta_own(row, &mine) {
                Some(own) => {
                    let key = own_key(row, &own, &mine);
                    theirs
                        .iter()
                        .find(|t| okta_own(row, t).is_some() && own_key(row, &own, t) == key)
                }
                None => {
                    let key = natural_key(row, &mine);
                    theirs.iter().find(|t| natural_key(row, t) == key)
                }
            };
            match found {
                None => out.push(format!("{} {id}: not in the target org", row.name)),
                Some(theirs) => {
                    let (a, b) = (comparable(row, &mine), comparable(row, theirs));
                    if a != b {
                        let changes = oktavault_shared::compare::diff(&a, &b);
                        let shown: Vec<String> = changes.iter().map(ToString::to_string).collect();
                        out.push(format!("{} {id}: {}", row.name, shown.join("; ")));
                    }
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_org_restored_into_a_new_org_is_the_same_object_by_object_and_a_second_restore_changes_nothing() {
    let source = validating_sim(30, 104).await;
    let mut config = okta_sim::SimConfig::new(30, 105)
        .okta_defaults_only()
        .validating_requests(spec_path());
    config.rate.scale = 20.0;
    let target = okta_sim::start(config, 0).await.unwrap();
    let store = tempfile::tempdir().unwrap();
    let view = open_store(store.path());
    let before = snapshot_id(&backup_with_token(store.path(), &source).await);
    let source_org = view.snapshot_org(&before).await;

    let args = [
        "latest",
        "--source-org",
        source_org.as_str(),
        "--select",
        "all",
        "--on-conflict",
        "overwrite",
        "--yes",
    ];
    let run = restore(store.path(), &target, &args).await;
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(run.report["state"]["state"], "completed", "{}", run.report["failures"]);

    let after = snapshot_id(&backup_with_token(store.path(), &target).await);
    let target_org = view.snapshot_org(&after).await;
    let (theirs, mine) = (view.contents(&after).await, view.contents(&before).await);
    let org_id = |contents: &Contents| contents["org_settings"]["org"]["id"].as_str().unwrap().to_owned();
    let (from_id, to_id) = (org_id(&mine), org_id(&theirs));
    let (from_url, to_url) = (source.url(), target.url());
    let orgs = OrgMove {
        from_url: &from_url,
        to_url: &to_url,
        from_id: &from_id,
        to_id: &to_id,
    };
    let differences = differences(&view, (&source_org, &mine), (&target_org, &theirs), &orgs).await;
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );

    let again = restore(store.path(), &target, &args).await;
    assert_eq!(again.code, Some(0), "{}", again.output);
    for (category, tally) in again.report["applied"].as_object().unwrap() {
        assert_eq!(
            (
                tally["created"].clone(),
                tally["updated"].clone(),
                tally["failed"].clone()
            ),
            (json!(0), json!(0), json!(0)),
            "{category}: the second restore changes nothing: {tally}"
        );
    }
}
