//! The backup workflow: PlanBackup -> (per stage, per category: BackupPage until done) -> FinalizeBackup,
//! wired by `statemachines/backup.asl.json`.

mod batch;
mod cadence;
mod carry;
mod changed;
mod continuation;
mod cursor;
mod finalize;
mod items;
pub mod log_window;
pub mod logged;
mod page;
mod parents;
mod plan;
pub mod previous;
mod sorted_ids;
pub(crate) mod work;

pub(crate) use sorted_ids::SortedIds;

pub use cadence::DEFAULT_EVERY_DAYS as LINKED_OBJECTS_EVERY_DAYS;
pub use continuation::{ContinueInput, ContinueOutput, continue_backup};
pub(crate) use cursor::fill_parent;
pub use finalize::{FinalizeInput, FinalizeOutput, finalize_backup};
pub(crate) use items::{keep_items, keep_value};
pub use page::{BackupPageInput, BackupPageOutput, CARRIED_PER_PAGE, COMMIT_MARGIN, backup_page};
pub use plan::{
    BackupRequest, FULL_REFRESH_AFTER, PlanInput, PlanOutput, RESUMABLE_FOR, continued_job, max_iterations, plan_backup,
};
