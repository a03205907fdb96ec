//! Simulator settings: org size, seed, rate limits, injected faults and token lifetime.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Everything that shapes one simulated org. Build it with [`SimConfig::new`] and adjust fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimConfig {
    /// Number of seeded users (all statuses, mostly ACTIVE).
    pub users: usize,
    /// Seed for every generated value: the same seed gives the same org, ids and credentials.
    pub seed: u64,
    pub rate: RateConfig,
    pub faults: Faults,
    /// Lifetime of OAuth access tokens from `/oauth2/v1/token` (`expires_in`). Okta's default is 3600.
    pub token_ttl_secs: u64,
    /// Scopes registered for (granted to) both OAuth clients; a token request may ask for a subset.
    pub granted_scopes: Vec<String>,
    /// Okta's management spec (`management-openapi.yaml`): when set, every request body is checked
    /// against its operation's request schema and refused as Okta refuses it (400 `E0000001`). Off by
    /// default, so the simulator runs without the spec (the demo); needs the `validate` feature.
    #[serde(default)]
    pub validate_requests: Option<PathBuf>,
    /// A new org: only what Okta creates itself and the admin holding the API token (see `defaults.rs`), for a
    /// restore into an org that has nothing of the snapshot's.
    #[serde(default)]
    pub defaults_only: bool,
}

impl SimConfig {
    /// An org of `users` users with Okta-like defaults: Enterprise rate limits over 60 s windows,
    /// no faults, one-hour tokens, read scopes for every category the simulator serves and manage
    /// scopes for every one it can change.
    pub fn new(users: usize, seed: u64) -> Self {
        SimConfig {
            users,
            seed,
            rate: RateConfig::default(),
            faults: Faults::default(),
            token_ttl_secs: 3600,
            granted_scopes: DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
            validate_requests: None,
            defaults_only: false,
        }
    }

    /// A new org instead: only Okta's own default objects, the admin and the service app (see `defaults_only`).
    pub fn okta_defaults_only(mut self) -> Self {
        self.defaults_only = true;
        self
    }

    /// The same org, with request bodies checked against the spec at `spec` (see `validate_requests`).
    pub fn validating_requests(mut self, spec: impl Into<PathBuf>) -> Self {
        self.validate_requests = Some(spec.into());
        self
    }
}

/// Scopes granted to the simulator's OAuth clients unless the config says otherwise.
pub const DEFAULT_SCOPES: &[&str] = &[
    "okta.users.read",
    "okta.users.manage",
    "okta.groups.read",
    "okta.groups.manage",
    "okta.apps.read",
    "okta.apps.manage",
    "okta.logs.read",
    "okta.userTypes.read",
    "okta.userTypes.manage",
    "okta.schemas.read",
    "okta.schemas.manage",
    "okta.policies.read",
    "okta.policies.manage",
    "okta.networkZones.read",
    "okta.networkZones.manage",
    "okta.authenticators.read",
    "okta.authenticators.manage",
    "okta.orgs.read",
    "okta.orgs.manage",
    "okta.trustedOrigins.read",
    "okta.trustedOrigins.manage",
    "okta.emailDomains.read",
    "okta.emailDomains.manage",
    "okta.features.read",
    "okta.features.manage",
    "okta.threatInsights.read",
    "okta.threatInsights.manage",
    "okta.captchas.read",
    "okta.captchas.manage",
    "okta.brands.read",
    "okta.brands.manage",
    "okta.templates.read",
    "okta.templates.manage",
    "okta.eventHooks.read",
    "okta.eventHooks.manage",
    "okta.inlineHooks.read",
    "okta.devices.read",
    "okta.authorizationServers.read",
    "okta.authorizationServers.manage",
    "okta.idps.read",
    "okta.idps.manage",
    "okta.appGrants.read",
    "okta.appGrants.manage",
    "okta.linkedObjects.read",
    "okta.linkedObjects.manage",
    "okta.roles.read",
    "okta.roles.manage",
    "okta.profileMappings.read",
    "okta.profileMappings.manage",
    "okta.clients.read",
];

/// Rate-limit buckets as in Okta's Enterprise column (see `okta/README.md`), scaled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateConfig {
    /// Length of one window. Okta uses 60 s windows that are not aligned to the clock.
    pub window_secs: u64,
    /// Multiplies every bucket limit (0.1 makes a 600/min bucket 60/min). Limits never drop below 1.
    pub scale: f64,
    /// With `false` no request is ever refused, but the headers are still sent.
    pub enabled: bool,
}

impl Default for RateConfig {
    fn default() -> Self {
        RateConfig {
            window_secs: 60,
            scale: 1.0,
            enabled: true,
        }
    }
}

/// Faults injected into API calls (not into `/__sim/` admin calls). Switchable at run time.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every API call before it is answered.
    pub latency_ms: u64,
    /// Share (0.0..=1.0) of calls answered with a 500, 502 or 503 Okta error.
    pub error_5xx_share: f64,
    /// While true, every API call is answered 429 (E0000047).
    pub storm_429: bool,
    /// Share (0.0..=1.0) of calls whose connection is closed without a response or in the middle of the body.
    pub drop_share: f64,
}
