pub mod backup;
pub mod browse;
#[cfg(feature = "demo")]
pub mod demo;
pub mod diff;
pub mod jobs;
pub mod step;
pub mod verify;
