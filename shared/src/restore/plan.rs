//! The plan: per selected object, what the restore will do to the target org and why (create, update,
//! reactivate, skip), with the attribute changes it makes. Planning reads the live org and writes nothing to it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::kinds::{Kind, display_name, own, resolved, user_was_active, writable};
use super::live::{LiveOrg, worth_listing};
use super::select::Selected;
use crate::compare::{Change, diff};
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::okta::OktaError;
use crate::ports::OnConflict;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The target has no such object: it is created (a relationship: added).
    Create,
    /// The target's object differs and `--on-conflict` is overwrite or merge: its own attributes are written.
    Update,
    /// A deactivated user whose snapshot version could sign in: activated (an email), then updated.
    Reactivate,
    /// The live object cannot be updated into the snapshot's (a group rule whose actions differ, or that is
    /// INVALID): it is deleted and created again, with a new id.
    Recreate,
    /// Nothing is written; the notes say why.
    Skip,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Reactivate => "reactivate",
            Action::Recreate => "recreate",
            Action::Skip => "skip",
        }
    }
}

/// Another object a planned one needs in the target: an end of a relationship, or a group a new user joins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub category: String,
    pub source_id: String,
    /// Its id in the target when planning knew it; else it is created by this restore (see the id map).
    pub target_id: Option<String>,
}

/// One object of the plan. New ids are unknown when planning: an object is named by its snapshot id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedObject {
    pub category: String,
    pub source_id: String,
    pub name: String,
    pub action: Action,
    /// The live object matched (absent when it is created).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// A relationship's ends (parent, child); a new user's groups, joined on create.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// The attribute changes an update makes to the live object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Activate after creating (a user: Okta emails them; an app that was active).
    #[serde(default)]
    pub activate: bool,
    /// A membership the new user's create adds (`groupIds`): no call of its own.
    #[serde(default)]
    pub with_user: bool,
    /// Children of the snapshot Okta wants in the object's create body (a custom role's permissions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companions: Vec<Value>,
    /// The lifecycle state the object is switched to after it is written (on: ACTIVE), when the row has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switch: Option<bool>,
    /// The snapshot version.
    pub object: Value,
    /// The live object's own attributes when planned, to notice changes made before it is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_own: Option<Value>,
}

impl PlannedObject {
    pub(super) fn new(kind: Kind, source_id: &str, object: &Value) -> Self {
        PlannedObject {
            category: kind.category().to_owned(),
            source_id: source_id.to_owned(),
            name: display_name(kind, object),
            action: Action::Skip,
            target_id: None,
            links: Vec::new(),
            changes: Vec::new(),
            notes: Vec::new(),
            activate: false,
            with_user: false,
            switch: None,
            companions: Vec::new(),
            object: object.clone(),
            live_own: None,
        }
    }

    pub fn kind(&self) -> Kind {
        Kind::of(&self.category).expect("a plan names restorable categories only")
    }

    pub(super) fn skip(&mut self, why: impl Into<String>) {
        self.action = Action::Skip;
        self.changes.clear();
        self.notes.push(why.into());
    }
}

impl fmt::Display for PlannedObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.name.is_empty() {
            String::new()
        } else {
            format!(" {}", self.name)
        };
        writeln!(
            f,
            "  {:<10} {:<13} {}{name}",
            self.action.as_str(),
            self.category,
            self.source_id
        )?;
        for change in &self.changes {
            writeln!(f, "      {change}")?;
        }
        for note in &self.notes {
            writeln!(f, "      ({note})")?;
        }
        Ok(())
    }
}

/// How a plan resolves conflicts and what it does with users.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    pub on_conflict: OnConflict,
    pub activate: bool,
    pub same_org: bool,
    /// Memberships of groups an active rule assigns are left to the rule instead of added directly.
    pub leave_rule_memberships: bool,
}

