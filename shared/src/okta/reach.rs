//! Why an org could not be reached at all, and which of those causes are permanent: a host name that
//! does not exist, or a TLS handshake that fails. On a job's first call to the org, retrying them only
//! makes a typo in the URL or a TLS-intercepting proxy take minutes to report (see
//! [`Contact`](super::transport::Contact)).

use std::error::Error;
use std::fmt;

use super::resolver::{LookupFailure, UnresolvedHost};

/// A permanent reason an org cannot be reached; its message says what to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnreachableCause {
    /// DNS says the org's host name does not exist.
    HostNotFound { host: String },
    /// The TLS handshake failed: a certificate this machine does not trust or that is not for this name,
    /// or no TLS at all on the other side.
    Tls { host: String },
}

impl fmt::Display for UnreachableCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HostNotFound { host } => write!(
                f,
                "the host name {host} does not exist (DNS answered \"not found\"). Check the spelling of the org \
                 URL: it is https://<org>.okta.com as the Admin Console's address shows it, without -admin; a \
                 custom domain must be known to the DNS this machine uses (a VPN or company resolver)"
            ),
            Self::Tls { host } => write!(
                f,
                "the TLS handshake with {host} failed: its certificate is not trusted here or not for this name, \
                 or it does not speak TLS. Check that the org URL is the org's own (https://<org>.okta.com), and \
                 whether a proxy or security software on this network intercepts TLS (its certificate authority \
                 must then be trusted by this machine, or Okta exempted from interception)"
            ),
        }
    }
}

/// The permanent cause behind a request to `host` that got no answer, if it has one.
pub fn permanent_cause(error: &reqwest::Error, host: &str) -> Option<UnreachableCause> {
    causes(error).find_map(|cause| {
        if let Some(unresolved) = cause.downcast_ref::<UnresolvedHost>() {
            return (unresolved.failure == LookupFailure::NotFound).then(|| UnreachableCause::HostNotFound {
                host: unresolved.host.clone(),
            });
        }
        cause
            .is::<rustls::Error>()
            .then(|| UnreachableCause::Tls { host: host.to_owned() })
    })
}

/// `error` and every error below it. `io::Error::source` skips the error an `io::Error` wraps (it returns
/// that error's own source), and TLS failures arrive wrapped in two, so wrapped errors are visited too.
fn causes<'a>(error: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&current: &&'a (dyn Error + 'static)| {
        match current.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(wrapped) => Some(wrapped as &(dyn Error + 'static)),
            None => current.source(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_wrapped_in_io_errors_are_found() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let twice = std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
        let found: Vec<String> = causes(&twice).map(|e| e.to_string()).collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(causes(&twice).any(|e| e.is::<rustls::Error>()));
        // What std's own chain shows: the rustls error is skipped.
        assert!(twice.source().is_none_or(|e| !e.is::<rustls::Error>()));
    }
}
