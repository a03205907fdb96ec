//! The org URL, validated before oktavault ever connects to it.
//!
//! The service makes outbound calls to a host the user typed, so a careless check would let anyone
//! point it at the cloud metadata address or an internal service (SSRF). The rules:
//! - `https` only, no user info, path, query or fragment (trailing slashes are stripped);
//! - hosts under Okta's own domains are accepted; custom domains only with
//!   [`OrgUrlPolicy::allow_custom_domain`] (the operator vouches for the name);
//! - `localhost` and loopback or private IP literals only with [`OrgUrlPolicy::allow_local`] (the CLI's
//!   `--allow-local-org`, for the simulator), which also permits plain `http` to them;
//! - link-local (169.254.0.0/16, fe80::/10, the metadata address), unspecified, multicast and
//!   broadcast addresses are never accepted.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use super::error::OktaError;
use crate::ids::OrgId;

/// Okta's own org domains: `<org>.okta.com` and its preview, EMEA and US government cells.
pub const OKTA_DOMAINS: &[&str] = &[
    "okta.com",
    "oktapreview.com",
    "okta-emea.com",
    "okta-gov.com",
    "okta.mil",
];

/// Which hosts besides Okta's own domains an org URL may name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrgUrlPolicy {
    /// Accept `localhost`, loopback and private addresses, over `http` too (`--allow-local-org`).
    pub allow_local: bool,
    /// Accept a custom domain (`login.acme.com`) that the operator has configured in Okta.
    pub allow_custom_domain: bool,
}

/// Why an org URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgUrlProblem {
    Unparsable(String),
    NotHttps {
        scheme: String,
    },
    UserInfo,
    Path(String),
    Query,
    Fragment,
    NoHost,
    /// Loopback, private or `localhost`: fine for the simulator, only with `--allow-local-org`.
    LocalAddress {
        host: String,
        kind: &'static str,
    },
    /// Link-local, unspecified, multicast or broadcast: never an org.
    ForbiddenAddress {
        host: String,
        kind: &'static str,
    },
    AdminConsoleHost {
        host: String,
        org_host: String,
    },
    CustomDomain {
        host: String,
    },
    HostTooLong,
}

impl fmt::Display for OrgUrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unparsable(why) => write!(f, "not a URL ({why}); give it as https://<org>.okta.com"),
            Self::NotHttps { scheme } => write!(
                f,
                "the scheme is {scheme}, Okta orgs are reached over https only (plain http is allowed only for a \
                 local simulator, with --allow-local-org)"
            ),
            Self::UserInfo => f.write_str("it contains a user name or password; give the bare org URL"),
            Self::Path(path) => write!(
                f,
                "it has the path {path:?}; give only the org, as https://<org>.okta.com"
            ),
            Self::Query => f.write_str("it has a query string; give only the org, as https://<org>.okta.com"),
            Self::Fragment => f.write_str("it has a #fragment; give only the org, as https://<org>.okta.com"),
            Self::NoHost => f.write_str("it has no host name"),
            Self::LocalAddress { host, kind } => write!(
                f,
                "{host} is a {kind} address; oktavault refuses local and private hosts unless --allow-local-org \
                 is given (meant for the Okta simulator)"
            ),
            Self::ForbiddenAddress { host, kind } => {
                write!(
                    f,
                    "{host} is a {kind} address, which is never an Okta org and is always refused"
                )
            }
            Self::AdminConsoleHost { host, org_host } => {
                write!(
                    f,
                    "{host} is the Admin Console host; give the org URL https://{org_host} instead"
                )
            }
            Self::CustomDomain { host } => write!(
                f,
                "{host} is not under an Okta domain ({}); if it is your org's custom domain, allow it with --allow-custom-domain",
                OKTA_DOMAINS.join(", ")
            ),
            Self::HostTooLong => f.write_str("the host name is longer than 128 characters"),
        }
    }
}

