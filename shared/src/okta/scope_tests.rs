//! A missing scope told apart from a refused object: both are 403 E0000006, only an OAuth token's
//! `WWW-Authenticate: Bearer ... error="insufficient_scope"` challenge says which.

use axum::Router;
use axum::routing::get;

use super::fake::{self, answer, config, okta_error, serve};
use super::{Credentials, OktaClient, OrgUrl, Refusal, Secret};

const DENIED: &str = "You do not have permission to perform the requested action";

#[tokio::test]
async fn a_403_with_an_insufficient_scope_challenge_is_a_missing_scope_and_one_without_is_one_object_refused() {
    let router = Router::new()
        .route(
            "/api/v1/groups",
            get(|| async {
                let challenge = r#"Bearer authorization_uri="http://acme.okta.com/oauth2/v1/authorize", realm="http://acme.okta.com", scope="okta.groups.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/groups""#;
                answer(403, &[("www-authenticate", challenge.into())], okta_error("E0000006", DENIED))
            }),
        )
        .route(
            "/api/v1/groups/00g1/roles",
            get(|| async { answer(403, &[], okta_error("E0000006", DENIED)) }),
        );
    let client = OktaClient::new(config(serve(router).await, fake::api_token())).unwrap();

    let category = client.get_page("/api/v1/groups", None).await.unwrap_err();
    assert!(category.is_insufficient_scope(), "{category}");
    assert!(
        matches!(&category, super::OktaError::NotGranted { refusal: Refusal::MissingScope { scope: Some(s) }, .. } if s == "okta.groups.read"),
        "{category:?}"
    );
    assert!(category.to_string().contains("lacks okta.groups.read"), "{category}");

    let one_parent = client.get_page("/api/v1/groups/00g1/roles", None).await.unwrap_err();
    assert!(one_parent.is_not_granted(), "{one_parent}");
    assert!(!one_parent.is_insufficient_scope(), "no challenge: this object only");
    assert_eq!(
        one_parent.error_code(),
        category.error_code(),
        "the same E0000006 for both"
    );
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn an_oauth_app_without_a_scope_gets_insufficient_scope_from_the_simulator_and_an_api_token_does_not() {
    let sim = okta_sim::start(okta_sim::SimConfig::new(5, 11), 0).await.unwrap();
    let url = OrgUrl::parse(&sim.url(), true).unwrap();
    let app = Credentials::ClientSecret {
        client_id: sim.client_id(),
        secret: Secret::new(sim.client_secret()),
        scopes: vec!["okta.users.read".into()],
    };
    let oauth = OktaClient::new(config(url.clone(), app)).unwrap();

    assert_eq!(oauth.get_page("/api/v1/users", Some(200)).await.unwrap().items.len(), 5);
    let groups = oauth.get_page("/api/v1/groups", Some(200)).await.unwrap_err();
    assert!(groups.is_insufficient_scope(), "{groups}");
    assert!(groups.to_string().contains("lacks okta.groups.read"), "{groups}");

    let token = OktaClient::new(config(url, Credentials::ApiToken(Secret::new(sim.api_token())))).unwrap();
    assert!(
        !token
            .get_page("/api/v1/groups", Some(200))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
