//! Orgs: authorizing one (its credentials checked live, then sealed), its card, and its settings (backup on or
//! off, schedule, deletion). Registering an org keeps what an earlier registration knew.

pub mod access;
mod capture;
mod card;

pub use access::{AccessCheck, CredentialPart, Refused, ScopeProbe, scopes_to_ask};
pub use capture::{CaptureAsk, set_capture};
pub use card::{LastBackup, OrgCard, UnreachableCategory, card, cards, scheduled_backup_due};
use serde::Serialize;

use super::ServiceError;
use crate::credentials::store_org_credentials;
use crate::ids::OrgId;
use crate::okta::{ClientConfig, Credentials, OrgUrl};
use crate::ports::{AuthKind, Catalog, ConnectivityCheck, KeyProvider, OrgRecord, ScheduleState, Schedules};
use crate::timefmt;

/// Registers the org at `url` as `org_id` (or updates its registration): how it authenticates, and its OAuth
/// client. Everything else an earlier registration knew (settings, stored credentials, last snapshot) is kept.
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

/// What authorizing an org found and stored. Never holds a secret.
#[derive(Debug, Clone, Serialize)]
pub struct Authorized {
    pub org_id: OrgId,
    pub url: String,
    pub auth: AuthKind,
    /// Whether the org was already registered (its credentials were replaced; its snapshots stay).
    pub reauthorized: bool,
    pub check: AccessCheck,
    /// The categories the credentials cannot back up, with why.
    pub unreachable: Vec<UnreachableCategory>,
    /// The org's backup schedule as the scheduler now holds it.
    pub schedule: Option<ScheduleState>,
}

impl std::fmt::Display for Authorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} {} ({}) with its {}.",
            if self.reauthorized {
                "Re-authorized"
            } else {
                "Authorized"
            },
            self.org_id,
            self.url,
            auth_label(self.auth)
        )?;
        if let Some(granted) = &self.check.granted_scopes {
            writeln!(f, "Granted scopes: {}", granted.join(" "))?;
        }
        if !self.check.not_granted.is_empty() {
            writeln!(f, "Not granted: {}", self.check.not_granted.join(" "))?;
        }
        let readable = self.check.probes.iter().filter(|p| p.refused.is_none()).count();
        writeln!(
            f,
            "Read checks: {readable} of {} scope groups readable.",
            self.check.probes.len()
        )?;
        card::write_unreachable(f, &self.unreachable)
    }
}

pub(crate) fn auth_label(auth: AuthKind) -> &'static str {
    match auth {
        AuthKind::ApiToken => "API token",
        AuthKind::ClientSecret => "OAuth client id and secret",
        AuthKind::PrivateKeyJwt => "OAuth client id and private key",
    }
}

/// Authorizes the org `config` reaches: checks its credentials live (a token, then one read per scope group),
/// and only then seals them (narrowed to the granted scopes) under the key provider for this org and URL and
/// stores the org. An org already registered gets the new credentials in place of the old, which are not kept;
/// its snapshots and settings stay. A refusal stores nothing and names the part that was wrong. The org's backup
/// schedule is then made (or brought in line with the org).
pub async fn authorize(
    catalog: &dyn Catalog,
    keys: &dyn KeyProvider,
    schedules: &dyn Schedules,
    config: &ClientConfig,
) -> Result<Authorized, ServiceError> {
    let (check, credentials) = access::check(config).await.map_err(ServiceError::Refused)?;
    let url = &config.url;
    let org_id = url.org_id();
    let existing = catalog.get_org(&org_id).await?;
    let reauthorized = existing.is_some();
    let (auth, client_id) = auth_of(&credentials);
    let mut org = match existing {
        Some(existing) => OrgRecord {
            auth,
            client_id,
            ..existing
        },
        None => OrgRecord::new(
            org_id.clone(),
            url.as_str().to_owned(),
            auth,
            client_id,
            timefmt::rfc3339(timefmt::now()),
        ),
    };
    org.granted_scopes = check.granted_scopes.clone();
    org.last_check = Some(ConnectivityCheck {
        at: timefmt::rfc3339(timefmt::now()),
        ok: true,
        message: String::new(),
        refused_scopes: check.refused_scopes().into_iter().collect(),
    });
    // Authorizing a deleted org again brings it back.
    if org.deleted_at.take().is_some() {
        org.backup_enabled = true;
    }
    let org = store_org_credentials(catalog, keys, org, url, &credentials)
        .await
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let schedule = schedules.sync(&org).await?;
    Ok(Authorized {
        org_id,
        url: org.url.clone(),
        auth,
        reauthorized,
        unreachable: card::unreachable_categories(org.last_check.as_ref()),
        check,
        schedule,
    })
}

