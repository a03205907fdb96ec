//! Helpers shared by the integration tests: start a simulator, call it, follow `Link` headers.
#![allow(dead_code)]

use okta_sim::{SimConfig, SimHandle};
use reqwest::{Client, Response};
use serde_json::Value;

pub async fn sim(users: usize, seed: u64) -> SimHandle {
    okta_sim::start(SimConfig::new(users, seed), 0)
        .await
        .expect("simulator starts")
}

pub async fn sim_with(config: SimConfig) -> SimHandle {
    okta_sim::start(config, 0).await.expect("simulator starts")
}

pub fn client() -> Client {
    Client::builder().no_proxy().build().expect("client builds")
}

pub fn ssws(sim: &SimHandle) -> String {
    format!("SSWS {}", sim.api_token())
}

pub async fn get(sim: &SimHandle, path_and_query: &str) -> Response {
    client()
        .get(format!("{}{path_and_query}", sim.url()))
        .header("Authorization", ssws(sim))
        .send()
        .await
        .expect("call completes")
}

/// `Bearer <token>` for the simulator's client-secret service app, granted `scope`.
pub async fn bearer(sim: &SimHandle, scope: &str) -> String {
    let answer: Value = client()
        .post(sim.token_url())
        .basic_auth(sim.client_id(), Some(sim.client_secret()))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .expect("call completes")
        .json()
        .await
        .expect("a JSON answer");
    format!("Bearer {}", answer["access_token"].as_str().expect("a token is issued"))
}

/// An admin call with an optional JSON body, as the SSWS token.
pub async fn send(sim: &SimHandle, method: reqwest::Method, path: &str, body: Option<Value>) -> Response {
    let mut request = client()
        .request(method, format!("{}{path}", sim.url()))
        .header("Authorization", ssws(sim));
    if let Some(b) = body {
        request = request.json(&b);
    }
    request.send().await.expect("call completes")
}

/// The URL of the `Link` header with `rel`, if any.
pub fn link(response: &Response, rel: &str) -> Option<String> {
    response
        .headers()
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (url, params) = v.split_once(';')?;
            params
                .contains(&format!("rel=\"{rel}\""))
                .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
        })
}

/// Every object of a list, following `next` links; also returns the number of pages.
pub async fn walk(sim: &SimHandle, first: &str) -> (Vec<Value>, usize) {
    let client = client();
    let mut url = format!("{}{first}", sim.url());
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let response = client
            .get(&url)
            .header("Authorization", ssws(sim))
            .send()
            .await
            .expect("page call completes");
        assert_eq!(response.status(), 200, "page {url}");
        pages += 1;
        let next = link(&response, "next");
        assert!(link(&response, "self").is_some(), "every page has a self link");
        let page: Vec<Value> = response.json().await.expect("page is a JSON array");
        all.extend(page);
        match next {
            Some(n) => {
                assert!(n.starts_with(&sim.url()), "next links are absolute on the sim: {n}");
                url = n;
            }
            None => return (all, pages),
        }
    }
}

pub fn ids(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| v["id"].as_str().expect("object has an id").to_string())
        .collect()
}
