//! Test helpers.
pub mod expected;
#[cfg(feature = "aws")]
pub mod moto;
