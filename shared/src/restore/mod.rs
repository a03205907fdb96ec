//! What a restore needs of the catalog, beside the references ([`crate::references`]):
//!
//! - [`order`]: the order categories are written in (references, parents and the rows' `restore_after`), with
//!   the references a cycle defers to a second write, and the order of objects inside a category (priority).
//! - [`keys`]: the natural key that identifies an object across orgs and across a crash, and the objects Okta
//!   makes itself (the Everyone group, default policies, system scopes...), which are matched, never created.

pub mod keys;
pub mod order;
