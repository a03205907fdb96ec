//! The API Lambda: API Gateway HTTP API events through the shared router (see the library's docs).

use lambda_http::{Error, service_fn};
use oktavault_shared::aws::AwsConfig;
use oktavault_shared::lambda::{Adapters, LambdaSettings};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    // Settings first: a misconfigured container fails before any AWS call is attempted.
    let settings = LambdaSettings::from_env().inspect_err(|e| tracing::error!("cannot start: {e}"))?;
    let machines = oktavault_fn_api::state_machines(|name| std::env::var(name).ok())
        .inspect_err(|e| tracing::error!("cannot start: {e}"))?;
    let console = oktavault_shared::api::auth::ConsoleSignIn::oidc_from_env(|name| std::env::var(name).ok())
        .inspect_err(|e| tracing::error!("cannot start: {e}"))?;
    let config = AwsConfig::load(None).await;
    let orgs = oktavault_shared::api::aws_orgs::aws_org_hosting(
        &config,
        |name| std::env::var(name).ok(),
        &machines.backup,
        settings.allow_local_orgs,
    )
    .inspect_err(|e| tracing::error!("cannot start: {e}"))?;
    let router = oktavault_fn_api::router(oktavault_fn_api::aws_api(
        Adapters::from_config(&config, &settings),
        machines,
        orgs,
        console,
    ));
    tracing::info!("oktavault API function ready");
    lambda_http::run(service_fn(move |request| {
        let router = router.clone();
        async move { Ok::<_, Error>(oktavault_fn_api::handle(router, request).await) }
    }))
    .await
}
