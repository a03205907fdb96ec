//! okta-sim: a simulator of Okta's management API for oktavault's tests, demo and benchmarks.
//!
//! A real HTTP server on 127.0.0.1 that answers users, groups, apps and their assignments, and the
//! org's configuration resources (user types, schemas, group rules and owners, network zones,
//! authenticators, policies and rules, admin roles with their group and app targets and IAM resource sets,
//! MFA factors, profile mappings, linked-object values, and the OAuth clients of `/oauth2/v1/clients`
//! derived from the OIDC apps: a declarative table in `resources/`) and the System Log (a seeded
//! history plus the events every API mutation emits, `syslog.rs`), in the shapes of Okta's
//! management spec (the OAuth spec for `/oauth2/v1/clients`; both checked by the `contract` test),
//! pages with opaque `after` cursors and `Link` headers (or, for the IAM lists, a `next` link in the
//! body), enforces
//! Okta-like rate limits with their headers, authenticates with an SSWS token or OAuth client
//! credentials (client secret or private_key_jwt) with scopes, and injects faults on demand.
//!
//! It also serves every write and lifecycle call a restore makes (each resource row's `writes` table,
//! `resources/write.rs`), with Okta's refusals and delete side effects (`resources/cascade.rs`), and can
//! check request bodies against the spec ([`SimConfig::validate_requests`], `validate.rs`). The
//! crate's `README.md` lists what it serves.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = okta_sim::start(okta_sim::SimConfig::new(1000, 7), 0).await?;
//! println!("{} SSWS {}", sim.url(), sim.api_token());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Simulator choices where Okta does not say (or differs per org): user pages are capped at 200,
//! group-member pages at 1000, app pages at 200; the token endpoint has its own 600/min bucket; the
//! per-token 50 % share and the concurrency limit are not enforced; access tokens are opaque.

mod auth;
mod calls;
mod clock;
mod config;
mod defaults;
mod errors;
mod faults;
mod filter;
mod handlers;
mod ids;
pub mod jwt;
mod net;
#[cfg(feature = "validate")]
pub mod openapi;
mod paging;
mod path_faults;
mod prng;
mod ratelimit;
mod resources;
mod seed;
mod server;
mod shapes;
mod store;
mod syslog;
#[cfg(feature = "validate")]
mod validate;

pub use calls::CallCounts;
pub use config::{DEFAULT_SCOPES, Faults, RateConfig, SimConfig};
pub use path_faults::{PathAnswer, PathFault};
pub use ratelimit::{Bucket, bucket_for};
pub use resources::{everything_at, write_calls};
pub use server::{RouteSample, SimHandle, start};
pub use store::OrgState;
