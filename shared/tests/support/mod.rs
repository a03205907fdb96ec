//! Helpers shared by the catalog's tests: Okta's specs, and the simulator's OpenAPI-to-JSON-Schema converter
//! (compiled in from `tests/okta-sim/tests/spec/`, so both crates validate with the same conversion) with the
//! request rules a write adds to it.
#![allow(dead_code)]

#[path = "../../../tests/okta-sim/tests/spec/mod.rs"]
pub mod openapi;
pub mod request;
pub mod spec;
