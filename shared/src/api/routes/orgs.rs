//! Orgs: their cards, authorizing one (credentials checked live, then sealed; never answered back), its settings,
//! its near-real-time capture, and deleting it. Everything goes through `service::orgs`.

use std::sync::Arc;

use axum::Json as AxumJson;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::org_id;
use crate::api::audit::{self, Subject};
use crate::api::auth::{Caller, Role};
use crate::api::extract::{Json, Path};
use crate::api::{Api, ApiError, OrgHosting, RouteSet};
use crate::ids::OrgId;
use crate::okta::{ClientConfig, Credentials, OrgUrl, Secret};
use crate::ports::AuditResult;
use crate::service::orgs::{self, Authorized, CaptureAsk, OrgCard, OrgSettings};

pub const RESOURCE: super::Resource = super::Resource {
    routes,
    openapi: include_str!("orgs.yaml"),
};

fn routes() -> RouteSet {
    RouteSet::new()
        .get("/v1/orgs", list)
        .post("/v1/orgs", authorize)
        .get("/v1/orgs/{org}", card)
        .patch("/v1/orgs/{org}", update)
        .delete("/v1/orgs/{org}", delete)
        .put("/v1/orgs/{org}/capture", capture_on)
        .delete("/v1/orgs/{org}/capture", capture_off)
}

/// The cards of the orgs the caller may read.
async fn list(State(api): State<Arc<Api>>, caller: Caller) -> Result<AxumJson<serde_json::Value>, ApiError> {
    caller.require_any(Role::Viewer)?;
    let cards: Vec<OrgCard> = orgs::cards(api.catalog.as_ref(), &api.orgs.storage)
        .await?
        .into_iter()
        .filter(|c| caller.allows(Role::Viewer, Some(&c.org_id)))
        .collect();
    Ok(AxumJson(serde_json::json!({ "orgs": cards })))
}

async fn card(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<AxumJson<OrgCard>, ApiError> {
    let org = org_id(&org)?;
    caller.require(Role::Viewer, Some(&org))?;
    Ok(AxumJson(
        orgs::card(api.catalog.as_ref(), &org, &api.orgs.storage).await?,
    ))
}

/// What authorizing an org sends: its URL and exactly one way to authenticate.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizeBody {
    url: String,
    #[serde(default)]
    api_token: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    /// A PKCS#8 PEM private key (private_key_jwt).
    #[serde(default)]
    private_key: Option<String>,
    #[serde(default)]
    key_id: Option<String>,
    /// The OAuth scopes to ask for; the read and manage scopes of every category when absent.
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

impl AuthorizeBody {
    fn config(self, hosting: &OrgHosting) -> Result<ClientConfig, ApiError> {
        let url = OrgUrl::parse_with(&self.url, hosting.url_policy).map_err(|e| ApiError::invalid(e.to_string()))?;
        let scopes = self.scopes.unwrap_or_else(orgs::scopes_to_ask);
        let credentials = match (self.api_token, self.client_id, self.client_secret, self.private_key) {
            (Some(token), None, None, None) => Credentials::ApiToken(Secret::new(token)),
            (None, Some(client_id), Some(secret), None) => Credentials::ClientSecret {
                client_id,
                secret: Secret::new(secret),
                scopes,
            },
            (None, Some(client_id), None, Some(pem)) => Credentials::PrivateKey {
                client_id,
                key_pem: Secret::new(pem),
                key_id: self.key_id,
                scopes,
            },
            _ => {
                return Err(ApiError::invalid(
                    "give exactly one way to authenticate: api_token, or client_id with client_secret, or client_id \
                     with private_key",
                ));
            }
        };
        Ok(ClientConfig::new(url, credentials))
    }
}

async fn authorize(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Json(body): Json<AuthorizeBody>,
) -> Result<(StatusCode, AxumJson<Authorized>), ApiError> {
    let config = body.config(&api.orgs)?;
    let org = config.url.org_id();
    let about = Subject::org(&org);
    let catalog = api.catalog.as_ref();
    audit::require(catalog, &caller, Role::Admin, "authorize", &about).await?;
    let keys = api.vault.keys();
    let result = orgs::authorize(catalog, keys.as_ref(), api.orgs.schedules.as_ref(), &config).await;
    let (outcome, detail) = match &result {
        Ok(done) => (
            AuditResult::Done,
            format!(
                "{} {} with its {:?}",
                if done.reauthorized {
                    "re-authorized"
                } else {
                    "authorized"
                },
                done.url,
                done.auth
            ),
        ),
        Err(e) => (AuditResult::Failed, e.to_string()),
    };
    audit::record(catalog, &caller, "authorize", &about, outcome, detail).await?;
    let done = result?;
    let status = if done.reauthorized {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, AxumJson(done)))
}

