//! `oktavault`: backs up an Okta org to a local store, browses and verifies its snapshots, restores them, and
//! runs a self-contained demo against the bundled Okta simulator (feature `demo`, on by default).

mod args;
mod commands;
mod output;
mod progress;
mod store;

use clap::Parser;

use args::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let json = cli.json;
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            output::print_error(json, &e);
            std::process::ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let out = output::Output::new(cli.json);
    match cli.command {
        #[cfg(feature = "demo")]
        Command::Demo(a) => commands::demo::run(&cli.store, a, &out).await,
        Command::Backup(a) => commands::backup::run(&cli.store, a, &out).await,
        Command::Snapshots(a) => commands::browse::snapshots(&cli.store, a, &out).await,
        Command::Ls(a) => commands::browse::ls(&cli.store, a, &out).await,
        Command::Show(a) => commands::browse::show(&cli.store, a, &out).await,
        Command::Verify(a) => commands::verify::run(&cli.store, a, &out).await,
        Command::Diff(a) => commands::diff::run(&cli.store, a, &out).await,
        Command::Jobs(a) => commands::jobs::list(&cli.store, a, &out).await,
        Command::Job(a) => commands::jobs::show(&cli.store, a, &out).await,
        Command::Restore(a) => commands::restore::run(&cli.store, a, &out).await,
        Command::Undo(a) => commands::undo::run(&cli.store, a, &out).await,
        Command::Search(a) => commands::search::search(&cli.store, a, &out).await,
        Command::History(a) => commands::search::history(&cli.store, a, &out).await,
        Command::Download(a) => commands::download::run(&cli.store, a, &out).await,
        Command::Org(a) => commands::org::run(&cli.store, a, &out).await,
        Command::Retention(a) => commands::retention::policy(&cli.store, a, &out).await,
        Command::Prune(a) => commands::retention::prune(&cli.store, a, &out).await,
        Command::Serve(a) => commands::serve::run(&cli.store, a, &out).await,
        Command::Step(a) => commands::step::run(&cli.store, a).await,
    }
}

/// Logs go to stderr, quiet by default (`-v` for more, or `RUST_LOG`). Secrets are never logged.
fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,oktavault_shared=info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
