//! The target org as a restore sees it: which live object is "the same" as a snapshot object, and whether a
//! relationship exists there already.
//!
//! A thing is found by the id map (an earlier restore from the same source created it), by its own id (when the
//! target is the source org), then by its natural key. Few objects are looked up one by one; many are found in a
//! listing of the whole category, read once (whichever costs fewer calls). Every call is counted, so the plan can
//! report what it cost against the minimum for the selection.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use super::generic;
use super::kinds::{Kind, get_path, natural_key, search_path, urlencode};
use crate::categories::{self, Response, Source};
use crate::okta::{OktaClient, OktaError};

/// The calls a listing of `kind`'s live category costs when it holds about `objects` (the snapshot's count):
/// a page per `page_limit` objects, in each of the row's listing passes.
pub fn listing_cost(kind: Kind, objects: u64) -> u64 {
    let row = kind.row();
    let passes = match row.source {
        Source::List { passes } => passes.len().max(1) as u64,
        _ => return u64::MAX,
    };
    let page = u64::from(row.page_limit.unwrap_or(200)).max(1);
    passes * objects.div_ceil(page).max(1)
}

/// Whether finding `lookups` objects of `kind` costs fewer calls in one listing of its live category (about
/// `objects` of them) than one GET each: planning then lists it once.
pub fn worth_listing(kind: Kind, lookups: usize, objects: u64) -> bool {
    lookups as u64 > listing_cost(kind, objects)
}
/// Above this many assignments of one app to check, its assignments are listed rather than read one by one.
const LIST_ASSIGNMENTS_ABOVE: usize = 20;

/// The id map of OAuth client ids (an app's `credentials.oauthClient.client_id`): source client id -> target client
/// id, for references by client id ([`crate::categories::Form::ClientId`]).
pub const CLIENT_IDS: &str = "app_client_ids";

/// Every live object of a category, read once.
#[derive(Default)]
struct Listing {
    by_id: HashMap<String, Value>,
    by_key: HashMap<String, String>,
}

pub struct LiveOrg<'a> {
    client: &'a OktaClient,
    same_org: bool,
    /// Source id -> target id, per category, from earlier restores between the same two orgs.
    maps: BTreeMap<String, BTreeMap<String, String>>,
    listings: BTreeMap<Kind, Listing>,
    found: HashMap<(Kind, String), Option<Value>>,
    /// Memberships read from one end: a group's members, or a user's groups (id sets of the other end).
    members_of_group: HashMap<String, HashSet<String>>,
    groups_of_user: HashMap<String, HashSet<String>>,
    /// An app's assignments, when listed: its users' or groups' ids.
    app_edges: HashMap<(Kind, String), HashSet<String>>,
    /// The live objects of a generic kind (of one parent, by its stored id), as the row keeps them.
    objects: HashMap<(Kind, String), Vec<Value>>,
    /// The source and target org, when they differ: ORNs and hrefs move from one to the other.
    orgs: Option<generic::Orgs>,
    calls: u64,
}

impl<'a> LiveOrg<'a> {
    pub fn new(client: &'a OktaClient, same_org: bool, maps: BTreeMap<String, BTreeMap<String, String>>) -> Self {
        LiveOrg {
            client,
            same_org,
            maps,
            listings: BTreeMap::new(),
            found: HashMap::new(),
            members_of_group: HashMap::new(),
            groups_of_user: HashMap::new(),
            app_edges: HashMap::new(),
            objects: HashMap::new(),
            orgs: None,
            calls: 0,
        }
    }

    /// The same, restoring from another org: its ORNs and hrefs are moved by `orgs`.
    pub fn with_orgs(mut self, orgs: Option<generic::Orgs>) -> Self {
        self.orgs = orgs;
        self
    }

    pub fn orgs(&self) -> Option<&generic::Orgs> {
        self.orgs.as_ref()
    }

    /// Calls made to the org so far.
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// How many live objects of `kind` the org has, when its category was listed.
    pub fn count(&self, kind: Kind) -> Option<usize> {
        self.listings.get(&kind).map(|l| l.by_id.len())
    }

    /// Reads every live object of `kind` (through the catalog row's own listing passes), so lookups of it cost
    /// nothing more.
    pub async fn list(&mut self, kind: Kind) -> Result<(), OktaError> {
        if self.listings.contains_key(&kind) {
            return Ok(());
        }
        let row = categories::find(kind.category()).expect("every restorable kind is a catalog row");
        let Source::List { passes } = row.source else {
            unreachable!("{} is listed, not read per parent", row.name);
        };
        let mut listing = Listing::default();
        for pass in passes {
            for object in self.read_all(pass, row.page_limit).await? {
                let Some(id) = object.get("id").and_then(Value::as_str).map(str::to_owned) else {
                    continue;
                };
                if let Some(key) = natural_key(kind, &object) {
                    listing.by_key.insert(key, id.clone());
                }
                listing.by_id.insert(id, object);
            }
        }
        self.listings.insert(kind, listing);
        Ok(())
    }