/// What planning produced.
#[derive(Debug, Default)]
pub struct Planned {
    pub objects: BTreeMap<Kind, Vec<PlannedObject>>,
    /// Snapshot id -> live id of things matched by natural key in another org (kept in the id map).
    pub matches: BTreeMap<Kind, Vec<(String, String)>>,
    /// Source client id -> target client id of the apps matched in another org (kept in the id map).
    pub client_ids: Vec<(String, String)>,
    /// Activation emails the plan sends.
    pub emails: u64,
    /// Where each planned thing is in `objects`.
    index: HashMap<(Kind, String), usize>,
}

impl Planned {
    fn insert(&mut self, kind: Kind, objects: Vec<PlannedObject>) {
        for (n, p) in objects.iter().enumerate() {
            self.index.insert((kind, p.source_id.clone()), n);
        }
        self.objects.insert(kind, objects);
    }

    /// The planned thing `id` of `kind`, if the plan restores it.
    pub fn get(&self, kind: Kind, id: &str) -> Option<&PlannedObject> {
        let n = *self.index.get(&(kind, id.to_owned()))?;
        self.objects.get(&kind)?.get(n)
    }

    fn get_mut(&mut self, kind: Kind, id: &str) -> Option<&mut PlannedObject> {
        let n = *self.index.get(&(kind, id.to_owned()))?;
        self.objects.get_mut(&kind)?.get_mut(n)
    }
}

/// Plans the restore of `selected` into the org `live` reads, category by category in restore order (what an
/// object refers to is planned before it).
pub async fn plan(selected: &Selected, live: &mut LiveOrg<'_>, options: PlanOptions) -> Result<Planned, OktaError> {
    let mut planned = Planned::default();
    for kind in in_order(selected.objects.keys().copied()).into_iter().flatten() {
        let Some(objects) = selected.objects.get(&kind) else {
            continue;
        };
        if kind.is_edge() {
            let edges = plan_edges(live, selected, &mut planned, options, kind, objects).await?;
            planned.objects.insert(kind, edges);
            continue;
        }
        let out = if kind.is_generic() {
            let mut out = super::generic_plan::plan_category(live, &planned, options, kind, objects).await?;
            with_companions(selected, kind, &mut out);
            out
        } else {
            if worth_listing(kind, objects.len(), snapshot_count(selected, kind)) {
                live.list(kind).await?;
            }
            let mut out = Vec::with_capacity(objects.len());
            for (id, object) in objects {
                out.push(plan_thing(live, options, kind, id, object).await?);
            }
            out
        };
        if kind == Kind::APP && !options.same_org {
            for p in out.iter().filter(|p| p.target_id.is_some()) {
                let live_app = live.find(kind, &p.source_id, &p.object).await?;
                if let (Some(old), Some(new)) = (
                    crate::references::client_id_of(&p.object),
                    live_app.as_ref().and_then(|a| crate::references::client_id_of(a)),
                ) && old != new
                {
                    planned.client_ids.push((old.to_owned(), new.to_owned()));
                }
            }
        }
        for p in &out {
            if !options.same_org
                && let Some(target) = &p.target_id
                && target != &p.source_id
                && p.action != Action::Recreate
            {
                planned
                    .matches
                    .entry(kind)
                    .or_default()
                    .push((p.source_id.clone(), target.clone()));
            }
        }
        planned.insert(kind, out);
    }
    planned.emails = planned.objects.get(&Kind::USER).map_or(0, |users| {
        users.iter().filter(|u| u.activate && u.action != Action::Skip).count() as u64
    });
    Ok(planned)
}

/// Gives each object of `kind` to create the selected children Okta wants in its create body (a custom role's
/// permissions, a resource set's resources).
fn with_companions(selected: &Selected, kind: Kind, planned: &mut [PlannedObject]) {
    let Some((_, child, field)) = super::generic::COMPANIONS
        .iter()
        .find(|(row, _, _)| *row == kind.category())
    else {
        return;
    };
    let children = Kind::of(child).and_then(|k| selected.objects.get(&k));
    for p in planned.iter_mut().filter(|p| p.action == Action::Create) {
        p.companions = children
            .into_iter()
            .flatten()
            .filter(|(_, c)| c.get(*field).and_then(Value::as_str) == Some(&p.source_id))
            .map(|(_, c)| c.clone())
            .collect();
    }
}

