//! The crate's README lists every write call the simulator serves, so what it documents is what it does.

#[test]
fn the_readme_lists_every_write_call() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let missing: Vec<String> = okta_sim::write_calls()
        .map(|(method, route, _)| format!("`{method} {route}`"))
        .filter(|call| !readme.contains(call.as_str()))
        .collect();
    assert!(missing.is_empty(), "README.md does not list:\n{}", missing.join("\n"));
}
