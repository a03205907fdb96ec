//! Natural keys in the simulator's seeded org: every object a restore writes has a key no other object of its
//! category shares (else a restore could not tell them apart, across orgs or after a crash), and Okta's own objects
//! (Everyone, default policies and rules, system zones, scopes and claims, built-in authenticators...) are
//! recognised, each matched by a key its category's other own objects do not share.

use std::collections::BTreeMap;

use oktavault_shared::categories::CATEGORIES;
use oktavault_shared::restore::keys::{
    NaturalKey, OwnWrite, categories_with_own_objects, natural_key, okta_own, own_key,
};
use oktavault_shared::testkit::expected::{Contents, expected_contents};

async fn seeded_contents() -> Contents {
    let sim = okta_sim::start(okta_sim::SimConfig::new(60, 7), 0).await.unwrap();
    let contents = expected_contents(&sim.snapshot_state());
    sim.shutdown().await;
    contents
}

#[tokio::test]
async fn every_object_a_restore_writes_has_a_natural_key_of_its_own() {
    let contents = seeded_contents().await;
    let mut problems = Vec::new();
    for row in CATEGORIES.iter().filter(|c| c.restorable) {
        let mut seen: BTreeMap<NaturalKey, &str> = BTreeMap::new();
        for (id, object) in &contents[row.name] {
            if !row.restores(object) || okta_own(row, object).is_some_and(|o| o.write == OwnWrite::Untouched) {
                continue;
            }
            let key = natural_key(row, object);
            if key.0.iter().all(Option::is_none) && !key.0.is_empty() {
                problems.push(format!("{} {id}: the natural key {key} has no value", row.name));
            }
            if let Some(other) = seen.insert(key.clone(), id) {
                problems.push(format!("{} {id} and {other} share the natural key {key}", row.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Kinds of Okta's own objects the simulator does not seed: first-party apps, and a system rule in an
/// authorization server policy.
const NOT_SEEDED: &[&str] = &["apps", "authserver_policy_rules"];

#[tokio::test]
async fn oktas_own_objects_are_recognised_and_matched_one_to_one() {
    let contents = seeded_contents().await;
    let mut problems = Vec::new();
    for name in categories_with_own_objects() {
        let row = CATEGORIES.iter().find(|c| c.name == name).unwrap();
        let mut seen: BTreeMap<NaturalKey, &str> = BTreeMap::new();
        for (id, object) in &contents[name] {
            let Some(own) = okta_own(row, object) else { continue };
            if let Some(other) = seen.insert(own_key(row, &own, object), id) {
                problems.push(format!("{name}: {id} and {other} are both matched as {}", own.what));
            }
        }
        if seen.is_empty() && !NOT_SEEDED.contains(&name) {
            problems.push(format!("{name}: the seeded org has none of Okta's own objects"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let everyone = contents["groups"]
        .values()
        .find(|g| g["profile"]["name"] == "Everyone")
        .unwrap();
    let groups = CATEGORIES.iter().find(|c| c.name == "groups").unwrap();
    assert_eq!(okta_own(groups, everyone).map(|o| o.write), Some(OwnWrite::Untouched));
}
