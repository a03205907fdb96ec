//! `oktavault snapshots`, `ls` and `show`: reading what backups stored (the service layer's browse and timeline).

use std::path::Path;

use oktavault_shared::ids::OrgId;
use oktavault_shared::ports::SnapshotRecord;
use oktavault_shared::service::browse::{self, CategoryTree, Page};
use oktavault_shared::service::timeline::{self, Window};
use oktavault_shared::timefmt;

use crate::args::{LsArgs, ShowArgs, SnapshotsArgs};
use crate::output::Output;
use crate::store::Store;

pub async fn snapshots(store_dir: &Path, args: SnapshotsArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let org = args.org.map(OrgId::new).transpose()?;
    let now = timefmt::now();
    let window = Window::parse(args.since.as_deref(), args.until.as_deref(), now)?;
    out.emit(&timeline::timeline(store.catalog.as_ref(), &store.vault, org.as_ref(), window, now).await?);
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn ls(store_dir: &Path, args: LsArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let record = store.resolve_snapshot(&args.snapshot).await?;
    match args.category {
        None => out.emit(&category_tree(&store, &record).await?),
        Some(category) => {
            // The command lists the whole category: one page as large as the category.
            let page = Page {
                after: None,
                limit: Some(browse::MAX_PAGE),
            };
            let mut list = browse::object_list(&store.vault, &record, &category, &page).await?;
            while let Some(after) = list.next_after.take() {
                let next = Page {
                    after: Some(after),
                    limit: Some(browse::MAX_PAGE),
                };
                let more = browse::object_list(&store.vault, &record, &category, &next).await?;
                list.objects.extend(more.objects);
                list.next_after = more.next_after;
            }
            out.emit(&list)
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn category_tree(store: &Store, record: &SnapshotRecord) -> anyhow::Result<CategoryTree> {
    Ok(browse::category_tree(&store.vault, record).await?)
}

pub async fn show(store_dir: &Path, args: ShowArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open_existing(store_dir)?;
    let record = store.resolve_snapshot(&args.snapshot).await?;
    out.emit(&browse::object_view(&store.vault, &record, &args.category, &args.id).await?);
    Ok(std::process::ExitCode::SUCCESS)
}
