//! Helpers shared by the catalog's tests: Okta's specs, and the simulator's OpenAPI-to-JSON-Schema converter
//! (`okta_sim::openapi`, so both crates validate with the same conversion) with the request rules a write adds
//! to it.
#![allow(dead_code)]

pub use okta_sim::openapi;
pub mod request;
pub mod spec;