/// `kinds` in stages of the catalog's restore order ([`super::order::restore_order`]), with one hook: users come
/// after groups, because a new user joins its groups on create (`groupIds`), which needs their ids.
pub fn in_order(kinds: impl Iterator<Item = Kind>) -> Vec<Vec<Kind>> {
    let rows: Vec<&'static crate::categories::Category> = kinds.map(Kind::row).collect();
    // A row created with its children's values waits for whatever those children name.
    let after: Vec<(&'static str, &'static str)> = super::generic::COMPANIONS
        .iter()
        .flat_map(|(parent, child, _)| {
            let child = crate::categories::find(child).expect("companions are catalog rows");
            child
                .references
                .iter()
                .flat_map(|r| r.categories())
                .filter(move |c| c != parent)
                .map(move |c| (*parent, c))
        })
        .chain(super::generic::WRITTEN_AFTER.iter().copied())
        .collect();
    let order =
        super::order::restore_order_with(&rows, &after).unwrap_or_else(|e| panic!("the catalog's restore order: {e}"));
    let needs = super::order::direct_needs(&rows, &after);
    let mut stages: Vec<Vec<Kind>> = Vec::new();
    let mut groups_placed = !rows.iter().any(|r| r.name == Kind::GROUP.category());
    for stage in order.stages {
        let mut kinds: Vec<Kind> = stage.into_iter().filter_map(Kind::of).collect();
        let users_wait = !groups_placed && kinds.contains(&Kind::USER) && kinds.contains(&Kind::GROUP);
        groups_placed |= kinds.contains(&Kind::GROUP);
        if users_wait {
            kinds.retain(|k| *k != Kind::USER);
            stages.push(kinds);
            stages.push(vec![Kind::USER]);
        } else {
            stages.push(kinds);
        }
    }
    beside_users(&mut stages, &needs);
    stages
}

/// The relationships of users that may be written beside the users' creates rather than after them.
const BESIDE_USERS: [Kind; 2] = [Kind::MEMBERSHIP, Kind::APP_USER];

/// Moves the relationships of users that need nothing else unwritten (their other end, and whatever else they are
/// written after, is in earlier stages) into a stage of their own with the users: users first, because a Map
/// starts its items in order and an edge whose new user is not created yet waits for it
/// (`workflow::restore::apply`). A stage of users and these edges holds at most three categories, the concurrency
/// the state machine gives a stage, so the users' category always runs while its edges wait.
fn beside_users(stages: &mut Vec<Vec<Kind>>, needs: &BTreeMap<&'static str, Vec<&'static str>>) {
    let Some(at) = stages.iter().position(|s| s.contains(&Kind::USER)) else {
        return;
    };
    let written_before: HashSet<&str> = stages[..=at]
        .iter()
        .flatten()
        .filter(|k| **k != Kind::USER)
        .map(|k| k.category())
        .collect();
    let joining: Vec<Kind> = BESIDE_USERS
        .into_iter()
        .filter(|k| stages[at + 1..].iter().any(|s| s.contains(k)))
        .filter(|k| {
            needs
                .get(k.category())
                .into_iter()
                .flatten()
                .all(|n| *n == Kind::USER.category() || written_before.contains(n))
        })
        .collect();
    if joining.is_empty() {
        return;
    }
    for stage in &mut stages[at + 1..] {
        stage.retain(|k| !joining.contains(k));
    }
    let with_users: Vec<Kind> = std::iter::once(Kind::USER).chain(joining).collect();
    stages[at].retain(|k| *k != Kind::USER);
    if stages[at].is_empty() {
        stages[at] = with_users;
    } else {
        stages.insert(at + 1, with_users);
    }
    stages.retain(|s| !s.is_empty());
}

