//! The Okta management API client: validated org URL, authentication (SSWS API token, OAuth client
//! credentials with a secret or a private key JWT, DPoP-bound tokens), `Link` paging, a per-bucket
//! rate governor and retries.
//!
//! ```no_run
//! # async fn demo() -> Result<(), oktavault_shared::okta::OktaError> {
//! use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, Secret};
//! let url = OrgUrl::parse("https://acme.okta.com", false)?;
//! let client = OktaClient::new(ClientConfig::new(url, Credentials::ApiToken(Secret::new("00abc"))))?;
//! let mut page = client.get_page("/api/v1/users", Some(200)).await?;
//! while let Some(next) = page.next.take() {
//!     page = client.get_page(&next, None).await?;
//! }
//! # Ok(()) }
//! ```

mod auth;
mod bucket;
mod challenge;
mod client;
mod dpop;
mod error;
mod governor;
mod jwt;
mod link;
mod reach;
mod resolver;
mod retry;
mod scopes;
mod secret;
mod stats;
mod token;
mod transport;
mod url;

pub use auth::Credentials;
pub use bucket::{BucketKey, bucket_for};
pub use client::{ClientConfig, DEFAULT_USER_AGENT, OktaClient, Page};
pub use error::{OktaError, OktaErrorBody, Refusal};
pub use link::{Link, next_link, parse_links, url_fingerprint};
pub use reach::UnreachableCause;
pub use retry::Backoff;
pub use scopes::read_scope_for;
pub use secret::Secret;
pub use stats::{BucketUsage, ClientStats};
pub use url::{OKTA_DOMAINS, OrgUrl, OrgUrlPolicy, OrgUrlProblem};

#[cfg(test)]
mod bounds_tests;
#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod fake;
#[cfg(test)]
mod first_contact_tests;
#[cfg(test)]
mod rate_limit_tests;
#[cfg(test)]
mod scope_tests;
#[cfg(test)]
mod token_tests;
