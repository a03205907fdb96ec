//! The category catalog: one declarative row per kind of Okta data.
//!
//! Backup reads this table (and later restore, download, search and the simulator's contract
//! test). Adding a category is adding a row here, not writing a new code path. Paths and page
//! sizes follow `../shared/okta/CATALOG.md`, read off Okta's management API spec.

use serde::Serialize;

/// How a category's objects are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Source {
    /// One or more queries, concatenated. Several passes exist where one query cannot return
    /// everything (a plain user list omits DEPROVISIONED users; policies are listed per type).
    List { passes: &'static [&'static str] },
    /// One query per object of `parent`. In `path`, `{id}` is the parent's id; for a parent
    /// that is itself listed per parent (id `a/b`), `{0}` and `{1}` are the id's parts.
    PerParent { parent: &'static str, path: &'static str },
    /// One query per object of `parent`, at the URL that object holds at the JSON pointer `link` (a
    /// user type names its schema only by `_links.schema.href`). A parent without it is logged.
    PerParentLink { parent: &'static str, link: &'static str },
    /// One query per pair of an object of `parent` and an object of `names`: in `path`, `{id}` is the
    /// parent's id and `{name}` the other object's id (a user's value of each linked-object relationship).
    PerParentAndName {
        parent: &'static str,
        names: &'static str,
        path: &'static str,
    },
    /// An append-only log read by time: one query for the events published inside the job's log
    /// window (from the previous snapshot's job start, or 7 days back, to this job's start), oldest
    /// first. A snapshot holds only the events of its own window, so each event is kept once.
    Log { path: &'static str },
}

/// What an endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// A JSON array, paged by `Link: rel="next"` headers.
    Array,
    /// One JSON object (settings, a schema): one object per query.
    Object,
    /// A JSON object holding the list under `field`, paged by `_links.next.href` in the body (the IAM
    /// endpoints: `{"roles": [...], "_links": {"next": {"href": "..."}}}`).
    Wrapped { field: &'static str },
}

/// What is kept of each listed item, and the id it is kept under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Keep {
    /// The item as Okta returned it, under its own id (the row's `id_pointer`).
    Whole,
    /// A one-of-a-kind object (org settings) kept under a fixed id.
    Named { id: &'static str },
    /// The item with the parent's id added under `parent_field`; its id is `<parent>/<item id>`.
    WithParent { parent_field: &'static str },
    /// The one object a parent has (an app's user schema), with the parent's id added under
    /// `parent_field`; its id is the parent's id.
    OnePerParent { parent_field: &'static str },
    /// Only the edge `{parent_field: parent id, child_field: item id}`; its id is
    /// `<parent>/<item id>`. For memberships, whose listed item is a whole user kept elsewhere.
    Edge {
        parent_field: &'static str,
        child_field: &'static str,
    },
    /// A linked-object value listed per (user, relationship) pair: the item is only a link to the other
    /// user, kept as `{parent_field: user, name_field: relationship, child_field: linked user's id}` (the id
    /// is the last segment of the link) under the id `<user>/<relationship>/<linked user>`.
    LinkedUser {
        parent_field: &'static str,
        name_field: &'static str,
        child_field: &'static str,
    },
}

/// Which parents a per-parent category is listed for: those whose value at `pointer` is one of `any_of`
/// (group targets exist only for the role types that take them; Okta refuses the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParentFilter {
    pub pointer: &'static str,
    pub any_of: &'static [&'static str],
}

/// When a per-parent category may carry a parent's children from the previous snapshot instead
/// of listing them again. Every job of a periodic full refresh lists everything regardless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Incremental {
    /// Always listed again.
    Always,
    /// Listed again only for parents whose `field` changed since the previous snapshot (a
    /// group's `lastMembershipUpdated` moves on every membership change, and only then).
    WhenParentFieldMoves { field: &'static str },
    /// Listed again for parents whose `field` changed, and for parents that a System Log event of
    /// one of `events` targets (as a target of type `target`: `AppInstance`, `User`, `UserGroup`) since
    /// the previous snapshot: an app's assignments change without moving its `lastUpdated`. When the
    /// log cannot be read, every parent is listed.
    WhenParentChangesOrLogged {
        field: &'static str,
        events: &'static [&'static str],
        target: &'static str,
    },
    /// A list read by change: only the objects changed since the previous snapshot's job started (less the
    /// late-event margin) are listed, with `query` (`{since}` filled in with that time); the others are carried
    /// from the previous snapshot, except those that System Log events of `deleted` name as targets of type
    /// `target` (a deleted object leaves a list without a trace). Lists everything when the log cannot be read.
    ListedByChange {
        query: &'static str,
        deleted: &'static [&'static str],
        target: &'static str,
    },
    /// Nothing tells when a value changed (Okta logs no event for a linked-object value, and the spec does not say
    /// that a link moves the user's `lastUpdated`): the values are read again on a cadence measured in time (the
    /// org's `linked_objects_every_days`, a week by default; `--full` and the full refresh read them too) and
    /// carried in between, for parents the previous snapshot held. The snapshot records when the carried values
    /// were read ("as of").
    OnCadence,
}

impl Incremental {
    /// The System Log event types this row's incremental listing needs to know about.
    pub fn logged_events(&self) -> &'static [&'static str] {
        match self {
            Incremental::Always | Incremental::WhenParentFieldMoves { .. } | Incremental::OnCadence => &[],
            Incremental::WhenParentChangesOrLogged { events, .. } => events,
            Incremental::ListedByChange { deleted, .. } => deleted,
        }
    }
}

/// An id inside an object that names an object of another category: what `show` prints names for, what a restore
/// remaps to the target org's ids and orders by. [`crate::references`] extracts and rewrites them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// Where the value sits: field names separated by dots, with `[]` after a name to step into every element of
    /// the array there (`actions.assignUserToGroups.groupIds[]`, `conditions.app.include[].id`), nested arrays
    /// included (`constraints[].possession.authenticationMethods[].id`). A missing field or `null` on the way
    /// finds nothing; so does a value of another shape than the path says.
    pub path: &'static str,
    /// Which category the id belongs to.
    pub target: Target,
    /// How the id is written in the value.
    pub form: Form,
}

/// The category a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Target {
    /// Always this category.
    Category { name: &'static str },
    /// The category that the field `by`, beside the value, names: one of the `(value of by, category)` pairs of
    /// `among` (a group owner's `type` is USER or GROUP). A value of `by` not among them names nothing oktavault keeps.
    ChosenBy {
        by: &'static str,
        among: &'static [(&'static str, &'static str)],
    },
    /// A child of this very object, kept in `category` under `<this object's id>/<value>` (an app's signing key
    /// `credentials.signing.kid` is one of the app's keys).
    OwnChild { category: &'static str },
    /// The value names its category itself: an ORN by its object type ([`ORN_TYPES`]), an href by its collection
    /// ([`HREF_COLLECTIONS`]); only these categories count (a binding member is a user or a group).
    AnyOf { names: &'static [&'static str] },
    /// The value names its category itself, any the form knows (a resource set's resource).
    InValue,
}

/// How a reference's id is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// The value is the id.
    Id,
    /// An Okta Expression Language string: the group ids are the string arguments of `isMemberOfGroup(...)` and
    /// `isMemberOfAnyGroup(...)` and the strings of a `'group.id'` entry (`user.isMemberOf({'group.id': {...}})`).
    Expression,
    /// An Okta Resource Name, `orn:<partition>:<service>:<org id>:<object type>:<id>[:...]`, whose object type
    /// ([`ORN_TYPES`]) names the category. It also names the org, which a restore into another org moves.
    Orn,
    /// A management API URL, `https://<org>/api/v1/<collection>/<id>[/...]`, whose collection
    /// ([`HREF_COLLECTIONS`]) names the category. Its origin is the org's, which a restore into another org moves.
    Href,
    /// An OAuth 2.0 `client_id`: the app whose `credentials.oauthClient.client_id` it is. It is not the app's id
    /// (Okta lets a client id be chosen on create), so it is looked up and remapped as a client id.
    ClientId,
}

/// Where an ORN keeps its id after the object type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrnId {
    /// The segment right after the type (`groups:<id>`, `groups:<id>:contained_resources`); none when the ORN
    /// ends at the type (every object of the kind).
    Next,
    /// Apps: `apps:<app name>:<id>` (one instance), `apps:<id>`, or `apps:<app name>` (every instance of an OIN
    /// app, no id). A lone segment is an id when it has Okta's app id prefix `0oa`.
    AfterAppName,
}

/// The ORN object types that name a category: `(service, object type, category, where the id is)`, as Okta's
/// resource-set and role docs write them (`orn:okta:directory:<org>:groups:<id>`, `orn:okta:idp:<org>:apps:...`).
pub const ORN_TYPES: &[(&str, &str, &str, OrnId)] = &[
    ("directory", "groups", "groups", OrnId::Next),
    ("directory", "users", "users", OrnId::Next),
    ("idp", "apps", "apps", OrnId::AfterAppName),
    ("idp", "authorization_servers", "authorization_servers", OrnId::Next),
];

/// The management API collections that name a category in an href: `(path after /api/v1/, category)`. The segment
/// after the collection is the id (`/api/v1/groups/<id>/users` names the group).
pub const HREF_COLLECTIONS: &[(&str, &str)] = &[
    ("users", "users"),
    ("groups", "groups"),
    ("apps", "apps"),
    ("policies", "policies"),
    ("authorizationServers", "authorization_servers"),
    ("idps", "identity_providers"),
    ("zones", "network_zones"),
    ("authenticators", "authenticators"),
    ("meta/types/user", "user_types"),
    ("iam/roles", "custom_roles"),
    ("iam/resource-sets", "resource_sets"),
    ("eventHooks", "event_hooks"),
    ("inlineHooks", "inline_hooks"),
    ("brands", "brands"),
];

impl Reference {
    /// Every category this reference may point at (for an ORN or href, every category its form can name).
    pub fn categories(&self) -> Vec<&'static str> {
        match self.target {
            Target::Category { name } | Target::OwnChild { category: name } => vec![name],
            Target::ChosenBy { among, .. } => among.iter().map(|(_, c)| *c).collect(),
            Target::AnyOf { names } => names.to_vec(),
            Target::InValue => match self.form {
                Form::Orn => ORN_TYPES.iter().map(|(_, _, c, _)| *c).collect(),
                Form::Href => HREF_COLLECTIONS.iter().map(|(_, c)| *c).collect(),
                Form::Id | Form::Expression | Form::ClientId => Vec::new(),
            },
        }
    }
}

/// How a restore writes an object back (Okta's calls, as the spec names their paths). A restorable row has
/// at least one; a download-only row has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Restore {
    /// Makes a new object (or a new edge: a membership, a role target) in the target org.
    pub create: Option<Endpoint>,
    /// Replaces or updates an existing object in place: the only call for one-of-a-kind objects (org
    /// settings, schemas) and for objects Okta creates itself (default policies, system scopes).
    pub update: Option<Endpoint>,
    /// Turns the object on: the lifecycle call that makes it ACTIVE after a create or update (Okta creates
    /// group rules INACTIVE and users STAGED; neither a create nor a replace sets `status`), or the "on" call
    /// of a setting that is a switch with one call per state. Which one a stored object needs is `on_when`.
    pub activate: Option<Endpoint>,
    /// Turns the object off (INACTIVE; a user DEPROVISIONED), or the switch's "off" call.
    pub deactivate: Option<Endpoint>,
    /// What in a stored object says whether it was on: set exactly when `activate` and `deactivate` are.
    pub on_when: Option<OnWhen>,
}

/// The stored field that tells a restore which lifecycle call an object needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OnWhen {
    /// `status` is one of `on` (call `activate`) or of `off` (call `deactivate`). Any other status is left as
    /// the create made it (a STAGED user stays STAGED).
    Status {
        on: &'static [&'static str],
        off: &'static [&'static str],
    },
    /// The boolean `field` equals `on` (call `activate`) or not (call `deactivate`).
    Flag { field: &'static str, on: bool },
}

impl OnWhen {
    /// The stored field this reads.
    pub fn field(&self) -> &'static str {
        match self {
            OnWhen::Status { .. } => "status",
            OnWhen::Flag { field, .. } => field,
        }
    }
}

