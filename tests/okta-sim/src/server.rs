//! Starting the simulator: seeding the org, binding the socket, the router, and the gate every API
//! call passes (call counting, injected faults, rate limits, authentication and scopes).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::{Auth, Credentials};
use crate::calls::{CallCounts, endpoint_template};
use crate::clock::SimClock;
use crate::config::{Faults, RateConfig, SimConfig};
use crate::errors::ApiError;
use crate::faults::FaultState;
use crate::handlers::{admin, apps, groups, links, privileges, token, users};
use crate::ids::{APP_PREFIX, IdGen};
use crate::jwt::ServiceKey;
use crate::net::{ConnTap, SimListener};
use crate::paging::Cursors;
use crate::path_faults::{self, PathAnswer, PathFault, PathFaults};
use crate::ratelimit::{RateLimiter, Verdict, bucket_for};
use crate::resources;
use crate::resources::roles::Assignee;
use crate::seed::{self, ServiceApp};
use crate::store::{Org, OrgState};
use crate::syslog;

/// Everything the handlers share.
#[derive(Debug)]
pub struct Shared {
    pub base: String,
    pub org: RwLock<Org>,
    pub ids: Mutex<IdGen>,
    pub clock: SimClock,
    pub cursors: Cursors,
    pub auth: Auth,
    pub limiter: Mutex<RateLimiter>,
    pub faults: Mutex<FaultState>,
    pub path_faults: Mutex<PathFaults>,
    pub calls: Mutex<CallCounts>,
    pub user_type_id: String,
    /// Activation emails sent, per user id (`POST /api/v1/users/{id}/lifecycle/activate` with `sendEmail`).
    pub emails: Mutex<BTreeMap<String, u32>>,
    /// Checks request bodies against Okta's spec, when the config names it.
    #[cfg(feature = "validate")]
    pub requests: Option<crate::validate::RequestValidator>,
}

impl Shared {
    pub fn read_org(&self) -> std::sync::RwLockReadGuard<'_, Org> {
        self.org.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn write_org(&self) -> std::sync::RwLockWriteGuard<'_, Org> {
        self.org.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running simulator. Dropping it stops the server too; `shutdown` also waits for it.
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

/// Seeds an org from `config` and serves it on 127.0.0.1:`port` (0 picks a free port).
pub async fn start(config: SimConfig, port: u16) -> std::io::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let base = format!("http://127.0.0.1:{}", addr.port());

    let mut secrets = IdGen::new(config.seed.wrapping_add(0x5eed_5eed));
    let api_token = format!("00{}", secrets.random_text(40));
    let client_id = secrets.next(APP_PREFIX);
    let client_secret = secrets.random_text(64);
    let jwt_client_id = secrets.next(APP_PREFIX);
    let key = service_key(config.seed)?;
    let jwk = key.public_jwk();

    let (users, seed, seed_base, service_id) = (config.users, config.seed, base.clone(), jwt_client_id.clone());
    // 100k users take a moment: keep that off the async worker threads.
    let seeded = tokio::task::spawn_blocking(move || {
        seed::generate(
            users,
            seed,
            &seed_base,
            ServiceApp {
                client_id: &service_id,
                jwk,
            },
        )
    })
    .await
    .map_err(std::io::Error::other)?;
    let mut seeded = seeded;
    if config.defaults_only {
        let mut state = seeded.org.to_state();
        crate::defaults::keep_okta_defaults(&mut state, &jwt_client_id);
        seeded.org = crate::store::Org::from_state(&state);
    }
    seeded.org.logs = syslog::seed_history(&seeded.org, config.seed, crate::clock::wall_clock_ms());

