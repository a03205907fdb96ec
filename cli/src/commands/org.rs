//! `oktavault org`: authorize an org for unattended backups, and show or change the orgs of the store, through
//! the service layer's orgs module.

use std::path::Path;
use std::process::ExitCode;

use oktavault_shared::ids::OrgId;
use oktavault_shared::okta::OrgUrl;
use oktavault_shared::ports::RecordSchedules;
use oktavault_shared::service::orgs::{self, OrgSettings};

use super::authorize::{client_config, restore_scopes};
use crate::args::{OrgAction, OrgCommandArgs, OrgRef};
use crate::output::Output;
use crate::store::Store;

/// What the cards say about where snapshots are kept.
fn storage(store_dir: &Path) -> String {
    format!("local store {}", store_dir.display())
}

pub async fn run(store_dir: &Path, args: OrgCommandArgs, out: &Output) -> anyhow::Result<ExitCode> {
    match args.action {
        OrgAction::Add(org) => {
            // Parse everything before touching the store: a refused flag leaves nothing behind.
            let (config, _) = client_config(&org, restore_scopes)?;
            let store = Store::open(store_dir)?;
            out.note(format!("Checking the credentials against {}...", config.url));
            let authorized =
                orgs::authorize(store.catalog.as_ref(), store.keys.as_ref(), &RecordSchedules, &config).await?;
            out.emit(&authorized);
        }
        OrgAction::List => {
            let store = Store::open_existing(store_dir)?;
            let cards = orgs::cards(store.catalog.as_ref(), &storage(store_dir)).await?;
            out.emit(&CardList(cards));
        }
        OrgAction::Show(org) => {
            let store = Store::open_existing(store_dir)?;
            let card = orgs::card(store.catalog.as_ref(), &org_id(&org)?, &storage(store_dir)).await?;
            out.emit(&card);
        }
        OrgAction::Set(set) => {
            let store = Store::open_existing(store_dir)?;
            let settings = OrgSettings {
                backup_enabled: set.backup,
                every_hours: set.every_hours,
                linked_objects_every_days: set.linked_objects_every_days,
            };
            if settings == OrgSettings::default() {
                anyhow::bail!("say what to change: --backup on|off, --every-hours N, --linked-objects-every-days N");
            }
            let org_id = org_id(&set.org)?;
            orgs::update(store.catalog.as_ref(), &RecordSchedules, &org_id, &settings).await?;
            out.emit(&orgs::card(store.catalog.as_ref(), &org_id, &storage(store_dir)).await?);
        }
        OrgAction::Delete(org) => {
            let store = Store::open_existing(store_dir)?;
            let org_id = org_id(&org)?;
            orgs::delete(store.catalog.as_ref(), &RecordSchedules, &org_id).await?;
            out.emit(&orgs::card(store.catalog.as_ref(), &org_id, &storage(store_dir)).await?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An org named by its id or its URL.
fn org_id(org: &OrgRef) -> anyhow::Result<OrgId> {
    if org.org.contains("://") {
        // Only to name an org already stored: no request goes to this URL.
        return Ok(OrgUrl::parse(&org.org, true)?.org_id());
    }
    Ok(OrgId::new(org.org.as_str())?)
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct CardList(Vec<orgs::OrgCard>);

impl std::fmt::Display for CardList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return writeln!(
                f,
                "No org is authorized in this store yet (oktavault org add --org URL ...)."
            );
        }
        for (i, card) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{card}")?;
        }
        Ok(())
    }
}