    /// Every live object of the generic `kind` (of the parent whose stored id in the target org is `parent`), as
    /// the row keeps them (with the parent's id), read once. A parent the org does not have has none.
    pub async fn objects(&mut self, kind: Kind, parent: Option<&str>) -> Result<Vec<Value>, OktaError> {
        let memo = (kind, parent.unwrap_or_default().to_owned());
        if let Some(hit) = self.objects.get(&memo) {
            return Ok(hit.clone());
        }
        let row = kind.row();
        let mut out = Vec::new();
        let paths = match (row.source, parent) {
            (Source::PerParentLink { parent: of, link }, Some(parent)) => self.linked_path(of, link, parent).await?,
            _ => generic::listing_paths(row, parent),
        };
        for path in paths {
            let answers = match row.response {
                Response::Array => self.read_all(&path, row.page_limit).await,
                Response::Wrapped { field } => self.read_all_wrapped(&path, field, row.page_limit).await,
                Response::Object => {
                    self.calls += 1;
                    self.client
                        .get_json(&path)
                        .await
                        .map(|answer| generic::items(row, answer))
                }
            };
            match answers {
                Ok(items) => out.extend(items.into_iter().filter_map(|item| generic::kept(row, item, parent))),
                Err(OktaError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.objects.insert(memo, out.clone());
        Ok(out)
    }

    /// The link the live parent `parent` (of the row `of`) holds at `link`: where a row read through its parent's
    /// link (a user type's schema) is. None when the target org has no such parent.
    async fn linked_path(&mut self, of: &str, link: &str, parent: &str) -> Result<Vec<String>, OktaError> {
        let Some(of) = Kind::of(of) else {
            return Ok(Vec::new());
        };
        let parents = Box::pin(self.objects(of, None)).await?;
        Ok(parents
            .iter()
            .find(|p| of.row().stored_id(p).as_deref() == Some(parent))
            .and_then(|p| p.pointer(link))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .collect())
    }

    /// Keeps what a write answered (kept as the row keeps it) in the listing of its kind, replacing the object of
    /// the same stored id; `None` removes that object.
    pub fn remember(&mut self, kind: Kind, parent: Option<&str>, stored_id: &str, object: Option<Value>) {
        let row = kind.row();
        let memo = (kind, parent.unwrap_or_default().to_owned());
        if let Some(listing) = self.objects.get_mut(&memo) {
            listing.retain(|o| row.stored_id(o).as_deref() != Some(stored_id));
            listing.extend(object);
        }
    }

    /// Every item of a list Okta wraps in an object (the IAM endpoints), following the next links in the body.
    async fn read_all_wrapped(&mut self, path: &str, field: &str, limit: Option<u32>) -> Result<Vec<Value>, OktaError> {
        let mut out = Vec::new();
        let mut next = Some(path.to_owned());
        while let Some(url) = next {
            self.calls += 1;
            let page = self.client.get_wrapped_page(&url, limit, field).await?;
            out.extend(page.items);
            next = page.next;
        }
        Ok(out)
    }

    async fn read_all(&mut self, path: &str, limit: Option<u32>) -> Result<Vec<Value>, OktaError> {
        let mut out = Vec::new();
        let mut next = Some(path.to_owned());
        while let Some(url) = next {
            self.calls += 1;
            let page = self.client.get_page(&url, limit).await?;
            out.extend(page.items);
            next = page.next;
        }
        Ok(out)
    }

    /// The live object that is the same as the snapshot's `object` (id `source_id`), if the org has one.
    pub async fn find(&mut self, kind: Kind, source_id: &str, object: &Value) -> Result<Option<Value>, OktaError> {
        let memo = (kind, source_id.to_owned());
        if let Some(hit) = self.found.get(&memo) {
            return Ok(hit.clone());
        }
        let found = self.look_up(kind, source_id, object).await?;
        self.found.insert(memo, found.clone());
        Ok(found)
    }

    /// The target id the id map gives the snapshot thing `source_id`.
    pub fn mapped(&self, kind: Kind, source_id: &str) -> Option<&str> {
        self.mapped_category(kind.category(), source_id)
    }

    /// The same for any category (a user type a user names, say).
    pub fn mapped_category(&self, category: &str, source_id: &str) -> Option<&str> {
        self.maps.get(category)?.get(source_id).map(String::as_str)
    }

    /// Records that the snapshot thing `source_id` is `target_id` in the target org.
    pub fn map(&mut self, kind: Kind, source_id: &str, target_id: &str) {
        self.map_category(kind.category(), source_id, target_id);
        self.found.remove(&(kind, source_id.to_owned()));
    }

    /// The same for any id map (the client ids of apps).
    pub fn map_category(&mut self, category: &str, source_id: &str, target_id: &str) {
        self.maps
            .entry(category.to_owned())
            .or_default()
            .insert(source_id.to_owned(), target_id.to_owned());
    }

    /// The target id of a reference: by the id map of its category (of client ids, for a client id).
    pub fn mapped_ref(&self, r: &crate::references::FoundRef) -> Option<&str> {
        match r.form {
            crate::categories::Form::ClientId => self.mapped_category(CLIENT_IDS, &r.id),
            _ => self.mapped_category(r.category, &r.id),
        }
    }

    /// Like [`LiveOrg::find`], but asks the org again (what was found before may have changed).
    pub async fn look_up(&mut self, kind: Kind, source_id: &str, object: &Value) -> Result<Option<Value>, OktaError> {
        let mut candidates: Vec<String> = Vec::new();
        if let Some(mapped) = self.mapped(kind, source_id) {
            candidates.push(mapped.to_owned());
        }
        if self.same_org {
            candidates.push(source_id.to_owned());
        }
        let key = natural_key(kind, object);
        if let Some(listing) = self.listings.get(&kind) {
            let by_key = key.as_ref().and_then(|k| listing.by_key.get(k));
            return Ok(candidates
                .iter()
                .chain(by_key)
                .find_map(|id| listing.by_id.get(id))
                .cloned());
        }
        for id in candidates {
            if let Some(live) = self.get(kind, &id).await? {
                return Ok(Some(live));
            }
        }
        self.by_natural_key(kind, object, key.as_deref()).await
    }

    /// The live thing `id`, or `None` when the org has no such object.
    pub async fn get(&mut self, kind: Kind, id: &str) -> Result<Option<Value>, OktaError> {
        let Some(path) = get_path(kind, id) else {
            return Ok(None);
        };
        self.calls += 1;
        match self.client.get_json(&path).await {
            Ok(Value::Null) => Ok(None),
            Ok(live) => Ok(Some(live)),
            Err(OktaError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Finds a live thing by its natural key: a user by login (Okta reads a user by login directly), a group or
    /// an app through Okta's `q` search (a prefix match), keeping only an exact match.
    async fn by_natural_key(
        &mut self,
        kind: Kind,
        object: &Value,
        key: Option<&str>,
    ) -> Result<Option<Value>, OktaError> {
        let Some(key) = key else {
            return Ok(None);
        };
        if kind == Kind::USER {
            let login = object.pointer("/profile/login").and_then(Value::as_str).unwrap_or(key);
            return self.get(kind, login).await;
        }
        let Some(path) = search_path(kind, object) else {
            return Ok(None);
        };
        let matches = self.read_all(&path, None).await?;
        Ok(matches
            .into_iter()
            .find(|live| natural_key(kind, live).as_deref() == Some(key)))
    }

    /// Whether the live relationship `kind` between the live things `parent` and `child` exists. `by_child` reads
    /// memberships from the user's side (one call per user) rather than the group's (all its members).
    pub async fn edge_exists(
        &mut self,
        kind: Kind,
        parent: &str,
        child: &str,
        by_child: bool,
        edges_of_parent: usize,
    ) -> Result<bool, OktaError> {
        match kind {
            Kind::MEMBERSHIP if by_child => {
                if !self.groups_of_user.contains_key(child) {
                    let path = format!("/api/v1/users/{}/groups", urlencode(child));
                    let groups = ids(self.read_all(&path, None).await?, "id");
                    self.groups_of_user.insert(child.to_owned(), groups);
                }
                Ok(self.groups_of_user[child].contains(parent))
            }
            Kind::MEMBERSHIP => {
                if !self.members_of_group.contains_key(parent) {
                    let path = format!("/api/v1/groups/{}/users", urlencode(parent));
                    let users = ids(self.read_all(&path, Some(1000)).await?, "id");
                    self.members_of_group.insert(parent.to_owned(), users);
                }
                Ok(self.members_of_group[parent].contains(child))
            }
            Kind::APP_USER | Kind::APP_GROUP => {
                let segment = if kind == Kind::APP_USER { "users" } else { "groups" };
                let listed = (kind, parent.to_owned());
                if !self.app_edges.contains_key(&listed) && edges_of_parent > LIST_ASSIGNMENTS_ABOVE {
                    let path = format!("/api/v1/apps/{}/{segment}", urlencode(parent));
                    let ends = ids(self.read_all(&path, Some(500)).await?, "id");
                    self.app_edges.insert(listed.clone(), ends);
                }
                if let Some(ends) = self.app_edges.get(&listed) {
                    return Ok(ends.contains(child));
                }
                self.calls += 1;
                let path = format!("/api/v1/apps/{}/{segment}/{}", urlencode(parent), urlencode(child));
                match self.client.get_json(&path).await {
                    Ok(_) => Ok(true),
                    Err(OktaError::NotFound { .. }) => Ok(false),
                    Err(e) => Err(e),
                }
            }
            _ => unreachable!("{kind:?} is not a relationship"),
        }
    }
}

fn ids(objects: Vec<Value>, field: &str) -> HashSet<String> {
    objects
        .into_iter()
        .filter_map(|o| o.get(field).and_then(Value::as_str).map(str::to_owned))
        .collect()
}
