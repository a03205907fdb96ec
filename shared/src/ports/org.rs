//! The org record the [`super::Catalog`] keeps, and the per-org settings it carries: schedule, retention,
//! near-real-time capture, and what the last authorization found.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, SnapshotId};

/// How oktavault authenticates to an org (the secret itself is never stored in this record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    ApiToken,
    ClientSecret,
    PrivateKeyJwt,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgRecord {
    pub org_id: OrgId,
    /// `https://acme.okta.com` (or the simulator's loopback URL when explicitly allowed).
    pub url: String,
    pub auth: AuthKind,
    pub client_id: Option<String>,
    /// The org's credentials sealed under the key provider for this org and the one URL they may
    /// be sent to (`crate::credentials`), base64. Absent when the caller supplies credentials per
    /// run (the `oktavault backup` flags). Never part of anything the API answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_credentials: Option<String>,
    pub backup_enabled: bool,
    pub created_at: String,
    pub last_snapshot: Option<SnapshotId>,
    /// The OAuth scopes the org's app was found to be granted when it was last checked; `None` when never
    /// checked, or for an API token (which acts with its admin's rights, not scopes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_scopes: Option<Vec<String>>,
    /// The last live check of the credentials (the org card's "app status").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<ConnectivityCheck>,
    #[serde(default)]
    pub schedule: BackupSchedule,
    #[serde(default)]
    pub retention: RetentionPolicy,
    #[serde(default)]
    pub alerts: AlertSettings,
    /// Near-real-time capture from the org's Okta log stream, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureSettings>,
    /// When the org was deleted: it is no longer backed up, and its snapshots are kept per retention, then
    /// purged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

impl OrgRecord {
    /// A newly registered org: backup enabled, daily, the default retention, nothing checked yet.
    pub fn new(org_id: OrgId, url: String, auth: AuthKind, client_id: Option<String>, created_at: String) -> Self {
        Self {
            org_id,
            url,
            auth,
            client_id,
            sealed_credentials: None,
            backup_enabled: true,
            created_at,
            last_snapshot: None,
            granted_scopes: None,
            last_check: None,
            schedule: BackupSchedule::default(),
            retention: RetentionPolicy::default(),
            alerts: AlertSettings::default(),
            capture: None,
            deleted_at: None,
        }
    }

    /// Whether scheduled backups run for this org: enabled and not deleted.
    pub fn is_backed_up(&self) -> bool {
        self.backup_enabled && self.deleted_at.is_none()
    }
}

/// What a live check of an org's credentials found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectivityCheck {
    pub at: String,
    pub ok: bool,
    /// What was wrong, for a person; empty when `ok`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Read scopes whose categories cannot be backed up, with why (not granted; refused by the admin role; a
    /// feature the org does not have). Those categories are listed as missing from every snapshot, not skipped
    /// silently.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refused_scopes: BTreeMap<String, String>,
}

/// How often the org's scheduled backup runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSchedule {
    /// Hours between scheduled backups: 1 to 24 (daily, the default).
    pub every_hours: u32,
    /// Days between reads of linked-object values (carried in between: Okta logs no event for a link change).
    #[serde(default = "default_linked_objects_every_days")]
    pub linked_objects_every_days: u32,
}

fn default_linked_objects_every_days() -> u32 {
    crate::workflow::backup::LINKED_OBJECTS_EVERY_DAYS
}

impl Default for BackupSchedule {
    fn default() -> Self {
        Self {
            every_hours: 24,
            linked_objects_every_days: default_linked_objects_every_days(),
        }
    }
}

/// How long an org's snapshots are kept. A snapshot goes when it is older than `days` or, for scheduled and
/// manual backups, when `count` newer ones of those exist (captures are kept by age only). Both `None` keeps
/// everything. The newest complete snapshot of an org that is still backed up is never deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl Default for RetentionPolicy {
    /// A year: long enough to find a change nobody noticed for months, bounded so storage does not grow forever.
    fn default() -> Self {
        Self {
            days: Some(365),
            count: None,
        }
    }
}

/// When an org's alerts fire.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertSettings {
    /// A snapshot that removes more than this percentage of the org's users or groups, or of its app
    /// assignments, since the snapshot before it raises a mass-change alert.
    pub mass_change_percent: f64,
    /// Hours past a scheduled backup's due time before the org's backup counts as stale.
    pub stale_after_hours: u32,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            mass_change_percent: 5.0,
            stale_after_hours: 2,
        }
    }
}

/// Near-real-time capture of an org's admin changes from its Okta log stream (an EventBridge partner event
/// source): the partner bus, the rule on it, and how long changes are gathered before one capture runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureSettings {
    /// The partner event source's name, as Okta's log stream created it (`aws.partner/okta.com/...`).
    pub source_name: String,
    /// Seconds of quiet gathered before a capture backup starts (300 by default).
    pub debounce_secs: u32,
}
