//! Planning a category without a hook of its own (policies, rules, zones, authorization servers...): per object,
//! its references rewritten with what the target org has (or will have), the live object it is, and what a restore
//! does to it under `--on-conflict`.

use serde_json::Value;

use super::generic::{
    GROUP_RULES, find_live, has_parent, other_role_targets, own, own_write, parent_field, parent_of, rewritten,
    rule_recreate_reason, wants_on,
};
use super::kinds::{Kind, resolved};
use super::live::LiveOrg;
use super::order::priority_order;
use super::plan::{Action, PlanOptions, Planned, PlannedObject};
use crate::categories::{Category, Form};
use crate::compare::{Change, diff};
use crate::okta::OktaError;
use crate::ports::OnConflict;
use crate::references::FoundRef;

/// Plans `objects` of the generic `kind`, in priority order (a policy's rules as the snapshot ordered them).
pub async fn plan_category(
    live: &mut LiveOrg<'_>,
    planned: &Planned,
    options: PlanOptions,
    kind: Kind,
    objects: &[(String, Value)],
) -> Result<Vec<PlannedObject>, OktaError> {
    let row = kind.row();
    let mut objects = objects.to_vec();
    priority_order(row, &mut objects);
    let mut out = Vec::with_capacity(objects.len());
    for (id, object) in &objects {
        out.push(plan_one(live, planned, options, kind, id, object).await?);
    }
    Ok(out)
}

/// Where a reference stands in the target org when planning.
enum Pointee {
    /// This stored id in the target org.
    Known(String),
    /// Created (or created again) by this restore: its id is known once it is.
    Pending,
    Unknown,
}

fn pointee(live: &LiveOrg<'_>, planned: &Planned, same_org: bool, r: &FoundRef) -> Pointee {
    if r.form == Form::ClientId {
        return match (live.mapped_ref(r), same_org) {
            (Some(target), _) => Pointee::Known(target.to_owned()),
            (None, true) => Pointee::Known(r.id.clone()),
            // The app is matched or created by this restore: its client id in the target is known then.
            (None, false) => Pointee::Pending,
        };
    }
    if let Some(kind) = Kind::of(r.category)
        && let Some(p) = planned.get(kind, &r.id)
    {
        return match (p.action, &p.target_id) {
            (Action::Create | Action::Recreate, _) => Pointee::Pending,
            (_, Some(target)) => Pointee::Known(target.clone()),
            (_, None) => Pointee::Unknown,
        };
    }
    if let Some(target) = live.mapped_category(r.category, &r.id) {
        return Pointee::Known(target.to_owned());
    }
    if same_org || super::generic_apply::fixed_everywhere(r) {
        Pointee::Known(r.id.clone())
    } else {
        Pointee::Unknown
    }
}

