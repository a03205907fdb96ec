//! The System Log read once per job. Every incremental category asks which objects events of its types named
//! since the previous snapshot (apps whose assignments changed, users whose factors changed, users deleted); one
//! query with the union of those types answers all of them. PlanBackup reads it, and the answer is sealed into
//! the job's work area, so every BackupPage call of the job, in any process, shares it instead of asking Okta
//! again.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use super::log_window::{LATE_EVENT_MARGIN_MINUTES, LogWindow, logged_events, previous_start};
use crate::categories;
use crate::okta::OktaClient;
use crate::ports::JobRecord;
use crate::snapshot::{BlobKind, SealingKey, SnapshotError, keys};
use crate::workflow::job::sealing_key;
use crate::workflow::{StepContext, StepError};

/// What the System Log named inside a job's window (from the previous snapshot's job start, less
/// [`LATE_EVENT_MARGIN_MINUTES`], to the job's start), for the event types the job's categories need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logged {
    pub window: Option<LogWindowBounds>,
    /// `(event type, target type, target id)` of every target of every event read.
    targets: BTreeSet<(String, String, String)>,
    /// Why the log could not be read: every category that needs it lists everything again, and says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

/// A window's bounds as stored (Okta's millisecond form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogWindowBounds {
    pub since: String,
    pub until: String,
}

impl Logged {
    /// The ids of the targets of type `target_type` that events of `events` named, or why the log could not be
    /// read.
    pub fn targets(&self, events: &[&str], target_type: &str) -> Result<HashSet<String>, &str> {
        if let Some(why) = &self.unreadable {
            return Err(why);
        }
        Ok(self
            .targets
            .iter()
            .filter(|(event, kind, _)| kind == target_type && events.contains(&event.as_str()))
            .map(|(_, _, id)| id.clone())
            .collect())
    }
}

/// The event types the job's categories need, in a stable order: the one query's filter.
pub fn event_types(job: &JobRecord) -> Vec<&'static str> {
    let types: BTreeSet<&'static str> = job
        .categories
        .iter()
        .filter_map(|name| categories::find(name))
        .flat_map(|c| c.incremental.logged_events().iter().copied())
        .collect();
    types.into_iter().collect()
}

fn blob_key(job: &JobRecord) -> String {
    format!("{}logged-events", keys::work_prefix(&job.org_id, &job.job_id))
}

/// What the log named in the job's window: read back from the job's work area, else read from Okta once and
/// stored there. `None` when there is nothing to compare against (no previous snapshot) or no category of the
/// job needs the log. A log Okta refuses (not granted, not on the plan) is recorded as unreadable; an outage
/// is an error to retry.
pub(crate) async fn logged(
    ctx: &StepContext,
    job: &JobRecord,
    client: &OktaClient,
) -> Result<Option<Logged>, StepError> {
    let types = event_types(job);
    if types.is_empty() {
        return Ok(None);
    }
    let Some(since) = previous_start(ctx, job).await? else {
        return Ok(None);
    };
    let key = blob_key(job);
    match ctx.vault.get_opened(&job.org_id, &key, BlobKind::Work).await {
        Ok(bytes) => return decode(&key, &bytes).map(Some),
        Err(SnapshotError::Missing { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let window = LogWindow::between(Some(&since), &job.created_at)
        .ok_or_else(|| {
            StepError::fatal(format!(
                "job {}: its start time {:?} (or its previous snapshot's) is not an RFC 3339 time",
                job.job_id, job.created_at
            ))
        })?
        .reaching_back(LATE_EVENT_MARGIN_MINUTES);
    let mut read = Logged {
        window: Some(LogWindowBounds {
            since: window.since.clone(),
            until: window.until.clone(),
        }),
        ..Logged::default()
    };
    match logged_events(client, &window, &types).await {
        Ok(events) => read.targets = events,
        Err(e) if e.is_retryable() => return Err(e.into()),
        Err(e) => read.unreadable = Some(e.to_string()),
    }
    let sealing: SealingKey = sealing_key(ctx, job).await?;
    let bytes =
        serde_json::to_vec(&read).map_err(|e| StepError::fatal(format!("could not encode the logged events: {e}")))?;
    if ctx
        .vault
        .put_sealed_if_absent(&sealing, &key, BlobKind::Work, &bytes)
        .await?
    {
        return Ok(Some(read));
    }
    // Another runner stored the job's read first: the job keeps one answer.
    let bytes = ctx.vault.get_opened(&job.org_id, &key, BlobKind::Work).await?;
    decode(&key, &bytes).map(Some)
}

fn decode(key: &str, bytes: &[u8]) -> Result<Logged, StepError> {
    serde_json::from_slice(bytes)
        .map_err(|e| StepError::fatal(format!("the job's logged events {key} are unreadable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{JobId, OrgId};
    use crate::ports::{JobKind, JobStatus};

    fn target(event: &str, kind: &str, id: &str) -> (String, String, String) {
        (event.to_owned(), kind.to_owned(), id.to_owned())
    }

    #[test]
    fn each_category_takes_the_targets_of_its_own_event_types_and_target_type_from_the_one_read() {
        let logged = Logged {
            window: None,
            targets: BTreeSet::from([
                target("application.user_membership.add", "AppInstance", "0oa1"),
                target("application.user_membership.add", "User", "00u1"),
                target("user.lifecycle.delete.completed", "User", "00u2"),
                target("user.mfa.factor.activate", "User", "00u3"),
            ]),
            unreadable: None,
        };
        let apps = logged
            .targets(&["application.user_membership.add"], "AppInstance")
            .unwrap();
        assert_eq!(apps, HashSet::from(["0oa1".to_owned()]));
        let deleted = logged
            .targets(
                &["user.lifecycle.delete.initiated", "user.lifecycle.delete.completed"],
                "User",
            )
            .unwrap();
        assert_eq!(
            deleted,
            HashSet::from(["00u2".to_owned()]),
            "not the users other events name"
        );
        let unreadable = Logged {
            unreadable: Some("E0000006 not granted".into()),
            ..logged
        };
        assert_eq!(unreadable.targets(&["x"], "User"), Err("E0000006 not granted"));
    }

    #[test]
    fn the_one_query_asks_for_every_selected_categorys_event_types_once() {
        let job = JobRecord {
            job_id: JobId::new("j2").unwrap(),
            org_id: OrgId::new("acme").unwrap(),
            kind: JobKind::Backup,
            status: JobStatus::Running,
            created_at: "2026-11-23T11:00:00Z".into(),
            updated_at: "2026-11-23T11:00:00Z".into(),
            finished_at: None,
            snapshot_id: None,
            previous_snapshot: None,
            full_refresh: false,
            wrapped_key: None,
            categories: [
                "users",
                "apps",
                "app_users",
                "app_groups",
                "user_factors",
                "linked_object_values",
            ]
            .map(str::to_owned)
            .to_vec(),
            counts: Default::default(),
            error: None,
            resumable: false,
            reopened: 0,
            trigger: Default::default(),
            restore: None,
            download: None,
        };
        let types = event_types(&job);
        for wanted in [
            "user.lifecycle.delete.completed",
            "application.user_membership.add",
            "group.application_assignment.add",
            "user.mfa.factor.activate",
        ] {
            assert!(types.contains(&wanted), "{wanted} in {types:?}");
        }
        assert!(
            !types.iter().any(|t| t.starts_with("group.privilege")),
            "group_roles is not selected"
        );
        let mut sorted = types.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(types, sorted);
    }
}
