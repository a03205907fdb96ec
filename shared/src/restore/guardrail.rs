//! The guardrail: a restore that would change much of a live org, or email many people, stops before it writes
//! anything and says why, until a person confirms it.

use serde::{Deserialize, Serialize};

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
