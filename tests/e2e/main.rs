//! End-to-end tests: the real `oktavault` binary against the Okta simulator over HTTP, with the
//! store read back through the library. Each test says what it proves in its name.

mod support;

mod alerts;
mod api;
mod api_schema;
mod auth;
mod backup;
mod by_change;
mod categories;
mod console;
mod diff;
mod download;
mod incremental;
mod integrity;
mod orgs;
mod reliability;
mod restore;
mod restore_full_org;
mod restore_policies;
mod restore_roles;
mod restore_speed;
mod resume;
mod retention;
mod search;
mod show;
mod timeline;
mod undo;