    #[cfg(feature = "validate")]
    let requests = match &config.validate_requests {
        Some(spec) => Some(crate::validate::RequestValidator::load(spec).map_err(std::io::Error::other)?),
        None => None,
    };
    #[cfg(not(feature = "validate"))]
    if let Some(spec) = &config.validate_requests {
        return Err(std::io::Error::other(format!(
            "request validation against {} needs okta-sim's `validate` feature; build with it or leave \
             `validate_requests` unset",
            spec.display()
        )));
    }
    let creds = Credentials {
        api_token,
        client_id,
        client_secret,
        jwt_client_id,
        key,
    };
    let shared = Arc::new(Shared {
        auth: Auth::new(creds, &base, config.token_ttl_secs, config.granted_scopes.clone()),
        base,
        org: RwLock::new(seeded.org),
        ids: Mutex::new(seeded.ids),
        clock: SimClock::default(),
        cursors: Cursors::new(config.seed),
        limiter: Mutex::new(RateLimiter::new(config.rate)),
        faults: Mutex::new(FaultState::new(config.faults, config.seed)),
        path_faults: Mutex::default(),
        calls: Mutex::default(),
        user_type_id: seeded.user_type_id,
        emails: Mutex::default(),
        #[cfg(feature = "validate")]
        requests,
    });

