use crate::support::*;

/// Flips one byte of the file holding `key` in the local store.
fn flip_byte(store: &std::path::Path, key: &str, position: impl Fn(usize) -> usize) {
    let path = store.join("blobs").join(key);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = position(bytes.len());
    bytes[at] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_byte_in_a_segment_is_refused_naming_the_blob() {
    let sim = start_sim(600, 4).await;
    let store = tempfile::tempdir().unwrap();
    let report = backup_with_token(store.path(), &sim).await;
    let view = open_store(store.path());
    let org = view.snapshot_org(&snapshot_id(&report)).await;
    let segments = view.blob_keys(&format!("orgs/{org}/segments/")).await;
    let victim = segments.iter().find(|k| k.contains("/users/")).unwrap().clone();

    let ok = oktavault(store.path(), &["verify", "latest"]).await;
    assert!(ok.status.success(), "{}", text(&ok));

    flip_byte(store.path(), &victim, |len| len - 40);
    let out = oktavault(store.path(), &["verify", "latest"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&victim),
        "verify names the tampered blob: {}",
        text(&out)
    );

    let out = oktavault(store.path(), &["--json", "ls", "latest", "users"]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "reading through a tampered segment fails: {}",
        text(&out)
    );
    assert!(text(&out).contains(&victim), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_byte_anywhere_in_the_manifest_is_refused_naming_it() {
    let sim = start_sim(200, 4).await;
    let store = tempfile::tempdir().unwrap();
    let report = backup_with_token(store.path(), &sim).await;
    let view = open_store(store.path());
    let org = view.snapshot_org(&snapshot_id(&report)).await;
    let manifest = view.blob_keys(&format!("orgs/{org}/snapshots/")).await.pop().unwrap();
    let original = std::fs::read(store.path().join("blobs").join(&manifest)).unwrap();
    // The header (magic, version, wrapped key), the middle and the authentication tag.
    for position in [0usize, 6, 20, original.len() / 2, original.len() - 1] {
        std::fs::write(store.path().join("blobs").join(&manifest), &original).unwrap();
        flip_byte(store.path(), &manifest, |_| position);
        let out = oktavault(store.path(), &["verify", "latest"]).await;
        assert_eq!(out.status.code(), Some(1), "byte {position}: {}", text(&out));
        assert!(
            text(&out).contains(&manifest),
            "byte {position}: the manifest is named: {}",
            text(&out)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_segment_is_reported_missing_by_verify() {
    let sim = start_sim(300, 8).await;
    let store = tempfile::tempdir().unwrap();
    let report = backup_with_token(store.path(), &sim).await;
    let view = open_store(store.path());
    let org = view.snapshot_org(&snapshot_id(&report)).await;
    let victim = view.blob_keys(&format!("orgs/{org}/segments/")).await.pop().unwrap();
    std::fs::remove_file(store.path().join("blobs").join(&victim)).unwrap();
    let out = oktavault(store.path(), &["--json", "verify"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&victim) && stdout.to_lowercase().contains("missing"),
        "{stdout}"
    );
}
