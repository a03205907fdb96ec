//! The measurement code of `oktavault-bench` that is not a backup: the Lambda functions' package
//! sizes ([`packages`]) and init times ([`lambda_init`], against the local Lambda Runtime API
//! emulator in [`runtime_api`]), and a restore's wall time against the bound Okta's buckets set ([`restore`]).

pub mod cost;
pub mod download;
mod elf;
pub mod lambda_init;
pub mod packages;
pub mod restore;
pub mod runtime_api;
pub mod search;
pub mod sim_admin;
mod zip;

use std::path::PathBuf;

use anyhow::bail;

/// `--packages` and `--lambda-init`: the function binaries under `target_dir` (default: the
/// target directory this bench runs from), their package sizes and/or the init times of those
/// built for this machine, `init_runs` cold starts each.
pub async fn lambda_functions(
    target_dir: Option<PathBuf>,
    sizes: bool,
    init_runs: Option<usize>,
) -> anyhow::Result<()> {
    let target_dir = match target_dir {
        Some(dir) => dir,
        None => packages::default_target_dir()?,
    };
    let found = packages::find_functions(&target_dir)?;
    if sizes {
        let measured = found
            .iter()
            .map(|(path, built_by)| packages::measure(path, built_by))
            .collect::<anyhow::Result<Vec<_>>>()?;
        packages::print(&measured);
    }
    if let Some(runs) = init_runs {
        let runnable: Vec<PathBuf> = found
            .into_iter()
            .map(|(path, _)| path)
            .filter(|path| packages::arch_of(path) == Some(packages::host_arch()))
            .collect();
        if runnable.is_empty() {
            bail!(
                "no function binary in {} is built for this machine ({}): build them with `cargo build --release`",
                target_dir.display(),
                packages::host_arch()
            );
        }
        if sizes {
            println!();
        }
        lambda_init::print(&lambda_init::measure(&runnable, runs).await?);
    }
    Ok(())
}