    let app = router(shared.clone()).into_make_service_with_connect_info::<ConnTap>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(SimListener::new(listener), app).with_graceful_shutdown(async {
            let _ = stop_rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "okta-sim server stopped with an error");
        }
    });
    Ok(SimHandle {
        shared,
        addr,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

/// The service app's key pair, one per seed per process: RSA keys cannot be derived from a seed, so
/// this keeps two simulators with the same seed identical (and spares a key generation per start).
fn service_key(seed: u64) -> std::io::Result<Arc<ServiceKey>> {
    static KEYS: Mutex<BTreeMap<u64, Arc<ServiceKey>>> = Mutex::new(BTreeMap::new());
    let mut keys = lock(&KEYS);
    if let Some(key) = keys.get(&seed) {
        return Ok(key.clone());
    }
    let key = Arc::new(ServiceKey::generate("sim-service-key").map_err(std::io::Error::other)?);
    keys.insert(seed, key.clone());
    Ok(key)
}

/// A concrete GET call of one route, for tests that call every route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSample {
    /// The route as the spec writes it (`/api/v1/policies/{policyId}/rules`).
    pub template: String,
    /// The path (and query) to call.
    pub path: String,
    /// Whether the route pages (`after`, and a `next` link in a `Link` header or, for a wrapped list,
    /// in the body's `_links`).
    pub paged: bool,
    /// For a wrapped list (`{"roles": [...], "_links": {...}}`), the body field holding the items;
    /// `None` when the body is the array itself or an object.
    pub items_in: Option<String>,
}

/// A hand-written GET route: its axum path, the spec's template, and a concrete path to call it with
/// in a seeded org (for the contract test, which calls every GET route the simulator serves).
pub struct LegacyGet {
    pub axum_path: &'static str,
    pub template: &'static str,
    pub handler: fn() -> MethodRouter<Arc<Shared>>,
    pub paged: bool,
    pub sample: fn(&Org) -> Option<String>,
}

fn first_id(c: &crate::store::Collection) -> Option<String> {
    c.iter().next().map(|r| r.id.to_string())
}

fn first_row(rows: &BTreeMap<String, crate::store::Collection>) -> Option<(String, String)> {
    rows.iter()
        .find_map(|(parent, c)| first_id(c).map(|id| (parent.clone(), id)))
}

/// Every hand-written GET route. The router registers their GET handlers from this table, so a GET
/// route cannot exist without being listed (and contract-tested).
pub const LEGACY_GETS: &[LegacyGet] = &[
    LegacyGet {
        axum_path: "/api/v1/users",
        template: "/api/v1/users",
        handler: || get(users::list),
        paged: true,
        sample: |_| Some("/api/v1/users".into()),
    },
    LegacyGet {
        axum_path: "/api/v1/users/{id}",
        template: "/api/v1/users/{id}",
        handler: || get(users::get_one),
        paged: false,
        sample: |org| first_id(&org.users).map(|id| format!("/api/v1/users/{id}")),
    },
    LegacyGet {
        axum_path: "/api/v1/users/{id}/groups",
        template: "/api/v1/users/{id}/groups",
        handler: || get(users::groups_of),
        paged: false,
        sample: |org| first_id(&org.users).map(|id| format!("/api/v1/users/{id}/groups")),
    },
    LegacyGet {
        axum_path: "/api/v1/groups",
        template: "/api/v1/groups",
        handler: || get(groups::list),
        paged: true,
        sample: |_| Some("/api/v1/groups".into()),
    },
    LegacyGet {
        axum_path: "/api/v1/groups/{id}",
        template: "/api/v1/groups/{groupId}",
        handler: || get(groups::get_one),
        paged: false,
        sample: |org| first_id(&org.groups).map(|id| format!("/api/v1/groups/{id}")),
    },
    LegacyGet {
        axum_path: "/api/v1/groups/{id}/users",
        template: "/api/v1/groups/{groupId}/users",
        handler: || get(groups::members),
        paged: true,
        sample: |org| {
            let (group, _) = org.group_members.iter().max_by_key(|(_, m)| m.len())?;
            Some(format!("/api/v1/groups/{group}/users"))
        },
    },
    LegacyGet {
        axum_path: "/api/v1/apps",
        template: "/api/v1/apps",
        handler: || get(apps::list),
        paged: true,
        sample: |_| Some("/api/v1/apps".into()),
    },
    LegacyGet {
        axum_path: "/api/v1/apps/{id}",
        template: "/api/v1/apps/{appId}",
        handler: || get(apps::get_one),
        paged: false,
        sample: |org| first_id(&org.apps).map(|id| format!("/api/v1/apps/{id}")),
    },
    LegacyGet {
        axum_path: "/api/v1/apps/{id}/users",
        template: "/api/v1/apps/{appId}/users",
        handler: || get(apps::users),
        paged: true,
        sample: |org| first_row(&org.app_users).map(|(app, _)| format!("/api/v1/apps/{app}/users")),
    },
    LegacyGet {
        axum_path: "/api/v1/apps/{id}/users/{userId}",
        template: "/api/v1/apps/{appId}/users/{userId}",
        handler: || get(apps::get_user),
        paged: false,
        sample: |org| first_row(&org.app_users).map(|(app, user)| format!("/api/v1/apps/{app}/users/{user}")),
    },
    LegacyGet {
        axum_path: "/api/v1/apps/{id}/groups",
        template: "/api/v1/apps/{appId}/groups",
        handler: || get(apps::groups),
        paged: true,
        sample: |org| first_row(&org.app_groups).map(|(app, _)| format!("/api/v1/apps/{app}/groups")),
    },
    LegacyGet {
        axum_path: "/api/v1/apps/{id}/groups/{groupId}",
        template: "/api/v1/apps/{appId}/groups/{groupId}",
        handler: || get(apps::get_group),
        paged: false,
        sample: |org| first_row(&org.app_groups).map(|(app, group)| format!("/api/v1/apps/{app}/groups/{group}")),
    },
    LegacyGet {
        axum_path: "/api/v1/logs",
        template: "/api/v1/logs",
        handler: || get(syslog::list),
        paged: true,
        sample: |_| Some("/api/v1/logs".into()),
    },
];

fn router(shared: Arc<Shared>) -> Router {
    let mut router = Router::new();
    for route in LEGACY_GETS {
        router = router.route(route.axum_path, (route.handler)());
    }
    let router = router
        .route("/api/v1/users", post(users::create))
        .route(
            "/api/v1/users/{id}",
            post(users::partial_update).put(users::replace).delete(users::delete),
        )
        .route("/api/v1/users/{id}/lifecycle/{op}", post(users::lifecycle))
        .route("/api/v1/groups", post(groups::create))
        .route("/api/v1/groups/{id}", put(groups::replace).delete(groups::delete))
        .route(
            "/api/v1/groups/{id}/users/{userId}",
            put(groups::add_member).delete(groups::remove_member),
        )
        .route("/api/v1/apps", post(apps::create))
        .route("/api/v1/apps/{id}", put(apps::replace).delete(apps::delete))
        .route("/api/v1/apps/{id}/lifecycle/{op}", post(apps::lifecycle))
        .route("/api/v1/apps/{id}/policies/{policyId}", put(apps::assign_policy))
        .route("/api/v1/apps/{id}/users", post(apps::assign_user))
        .route(
            "/api/v1/apps/{id}/users/{userId}",
            post(apps::update_user).delete(apps::unassign_user),
        )
        .route(
            "/api/v1/apps/{id}/groups/{groupId}",
            put(apps::assign_group).delete(apps::unassign_group),
        )
        // Parameter names as the generic resources' GET routes of the same paths name them.
        .route("/api/v1/users/{id}/factors", post(privileges::enroll))
        .route("/api/v1/users/{id}/factors/{factorId}", delete(privileges::unenroll))
        .route("/api/v1/users/{id}/roles", post(privileges::assign_user_role))
        .route(
            "/api/v1/users/{id}/roles/{roleAssignmentId}",
            delete(privileges::unassign_user_role),
        )
        .route(
            "/api/v1/users/{id}/linkedObjects/{relationshipName}",
            delete(links::remove),
        )
        .route(
            "/api/v1/users/{id}/linkedObjects/{relationshipName}/{primaryUserId}",
            put(links::assign),
        )
        .route("/api/v1/groups/{id}/roles", post(privileges::assign_group_role))
        .route(
            "/api/v1/groups/{id}/roles/{roleAssignmentId}",
            delete(privileges::unassign_group_role),
        );
    resources::routes(router)
        .route("/oauth2/v1/token", post(token::issue))
        .route("/__sim/calls", get(admin::calls))
        .route("/__sim/calls/reset", post(admin::reset_calls))
        .route("/__sim/faults", get(admin::get_faults).post(admin::set_faults))
        .route("/__sim/state", get(admin::state))
        .route("/__sim/emails", get(admin::emails))
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

/// What every API call passes before its handler, in Okta's order of concerns: the call is counted,
/// faults are applied, the rate limit is checked, then the caller is authenticated and authorized.
async fn gate(State(sim): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/__sim/") {
        return next.run(request).await;
    }
    let method = request.method().as_str().to_string();
    let template = endpoint_template(&path);
    lock(&sim.calls).record(format!("{method} {template}"));
    let bucket = bucket_for(&method, &template);

    let faults = lock(&sim.faults).faults;
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if faults.storm_429 {
        let verdict = lock(&sim.limiter).exhausted(bucket);
        return with_rate_headers(ApiError::RateLimited.into_response(), verdict);
    }
    let verdict = lock(&sim.limiter).admit(bucket);
    if !verdict.allowed {
        return with_rate_headers(ApiError::RateLimited.into_response(), verdict);
    }
    let draw = lock(&sim.faults).draw();
    if let Some(status) = draw.server_error {
        return with_rate_headers(ApiError::Server(status).into_response(), verdict);
    }
    if let (Some(cut), Some(ConnectInfo(conn))) = (draw.cut, request.extensions().get::<ConnectInfo<ConnTap>>()) {
        // The call is still answered, but the answer never (fully) reaches the client.
        conn.cut(cut);
    }
    if template != "/oauth2/v1/token" {
        let authorization = request.headers().get("authorization").and_then(|v| v.to_str().ok());
        let checked = sim
            .auth
            .authenticate(authorization)
            .and_then(|p| sim.auth.authorize(&p, &method, &template, request.uri().path()));
        if let Err(refusal) = checked {
            return with_rate_headers(refusal.into_response(), verdict);
        }
    }
    let path_fault = lock(&sim.path_faults).take(&method, &path);
    #[cfg(feature = "validate")]
    let request = match (&sim.requests, path_fault.is_none()) {
        (Some(validator), true) if matches!(method.as_str(), "POST" | "PUT" | "PATCH") => {
            match checked_body(validator, &method, &path, request).await {
                Ok(request) => request,
                Err(refusal) => return with_rate_headers(refusal.into_response(), verdict),
            }
        }
        _ => request,
    };
    match path_fault {
        Some(PathAnswer::Error { status, code, summary }) => {
            with_rate_headers(path_faults::error_response(status, &code, &summary), verdict)
        }
        Some(answer @ (PathAnswer::NextToSelf | PathAnswer::NextInCircle)) => {
            let page = format!(
                "{}{}",
                sim.base,
                request.uri().path_and_query().map_or(path.as_str(), |pq| pq.as_str())
            );
            let link = match answer {
                PathAnswer::NextInCircle => path_faults::other_in_circle(&page),
                _ => page,
            };
            with_rate_headers(path_faults::linking_to(next.run(request).await, &link), verdict)
        }
        None => with_rate_headers(next.run(request).await, verdict),
    }
}

/// The request again, once its body passed the spec's request schema; the refusal otherwise.
#[cfg(feature = "validate")]
async fn checked_body(
    validator: &crate::validate::RequestValidator,
    method: &str,
    path: &str,
    request: Request,
) -> Result<Request, ApiError> {
    /// Okta refuses bodies over a few MB; the simulator reads at most this much.
    const MAX_BODY: usize = 8 << 20;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| ApiError::MalformedBody {
            cause: format!("the body could not be read (at most {MAX_BODY} bytes): {e}"),
        })?;
    validator.check(method, path, &bytes)?;
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

fn with_rate_headers(mut response: Response, verdict: Verdict) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-rate-limit-limit", HeaderValue::from(verdict.limit));
    headers.insert("x-rate-limit-remaining", HeaderValue::from(verdict.remaining));
    headers.insert("x-rate-limit-reset", HeaderValue::from(verdict.reset_epoch));
    response
}

