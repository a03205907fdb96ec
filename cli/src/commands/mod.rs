pub mod backup;
pub mod browse;
pub mod demo;
pub mod diff;
pub mod jobs;
pub mod step;
pub mod verify;