/// Most objects with a lifecycle: ACTIVE or INACTIVE (apps may also be DELETED, group rules INVALID: neither is
/// restored as such).
const ACTIVE_OR_INACTIVE: OnWhen = OnWhen::Status {
    on: &["ACTIVE"],
    off: &["INACTIVE"],
};

/// A user's statuses. Activation makes a user without a password PROVISIONED and emails them, which is how every
/// restored user who could sign in comes back (no password is ever readable). DEPROVISIONED is the deactivated
/// state. STAGED stays as created; so does SUSPENDED, which would need an activate and then a suspend: left
/// STAGED, the user cannot sign in either way.
const USER_STATUS: OnWhen = OnWhen::Status {
    on: &["ACTIVE", "PROVISIONED", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT"],
    off: &["DEPROVISIONED"],
};

/// One call: `method` and the spec's path template (`/api/v1/groups/{groupId}/users/{userId}`), with the
/// spec's parameter names so it can be looked up in the spec as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
}

impl Restore {
    /// Download-only: nothing is written back.
    pub const NONE: Restore = Restore {
        create: None,
        update: None,
        activate: None,
        deactivate: None,
        on_when: None,
    };

    pub const fn create_only(create: Endpoint) -> Restore {
        Restore {
            create: Some(create),
            ..Restore::NONE
        }
    }

    pub const fn update_only(update: Endpoint) -> Restore {
        Restore {
            update: Some(update),
            ..Restore::NONE
        }
    }

    pub const fn create_and_update(create: Endpoint, update: Endpoint) -> Restore {
        Restore {
            create: Some(create),
            update: Some(update),
            ..Restore::NONE
        }
    }

    /// These calls, and then the `(activate, deactivate)` pair that `on_when` chooses between.
    pub const fn switched(self, on_when: OnWhen, (activate, deactivate): (Endpoint, Endpoint)) -> Restore {
        Restore {
            activate: Some(activate),
            deactivate: Some(deactivate),
            on_when: Some(on_when),
            ..self
        }
    }

    /// The calls this row may make: create, update, activate, deactivate, in that order.
    pub fn endpoints(&self) -> impl Iterator<Item = Endpoint> {
        self.create
            .into_iter()
            .chain(self.update)
            .chain(self.activate)
            .chain(self.deactivate)
    }
}

/// `POST <object>/lifecycle/activate` and `POST <object>/lifecycle/deactivate`: Okta's pair for every object with
/// a lifecycle. `<object>` is the row's update path, the one object the calls address.
macro_rules! lifecycle {
    ($object:literal) => {
        (
            post(concat!($object, "/lifecycle/activate")),
            post(concat!($object, "/lifecycle/deactivate")),
        )
    };
}

const fn post(path: &'static str) -> Endpoint {
    Endpoint { method: "POST", path }
}

const fn put(path: &'static str) -> Endpoint {
    Endpoint { method: "PUT", path }
}

const fn patch(path: &'static str) -> Endpoint {
    Endpoint { method: "PATCH", path }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Stable name, used in manifests, blob keys and the command line.
    pub name: &'static str,
    /// For a person.
    pub title: &'static str,
    /// The read scope an OAuth service app needs for it.
    pub scope: &'static str,
    pub source: Source,
    pub response: Response,
    /// The largest page size the endpoint allows (sent as `limit` on a first page); `None` for
    /// endpoints without a `limit` parameter, which answer everything at once.
    pub page_limit: Option<u32>,
    pub keep: Keep,
    /// For per-parent categories: only the parents this selects are listed (all when `None`).
    pub parent_filter: Option<ParentFilter>,
    /// JSON pointer to an item's own id (`/id` for most; `/name` for features and the like). Several
    /// pointers separated by `|` are tried in turn (an app target has an `id` only when it is an instance).
    pub id_pointer: &'static str,
    /// The field holding the object's Okta modification time, when it has one.
    pub last_updated_field: Option<&'static str>,
    pub incremental: Incremental,
    pub references: &'static [Reference],
    /// Categories a restore writes before this one although no id here names them: the custom attributes of a
    /// user schema before the users that carry them. References and the parent order the rest
    /// ([`crate::restore::order`]).
    pub restore_after: &'static [&'static str],
    /// JSON pointers to the fields that identify an object across orgs and across a crash (a user's
    /// `/profile/login`), read once its references are rewritten into the target org's ids. A row kept with its
    /// parent names only its own fields: the parent's comes first by itself. Empty: the key follows from `keep`
    /// (a one-of-a-kind object, an edge, the one object of a parent). See [`crate::restore::keys`].
    pub natural_key: &'static [&'static str],
    /// JSON pointers to the text a person finds an object by (names, logins, emails, labels): `oktavault search`
    /// matches any part of their values, and of the natural key's, and the whole id ([`crate::search`]).
    pub search_names: &'static [&'static str],
    /// What a create or replace must not send, removed from the stored object ([`Category::stripped`]): the
    /// fields Okta sets itself (read-only in the spec), the parent field a per-parent row adds (the parent is in
    /// the call's path), and fields the request schema does not take. Paths as in [`Reference::path`]
    /// (`credentials.provider`).
    pub strip_on_restore: &'static [&'static str],
    /// What a create must not send beyond `strip_on_restore`: fields only the update takes (a brand is created by
    /// name, then updated with the rest).
    pub strip_on_create: &'static [&'static str],
    /// What an update must not send beyond `strip_on_restore`: fields only the create takes (an app assignment's
    /// user id and scope).
    pub strip_on_update: &'static [&'static str],
    /// The objects a restore writes, when not all: those whose value at `pointer` is one of `any_of` (a factor a
    /// person need not enrol again; a user's own app assignment, not one a group assignment makes).
    pub restores_only: Option<ParentFilter>,
    /// Download-only categories (secrets unreadable, or no create API) are never restored.
    pub restorable: bool,
    /// The calls that write an object back (none for download-only rows). Paths are the spec's templates.
    pub restore: Restore,
    /// The System Log `target[].type` that names this row's objects by their own id (`UserGroup` for a group),
    /// when Okta logs changes to them; `undo` finds an event's objects through it. Several rows may share one
    /// (`PolicyRule` for the rules of policies and of authorization servers): Okta's ids are unique, so the row
    /// holding the id is the one.
    pub log_target: Option<&'static str>,
}

impl Category {
    /// What most rows share; a row names only what differs (`..Category::DEFAULTS`).
    pub const DEFAULTS: Category = Category {
        name: "",
        title: "",
        scope: "",
        source: Source::List { passes: &[] },
        response: Response::Array,
        page_limit: None,
        keep: Keep::Whole,
        parent_filter: None,
        id_pointer: "/id",
        last_updated_field: Some("lastUpdated"),
        incremental: Incremental::Always,
        references: &[],
        restore_after: &[],
        natural_key: &[],
        search_names: &[
            "/name",
            "/label",
            "/displayName",
            "/profile/name",
            "/profile/displayName",
        ],
        strip_on_restore: OKTA_MANAGED,
        strip_on_create: &[],
        strip_on_update: &[],
        restores_only: None,
        restorable: true,
        restore: Restore::NONE,
        log_target: None,
    };
}

const OKTA_MANAGED: &[&str] = &["id", "_links", "_embedded", "created", "lastUpdated", "status"];

/// The System Log events of a user's deletion: Okta logs both, and a reader may see either first.
const USER_DELETE_EVENTS: &[&str] = &["user.lifecycle.delete.initiated", "user.lifecycle.delete.completed"];
/// The System Log events that change an app's user assignments (Okta's event types catalog).
const APP_USER_EVENTS: &[&str] = &[
    "application.user_membership.add",
    "application.user_membership.remove",
    "application.user_membership.change_profile",
];
/// The System Log events that change an app's group assignments.
const APP_GROUP_EVENTS: &[&str] = &[
    "group.application_assignment.add",
    "group.application_assignment.remove",
    "group.application_assignment.update",
];

/// The System Log events of a user's factor enrolments (a factor change does not move the user's `lastUpdated`).
const FACTOR_EVENTS: &[&str] = &[
    "user.mfa.factor.activate",
    "user.mfa.factor.deactivate",
    "user.mfa.factor.reset_all",
    "user.mfa.factor.suspend",
    "user.mfa.factor.unsuspend",
    "user.mfa.factor.update",
];
/// The System Log events of admin roles granted to or revoked from a group.
const GROUP_ROLE_EVENTS: &[&str] = &["group.privilege.grant", "group.privilege.revoke"];

/// The standard roles Okta lets an admin limit to groups, and to apps (the spec's targets endpoints).
const GROUP_TARGETED_ROLES: ParentFilter = ParentFilter {
    pointer: "/type",
    any_of: &["USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"],
};
const APP_TARGETED_ROLES: ParentFilter = ParentFilter {
    pointer: "/type",
    any_of: &["APP_ADMIN"],
};

/// The id at `path` of an object of `category`.
const fn to(path: &'static str, category: &'static str) -> Reference {
    Reference {
        path,
        target: Target::Category { name: category },
        form: Form::Id,
    }
}

/// The id at `path` of a user or a group, as the field `by` beside it says (USER or GROUP).
const fn user_or_group(path: &'static str, by: &'static str) -> Reference {
    Reference {
        path,
        target: Target::ChosenBy {
            by,
            among: &[("USER", "users"), ("GROUP", "groups")],
        },
        form: Form::Id,
    }
}

/// A profile mapping's end at `path`: a user type (`type` user) or an app's user profile (`type` appuser).
const fn mapping_end(path: &'static str) -> Reference {
    Reference {
        path,
        target: Target::ChosenBy {
            by: "type",
            among: &[("user", "user_types"), ("appuser", "apps")],
        },
        form: Form::Id,
    }
}

/// The id at `path` of one of this object's own children in `category`.
const fn own_child(path: &'static str, category: &'static str) -> Reference {
    Reference {
        path,
        target: Target::OwnChild { category },
        form: Form::Id,
    }
}

/// The group ids inside the Okta Expression Language string at `path`.
const fn groups_in_expression(path: &'static str) -> Reference {
    Reference {
        path,
        target: Target::Category { name: "groups" },
        form: Form::Expression,
    }
}

/// The ORN at `path`.
const fn orn(path: &'static str) -> Reference {
    Reference {
        path,
        target: Target::InValue,
        form: Form::Orn,
    }
}

/// The management API URL at `path`, of an object of any category an href can name.
const fn href(path: &'static str) -> Reference {
    Reference {
        path,
        target: Target::InValue,
        form: Form::Href,
    }
}

