//! Identifier newtypes, so an org id can never be passed where a job id is expected.
//!
//! Every id is restricted to `[A-Za-z0-9._-]` (1..=128 chars): ids become parts of blob keys,
//! file names and DynamoDB keys, so a `/` or `..` in one must be impossible, not merely unlikely.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid {kind} {value:?}: use 1 to 128 characters from A-Z a-z 0-9 . _ -")]
pub struct InvalidId {
    pub kind: &'static str,
    pub value: String,
}

fn is_valid_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value != "."
        && value != ".."
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidId> {
                let value = value.into();
                if is_valid_id(&value) {
                    Ok(Self(value))
                } else {
                    Err(InvalidId { kind: $kind, value })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, InvalidId> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::new(s)
            }
        }
    };
}

id_type!(
    /// An org as oktavault knows it: derived from the org's host name (e.g. `acme.okta.com`).
    OrgId,
    "org id"
);
id_type!(
    /// A backup, restore or download job.
    JobId,
    "job id"
);
id_type!(
    /// A point-in-time snapshot; sorts by creation time (`20261123T115000Z-3f9a`).
    SnapshotId,
    "snapshot id"
);

/// A fresh random suffix: 8 lowercase hex characters from the system CSPRNG.
pub fn random_suffix() -> String {
    let mut bytes = [0u8; 4];
    aws_lc_rs::rand::fill(&mut bytes).expect("system random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl JobId {
    pub fn generate(now: time::OffsetDateTime) -> Self {
        Self(format!("job-{}-{}", crate::timefmt::compact(now), random_suffix()))
    }
}

impl SnapshotId {
    pub fn generate(now: time::OffsetDateTime) -> Self {
        Self(format!("{}-{}", crate::timefmt::compact(now), random_suffix()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_path_separators_and_dot_dot() {
        assert!(OrgId::new("acme.okta.com").is_ok());
        assert!(OrgId::new("../etc").is_err());
        assert!(OrgId::new("..").is_err());
        assert!(OrgId::new("a/b").is_err());
        assert!(OrgId::new("").is_err());
        assert!(JobId::new("x".repeat(129)).is_err());
    }

    #[test]
    fn generated_snapshot_ids_sort_by_time() {
        let a = SnapshotId::generate(time::macros::datetime!(2026-01-01 00:00 UTC));
        let b = SnapshotId::generate(time::macros::datetime!(2026-01-02 00:00 UTC));
        assert!(a < b);
    }
}
