//! A string that must never reach a log line, a panic message or a `Debug` dump, and whose memory
//! is wiped when it is dropped.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use zeroize::ZeroizeOnDrop;

/// An API token, client secret or private key. `Debug` and `Display` print `<redacted>`; the value
/// is only reachable through [`Secret::expose`], so every use of it is easy to find in review.
/// It lives in a [`SecretString`], which overwrites its bytes when dropped.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Takes the string's own buffer (no copy is left behind when it is an exact fit, as strings
    /// read from JSON or the command line are).
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The secret value itself: hand it to the HTTP layer, never to a formatter.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

/// Compared in constant time, so a comparison leaks nothing of where two secrets differ.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(self.expose().as_bytes(), other.expose().as_bytes()).is_ok()
    }
}

impl Eq for Secret {}

/// Its only field is a [`SecretString`], which wipes itself on drop (checked below).
impl ZeroizeOnDrop for Secret {}
const _: fn() = || {
    fn wiped_on_drop<T: ZeroizeOnDrop>() {}
    wiped_on_drop::<SecretString>();
};

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wiped_on_drop<T: ZeroizeOnDrop>() {}

    #[test]
    fn debug_and_display_hide_the_value() {
        let secret = Secret::new("00abcSWSStokenvalue");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(format!("{secret:#?}"), "<redacted>");
        assert_eq!(secret.expose(), "00abcSWSStokenvalue");
        assert!(secret.clone() == secret && secret != Secret::new("00abcSWSStokenvaluf"));
    }

    #[test]
    fn secrets_are_wiped_on_drop() {
        wiped_on_drop::<Secret>();
    }
}