/// The management API URL at `path` of an object of one of `names`.
const fn href_to(path: &'static str, names: &'static [&'static str]) -> Reference {
    Reference {
        path,
        target: Target::AnyOf { names },
        form: Form::Href,
    }
}

/// The ORN at `path` of an object of one of `names`.
const fn orn_of(path: &'static str, names: &'static [&'static str]) -> Reference {
    Reference {
        path,
        target: Target::AnyOf { names },
        form: Form::Orn,
    }
}

/// The OAuth client id at `path` (of an app).
const fn client_id(path: &'static str) -> Reference {
    Reference {
        path,
        target: Target::Category { name: "apps" },
        form: Form::ClientId,
    }
}

/// Every category, parents before the categories listed per parent.
#[rustfmt::skip]
pub const CATEGORIES: &[Category] = &[
    Category {
        name: "users",
        title: "Users",
        scope: "okta.users.read",
        // A plain list omits DEPROVISIONED users; a status filter is the documented way to get them.
        source: Source::List { passes: &["/api/v1/users", "/api/v1/users?filter=status%20eq%20%22DEPROVISIONED%22"] },
        page_limit: Some(200),
        // Between full refreshes only users whose `lastUpdated` moved are listed (the spec: `filter` is not
        // eventually consistent, unlike `search`, and returns DEPROVISIONED users too); deleted ones are named by
        // the System Log.
        incremental: Incremental::ListedByChange {
            query: "/api/v1/users?filter=lastUpdated%20gt%20%22{since}%22",
            deleted: USER_DELETE_EVENTS,
            target: "User",
        },
        references: &[to("type.id", "user_types")],
        restore_after: &["user_schemas"],
        natural_key: &["/profile/login"],
        search_names: &["/profile/login", "/profile/email", "/profile/firstName", "/profile/lastName"],
        strip_on_restore: &[
            "id", "_links", "_embedded", "created", "lastUpdated", "status", "activated", "statusChanged",
            "lastLogin", "passwordChanged", "transitioningToStatus", "credentials.provider",
        ],
        restore: Restore::create_and_update(post("/api/v1/users"), put("/api/v1/users/{id}")).switched(USER_STATUS, lifecycle!("/api/v1/users/{id}")),
        log_target: Some("User"),
        ..Category::DEFAULTS
    },
    Category {
        name: "groups",
        title: "Groups",
        scope: "okta.groups.read",
        source: Source::List { passes: &["/api/v1/groups"] },
        page_limit: Some(10000),
        restore_after: &["group_schema"],
        natural_key: &["/profile/name", "/type"],
        search_names: &["/profile/name"],
        strip_on_restore: &[
            "id", "_links", "_embedded", "created", "lastUpdated", "lastMembershipUpdated", "objectClass", "type",
        ],
        restore: Restore::create_and_update(post("/api/v1/groups"), put("/api/v1/groups/{groupId}")),
        log_target: Some("UserGroup"),
        ..Category::DEFAULTS
    },
    Category {
        name: "group_members",
        title: "Group memberships",
        scope: "okta.groups.read",
        source: Source::PerParent { parent: "groups", path: "/api/v1/groups/{id}/users" },
        page_limit: Some(1000),
        keep: Keep::Edge { parent_field: "groupId", child_field: "userId" },
        last_updated_field: None,
        incremental: Incremental::WhenParentFieldMoves { field: "lastMembershipUpdated" },
        references: &[to("groupId", "groups"), to("userId", "users")],
        strip_on_restore: &[],
        restore: Restore::create_only(put("/api/v1/groups/{groupId}/users/{userId}")),
        ..Category::DEFAULTS
    },
    Category {
        name: "apps",
        title: "Applications",
        scope: "okta.apps.read",
        source: Source::List { passes: &["/api/v1/apps"] },
        page_limit: Some(200),
        references: &[
            href_to("_links.accessPolicy.href", &["policies"]),
            own_child("credentials.signing.kid", "app_keys"),
            to("settings.inlineHookId", "inline_hooks"),
            to("settings.signOn.inlineHooks[].id", "inline_hooks"),
        ],
        natural_key: &["/label", "/signOnMode"],
        strip_on_restore: &[
            "id", "_links", "_embedded", "created", "lastUpdated", "status", "features", "settings.emOptInStatus",
            "settings.manualProvisioning",
        ],
        restore: Restore::create_and_update(post("/api/v1/apps"), put("/api/v1/apps/{appId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/apps/{appId}")),
        log_target: Some("AppInstance"),
        ..Category::DEFAULTS
    },
    Category {
        name: "app_users",
        title: "Application user assignments",
        scope: "okta.apps.read",
        source: Source::PerParent { parent: "apps", path: "/api/v1/apps/{id}/users" },
        page_limit: Some(500),
        keep: Keep::WithParent { parent_field: "appId" },
        // An assignment change does not move the app's lastUpdated: System Log events tell which apps changed.
        incremental: Incremental::WhenParentChangesOrLogged { field: "lastUpdated", events: APP_USER_EVENTS, target: "AppInstance" },
        references: &[to("appId", "apps"), to("id", "users")],
        restore_after: &["app_user_schemas"],
        natural_key: &["/id"],
        strip_on_restore: &[
            "_links", "_embedded", "created", "lastUpdated", "status", "statusChanged", "syncState", "lastSync",
            "passwordChanged", "appId", "externalId",
        ],
        strip_on_update: &["id", "scope"],
        // A GROUP-scoped assignment comes from the group's assignment; it is not created directly.
        restores_only: Some(ParentFilter { pointer: "/scope", any_of: &["USER"] }),
        restore: Restore::create_and_update(post("/api/v1/apps/{appId}/users"), post("/api/v1/apps/{appId}/users/{userId}")),
        ..Category::DEFAULTS
    },
    Category {
        // The one PUT assigns the group or replaces an assignment's priority and profile.
        name: "app_groups",
        title: "Application group assignments",
        scope: "okta.apps.read",
        source: Source::PerParent { parent: "apps", path: "/api/v1/apps/{id}/groups" },
        page_limit: Some(200),
        keep: Keep::WithParent { parent_field: "appId" },
        incremental: Incremental::WhenParentChangesOrLogged { field: "lastUpdated", events: APP_GROUP_EVENTS, target: "AppInstance" },
        references: &[to("appId", "apps"), to("id", "groups")],
        restore_after: &["app_user_schemas"],
        natural_key: &["/id"],
        strip_on_restore: &["_links", "_embedded", "lastUpdated", "id", "appId"],
        restore: Restore::create_and_update(put("/api/v1/apps/{appId}/groups/{groupId}"), put("/api/v1/apps/{appId}/groups/{groupId}")),
        ..Category::DEFAULTS
    },
    // Directory configuration.
    Category {
        name: "user_types",
        title: "User types",
        scope: "okta.userTypes.read",
        source: Source::List { passes: &["/api/v1/meta/types/user"] },
        natural_key: &["/name"],
        strip_on_restore: &["id", "_links", "created", "lastUpdated", "createdBy", "lastUpdatedBy", "default"],
        restore: Restore::create_and_update(post("/api/v1/meta/types/user"), put("/api/v1/meta/types/user/{typeId}")),
        log_target: Some("UserType"),
        ..Category::DEFAULTS
    },
    Category {
        // One schema per user type, default included: a type names its schema only by `_links.schema.href`.
        name: "user_schemas",
        title: "User schemas (one per user type)",
        scope: "okta.schemas.read",
        source: Source::PerParentLink { parent: "user_types", link: "/_links/schema/href" },
        response: Response::Object,
        keep: Keep::OnePerParent { parent_field: "userTypeId" },
        references: &[to("userTypeId", "user_types")],
        strip_on_restore: &[
            "id", "_links", "created", "lastUpdated", "$schema", "userTypeId", "name", "type", "description",
            "definitions.base.id", "definitions.base.type", "definitions.base.required", "definitions.custom.id",
            "definitions.custom.type", "definitions.custom.required",
        ],
        restore: Restore::update_only(post("/api/v1/meta/schemas/user/{schemaId}")),
        ..Category::DEFAULTS
    },
    Category {
        name: "group_schema",
        title: "Group schema",
        scope: "okta.schemas.read",
        source: Source::List { passes: &["/api/v1/meta/schemas/group/default"] },
        response: Response::Object,
        keep: Keep::Named { id: "default" },
        strip_on_restore: &[
            "id", "_links", "created", "lastUpdated", "$schema", "name", "type", "definitions.base.id",
            "definitions.base.type", "definitions.base.required", "definitions.custom.id", "definitions.custom.type",
            "definitions.custom.required",
        ],
        restore: Restore::update_only(post("/api/v1/meta/schemas/group/default")),
        ..Category::DEFAULTS
    },
    Category {
        name: "app_user_schemas",
        title: "Application user schemas",
        scope: "okta.schemas.read",
        source: Source::PerParent { parent: "apps", path: "/api/v1/meta/schemas/apps/{id}/default" },
        response: Response::Object,
        keep: Keep::OnePerParent { parent_field: "appId" },
        references: &[to("appId", "apps")],
        strip_on_restore: &[
            "id", "_links", "created", "lastUpdated", "$schema", "appId", "name", "type", "description",
            "definitions.base", "definitions.custom.id", "definitions.custom.type", "definitions.custom.required",
        ],
        restore: Restore::update_only(post("/api/v1/meta/schemas/apps/{appId}/default")),
        ..Category::DEFAULTS
    },
    Category {
        // Created INACTIVE, then activated; only an INACTIVE rule can be updated (deactivate, update,
        // activate). Group ids also hide inside `conditions.expression.value`
        // (Okta EL such as `isMemberOfAnyGroup("00g…")`), which a restore must rewrite too.
        name: "group_rules",
        title: "Group rules",
        scope: "okta.groups.read",
        source: Source::List { passes: &["/api/v1/groups/rules"] },
        page_limit: Some(200),
        references: &[
            to("actions.assignUserToGroups.groupIds[]", "groups"),
            to("conditions.people.users.exclude[]", "users"),
            to("conditions.people.groups.exclude[]", "groups"),
            groups_in_expression("conditions.expression.value"),
        ],
        restore_after: &["user_schemas"],
        natural_key: &["/name"],
        restore: Restore::create_and_update(post("/api/v1/groups/rules"), put("/api/v1/groups/rules/{groupRuleId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/groups/rules/{groupRuleId}")),
        log_target: Some("GroupRule"),
        ..Category::DEFAULTS
    },
    Category {
        // `id` is a user or a group, as `type` says.
        name: "group_owners",
        title: "Group owners",
        scope: "okta.groups.read",
        source: Source::PerParent { parent: "groups", path: "/api/v1/groups/{id}/owners" },
        page_limit: Some(1000),
        keep: Keep::WithParent { parent_field: "groupId" },
        references: &[to("groupId", "groups"), user_or_group("id", "type")],
        natural_key: &["/id"],
        strip_on_restore: &["lastUpdated", "resolved", "originId", "originType", "displayName", "groupId"],
        restore: Restore::create_only(post("/api/v1/groups/{groupId}/owners")),
        ..Category::DEFAULTS
    },
    // Security configuration: restored zones and authenticators first, then policies, then rules.
    Category {
        name: "network_zones",
        title: "Network zones",
        scope: "okta.networkZones.read",
        source: Source::List { passes: &["/api/v1/zones"] },
        natural_key: &["/name"],
        strip_on_restore: &["id", "_links", "created", "lastUpdated", "status", "system"],
        restore: Restore::create_and_update(post("/api/v1/zones"), put("/api/v1/zones/{zoneId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/zones/{zoneId}")),
        log_target: Some("NetworkZone"),
        ..Category::DEFAULTS
    },
    Category {
        // Matched by `key` on restore (okta_email, okta_verify...); provider secrets are never readable.
        name: "authenticators",
        title: "Authenticators",
        scope: "okta.authenticators.read",
        source: Source::List { passes: &["/api/v1/authenticators"] },
        natural_key: &["/key", "/name"],
        restore: Restore::create_and_update(post("/api/v1/authenticators"), put("/api/v1/authenticators/{authenticatorId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/authenticators/{authenticatorId}")),
        log_target: Some("Authenticator"),
        ..Category::DEFAULTS
    },
    Category {
        name: "authenticator_methods",
        title: "Authenticator methods",
        scope: "okta.authenticators.read",
        source: Source::PerParent { parent: "authenticators", path: "/api/v1/authenticators/{id}/methods" },
        keep: Keep::WithParent { parent_field: "authenticatorId" },
        id_pointer: "/type",
        last_updated_field: None,
        references: &[to("authenticatorId", "authenticators")],
        natural_key: &["/type"],
        strip_on_restore: &["_links", "status", "authenticatorId"],
        restore: Restore::update_only(put("/api/v1/authenticators/{authenticatorId}/methods/{methodType}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/authenticators/{authenticatorId}/methods/{methodType}")),
        ..Category::DEFAULTS
    },
    Category {
        // `type` is required: one pass per policy type an org can hold (entity risk and post-auth
        // session included; the spec lists both).
        name: "policies",
        title: "Policies",
        scope: "okta.policies.read",
        source: Source::List { passes: &[
            "/api/v1/policies?type=OKTA_SIGN_ON",
            "/api/v1/policies?type=PASSWORD",
            "/api/v1/policies?type=MFA_ENROLL",
            "/api/v1/policies?type=ACCESS_POLICY",
            "/api/v1/policies?type=IDP_DISCOVERY",
            "/api/v1/policies?type=PROFILE_ENROLLMENT",
            "/api/v1/policies?type=ENTITY_RISK",
            "/api/v1/policies?type=POST_AUTH_SESSION",
        ] },
        references: &[
            // The spec gives a policy's people condition only included groups (its rules have the rest).
            to("conditions.people.groups.include[]", "groups"),
        ],
        natural_key: &["/type", "/name"],
        strip_on_restore: &["id", "_links", "_embedded", "created", "lastUpdated", "status", "system"],
        restore: Restore::create_and_update(post("/api/v1/policies"), put("/api/v1/policies/{policyId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/policies/{policyId}")),
        log_target: Some("PolicyEntity"),
        ..Category::DEFAULTS
    },
    Category {
        // `priority` is kept: rule order is policy behaviour. Default rules (`system`) are updated in place.
        name: "policy_rules",
        title: "Policy rules",
        scope: "okta.policies.read",
        source: Source::PerParent { parent: "policies", path: "/api/v1/policies/{id}/rules" },
        keep: Keep::WithParent { parent_field: "policyId" },
        references: &[
            to("policyId", "policies"),
            to("conditions.people.users.include[]", "users"),
            to("conditions.people.users.exclude[]", "users"),
            to("conditions.people.groups.include[]", "groups"),
            to("conditions.people.groups.exclude[]", "groups"),
            to("conditions.network.include[]", "network_zones"),
            to("conditions.network.exclude[]", "network_zones"),
            to("conditions.userType.include[]", "user_types"),
            to("conditions.userType.exclude[]", "user_types"),
            to("conditions.app.include[].id", "apps"),
            to("conditions.app.exclude[].id", "apps"),
            to("conditions.identityProvider.idpIds[]", "identity_providers"),
            groups_in_expression("conditions.elCondition.condition"),
            to("actions.appSignOn.verificationMethod.constraints[].possession.authenticationMethods[].id", "authenticators"),
            to("actions.appSignOn.verificationMethod.constraints[].knowledge.authenticationMethods[].id", "authenticators"),
            to("actions.appSignOn.verificationMethod.chains[].authenticationMethods[].id", "authenticators"),
            to("actions.idp.providers[].id", "identity_providers"),
            to("actions.profileEnrollment.targetGroupIds[]", "groups"),
            to("actions.profileEnrollment.preRegistrationInlineHooks[].inlineHookId", "inline_hooks"),
        ],
        natural_key: &["/name"],
        strip_on_restore: &["id", "_links", "created", "lastUpdated", "status", "system", "policyId"],
        restore: Restore::create_and_update(post("/api/v1/policies/{policyId}/rules"), put("/api/v1/policies/{policyId}/rules/{ruleId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/policies/{policyId}/rules/{ruleId}")),
        log_target: Some("PolicyRule"),
        ..Category::DEFAULTS
    },
    // Organization settings: restored first (CATALOG.md "Restore order"), before anything that points at them.
    Category {
        name: "org_settings",
        title: "Organization settings",
        scope: "okta.orgs.read",
        source: Source::List { passes: &["/api/v1/org"] },
        response: Response::Object,
        keep: Keep::Named { id: "org" },
        strip_on_restore: &["id", "_links", "created", "lastUpdated", "status", "subdomain", "expiresAt"],
        restore: Restore::update_only(put("/api/v1/org")),
        ..Category::DEFAULTS
    },
    Category {
        name: "org_contact_types",
        title: "Organization contact types",
        scope: "okta.orgs.read",
        source: Source::List { passes: &["/api/v1/org/contacts"] },
        id_pointer: "/contactType",
        last_updated_field: None,
        strip_on_restore: &["_links"],
        // Only the index `org_contacts` is listed from: the types are fixed (BILLING, TECHNICAL) and have no write
        // API; the contact user is restored with `org_contacts`.
        restorable: false,
        ..Category::DEFAULTS
    },
    Category {
        // Restored with `PUT /api/v1/org/contacts/{contactType}` `{userId}`.
        name: "org_contacts",
        title: "Organization contacts",
        scope: "okta.orgs.read",
        source: Source::PerParent { parent: "org_contact_types", path: "/api/v1/org/contacts/{id}" },
        response: Response::Object,
        keep: Keep::OnePerParent { parent_field: "contactType" },
        last_updated_field: None,
        references: &[to("contactType", "org_contact_types"), to("userId", "users")],
        strip_on_restore: &["_links", "contactType"],
        restore: Restore::update_only(put("/api/v1/org/contacts/{contactType}")),
        ..Category::DEFAULTS
    },
    Category {
        // `scopes[].allowedOktaApps` names app types, not app ids.
        name: "trusted_origins",
        title: "Trusted origins",
        scope: "okta.trustedOrigins.read",
        source: Source::List { passes: &["/api/v1/trustedOrigins"] },
        page_limit: Some(200),
        natural_key: &["/origin"],
        strip_on_restore: &[
            "id", "_links", "created", "createdBy", "lastUpdated", "lastUpdatedBy", "status",
        ],
        restore: Restore::create_and_update(post("/api/v1/trustedOrigins"), put("/api/v1/trustedOrigins/{trustedOriginId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/trustedOrigins/{trustedOriginId}")),
        log_target: Some("TrustedOrigin"),
        ..Category::DEFAULTS
    },
    Category {
        // A restored domain must be verified again in DNS before brands can send from it.
        name: "email_domains",
        title: "Email domains",
        scope: "okta.emailDomains.read",
        source: Source::List { passes: &["/api/v1/email-domains"] },
        last_updated_field: None,
        restore_after: &["brands"],
        natural_key: &["/domain"],
        strip_on_restore: &["id", "_links", "_embedded", "validationStatus", "dnsValidationRecords"],
        strip_on_update: &["domain", "validationSubdomain"],
        restore: Restore::create_and_update(post("/api/v1/email-domains"), put("/api/v1/email-domains/{emailDomainId}")),
        log_target: Some("EmailDomain"),
        ..Category::DEFAULTS
    },
    Category {
        // No create API: restore sets each feature's status (`POST /api/v1/features/{id}/{lifecycle}`, ENABLE
        // or DISABLE). One path for both states, so it is the `update`, not an activate/deactivate pair.
        name: "features",
        title: "Feature flags",
        scope: "okta.features.read",
        source: Source::List { passes: &["/api/v1/features"] },
        last_updated_field: None,
        natural_key: &["/name"],
        strip_on_restore: &["_links", "stage", "type", "description", "name"],
        restore: Restore::update_only(post("/api/v1/features/{featureId}/{lifecycle}")),
        ..Category::DEFAULTS
    },
    Category {
        name: "threat_insight",
        title: "ThreatInsight configuration",
        scope: "okta.threatInsights.read",
        source: Source::List { passes: &["/api/v1/threats/configuration"] },
        response: Response::Object,
        keep: Keep::Named { id: "configuration" },
        references: &[to("excludeZones[]", "network_zones")],
        strip_on_restore: &["_links", "created", "lastUpdated"],
        restore: Restore::update_only(post("/api/v1/threats/configuration")),
        ..Category::DEFAULTS
    },
    Category {
        // Download-only: `secretKey` is write-only, and an instance cannot be created without it.
        name: "captchas",
        title: "CAPTCHA instances",
        scope: "okta.captchas.read",
        source: Source::List { passes: &["/api/v1/captchas"] },
        last_updated_field: None,
        strip_on_restore: &["id", "_links"],
        restorable: false,
        ..Category::DEFAULTS
    },
    Category {
        name: "org_captcha",
        title: "Org-wide CAPTCHA settings",
        scope: "okta.captchas.read",
        source: Source::List { passes: &["/api/v1/org/captcha"] },
        response: Response::Object,
        keep: Keep::Named { id: "org" },
        last_updated_field: None,
        references: &[to("captchaId", "captchas")],
        strip_on_restore: &["_links"],
        restore: Restore::update_only(put("/api/v1/org/captcha")),
        ..Category::DEFAULTS
    },
    Category {
        name: "brands",
        title: "Brands",
        scope: "okta.brands.read",
        source: Source::List { passes: &["/api/v1/brands"] },
        page_limit: Some(200),
        last_updated_field: None,
        references: &[to("emailDomainId", "email_domains"), to("defaultApp.appInstanceId", "apps")],
        natural_key: &["/name"],
        strip_on_restore: &["id", "_links", "_embedded", "isDefault"],
        strip_on_create: &[
            "agreeToCustomPrivacyPolicy", "customPrivacyPolicyUrl", "defaultApp", "emailDomainId", "locale",
            "removePoweredByOkta",
        ],
        restore: Restore::create_and_update(post("/api/v1/brands"), put("/api/v1/brands/{brandId}")),
        log_target: Some("Brand"),
        ..Category::DEFAULTS
    },
    Category {
        // One theme per brand, updated in place; logo/favicon/background are URLs to assets.
        name: "brand_themes",
        title: "Brand themes",
        scope: "okta.brands.read",
        source: Source::PerParent { parent: "brands", path: "/api/v1/brands/{id}/themes" },
        keep: Keep::WithParent { parent_field: "brandId" },
        last_updated_field: None,
        references: &[to("brandId", "brands")],
        strip_on_restore: &["id", "_links", "logo", "favicon", "backgroundImage", "brandId"],
        restore: Restore::update_only(put("/api/v1/brands/{brandId}/themes/{themeId}")),
        log_target: Some("Theme"),
        ..Category::DEFAULTS
    },
    Category {
        // Template names are fixed; restore writes their settings and customizations.
        name: "email_templates",
        title: "Email templates",
        scope: "okta.templates.read",
        source: Source::PerParent {
            parent: "brands",
            path: "/api/v1/brands/{id}/templates/email?expand=settings,customizationCount",
        },
        page_limit: Some(200),
        keep: Keep::WithParent { parent_field: "brandId" },
        id_pointer: "/name",
        last_updated_field: None,
        references: &[to("brandId", "brands")],
        natural_key: &["/name"],
        strip_on_restore: &["_links"],
        restore: Restore::update_only(put("/api/v1/brands/{brandId}/templates/email/{templateName}/settings")),
        ..Category::DEFAULTS
    },
    // Workflows.
    Category {
        // Restorable: the header `value`s (the receiver's credentials) are never answered, so a restored hook
        // is created without them and must be given them again and re-verified.
        name: "event_hooks",
        title: "Event hooks",
        scope: "okta.eventHooks.read",
        source: Source::List { passes: &["/api/v1/eventHooks"] },
        natural_key: &["/name"],
        strip_on_restore: &[
            "id", "_links", "created", "createdBy", "lastUpdated", "status", "verificationStatus",
            "channel.config.method", "events.filter.type",
        ],
        restore: Restore::create_and_update(post("/api/v1/eventHooks"), put("/api/v1/eventHooks/{eventHookId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/eventHooks/{eventHookId}")),
        log_target: Some("EventHook"),
        ..Category::DEFAULTS
    },
    Category {
        // Download-only: the channel's auth header value or OAuth client secret/private key cannot be read
        // back, and a hook without them cannot call its service.
        name: "inline_hooks",
        title: "Inline hooks",
        scope: "okta.inlineHooks.read",
        source: Source::List { passes: &["/api/v1/inlineHooks"] },
        restorable: false,
        log_target: Some("InlineHook"),
        ..Category::DEFAULTS
    },
    // Devices: download-only, Okta has no create API (devices register themselves through Okta Verify).
    Category {
        name: "devices",
        title: "Devices",
        scope: "okta.devices.read",
        source: Source::List { passes: &["/api/v1/devices"] },
        page_limit: Some(200),
        restorable: false,
        log_target: Some("Device"),
        ..Category::DEFAULTS
    },
    Category {
        // Each item embeds the whole user; `user.id` is the link.
        name: "device_users",
        title: "Device users",
        scope: "okta.devices.read",
        source: Source::PerParent { parent: "devices", path: "/api/v1/devices/{id}/users" },
        keep: Keep::WithParent { parent_field: "deviceId" },
        id_pointer: "/user/id",
        last_updated_field: None,
        references: &[to("deviceId", "devices"), to("user.id", "users")],
        restorable: false,
        ..Category::DEFAULTS
    },
    // Authorization servers: servers, then scopes and claims, then policies, then their rules.
    Category {
        // The `default` server exists in every org and is updated in place. The issuer URL changes in a new org.
        name: "authorization_servers",
        title: "Authorization servers",
        scope: "okta.authorizationServers.read",
        source: Source::List { passes: &["/api/v1/authorizationServers"] },
        page_limit: Some(200),
        references: &[own_child("credentials.signing.kid", "authserver_keys")],
        natural_key: &["/name"],
        strip_on_restore: &["id", "_links", "created", "lastUpdated", "status", "issuer", "credentials"],
        restore: Restore::create_and_update(post("/api/v1/authorizationServers"), put("/api/v1/authorizationServers/{authServerId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/authorizationServers/{authServerId}")),
        log_target: Some("AuthorizationServer"),
        ..Category::DEFAULTS
    },
    Category {
        // System scopes (openid, profile...) exist already and are skipped on restore.
        name: "authserver_scopes",
        title: "Authorization server scopes",
        scope: "okta.authorizationServers.read",
        source: Source::PerParent { parent: "authorization_servers", path: "/api/v1/authorizationServers/{id}/scopes" },
        page_limit: Some(200),
        keep: Keep::WithParent { parent_field: "authServerId" },
        last_updated_field: None,
        references: &[to("authServerId", "authorization_servers")],
        natural_key: &["/name"],
        strip_on_restore: &["id", "_links", "system", "authServerId"],
        restore: Restore::create_and_update(post("/api/v1/authorizationServers/{authServerId}/scopes"), put("/api/v1/authorizationServers/{authServerId}/scopes/{scopeId}")),
        ..Category::DEFAULTS
    },
    Category {
        name: "authserver_claims",
        title: "Authorization server claims",
        scope: "okta.authorizationServers.read",
        source: Source::PerParent { parent: "authorization_servers", path: "/api/v1/authorizationServers/{id}/claims" },
        keep: Keep::WithParent { parent_field: "authServerId" },
        last_updated_field: None,
        references: &[to("authServerId", "authorization_servers")],
        natural_key: &["/name", "/claimType"],
        strip_on_restore: &["id", "_links", "system", "authServerId"],
        restore: Restore::create_and_update(post("/api/v1/authorizationServers/{authServerId}/claims"), put("/api/v1/authorizationServers/{authServerId}/claims/{claimId}")),
        ..Category::DEFAULTS
    },
    Category {
        // `conditions.clients.include` holds OAuth client ids (an OIDC app's id) or `ALL_CLIENTS`.
        name: "authserver_policies",
        title: "Authorization server policies",
        scope: "okta.authorizationServers.read",
        source: Source::PerParent { parent: "authorization_servers", path: "/api/v1/authorizationServers/{id}/policies" },
        keep: Keep::WithParent { parent_field: "authServerId" },
        references: &[to("authServerId", "authorization_servers"), client_id("conditions.clients.include[]")],
        natural_key: &["/name"],
        strip_on_restore: &["id", "_links", "created", "lastUpdated", "status", "system", "authServerId"],
        restore: Restore::create_and_update(post("/api/v1/authorizationServers/{authServerId}/policies"), put("/api/v1/authorizationServers/{authServerId}/policies/{policyId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/authorizationServers/{authServerId}/policies/{policyId}")),
        log_target: Some("PolicyEntity"),
        ..Category::DEFAULTS
    },
    Category {
        // Listed per server and policy: the parent id is `server/policy`.
        name: "authserver_policy_rules",
        title: "Authorization server policy rules",
        scope: "okta.authorizationServers.read",
        source: Source::PerParent {
            parent: "authserver_policies",
            path: "/api/v1/authorizationServers/{0}/policies/{1}/rules",
        },
        keep: Keep::WithParent { parent_field: "policyId" },
        references: &[
            to("policyId", "authserver_policies"),
            to("conditions.people.users.include[]", "users"),
            to("conditions.people.groups.include[]", "groups"),
            to("actions.token.inlineHook.id", "inline_hooks"),
        ],
        natural_key: &["/name"],
        strip_on_restore: &[
            "id", "_links", "created", "lastUpdated", "status", "system", "policyId",
            "conditions.people.users.exclude", "conditions.people.groups.exclude",
        ],
        restore: Restore::create_and_update(post("/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules"), put("/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}")),
        log_target: Some("PolicyRule"),
        ..Category::DEFAULTS
    },
    Category {
        // Download-only: public halves of Okta-generated signing keys; a new org generates its own. The rotation
        // mode is restored with the server (`credentials.signing.rotationMode`).
        name: "authserver_keys",
        title: "Authorization server signing keys",
        scope: "okta.authorizationServers.read",
        source: Source::PerParent {
            parent: "authorization_servers",
            path: "/api/v1/authorizationServers/{id}/credentials/keys",
        },
        keep: Keep::WithParent { parent_field: "authServerId" },
        id_pointer: "/kid",
        last_updated_field: None,
        references: &[to("authServerId", "authorization_servers")],
        restorable: false,
        ..Category::DEFAULTS
    },
    // Identity providers: keys before the IdPs that trust them. Routing rules live in IDP_DISCOVERY policies.
    Category {
        // Download-only: Okta keeps only the public certificate; a restore uploads the same certificate again
        // from `x5c` (`POST /api/v1/idps/credentials/keys`), which gets a new `kid`.
        name: "idp_keys",
        title: "Identity provider signing keys",
        scope: "okta.idps.read",
        source: Source::List { passes: &["/api/v1/idps/credentials/keys"] },
        page_limit: Some(200),
        id_pointer: "/kid",
        restorable: false,
        ..Category::DEFAULTS
    },
    Category {
        // A social/OIDC IdP's client secret is not answered: a restored IdP needs it entered again.
        name: "identity_providers",
        title: "Identity providers",
        scope: "okta.idps.read",
        source: Source::List { passes: &["/api/v1/idps"] },
        page_limit: Some(200),
        references: &[
            to("protocol.credentials.trust.kid", "idp_keys"),
            to("protocol.credentials.trust.additionalKids[]", "idp_keys"),
            to("policy.provisioning.groups.assignments[]", "groups"),
            to("policy.provisioning.groups.filter[]", "groups"),
            to("policy.accountLink.filter.groups.include[]", "groups"),
        ],
        natural_key: &["/name"],
        strip_on_restore: &["id", "_links", "_embedded", "created", "lastUpdated", "status", "policy.mapAMRClaims"],
        restore: Restore::create_and_update(post("/api/v1/idps"), put("/api/v1/idps/{idpId}")).switched(ACTIVE_OR_INACTIVE, lifecycle!("/api/v1/idps/{idpId}")),
        log_target: Some("IdentityProvider"),
        ..Category::DEFAULTS
    },
    // Application extras.
    Category {
        // The OIDC apps seen through Dynamic Client Registration (client metadata: redirect URIs, grant types...).
        // Restored through `apps`, which hold the same clients; secrets are never answered on a read.
        name: "oauth_clients",
        title: "OAuth clients",
        scope: "okta.clients.read",
        source: Source::List { passes: &["/oauth2/v1/clients"] },
        page_limit: Some(200),
        id_pointer: "/client_id",
        last_updated_field: None,
        references: &[client_id("client_id")],
        restorable: false,
        ..Category::DEFAULTS
    },
    Category {
        // Management-API scopes granted to an OAuth app (`clientId` is the app's id).
        name: "app_grants",
        title: "Application scope grants",
        scope: "okta.appGrants.read",
        source: Source::PerParent { parent: "apps", path: "/api/v1/apps/{id}/grants" },
        keep: Keep::WithParent { parent_field: "appId" },
        // `issuer` is the org's URL: an href naming no object, moved to the target org like every href.
        references: &[to("appId", "apps"), client_id("clientId"), href("issuer")],
        natural_key: &["/scopeId"],
        strip_on_restore: &[
            "id", "_links", "_embedded", "created", "createdBy", "lastUpdated", "status", "source", "appId",
            "clientId",
        ],
        restore: Restore::create_only(post("/api/v1/apps/{appId}/grants")),
        ..Category::DEFAULTS
    },
    Category {
        // Download-only: public certificates only; a key's private half never leaves Okta.
        name: "app_keys",
        title: "Application signing keys",
        scope: "okta.apps.read",
        source: Source::PerParent { parent: "apps", path: "/api/v1/apps/{id}/credentials/keys" },
        keep: Keep::WithParent { parent_field: "appId" },
        id_pointer: "/kid",
        references: &[to("appId", "apps")],
        restorable: false,
        ..Category::DEFAULTS
    },
    Category {
        // Download-only: a pending CSR's private key stays in Okta; a new org generates its own.
        name: "app_csrs",
        title: "Application certificate signing requests",
        scope: "okta.apps.read",
        source: Source::PerParent { parent: "apps", path: "/api/v1/apps/{id}/credentials/csrs" },
        keep: Keep::WithParent { parent_field: "appId" },
        last_updated_field: None,
        references: &[to("appId", "apps")],
        restorable: false,
        ..Category::DEFAULTS
    },
    Category {
        // Restored before any linked object value (the manager of a user) can be.
        name: "linked_object_definitions",
        title: "Linked object definitions",
        scope: "okta.linkedObjects.read",
        source: Source::List { passes: &["/api/v1/meta/schemas/user/linkedObjects"] },
        id_pointer: "/primary/name",
        last_updated_field: None,
        natural_key: &["/primary/name"],
        strip_on_restore: &["_links"],
        restore: Restore::create_only(post("/api/v1/meta/schemas/user/linkedObjects")),
        ..Category::DEFAULTS
    },
    Category {
        // Each user's primary in each relationship (their manager): querying the primary name for every user
        // finds every link, since an associated user has at most one primary per relationship. Okta logs no
        // event for a link change, so the pairs are read on a cadence in time and carried in between.
        name: "linked_object_values",
        title: "Linked object values",
        scope: "okta.users.read",
        source: Source::PerParentAndName {
            parent: "users",
            names: "linked_object_definitions",
            path: "/api/v1/users/{id}/linkedObjects/{name}",
        },
        keep: Keep::LinkedUser { parent_field: "userId", name_field: "relationship", child_field: "primaryUserId" },
        id_pointer: "/_links/self/href",
        last_updated_field: None,
        incremental: Incremental::OnCadence,
        references: &[
            to("userId", "users"),
            to("primaryUserId", "users"),
            to("relationship", "linked_object_definitions"),
        ],
        strip_on_restore: &[],
        restore: Restore::create_only(put("/api/v1/users/{userIdOrLogin}/linkedObjects/{primaryRelationshipName}/{primaryUserId}")),
        ..Category::DEFAULTS
    },
    // Users' security: enrolled factors. One call per user, so only users that a factor event names are listed
    // again between full refreshes.
    Category {
        // Only phone and email factors can be recreated without the person; the rest need re-enrolment. No
        // `activate`: the lifecycle call needs the passcode the person receives; a create with `?activate=true`
        // is the only unattended activation (sms, call, email, token:hotp). Okta has no factor deactivate.
        name: "user_factors",
        title: "Enrolled factors",
        scope: "okta.users.read",
        source: Source::PerParent { parent: "users", path: "/api/v1/users/{id}/factors" },
        keep: Keep::WithParent { parent_field: "userId" },
        incremental: Incremental::WhenParentChangesOrLogged { field: "lastUpdated", events: FACTOR_EVENTS, target: "User" },
        references: &[to("userId", "users")],
        natural_key: &["/factorType", "/provider"],
        strip_on_restore: &[
            "id", "_links", "_embedded", "created", "lastUpdated", "status", "userId", "vendorName",
            "profile.questionText",
        ],
        restores_only: Some(ParentFilter { pointer: "/factorType", any_of: &["sms", "call", "email", "token:hotp"] }),
        restore: Restore::create_only(post("/api/v1/users/{userId}/factors")),
        ..Category::DEFAULTS
    },
    // Profile mappings: the list omits `properties`, so each mapping is read again whole.
    Category {
        // The index the whole mappings are read from; restore uses `profile_mapping_properties`.
        name: "profile_mappings",
        title: "Profile mappings (list)",
        scope: "okta.profileMappings.read",
        source: Source::List { passes: &["/api/v1/mappings"] },
        page_limit: Some(200),
        last_updated_field: None,
        references: &[mapping_end("source.id"), mapping_end("target.id")],
        restorable: false,
        log_target: Some("Mapping"),
        ..Category::DEFAULTS
    },
    Category {
        // No create: a restore finds the target org's mapping by source and target and updates its properties.
        name: "profile_mapping_properties",
        title: "Profile mappings with their property expressions",
        scope: "okta.profileMappings.read",
        source: Source::PerParent { parent: "profile_mappings", path: "/api/v1/mappings/{id}" },
        response: Response::Object,
        last_updated_field: None,
        references: &[mapping_end("source.id"), mapping_end("target.id")],
        natural_key: &["/source/id", "/target/id"],
        strip_on_restore: &["id", "_links", "source", "target"],
        restore: Restore::update_only(post("/api/v1/mappings/{mappingId}")),
        ..Category::DEFAULTS
    },
    Category {
        name: "sms_templates",
        title: "SMS templates",
        scope: "okta.templates.read",
        source: Source::List { passes: &["/api/v1/templates/sms"] },
        natural_key: &["/name"],
        restore: Restore::create_and_update(post("/api/v1/templates/sms"), put("/api/v1/templates/sms/{templateId}")),
        log_target: Some("SmsTemplate"),
        ..Category::DEFAULTS
    },
    Category {
        // A switch with one bodiless call per state and no update: `activate` shows the footer
        // (`showEndUserFooter: true`), `deactivate` hides it.
        name: "org_preferences",
        title: "Org preferences",
        scope: "okta.orgs.read",
        source: Source::List { passes: &["/api/v1/org/preferences"] },
        response: Response::Object,
        keep: Keep::Named { id: "preferences" },
        last_updated_field: None,
        strip_on_restore: &["_links"],
        restore: Restore::NONE.switched(OnWhen::Flag { field: "showEndUserFooter", on: true }, (post("/api/v1/org/preferences/showEndUserFooter"), post("/api/v1/org/preferences/hideEndUserFooter"))),
        ..Category::DEFAULTS
    },
    Category {
        // A switch with one bodiless call per state and no update. "On" is users getting Okta's emails:
        // `activate` opts in (`optOutEmailUsers: false`), `deactivate` opts out (`true`).
        name: "org_okta_communication",
        title: "Okta communication opt-in",
        scope: "okta.orgs.read",
        source: Source::List { passes: &["/api/v1/org/privacy/oktaCommunication"] },
        response: Response::Object,
        keep: Keep::Named { id: "oktaCommunication" },
        last_updated_field: None,
        strip_on_restore: &["_links"],
        restore: Restore::NONE.switched(OnWhen::Flag { field: "optOutEmailUsers", on: false }, (post("/api/v1/org/privacy/oktaCommunication/optIn"), post("/api/v1/org/privacy/oktaCommunication/optOut"))),
        ..Category::DEFAULTS
    },
    Category {
        name: "org_okta_support",
        title: "Okta support access",
        scope: "okta.orgs.read",
        source: Source::List { passes: &["/api/v1/org/privacy/oktaSupport"] },
        response: Response::Object,
        keep: Keep::Named { id: "oktaSupport" },
        last_updated_field: None,
        // Support access is granted for a limited time: never restored blindly.
        restorable: false,
        ..Category::DEFAULTS
    },
    Category {
        name: "org_third_party_admin",
        title: "Third-party admin setting",
        scope: "okta.orgs.read",
        source: Source::List { passes: &["/api/v1/org/orgSettings/thirdPartyAdminSetting"] },
        response: Response::Object,
        keep: Keep::Named { id: "thirdPartyAdminSetting" },
        last_updated_field: None,
        strip_on_restore: &["_links"],
        restore: Restore::update_only(post("/api/v1/org/orgSettings/thirdPartyAdminSetting")),
        ..Category::DEFAULTS
    },
    Category {
        name: "org_auto_assign_admin_app",
        title: "Auto-assign Admin Console app setting",
        scope: "okta.orgs.read",
        source: Source::List { passes: &["/api/v1/org/settings/autoAssignAdminAppSetting"] },
        response: Response::Object,
        keep: Keep::Named { id: "autoAssignAdminAppSetting" },
        last_updated_field: None,
        strip_on_restore: &["_links"],
        restore: Restore::update_only(post("/api/v1/org/settings/autoAssignAdminAppSetting")),
        ..Category::DEFAULTS
    },
    Category {
        name: "org_client_privileges",
        title: "Public client app admin privileges setting",
        scope: "okta.orgs.read",
        source: Source::List { passes: &["/api/v1/org/settings/clientPrivilegesSetting"] },
        response: Response::Object,
        keep: Keep::Named { id: "clientPrivilegesSetting" },
        last_updated_field: None,
        strip_on_restore: &["_links"],
        restore: Restore::update_only(put("/api/v1/org/settings/clientPrivilegesSetting")),
        ..Category::DEFAULTS
    },
    // Admin roles: custom roles and resource sets first, then who holds which role. The IAM endpoints wrap their
    // lists in an object and page by a link in the body.
    Category {
        // Matched by `label` on restore.
        name: "custom_roles",
        title: "Custom admin roles",
        scope: "okta.roles.read",
        source: Source::List { passes: &["/api/v1/iam/roles"] },
        response: Response::Wrapped { field: "roles" },
        natural_key: &["/label"],
        strip_on_restore: &["id", "_links", "created", "lastUpdated"],
        restore: Restore::create_and_update(post("/api/v1/iam/roles"), put("/api/v1/iam/roles/{roleIdOrLabel}")),
        log_target: Some("CustomRole"),
        ..Category::DEFAULTS
    },
    Category {
        name: "role_permissions",
        title: "Custom role permissions",
        scope: "okta.roles.read",
        source: Source::PerParent { parent: "custom_roles", path: "/api/v1/iam/roles/{id}/permissions" },
        response: Response::Wrapped { field: "permissions" },
        keep: Keep::WithParent { parent_field: "roleId" },
        id_pointer: "/label",
        references: &[to("roleId", "custom_roles")],
        natural_key: &["/label"],
        strip_on_restore: &["_links", "created", "lastUpdated", "roleId", "label"],
        restore: Restore::create_and_update(post("/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}"), put("/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}")),
        ..Category::DEFAULTS
    },
    Category {
        // Matched by `label` on restore.
        name: "resource_sets",
        title: "Resource sets",
        scope: "okta.roles.read",
        source: Source::List { passes: &["/api/v1/iam/resource-sets"] },
        response: Response::Wrapped { field: "resource-sets" },
        natural_key: &["/label"],
        strip_on_restore: &["id", "_links", "created", "lastUpdated"],
        restore: Restore::create_and_update(post("/api/v1/iam/resource-sets"), put("/api/v1/iam/resource-sets/{resourceSetIdOrLabel}")),
        log_target: Some("ResourceSet"),
        ..Category::DEFAULTS
    },
    Category {
        // An ORN (`orn:okta:directory:<org id>:groups:<id>`) or a REST URL names the resource: both embed the source
        // org, so a restore into another org rewrites them.
        name: "resource_set_resources",
        title: "Resource set resources",
        scope: "okta.roles.read",
        source: Source::PerParent { parent: "resource_sets", path: "/api/v1/iam/resource-sets/{id}/resources" },
        response: Response::Wrapped { field: "resources" },
        page_limit: Some(100),
        keep: Keep::WithParent { parent_field: "resourceSetId" },
        references: &[to("resourceSetId", "resource_sets"), orn("orn"), href("_links.self.href")],
        natural_key: &["/orn"],
        strip_on_restore: &["id", "_links", "created", "lastUpdated", "resourceSetId"],
        restore: Restore::create_and_update(post("/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources"), put("/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources/{resourceId}")),
        ..Category::DEFAULTS
    },
    Category {
        // `id` is the custom role bound to the resource set.
        name: "resource_set_bindings",
        title: "Resource set bindings",
        scope: "okta.roles.read",
        source: Source::PerParent { parent: "resource_sets", path: "/api/v1/iam/resource-sets/{id}/bindings" },
        response: Response::Wrapped { field: "roles" },
        keep: Keep::WithParent { parent_field: "resourceSetId" },
        last_updated_field: None,
        references: &[to("resourceSetId", "resource_sets"), to("id", "custom_roles")],
        natural_key: &["/id"],
        strip_on_restore: &["_links", "resourceSetId"],
        restore: Restore::create_only(post("/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings")),
        ..Category::DEFAULTS
    },
    Category {
        // Listed per binding: the parent id is `resource set/role`. Members are hrefs to users and groups.
        name: "resource_set_binding_members",
        title: "Resource set binding members",
        scope: "okta.roles.read",
        source: Source::PerParent {
            parent: "resource_set_bindings",
            path: "/api/v1/iam/resource-sets/{0}/bindings/{1}/members",
        },
        response: Response::Wrapped { field: "members" },
        keep: Keep::WithParent { parent_field: "bindingId" },
        references: &[to("bindingId", "resource_set_bindings"), href_to("_links.self.href", &["users", "groups"])],
        natural_key: &["/_links/self/href"],
        strip_on_restore: &["id", "created", "lastUpdated", "bindingId"],
        restore: Restore::create_only(patch("/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members")),
        ..Category::DEFAULTS
    },
    Category {
        // The users holding any admin role: role assignments are read for them only, not for every user.
        name: "role_assignees",
        title: "Users with admin roles",
        scope: "okta.roles.read",
        source: Source::List { passes: &["/api/v1/iam/assignees/users"] },
        response: Response::Wrapped { field: "value" },
        page_limit: Some(100),
        last_updated_field: None,
        references: &[to("id", "users"), orn_of("orn", &["users"])],
        restorable: false,
        ..Category::DEFAULTS
    },
    Category {
        // A custom role assignment names its role and resource set.
        name: "user_roles",
        title: "Admin role assignments to users",
        scope: "okta.roles.read",
        source: Source::PerParent { parent: "role_assignees", path: "/api/v1/users/{id}/roles" },
        keep: Keep::WithParent { parent_field: "userId" },
        references: &[to("userId", "users"), to("role", "custom_roles"), to("resource-set", "resource_sets")],
        natural_key: &["/type", "/role", "/resource-set"],
        strip_on_restore: &[
            "id", "_links", "_embedded", "created", "lastUpdated", "status", "assignmentType", "userId", "label",
        ],
        restore: Restore::create_only(post("/api/v1/users/{userId}/roles")),
        ..Category::DEFAULTS
    },
    Category {
        // One call per group; between full refreshes only groups that a privilege event names.
        name: "group_roles",
        title: "Admin role assignments to groups",
        scope: "okta.roles.read",
        source: Source::PerParent { parent: "groups", path: "/api/v1/groups/{id}/roles" },
        keep: Keep::WithParent { parent_field: "groupId" },
        incremental: Incremental::WhenParentChangesOrLogged {
            field: "lastUpdated",
            events: GROUP_ROLE_EVENTS,
            target: "UserGroup",
        },
        references: &[to("groupId", "groups"), to("role", "custom_roles"), to("resource-set", "resource_sets")],
        natural_key: &["/type", "/role", "/resource-set"],
        strip_on_restore: &[
            "id", "_links", "_embedded", "created", "lastUpdated", "status", "assignmentType", "groupId", "label",
        ],
        restore: Restore::create_only(post("/api/v1/groups/{groupId}/roles")),
        ..Category::DEFAULTS
    },
    // Role targets: which groups or apps a standard role assignment is limited to. Restoring an assignment
    // without them would widen it to every group or app.
    Category {
        name: "user_role_group_targets",
        title: "Group targets of users' admin roles",
        scope: "okta.roles.read",
        source: Source::PerParent { parent: "user_roles", path: "/api/v1/users/{0}/roles/{1}/targets/groups" },
        page_limit: Some(200),
        keep: Keep::Edge { parent_field: "roleAssignmentId", child_field: "groupId" },
        parent_filter: Some(GROUP_TARGETED_ROLES),
        last_updated_field: None,
        references: &[to("roleAssignmentId", "user_roles"), to("groupId", "groups")],
        strip_on_restore: &[],
        restore: Restore::create_only(put("/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/groups/{groupId}")),
        ..Category::DEFAULTS
    },
    Category {
        // An OIN app (by `name`) or one instance of it (with `id`). `create` is the instance form; a target without
        // `id` (every instance of the app) is the same path without `/{appId}`.
        name: "user_role_app_targets",
        title: "App targets of users' admin roles",
        scope: "okta.roles.read",
        source: Source::PerParent { parent: "user_roles", path: "/api/v1/users/{0}/roles/{1}/targets/catalog/apps" },
        page_limit: Some(200),
        keep: Keep::WithParent { parent_field: "roleAssignmentId" },
        parent_filter: Some(APP_TARGETED_ROLES),
        id_pointer: "/id|/name",
        last_updated_field: None,
        references: &[to("roleAssignmentId", "user_roles"), to("id", "apps")],
        natural_key: &["/name", "/id"],
        strip_on_restore: &["_links", "roleAssignmentId"],
        restore: Restore::create_only(put("/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}/{appId}")),
        ..Category::DEFAULTS
    },
    Category {
        name: "group_role_group_targets",
        title: "Group targets of groups' admin roles",
        scope: "okta.roles.read",
        source: Source::PerParent { parent: "group_roles", path: "/api/v1/groups/{0}/roles/{1}/targets/groups" },
        page_limit: Some(200),
        keep: Keep::Edge { parent_field: "roleAssignmentId", child_field: "groupId" },
        parent_filter: Some(GROUP_TARGETED_ROLES),
        last_updated_field: None,
        references: &[to("roleAssignmentId", "group_roles"), to("groupId", "groups")],
        strip_on_restore: &[],
        restore: Restore::create_only(put("/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/groups/{targetGroupId}")),
        ..Category::DEFAULTS
    },
    Category {
        // As `user_role_app_targets`: a target without `id` drops `/{appId}` from the path.
        name: "group_role_app_targets",
        title: "App targets of groups' admin roles",
        scope: "okta.roles.read",
        source: Source::PerParent { parent: "group_roles", path: "/api/v1/groups/{0}/roles/{1}/targets/catalog/apps" },
        page_limit: Some(200),
        keep: Keep::WithParent { parent_field: "roleAssignmentId" },
        parent_filter: Some(APP_TARGETED_ROLES),
        id_pointer: "/id|/name",
        last_updated_field: None,
        references: &[to("roleAssignmentId", "group_roles"), to("id", "apps")],
        natural_key: &["/name", "/id"],
        strip_on_restore: &["_links", "roleAssignmentId"],
        restore: Restore::create_only(put("/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}/{appId}")),
        ..Category::DEFAULTS
    },
    Category {
        // Download-only history: each snapshot keeps the events of its own log window (see Source::Log).
        name: "system_log",
        title: "System Log events (since the previous snapshot)",
        scope: "okta.logs.read",
        source: Source::Log { path: "/api/v1/logs" },
        page_limit: Some(1000),
        id_pointer: "/uuid",
        last_updated_field: Some("published"),
        strip_on_restore: &[],
        restorable: false,
        ..Category::DEFAULTS
    },
];

/// Which write a request body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Write {
    Create,
    Update,
}

/// Removes, at every depth, object fields that are `null` or an empty object (after their own fields are).
fn drop_empty(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(drop_empty);
            fields.retain(|_, v| !v.is_null() && v.as_object().is_none_or(|o| !o.is_empty()));
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_empty),
        _ => {}
    }
}