async fn plan_thing(
    live: &mut LiveOrg<'_>,
    options: PlanOptions,
    kind: Kind,
    id: &str,
    object: &Value,
) -> Result<PlannedObject, OktaError> {
    let mut p = PlannedObject::new(kind, id, object);
    let found = live.find(kind, id, object).await?;
    p.target_id = found
        .as_ref()
        .and_then(|l| l.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    // Okta's first-party apps (the Admin Console, the dashboard...) are never created or replaced as apps.
    if let Err(why) = super::generic::own_write(kind.row(), object)
        && kind == Kind::APP
    {
        p.skip(why);
        return Ok(p);
    }
    if let Err(why) = writable(kind, object) {
        if p.target_id.is_none() {
            p.skip(format!("{why}; the target org has no such group"));
        } else {
            p.skip(why);
        }
        return Ok(p);
    }
    let Some(found) = found else {
        p.action = Action::Create;
        plan_create(&mut p, options, kind, object);
        return Ok(p);
    };
    let live_own = own(kind, &found);
    let wanted = resolved(options.on_conflict, &own(kind, object), &live_own);
    p.changes = diff(&live_own, &wanted);
    p.live_own = Some(live_own);
    let deactivated = kind == Kind::USER
        && found.get("status").and_then(Value::as_str) == Some("DEPROVISIONED")
        && user_was_active(object);
    if deactivated && options.activate {
        p.action = Action::Reactivate;
        p.activate = true;
        p.notes
            .push("deactivated in the target: activated again, and Okta emails the user to set a password".into());
        if options.on_conflict == OnConflict::Skip {
            p.changes.clear();
        }
    } else if deactivated {
        p.skip("deactivated in the target; --no-activate leaves it so");
    } else if options.on_conflict == OnConflict::Skip {
        let differs = p.changes.len();
        p.skip(if differs == 0 {
            "exists in the target, identical".to_owned()
        } else {
            format!("exists in the target and differs in {differs} attributes; --on-conflict skip leaves it")
        });
    } else if p.changes.is_empty() {
        p.skip("identical to the live object");
    } else {
        p.action = Action::Update;
    }
    Ok(p)
}

fn plan_create(p: &mut PlannedObject, options: PlanOptions, kind: Kind, object: &Value) {
    match kind {
        Kind::USER => {
            let could_sign_in = user_was_active(object);
            p.activate = options.activate && could_sign_in;
            p.notes.push(if p.activate {
                "created STAGED without a password, then activated: Okta emails the user to set one".to_owned()
            } else if could_sign_in {
                "created STAGED, with no email (--no-activate)".to_owned()
            } else {
                "created STAGED (it was not active in the snapshot)".to_owned()
            });
            if !options.same_org && object.pointer("/type/id").is_some() {
                p.notes
                    .push("its user type is matched in the target by id map; without one, the default type".into());
            }
            p.notes
                .push("factor enrolments cannot be restored: the user enrols again".into());
        }
        Kind::APP => {
            p.activate = object.get("status").and_then(Value::as_str) == Some("ACTIVE");
            match object.get("signOnMode").and_then(Value::as_str) {
                Some("OPENID_CONNECT") => p.notes.push(
                    "created again, it gets a new client_id and secret: update the integrations that use it".into(),
                ),
                Some("SAML_2_0" | "SAML_1_1" | "WS_FEDERATION") => p
                    .notes
                    .push("created again, it gets a new signing certificate: give it to the service provider".into()),
                _ => {}
            }
        }
        _ => {}
    }
}

/// Where an end of a relationship stands in the target.
#[derive(Debug, Clone)]
enum End {
    /// The live object with this id.
    Live(String),
    /// Created by this restore (its id is in the id map once it is).
    New,
    /// Neither in the target nor restored: the relationship cannot be.
    Missing(String),
}

async fn plan_edges(
    live: &mut LiveOrg<'_>,
    selected: &Selected,
    planned: &mut Planned,
    options: PlanOptions,
    kind: Kind,
    objects: &[(String, Value)],
) -> Result<Vec<PlannedObject>, OktaError> {
    let ((parent_kind, parent_field), (child_kind, child_field)) = kind.ends().expect("an edge");
    list_ends(
        live,
        selected,
        planned,
        [(parent_kind, parent_field), (child_kind, child_field)],
        objects,
    )
    .await?;
    let mut out = Vec::with_capacity(objects.len());
    let mut ends = Vec::with_capacity(objects.len());
    for (id, object) in objects {
        let field = |name: &str| object.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (parent_id, child_id) = (field(parent_field), field(child_field));
        let parent = resolve_end(live, selected, planned, parent_kind, &parent_id).await?;
        let child = resolve_end(live, selected, planned, child_kind, &child_id).await?;
        let mut p = PlannedObject::new(kind, id, object);
        p.name = edge_name(selected, planned, (parent_kind, &parent_id), (child_kind, &child_id));
        p.links = vec![
            link(parent_kind, &parent_id, &parent),
            link(child_kind, &child_id, &child),
        ];
        out.push(p);
        ends.push((parent, child));
    }
    // Memberships of live users and groups are read from the side with fewer objects.
    let both_live = || {
        ends.iter().filter_map(|e| match e {
            (End::Live(p), End::Live(c)) => Some((p.clone(), c.clone())),
            _ => None,
        })
    };
    let parents: HashMap<String, usize> = both_live().fold(HashMap::new(), |mut m, (p, _)| {
        *m.entry(p).or_default() += 1;
        m
    });
    let children = both_live()
        .map(|(_, c)| c)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let by_child = children < parents.len();

    for (p, (parent, child)) in out.iter_mut().zip(ends) {
        let object = p.object.clone();
        if let Err(why) = parent_writable(selected, planned, parent_kind, &p.links[0].source_id) {
            p.skip(why);
            continue;
        }
        if kind == Kind::APP_USER && object.get("scope").and_then(Value::as_str) == Some("GROUP") {
            p.skip("assigned through a group: it comes back with the app's assignment to that group");
            continue;
        }
        let rule = (kind == Kind::MEMBERSHIP)
            .then(|| selected.rule_groups.get(&p.links[0].source_id))
            .flatten();
        if let Some(rule) = rule {
            if options.leave_rule_memberships {
                p.skip(format!(
                    "left to the group rule {rule:?} (--leave-rule-memberships): once it is active, Okta adds the \
                     users it matches"
                ));
                continue;
            }
            p.notes.push(format!(
                "the group rule {rule:?} assigns this group, and the API cannot tell its memberships from direct \
                 ones: added back, it is a direct membership that outlives the rule (--leave-rule-memberships leaves \
                 it to the rule)"
            ));
        }
        match (parent, child) {
            (End::Missing(why), _) | (_, End::Missing(why)) => p.skip(why),
            (End::Live(pt), End::Live(ct)) => {
                if live.edge_exists(kind, &pt, &ct, by_child, parents[&pt]).await? {
                    p.skip("already in the target (relationships are only added)");
                } else {
                    p.action = Action::Create;
                }
            }
            (_, End::New) if kind == Kind::MEMBERSHIP => {
                p.action = Action::Create;
                p.with_user = true;
                p.notes.push("added by the new user's create (groupIds)".into());
                let group = p.links[0].clone();
                if let Some(user) = planned.get_mut(Kind::USER, &p.links[1].source_id) {
                    user.links.push(group);
                }
            }
            _ => p.action = Action::Create,
        }
    }
    in_creation_order(planned, &mut out);
    Ok(out)
}

/// Lists the live category of an end the plan does not restore, when its objects to look up cost more calls one
/// by one than one listing does (a user's groups and apps: every group of most orgs is one page).
async fn list_ends(
    live: &mut LiveOrg<'_>,
    selected: &Selected,
    planned: &Planned,
    ends: [(Kind, &str); 2],
    objects: &[(String, Value)],
) -> Result<(), OktaError> {
    for (kind, field) in ends {
        let to_look_up: HashSet<&str> = objects
            .iter()
            .filter_map(|(_, o)| o.get(field).and_then(Value::as_str))
            .filter(|id| planned.get(kind, id).is_none())
            .collect();
        if worth_listing(kind, to_look_up.len(), snapshot_count(selected, kind)) {
            live.list(kind).await?;
        }
    }
    Ok(())
}

/// The snapshot's count of `kind`: about what the live category holds.
fn snapshot_count(selected: &Selected, kind: Kind) -> u64 {
    selected.counts.get(&kind).copied().unwrap_or(0)
}

/// Puts edges in the order their new ends are created, so an edge stage that runs beside the one creating them
/// ([`in_order`]) finds each end created in time: edges between live things first, then by the position of their
/// latest new end in its category's plan.
fn in_creation_order(planned: &Planned, edges: &mut [PlannedObject]) {
    let position = |p: &PlannedObject| {
        p.links
            .iter()
            .filter(|l| l.target_id.is_none())
            .filter_map(|l| Some(*planned.index.get(&(Kind::of(&l.category)?, l.source_id.clone()))? + 1))
            .max()
            .unwrap_or(0)
    };
    edges.sort_by_cached_key(position);
}

fn link(kind: Kind, source_id: &str, end: &End) -> Link {
    Link {
        category: kind.category().to_owned(),
        source_id: source_id.to_owned(),
        target_id: match end {
            End::Live(id) => Some(id.clone()),
            End::New | End::Missing(_) => None,
        },
    }
}

/// Where the thing `id` of `kind` at an end of a relationship stands: planned in this restore, or looked up.
async fn resolve_end(
    live: &mut LiveOrg<'_>,
    selected: &Selected,
    planned: &Planned,
    kind: Kind,
    id: &str,
) -> Result<End, OktaError> {
    if let Some(p) = planned.get(kind, id) {
        return Ok(match (&p.target_id, p.action) {
            (Some(target), _) => End::Live(target.clone()),
            (None, Action::Create) => End::New,
            (None, _) => End::Missing(format!(
                "its {} {} is not in the target org and is not restored",
                singular(kind),
                p.name
            )),
        });
    }
    let context = selected.context.get(&(kind, id.to_owned()));
    let found = live.find(kind, id, context.unwrap_or(&Value::Null)).await?;
    Ok(match found.as_ref().and_then(|l| l.get("id")).and_then(Value::as_str) {
        Some(target) => End::Live(target.to_owned()),
        None => {
            let name = context.map(|c| display_name(kind, c)).unwrap_or_else(|| id.to_owned());
            End::Missing(format!(
                "its {} {name} is not in the target org; select it too to restore it",
                singular(kind)
            ))
        }
    })
}

/// Okta lets nobody change the members of its own groups (Everyone) or of groups an app imports.
fn parent_writable(selected: &Selected, planned: &Planned, kind: Kind, id: &str) -> Result<(), String> {
    if kind != Kind::GROUP {
        return Ok(());
    }
    let object = planned
        .get(kind, id)
        .map(|p| &p.object)
        .or_else(|| selected.context.get(&(kind, id.to_owned())));
    match object {
        Some(group) => writable(kind, group).map_err(|why| format!("{why}; its members are Okta's to manage")),
        None => Ok(()),
    }
}

fn edge_name(selected: &Selected, planned: &Planned, parent: (Kind, &str), child: (Kind, &str)) -> String {
    let name = |(kind, id): (Kind, &str)| {
        planned
            .get(kind, id)
            .map(|p| p.name.clone())
            .or_else(|| {
                selected
                    .context
                    .get(&(kind, id.to_owned()))
                    .map(|o| display_name(kind, o))
            })
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.to_owned())
    };
    format!("{} <- {}", name(parent), name(child))
}

