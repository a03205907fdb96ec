use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::StepError;
use super::backup::previous::Previous;
use crate::ids::{OrgId, SnapshotId};
use crate::okta::OktaClient;
use crate::ports::{Alert, Alerts, Catalog, ExportStore, OrgRecord};
use crate::snapshot::Vault;

/// Hands a step an authenticated Okta client for an org. Embedded, the command registers the
/// client it built from its flags; on AWS, the adapter decrypts the org's stored credentials.
#[async_trait]
pub trait OktaConnector: Send + Sync + 'static {
    async fn client_for(&self, org: &OrgRecord) -> Result<OktaClient, StepError>;
}

/// A connector holding clients registered up front (the embedded host).
#[derive(Default)]
pub struct StaticConnector {
    clients: Mutex<HashMap<OrgId, OktaClient>>,
}

impl StaticConnector {
    pub fn register(&self, org_id: OrgId, client: OktaClient) {
        self.clients.lock().expect("connector lock").insert(org_id, client);
    }
}

#[async_trait]
impl OktaConnector for StaticConnector {
    async fn client_for(&self, org: &OrgRecord) -> Result<OktaClient, StepError> {
        self.clients
            .lock()
            .expect("connector lock")
            .get(&org.org_id)
            .cloned()
            .ok_or_else(|| {
                StepError::fatal(format!(
                    "no credentials were given for org {}; authorize it first",
                    org.org_id
                ))
            })
    }
}

/// Starts a new execution of a state machine: how a job continues in a fresh execution on AWS (Step Functions'
/// StartExecution). The embedded host has none: it runs the next execution itself.
#[async_trait]
pub trait ExecutionStarter: Send + Sync + 'static {
    async fn start(&self, state_machine: &str, name: &str, input: serde_json::Value) -> Result<(), StepError>;
}

/// Everything a step needs. Built once per Lambda container or once per embedded run.
pub struct StepContext {
    pub catalog: Arc<dyn Catalog>,
    pub vault: Vault,
    pub okta: Arc<dyn OktaConnector>,
    pub executions: Option<Arc<dyn ExecutionStarter>>,
    /// Where a finished download goes when its job names no local file (S3 on AWS).
    pub exports: Option<Arc<dyn ExportStore>>,
    /// Where alerts go (a failed job, a mass change); none sends nothing.
    pub alerts: Option<Arc<dyn Alerts>>,
    /// How long one BackupPage call keeps fetching pages before it returns a cursor (well under
    /// a Lambda's limit; the state machine loops until the category is done).
    pub page_budget: Duration,
    /// Children carried from the previous snapshot in one page, at most (see `backup::CARRIED_PER_PAGE`).
    pub carried_per_page: usize,
    previous: Mutex<Option<(SnapshotId, Arc<Previous>)>>,
}

impl StepContext {
    pub fn new(catalog: Arc<dyn Catalog>, vault: Vault, okta: Arc<dyn OktaConnector>) -> Self {
        Self {
            catalog,
            vault,
            okta,
            executions: None,
            exports: None,
            alerts: None,
            page_budget: Duration::from_secs(20),
            carried_per_page: super::backup::CARRIED_PER_PAGE,
            previous: Mutex::new(None),
        }
    }

    pub fn with_executions(mut self, executions: Arc<dyn ExecutionStarter>) -> Self {
        self.executions = Some(executions);
        self
    }

    pub fn with_exports(mut self, exports: Arc<dyn ExportStore>) -> Self {
        self.exports = Some(exports);
        self
    }

    pub fn with_alerts(mut self, alerts: Arc<dyn Alerts>) -> Self {
        self.alerts = Some(alerts);
        self
    }

    /// Sends `alert` where alerts go. An alert that cannot be sent never fails the step that raised it: the
    /// job's log says it was not sent, and why.
    pub(crate) async fn alert(&self, alert: Option<Alert>) {
        let (Some(alerts), Some(alert)) = (&self.alerts, alert) else {
            return;
        };
        if let Err(error) = alerts.send(&alert).await {
            tracing::warn!(org = %alert.org_id, kind = ?alert.kind, %error, "alert not sent");
            if let Some(job) = &alert.job_id {
                let line = format!("the {:?} alert could not be sent: {error}", alert.kind);
                let _ = super::job::job_log(self, job, &format!("alert-{:?}", alert.kind), line).await;
            }
        }
    }

    /// The org's record, or a fatal error when the org was never authorized (or was removed).
    pub async fn registered_org(&self, org_id: &OrgId) -> Result<OrgRecord, StepError> {
        self.catalog
            .get_org(org_id)
            .await?
            .ok_or_else(|| StepError::fatal(format!("org {org_id} is not registered; authorize it first")))
    }

    pub fn with_page_budget(mut self, budget: Duration) -> Self {
        self.page_budget = budget;
        self
    }

    /// A smaller carried page, so tests see a parent's children carried across pages without a huge org.
    pub fn with_carried_per_page(mut self, children: usize) -> Self {
        self.carried_per_page = children.max(1);
        self
    }

    /// The snapshot `snapshot` as a base, read once and kept for the following pages.
    pub(crate) async fn previous(&self, org: &OrgId, snapshot: &SnapshotId) -> Result<Arc<Previous>, StepError> {
        if let Some((id, previous)) = self.previous.lock().expect("cache lock").as_ref()
            && id == snapshot
        {
            return Ok(previous.clone());
        }
        let previous = Arc::new(Previous::open(self.vault.clone(), org, snapshot).await?);
        *self.previous.lock().expect("cache lock") = Some((snapshot.clone(), previous.clone()));
        Ok(previous)
    }
}
