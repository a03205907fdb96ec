//! `oktavault undo EVENT`: puts back the objects one logged admin change touched, as the last snapshot before it
//! held them. Which event, which snapshot and which objects are the service layer's; the restore runs as any
//! restore does.

use std::path::Path;

use oktavault_shared::service::undo::{self, UndoAsk, UndoReport};

use super::authorize::{authorize, restore_scopes};
use super::restore::execute;
use crate::args::UndoArgs;
use crate::output::Output;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: UndoArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let (org, client) = authorize(&store, &args.org, restore_scopes).await?;
    let ask = UndoAsk {
        org: org.org_id.clone(),
        event: args.event.clone(),
        dry_run: args.dry_run,
        confirmed: args.yes,
    };
    let undo = undo::plan(store.catalog.as_ref(), &store.vault, &ask).await?;
    let (restore, code) = execute(&store, org.org_id, client, &undo.request, args.page_budget_secs, out).await?;
    out.emit(&UndoReport { undo, restore });
    Ok(code)
}