fn singular(kind: Kind) -> &'static str {
    match kind {
        Kind::USER => "user",
        Kind::GROUP => "group",
        Kind::APP => "app",
        Kind::MEMBERSHIP => "membership",
        Kind::APP_USER => "app user assignment",
        Kind::APP_GROUP => "app group assignment",
        _ => kind.row().title,
    }
}

/// Counts of one category of a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryPlan {
    pub create: u64,
    pub update: u64,
    pub reactivate: u64,
    #[serde(default)]
    pub recreate: u64,
    pub skip: u64,
    /// Live objects whose attributes the plan changes (what the guardrail measures).
    pub changed: u64,
    /// The category's live objects: counted when the plan listed them, else the snapshot's count.
    pub live: u64,
    /// Blobs the category's planned objects are stored in.
    pub chunks: usize,
}

impl CategoryPlan {
    pub fn count(&mut self, p: &PlannedObject) {
        match p.action {
            Action::Create => self.create += 1,
            Action::Update => self.update += 1,
            Action::Reactivate => self.reactivate += 1,
            Action::Recreate => self.recreate += 1,
            Action::Skip => self.skip += 1,
        }
        if matches!(p.action, Action::Update | Action::Reactivate | Action::Recreate) && !p.changes.is_empty() {
            self.changed += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.create + self.update + self.reactivate + self.recreate + self.skip
    }
}

/// A plan's head: what it restores, from where, with which options, what it would do per category, and whether
/// the guardrail holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub job_id: JobId,
    pub target_org: OrgId,
    pub source_org: OrgId,
    pub snapshot_id: SnapshotId,
    pub selection: Vec<String>,
    pub on_conflict: OnConflict,
    pub relationships: bool,
    /// Memberships of groups an active rule assigns were left to the rule.
    #[serde(default)]
    pub leave_rule_memberships: bool,
    pub activate: bool,
    pub dry_run: bool,
    pub planned_at: String,
    /// Categories in the order they are restored: a stage starts when the one before it is complete.
    pub stages: Vec<Vec<String>>,
    pub categories: BTreeMap<String, CategoryPlan>,
    pub emails: u64,
    /// Why the guardrail holds the plan (empty: it does not).
    pub held: Vec<String>,
    pub confirmed: bool,
    /// When the guardrail holds the plan: the token that confirms exactly this plan (what the HTTP API asks for in
    /// place of `--yes`). A new request carrying it applies if planning finds the same changes again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
    /// Calls planning made to the target org.
    pub live_calls: u64,
    /// What the plan cannot do, or the snapshot lacks, for a person to know before applying it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The two orgs, restoring into another org (ORNs and hrefs are moved from one to the other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orgs: Option<super::generic::Orgs>,
}