fn auth_of(credentials: &Credentials) -> (AuthKind, Option<String>) {
    match credentials {
        Credentials::ApiToken(_) => (AuthKind::ApiToken, None),
        Credentials::ClientSecret { client_id, .. } => (AuthKind::ClientSecret, Some(client_id.clone())),
        Credentials::PrivateKey { client_id, .. } => (AuthKind::PrivateKeyJwt, Some(client_id.clone())),
    }
}

/// The org `org_id`, or `NotFound` naming the orgs there are.
pub async fn get(catalog: &dyn Catalog, org_id: &OrgId) -> Result<OrgRecord, ServiceError> {
    match catalog.get_org(org_id).await? {
        Some(org) => Ok(org),
        None => {
            let known: Vec<String> = catalog
                .list_orgs()
                .await?
                .into_iter()
                .map(|o| o.org_id.to_string())
                .collect();
            Err(ServiceError::NotFound(format!(
                "no org {org_id} here{}",
                if known.is_empty() {
                    " (none is authorized yet)".to_owned()
                } else {
                    format!("; the orgs are {}", known.join(", "))
                }
            )))
        }
    }
}

/// What a person may change on an org: each field given is set, the rest kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSettings {
    /// Scheduled backups on or off (the org and its snapshots stay either way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_enabled: Option<bool>,
    /// Hours between scheduled backups, 1 to 24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_hours: Option<u32>,
    /// Days between reads of linked-object values, 0 (every backup) to 365 (carried in between).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_objects_every_days: Option<u32>,
}

/// Changes an org's settings, and its schedule with them. A deleted org takes none: authorize it again first.
pub async fn update(
    catalog: &dyn Catalog,
    schedules: &dyn Schedules,
    org_id: &OrgId,
    settings: &OrgSettings,
) -> Result<OrgRecord, ServiceError> {
    let mut org = get(catalog, org_id).await?;
    if org.deleted_at.is_some() {
        return Err(ServiceError::Conflict(format!(
            "org {org_id} was deleted; authorize it again to back it up"
        )));
    }
    if let Some(hours) = settings.every_hours {
        if !(1..=24).contains(&hours) {
            return Err(ServiceError::Invalid(format!(
                "every_hours must be 1 to 24 (hourly to daily), not {hours}"
            )));
        }
        org.schedule.every_hours = hours;
    }
    if let Some(days) = settings.linked_objects_every_days {
        if days > 365 {
            return Err(ServiceError::Invalid(format!(
                "linked_objects_every_days must be 0 (every backup) to 365, not {days}"
            )));
        }
        org.schedule.linked_objects_every_days = days;
    }
    if let Some(enabled) = settings.backup_enabled {
        org.backup_enabled = enabled;
    }
    catalog.put_org(&org).await?;
    schedules.sync(&org).await?;
    Ok(org)
}

/// Deletes an org: it is no longer backed up, its sealed credentials are dropped at once, and its snapshots are
/// kept per its retention, then purged by the retention sweep; its schedule is removed. Deleting it again changes
/// nothing.
pub async fn delete(
    catalog: &dyn Catalog,
    schedules: &dyn Schedules,
    org_id: &OrgId,
) -> Result<OrgRecord, ServiceError> {
    let mut org = get(catalog, org_id).await?;
    if org.deleted_at.is_none() {
        org.deleted_at = Some(timefmt::rfc3339(timefmt::now()));
    }
    org.backup_enabled = false;
    org.sealed_credentials = None;
    catalog.put_org(&org).await?;
    schedules.sync(&org).await?;
    Ok(org)
}

#[cfg(test)]
mod tests;