/// A validated org base URL such as `https://acme.okta.com` (no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUrl {
    url: Url,
    origin: String,
    org_id: OrgId,
}

/// How a host may be used, before the policy is applied.
enum HostClass {
    Okta,
    Local(&'static str),
    Forbidden(&'static str),
    Custom,
}

impl OrgUrl {
    /// Okta domains only; with `allow_local`, also loopback/private hosts (the simulator).
    pub fn parse(s: &str, allow_local: bool) -> Result<OrgUrl, OktaError> {
        Self::parse_with(
            s,
            OrgUrlPolicy {
                allow_local,
                allow_custom_domain: false,
            },
        )
    }

    pub fn parse_with(s: &str, policy: OrgUrlPolicy) -> Result<OrgUrl, OktaError> {
        let refuse = |problem| OktaError::InvalidOrgUrl {
            url: s.to_owned(),
            problem,
        };
        let trimmed = s.trim().trim_end_matches('/');
        let url = Url::parse(trimmed).map_err(|e| refuse(OrgUrlProblem::Unparsable(e.to_string())))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(OrgUrlProblem::UserInfo));
        }
        if url.path() != "/" && !url.path().is_empty() {
            return Err(refuse(OrgUrlProblem::Path(url.path().to_owned())));
        }
        if url.query().is_some() {
            return Err(refuse(OrgUrlProblem::Query));
        }
        if url.fragment().is_some() {
            return Err(refuse(OrgUrlProblem::Fragment));
        }
        let host = url.host().ok_or_else(|| refuse(OrgUrlProblem::NoHost))?;
        let host_text = url.host_str().unwrap_or_default().to_owned();
        let class = classify_host(&host);
        match class {
            HostClass::Okta => {}
            HostClass::Local(_) if policy.allow_local => {}
            HostClass::Local(kind) => return Err(refuse(OrgUrlProblem::LocalAddress { host: host_text, kind })),
            HostClass::Forbidden(kind) => {
                return Err(refuse(OrgUrlProblem::ForbiddenAddress { host: host_text, kind }));
            }
            HostClass::Custom if policy.allow_custom_domain => {}
            HostClass::Custom => return Err(refuse(OrgUrlProblem::CustomDomain { host: host_text })),
        }
        if let Some(org_host) = admin_console_org_host(&host_text) {
            return Err(refuse(OrgUrlProblem::AdminConsoleHost {
                host: host_text,
                org_host,
            }));
        }
        let http_allowed = matches!(class, HostClass::Local(_));
        if url.scheme() != "https" && !(url.scheme() == "http" && http_allowed) {
            return Err(refuse(OrgUrlProblem::NotHttps {
                scheme: url.scheme().to_owned(),
            }));
        }
        let org_id = org_id_for(&host_text, url.port()).ok_or_else(|| refuse(OrgUrlProblem::HostTooLong))?;
        let origin = url.origin().ascii_serialization();
        Ok(OrgUrl { url, origin, org_id })
    }

    /// `https://acme.okta.com` (or `http://127.0.0.1:8080` for the simulator), no trailing slash.
    pub fn as_str(&self) -> &str {
        &self.origin
    }

    /// `acme.okta.com`, `127.0.0.1` or `[::1]`.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// The org's id: its host name, plus `-<port>` when a port is given (so two local simulators
    /// are two orgs); characters an id cannot hold (the `:` of an IPv6 literal) become `-`.
    pub fn org_id(&self) -> OrgId {
        self.org_id.clone()
    }

    /// True for loopback/private hosts accepted through `allow_local`.
    pub fn is_local(&self) -> bool {
        matches!(self.url.host().map(|h| classify_host(&h)), Some(HostClass::Local(_)))
    }