impl PlanSummary {
    /// Whether the plan may be applied: not a dry run, and the guardrail does not hold it (or it was confirmed).
    pub fn may_apply(&self) -> bool {
        !self.dry_run && (self.held.is_empty() || self.confirmed)
    }

    /// The guardrail's verdict for a person, when it holds the plan.
    pub fn held_message(&self) -> Option<String> {
        if self.held.is_empty() || self.confirmed {
            return None;
        }
        let token = self
            .confirmation_token
            .as_deref()
            .map_or_else(String::new, |t| format!(" (or the confirmation token {t})"));
        Some(format!(
            "the restore was stopped before writing anything: {}. Review the plan (--dry-run) and confirm it with \
             --yes{token}",
            self.held.join("; ")
        ))
    }
}

impl fmt::Display for PlanSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Restore plan of snapshot {} ({}) into {}{}",
            self.snapshot_id,
            self.source_org,
            self.target_org,
            if self.dry_run {
                " (dry run: nothing is written)"
            } else {
                ""
            }
        )?;
        writeln!(
            f,
            "  selection {}; on conflict {}; relationships {}; activate users {}",
            self.selection.join(" "),
            self.on_conflict.as_str(),
            match (self.relationships, self.leave_rule_memberships) {
                (false, _) => "left out",
                (true, false) => "added",
                (true, true) => "added (memberships of rule-assigned groups left to the rules)",
            },
            if self.activate { "yes" } else { "no" }
        )?;
        for stage in &self.stages {
            for category in stage {
                let c = self.categories.get(category).cloned().unwrap_or_default();
                writeln!(
                    f,
                    "  {category:<23} create {:>6}  update {:>6}  reactivate {:>4}  recreate {:>4}  skip {:>6}  \
                     (changes {} of {} live)",
                    c.create, c.update, c.reactivate, c.recreate, c.skip, c.changed, c.live
                )?;
            }
        }
        writeln!(
            f,
            "  activation emails: {}; calls to the target org while planning: {}",
            self.emails, self.live_calls
        )?;
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        for held in &self.held {
            writeln!(
                f,
                "  guardrail: {held}{}",
                if self.confirmed { " (confirmed)" } else { "" }
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage_of(stages: &[Vec<Kind>], category: &str) -> usize {
        stages
            .iter()
            .position(|s| s.iter().any(|k| k.category() == category))
            .unwrap_or_else(|| panic!("{category} is not ordered"))
    }

    #[test]
    fn every_kind_orders_with_the_hooks_the_catalog_does_not_know() {
        let stages = in_order(Kind::all());
        assert_eq!(stages.iter().map(Vec::len).sum::<usize>(), Kind::all().count());
        // A new user joins its groups on create.
        assert!(stage_of(&stages, "users") > stage_of(&stages, "groups"));
        // A resource set is created with its resources, which name groups, apps and servers.
        for named in ["groups", "apps", "authorization_servers"] {
            assert!(stage_of(&stages, "resource_sets") > stage_of(&stages, named), "{named}");
        }
        // Bindings make role assignments: they go first, the assignments are then matched.
        assert!(stage_of(&stages, "user_roles") > stage_of(&stages, "resource_set_bindings"));
        assert!(stage_of(&stages, "policy_rules") > stage_of(&stages, "policies"));
    }

    #[test]
    fn a_selection_without_groups_keeps_users_where_the_catalog_puts_them() {
        let stages = in_order([Kind::USER, Kind::MEMBERSHIP].into_iter());
        assert_eq!(stages, vec![vec![Kind::USER, Kind::MEMBERSHIP]]);
    }

    #[test]
    fn memberships_and_app_assignments_are_written_beside_the_users_they_need() {
        let stages = in_order([Kind::USER, Kind::GROUP, Kind::APP, Kind::MEMBERSHIP, Kind::APP_USER].into_iter());
        let last = stages.last().expect("stages");
        // Users first: a Map starts its items in order, and the edges wait for them.
        assert_eq!(last, &vec![Kind::USER, Kind::MEMBERSHIP, Kind::APP_USER]);
        assert!(stage_of(&stages, "groups") < stage_of(&stages, "users"));
        assert!(stage_of(&stages, "apps") < stage_of(&stages, "users"));
    }

    #[test]
    fn a_stage_beside_the_users_fits_the_concurrency_the_state_machine_gives_a_stage() {
        let stages = in_order(Kind::all());
        let with_users = &stages[stage_of(&stages, "users")];
        assert_eq!(with_users[0], Kind::USER);
        assert!(with_users.len() <= 3, "{with_users:?}");
        // Whatever an edge of users needs besides them is written in an earlier stage.
        for edge in &with_users[1..] {
            let ((other, _), _) = edge.ends().expect("an edge");
            assert!(
                stage_of(&stages, other.category()) < stage_of(&stages, "users"),
                "{edge:?}"
            );
        }
    }
}
