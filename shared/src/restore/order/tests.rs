use serde_json::json;

use super::*;
use crate::categories::{CATEGORIES, Form, Reference, Target, find};

fn all() -> Vec<&'static Category> {
    CATEGORIES.iter().collect()
}

fn stage_of(order: &RestoreOrder, name: &str) -> usize {
    order
        .stages
        .iter()
        .position(|s| s.contains(&name))
        .unwrap_or_else(|| panic!("{name} is not in the restore order"))
}

/// The only cycle the catalog has, and why it is broken where it is.
fn expected_deferred() -> Vec<Deferred> {
    vec![Deferred {
        // Okta creates an email domain for a brand (`brandId` is required), and a brand names its email domain:
        // the brand is created first, the domain with the brand's id, then the brand gets `emailDomainId`.
        category: "brands",
        field: "emailDomainId",
        target: "email_domains",
        cycle: vec!["brands", "email_domains", "brands"],
    }]
}

#[test]
fn the_whole_catalog_orders_with_only_the_documented_cycle_broken() {
    let order = restore_order(&all()).expect("the catalog orders");
    assert_eq!(order.deferred, expected_deferred());
    let placed: Vec<&str> = order.stages.iter().flatten().copied().collect();
    let restorable: Vec<&str> = CATEGORIES.iter().filter(|c| c.restorable).map(|c| c.name).collect();
    assert_eq!(
        placed.len(),
        restorable.len(),
        "every restorable category once: {placed:?}"
    );
    assert!(restorable.iter().all(|n| placed.contains(n)));
    assert!(
        !placed.contains(&"system_log") && !placed.contains(&"devices"),
        "download-only rows are not written"
    );
}

#[test]
fn the_orderings_the_issue_lists_hold() {
    let order = restore_order(&all()).unwrap();
    let before = |a: &str, b: &str| {
        assert!(
            stage_of(&order, a) < stage_of(&order, b),
            "{a} must be restored before {b}:\n{order}"
        )
    };
    // A user type and the custom attributes of its schema before the users that carry them.
    before("user_types", "users");
    before("user_schemas", "users");
    // The group schema before groups; an app's user schema before its assignments.
    before("group_schema", "groups");
    before("app_user_schemas", "app_users");
    before("app_user_schemas", "app_groups");
    // Groups and schema attributes before the group rules whose expressions name them.
    before("groups", "group_rules");
    before("user_schemas", "group_rules");
    // Policies before their rules, and what rules point at before them.
    before("policies", "policy_rules");
    for target in [
        "network_zones",
        "groups",
        "users",
        "user_types",
        "apps",
        "authenticators",
        "identity_providers",
    ] {
        before(target, "policy_rules");
    }
    before("authorization_servers", "authserver_policies");
    before("authserver_policies", "authserver_policy_rules");
    before("apps", "authserver_policies");
    before("groups", "group_members");
    before("users", "group_members");
    before("custom_roles", "user_roles");
    before("resource_sets", "user_roles");
    before("user_roles", "user_role_group_targets");
}

#[test]
fn every_reference_parent_and_after_edge_points_backwards_unless_deferred() {
    let order = restore_order(&all()).unwrap();
    for row in CATEGORIES.iter().filter(|c| c.restorable) {
        let at = stage_of(&order, row.name);
        let targets = row
            .parent()
            .map(|p| (p.name, "parent"))
            .into_iter()
            .chain(row.restore_after.iter().map(|a| (*a, "restore_after")))
            .chain(
                row.references
                    .iter()
                    .flat_map(|r| r.categories().into_iter().map(move |c| (c, r.path))),
            );
        for (target, why) in targets {
            let restorable = find(target).is_some_and(|t| t.restorable);
            let deferred = order.deferred.iter().any(|d| d.category == row.name && d.field == why);
            if !restorable || target == row.name || deferred {
                continue;
            }
            assert!(
                stage_of(&order, target) < at,
                "{} ({why}) needs {target} first",
                row.name
            );
        }
    }
}

