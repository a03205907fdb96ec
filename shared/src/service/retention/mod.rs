//! Retention: how long an org's snapshots are kept, and the sweep that deletes the expired ones and frees the
//! segments no remaining snapshot names (docs/retention.md).
//!
//! - [`plan()`]: which snapshots expire and which are kept, each with why.
//! - [`sweep()`] / [`sweep_all`]: the resumable mark-and-sweep (see `sweep.rs` for the order of its steps).
//! - [`settings`] / [`set_policy`]: an org's policy, shown or changed.

mod in_use;
pub mod locks;
mod plan;
mod report;
mod sweep;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::Serialize;
use time::OffsetDateTime;
use tokio::time::Instant;

pub use in_use::{InUse, active_jobs};
pub use plan::{PlannedSnapshot, RetentionPlan, decide, describe, plan};
pub use report::{OrgSweep, SweepReport};
pub use sweep::sweep;

use super::ServiceError;
use crate::ids::OrgId;
use crate::ports::{Catalog, OrgRecord, RetentionPolicy};
use crate::snapshot::Vault;

/// The org named by its id (`acme.okta.com`) or its URL (`https://acme.okta.com`).
pub async fn resolve_org(catalog: &dyn Catalog, named: &str) -> Result<OrgRecord, ServiceError> {
    let wanted = named.trim().trim_end_matches('/');
    let orgs = catalog.list_orgs().await?;
    orgs.into_iter()
        .find(|org| org.org_id.as_str() == wanted || org.url.trim_end_matches('/') == wanted)
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "no org {named:?} in the catalog: name it by its id (e.g. acme.okta.com) or its URL, as `oktavault \
                 snapshots` lists them"
            ))
        })
}

/// An org's retention policy, as shown and set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionSettings {
    pub org_id: OrgId,
    pub url: String,
    pub policy: RetentionPolicy,
    pub backed_up: bool,
}

impl RetentionSettings {
    fn of(org: &OrgRecord) -> Self {
        Self {
            org_id: org.org_id.clone(),
            url: org.url.clone(),
            policy: org.retention,
            backed_up: org.is_backed_up(),
        }
    }
}

impl fmt::Display for RetentionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({}): {}", self.org_id, self.url, describe(self.policy))?;
        if self.backed_up {
            writeln!(f, "The newest snapshot is always kept while the org is backed up.")
        } else {
            writeln!(
                f,
                "The org is no longer backed up: its snapshots go as they expire, then the rest of its blobs."
            )
        }
    }
}

pub async fn settings(catalog: &dyn Catalog, org: &OrgId) -> Result<RetentionSettings, ServiceError> {
    let record = catalog
        .get_org(org)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no org {org} in the catalog")))?;
    Ok(RetentionSettings::of(&record))
}

/// A change to a policy: each limit set (`Some(Some(n))`), removed (`Some(None)`) or left as it is (`None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyChange {
    pub days: Option<Option<u32>>,
    pub count: Option<Option<u32>>,
}

/// A limit as a person writes it: a whole number from 1, or `none`.
pub fn parse_limit(what: &str, text: &str) -> Result<Option<u32>, ServiceError> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(ServiceError::Invalid(format!(
            "{what} is {text:?}: give a whole number from 1, or `none` for no limit"
        ))),
    }
}

/// Changes the org's policy; the rest of its record stays as it is.
pub async fn set_policy(
    catalog: &dyn Catalog,
    org: &OrgId,
    change: PolicyChange,
) -> Result<RetentionSettings, ServiceError> {
    let mut record = catalog
        .get_org(org)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no org {org} in the catalog")))?;
    for (what, limit) in [("days", change.days), ("count", change.count)] {
        if limit == Some(Some(0)) {
            return Err(ServiceError::Invalid(format!(
                "a {what} of 0 would delete every snapshot: give a whole number from 1, or none for no limit"
            )));
        }
    }
    if let Some(days) = change.days {
        record.retention.days = days;
    }
    if let Some(count) = change.count {
        record.retention.count = count;
    }
    catalog.put_org(&record).await?;
    Ok(RetentionSettings::of(&record))
}

/// The plans of every org, or of one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plans {
    pub plans: Vec<RetentionPlan>,
}

impl fmt::Display for Plans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.plans.is_empty() {
            writeln!(f, "No orgs.")?;
        }
        for plan in &self.plans {
            write!(f, "{plan}")?;
        }
        Ok(())
    }
}

/// What a sweep would do now (`oktavault prune --dry-run`): the plan of `org`, or of every org.
pub async fn plan_all(catalog: &dyn Catalog, org: Option<&OrgId>, now: OffsetDateTime) -> Result<Plans, ServiceError> {
    let mut plans = Vec::new();
    for record in catalog.list_orgs().await? {
        if org.is_none_or(|o| *o == record.org_id) {
            plans.push(plan(catalog, &record.org_id, now).await?);
        }
    }
    Ok(Plans { plans })
}

/// Sweeps `only` that org, or every org (deleted and disabled ones included), each on its own: one org's failure
/// is reported and the others are still swept. Stops starting new work when `deadline` passes; what is left is
/// finished by the next sweep.
pub async fn sweep_all(
    catalog: &dyn Catalog,
    vault: &Vault,
    only: Option<&OrgId>,
    now: OffsetDateTime,
    deadline: Option<Instant>,
) -> Result<SweepReport, ServiceError> {
    let mut report = SweepReport::new();
    for org in catalog.list_orgs().await? {
        if only.is_some_and(|o| *o != org.org_id) {
            continue;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            report.finished = false;
            break;
        }
        let mut swept = OrgSweep::new(org.org_id.clone());
        if let Err(e) = sweep::sweep_org(catalog, vault, &org, now, deadline, &mut swept).await {
            tracing::warn!(org = %org.org_id, error = %e, "retention sweep of the org failed");
            swept.error = Some(e.to_string());
        }
        report.add(swept);
    }
    Ok(report)
}