/// Width of a category-name column in a report: the longest name in the catalog, so tables line up.
pub fn name_width() -> usize {
    CATEGORIES.iter().map(|c| c.name.len()).max().unwrap_or(0)
}

/// Width of a category-title column.
pub fn title_width() -> usize {
    CATEGORIES.iter().map(|c| c.title.len()).max().unwrap_or(0)
}

/// The row named `name`.
pub fn find(name: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.name == name)
}

/// Categories as the catalog lists them (parents first), then any the catalog no longer has.
pub fn in_catalog_order<'a, T>(items: impl Iterator<Item = (&'a String, T)>) -> Vec<(&'a String, T)> {
    let rank = |name: &str| CATEGORIES.iter().position(|c| c.name == name).unwrap_or(usize::MAX);
    let mut items: Vec<_> = items.collect();
    items.sort_by_key(|(name, _)| (rank(name), name.to_string()));
    items
}

impl Category {
    /// Whether the category holds events (each snapshot its own window of them) rather than a state of the org:
    /// comparing two snapshots of it says nothing about what changed.
    pub fn is_event_log(&self) -> bool {
        matches!(self.source, Source::Log { .. })
    }

    /// The category this one is listed under, if it is listed per parent.
    pub fn parent(&self) -> Option<&'static Category> {
        match self.source {
            Source::PerParent { parent, .. }
            | Source::PerParentLink { parent, .. }
            | Source::PerParentAndName { parent, .. } => find(parent),
            Source::List { .. } | Source::Log { .. } => None,
        }
    }

    /// Every category that must be complete before this one starts: its parent, and for a
    /// [`Source::PerParentAndName`] row the category its names come from.
    pub fn requires(&self) -> Vec<&'static Category> {
        let names = match self.source {
            Source::PerParentAndName { names, .. } => find(names),
            _ => None,
        };
        self.parent().into_iter().chain(names).collect()
    }

    /// What a restore sends of a stored object in a create or an update: the object without the fields
    /// `strip_on_restore` and the write's own list name, and without `null`s and empty objects (fields with
    /// nothing to say: the spec types them without `null`, and an absent field is as unset on a write).
    pub fn stripped(&self, object: &serde_json::Value, write: Write) -> serde_json::Value {
        let own = match write {
            Write::Create => self.strip_on_create,
            Write::Update => self.strip_on_update,
        };
        let mut body = object.clone();
        for path in self.strip_on_restore.iter().chain(own) {
            crate::references::path::remove(&mut body, path);
        }
        drop_empty(&mut body);
        body
    }

    /// Whether a restore writes `object`: see `restores_only`.
    pub fn restores(&self, object: &serde_json::Value) -> bool {
        self.restores_only.is_none_or(|only| {
            object
                .pointer(only.pointer)
                .and_then(serde_json::Value::as_str)
                .is_some_and(|v| only.any_of.contains(&v))
        })
    }

    /// The id a stored object of this row is kept under (see [`Keep`]), read back from the stored object: its own
    /// id (the first of `id_pointer`'s pointers it has), prefixed by the parent field for a per-parent row.
    /// `None` when a field it needs is missing.
    pub fn stored_id(&self, object: &serde_json::Value) -> Option<String> {
        let field = |name: &str| object.get(name).and_then(serde_json::Value::as_str);
        let own = || {
            self.id_pointer
                .split('|')
                .find_map(|pointer| object.pointer(pointer).and_then(serde_json::Value::as_str))
        };
        match self.keep {
            Keep::Whole => own().map(str::to_owned),
            Keep::Named { id } => Some(id.to_owned()),
            Keep::WithParent { parent_field } => Some(format!("{}/{}", field(parent_field)?, own()?)),
            Keep::OnePerParent { parent_field } => field(parent_field).map(str::to_owned),
            Keep::Edge {
                parent_field,
                child_field,
            } => Some(format!("{}/{}", field(parent_field)?, field(child_field)?)),
            Keep::LinkedUser {
                parent_field,
                name_field,
                child_field,
            } => Some(format!(
                "{}/{}/{}",
                field(parent_field)?,
                field(name_field)?,
                field(child_field)?
            )),
        }
    }

    /// How many levels of required categories sit above this one (0 for top-level lists). Categories
    /// of one depth can be backed up in parallel; a deeper one waits for those it requires.
    pub fn depth(&self) -> usize {
        self.requires().iter().map(|r| r.depth() + 1).max().unwrap_or(0)
    }
}

