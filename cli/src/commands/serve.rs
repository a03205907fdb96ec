//! `oktavault serve`: the HTTP API over the embedded store, the same router the AWS deployment serves. Jobs run
//! in this process with the orgs' stored credentials; the holder of the bearer token is an admin, and so is the
//! browser that opens the printed one-time console link. The web console is served from `/`. Each backed-up
//! org's scheduled backups run while it serves (`--no-schedules` turns them off).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use oktavault_shared::api::auth::BearerToken;
use oktavault_shared::api::launcher::EmbeddedLauncher;
use oktavault_shared::api::{self, Api, Downloads, OrgHosting};
use oktavault_shared::credentials::StoredCredentialsConnector;
use oktavault_shared::okta::OrgUrlPolicy;
use oktavault_shared::ports::{NoCaptureBuses, RecordSchedules};
use secrecy::{ExposeSecret, SecretString};

use crate::args::ServeArgs;
use crate::output::Output;
use crate::store::Store;

pub async fn run(store_dir: &Path, args: ServeArgs, out: &Output) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::open(store_dir)?;
    let (auth, printed) = match args.token {
        Some(token) => (
            BearerToken::new(SecretString::from(token)).map_err(anyhow::Error::msg)?,
            None,
        ),
        None => {
            let (auth, token) = BearerToken::generate();
            (auth, Some(token))
        }
    };
    let sign_in_code = auth.issue_sign_in_code();
    let connector = Arc::new(StoredCredentialsConnector::new(
        store.vault.keys().clone(),
        args.allow_local_org,
    ));
    let downloads = store_dir.join("downloads");
    std::fs::create_dir_all(&downloads)
        .with_context(|| format!("cannot create the downloads directory {}", downloads.display()))?;
    let launcher = EmbeddedLauncher::new(store.catalog.clone(), store.vault.clone(), connector);
    let served = Arc::new(Api {
        catalog: store.catalog.clone(),
        vault: store.vault.clone(),
        launcher: Arc::new(launcher),
        auth: Arc::new(auth),
        downloads: Downloads::Files { dir: downloads },
        orgs: OrgHosting {
            schedules: Arc::new(RecordSchedules),
            capture: Arc::new(NoCaptureBuses),
            storage: format!("local store {}", store_dir.display()),
            url_policy: OrgUrlPolicy {
                allow_local: args.allow_local_org,
                allow_custom_domain: false,
            },
        },
    });
    let router = api::router(served.clone());
    // Each org's scheduled backups, as EventBridge Scheduler starts them on AWS.
    let schedules = (!args.no_schedules).then(|| api::schedules::run(served, api::schedules::TICK));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}: is another server using it?", args.listen))?;
    let address = listener.local_addr()?;
    // Plain lines on stdout, whatever --json says: a script reads the address (and the token it must send).
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{address}")?;
    if let Some(token) = &printed {
        writeln!(stdout, "token: {}", token.expose_secret())?;
    }
    // The code rides in the fragment, which browsers never send: it stays out of logs and Referer headers.
    writeln!(
        stdout,
        "console: http://{address}/sign-in#code={}",
        sign_in_code.expose_secret()
    )?;
    stdout.flush()?;
    drop(stdout);
    out.note(
        "Open the console link in a browser (it signs in once), or send `Authorization: Bearer <token>`; \
         GET /v1/openapi.yaml lists the routes. Ctrl-C stops.",
    );
    if schedules.is_some() {
        out.note("Backed-up orgs with stored credentials are backed up on their schedules while this runs.");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the API server stopped")?;
    Ok(std::process::ExitCode::SUCCESS)
}
