//! Applying one planned object: checked against the live org again, then written.
//!
//! Okta's creates are not idempotent, so a create looks the object up by its natural key first: an object that
//! an interrupted attempt of this restore created (Okta answered, the saved position did not move) is found,
//! mapped and not created twice. An update reads the live object again and logs what changed since planning.
//! Relationship writes (`PUT` a member, assign an app) are idempotent in Okta and are not read first.

use serde_json::{Map, Value, json};

use super::kinds::{Kind, app_takes_name, create_call, own, resolved, update_call, urlencode};
use super::live::{CLIENT_IDS, LiveOrg};
use super::plan::{Action, Link, PlannedObject};
use crate::compare::diff;
use crate::okta::{OktaClient, OktaError};
use crate::ports::OnConflict;
use crate::references::client_id_of;
use crate::workflow::StepError;

/// What became of one planned object.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Created in the target with this id (a relationship: added).
    Created(String),
    /// Found in the target after all (see the drift note); what was written to it, if anything, is said.
    Matched(String),
    Updated,
    Reactivated,
    Unchanged,
    Skipped,
    /// Okta refused it, or something it needs was not restored: why.
    Failed(String),
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Created(_) => "created",
            Outcome::Matched(_) => "matched",
            Outcome::Updated => "updated",
            Outcome::Reactivated => "reactivated",
            Outcome::Unchanged => "unchanged",
            Outcome::Skipped => "skipped",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// One object's result and what a person should read about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub outcome: Outcome,
    pub notes: Vec<String>,
}

impl Applied {
    pub(super) fn new(outcome: Outcome) -> Self {
        Applied {
            outcome,
            notes: Vec::new(),
        }
    }

    pub fn message(&self) -> String {
        let mut parts = Vec::new();
        if let Outcome::Failed(why) = &self.outcome {
            parts.push(why.clone());
        }
        parts.extend(self.notes.iter().cloned());
        parts.join("; ")
    }
}

pub struct Applier<'a> {
    client: &'a OktaClient,
    pub(super) live: LiveOrg<'a>,
    pub(super) on_conflict: OnConflict,
    pub(super) same_org: bool,
    /// Ids created since the last call of [`Applier::take_new_ids`], per id-map category: (snapshot id, new id).
    new_ids: Vec<(&'static str, String, String)>,
}

impl<'a> Applier<'a> {
    /// `live` carries the id map of the two orgs (and learns every id this applier creates).
    pub fn new(client: &'a OktaClient, live: LiveOrg<'a>, on_conflict: OnConflict, same_org: bool) -> Self {
        Applier {
            client,
            live,
            on_conflict,
            same_org,
            new_ids: Vec::new(),
        }
    }

    /// Calls made to the target org.
    pub fn calls(&self) -> u64 {
        self.live.calls()
    }

    /// The ids created (or found by natural key) since the last call, to keep in the id map.
    pub fn take_new_ids(&mut self) -> Vec<(&'static str, String, String)> {
        std::mem::take(&mut self.new_ids)
    }

    /// Applies `p`. An error stops the step (Okta is out of reach or throttling, the credentials were revoked);
    /// Okta refusing this one object is an [`Outcome::Failed`], and the restore goes on.
    pub async fn apply(&mut self, p: &PlannedObject) -> Result<Applied, StepError> {
        let kind = p.kind();
        let result = match (p.action, kind.is_edge()) {
            (Action::Skip, _) => Ok(Applied::new(Outcome::Skipped)),
            _ if kind.is_generic() => self.apply_generic(kind, p).await,
            (Action::Recreate, _) => Ok(Applied::new(Outcome::Failed(format!(
                "{} cannot be recreated; plan the restore again",
                p.category
            )))),
            (Action::Create, true) => self.add_edge(kind, p).await,
            (Action::Create, false) => self.create(kind, p).await,
            (Action::Update | Action::Reactivate, _) => self.update(kind, p).await,
        };
        match result {
            Ok(applied) => Ok(applied),
            Err(e)
                if e.is_retryable()
                    || matches!(e, OktaError::AuthRejected { .. } | OktaError::TokenRejected { .. }) =>
            {
                Err(e.into())
            }
            Err(e) => Ok(Applied::new(Outcome::Failed(e.to_string()))),
        }
    }

