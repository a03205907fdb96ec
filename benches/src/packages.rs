//! Lambda package sizes: each function binary in the target directory as the `bootstrap` of a
//! provided.al2023 zip. Unzipped is what counts against Lambda's 250 MB limit; zipped is what is
//! uploaded (at most 50 MB directly). Each binary is also searched for code that must never ship
//! (the Okta simulator, the test kit, the conformance suites): their source paths, which the
//! panic locations of their code keep even in a stripped binary, in the sections a running
//! program loads.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::{elf, zip};

/// The package names of the Lambda functions (`functions/*`).
pub const FUNCTION_PREFIX: &str = "oktavault-fn-";
/// Lambda's quotas, in bytes: 250 MB unzipped (code and layers), 50 MB for a zip uploaded directly.
pub const UNZIPPED_LIMIT: u64 = 250 * 1024 * 1024;
pub const ZIPPED_LIMIT: u64 = 50 * 1024 * 1024;

/// Source paths of code that only tests and the bench may link, and what each is.
const MUST_NOT_SHIP: [(&str, &str); 3] = [
    ("tests/okta-sim/src/", "Okta simulator"),
    ("shared/src/testkit/", "test kit"),
    ("shared/src/conformance.rs", "conformance suites"),
];

/// One function binary, measured.
#[derive(Debug, Clone)]
pub struct Package {
    pub function: String,
    pub path: PathBuf,
    /// `release` (cargo build, host) or `cargo-lambda` (`target/lambda/<function>/bootstrap`).
    pub built_by: &'static str,
    pub arch: &'static str,
    pub unzipped: u64,
    pub zipped: u64,
    /// What of [`MUST_NOT_SHIP`] the binary holds.
    pub test_code: Vec<&'static str>,
}

/// `target/`, when this bench runs as `target/release/oktavault-bench`.
pub fn default_target_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the bench binary")?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .context("the bench binary has no target directory above it; pass --target-dir")
}

/// The function binaries under `target_dir`: `release/oktavault-fn-*` (`cargo build --release`,
/// this machine's architecture) and `lambda/oktavault-fn-*/bootstrap` (`cargo lambda build`).
pub fn find_functions(target_dir: &Path) -> anyhow::Result<Vec<(PathBuf, &'static str)>> {
    let mut found = Vec::new();
    // (directory, what built it, whether each function is a directory holding `bootstrap`)
    for (dir, built_by, packaged) in [("release", "release", false), ("lambda", "cargo-lambda", true)] {
        let dir = target_dir.join(dir);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // `release/` also holds `<name>.d` dependency files.
            if !name.starts_with(FUNCTION_PREFIX) || name.contains('.') {
                continue;
            }
            let path = if packaged {
                entry.path().join("bootstrap")
            } else {
                entry.path()
            };
            if path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        found.extend(paths.into_iter().map(|p| (p, built_by)));
    }
    if found.is_empty() {
        bail!(
            "no Lambda function binaries in {dir}/release or {dir}/lambda: build them with `cargo build --release` \
             (the workspace's default members are the functions) or `cargo lambda build --release --arm64`",
            dir = target_dir.display()
        );
    }
    Ok(found)
}

/// Reads and zips one binary.
pub fn measure(path: &Path, built_by: &'static str) -> anyhow::Result<Package> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let zipped = zip::zip_one_executable("bootstrap", &bytes).with_context(|| format!("zipping {}", path.display()))?;
    Ok(Package {
        function: crate::lambda_init::function_name(path),
        path: path.to_path_buf(),
        built_by,
        arch: elf::machine(&bytes).unwrap_or("not ELF"),
        unzipped: bytes.len() as u64,
        zipped: zipped.len() as u64,
        test_code: test_code_in(&bytes),
    })
}

/// What of the simulator, test kit and conformance suites `binary` (an ELF file) carries in the
/// sections it loads; for a file that is not ELF, in all of it.
pub fn test_code_in(binary: &[u8]) -> Vec<&'static str> {
    let loaded = elf::allocated_sections(binary).unwrap_or_else(|| vec![0..binary.len()]);
    MUST_NOT_SHIP
        .iter()
        .filter(|(path, _)| {
            loaded
                .iter()
                .any(|range| contains(&binary[range.clone()], path.as_bytes()))
        })
        .map(|&(_, what)| what)
        .collect()
}

/// The machine `path` is built for, if it is an ELF file.
pub fn arch_of(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path).ok()?.read_exact(&mut header).ok()?;
    elf::machine(&header)
}

/// The architecture this machine runs, named as [`elf::machine`] names it.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "aarch64" => "arm64",
        _ => "other",
    }
}

/// Whether `needle` occurs in `haystack`.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, _)) = needle.split_first() else {
        return true;
    };
    let mut at = 0;
    while let Some(i) = haystack[at..].iter().position(|&b| b == first) {
        let start = at + i;
        if haystack[start..].starts_with(needle) {
            return true;
        }
        at = start + 1;
    }
    false
}

/// The package table, one row per binary, with Lambda's limits below it.
pub fn print(packages: &[Package]) {
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{:<30} {:>8} {:>13} {:>14} {:>8}  test code",
        "function", "arch", "built by", "bootstrap MiB", "zip MiB"
    );
    for p in packages {
        let test_code = match p.test_code.as_slice() {
            [] => "none".to_owned(),
            found => format!("FOUND: {}", found.join(", ")),
        };
        println!(
            "{:<30} {:>8} {:>13} {:>14.1} {:>8.1}  {test_code}",
            p.function,
            p.arch,
            p.built_by,
            mib(p.unzipped),
            mib(p.zipped)
        );
    }
    println!(
        "\nLambda limits: {:.0} MiB unzipped, {:.0} MiB zipped for a direct upload. bootstrap = the binary as packaged; \
         zip = it deflated as the package's only file",
        mib(UNZIPPED_LIMIT),
        mib(ZIPPED_LIMIT)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_code_is_named_by_its_source_paths() {
        let clean = b"panicked at shared/src/workflow/page.rs:10:5".to_vec();
        assert!(test_code_in(&clean).is_empty());
        let mut dirty = clean.clone();
        dirty.extend_from_slice(b"\0tests/okta-sim/src/lib.rs\0shared/src/conformance.rs");
        assert_eq!(test_code_in(&dirty), ["Okta simulator", "conformance suites"]);
    }

    #[test]
    fn function_binaries_are_found_in_release_and_in_cargo_lambdas_packages() {
        let target = tempfile::tempdir().unwrap();
        let release = target.path().join("release");
        let package = target.path().join("lambda/oktavault-fn-fail-job");
        std::fs::create_dir_all(&release).unwrap();
        std::fs::create_dir_all(&package).unwrap();
        for file in ["oktavault-fn-backup-page", "oktavault-fn-backup-page.d", "oktavault"] {
            std::fs::write(release.join(file), b"x").unwrap();
        }
        std::fs::write(package.join("bootstrap"), b"x").unwrap();
        std::fs::create_dir_all(target.path().join("lambda/oktavault-fn-empty")).unwrap();

        let found = find_functions(target.path()).unwrap();
        assert_eq!(
            found,
            [
                (release.join("oktavault-fn-backup-page"), "release"),
                (package.join("bootstrap"), "cargo-lambda"),
            ]
        );
    }

    #[test]
    fn no_function_binary_names_the_build_commands() {
        let target = tempfile::tempdir().unwrap();
        let err = find_functions(target.path()).unwrap_err().to_string();
        assert!(
            err.contains("cargo build --release") && err.contains("cargo lambda build"),
            "{err}"
        );
    }
}
