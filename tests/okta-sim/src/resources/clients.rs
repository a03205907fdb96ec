//! OAuth 2.0 clients (`/oauth2/v1/clients`, Dynamic Client Registration): in Okta these are not objects
//! of their own but the OIDC apps (`signOnMode: OPENID_CONNECT`) seen through the client-metadata shape
//! of the OAuth spec's `Client` schema (`oauth-openapi.yaml`, examples `ListClientsResponse`,
//! `ClientResponseWeb`). So the simulator derives them from the apps ([`client_of`]) and re-derives the
//! whole list whenever an app changes ([`sync`]): an app's new label or redirect URIs show up in its
//! client, and a deleted app's client is gone. `client_secret` is only ever answered when a client is
//! created or its secret rotated, never on a GET, so it is never part of a derived client.

use serde_json::{Map, Value, json};

use super::{QUERY_LIMIT, Resource, SeedCtx, Seeded, Shape};
use crate::clock::parse_ms;
use crate::ratelimit::Bucket;
use crate::store::{Collection, Org};

/// The resource (and oktavault category) name.
pub const NAME: &str = "oauth_clients";

/// Okta's own bucket for `/oauth2/v1/clients` (Enterprise column of `okta/README.md`).
pub const CLIENTS: Bucket = Bucket::new("/oauth2/v1/clients", 100);

pub const RESOURCES: &[Resource] = &[Resource {
    name: NAME,
    route: "/oauth2/v1/clients",
    item_route: Some("/oauth2/v1/clients/{clientId}"),
    parent: None,
    // Spec: `queryLimit` defaults to 20, at most 200; `after` is the cursor of the `Link` header.
    shape: Shape::Array(Some(QUERY_LIMIT)),
    key: "/client_id",
    scope: "okta.clients.read",
    bucket: CLIENTS,
    // `q` (a `startsWith` search on `client_name`) is not an exact-match filter; it is not served.
    filters: &[],
    resolve: None,
    seed: seed_clients,
    // Derived from the OIDC apps: changed through `/api/v1/apps`.
    writes: None,
}];

/// Client-metadata fields an OIDC app keeps in `settings.oauthClient` under the same names.
const SETTINGS_FIELDS: &[&str] = &[
    "client_uri",
    "logo_uri",
    "redirect_uris",
    "post_logout_redirect_uris",
    "response_types",
    "grant_types",
    "application_type",
    "initiate_login_uri",
    "frontchannel_logout_uri",
    "frontchannel_logout_session_required",
    "jwks",
    "jwks_uri",
    "tos_uri",
    "policy_uri",
    "request_object_signing_alg",
    "id_token_encrypted_response_alg",
];

/// The DCR client of an app, `None` for apps that are not OIDC clients.
pub fn client_of(base: &str, app: &Value) -> Option<Value> {
    if app["signOnMode"] != "OPENID_CONNECT" {
        return None;
    }
    let app_id = app["id"].as_str()?;
    let credentials = &app["credentials"]["oauthClient"];
    let settings = &app["settings"]["oauthClient"];
    let auth_method = credentials["token_endpoint_auth_method"]
        .as_str()
        .unwrap_or("client_secret_basic");
    let mut client = Map::new();
    // Okta uses the app id as the client id unless the app was created with one of its own.
    client.insert(
        "client_id".into(),
        json!(credentials["client_id"].as_str().unwrap_or(app_id)),
    );
    let issued_ms = app["created"].as_str().and_then(parse_ms).unwrap_or_default();
    client.insert("client_id_issued_at".into(), json!(issued_ms / 1000));
    // Only clients that authenticate with a secret have one to expire (0: it does not).
    if auth_method.starts_with("client_secret") {
        client.insert("client_secret_expires_at".into(), json!(0));
    }
    client.insert("client_name".into(), app["label"].clone());
    // Okta answers these two as `null` when unset, as the spec's list example shows.
    client.insert("client_uri".into(), Value::Null);
    client.insert("logo_uri".into(), Value::Null);
    client.insert("redirect_uris".into(), json!([]));
    client.insert("application_type".into(), json!("web"));
    for field in SETTINGS_FIELDS {
        if let Some(value) = settings.get(*field) {
            client.insert(field.to_string(), value.clone());
        }
    }
    client.insert("token_endpoint_auth_method".into(), json!(auth_method));
    client.insert(
        "_links".into(),
        json!({ "app": { "href": format!("{base}/api/v1/apps/{app_id}") } }),
    );
    Some(Value::Object(client))
}

/// Every OIDC app's client, in client-id order.
fn clients(base: &str, apps: &Collection) -> Vec<Value> {
    apps.iter()
        .filter_map(|record| client_of(base, &record.value()))
        .collect()
}

fn seed_clients(ctx: &mut SeedCtx) -> Seeded {
    Seeded::from([(String::new(), clients(ctx.base, &ctx.org.apps))])
}

/// Re-derives the clients from the org's apps: call after any change to the apps.
pub fn sync(org: &mut Org, base: &str) {
    let derived = super::collection(NAME, &clients(base, &org.apps));
    org.resources
        .insert(NAME.to_string(), [(String::new(), derived)].into_iter().collect());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oidc_app(settings: Value, auth_method: &str) -> Value {
        json!({
            "id": "0oa1", "label": "Expense SPA", "signOnMode": "OPENID_CONNECT",
            "created": "2024-01-02T03:04:05.000Z",
            "credentials": { "oauthClient": { "client_id": "0oa1", "client_secret": "s3cret",
                                              "token_endpoint_auth_method": auth_method } },
            "settings": { "app": {}, "oauthClient": settings },
        })
    }

    #[test]
    fn an_oidc_app_becomes_its_client_without_the_secret() {
        let app = oidc_app(
            json!({ "redirect_uris": ["https://spa.example.com/cb"], "response_types": ["code"],
                    "grant_types": ["authorization_code"], "application_type": "browser",
                    "issuer_mode": "DYNAMIC", "pkce_required": true }),
            "none",
        );
        let client = client_of("http://127.0.0.1:9", &app).unwrap();
        assert_eq!(
            client,
            json!({
                "client_id": "0oa1", "client_id_issued_at": 1_704_164_645, "client_name": "Expense SPA",
                "client_uri": null, "logo_uri": null, "redirect_uris": ["https://spa.example.com/cb"],
                "response_types": ["code"], "grant_types": ["authorization_code"], "application_type": "browser",
                "token_endpoint_auth_method": "none",
                "_links": { "app": { "href": "http://127.0.0.1:9/api/v1/apps/0oa1" } },
            })
        );
    }

    #[test]
    fn secret_clients_say_their_secret_never_expires_and_other_apps_are_no_clients() {
        let client = client_of("", &oidc_app(json!({}), "client_secret_basic")).unwrap();
        assert_eq!(client["client_secret_expires_at"], 0);
        assert_eq!(client["application_type"], "web");
        assert!(client.get("client_secret").is_none());
        let mut saml = oidc_app(json!({}), "none");
        saml["signOnMode"] = json!("SAML_2_0");
        assert_eq!(client_of("", &saml), None);
    }
}