    pub(super) async fn call(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, OktaError> {
        self.client.write(method, path, body).await
    }

    async fn create(&mut self, kind: Kind, p: &PlannedObject) -> Result<Applied, OktaError> {
        if let Some(existing) = self.live.look_up(kind, &p.source_id, &p.object).await? {
            return self.matched(kind, p, existing).await;
        }
        let (method, path, mut body) = create_call(kind, &p.object);
        let mut notes = Vec::new();
        if kind == Kind::USER {
            self.user_type(&mut body, &mut notes);
            let (groups, missing) = self.targets(&p.links);
            notes.extend(missing);
            if !groups.is_empty() {
                body["groupIds"] = json!(groups);
            }
        }
        let created = self.call(method, &path, Some(&body)).await?;
        let Some(new_id) = created.get("id").and_then(Value::as_str).map(str::to_owned) else {
            return Ok(Applied::new(Outcome::Failed(format!(
                "Okta's answer to {path} holds no id; look for {} in the target before restoring it again",
                p.name
            ))));
        };
        self.record(kind, &p.source_id, &new_id);
        self.record_client_id(&p.object, &created);
        // Okta fills defaults into what it creates (an OIDC client's settings): settled to the snapshot's at once,
        // so a second restore finds nothing to change.
        if kind == Kind::APP && own(kind, &created) != own(kind, &p.object) {
            self.settle(kind, p, &new_id, &created).await?;
        }
        if kind == Kind::APP {
            notes.extend(self.give_back_access_policy(p, &new_id, &created).await?);
        }
        if p.activate {
            self.activate(kind, &new_id).await?;
        }
        Ok(Applied {
            outcome: Outcome::Created(new_id),
            notes,
        })
    }

    /// The object was found before creating it: map it, finish what its create would have done, and resolve the
    /// conflict as an update would.
    async fn matched(&mut self, kind: Kind, p: &PlannedObject, existing: Value) -> Result<Applied, OktaError> {
        let id = existing
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        self.record(kind, &p.source_id, &id);
        self.record_client_id(&p.object, &existing);
        let mut notes = vec![format!(
            "it is in the target already (created since planning, or by an interrupted attempt of this restore), \
             as {id}: not created again"
        )];
        if p.activate && existing.get("status").and_then(Value::as_str) == Some("STAGED") {
            self.activate(kind, &id).await?;
            notes.push("activated".into());
        }
        if kind == Kind::USER {
            let (groups, missing) = self.targets(&p.links);
            notes.extend(missing);
            for group in groups {
                let path = format!("/api/v1/groups/{}/users/{}", urlencode(&group), urlencode(&id));
                self.call(reqwest::Method::PUT, &path, None).await?;
            }
        }
        if self.on_conflict != OnConflict::Skip && self.write_update(kind, p, &id, &existing).await? {
            notes.push("updated".into());
        }
        Ok(Applied {
            outcome: Outcome::Matched(id),
            notes,
        })
    }

    async fn update(&mut self, kind: Kind, p: &PlannedObject) -> Result<Applied, OktaError> {
        let target = p.target_id.clone().unwrap_or_default();
        let Some(live) = self.live.get(kind, &target).await? else {
            let mut applied = self.create(kind, p).await?;
            applied.notes.insert(
                0,
                format!("{target} was deleted from the target since planning: created again"),
            );
            return Ok(applied);
        };
        let mut applied = Applied::new(Outcome::Unchanged);
        let live_own = own(kind, &live);
        if let Some(planned) = &p.live_own
            && *planned != live_own
        {
            let paths: Vec<String> = diff(planned, &live_own).iter().map(|c| c.path().to_owned()).collect();
            applied.notes.push(format!(
                "changed in the target since planning ({}); restored over the change",
                paths.join(", ")
            ));
        }
        let mut live = live;
        if p.action == Action::Reactivate && live.get("status").and_then(Value::as_str) == Some("DEPROVISIONED") {
            self.activate(kind, &target).await?;
            applied.outcome = Outcome::Reactivated;
            live["status"] = json!("PROVISIONED");
        }
        if self.on_conflict != OnConflict::Skip && self.write_update(kind, p, &target, &live).await? {
            if applied.outcome == Outcome::Unchanged {
                applied.outcome = Outcome::Updated;
            } else {
                applied.notes.push("updated".into());
            }
        }
        Ok(applied)
    }

    /// Gives the recreated app `target` the app sign-in policy the snapshot's app had (`_links.accessPolicy`), when
    /// Okta gave it another (a new app starts on the org's default one). An app that exists keeps its policy: one
    /// policy per app, changed by whoever manages the policies. Answers a note for the log.
    async fn give_back_access_policy(
        &mut self,
        p: &PlannedObject,
        target: &str,
        live: &Value,
    ) -> Result<Option<String>, OktaError> {
        let Some(source) = access_policy_of(&p.object) else {
            return Ok(None);
        };
        let wanted = self
            .live
            .mapped_category("policies", &source)
            .map(str::to_owned)
            .or_else(|| self.same_org.then(|| source.clone()));
        let Some(wanted) = wanted else {
            return Ok(Some(format!(
                "its app sign-in policy {source} is not in the target org and was not restored with it: the app keeps \
                 the policy Okta gave it"
            )));
        };
        if access_policy_of(live).as_deref() == Some(wanted.as_str()) {
            return Ok(None);
        }
        let path = format!("/api/v1/apps/{}/policies/{}", urlencode(target), urlencode(&wanted));
        self.call(reqwest::Method::PUT, &path, None).await?;
        Ok(Some(format!(
            "app sign-in policy {wanted} assigned, as the snapshot's app had"
        )))
    }

    /// Writes the snapshot's own attributes over what a create made.
    async fn settle(&mut self, kind: Kind, p: &PlannedObject, target: &str, created: &Value) -> Result<(), OktaError> {
        let on_conflict = std::mem::replace(&mut self.on_conflict, OnConflict::Overwrite);
        let written = self.write_update(kind, p, target, created).await;
        self.on_conflict = on_conflict;
        written.map(drop)
    }

    /// Writes the snapshot's own attributes to the live thing `target` as `--on-conflict` says; false when that
    /// changes nothing.
    async fn write_update(
        &mut self,
        kind: Kind,
        p: &PlannedObject,
        target: &str,
        live: &Value,
    ) -> Result<bool, OktaError> {
        let live_own = own(kind, live);
        let wanted = resolved(self.on_conflict, &own(kind, &p.object), &live_own);
        if wanted == live_own {
            return Ok(false);
        }
        let body = match kind {
            // A user's partial update (POST) leaves the credentials alone; attributes the snapshot lacks are
            // cleared explicitly so an overwrite is one.
            Kind::USER => json!({ "profile": with_cleared(&wanted["profile"], &live_own["profile"]) }),
            Kind::APP => {
                let mut app = wanted;
                for key in ["name", "signOnMode"] {
                    app[key] = live.get(key).cloned().unwrap_or(Value::Null);
                }
                if !app_takes_name(live) {
                    app.as_object_mut().map(|a| a.remove("name"));
                }
                // Signing keys and secrets stay the target's: only the snapshot's own credential fields are set.
                let mut credentials = live.get("credentials").cloned().unwrap_or_else(|| json!({}));
                if let (Some(c), Some(mine)) = (credentials.as_object_mut(), app["credentials"].as_object()) {
                    c.extend(mine.clone());
                }
                app["credentials"] = credentials;
                kind.row().stripped(&app, crate::categories::Write::Update)
            }
            _ => wanted,
        };
        let (method, path, body) = update_call(kind, target, body).expect("things can be updated");
        self.call(method, &path, Some(&body)).await?;
        Ok(true)
    }

    async fn add_edge(&mut self, kind: Kind, p: &PlannedObject) -> Result<Applied, OktaError> {
        let (Some(parent), Some(child)) = (self.target_of(&p.links[0]), self.target_of(&p.links[1])) else {
            let missing: Vec<String> = p
                .links
                .iter()
                .filter(|l| self.target_of(l).is_none())
                .map(|l| format!("{} {}", l.category, l.source_id))
                .collect();
            return Ok(Applied::new(Outcome::Failed(format!(
                "not added: {} was not restored (see its line in this log)",
                missing.join(" and ")
            ))));
        };
        if p.with_user {
            let mut applied = Applied::new(Outcome::Created(format!("{parent}/{child}")));
            applied.notes.push("added by the new user's create".into());
            return Ok(applied);
        }
        let mut object = p.object.clone();
        let ((_, parent_field), (_, child_field)) = kind.ends().expect("an edge");
        object[parent_field] = json!(parent);
        object[child_field] = json!(child);
        let (method, path, mut body) = create_call(kind, &object);
        if kind == Kind::APP_USER {
            body["scope"] = json!("USER");
            if let Some(name) = p.object.pointer("/credentials/userName") {
                body["credentials"] = json!({ "userName": name });
            }
        }
        let body = (!body.is_null()).then_some(body);
        self.call(method, &path, body.as_ref()).await?;
        Ok(Applied::new(Outcome::Created(format!("{parent}/{child}"))))
    }

    async fn activate(&mut self, kind: Kind, id: &str) -> Result<(), OktaError> {
        let path = match kind {
            Kind::USER => format!("/api/v1/users/{}/lifecycle/activate?sendEmail=true", urlencode(id)),
            Kind::APP => format!("/api/v1/apps/{}/lifecycle/activate", urlencode(id)),
            _ => return Ok(()),
        };
        self.call(reqwest::Method::POST, &path, None).await.map(drop)
    }

    pub(super) fn record(&mut self, kind: Kind, source_id: &str, target_id: &str) {
        if source_id != target_id {
            self.live.map(kind, source_id, target_id);
            self.new_ids
                .push((kind.category(), source_id.to_owned(), target_id.to_owned()));
        }
    }

    /// Keeps an app's OAuth client id in the target (a new one when Okta created the app again): references by
    /// client id (authorization server policies) follow it.
    fn record_client_id(&mut self, snapshot: &Value, target: &Value) {
        if let (Some(old), Some(new)) = (client_id_of(snapshot), client_id_of(target))
            && old != new
        {
            self.live.map_category(CLIENT_IDS, old, new);
            self.new_ids.push((CLIENT_IDS, old.to_owned(), new.to_owned()));
        }
    }

    /// The categories of `p`'s ends whose target ids the applier does not know yet: created by this restore, in a
    /// category being written beside `p`'s, or not restored at all.
    pub fn unknown_ends(&self, p: &PlannedObject) -> Vec<String> {
        if !p.kind().is_edge() || p.action != Action::Create {
            return Vec::new();
        }
        let mut out: Vec<String> = p
            .links
            .iter()
            .filter(|l| self.target_of(l).is_none())
            .map(|l| l.category.clone())
            .collect();
        out.dedup();
        out
    }

    /// Learns the id map of `category` (snapshot id -> target id) as the catalog holds it now.
    pub fn learn_ids(&mut self, category: &str, pairs: std::collections::BTreeMap<String, String>) {
        for (old, new) in pairs {
            self.live.map_category(category, &old, &new);
        }
    }

    fn target_of(&self, link: &Link) -> Option<String> {
        let kind = Kind::of(&link.category)?;
        link.target_id
            .clone()
            .or_else(|| self.live.mapped(kind, &link.source_id).map(str::to_owned))
    }

    /// The target ids of `links`, and a note for each that was not restored.
    fn targets(&self, links: &[Link]) -> (Vec<String>, Vec<String>) {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for link in links {
            match self.target_of(link) {
                Some(id) => found.push(id),
                None => missing.push(format!(
                    "not added to {} {}: it was not restored",
                    link.category, link.source_id
                )),
            }
        }
        (found, missing)
    }

    /// A user's type is kept within its org; in another org, the type the id map gives, else Okta's default.
    fn user_type(&self, body: &mut Value, notes: &mut Vec<String>) {
        if self.same_org {
            return;
        }
        let Some(type_id) = body.pointer("/type/id").and_then(Value::as_str).map(str::to_owned) else {
            return;
        };
        let mapped = self.live.mapped_category("user_types", &type_id).map(str::to_owned);
        match mapped {
            Some(mapped) => body["type"] = json!({ "id": mapped }),
            None => {
                if let Some(b) = body.as_object_mut() {
                    b.remove("type");
                }
                notes.push(format!(
                    "its user type {type_id} is not in the target: created with the default type"
                ));
            }
        }
    }
}

/// `wanted`, plus a `null` for every attribute `live` has and `wanted` lacks.
fn with_cleared(wanted: &Value, live: &Value) -> Value {
    let mut out: Map<String, Value> = wanted.as_object().cloned().unwrap_or_default();
    if let Some(live) = live.as_object() {
        for key in live.keys() {
            out.entry(key.clone()).or_insert(Value::Null);
        }
    }
    Value::Object(out)
}

/// The id of the app sign-in policy an app names (`_links.accessPolicy.href`, `.../api/v1/policies/<id>`).
fn access_policy_of(app: &Value) -> Option<String> {
    app.pointer("/_links/accessPolicy/href")
        .and_then(Value::as_str)
        .and_then(|href| href.rsplit('/').next())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}