impl SimHandle {
    /// The base URL, e.g. `http://127.0.0.1:43121` (no trailing slash).
    pub fn url(&self) -> String {
        self.shared.base.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A valid API token, for `Authorization: SSWS <token>`. Deterministic per seed.
    pub fn api_token(&self) -> String {
        self.shared.auth.creds.api_token.clone()
    }

    /// Client id of the API service integration (client_secret_basic).
    pub fn client_id(&self) -> String {
        self.shared.auth.creds.client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        self.shared.auth.creds.client_secret.clone()
    }

    /// Client id of the service app that authenticates with private_key_jwt (also listed among the apps).
    pub fn jwt_client_id(&self) -> String {
        self.shared.auth.creds.jwt_client_id.clone()
    }

    /// The service app's RSA private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn jwt_private_key_pem(&self) -> String {
        self.shared.auth.creds.key.private_pem().to_string()
    }

    /// The token endpoint's URL: the `aud` a client assertion must carry.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/v1/token", self.shared.base)
    }

    /// The id of the default user type (`type.id` of seeded users).
    pub fn user_type_id(&self) -> String {
        self.shared.user_type_id.clone()
    }

    pub fn calls(&self) -> CallCounts {
        lock(&self.shared.calls).clone()
    }

    pub fn reset_calls(&self) {
        *lock(&self.shared.calls) = CallCounts::default();
    }

    pub fn faults(&self) -> Faults {
        lock(&self.shared.faults).faults
    }

    /// Publishes a `group.user_membership.add`-like event of `event_type`, stamped `ago_ms` before now, that
    /// becomes readable only now (see [`crate::syslog::emit_late`]). Returns its uuid.
    pub fn publish_late_event(&self, event_type: &str, ago_ms: i64) -> String {
        let published = self.shared.clock.now_ms() - ago_ms;
        let mut org = self.shared.write_org();
        crate::syslog::emit_late(&mut org, published, event_type, Vec::new())
    }

    /// Adds a fault for the calls of one path (see [`PathFault`]).
    pub fn fail_path(&self, fault: PathFault) {
        lock(&self.shared.path_faults).add(fault);
    }

    /// Activation emails sent to `user_id` so far: one per activation (create with `activate=true` and no
    /// password, or `lifecycle/activate` / `reactivate`) with `sendEmail` left true.
    pub fn activation_emails(&self, user_id: &str) -> u32 {
        lock(&self.shared.emails).get(user_id).copied().unwrap_or(0)
    }

    pub fn clear_path_faults(&self) {
        lock(&self.shared.path_faults).clear();
    }

    /// Replaces the rate limits, with fresh windows: what was counted before is forgotten. For a benchmark that
    /// sets up its scene (deletes thousands of users, say) without waiting on the buckets it then measures.
    pub fn set_rate_limits(&self, rate: RateConfig) {
        *lock(&self.shared.limiter) = RateLimiter::new(rate);
    }

    pub fn set_faults(&self, faults: Faults) {
        lock(&self.shared.faults).faults = faults;
    }

    /// A copy of all current data. Costly for big orgs (every object is parsed): meant for tests.
    pub fn snapshot_state(&self) -> OrgState {
        self.shared.read_org().to_state()
    }

    /// Runs `f` on the org's data and keeps its changes. Server-managed fields (`lastUpdated`,
    /// `lastMembershipUpdated`) are the caller's to set; [`SimHandle::timestamp_now`] gives a value
    /// consistent with the simulator's clock. Costly for big orgs: meant for tests.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut OrgState) -> R) -> R {
        let mut org = self.shared.write_org();
        let mut state = org.to_state();
        let result = f(&mut state);
        *org = Org::from_state(&state);
        // OAuth clients are the OIDC apps seen as clients: an edited app is an edited client.
        resources::clients::sync(&mut org, &self.shared.base);
        result
    }

    /// One concrete call for every GET route the simulator serves (hand-written and generic), with data
    /// behind it: for a paged list, the parent with the most objects, so a second page exists.
    pub fn get_route_samples(&self) -> Vec<RouteSample> {
        let org = self.shared.read_org();
        let mut samples: Vec<RouteSample> = LEGACY_GETS
            .iter()
            .filter_map(|r| {
                Some(RouteSample {
                    template: r.template.to_string(),
                    path: (r.sample)(&org)?,
                    paged: r.paged,
                    items_in: None,
                })
            })
            .collect();
        samples.extend(resources::samples(&org.resources));
        samples
    }

    /// Enrolls (and activates) for `user_id` the first factor type it lacks, as
    /// `POST /api/v1/users/{userId}/factors` would, logging `user.mfa.factor.activate`. Returns the
    /// factor id.
    ///
    /// # Panics
    /// When the user does not exist or already has every factor type: a mistake in the calling test.
    pub fn enroll_factor(&self, user_id: &str) -> String {
        let factor = privileges::enroll_factor(&self.shared, user_id, None)
            .unwrap_or_else(|e| panic!("cannot enroll a factor for user {user_id}: {e}"));
        factor["id"].as_str().unwrap_or_default().to_string()
    }

    /// Assigns the standard admin role `role_type` (`USER_ADMIN`, `HELP_DESK_ADMIN`...) to a group, as
    /// `POST /api/v1/groups/{groupId}/roles` would, logging `group.privilege.grant`. Returns the
    /// assignment id.
    ///
    /// # Panics
    /// When the group does not exist, `role_type` is not a standard role or the group already holds
    /// it: a mistake in the calling test.
    pub fn assign_group_role(&self, group_id: &str, role_type: &str) -> String {
        let body = serde_json::json!({ "type": role_type });
        let assignment = privileges::assign_role(&self.shared, Assignee::Group(group_id), &body)
            .unwrap_or_else(|e| panic!("cannot assign {role_type} to group {group_id}: {e}"));
        assignment["id"].as_str().unwrap_or_default().to_string()
    }

    /// Assigns a role to a user from a role assignment body (`{"type": "ORG_ADMIN"}`, or
    /// `{"type": "CUSTOM", "role": ..., "resource-set": ...}`), as `POST /api/v1/users/{userId}/roles`
    /// would, logging `user.account.privilege.grant`. Returns the assignment id.
    ///
    /// # Panics
    /// When the user, role or resource set does not exist or the user already holds the role.
    pub fn assign_user_role(&self, user_id: &str, body: &serde_json::Value) -> String {
        let assignment = privileges::assign_role(&self.shared, Assignee::User(user_id), body)
            .unwrap_or_else(|e| panic!("cannot assign {body} to user {user_id}: {e}"));
        assignment["id"].as_str().unwrap_or_default().to_string()
    }

    /// Makes `primary` the primary of `associated` for the linked-object relationship whose primary
    /// name is `relationship` (`manager`), replacing a previous primary, as
    /// `PUT /api/v1/users/{associated}/linkedObjects/{relationship}/{primary}` would.
    ///
    /// # Panics
    /// When a user does not exist, `relationship` is not a primary name, or the two users are one: a
    /// mistake in the calling test.
    pub fn link_users(&self, associated: &str, relationship: &str, primary: &str) {
        let mut org = self.shared.write_org();
        crate::resources::links::link(&mut org, &self.shared.base, associated, relationship, primary)
            .unwrap_or_else(|e| panic!("cannot make {primary} the {relationship} of {associated}: {e}"));
    }

    /// A fresh timestamp from the simulator's clock, later than any it gave before.
    pub fn timestamp_now(&self) -> String {
        self.shared.clock.now()
    }

    /// Stops accepting calls and waits (up to 5 s) for open calls to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
