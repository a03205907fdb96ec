//! The HTTP API behind API Gateway (HTTP API, payload 2.0): the shared router over the AWS adapters, with callers
//! read from the JWT authorizer's claims and jobs started as Step Functions executions.
//!
//! Environment: what every oktavault function reads (`OKTAVAULT_BUCKET`, `OKTAVAULT_TABLE`,
//! `OKTAVAULT_KMS_KEY_ID`, `OKTAVAULT_BUCKET_KMS_KEY_ID`, see `oktavault_shared::lambda`), and the ARNs of the
//! state machines it starts: `OKTAVAULT_BACKUP_STATE_MACHINE_ARN`, `OKTAVAULT_RESTORE_STATE_MACHINE_ARN`,
//! `OKTAVAULT_DOWNLOAD_STATE_MACHINE_ARN`; for the web console's sign-in, `OKTAVAULT_CONSOLE_ISSUER`,
//! `OKTAVAULT_CONSOLE_CLIENT_ID`, `OKTAVAULT_CONSOLE_TOKEN` and `OKTAVAULT_CONSOLE_SCOPES` (see
//! [`ConsoleSignIn::oidc_from_env`]). The same router serves the console's static files from the API's domain.

use std::sync::Arc;

use axum::http::request::Parts;
use lambda_http::request::RequestContext;
use oktavault_shared::api::auth::{Authenticate, Caller, ConsoleSignIn, caller_from_claims};
use oktavault_shared::api::launcher::{StateMachineLauncher, StateMachines};
use oktavault_shared::api::{self, Api, ApiError, Downloads, OrgHosting};
use oktavault_shared::lambda::{Adapters, StartupError};
use oktavault_shared::snapshot::Vault;
use tower::ServiceExt;

pub const ENV_BACKUP_STATE_MACHINE: &str = "OKTAVAULT_BACKUP_STATE_MACHINE_ARN";
pub const ENV_RESTORE_STATE_MACHINE: &str = "OKTAVAULT_RESTORE_STATE_MACHINE_ARN";
pub const ENV_DOWNLOAD_STATE_MACHINE: &str = "OKTAVAULT_DOWNLOAD_STATE_MACHINE_ARN";

/// The state machines' ARNs from `lookup` (an environment); each one missing is named.
pub fn state_machines(lookup: impl Fn(&str) -> Option<String>) -> Result<StateMachines, StartupError> {
    let arn = |name: &'static str, what: &'static str| {
        lookup(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or(StartupError::Missing { name, what })
    };
    Ok(StateMachines {
        backup: arn(ENV_BACKUP_STATE_MACHINE, "ARN of the backup state machine")?,
        restore: arn(ENV_RESTORE_STATE_MACHINE, "ARN of the restore state machine")?,
        download: arn(ENV_DOWNLOAD_STATE_MACHINE, "ARN of the download state machine")?,
    })
}

/// Callers from the HTTP API's JWT authorizer: the claims lambda_http puts in the request's context; and how the
/// console signs in (OIDC at the issuer the authorizer trusts, from the function's environment).
pub struct JwtAuthorizerClaims {
    pub console: ConsoleSignIn,
}

impl Authenticate for JwtAuthorizerClaims {
    fn console_sign_in(&self) -> ConsoleSignIn {
        self.console.clone()
    }

    fn caller(&self, parts: &Parts) -> Result<Caller, ApiError> {
        let claims = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(context)) => context
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| &jwt.claims),
            _ => None,
        };
        let claims = claims.ok_or_else(|| {
            ApiError::unauthenticated(
                "no JWT authorizer claims reached the API function: its routes must use the HTTP API's JWT authorizer",
            )
        })?;
        caller_from_claims(claims)
    }
}

/// The API over the AWS adapters: snapshots in S3 under KMS, the DynamoDB catalog, downloads in the export store
/// behind presigned links, and jobs started as executions of `machines`.
pub fn aws_api(adapters: Adapters, machines: StateMachines, orgs: OrgHosting, console: ConsoleSignIn) -> Arc<Api> {
    let launcher = StateMachineLauncher::new(adapters.executions.clone(), machines);
    Arc::new(Api {
        catalog: adapters.catalog,
        vault: Vault::new(adapters.blobs, adapters.keys),
        launcher: Arc::new(launcher),
        auth: Arc::new(JwtAuthorizerClaims { console }),
        downloads: Downloads::Exports(adapters.exports),
        orgs,
    })
}

/// One API Gateway request through the router: what the function does per invocation.
pub async fn handle(router: axum::Router, request: lambda_http::Request) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, axum::body::Body::new(body));
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The router of [`aws_api`].
pub fn router(api: Arc<Api>) -> axum::Router {
    api::router(api)
}
