//! Applying a planned object of a category without a hook of its own: its references rewritten with the id map as
//! it stands now (what earlier stages created is in it), looked up by natural key before a create (a crash between
//! Okta's answer and the saved position never makes a duplicate), written with the row's calls, switched on or off.

use reqwest::Method;
use serde_json::{Value, json};

use super::apply::{Applied, Applier, Outcome};
use super::generic::{
    COMPANIONS, GROUP_RULES, companion_field, create_call, delete_rule_path, find_live, has_parent, kept, own,
    parent_field, parent_of, rewritten, switch_call, update_call, wants_on,
};
use super::keys::okta_own;
use super::kinds::{Kind, resolved};
use super::plan::{Action, PlannedObject};
use crate::categories::{Category, Keep};
use crate::compare::diff;
use crate::okta::OktaError;
use crate::ports::OnConflict;
use crate::references::FoundRef;

/// The object with its references in the target org's ids, its parent there, and what could not be mapped.
struct Resolved {
    object: Value,
    parent: Option<String>,
    unresolved: Vec<FoundRef>,
}

impl Applier<'_> {
    pub(super) async fn apply_generic(&mut self, kind: Kind, p: &PlannedObject) -> Result<Applied, OktaError> {
        let row = kind.row();
        let resolved = self.resolve(row, &p.object);
        if let Some(field) = parent_field(row)
            && let Some(parent) = resolved.unresolved.iter().find(|r| r.field == field)
        {
            return Ok(Applied::new(Outcome::Failed(format!(
                "not written: its {} {} was not restored (see its line in this log)",
                parent.category, parent.id
            ))));
        }
        let mut applied = match p.action {
            Action::Skip => Applied::new(Outcome::Skipped),
            Action::Create => self.create_generic(kind, p, &resolved).await?,
            Action::Update | Action::Reactivate => self.update_generic(kind, p, &resolved).await?,
            Action::Recreate => self.recreate(kind, p, &resolved).await?,
        };
        if !self.same_org {
            for r in &resolved.unresolved {
                applied.notes.push(format!(
                    "its {} names {} {}, which has no counterpart in the target org: sent as it was",
                    r.field, r.category, r.id
                ));
            }
        }
        Ok(applied)
    }

    /// The create-body field a row's companions fill, each companion rewritten into the target org first.
    fn companions(&self, row: &Category, companions: &[Value]) -> Option<(&'static str, Value)> {
        let (_, child, _) = COMPANIONS.iter().find(|(name, _, _)| *name == row.name)?;
        if row.name == "email_domains" {
            // Okta links the domain to the brand named here (the brand's `emailDomainId` follows).
            let brand = companions.first()?.get("id")?.as_str()?;
            let target = self
                .live
                .mapped_category(child, brand)
                .map(str::to_owned)
                .or_else(|| self.same_org.then(|| brand.to_owned()))?;
            return Some(("brandId", Value::String(target)));
        }
        let child = crate::categories::find(child)?;
        let rewritten: Vec<Value> = companions.iter().map(|c| self.resolve(child, c).object).collect();
        companion_field(row, &rewritten)
    }

    fn resolve(&self, row: &Category, object: &Value) -> Resolved {
        let map = |r: &FoundRef| {
            self.live
                .mapped_ref(r)
                .map(str::to_owned)
                .or_else(|| (self.same_org || fixed_everywhere(r)).then(|| r.id.clone()))
        };
        let (object, unresolved) = rewritten(row, object, &map, self.live.orgs());
        let parent = if has_parent(row) { parent_of(row, &object) } else { None };
        Resolved {
            object,
            parent,
            unresolved,
        }
    }

    async fn create_generic(&mut self, kind: Kind, p: &PlannedObject, r: &Resolved) -> Result<Applied, OktaError> {
        let row = kind.row();
        let lives = self.live.objects(kind, r.parent.as_deref()).await?;
        let hint = self.live.mapped_category(row.name, &p.source_id).map(str::to_owned);
        if let Some(existing) = find_live(row, &r.object, hint.as_deref(), &lives).cloned() {
            return self.matched_generic(kind, p, r, existing).await;
        }
        if row.restore.create.is_none() && one_per_parent(row) {
            return self.write_in_place(kind, r).await;
        }
        if let Some(own) = okta_own(row, &r.object) {
            let mut applied = Applied::new(Outcome::Skipped);
            applied.notes.push(format!(
                "{} is Okta's own, and the target org has none to update: it is never created",
                own.what
            ));
            return Ok(applied);
        }
        let (method, path, mut body) = match create_call(row, &r.object, r.parent.as_deref()) {
            Ok(call) => call,
            Err(why) => return Ok(Applied::new(Outcome::Failed(why))),
        };
        if let Some((field, value)) = self.companions(row, &p.companions) {
            body[field] = value;
        }
        let sent = (!body.is_null()).then_some(&body);
        let answer = self.call(method, &path, sent).await?;
        // A relationship made by PUT (a role's app target) answers nothing: it is what was sent.
        let answer = if answer.is_object() { answer } else { r.object.clone() };
        let created = kept(row, answer, r.parent.as_deref()).unwrap_or_else(|| r.object.clone());
        let Some(new_id) = row.stored_id(&created) else {
            return Ok(Applied::new(Outcome::Failed(format!(
                "Okta's answer to {path} holds no id; look for {} in the target before restoring it again",
                p.name
            ))));
        };
        self.record(kind, &p.source_id, &new_id);
        self.live
            .remember(kind, r.parent.as_deref(), &new_id, Some(created.clone()));
        let mut applied = Applied::new(Outcome::Created(new_id));
        // What only an update takes (a brand is created by name), or defaults Okta filled in: written at once, so
        // the object is the snapshot's and a second restore finds nothing to change.
        if row.restore.update.is_some() && own(row, &created) != own(row, &r.object) {
            let on_conflict = std::mem::replace(&mut self.on_conflict, OnConflict::Overwrite);
            let settled = self.write_generic(row, r, &created, &mut applied).await;
            self.on_conflict = on_conflict;
            settled?;
        }
        if let Some(on) = p.switch
            && wants_on(row, &created) != Some(on)
        {
            self.switch(row, &created, on, &mut applied).await?;
        }
        Ok(applied)
    }

    /// The one object of its parent (an app's user schema) that Okta makes with the parent and the restore cannot
    /// list: written with its update call, addressed by the parent.
    async fn write_in_place(&mut self, kind: Kind, r: &Resolved) -> Result<Applied, OktaError> {
        let row = kind.row();
        let place = kept(row, json!({}), r.parent.as_deref()).unwrap_or_default();
        let (method, path, body) = match update_call(row, &place, own(row, &r.object)) {
            Ok(call) => call,
            Err(why) => return Ok(Applied::new(Outcome::Failed(why))),
        };
        self.call(method, &path, Some(&body)).await?;
        let mut applied = Applied::new(Outcome::Updated);
        applied
            .notes
            .push("written onto the one Okta makes with its parent".into());
        Ok(applied)
    }

    /// Found before creating it: mapped, then resolved as an update would be.
    async fn matched_generic(
        &mut self,
        kind: Kind,
        p: &PlannedObject,
        r: &Resolved,
        existing: Value,
    ) -> Result<Applied, OktaError> {
        let row = kind.row();
        let id = row.stored_id(&existing).unwrap_or_default();
        self.record(kind, &p.source_id, &id);
        let mut applied = Applied::new(Outcome::Matched(id.clone()));
        applied.notes.push(format!(
            "it is in the target already (created since planning, or by an interrupted attempt of this restore), as \
             {id}: not created again"
        ));
        if self.on_conflict != OnConflict::Skip && self.write_generic(row, r, &existing, &mut applied).await? {
            applied.notes.push("updated".into());
        }
        if let Some(on) = p.switch
            && wants_on(row, &existing) != Some(on)
        {
            self.switch(row, &existing, on, &mut applied).await?;
        }
        Ok(applied)
    }

    async fn update_generic(&mut self, kind: Kind, p: &PlannedObject, r: &Resolved) -> Result<Applied, OktaError> {
        let row = kind.row();
        let target = p.target_id.clone().unwrap_or_default();
        let lives = self.live.objects(kind, r.parent.as_deref()).await?;
        let Some(live) = lives
            .iter()
            .find(|l| row.stored_id(l).as_deref() == Some(&target))
            .cloned()
        else {
            let mut applied = self.create_generic(kind, p, r).await?;
            applied.notes.insert(
                0,
                format!("{target} was deleted from the target since planning: created again"),
            );
            return Ok(applied);
        };
        let mut applied = Applied::new(Outcome::Unchanged);
        let live_own = own(row, &live);
        if let Some(planned) = &p.live_own
            && *planned != live_own
        {
            let paths: Vec<String> = diff(planned, &live_own).iter().map(|c| c.path().to_owned()).collect();
            applied.notes.push(format!(
                "changed in the target since planning ({}); restored over the change",
                paths.join(", ")
            ));
        }
        if self.write_generic(row, r, &live, &mut applied).await? {
            applied.outcome = Outcome::Updated;
        }
        if let Some(on) = p.switch
            && wants_on(row, &live) != Some(on)
        {
            self.switch(row, &live, on, &mut applied).await?;
            applied.outcome = Outcome::Updated;
        }
        Ok(applied)
    }

    /// Writes the snapshot's own attributes to `live` as `--on-conflict` says; false when that changes nothing. A
    /// group rule is updated INACTIVE (Okta's rule) and switched on again after; a policy rule never is switched off
    /// for an edit (a deny or MFA rule would be off for a moment).
    async fn write_generic(
        &mut self,
        row: &'static Category,
        r: &Resolved,
        live: &Value,
        applied: &mut Applied,
    ) -> Result<bool, OktaError> {
        let live_own = own(row, live);
        let wanted = resolved(self.on_conflict, &own(row, &r.object), &live_own);
        if wanted == live_own || row.restore.update.is_none() {
            return Ok(false);
        }
        let (method, path, body) = match update_call(row, live, wanted) {
            Ok(call) => call,
            Err(why) => {
                applied.outcome = Outcome::Failed(why);
                return Ok(false);
            }
        };
        let active_rule = row.name == GROUP_RULES && wants_on(row, live) == Some(true);
        if active_rule {
            self.switch(row, live, false, applied).await?;
        }
        let answer = self.call(method, &path, (!body.is_null()).then_some(&body)).await?;
        if active_rule {
            self.switch(row, live, true, applied).await?;
        }
        let parent = parent_of(row, live);
        if let Some(id) = row.stored_id(live)
            && answer.is_object()
            && let Some(answer) = kept(row, answer, parent.as_deref())
        {
            self.live.remember(
                Kind::of(row.name).expect("a kind"),
                parent.as_deref(),
                &id,
                Some(answer),
            );
        }
        Ok(true)
    }

    /// A group rule Okta cannot update into the snapshot's: deleted (keeping the memberships it made), created again
    /// with the target org's ids, and switched on if it was.
    async fn recreate(&mut self, kind: Kind, p: &PlannedObject, r: &Resolved) -> Result<Applied, OktaError> {
        let row = kind.row();
        let target = p.target_id.clone().unwrap_or_default();
        let lives = self.live.objects(kind, r.parent.as_deref()).await?;
        let mut notes = Vec::new();
        if let Some(live) = lives
            .iter()
            .find(|l| row.stored_id(l).as_deref() == Some(&target))
            .cloned()
        {
            let mut scratch = Applied::new(Outcome::Unchanged);
            if wants_on(row, &live) == Some(true) {
                self.switch(row, &live, false, &mut scratch).await?;
            }
            let Some(path) = delete_rule_path(&live) else {
                return Ok(Applied::new(Outcome::Failed(format!(
                    "{target} has no id to delete it by"
                ))));
            };
            self.call(Method::DELETE, &path, None).await?;
            self.live.remember(kind, r.parent.as_deref(), &target, None);
            notes.push(format!("{target} deleted (its memberships kept) and created again"));
        }
        let mut applied = self.create_generic(kind, p, r).await?;
        applied.notes.splice(0..0, notes);
        Ok(applied)
    }

    async fn switch(&mut self, row: &Category, live: &Value, on: bool, applied: &mut Applied) -> Result<(), OktaError> {
        match switch_call(row, live, on) {
            None => Ok(()),
            Some(Err(why)) => {
                applied.notes.push(why);
                Ok(())
            }
            Some(Ok(path)) => {
                self.call(Method::POST, &path, None).await?;
                applied.notes.push(if on { "activated" } else { "deactivated" }.into());
                Ok(())
            }
        }
    }
}

/// Whether a reference names something every org has under the same id: the org's contact types (`BILLING`,
/// `TECHNICAL`), which nothing restores because nothing needs to.
pub(super) fn fixed_everywhere(r: &FoundRef) -> bool {
    r.category == "org_contact_types"
}

/// Rows that are the one object of their parent, or of the org.
fn one_per_parent(row: &Category) -> bool {
    matches!(row.keep, Keep::OnePerParent { .. } | Keep::Named { .. })
}