async fn plan_one(
    live: &mut LiveOrg<'_>,
    planned: &Planned,
    options: PlanOptions,
    kind: Kind,
    id: &str,
    object: &Value,
) -> Result<PlannedObject, OktaError> {
    let row = kind.row();
    let mut p = PlannedObject::new(kind, id, object);
    if let Some(only) = row.restores_only {
        let value = object.pointer(only.pointer).and_then(Value::as_str).unwrap_or_default();
        if !only.any_of.contains(&value) {
            p.skip(format!(
                "{} is {value:?}: only {} objects are restored",
                only.pointer,
                only.any_of.join(", ")
            ));
            return Ok(p);
        }
    }
    let map = |r: &FoundRef| match pointee(live, planned, options.same_org, r) {
        Pointee::Known(target) => Some(target),
        Pointee::Pending | Pointee::Unknown => None,
    };
    let (snapshot, unresolved) = rewritten(row, object, &map, live.orgs());
    let pending: Vec<&FoundRef> = unresolved
        .iter()
        .filter(|r| matches!(pointee(live, planned, options.same_org, r), Pointee::Pending))
        .collect();
    for r in unresolved.iter().filter(|r| !pending.contains(r)) {
        p.notes.push(format!(
            "its {} names {} {}, which is not in the target org: sent as it is unless it is restored first",
            r.field, r.category, r.id
        ));
    }
    let parent_field = parent_field(row);
    let parent_unresolved = unresolved.iter().find(|r| Some(r.field) == parent_field);
    if let Some(parent) = parent_unresolved {
        if pending.iter().any(|r| r.field == parent.field) {
            p.notes.push(format!(
                "its {} {} is created by this restore",
                parent.category, parent.id
            ));
            return Ok(create(p, row, object));
        }
        p.skip(format!(
            "its {} {} is not in the target org; select it too to restore it",
            parent.category, parent.id
        ));
        return Ok(p);
    }
    if let Some(note) = bound_to_the_source_org(row, object, options.same_org) {
        p.notes.push(note);
    }
    let what = match own_write(row, object) {
        Ok(what) => what,
        Err(why) => {
            p.skip(why);
            return Ok(p);
        }
    };
    let parent = if has_parent(row) {
        parent_of(row, &snapshot)
    } else {
        None
    };
    let lives = live.objects(kind, parent.as_deref()).await?;
    if let Some(other) = other_role_targets(row)
        && lives.is_empty()
        && let Some(other) = Kind::of(other)
        && no_targets(live, other, parent.as_deref()).await?
    {
        p.notes.push(format!(
            "the live role assignment {} has no group or app targets, so it applies to every group and app: adding \
             the targets the snapshot's assignment had narrows it to them",
            parent.as_deref().unwrap_or_default()
        ));
    }
    let hint = live
        .mapped_category(row.name, id)
        .map(str::to_owned)
        .or_else(|| options.same_org.then(|| id.to_owned()));
    let Some(found) = find_live(row, &snapshot, hint.as_deref(), &lives).cloned() else {
        if let Some(what) = what {
            p.skip(format!("{what}: the target org has none to update"));
        } else if row.restore.create.is_none() {
            p.skip("Okta has no call that creates it, and the target org has none to update");
        } else {
            return Ok(create(p, row, object));
        }
        return Ok(p);
    };
    p.target_id = row.stored_id(&found);
    if let Some(what) = what {
        p.notes
            .push(format!("{what}: matched by kind and updated, never created"));
    }
    if row.name == GROUP_RULES {
        let why = if pending.is_empty() {
            rule_recreate_reason(&snapshot, &found)
        } else {
            Some(
                "a group it names is created again by this restore, and Okta cannot update a rule's actions: \
                  deleted and created again with the new ids"
                    .to_owned(),
            )
        };
        if let Some(why) = why {
            p.action = Action::Recreate;
            p.switch = wants_on(row, object);
            p.notes.push(why);
            p.changes = diff(&own(row, &found), &own(row, &snapshot));
            return Ok(p);
        }
    }
    let live_own = own(row, &found);
    let wanted = resolved(options.on_conflict, &own(row, &snapshot), &live_own);
    p.changes = diff(&live_own, &wanted);
    if options.on_conflict == OnConflict::Overwrite
        && let Some(on) = wants_on(row, object)
        && wants_on(row, &found) != Some(on)
        && row.restore.on_when.is_some()
    {
        p.switch = Some(on);
        let field = row.restore.on_when.map_or("status", |w| w.field());
        p.changes.push(Change::Changed {
            path: field.to_owned(),
            before: found.get(field).cloned().unwrap_or(Value::Null),
            after: object.get(field).cloned().unwrap_or(Value::Null),
        });
    }
    p.live_own = Some(live_own);
    let differs = p.changes.len();
    if options.on_conflict == OnConflict::Skip {
        p.skip(if differs == 0 {
            "exists in the target, identical".to_owned()
        } else {
            format!("exists in the target and differs in {differs} attributes; --on-conflict skip leaves it")
        });
    } else if differs == 0 {
        p.skip("identical to the live object");
    } else if row.restore.update.is_none() && p.switch.is_none() {
        p.skip("differs, but Okta has no call that updates it");
    } else {
        p.action = Action::Update;
    }
    Ok(p)
}

/// What of `object` only holds in the org it was taken from, restoring into another: an authorization server whose
/// issuer is the org's custom domain needs one in the target org (an app grant's `issuer`, the org's URL, is moved
/// like every href).
fn bound_to_the_source_org(row: &Category, object: &Value, same_org: bool) -> Option<String> {
    if same_org || row.name != "authorization_servers" || object["issuerMode"] != "CUSTOM_URL" {
        return None;
    }
    Some(format!(
        "issuerMode CUSTOM_URL: its issuer {} is the source org's custom domain; the target org needs a custom domain \
         of its own for it, and the apps and APIs that trust the issuer must be told the new one",
        object["issuer"].as_str().unwrap_or("(none)")
    ))
}

/// Whether the live role assignment `parent` has no targets of the kind `other` lists. A role type that takes no
/// targets of that kind answers 400 `E0000091` ("The provided role type was not the same as required role type").
async fn no_targets(live: &mut LiveOrg<'_>, other: Kind, parent: Option<&str>) -> Result<bool, OktaError> {
    match live.objects(other, parent).await {
        Ok(targets) => Ok(targets.is_empty()),
        Err(e) if e.error_code() == Some("E0000091") => Ok(true),
        Err(e) => Err(e),
    }
}

fn create(mut p: PlannedObject, row: &Category, object: &Value) -> PlannedObject {
    p.action = Action::Create;
    p.switch = wants_on(row, object);
    if row.name == "policy_rules" && p.switch == Some(false) {
        p.notes.push("created INACTIVE (activate=false), as it was".into());
    }
    p
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::categories::find;

    #[test]
    fn a_custom_domain_issuer_is_reported_when_restoring_into_another_org_only() {
        let servers = find("authorization_servers").unwrap();
        let custom = json!({"name": "api", "issuerMode": "CUSTOM_URL", "issuer": "https://login.acme.com/oauth2/aus1"});
        let note = bound_to_the_source_org(servers, &custom, false).expect("reported across orgs");
        assert!(
            note.contains("custom domain") && note.contains("login.acme.com"),
            "{note}"
        );
        assert_eq!(
            bound_to_the_source_org(servers, &custom, true),
            None,
            "the same org has its domain"
        );
        let org_url = json!({"name": "api", "issuerMode": "ORG_URL"});
        assert_eq!(bound_to_the_source_org(servers, &org_url, false), None);
    }
}
