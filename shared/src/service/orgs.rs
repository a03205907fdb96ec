//! Orgs: registering an org that is authorized, keeping what an earlier registration knew.

use super::ServiceError;
use crate::ids::OrgId;
use crate::okta::OrgUrl;
use crate::ports::{AuthKind, Catalog, OrgRecord};
use crate::timefmt;

/// Registers the org at `url` as `org_id` (or updates its registration): how it authenticates, and its OAuth
/// client. Its creation time, backup setting, stored credentials and last snapshot are kept.
pub async fn register(
    catalog: &dyn Catalog,
    org_id: OrgId,
    url: &OrgUrl,
    auth: AuthKind,
    client_id: Option<String>,
) -> Result<OrgRecord, ServiceError> {
    let existing = catalog.get_org(&org_id).await?;
    let org = match existing {
        Some(existing) => OrgRecord {
            url: url.as_str().to_owned(),
            auth,
            client_id,
            ..existing
        },
        None => OrgRecord::new(
            org_id,
            url.as_str().to_owned(),
            auth,
            client_id,
            timefmt::rfc3339(timefmt::now()),
        ),
    };
    catalog.put_org(&org).await?;
    Ok(org)
}
