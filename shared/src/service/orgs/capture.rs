//! Turning an org's near-real-time capture on (given its Okta log stream's partner event source) and off.

use serde::Deserialize;

use super::get;
use crate::ids::OrgId;
use crate::ports::{CaptureBuses, CaptureSettings, Catalog, OrgRecord};
use crate::service::ServiceError;

/// Debounce windows a person may choose: a minute (the scheduler's resolution) to an hour.
const DEBOUNCE_SECS: std::ops::RangeInclusive<u32> = 60..=3600;

/// What turning capture on asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureAsk {
    /// The partner event source Okta's log stream made: `aws.partner/okta.com/<okta-subdomain>/<name>`.
    pub source_name: String,
    /// Seconds of changes gathered into one capture (300 when not given).
    #[serde(default)]
    pub debounce_secs: Option<u32>,
}

/// Turns capture on (`Some`) or off (`None`) for the org: its partner event bus and capture rule are made or
/// removed, then the org records it. A deleted org takes no capture.
pub async fn set_capture(
    catalog: &dyn Catalog,
    buses: &dyn CaptureBuses,
    org_id: &OrgId,
    ask: Option<&CaptureAsk>,
) -> Result<OrgRecord, ServiceError> {
    let mut org = get(catalog, org_id).await?;
    match ask {
        Some(ask) => {
            if org.deleted_at.is_some() {
                return Err(ServiceError::Conflict(format!(
                    "org {org_id} was deleted; authorize it again first"
                )));
            }
            check_source(&ask.source_name)?;
            let debounce_secs = ask.debounce_secs.unwrap_or(300);
            if !DEBOUNCE_SECS.contains(&debounce_secs) {
                return Err(ServiceError::Invalid(format!(
                    "debounce_secs must be 60 to 3600, not {debounce_secs}"
                )));
            }
            if let Some(old) = org.capture.as_ref().filter(|c| c.source_name != ask.source_name) {
                buses.disable(org_id, &old.source_name).await?;
            }
            buses.enable(org_id, &ask.source_name).await?;
            org.capture = Some(CaptureSettings {
                source_name: ask.source_name.clone(),
                debounce_secs,
            });
        }
        None => {
            if let Some(old) = &org.capture {
                buses.disable(org_id, &old.source_name).await?;
            }
            org.capture = None;
        }
    }
    catalog.put_org(&org).await?;
    Ok(org)
}

/// A partner event source of Okta's: `aws.partner/okta.com/<subdomain>/<name>`, EventBridge's name rules.
fn check_source(name: &str) -> Result<(), ServiceError> {
    let parts: Vec<&str> = name.split('/').collect();
    let well_formed = parts.len() == 4
        && parts[0] == "aws.partner"
        && parts[1] == "okta.com"
        && parts[2..]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)))
        && name.len() <= 256;
    if well_formed {
        Ok(())
    } else {
        Err(ServiceError::Invalid(format!(
            "{name:?} is not an Okta log stream's event source; it reads aws.partner/okta.com/<okta-subdomain>/<name>, \
             as the EventBridge console lists it under Partner event sources"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_okta_partner_sources_are_taken() {
        assert!(check_source("aws.partner/okta.com/acme/oktavault").is_ok());
        for bad in [
            "aws.partner/okta.com/acme",
            "aws.partner/other.com/acme/x",
            "aws.partner/okta.com/acme/x y",
            "aws.partner/okta.com//x",
        ] {
            assert!(check_source(bad).is_err(), "{bad}");
        }
    }
}