    /// `<org><path>` for a path such as `/api/v1/users?limit=200`. A path that could change the
    /// host (`//evil.example/x`) or is not absolute is refused.
    pub fn join(&self, path: &str) -> Result<Url, OktaError> {
        if !path.starts_with('/') || path.starts_with("//") || path.contains('\\') {
            return Err(OktaError::InvalidPath { path: path.to_owned() });
        }
        let url = self
            .url
            .join(path)
            .map_err(|_| OktaError::InvalidPath { path: path.to_owned() })?;
        self.ensure_same_origin(&url)?;
        Ok(url)
    }

    /// Accepts a URL returned by Okta (a `next` link) only when it is on this org's origin.
    pub fn ensure_same_origin(&self, url: &Url) -> Result<(), OktaError> {
        if url.origin() == self.url.origin() {
            Ok(())
        } else {
            Err(OktaError::ForeignUrl {
                url: url.to_string(),
                org: self.origin.clone(),
            })
        }
    }
}

impl fmt::Display for OrgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)
    }
}

/// Why a resolved address must not be connected to (`None`: it may). Loopback and private
/// addresses pass only with `allow_local`; link-local, unspecified and multicast never do.
pub(crate) fn address_refusal(ip: IpAddr, allow_local: bool) -> Option<&'static str> {
    let class = match ip {
        IpAddr::V4(ip) => classify_ipv4(ip),
        IpAddr::V6(ip) => classify_ipv6(ip),
    };
    match class {
        HostClass::Forbidden(kind) => Some(kind),
        HostClass::Local(kind) if !allow_local => Some(kind),
        _ => None,
    }
}

fn classify_host(host: &Host<&str>) -> HostClass {
    match host {
        Host::Ipv4(ip) => classify_ipv4(*ip),
        Host::Ipv6(ip) => classify_ipv6(*ip),
        Host::Domain(name) => {
            let name = name.to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                HostClass::Local("localhost")
            } else if OKTA_DOMAINS.iter().any(|domain| is_subdomain_of(&name, domain)) {
                HostClass::Okta
            } else {
                HostClass::Custom
            }
        }
    }
}

fn is_subdomain_of(name: &str, domain: &str) -> bool {
    name.strip_suffix(domain)
        .and_then(|label| label.strip_suffix('.'))
        .is_some_and(|label| !label.is_empty())
}

fn classify_ipv4(ip: Ipv4Addr) -> HostClass {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        HostClass::Forbidden("unspecified")
    } else if ip.is_link_local() {
        HostClass::Forbidden("link-local (cloud metadata)")
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        HostClass::Forbidden("multicast, broadcast or reserved")
    } else if ip.is_loopback() {
        HostClass::Local("loopback")
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        HostClass::Local("private")
    } else {
        // A public IP literal is never an Okta org name: it is allowed only as a custom domain.
        HostClass::Custom
    }
}

fn classify_ipv6(ip: Ipv6Addr) -> HostClass {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_ipv4(v4);
    }
    let first = ip.segments()[0];
    if ip.is_unspecified() {
        HostClass::Forbidden("unspecified")
    } else if (first & 0xffc0) == 0xfe80 {
        HostClass::Forbidden("link-local")
    } else if ip.is_multicast() {
        HostClass::Forbidden("multicast")
    } else if ip.is_loopback() {
        HostClass::Local("loopback")
    } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0 {
        HostClass::Local("private")
    } else {
        HostClass::Custom
    }
}

/// `acme-admin.okta.com` is the Admin Console of `acme.okta.com`; its API calls are not the org's.
fn admin_console_org_host(host: &str) -> Option<String> {
    let (label, domain) = host.split_once('.')?;
    let org = label.strip_suffix("-admin")?;
    (!org.is_empty() && OKTA_DOMAINS.contains(&domain)).then(|| format!("{org}.{domain}"))
}