/// The categories grouped by [`Category::depth`], shallowest first: the stages of a backup.
pub fn stages(selected: &[&'static Category]) -> Vec<Vec<&'static str>> {
    let max = selected.iter().map(|c| c.depth()).max().unwrap_or(0);
    (0..=max)
        .map(|d| {
            selected
                .iter()
                .filter(|c| c.depth() == d)
                .map(|c| c.name)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown category {name:?}; the categories are {}", CATEGORIES.iter().map(|c| c.name).collect::<Vec<_>>().join(", "))]
pub struct UnknownCategory {
    pub name: String,
}

/// The requested categories (all when `None`) in catalog order, with the categories they require:
/// memberships cannot be listed without their groups.
pub fn select(requested: Option<&[String]>) -> Result<Vec<&'static Category>, UnknownCategory> {
    let Some(requested) = requested else {
        return Ok(CATEGORIES.iter().collect());
    };
    let mut wanted = Vec::new();
    for name in requested {
        let mut pending = vec![find(name).ok_or_else(|| UnknownCategory { name: name.clone() })?];
        while let Some(category) = pending.pop() {
            wanted.push(category.name);
            pending.extend(category.requires());
        }
    }
    Ok(CATEGORIES.iter().filter(|c| wanted.contains(&c.name)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parent_and_reference_names_a_known_category_listed_before_it() {
        for (i, c) in CATEGORIES.iter().enumerate() {
            for p in c.requires() {
                let pos = CATEGORIES.iter().position(|x| x.name == p.name).unwrap();
                assert!(pos < i, "{} is listed before {}, which it requires", c.name, p.name);
            }
            if let Source::PerParent { parent, path } = c.source {
                assert!(find(parent).is_some(), "{}: unknown parent {parent}", c.name);
                assert!(
                    path.contains("{id}") || path.contains("{0}"),
                    "{}: per-parent path lacks {{id}} (or {{0}}, {{1}}... for a nested parent)",
                    c.name
                );
            }
            for r in c.references {
                for category in r.categories() {
                    assert!(
                        find(category).is_some(),
                        "{}: {} names unknown {category}",
                        c.name,
                        r.path
                    );
                }
            }
        }
    }

    #[test]
    fn every_reference_pairs_a_form_with_a_target_it_can_name() {
        for c in CATEGORIES {
            for r in c.references {
                let fits = match (r.form, r.target) {
                    (Form::Orn | Form::Href, target) => {
                        matches!(target, Target::InValue | Target::AnyOf { names: [_, ..] })
                    }
                    (Form::Expression, target) => target == Target::Category { name: "groups" },
                    (Form::ClientId, target) => target == Target::Category { name: "apps" },
                    (Form::Id, Target::ChosenBy { among, .. }) => !among.is_empty(),
                    (Form::Id, Target::OwnChild { category }) => {
                        matches!(c.keep, Keep::Whole)
                            && find(category).is_some_and(|child| child.parent().map(|p| p.name) == Some(c.name))
                    }
                    (Form::Id, Target::Category { .. }) => true,
                    (Form::Id, Target::InValue | Target::AnyOf { .. }) => false,
                };
                assert!(fits, "{}: {} pairs {:?} with {:?}", c.name, r.path, r.form, r.target);
            }
        }
    }

    #[test]
    fn reference_paths_are_dotted_names_with_brackets_only_at_the_end_of_a_name() {
        for c in CATEGORIES {
            for r in c.references {
                for segment in r.path.split('.') {
                    let name = segment.strip_suffix("[]").unwrap_or(segment);
                    assert!(
                        !name.is_empty() && !name.contains(['[', ']', '/', ' ']),
                        "{}: {:?} has a malformed step {segment:?}",
                        c.name,
                        r.path
                    );
                }
            }
        }
    }

    #[test]
    fn natural_keys_and_restore_after_are_declared_only_where_they_mean_something() {
        for c in CATEGORIES {
            for pointer in c.natural_key {
                assert!(
                    pointer.starts_with('/'),
                    "{}: natural key {pointer:?} is not a JSON pointer",
                    c.name
                );
            }
            if !c.restorable {
                assert!(
                    c.natural_key.is_empty() && c.restore_after.is_empty(),
                    "{}: download-only",
                    c.name
                );
            }
            for after in c.restore_after {
                let before = find(after).unwrap_or_else(|| panic!("{}: restored after unknown {after}", c.name));
                assert!(before.restorable, "{}: restored after download-only {after}", c.name);
            }
        }
    }

    #[test]
    fn stripped_bodies_drop_the_rows_fields_nested_ones_nulls_and_empty_objects() {
        let users = find("users").unwrap();
        let stored = serde_json::json!({
            "id": "00u1", "status": "ACTIVE", "type": {"id": "oty1"},
            "credentials": {"provider": {"type": "OKTA"}, "password": {}},
            "profile": {"login": "a@example.com", "secondEmail": null, "mobilePhone": "+1"}
        });
        assert_eq!(
            users.stripped(&stored, Write::Create),
            serde_json::json!({"type": {"id": "oty1"}, "profile": {"login": "a@example.com", "mobilePhone": "+1"}})
        );
    }

    #[test]
    fn a_create_and_an_update_strip_their_own_fields() {
        let app_users = find("app_users").unwrap();
        let stored = serde_json::json!({
            "appId": "0oa1", "id": "00u1", "scope": "USER", "externalId": null,
            "credentials": {"userName": "a"}, "profile": {"role": "x"}
        });
        let create = app_users.stripped(&stored, Write::Create);
        assert_eq!(create["id"], "00u1");
        assert_eq!(create["scope"], "USER");
        assert!(create.get("appId").is_none(), "the app is in the path: {create}");
        let update = app_users.stripped(&stored, Write::Update);
        assert_eq!(
            update,
            serde_json::json!({"credentials": {"userName": "a"}, "profile": {"role": "x"}})
        );
        let brands = find("brands").unwrap();
        let brand = serde_json::json!({"id": "bnd1", "name": "Partners", "locale": "en", "emailDomainId": "OeD1"});
        assert_eq!(
            brands.stripped(&brand, Write::Create),
            serde_json::json!({"name": "Partners"})
        );
        assert_eq!(brands.stripped(&brand, Write::Update)["emailDomainId"], "OeD1");
    }

    #[test]
    fn restores_only_selects_the_objects_a_restore_writes() {
        let app_users = find("app_users").unwrap();
        assert!(app_users.restores(&serde_json::json!({"scope": "USER"})));
        assert!(!app_users.restores(&serde_json::json!({"scope": "GROUP"})));
        let factors = find("user_factors").unwrap();
        assert!(factors.restores(&serde_json::json!({"factorType": "sms"})));
        assert!(!factors.restores(&serde_json::json!({"factorType": "push"})));
        assert!(!factors.restores(&serde_json::json!({})));
        assert!(find("users").unwrap().restores(&serde_json::json!({})));
    }

    #[test]
    fn stored_ids_are_read_back_as_each_keep_makes_them() {
        let id = |name: &str, object: serde_json::Value| find(name).unwrap().stored_id(&object);
        assert_eq!(id("users", serde_json::json!({"id": "00u1"})).as_deref(), Some("00u1"));
        assert_eq!(id("org_settings", serde_json::json!({})).as_deref(), Some("org"));
        let rule = serde_json::json!({"policyId": "00p1", "id": "0pr1"});
        assert_eq!(id("policy_rules", rule).as_deref(), Some("00p1/0pr1"));
        let target = serde_json::json!({"roleAssignmentId": "00u1/ra1", "name": "slack"});
        assert_eq!(id("user_role_app_targets", target).as_deref(), Some("00u1/ra1/slack"));
        let edge = serde_json::json!({"groupId": "00g1", "userId": "00u1"});
        assert_eq!(id("group_members", edge).as_deref(), Some("00g1/00u1"));
        let link = serde_json::json!({"userId": "00u1", "relationship": "manager", "primaryUserId": "00u2"});
        assert_eq!(id("linked_object_values", link).as_deref(), Some("00u1/manager/00u2"));
        assert_eq!(
            id("app_user_schemas", serde_json::json!({"appId": "0oa1"})).as_deref(),
            Some("0oa1")
        );
        assert_eq!(id("policy_rules", serde_json::json!({"id": "0pr1"})), None);
    }

    #[test]
    fn every_row_names_the_scope_its_endpoints_need() {
        for c in CATEGORIES {
            let paths: Vec<&str> = match c.source {
                Source::List { passes } => passes.to_vec(),
                Source::PerParent { path, .. } | Source::PerParentAndName { path, .. } | Source::Log { path } => {
                    vec![path]
                }
                // The path is read from the parent; its scope is checked with the parent's row and by the e2e tests.
                Source::PerParentLink { .. } => Vec::new(),
            };
            for path in paths {
                assert_eq!(
                    crate::okta::read_scope_for(path),
                    Some(c.scope),
                    "{}: {path} needs another scope than the row says",
                    c.name
                );
            }
        }
    }

    #[test]
    fn restorable_rows_and_only_they_have_restore_endpoints() {
        for c in CATEGORIES {
            let count = c.restore.endpoints().count();
            if c.restorable {
                assert!(count > 0, "{}: restorable, but no call writes it back", c.name);
            } else {
                assert_eq!(count, 0, "{}: download-only, but has restore endpoints", c.name);
            }
        }
    }

    #[test]
    fn lifecycle_calls_come_in_pairs_with_the_field_that_chooses_between_them() {
        for c in CATEGORIES {
            let r = c.restore;
            assert!(
                r.activate.is_some() == r.deactivate.is_some() && r.activate.is_some() == r.on_when.is_some(),
                "{}: activate {:?}, deactivate {:?} and on_when {:?} go together",
                c.name,
                r.activate,
                r.deactivate,
                r.on_when
            );
            for call in r.activate.iter().chain(&r.deactivate) {
                assert_eq!(call.method, "POST", "{}: lifecycle calls are POSTs: {call:?}", c.name);
            }
        }
    }

    #[test]
    fn lifecycle_calls_address_the_object_that_update_does() {
        for c in CATEGORIES {
            let (Some(activate), Some(deactivate)) = (c.restore.activate, c.restore.deactivate) else {
                continue;
            };
            match (c.restore.update, c.source) {
                // An object with a lifecycle: `<its update path>/lifecycle/(de)activate`, same parameters.
                (Some(update), _) => {
                    assert_eq!(
                        activate.path,
                        format!("{}/lifecycle/activate", update.path),
                        "{}",
                        c.name
                    );
                    assert_eq!(
                        deactivate.path,
                        format!("{}/lifecycle/deactivate", update.path),
                        "{}",
                        c.name
                    );
                }
                // A one-of-a-kind switch: two sibling calls under the URL the setting is read from.
                (None, Source::List { passes: [listing] }) => {
                    for call in [activate, deactivate] {
                        let rest = call.path.strip_prefix(&format!("{listing}/"));
                        assert!(
                            rest.is_some_and(|r| !r.is_empty() && !r.contains(['/', '{'])),
                            "{}: {} is not a call of {listing}",
                            c.name,
                            call.path
                        );
                    }
                    assert!(
                        matches!(c.restore.on_when, Some(OnWhen::Flag { .. })),
                        "{}: a switch without an update is chosen by a flag",
                        c.name
                    );
                    assert_eq!(c.response, Response::Object, "{}: a switch is one object", c.name);
                }
                _ => panic!(
                    "{}: has a lifecycle but neither an update path nor one listing URL",
                    c.name
                ),
            }
            assert_ne!(activate, deactivate, "{}", c.name);
        }
    }

    #[test]
    fn rows_chosen_by_status_never_write_status_and_name_disjoint_states() {
        for c in CATEGORIES {
            let Some(OnWhen::Status { on, off }) = c.restore.on_when else {
                continue;
            };
            // A create or replace does not set `status` (Okta ignores or refuses it): the lifecycle call does.
            assert!(
                c.strip_on_restore.contains(&"status"),
                "{}: `status` is sent on create",
                c.name
            );
            assert!(!on.is_empty() && !off.is_empty(), "{}: {on:?} / {off:?}", c.name);
            assert!(
                on.iter().all(|s| !off.contains(s)),
                "{}: {on:?} overlaps {off:?}",
                c.name
            );
        }
    }

    #[test]
    fn the_rows_with_a_lifecycle() {
        let names: Vec<&str> = CATEGORIES
            .iter()
            .filter(|c| c.restore.activate.is_some())
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            vec![
                "users",
                "apps",
                "group_rules",
                "network_zones",
                "authenticators",
                "authenticator_methods",
                "policies",
                "policy_rules",
                "trusted_origins",
                "event_hooks",
                "authorization_servers",
                "authserver_policies",
                "authserver_policy_rules",
                "identity_providers",
                "org_preferences",
                "org_okta_communication"
            ]
        );
        // Created INACTIVE by Okta (CATALOG.md): without `activate` a restored rule would never run.
        assert!(find("group_rules").unwrap().restore.activate.is_some());
    }

    /// A path template with every parameter written `{}`, without its query: `/api/v1/groups/{}/users`.
    fn shape(path: &str) -> Vec<&str> {
        let path = path.split('?').next().unwrap_or(path);
        path.split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect()
    }

    #[test]
    fn every_write_path_of_a_per_parent_row_names_its_parent() {
        for c in CATEGORIES {
            let listing = match c.source {
                Source::PerParent { path, .. } | Source::PerParentAndName { path, .. } => Some(path),
                // The parent's URL comes from the parent itself: the path must at least take a parameter.
                Source::PerParentLink { .. } => None,
                Source::List { .. } | Source::Log { .. } => continue,
            };
            for endpoint in c.restore.endpoints() {
                let Some(listing) = listing else {
                    assert!(
                        endpoint.path.contains('{'),
                        "{}: {} names no parent",
                        c.name,
                        endpoint.path
                    );
                    continue;
                };
                // The listing path up to the parent's id (`{id}`, or `{0}/.../{1}` for a nested parent): a write
                // must address the same parent the same way.
                let segments: Vec<&str> = listing.split('?').next().unwrap_or(listing).split('/').collect();
                let last_parent = segments
                    .iter()
                    .rposition(|s| ["{id}", "{0}", "{1}"].contains(s))
                    .expect("a per-parent path has the parent's id");
                let parent_prefix = shape(listing)[..=last_parent].to_vec();
                let written = shape(endpoint.path);
                assert!(
                    written.starts_with(&parent_prefix),
                    "{}: {} {} does not name the parent the way {listing} does",
                    c.name,
                    endpoint.method,
                    endpoint.path
                );
            }
        }
    }

    #[test]
    fn restore_paths_are_templates_of_known_methods() {
        for c in CATEGORIES {
            for endpoint in c.restore.endpoints() {
                assert!(
                    ["POST", "PUT", "PATCH"].contains(&endpoint.method),
                    "{}: {:?}",
                    c.name,
                    endpoint
                );
                assert!(
                    endpoint.path.starts_with("/api/v1/") && !endpoint.path.contains('?'),
                    "{}: {} is not a bare management API path template",
                    c.name,
                    endpoint.path
                );
            }
        }
    }

    #[test]
    fn names_are_unique_and_key_safe() {
        let mut names: Vec<_> = CATEGORIES.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CATEGORIES.len());
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
    }

    #[test]
    fn stages_put_children_after_parents() {
        let all: Vec<_> = CATEGORIES.iter().collect();
        let st = stages(&all);
        let top: Vec<&str> = CATEGORIES
            .iter()
            .filter(|c| c.parent().is_none())
            .map(|c| c.name)
            .collect();
        assert_eq!(st[0], top);
        assert_eq!(
            st[1],
            vec![
                "group_members",
                "app_users",
                "app_groups",
                "user_schemas",
                "app_user_schemas",
                "group_owners",
                "authenticator_methods",
                "policy_rules",
                "org_contacts",
                "brand_themes",
                "email_templates",
                "device_users",
                "authserver_scopes",
                "authserver_claims",
                "authserver_policies",
                "authserver_keys",
                "app_grants",
                "app_keys",
                "app_csrs",
                "linked_object_values",
                "user_factors",
                "profile_mapping_properties",
                "role_permissions",
                "resource_set_resources",
                "resource_set_bindings",
                "user_roles",
                "group_roles"
            ]
        );
        assert_eq!(
            st[2],
            vec![
                "authserver_policy_rules",
                "resource_set_binding_members",
                "user_role_group_targets",
                "user_role_app_targets",
                "group_role_group_targets",
                "group_role_app_targets"
            ]
        );
        assert_eq!(st.len(), 3);
    }

    #[test]
    fn selecting_linked_object_values_brings_users_and_the_relationship_definitions() {
        let names: Vec<_> = select(Some(&["linked_object_values".to_string()]))
            .unwrap()
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            vec!["users", "linked_object_definitions", "linked_object_values"]
        );
    }

    #[test]
    fn selecting_a_child_category_brings_its_parent() {
        let names: Vec<_> = select(Some(&["group_members".to_string()]))
            .unwrap()
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, vec!["groups", "group_members"]);
    }

    #[test]
    fn an_unknown_category_is_refused_with_the_known_ones_listed() {
        let err = select(Some(&["userz".to_string()])).unwrap_err().to_string();
        assert!(
            err.contains("unknown category \"userz\"") && err.contains("users"),
            "{err}"
        );
    }
}
