//! The service layer: what the command line, the Lambdas, the HTTP API and the console all call. It resolves
//! what a person asks ("the jobs of this org", "restore this group from the latest snapshot") into the ports
//! and returns report types that both serialize (for `--json` and the API) and display (for a person).

pub mod alerts;
pub mod browse;
pub mod diff;
pub mod download;
mod error;
pub mod jobs;
pub mod live;
pub mod orgs;
pub mod restore;
pub mod retention;
pub mod search;
pub mod snapshots;
pub mod timeline;
pub mod undo;
pub mod verify;

pub use error::ServiceError;