async fn update(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
    Json(settings): Json<OrgSettings>,
) -> Result<AxumJson<OrgCard>, ApiError> {
    let (org, about) = admin_of(&api, &caller, &org, "update org").await?;
    let catalog = api.catalog.as_ref();
    if settings == OrgSettings::default() {
        return Err(ApiError::invalid(
            "say what to change: backup_enabled, every_hours, linked_objects_every_days",
        ));
    }
    orgs::update(catalog, api.orgs.schedules.as_ref(), &org, &settings).await?;
    let detail = serde_json::to_string(&settings).unwrap_or_default();
    audit::record(catalog, &caller, "update org", &about, AuditResult::Done, detail).await?;
    Ok(AxumJson(orgs::card(catalog, &org, &api.orgs.storage).await?))
}

async fn delete(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<AxumJson<OrgCard>, ApiError> {
    let (org, about) = admin_of(&api, &caller, &org, "delete org").await?;
    let catalog = api.catalog.as_ref();
    if let Some(capture) = orgs::get(catalog, &org).await?.capture {
        api.orgs
            .capture
            .disable(&org, &capture.source_name)
            .await
            .map_err(crate::service::ServiceError::from)?;
    }
    orgs::delete(catalog, api.orgs.schedules.as_ref(), &org).await?;
    let detail = "deleted: backups stopped, credentials dropped, snapshots kept per retention".to_owned();
    audit::record(catalog, &caller, "delete org", &about, AuditResult::Done, detail).await?;
    Ok(AxumJson(orgs::card(catalog, &org, &api.orgs.storage).await?))
}

/// The org an admin-only action names, and what its audit entry is about; refused (and audited) without the role.
async fn admin_of(api: &Api, caller: &Caller, org: &str, action: &str) -> Result<(OrgId, Subject), ApiError> {
    let org = org_id(org)?;
    let about = Subject::org(&org);
    audit::require(api.catalog.as_ref(), caller, Role::Admin, action, &about).await?;
    Ok((org, about))
}

async fn capture_on(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
    Json(ask): Json<CaptureAsk>,
) -> Result<AxumJson<OrgCard>, ApiError> {
    set_capture(api, caller, org, Some(ask)).await
}

async fn capture_off(
    State(api): State<Arc<Api>>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<AxumJson<OrgCard>, ApiError> {
    set_capture(api, caller, org, None).await
}

async fn set_capture(
    api: Arc<Api>,
    caller: Caller,
    org: String,
    ask: Option<CaptureAsk>,
) -> Result<AxumJson<OrgCard>, ApiError> {
    let (org, about) = admin_of(&api, &caller, &org, "capture").await?;
    let catalog = api.catalog.as_ref();
    let result = orgs::set_capture(catalog, api.orgs.capture.as_ref(), &org, ask.as_ref()).await;
    let (outcome, detail) = match (&result, &ask) {
        (Ok(_), Some(ask)) => (AuditResult::Done, format!("capture on from {}", ask.source_name)),
        (Ok(_), None) => (AuditResult::Done, "capture off".to_owned()),
        (Err(e), _) => (AuditResult::Failed, e.to_string()),
    };
    audit::record(catalog, &caller, "capture", &about, outcome, detail).await?;
    result?;
    Ok(AxumJson(orgs::card(catalog, &org, &api.orgs.storage).await?))
}
