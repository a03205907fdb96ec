//! Incremental listing of per-parent categories: a parent whose change marker did not move
//! since the previous snapshot keeps the children that snapshot recorded for it, with no call to
//! Okta (a group whose `lastMembershipUpdated` is unchanged has the same members). An app's
//! assignments change without moving its `lastUpdated`, so for them the System Log names the apps
//! whose assignments changed since the previous snapshot, and those are listed again too.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::SortedIds;
use super::previous::{Previous, PreviousChildren, PreviousEntry};
use super::work::WorkEntry;
use crate::categories::{Category, Incremental, Keep, Source};
use crate::ids::OrgId;
use crate::ports::JobRecord;
use crate::snapshot::{Location, Segment, Vault};

/// A run of the children carried for one parent, and whether more of them follow it.
pub struct CarriedRun {
    pub entries: Vec<WorkEntry>,
    pub more: bool,
}

pub struct Carry {
    category: &'static Category,
    field: &'static str,
    /// The System Log events that also mark a parent as changed (empty when the marker suffices).
    events: &'static [&'static str],
    /// The type of the events' target that names the parent (`AppInstance`, `User`, `UserGroup`).
    target: &'static str,
    /// Parents those events targeted since the previous snapshot; every parent counts as changed
    /// until [`Carry::set_logged`] says which (never carry blindly).
    logged: Option<HashSet<String>>,
    previous: Arc<Previous>,
    /// The previous snapshot's parents and children, walked parent by parent.
    history: Arc<tokio::sync::Mutex<PreviousChildren>>,
    /// The last segment read to compare a parent's marker; parents of one page share one.
    segment: Mutex<Option<Arc<Segment>>>,
    /// Carried on a cadence ([`Carry::on_cadence`]): no marker is compared; only parents (and names) the previous
    /// snapshot held are carried.
    cadence: bool,
    /// For a cadence: the previous snapshot's parent ids and (for a row listed per parent and name) names.
    known: tokio::sync::Mutex<Option<(SortedIds, Option<SortedIds>)>>,
    /// For a cadence: the parents this job lists (a carried link to a user no longer there is dropped).
    current: Option<SortedIds>,
}

impl Carry {
    /// How `category` may be carried in `job`, or `None` when everything must be listed: not an
    /// incremental category, a full refresh, no previous snapshot, or one that lacks the
    /// category or its parent. `history` walks the previous snapshot's parents and children.
    pub fn new(
        category: &'static Category,
        job: &JobRecord,
        previous: Option<&Arc<Previous>>,
        history: Option<&Arc<tokio::sync::Mutex<PreviousChildren>>>,
    ) -> Option<Self> {
        let (field, events, target) = match category.incremental {
            Incremental::Always | Incremental::ListedByChange { .. } | Incremental::OnCadence => return None,
            Incremental::WhenParentFieldMoves { field } => (field, &[][..], ""),
            Incremental::WhenParentChangesOrLogged { field, events, target } => (field, events, target),
        };
        let (parent, previous, history) = (category.parent()?, previous?, history?);
        if job.full_refresh {
            return None;
        }
        previous.backed_up(parent.name)?;
        previous.backed_up(category.name)?;
        Some(Self {
            category,
            field,
            events,
            target,
            logged: events.is_empty().then(HashSet::new),
            previous: previous.clone(),
            history: history.clone(),
            segment: Mutex::new(None),
            cadence: false,
            known: tokio::sync::Mutex::new(None),
            current: None,
        })
    }

    /// How a category read on a cadence is carried when its read is not due (see `cadence.rs`): every parent the
    /// previous snapshot held keeps the children it recorded; a new parent, or a new name (a relationship defined
    /// since), is read.
    pub fn on_cadence(
        category: &'static Category,
        previous: &Arc<Previous>,
        history: Option<&Arc<tokio::sync::Mutex<PreviousChildren>>>,
        current: SortedIds,
    ) -> Option<Self> {
        let parent = category.parent()?;
        previous.backed_up(parent.name)?;
        previous.backed_up(category.name)?;
        Some(Self {
            category,
            field: "",
            events: &[],
            target: "",
            logged: Some(HashSet::new()),
            previous: previous.clone(),
            history: history?.clone(),
            segment: Mutex::new(None),
            cadence: true,
            known: tokio::sync::Mutex::new(None),
            current: Some(current),
        })
    }