#[test]
fn a_selection_orders_only_what_it_writes() {
    let selected: Vec<&'static Category> = ["group_rules", "devices", "users"]
        .iter()
        .map(|n| find(n).unwrap())
        .collect();
    let order = restore_order(&selected).unwrap();
    assert_eq!(order.stages, vec![vec!["users"], vec!["group_rules"]]);
    assert!(order.deferred.is_empty());
}

#[test]
fn the_order_is_the_same_every_time() {
    let first = restore_order(&all()).unwrap();
    let mut shuffled = all();
    shuffled.reverse();
    assert_eq!(restore_order(&shuffled).unwrap().deferred, first.deferred);
    assert_eq!(restore_order(&all()).unwrap(), first);
}

const fn row(name: &'static str, references: &'static [Reference], after: &'static [&'static str]) -> Category {
    Category {
        name,
        references,
        restore_after: after,
        ..Category::DEFAULTS
    }
}

const fn id(path: &'static str, name: &'static str) -> Reference {
    Reference {
        path,
        target: Target::Category { name },
        form: Form::Id,
    }
}

static A_NEEDS_B: Category = row("a", &[id("b_id", "b")], &[]);
static B_NEEDS_C: Category = row("b", &[id("c_id", "c")], &[]);
static C_NEEDS_A: Category = row("c", &[id("a_id", "a")], &[]);
static B_AFTER_A: Category = row("b", &[], &["a"]);
static A_AFTER_B: Category = row("a", &[], &["b"]);

#[test]
fn a_cycle_of_references_is_broken_at_the_first_category_and_reported() {
    let order = restore_order(&[&A_NEEDS_B, &B_NEEDS_C, &C_NEEDS_A]).unwrap();
    assert_eq!(
        order.deferred,
        vec![Deferred {
            category: "a",
            field: "b_id",
            target: "b",
            cycle: vec!["a", "b", "c", "a"]
        }]
    );
    assert_eq!(order.stages, vec![vec!["a"], vec!["c"], vec!["b"]]);
    assert!(
        order
            .to_string()
            .contains("a.b_id is written in a second pass, after b (cycle a -> b -> c -> a)")
    );
}

#[test]
fn a_cycle_of_after_edges_cannot_be_broken_and_says_where() {
    let err = restore_order(&[&A_AFTER_B, &B_AFTER_A]).unwrap_err();
    assert_eq!(
        err,
        OrderError::Unbreakable {
            cycle: vec!["a", "b", "a"]
        }
    );
    assert!(err.to_string().contains("a -> b -> a"), "{err}");
    // One reference in the cycle is enough: it is the one deferred.
    let order = restore_order(&[&A_NEEDS_B, &B_AFTER_A]).unwrap();
    assert_eq!(order.deferred.len(), 1);
    assert_eq!((order.deferred[0].category, order.deferred[0].field), ("a", "b_id"));
}

#[test]
fn rules_are_written_in_priority_order_within_their_policy() {
    let rules = find("policy_rules").unwrap();
    let mut objects = vec![
        ("p2/r9".to_owned(), json!({"policyId": "p2", "priority": 1})),
        (
            "p1/r1".to_owned(),
            json!({"policyId": "p1", "priority": 99, "system": true}),
        ),
        ("p1/r3".to_owned(), json!({"policyId": "p1"})),
        ("p1/r2".to_owned(), json!({"policyId": "p1", "priority": 2})),
        ("p1/r0".to_owned(), json!({"policyId": "p1", "priority": 1})),
    ];
    priority_order(rules, &mut objects);
    let ids: Vec<&str> = objects.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, vec!["p1/r0", "p1/r2", "p1/r1", "p1/r3", "p2/r9"]);

    let policies = find("policies").unwrap();
    let mut objects = vec![
        ("b".to_owned(), json!({"type": "PASSWORD", "priority": 1})),
        ("a".to_owned(), json!({"type": "OKTA_SIGN_ON", "priority": 2})),
        ("c".to_owned(), json!({"type": "OKTA_SIGN_ON", "priority": 1})),
    ];
    priority_order(policies, &mut objects);
    let ids: Vec<&str> = objects.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, vec!["c", "a", "b"]);
}