fn org_id_for(host: &str, port: Option<u16>) -> Option<OrgId> {
    let mut id: String = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if let Some(port) = port {
        id.push_str(&format!("-{port}"));
    }
    OrgId::new(id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(s: &str, policy: OrgUrlPolicy) -> OrgUrlProblem {
        match OrgUrl::parse_with(s, policy) {
            Err(OktaError::InvalidOrgUrl { problem, .. }) => problem,
            other => panic!("{s} should be refused, got {other:?}"),
        }
    }

    const STRICT: OrgUrlPolicy = OrgUrlPolicy {
        allow_local: false,
        allow_custom_domain: false,
    };
    const LOCAL: OrgUrlPolicy = OrgUrlPolicy {
        allow_local: true,
        allow_custom_domain: false,
    };
    const CUSTOM: OrgUrlPolicy = OrgUrlPolicy {
        allow_local: false,
        allow_custom_domain: true,
    };

    #[test]
    fn okta_domains_over_https_are_accepted_and_normalised() {
        for (input, origin, org_id) in [
            ("https://acme.okta.com", "https://acme.okta.com", "acme.okta.com"),
            ("https://ACME.okta.com///", "https://acme.okta.com", "acme.okta.com"),
            (
                "  https://dev-123.oktapreview.com/ ",
                "https://dev-123.oktapreview.com",
                "dev-123.oktapreview.com",
            ),
            (
                "https://acme.okta-emea.com",
                "https://acme.okta-emea.com",
                "acme.okta-emea.com",
            ),
            (
                "https://acme.okta-gov.com",
                "https://acme.okta-gov.com",
                "acme.okta-gov.com",
            ),
            ("https://acme.okta.mil", "https://acme.okta.mil", "acme.okta.mil"),
            ("https://acme.okta.com:443", "https://acme.okta.com", "acme.okta.com"),
        ] {
            let url = OrgUrl::parse(input, false).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(url.as_str(), origin);
            assert_eq!(url.org_id().as_str(), org_id);
            assert!(!url.is_local());
        }
        assert_eq!(
            OrgUrl::parse("https://acme.okta.com", false).unwrap().host(),
            "acme.okta.com"
        );
    }

    #[test]
    fn malformed_urls_are_refused_with_the_reason() {
        assert!(matches!(
            problem("http://acme.okta.com", STRICT),
            OrgUrlProblem::NotHttps { .. }
        ));
        assert!(matches!(
            problem("ftp://acme.okta.com", STRICT),
            OrgUrlProblem::NotHttps { .. }
        ));
        assert!(matches!(problem("acme.okta.com", STRICT), OrgUrlProblem::Unparsable(_)));
        assert_eq!(
            problem("https://admin:pw@acme.okta.com", STRICT),
            OrgUrlProblem::UserInfo
        );
        assert_eq!(problem("https://token@acme.okta.com", STRICT), OrgUrlProblem::UserInfo);
        assert!(matches!(
            problem("https://acme.okta.com/api/v1", STRICT),
            OrgUrlProblem::Path(_)
        ));
        assert_eq!(problem("https://acme.okta.com?x=1", STRICT), OrgUrlProblem::Query);
        assert_eq!(problem("https://acme.okta.com#frag", STRICT), OrgUrlProblem::Fragment);
        assert!(matches!(
            problem("https://acme-admin.okta.com", STRICT),
            OrgUrlProblem::AdminConsoleHost { .. }
        ));
    }

    #[test]
    fn lookalike_and_custom_domains_need_explicit_permission() {
        for input in [
            "https://okta.com",
            "https://acmeokta.com",
            "https://acme.okta.com.evil.io",
            "https://8.8.8.8",
        ] {
            assert!(
                matches!(problem(input, STRICT), OrgUrlProblem::CustomDomain { .. }),
                "{input}"
            );
        }
        let custom = OrgUrl::parse_with("https://login.acme.com", CUSTOM).unwrap();
        assert_eq!(custom.org_id().as_str(), "login.acme.com");
        assert!(matches!(
            problem("https://login.acme.com", LOCAL),
            OrgUrlProblem::CustomDomain { .. }
        ));
    }

    #[test]
    fn local_and_private_addresses_are_refused_naming_the_flag() {
        for input in [
            "https://127.0.0.1",
            "http://127.0.0.1:8080",
            "https://localhost",
            "https://api.localhost",
            "https://10.1.2.3",
            "https://172.16.0.1",
            "https://192.168.1.1",
            "https://100.64.0.1",
            "https://[::1]",
            "https://[fd00::1]",
            "https://[::ffff:127.0.0.1]",
        ] {
            let refused = OrgUrl::parse(input, false).unwrap_err();
            assert!(refused.to_string().contains("--allow-local-org"), "{input}: {refused}");
            // A custom-domain permission does not open local addresses either.
            assert!(
                matches!(problem(input, CUSTOM), OrgUrlProblem::LocalAddress { .. }),
                "{input}"
            );
        }
    }

    #[test]
    fn link_local_and_unspecified_addresses_are_refused_even_when_local_is_allowed() {
        for input in [
            "http://169.254.169.254",
            "https://169.254.169.254",
            "https://0.0.0.0",
            "https://[::]",
            "https://[fe80::1]",
            "https://[::ffff:169.254.169.254]",
            "https://224.0.0.1",
            "https://255.255.255.255",
        ] {
            let refused = problem(
                input,
                OrgUrlPolicy {
                    allow_local: true,
                    allow_custom_domain: true,
                },
            );
            assert!(
                matches!(refused, OrgUrlProblem::ForbiddenAddress { .. }),
                "{input}: {refused:?}"
            );
            assert!(!refused.to_string().contains("--allow-local-org"), "{input}: {refused}");
        }
    }

    #[test]
    fn loopback_is_accepted_over_http_only_with_allow_local() {
        let sim = OrgUrl::parse("http://127.0.0.1:8080/", true).unwrap();
        assert_eq!(sim.as_str(), "http://127.0.0.1:8080");
        assert_eq!(sim.host(), "127.0.0.1");
        assert_eq!(sim.org_id().as_str(), "127.0.0.1-8080");
        assert!(sim.is_local());
        assert_eq!(
            OrgUrl::parse("http://localhost:9000", true).unwrap().as_str(),
            "http://localhost:9000"
        );
        assert_eq!(
            OrgUrl::parse("http://[::1]:9000", true).unwrap().org_id().as_str(),
            "--1-9000"
        );
        // allow_local does not relax https for real Okta hosts.
        assert!(matches!(
            problem("http://acme.okta.com", LOCAL),
            OrgUrlProblem::NotHttps { .. }
        ));
    }

    #[test]
    fn join_and_next_links_stay_on_the_org_origin() {
        let org = OrgUrl::parse("https://acme.okta.com", false).unwrap();
        assert_eq!(
            org.join("/api/v1/users?limit=2").unwrap().as_str(),
            "https://acme.okta.com/api/v1/users?limit=2"
        );
        for bad in [
            "//evil.example/api",
            "api/v1/users",
            "/\\evil.example",
            "https://acme.okta.com/x",
        ] {
            assert!(matches!(org.join(bad), Err(OktaError::InvalidPath { .. })), "{bad}");
        }
        let foreign = Url::parse("https://evil.example/api/v1/users?after=x").unwrap();
        assert!(matches!(
            org.ensure_same_origin(&foreign),
            Err(OktaError::ForeignUrl { .. })
        ));
        let downgraded = Url::parse("http://acme.okta.com/api/v1/users").unwrap();
        assert!(org.ensure_same_origin(&downgraded).is_err());
        let other_port = Url::parse("https://acme.okta.com:8443/api/v1/users").unwrap();
        assert!(org.ensure_same_origin(&other_port).is_err());
        let same = Url::parse("https://acme.okta.com:443/api/v1/users?after=x").unwrap();
        assert!(org.ensure_same_origin(&same).is_ok());
    }
}
