//! The local store behind `--store DIR`: sealed blobs, the key file and the job catalog.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use oktavault_shared::ids::OrgId;
use oktavault_shared::local::{AlertFile, LocalBlobStore, LocalCatalog, LocalKeyProvider};
use oktavault_shared::ports::SnapshotRecord;
use oktavault_shared::service::snapshots;
use oktavault_shared::snapshot::Vault;
use oktavault_shared::workflow::{OktaConnector, StepContext};

pub struct Store {
    pub catalog: Arc<LocalCatalog>,
    pub vault: Vault,
    /// The store's key file: what org credentials are sealed under.
    pub keys: Arc<LocalKeyProvider>,
    /// `alerts.jsonl`: a failed job, a mass change (see docs/alerts.md).
    pub alerts: Arc<AlertFile>,
}

impl Store {
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the store directory {}", dir.display()))?;
        let blobs = LocalBlobStore::open(dir.join("blobs"))?;
        let keys = Arc::new(LocalKeyProvider::open(dir.join("master.key"))?);
        let catalog = LocalCatalog::open(dir.join("catalog"))?;
        Ok(Self {
            catalog: Arc::new(catalog),
            vault: Vault::new(Arc::new(blobs), keys.clone()),
            keys,
            alerts: Arc::new(AlertFile::new(dir.join("alerts.jsonl"))),
        })
    }

    /// The context the workflow steps run in over this store, reaching Okta through `okta`.
    pub fn step_context(&self, okta: Arc<dyn OktaConnector>) -> StepContext {
        StepContext::new(self.catalog.clone(), self.vault.clone(), okta).with_alerts(self.alerts.clone())
    }

    /// Opens a store that must already hold data (browsing commands never create one).
    pub fn open_existing(dir: &Path) -> anyhow::Result<Self> {
        if !dir.join("catalog").is_dir() {
            bail!(
                "no oktavault store at {} (use --store DIR, or run a backup first)",
                dir.display()
            );
        }
        Self::open(dir)
    }

    /// Finds a snapshot by id across orgs; `latest` is the newest snapshot of the store.
    pub async fn resolve_snapshot(&self, wanted: &str) -> anyhow::Result<SnapshotRecord> {
        Ok(snapshots::resolve(self.catalog.as_ref(), wanted, None).await?)
    }

    pub async fn snapshots(&self, org: Option<&OrgId>) -> anyhow::Result<Vec<SnapshotRecord>> {
        Ok(snapshots::list(self.catalog.as_ref(), org).await?)
    }
}
