//! `oktavault search QUERY`: objects found across every snapshot of an org, with their versions; `oktavault
//! history CATEGORY ID_OR_NAME`: the versions of one object, with what changed between them.

use std::path::Path;

use oktavault_shared::ids::OrgId;
use oktavault_shared::service::search::{self, HistoryAsk, SearchAsk};

use crate::args::{HistoryArgs, SearchArgs};
use crate::output::Output;
use crate::store::Store;

pub async fn search(store_dir: &Path, args: SearchArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let ask = SearchAsk {
        org: args.org.map(OrgId::new).transpose()?,
        query: args.query,
        category: args.category,
        from: args.from,
        to: args.to,
    };
    out.emit(&search::search(store.catalog.as_ref(), &store.vault, &ask).await?);
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn history(store_dir: &Path, args: HistoryArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let ask = HistoryAsk {
        org: args.org.map(OrgId::new).transpose()?,
        category: args.category,
        id_or_name: args.id_or_name,
    };
    out.emit(&search::history(store.catalog.as_ref(), &store.vault, &ask).await?);
    Ok(std::process::ExitCode::SUCCESS)
}
