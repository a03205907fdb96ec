//! A change made to the simulated org between two backups, as an admin's script makes it: one call to its Okta
//! API with the org's token, a 429 waited out a second at a time for up to `patience`.

use std::time::Duration;

use serde_json::Value;

pub async fn admin_call(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    (method, path, body): (reqwest::Method, &str, Option<Value>),
    patience: Duration,
) -> anyhow::Result<()> {
    for _ in 0..patience.as_secs() {
        let mut request = client
            .request(method.clone(), format!("{url}{path}"))
            .header("Authorization", format!("SSWS {token}"));
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await?;
        if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        anyhow::ensure!(
            response.status().is_success(),
            "the simulator refused the change {method} {path}: {}",
            response.status()
        );
        return Ok(());
    }
    anyhow::bail!(
        "the simulator kept answering 429 to {method} {path} for {} s",
        patience.as_secs()
    )
}