    /// Whether the previous snapshot held the parent of query `query_id` (`<parent>` or `<parent>/<name>`) and
    /// its name; `false` when that cannot be read (the parent's children are then read).
    async fn known_before(&self, query_id: &str) -> bool {
        let mut known = self.known.lock().await;
        if known.is_none() {
            let parent = self.category.parent().expect("checked in on_cadence");
            let parents = match self.previous.ids(parent.name).await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!(category = self.category.name, error = %e, "the previous snapshot's parents cannot be read; reading every value");
                    return false;
                }
            };
            let names = match self.category.source {
                Source::PerParentAndName { names, .. } => match self.previous.ids(names).await {
                    Ok(ids) => Some(ids),
                    Err(e) => {
                        tracing::warn!(category = self.category.name, error = %e, "the previous snapshot's names cannot be read; reading every value");
                        return false;
                    }
                },
                _ => None,
            };
            *known = Some((parents, names));
        }
        let (parents, names) = known.as_ref().expect("read above");
        match names {
            Some(names) => query_id
                .split_once('/')
                .is_some_and(|(parent, name)| parents.contains(parent) && names.contains(name)),
            None => parents.contains(query_id),
        }
    }

    /// The System Log event types whose targets must be known before anything is carried (see
    /// [`Carry::set_logged`]); empty when the parent's marker is enough.
    pub fn events(&self) -> &'static [&'static str] {
        self.events
    }

    /// The target type that names a parent in those events.
    pub fn target(&self) -> &'static str {
        self.target
    }

    /// Records the parents that System Log events targeted since the previous snapshot.
    pub fn set_logged(&mut self, parents: HashSet<String>) {
        self.logged = Some(parents);
    }

    /// The children to carry for `parent` (as this job recorded it), or `None` when they must be
    /// listed again because the parent is new, its marker moved, the log names it (or the log
    /// was not read), the previous snapshot could not list its children, or the marker cannot be read back.
    #[cfg(test)]
    pub async fn children(&self, vault: &Vault, org: &OrgId, parent: &WorkEntry) -> Option<Vec<WorkEntry>> {
        self.carried(vault, org, parent, 0, usize::MAX, false)
            .await
            .map(|run| run.entries)
    }

    /// At most `at_most` of the children to carry for `parent`, from its `from`th on (see [`Carry::children`]
    /// for when there are none). A parent with more children than one page carries spans several pages: `begun`
    /// says an earlier page of this job carried its first ones, so the decision stands and the System Log is not
    /// asked again (an event published late could otherwise turn a half-carried parent into a listed one).
    pub async fn carried(
        &self,
        vault: &Vault,
        org: &OrgId,
        parent: &WorkEntry,
        from: usize,
        at_most: usize,
        begun: bool,
    ) -> Option<CarriedRun> {
        // Listed again when the log names the parent, or was not read (never carry blindly).
        if !begun && self.logged.as_ref().is_none_or(|logged| logged.contains(&parent.id)) {
            return None;
        }
        if self.previous.lacks(self.category.name, &parent.id) {
            return None;
        }
        if self.cadence {
            if !self.known_before(&parent.id).await {
                return None;
            }
        } else {
            let before = self.history.lock().await.of(&parent.id).await.ok()?.before.clone()?;
            self.marker_unchanged(vault, org, &before, parent).await?;
        }
        // Only the run asked for is read: a group's members may be every user of the org, and such a parent's
        // children are walked again from the store a part at a time, not held.
        let mut history = self.history.lock().await;
        let (entries, more) = history
            .children(&parent.id, |id| self.still_links(id), from, at_most)
            .await
            .ok()?;
        Some(CarriedRun {
            entries: entries.into_iter().map(work_entry).collect(),
            more,
        })
    }

    /// Whether a carried child may stay: a link to a user this job no longer lists is dropped (Okta removes a
    /// user's links with the user); anything else stays.
    fn still_links(&self, child_id: &str) -> bool {
        match (&self.current, self.category.keep) {
            (Some(current), Keep::LinkedUser { .. }) => child_id
                .rsplit_once('/')
                .is_some_and(|(_, linked)| current.contains(linked)),
            _ => true,
        }
    }

    /// `Some(())` when the parent's change marker is the same as in the previous snapshot (an unchanged object
    /// has it unchanged); `None` when it moved or cannot be read back.
    async fn marker_unchanged(
        &self,
        vault: &Vault,
        org: &OrgId,
        before: &PreviousEntry,
        parent: &WorkEntry,
    ) -> Option<()> {
        if before.hash == parent.hash {
            return Some(());
        }
        let was = self.marker(vault, org, &before.at).await?;
        let now = self.marker(vault, org, &parent.at).await?;
        (was.is_some() && was == now).then_some(())
    }

    /// The parent's change marker, read from the object stored at `at`; `None` (list the children again) when
    /// the object cannot be read back.
    async fn marker(&self, vault: &Vault, org: &OrgId, at: &Location) -> Option<Option<Value>> {
        let cached = self
            .segment
            .lock()
            .expect("segment cache")
            .clone()
            .filter(|s| s.blob_key() == at.segment_key);
        let segment = match cached {
            Some(segment) => segment,
            None => match vault.read_segment(org, &at.segment_key).await {
                Ok(segment) => {
                    let segment = Arc::new(segment);
                    *self.segment.lock().expect("segment cache") = Some(segment.clone());
                    segment
                }
                Err(e) => {
                    tracing::warn!(segment = %at.segment_key, error = %e, "a parent's change marker cannot be read; listing its children again");
                    return None;
                }
            },
        };
        let object = segment.value(at.index).ok()?;
        Some(object.get(self.field).cloned())
    }
}

