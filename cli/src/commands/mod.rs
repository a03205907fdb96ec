pub mod backup;
pub mod browse;
#[cfg(feature = "demo")]
pub mod demo;
pub mod jobs;
pub mod verify;
