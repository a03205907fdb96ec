//! DNS resolution that refuses private, loopback and link-local answers.
//!
//! The org URL check only sees the host name; a custom domain (or any name) could still resolve
//! to 10.x, 127.0.0.1 or the 169.254.169.254 metadata address. Every connection the client makes
//! goes through this resolver, so such an answer fails the connection instead of reaching an
//! internal service.

use std::net::{IpAddr, SocketAddr};

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

#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Loopback and private answers are fine for a local org (the simulator on `localhost`).
    pub allow_local: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_local = self.allow_local;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
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
    use super::*;

    #[tokio::test]
    async fn loopback_answers_are_refused_unless_the_org_is_local() {
        let name = || "localhost".parse::<Name>().unwrap();
        let refused = GuardedResolver { allow_local: false }
            .resolve(name())
            .await
            .err()
            .expect("refused");
        assert!(refused.to_string().contains("loopback"), "{refused}");
        assert!(refused.to_string().contains("--allow-local-org"), "{refused}");
        let allowed: Vec<SocketAddr> = GuardedResolver { allow_local: true }
            .resolve(name())
            .await
            .unwrap()
            .collect();
        assert!(allowed.iter().all(|a| a.ip().is_loopback()), "{allowed:?}");
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
