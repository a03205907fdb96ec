//! Test helpers.
#[cfg(feature = "aws")]
pub mod aws_fixtures;
/// A serverless oktavault on moto: the state machines run by moto's interpreter over the project's steps.
#[cfg(all(feature = "lambda", feature = "api"))]
pub mod aws_stack;
pub mod expected;
#[cfg(feature = "aws")]
pub mod moto;
