//! DNS resolution that refuses private, loopback and link-local answers, and says whether a name
//! that gave no answer does not exist or could not be looked up just now.
//!
//! The org URL check only sees the host name; a custom domain (or any name) could still resolve
//! to 10.x, 127.0.0.1 or the 169.254.169.254 metadata address. Every connection the client makes
//! goes through this resolver, so such an answer fails the connection instead of reaching an
//! internal service.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use futures::future::BoxFuture;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::url::address_refusal;

#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves to {ip}, a {kind} address; oktavault only connects to public addresses unless the org is \
     local (--allow-local-org)"
)]
pub struct RefusedAddress {
    host: String,
    ip: IpAddr,
    kind: &'static str,
}

/// Why the system resolver gave no address for a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupFailure {
    /// The name does not exist: getaddrinfo's `EAI_NONAME` (an NXDOMAIN, or a name the C library refuses
    /// to ask about) or `EAI_NODATA` (the name has no address). Asking again will not change that.
    NotFound,
    /// Anything else, `EAI_AGAIN` above all (no DNS server answered in time): it may heal.
    Other,
}

/// A name the system resolver turned into no address, and why.
#[derive(Debug, thiserror::Error)]
#[error("{host}: {source}")]
pub struct UnresolvedHost {
    pub host: String,
    pub failure: LookupFailure,
    source: io::Error,
}

/// The texts that C libraries' `gai_strerror` gives a name that does not exist: glibc (`EAI_NONAME`,
/// `EAI_NODATA`), musl and the BSDs/macOS (`EAI_NONAME`, `EAI_NODATA`).
const NOT_FOUND_TEXTS: &[&str] = &[
    "Name or service not known",
    "No address associated with hostname",
    "Name does not resolve",
    "nodename nor servname provided, or not known",
    "No address associated with nodename",
];

/// Whether a failed `lookup_host` said the name does not exist. Rust's standard library keeps no error
/// code from getaddrinfo, only the message "failed to lookup address information: " followed by
/// `gai_strerror`'s text (in English: Rust programs never switch the C locale), so the text is all there is
/// to go by. A text not in the list counts as [`LookupFailure::Other`], which keeps the retries: the safe
/// side when a C library words it differently.
pub fn classify_lookup_error(error: &io::Error) -> LookupFailure {
    let text = error.to_string();
    if NOT_FOUND_TEXTS.iter().any(|not_found| text.ends_with(not_found)) {
        LookupFailure::NotFound
    } else {
        LookupFailure::Other
    }
}

/// Turns a host name into addresses. [`system_lookup`] everywhere but in tests, which substitute one to drive
/// the client with a real getaddrinfo answer for a name they choose, without a query leaving the machine.
pub type Lookup = Arc<dyn Fn(String) -> BoxFuture<'static, io::Result<Vec<SocketAddr>>> + Send + Sync>;

/// The system resolver (getaddrinfo, through tokio).
pub fn system_lookup() -> Lookup {
    Arc::new(|host: String| Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) }))
}

#[derive(Clone)]
pub struct GuardedResolver {
    /// Loopback and private answers are fine for a local org (the simulator on `localhost`).
    pub allow_local: bool,
    pub lookup: Lookup,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_local = self.allow_local;
        let host = name.as_str().to_owned();
        let lookup = (self.lookup)(host.clone());
        Box::pin(async move {
            let addresses = match lookup.await {
                Ok(addresses) => addresses,
                Err(source) => {
                    let failure = classify_lookup_error(&source);
                    return Err(
                        Box::new(UnresolvedHost { host, failure, source }) as Box<dyn std::error::Error + Send + Sync>
                    );
                }
            };
            // One bad record is enough to refuse: a resolver may rotate between answers.
            if let Some((ip, kind)) = addresses
                .iter()
                .find_map(|a| address_refusal(a.ip(), allow_local).map(|kind| (a.ip(), kind)))
            {
                return Err(Box::new(RefusedAddress { host, ip, kind }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::NAME_NO_RESOLVER_ASKS_ABOUT;
    use super::*;

    #[tokio::test]
    async fn loopback_answers_are_refused_unless_the_org_is_local() {
        let name = || "localhost".parse::<Name>().unwrap();
        let guarded = |allow_local| GuardedResolver {
            allow_local,
            lookup: system_lookup(),
        };
        let refused = guarded(false).resolve(name()).await.err().expect("refused");
        assert!(refused.to_string().contains("loopback"), "{refused}");
        assert!(refused.to_string().contains("--allow-local-org"), "{refused}");
        let allowed: Vec<SocketAddr> = guarded(true).resolve(name()).await.unwrap().collect();
        assert!(allowed.iter().all(|a| a.ip().is_loopback()), "{allowed:?}");
    }

    #[tokio::test]
    async fn getaddrinfo_not_found_is_told_apart_from_a_temporary_failure() {
        let real = tokio::net::lookup_host((NAME_NO_RESOLVER_ASKS_ABOUT, 0))
            .await
            .err()
            .expect("no address for a name with a $");
        assert_eq!(classify_lookup_error(&real), LookupFailure::NotFound, "{real:?}");

        // What std builds from getaddrinfo's other answers (its prefix, then gai_strerror's text).
        let std_error = |text: &str| io::Error::other(format!("failed to lookup address information: {text}"));
        for (text, failure) in [
            ("No address associated with hostname", LookupFailure::NotFound),
            ("Name does not resolve", LookupFailure::NotFound),
            ("Temporary failure in name resolution", LookupFailure::Other),
            ("Try again", LookupFailure::Other),
            ("Non-recoverable failure in name resolution", LookupFailure::Other),
        ] {
            assert_eq!(classify_lookup_error(&std_error(text)), failure, "{text}");
        }
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(classify_lookup_error(&refused), LookupFailure::Other);
    }

    #[tokio::test]
    async fn a_failed_lookup_is_reported_with_the_host_and_its_classification() {
        let resolver = GuardedResolver {
            allow_local: false,
            lookup: Arc::new(|_| {
                Box::pin(async {
                    Ok(tokio::net::lookup_host((NAME_NO_RESOLVER_ASKS_ABOUT, 0))
                        .await?
                        .collect())
                })
            }),
        };
        let error = resolver
            .resolve("acme.okta.com".parse().unwrap())
            .await
            .err()
            .expect("no address");
        let unresolved = error.downcast_ref::<UnresolvedHost>().expect("typed");
        assert_eq!(unresolved.failure, LookupFailure::NotFound);
        assert!(
            error.to_string().starts_with("acme.okta.com: failed to lookup"),
            "{error}"
        );
    }

    #[test]
    fn metadata_and_link_local_addresses_are_refused_even_for_local_orgs() {
        assert_eq!(
            address_refusal("169.254.169.254".parse().unwrap(), true),
            Some("link-local (cloud metadata)")
        );
        assert_eq!(address_refusal("fe80::1".parse().unwrap(), true), Some("link-local"));
        assert_eq!(address_refusal("10.0.0.1".parse().unwrap(), false), Some("private"));
        assert_eq!(address_refusal("10.0.0.1".parse().unwrap(), true), None);
        assert_eq!(address_refusal("34.1.2.3".parse().unwrap(), false), None);
    }
}
