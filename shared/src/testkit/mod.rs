//! Test helpers.
#[cfg(feature = "aws")]
pub mod moto;
