//! Embeds the web console's committed build output (`console/dist`) for the HTTP API (feature `api`): writes
//! `console_assets.rs` into OUT_DIR, one `(path, bytes)` entry per file, so building the Rust code needs no Node.

use std::path::{Path, PathBuf};

fn main() {
    let dist = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../console/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    if std::env::var_os("CARGO_FEATURE_API").is_some() {
        collect(&dist, &mut files);
        if !files.iter().any(|f| f.ends_with("index.html")) {
            panic!(
                "{} holds no index.html: the console's build output is committed; restore it with \
                 `git checkout console/dist` or rebuild it with `npm ci && npm run build` in console/",
                dist.display()
            );
        }
    }
    files.sort();
    let mut source = String::from("pub const ASSETS: &[(&str, &[u8])] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let served = file.strip_prefix(&dist).unwrap().to_string_lossy().replace('\\', "/");
        source.push_str(&format!(
            "    ({:?}, include_bytes!({:?})),\n",
            format!("/{served}"),
            file
        ));
    }
    source.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("console_assets.rs");
    std::fs::write(out, source).unwrap();
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
