//! What ships in a Lambda package: `oktavault-bench --packages` run on a target directory, and
//! the workspace's build graph as `cargo tree` resolves it (offline, from Cargo.lock).

use std::path::{Path, PathBuf};
use std::process::Command;

const BENCH: &str = env!("CARGO_BIN_EXE_oktavault-bench");

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `cargo tree` at the workspace root with `args`: one line per package or feature edge.
fn cargo_tree(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .current_dir(workspace_root())
        .args([
            "tree",
            "--offline",
            "--locked",
            "--prefix",
            "none",
            "-e",
            "normal,build,features",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn packages_mode_sizes_a_function_binary_and_flags_the_simulator_linked_into_it() {
    // The bench runs the simulator: copied in as a function, it must be flagged.
    let target = tempfile::tempdir().unwrap();
    let release = target.path().join("release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(BENCH, release.join("oktavault-fn-with-simulator")).unwrap();
    let size_mib = std::fs::metadata(BENCH).unwrap().len() as f64 / (1024.0 * 1024.0);

    let out = Command::new(BENCH)
        .args(["--packages", "--target-dir"])
        .arg(target.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let row = stdout
        .lines()
        .find(|l| l.starts_with("oktavault-fn-with-simulator"))
        .unwrap_or_else(|| panic!("no row for the binary:\n{stdout}"));
    let columns: Vec<&str> = row.split_whitespace().collect();
    let arch = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x86_64"
    };
    assert_eq!(columns[1..3], [arch, "release"], "{row}");
    let (bootstrap, zipped): (f64, f64) = (columns[3].parse().unwrap(), columns[4].parse().unwrap());
    assert!(
        (bootstrap - size_mib).abs() <= 0.05,
        "{row}: the file is {size_mib:.2} MiB"
    );
    assert!(zipped > 0.0 && zipped < bootstrap, "{row}");
    assert!(row.contains("FOUND: Okta simulator, test kit"), "{row}");
}

#[test]
fn a_bare_build_compiles_only_the_functions_and_no_simulator() {
    // `cargo lambda build` runs a bare `cargo build`: the workspace's default members.
    let tree = cargo_tree(&[]);
    let functions = std::fs::read_dir(workspace_root().join("functions")).unwrap();
    for function in functions {
        let name = format!("oktavault-fn-{} v", function.unwrap().file_name().to_string_lossy());
        assert!(
            tree.contains(&name),
            "a bare build leaves out {name}: add it to default-members\n{tree}"
        );
    }
    for unwanted in [
        "okta-sim v",
        "oktavault-bench v",
        "oktavault-cli v",
        "oktavault-shared feature \"testkit\"",
        "oktavault-shared feature \"conformance\"",
    ] {
        assert!(!tree.contains(unwanted), "a bare build compiles {unwanted}:\n{tree}");
    }
}

#[test]
fn the_command_without_its_demo_feature_has_no_simulator() {
    let with_demo = cargo_tree(&["-p", "oktavault-cli"]);
    assert!(with_demo.contains("okta-sim v"), "{with_demo}");
    let without = cargo_tree(&["-p", "oktavault-cli", "--no-default-features"]);
    assert!(!without.contains("okta-sim v"), "{without}");
}