/// A previous snapshot's entry as an entry of this job, carried by reference to the same bytes.
pub fn work_entry(e: PreviousEntry) -> WorkEntry {
    WorkEntry {
        id: e.id,
        hash: e.hash,
        last_updated: e.last_updated,
        at: e.at,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::categories::find;
    use crate::ids::{JobId, SnapshotId};
    use crate::local::{LocalBlobStore, LocalKeyProvider};
    use crate::ports::{JobKind, JobStatus};
    use crate::snapshot::{CategoryManifest, Manifest, ManifestEntry, ObjectHash};
    use crate::workflow::backup::previous::parent_of;

    const SEGMENT: &str = "orgs/acme/segments/s1/apps/00000000";

    fn org() -> OrgId {
        OrgId::new("acme").unwrap()
    }

    fn entry(id: &str, hash: u8) -> ManifestEntry {
        ManifestEntry {
            id: id.into(),
            hash: ObjectHash([hash; 32]),
            last_updated: None,
            segment: 0,
            index: 0,
        }
    }

    /// A previous snapshot with apps 0oaA and 0oaB, each with one user and one group assigned.
    fn manifest() -> Manifest {
        let category = |entries: Vec<ManifestEntry>| CategoryManifest {
            entries,
            ..CategoryManifest::default()
        };
        Manifest {
            format_version: 2,
            org_id: org(),
            snapshot_id: SnapshotId::new("s1").unwrap(),
            job_id: JobId::new("j1").unwrap(),
            created_at: "2026-11-23T10:00:00Z".into(),
            previous: None,
            segments: vec![SEGMENT.into()],
            categories: BTreeMap::from([
                ("apps".into(), category(vec![entry("0oaA", 1), entry("0oaB", 2)])),
                (
                    "app_users".into(),
                    category(vec![entry("0oaA/00u1", 3), entry("0oaB/00u2", 4)]),
                ),
                (
                    "app_groups".into(),
                    category(vec![entry("0oaA/00g1", 5), entry("0oaB/00g2", 6)]),
                ),
            ]),
        }
    }

    /// `manifest` stored as the previous snapshot, and opened as a backup opens it.
    async fn previous(vault: &Vault, manifest: Manifest) -> Arc<Previous> {
        let key = vault.new_sealing_key(&org(), &manifest.snapshot_id).await.unwrap();
        vault.write_manifest(&key, &manifest).await.unwrap();
        Arc::new(
            Previous::open(vault.clone(), &org(), &manifest.snapshot_id)
                .await
                .unwrap(),
        )
    }

    fn carry(category: &str, job: &JobRecord, previous: &Arc<Previous>) -> Option<Carry> {
        let category = find(category).unwrap();
        let history =
            PreviousChildren::new(previous, category, true, usize::MAX).map(|h| Arc::new(tokio::sync::Mutex::new(h)));
        Carry::new(category, job, Some(previous), history.as_ref())
    }

    fn job(full_refresh: bool) -> JobRecord {
        JobRecord {
            job_id: JobId::new("j2").unwrap(),
            org_id: org(),
            kind: JobKind::Backup,
            status: JobStatus::Running,
            created_at: "2026-11-23T11:00:00Z".into(),
            updated_at: "2026-11-23T11:00:00Z".into(),
            finished_at: None,
            snapshot_id: Some(SnapshotId::new("s2").unwrap()),
            previous_snapshot: Some(SnapshotId::new("s1").unwrap()),
            full_refresh,
            wrapped_key: None,
            categories: vec![],
            counts: BTreeMap::new(),
            error: None,
            resumable: false,
            reopened: 0,
            trigger: Default::default(),
            restore: None,
            download: None,
        }
    }

    /// The app as this job listed it: unchanged (same hash as before) unless `hash` differs.
    fn app(id: &str, hash: u8) -> WorkEntry {
        WorkEntry {
            id: id.into(),
            hash: ObjectHash([hash; 32]),
            last_updated: None,
            at: Location {
                segment_key: SEGMENT.into(),
                index: 0,
            },
        }
    }

    fn vault(dir: &std::path::Path) -> Vault {
        Vault::new(
            Arc::new(LocalBlobStore::open(dir.join("blobs")).unwrap()),
            Arc::new(LocalKeyProvider::open(dir.join("master.key")).unwrap()),
        )
    }

    fn ids(children: Option<Vec<WorkEntry>>) -> Option<Vec<String>> {
        children.map(|c| c.into_iter().map(|e| e.id).collect())
    }

    #[tokio::test]
    async fn an_unchanged_app_that_the_log_names_is_listed_again_and_the_others_are_carried() {
        let dir = tempfile::tempdir().unwrap();
        let vault = vault(dir.path());
        let previous = previous(&vault, manifest()).await;
        let mut carry = carry("app_users", &job(false), &previous).unwrap();
        assert_eq!(
            carry.events(),
            &[
                "application.user_membership.add",
                "application.user_membership.remove",
                "application.user_membership.change_profile"
            ]
        );
        // Until the log was read, nothing is carried.
        assert!(carry.children(&vault, &org(), &app("0oaA", 1)).await.is_none());
        assert!(carry.children(&vault, &org(), &app("0oaB", 2)).await.is_none());
        carry.set_logged(HashSet::from(["0oaA".to_string()]));
        assert_eq!(ids(carry.children(&vault, &org(), &app("0oaA", 1)).await), None);
        assert_eq!(
            ids(carry.children(&vault, &org(), &app("0oaB", 2)).await),
            Some(vec!["0oaB/00u2".to_string()])
        );
        // A new app has nothing to carry.
        assert!(carry.children(&vault, &org(), &app("0oaC", 9)).await.is_none());
    }

    #[tokio::test]
    async fn group_assignments_are_carried_when_the_log_names_no_app() {
        let dir = tempfile::tempdir().unwrap();
        let vault = vault(dir.path());
        let previous = previous(&vault, manifest()).await;
        let mut carry = carry("app_groups", &job(false), &previous).unwrap();
        assert!(carry.events().contains(&"group.application_assignment.add"));
        carry.set_logged(HashSet::new());
        assert_eq!(
            ids(carry.children(&vault, &org(), &app("0oaA", 1)).await),
            Some(vec!["0oaA/00g1".to_string()])
        );
    }

    #[tokio::test]
    async fn a_parent_the_previous_snapshot_could_not_list_or_whose_marker_is_unreadable_is_listed_again() {
        let dir = tempfile::tempdir().unwrap();
        let vault = vault(dir.path());
        let mut manifest = manifest();
        manifest
            .categories
            .get_mut("app_groups")
            .unwrap()
            .incomplete
            .push(crate::snapshot::Incomplete {
                part: "0oaA".into(),
                reason: "E0000009 Internal Server Error".into(),
            });
        let previous = previous(&vault, manifest).await;
        let mut carry = carry("app_groups", &job(false), &previous).unwrap();
        carry.set_logged(HashSet::new());
        assert_eq!(
            ids(carry.children(&vault, &org(), &app("0oaA", 1)).await),
            None,
            "its children are missing"
        );
        assert_eq!(
            ids(carry.children(&vault, &org(), &app("0oaB", 2)).await),
            Some(vec!["0oaB/00g2".to_string()])
        );
        // 0oaB changed (new hash): its marker must be compared, but the segment holding it is gone.
        assert_eq!(ids(carry.children(&vault, &org(), &app("0oaB", 7)).await), None);
    }

    #[tokio::test]
    async fn a_full_refresh_or_a_first_snapshot_carries_nothing_and_memberships_need_no_log() {
        let dir = tempfile::tempdir().unwrap();
        let vault = vault(dir.path());
        let previous = previous(&vault, manifest()).await;
        assert!(carry("app_users", &job(true), &previous).is_none());
        assert!(Carry::new(find("app_users").unwrap(), &job(false), None, None).is_none());
        assert!(carry("apps", &job(false), &previous).is_none());
        let mut with_groups = manifest();
        with_groups.snapshot_id = SnapshotId::new("s0").unwrap();
        with_groups
            .categories
            .insert("groups".into(), CategoryManifest::default());
        with_groups
            .categories
            .insert("group_members".into(), CategoryManifest::default());
        let previous = self::previous(&vault, with_groups).await;
        let members = carry("group_members", &job(false), &previous).unwrap();
        assert!(members.events().is_empty(), "a group's marker is enough");
        assert!(members.logged.is_some());
    }

    #[test]
    fn a_child_id_names_its_parent() {
        assert_eq!(parent_of(find("group_members").unwrap(), "00g1/00u2"), "00g1");
        assert_eq!(parent_of(find("group_members").unwrap(), "aus1/00p2/0pr3"), "aus1/00p2");
        let schema = Category {
            keep: crate::categories::Keep::OnePerParent { parent_field: "appId" },
            ..Category::DEFAULTS
        };
        assert_eq!(parent_of(&schema, "0oa1"), "0oa1");
    }
}
