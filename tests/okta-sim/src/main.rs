//! `okta-sim`: serves a seeded simulated Okta org until killed.
//!
//! Prints `okta-sim listening on http://127.0.0.1:PORT` as its first line, then the credentials.

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;
use okta_sim::{RateConfig, SimConfig};

#[derive(Debug, Parser)]
#[command(name = "okta-sim", about = "A simulated Okta org (management API) on 127.0.0.1")]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Number of seeded users.
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// Seed for all generated data and credentials.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Multiplies every rate-limit bucket (0.1 = a tenth of Okta's limits).
    #[arg(long, default_value_t = 1.0)]
    rate_scale: f64,
    /// Length of a rate-limit window in seconds.
    #[arg(long, default_value_t = 60)]
    rate_window_secs: u64,
    /// Never refuse a call for rate (the headers are still sent).
    #[arg(long)]
    no_rate_limits: bool,
    /// Lifetime of OAuth access tokens, seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl_secs: u64,
    /// Write the private_key_jwt service app's private key (PKCS#8 PEM) to this file.
    #[arg(long)]
    jwt_key_out: Option<PathBuf>,
    /// Check every request body against Okta's management spec at this path (`management-openapi.yaml`)
    /// and refuse the ones it does not allow, as Okta does (400 E0000001).
    #[arg(long)]
    validate_requests: Option<PathBuf>,
    /// A new org: only what Okta creates itself, the admin holding the API token and the service app.
    #[arg(long)]
    defaults_only: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut config = SimConfig::new(args.users, args.seed);
    config.rate = RateConfig {
        window_secs: args.rate_window_secs,
        scale: args.rate_scale,
        enabled: !args.no_rate_limits,
    };
    config.token_ttl_secs = args.token_ttl_secs;
    config.validate_requests = args.validate_requests.clone();
    config.defaults_only = args.defaults_only;
    let sim = okta_sim::start(config, args.port).await?;
    if let Some(path) = &args.jwt_key_out {
        std::fs::write(path, sim.jwt_private_key_pem()).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot write the JWT key to {}: {e}", path.display()))
        })?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "okta-sim listening on {}", sim.url())?;
    writeln!(out, "api token: {}", sim.api_token())?;
    writeln!(out, "client id: {}", sim.client_id())?;
    writeln!(out, "client secret: {}", sim.client_secret())?;
    writeln!(out, "jwt client id: {}", sim.jwt_client_id())?;
    out.flush()?;
    drop(out);
    stop_signal().await?;
    sim.shutdown().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM (how test scripts usually stop a server they started).
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}
