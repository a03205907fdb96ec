//! The guardrail: a restore that would change much of a live org, or email many people, stops before it writes
//! anything and says why, until a person confirms it.

use serde::{Deserialize, Serialize};

use super::plan::PlanSummary;

/// The token that confirms one held plan: a digest of what it restores, from where, with which options, and what
/// it would do per category. Planning the same request against an org in the same state gives the same token;
/// anything that changes what the plan does changes it, so a token confirms only the changes a person reviewed.
/// It guards against accidents, not attackers: whoever may restore may confirm.
pub fn confirmation_token(plan: &PlanSummary) -> String {
    let fingerprint = serde_json::json!({
        "target": plan.target_org, "source": plan.source_org, "snapshot": plan.snapshot_id,
        "selection": plan.selection, "on_conflict": plan.on_conflict, "relationships": plan.relationships,
        "leave_rule_memberships": plan.leave_rule_memberships, "activate": plan.activate,
        "categories": plan.categories.iter().map(|(name, c)| {
            (name.clone(), [c.create, c.update, c.reactivate, c.recreate, c.skip, c.changed])
        }).collect::<std::collections::BTreeMap<_, _>>(),
        "emails": plan.emails, "held": plan.held,
    });
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, fingerprint.to_string().as_bytes());
    digest.as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// The limits a plan is held to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Guardrail {
    /// The share of a category's live objects the plan may overwrite or merge (with a real change).
    pub max_change_share: f64,
    /// Categories with fewer live objects than this are not held to the share (changing 2 of 5 is no mass change).
    pub min_live_objects: u64,
    /// The activation emails the plan may send (created users it activates, plus reactivated users).
    pub max_emails: u64,
}

impl Default for Guardrail {
    fn default() -> Self {
        Guardrail {
            max_change_share: 0.10,
            min_live_objects: 20,
            max_emails: 50,
        }
    }
}

/// What the guardrail measures of one category.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Changes<'a> {
    pub category: &'a str,
    /// Live objects the plan changes (overwrites and merges that change at least one attribute).
    pub changed: u64,
    /// The category's live objects.
    pub live: u64,
}

impl Guardrail {
    /// Why the plan must be confirmed before it runs: one line per limit exceeded; empty when it may run.
    pub fn check<'a>(&self, categories: impl IntoIterator<Item = Changes<'a>>, emails: u64) -> Vec<String> {
        let mut out = Vec::new();
        for c in categories {
            if c.live >= self.min_live_objects && c.changed as f64 > self.max_change_share * c.live as f64 {
                out.push(format!(
                    "it would change {} of the {} live {} ({:.0}%, above the {:.0}% limit)",
                    c.changed,
                    c.live,
                    c.category,
                    100.0 * c.changed as f64 / c.live as f64,
                    100.0 * self.max_change_share
                ));
            }
        }
        if emails > self.max_emails {
            out.push(format!(
                "it would send {emails} activation emails (above the limit of {})",
                self.max_emails
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mass_changes_and_mass_emails_are_held_but_small_categories_are_not() {
        let g = Guardrail::default();
        let users = |changed, live| Changes {
            category: "users",
            changed,
            live,
        };
        assert!(g.check([users(10, 100)], 50).is_empty(), "10% is the limit itself");
        let held = g.check([users(11, 100)], 51);
        assert_eq!(held.len(), 2, "{held:?}");
        assert!(held[0].contains("11 of the 100 live users"), "{held:?}");
        assert!(held[1].contains("51 activation emails"), "{held:?}");
        assert!(g.check([users(19, 19)], 0).is_empty(), "fewer than 20 live objects");
    }
}
