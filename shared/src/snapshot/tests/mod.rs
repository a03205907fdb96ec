//! Behaviour of the vault, envelope, reader and verify against in-memory ports.

pub(crate) mod fakes;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use super::*;
use crate::ids::{JobId, OrgId, SnapshotId};
use fakes::{MasterKeyProvider, MemoryStore};

/// The content tag of segment keys these tests make by hand (the vault derives it for written pages).
const TAG: ObjectHash = ObjectHash([0x5e; 32]);

struct World {
    store: Arc<MemoryStore>,
    keys: Arc<MasterKeyProvider>,
    vault: Vault,
    org: OrgId,
}

fn world() -> World {
    let store = Arc::new(MemoryStore::default());
    let keys = Arc::new(MasterKeyProvider::new());
    let vault = Vault::new(store.clone(), keys.clone());
    World {
        store,
        keys,
        vault,
        org: org("acme.okta.com"),
    }
}

impl World {
    /// A second process: same store and key provider, but a cold key cache.
    fn fresh_vault(&self) -> Vault {
        Vault::new(self.store.clone(), self.keys.clone())
    }
}

fn org(s: &str) -> OrgId {
    OrgId::new(s).unwrap()
}

fn snap(s: &str) -> SnapshotId {
    SnapshotId::new(s).unwrap()
}

fn user(n: u32) -> Value {
    json!({"id": format!("00u{n}"), "status": "ACTIVE", "profile": {"login": format!("user{n}@acme.test")},
           "lastUpdated": "2026-01-01T00:00:00.000Z"})
}

fn canonical_user(n: u32) -> CanonicalObject {
    CanonicalObject::new(format!("00u{n}"), Some("2026-01-01T00:00:00.000Z".into()), &user(n))
}

/// Writes a snapshot with `users` spread over segments of `per_segment`, returns its manifest.
async fn write_snapshot(w: &World, snapshot: &SnapshotId, users: u32, per_segment: usize) -> Manifest {
    let key = w.vault.new_sealing_key(&w.org, snapshot).await.unwrap();
    let mut manifest = Manifest::new(
        w.org.clone(),
        snapshot.clone(),
        JobId::new("job-1").unwrap(),
        "2026-01-01T00:00:00Z".into(),
        None,
    );
    let objects: Vec<_> = (0..users).map(canonical_user).collect();
    for (seq, page) in objects.chunks(per_segment).enumerate() {
        let blob_key = keys::segment(&w.org, snapshot, "users", seq as u32, &TAG);
        w.vault.write_segment(&key, &blob_key, page).await.unwrap();
        manifest.add_segment("users", &blob_key, page);
    }
    manifest.mark_skipped("app_users", "the org has no apps");
    w.vault.write_manifest(&key, &manifest).await.unwrap();
    manifest
}

#[tokio::test]
async fn sealed_blob_round_trips_and_is_not_plaintext() {
    let w = world();
    let s = snap("s1");
    let key = w.vault.new_sealing_key(&w.org, &s).await.unwrap();
    let blob_key = keys::work(&w.org, &JobId::new("job-1").unwrap(), "users", 3);
    let plaintext = br#"{"secret-looking":"hello hello hello hello"}"#;
    w.vault
        .put_sealed(&key, &blob_key, BlobKind::Work, plaintext)
        .await
        .unwrap();

    let stored = w.store.raw(&blob_key).unwrap();
    assert_eq!(&stored[..4], b"OVLT");
    assert!(
        !stored.windows(5).any(|win| win == b"hello"),
        "plaintext leaked into the sealed blob"
    );
    assert_eq!(
        w.vault.get_opened(&w.org, &blob_key, BlobKind::Work).await.unwrap(),
        plaintext
    );
    assert_eq!(
        w.fresh_vault()
            .get_opened(&w.org, &blob_key, BlobKind::Work)
            .await
            .unwrap(),
        plaintext
    );
}

#[tokio::test]
async fn snapshot_round_trips_through_segments_manifest_and_reader() {
    let w = world();
    let s = snap("20260101T000000Z-aaaa");
    let written = write_snapshot(&w, &s, 25, 10).await;

    let reader = SnapshotReader::open(w.fresh_vault(), &w.org, &s).await.unwrap();
    assert_same_entries(&w.fresh_vault().read_manifest(&w.org, &s).await.unwrap(), &written);
    assert_eq!(reader.head().categories["users"].objects, 25);
    assert_eq!(distinct_segments(&reader, "users").await, 3);
    assert_eq!(reader.object("users", "00u17").await.unwrap(), Some(user(17)));
    assert_eq!(reader.object("users", "nope").await.unwrap(), None);
    assert_eq!(reader.object("groups", "00u1").await.unwrap(), None);
    let all: std::collections::BTreeMap<String, Value> = reader.objects("users").await.unwrap().into_iter().collect();
    assert_eq!(all.len(), 25);
    assert!((0..25).all(|n| all[&format!("00u{n}")] == user(n)));
    assert_eq!(
        reader.head().categories["app_users"].skipped.as_deref(),
        Some("the org has no apps")
    );

    let segment = w
        .vault
        .read_segment(&w.org, &keys::segment(&w.org, &s, "users", 2, &TAG))
        .await
        .unwrap();
    assert_eq!(segment.len(), 5);
    assert_eq!(segment.value(0).unwrap(), user(20));

    let report = reader.verify().await;
    assert!(report.is_ok(), "{report}");
    // The head, the users' one part, and three segments.
    assert_eq!((report.blobs_checked, report.objects_checked), (5, 25));
}

/// The same entries per category (ids, hashes, where their bytes are), in whatever order.
fn assert_same_entries(a: &Manifest, b: &Manifest) {
    let flat = |m: &Manifest| -> std::collections::BTreeMap<String, Vec<(String, ObjectHash, Location)>> {
        m.categories
            .iter()
            .map(|(name, c)| {
                let mut entries: Vec<_> = c
                    .entries
                    .iter()
                    .map(|e| (e.id.clone(), e.hash, m.location(e)))
                    .collect();
                entries.sort_by(|x, y| x.0.cmp(&y.0));
                (name.clone(), entries)
            })
            .collect()
    };
    assert_eq!(flat(a), flat(b));
}

async fn distinct_segments(reader: &SnapshotReader, category: &str) -> usize {
    let mut keys = std::collections::BTreeSet::new();
    for n in 0..reader.head().categories[category].parts.len() {
        keys.extend(reader.part(category, n).await.unwrap().segments.iter().cloned());
    }
    keys.len()
}

#[tokio::test]
async fn unchanged_objects_are_carried_from_the_previous_snapshot_by_hash() {
    let w = world();
    let first = snap("20260101T000000Z-aaaa");
    let previous = write_snapshot(&w, &first, 4, 10).await;

    // Snapshot 2: user 0 changed, users 1..3 unchanged and carried by location.
    let second = snap("20260102T000000Z-bbbb");
    let key = w.vault.new_sealing_key(&w.org, &second).await.unwrap();
    let mut m = Manifest::new(
        w.org.clone(),
        second.clone(),
        JobId::new("job-2").unwrap(),
        "t".into(),
        Some(first),
    );
    let changed = [CanonicalObject::new(
        "00u0".into(),
        None,
        &json!({"id": "00u0", "status": "SUSPENDED"}),
    )];
    let fresh_key = keys::segment(&w.org, &second, "users", 0, &TAG);
    w.vault.write_segment(&key, &fresh_key, &changed).await.unwrap();
    m.add_segment("users", &fresh_key, &changed);
    let locations = previous.locations();
    for n in 1..4 {
        let o = canonical_user(n);
        m.add_entry("users", o.id, o.hash, o.last_updated, &locations[&o.hash]);
    }
    w.vault.write_manifest(&key, &m).await.unwrap();

    let reader = SnapshotReader::open(w.fresh_vault(), &w.org, &second).await.unwrap();
    assert_eq!(
        reader.object("users", "00u0").await.unwrap().unwrap()["status"],
        "SUSPENDED"
    );
    assert_eq!(reader.object("users", "00u3").await.unwrap(), Some(user(3)));
    assert_eq!(
        distinct_segments(&reader, "users").await,
        2,
        "one fresh segment, one carried"
    );
    assert!(reader.verify().await.is_ok());
}

/// Every error a damaged blob may give names the blob key (and none of them is a success).
fn assert_names_key(result: Result<Vec<u8>, SnapshotError>, blob_key: &str, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.blob_key(), Some(blob_key), "{what}: {err}");
    assert!(
        err.to_string().contains(blob_key),
        "{what}: the message does not name the key: {err}"
    );
}

#[tokio::test]
async fn flipping_any_byte_of_a_sealed_blob_is_refused_naming_the_key() {
    let w = world();
    let s = snap("s1");
    let key = w.vault.new_sealing_key(&w.org, &s).await.unwrap();
    let blob_key = keys::work(&w.org, &JobId::new("job-1").unwrap(), "users", 0);
    w.vault
        .put_sealed(&key, &blob_key, BlobKind::Work, b"{\"a\":1}")
        .await
        .unwrap();
    let good = w.store.raw(&blob_key).unwrap();

    let mut tampered = 0;
    for pos in 0..good.len() {
        for flip in [0x01u8, 0x80] {
            let mut bad = good.clone();
            bad[pos] ^= flip;
            let result = w.vault.open(&w.org, &blob_key, BlobKind::Work, &bad).await;
            if matches!(result, Err(SnapshotError::Tampered { .. })) {
                tampered += 1;
            }
            assert_names_key(result, &blob_key, &format!("byte {pos} ^ {flip:#x}"));
        }
    }
    // The ciphertext and tag (at least 16 + 1 bytes) can only fail authentication.
    assert!(tampered >= 2 * 17, "{tampered}");
    assert!(w.vault.open(&w.org, &blob_key, BlobKind::Work, &good).await.is_ok());
}

#[tokio::test]
async fn truncated_blobs_are_refused_naming_the_key() {
    let w = world();
    let key = w.vault.new_sealing_key(&w.org, &snap("s1")).await.unwrap();
    let blob_key = "orgs/acme.okta.com/work/job-1/users/00000000";
    w.vault
        .put_sealed(&key, blob_key, BlobKind::Work, b"payload")
        .await
        .unwrap();
    let good = w.store.raw(blob_key).unwrap();
    for len in 0..good.len() {
        let result = w.vault.open(&w.org, blob_key, BlobKind::Work, &good[..len]).await;
        assert_names_key(result, blob_key, &format!("truncated to {len} bytes"));
    }
}

#[tokio::test]
async fn magic_version_kind_and_missing_blobs_get_their_own_errors() {
    let w = world();
    let key = w.vault.new_sealing_key(&w.org, &snap("s1")).await.unwrap();
    let blob_key = "orgs/acme.okta.com/segments/s1/users/00000000";
    w.vault
        .write_segment(&key, blob_key, &[canonical_user(1)])
        .await
        .unwrap();
    let good = w.store.raw(blob_key).unwrap();

    let err = w
        .vault
        .open(&w.org, blob_key, BlobKind::Segment, b"{\"not\":\"ours\"}")
        .await
        .unwrap_err();
    assert!(matches!(err, SnapshotError::NotOktavaultBlob { .. }), "{err}");

    let mut future = good.clone();
    future[4] = 2;
    let err = w
        .vault
        .open(&w.org, blob_key, BlobKind::Segment, &future)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SnapshotError::UnsupportedVersion { version: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade"), "{err}");

    let err = w
        .vault
        .get_opened(&w.org, blob_key, BlobKind::Manifest)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SnapshotError::WrongKind {
                expected: BlobKind::Manifest,
                found: BlobKind::Segment,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains(blob_key));

    let missing = "orgs/acme.okta.com/segments/s1/users/00000009";
    let err = w.vault.read_segment(&w.org, missing).await.unwrap_err();
    assert!(
        matches!(err, SnapshotError::Missing { .. }) && err.to_string().contains(missing),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_blob_copied_to_another_key_or_opened_as_another_org_fails() {
    let w = world();
    let s = snap("s1");
    let key = w.vault.new_sealing_key(&w.org, &s).await.unwrap();
    let original = keys::segment(&w.org, &s, "users", 0, &TAG);
    w.vault
        .write_segment(&key, &original, &[canonical_user(1)])
        .await
        .unwrap();
    let bytes = w.store.raw(&original).unwrap();

    let copy = keys::segment(&w.org, &s, "users", 1, &TAG);
    w.store.set_raw(&copy, bytes.clone());
    let err = w.vault.read_segment(&w.org, &copy).await.unwrap_err();
    assert!(
        matches!(err, SnapshotError::Tampered { .. }) && err.to_string().contains(&copy),
        "{err}"
    );

    // Another org: the key provider refuses the context, naming the blob.
    let other = org("evil.okta.com");
    let err = w.fresh_vault().read_segment(&other, &original).await.unwrap_err();
    assert!(
        matches!(err, SnapshotError::Key { .. }) && err.to_string().contains(&original),
        "{err}"
    );

    // And even with the data key in hand, the org is in the AAD.
    let header = envelope::parse(&original, &bytes).unwrap();
    let err = envelope::open(&key.aead, &other, &original, &header).unwrap_err();
    assert!(matches!(err, SnapshotError::Tampered { .. }));
    assert!(envelope::open(&key.aead, &w.org, &original, &header).is_ok());
}

#[tokio::test]
async fn one_unwrap_per_wrapped_key_even_when_reads_run_concurrently() {
    let w = world();
    let s = snap("20260101T000000Z-aaaa");
    write_snapshot(&w, &s, 50, 5).await;
    assert_eq!(w.keys.unwraps.load(Ordering::SeqCst), 0, "the writer knows its own key");

    let reader = SnapshotReader::open(w.fresh_vault(), &w.org, &s).await.unwrap();
    let report = reader.verify().await; // 10 segments, 4 at a time
    assert!(report.is_ok(), "{report}");
    let vault = w.fresh_vault();
    let reads = (0..10).map(|i| {
        let vault = vault.clone();
        let key = keys::segment(&w.org, &s, "users", i, &TAG);
        let org = w.org.clone();
        async move { vault.read_segment(&org, &key).await }
    });
    for r in futures::future::join_all(reads).await {
        r.unwrap();
    }
    assert_eq!(w.keys.unwraps.load(Ordering::SeqCst), 2, "one unwrap per cold vault");

    let again = vault
        .sealing_key_from_wrapped(&w.org, &s, reader_wrapped(&w, &s).as_slice())
        .await
        .unwrap();
    assert_eq!(again.snapshot_id, s);
    assert_eq!(
        w.keys.unwraps.load(Ordering::SeqCst),
        2,
        "sealing_key_from_wrapped hits the same cache"
    );
}

fn reader_wrapped(w: &World, s: &SnapshotId) -> Vec<u8> {
    let bytes = w.store.raw(&keys::manifest(&w.org, s)).unwrap();
    envelope::parse("m", &bytes).unwrap().wrapped_key.to_vec()
}

#[tokio::test]
async fn a_key_from_wrapped_seals_blobs_the_writer_can_open() {
    let w = world();
    let s = snap("s1");
    let original = w.vault.new_sealing_key(&w.org, &s).await.unwrap();
    let later = w
        .fresh_vault()
        .sealing_key_from_wrapped(&w.org, &s, original.wrapped())
        .await
        .unwrap();
    w.vault
        .put_sealed(&later, "orgs/acme.okta.com/work/j/users/00000000", BlobKind::Work, b"x")
        .await
        .unwrap();
    assert_eq!(
        w.vault
            .get_opened(&w.org, "orgs/acme.okta.com/work/j/users/00000000", BlobKind::Work)
            .await
            .unwrap(),
        b"x"
    );

    let err = w
        .vault
        .sealing_key_from_wrapped(&org("other.okta.com"), &s, original.wrapped())
        .await
        .unwrap_err();
    assert!(matches!(err, SnapshotError::Key { .. }), "{err}");
}

#[tokio::test]
async fn verify_reports_an_object_that_does_not_match_the_manifest_hash() {
    let w = world();
    let s = snap("s1");
    let key = w.vault.new_sealing_key(&w.org, &s).await.unwrap();
    let mut m = Manifest::new(w.org.clone(), s.clone(), JobId::new("j").unwrap(), "t".into(), None);
    let segment_key = keys::segment(&w.org, &s, "groups", 0, &TAG);
    // The segment holds one object, the manifest claims another's hash at that place.
    w.vault
        .write_segment(&key, &segment_key, &[canonical_user(1), canonical_user(2)])
        .await
        .unwrap();
    let location = |index| Location {
        segment_key: segment_key.clone(),
        index,
    };
    m.add_entry("users", "00u1".into(), canonical_user(1).hash, None, &location(0));
    m.add_entry("users", "00u2".into(), canonical_user(9).hash, None, &location(1));
    m.add_entry("users", "00u3".into(), canonical_user(3).hash, None, &location(7));
    w.vault.write_manifest(&key, &m).await.unwrap();

    let reader = SnapshotReader::open(w.vault.clone(), &w.org, &s).await.unwrap();
    let report = reader.verify().await;
    // The head, the one part, the segment.
    assert_eq!((report.blobs_checked, report.objects_checked), (3, 3));
    let bad: Vec<_> = report
        .problems
        .iter()
        .map(|p| (p.object_id.as_deref(), p.blob_key.as_str()))
        .collect();
    assert_eq!(
        bad,
        [
            (Some("00u2"), segment_key.as_str()),
            (Some("00u3"), segment_key.as_str())
        ],
        "{report}"
    );
    assert!(report.to_string().contains(&segment_key));

    let err = reader.object("users", "00u2").await.unwrap_err();
    assert!(matches!(err, SnapshotError::ManifestMismatch { .. }), "{err}");
    assert_eq!(reader.object("users", "00u1").await.unwrap(), Some(user(1)));
}

#[tokio::test]
async fn verify_reports_missing_tampered_and_unreachable_segments_by_key() {
    let w = world();
    let s = snap("20260101T000000Z-aaaa");
    write_snapshot(&w, &s, 30, 10).await;
    let missing = keys::segment(&w.org, &s, "users", 0, &TAG);
    let tampered = keys::segment(&w.org, &s, "users", 1, &TAG);
    let throttled = keys::segment(&w.org, &s, "users", 2, &TAG);
    w.store.remove(&missing);
    let mut bytes = w.store.raw(&tampered).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    w.store.set_raw(&tampered, bytes);
    w.store.failing.lock().unwrap().insert(throttled.clone());

    let reader = SnapshotReader::open(w.fresh_vault(), &w.org, &s).await.unwrap();
    let report = reader.verify().await;
    // The head, the one part, three segments.
    assert_eq!(report.blobs_checked, 5);
    assert_eq!(report.objects_checked, 0);
    let problems: Vec<_> = report
        .problems
        .iter()
        .map(|p| (p.blob_key.as_str(), p.objects_affected, p.retryable))
        .collect();
    assert_eq!(
        problems,
        [
            (missing.as_str(), 10, false),
            (tampered.as_str(), 10, false),
            (throttled.as_str(), 10, true)
        ]
    );
    assert!(report.problems[0].reason.contains("missing"), "{report}");
    assert!(report.problems[1].reason.contains("authentication"), "{report}");

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["problems"][0]["blob_key"], missing.as_str());
    let text = report.to_string();
    assert!(
        text.contains("3 problem(s)") && text.contains(&tampered) && text.contains("verify again"),
        "{text}"
    );

    let err = reader.object("users", "00u25").await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
}

#[tokio::test]
async fn reader_keeps_recent_segments_open() {
    let w = world();
    let s = snap("s1");
    write_snapshot(&w, &s, 20, 10).await;
    let reader = SnapshotReader::open(w.vault.clone(), &w.org, &s).await.unwrap();
    let before = w.store.gets.load(Ordering::SeqCst);
    for _ in 0..3 {
        for n in 0..20 {
            reader.object("users", &format!("00u{n}")).await.unwrap().unwrap();
        }
    }
    assert_eq!(
        w.store.gets.load(Ordering::SeqCst) - before,
        3,
        "the manifest's one part and each segment fetched once"
    );
}

#[tokio::test]
async fn read_manifest_refuses_a_manifest_of_another_snapshot() {
    let w = world();
    let s1 = snap("s1");
    write_snapshot(&w, &s1, 1, 10).await;
    // A manifest sealed for s1 placed at s2's manifest key fails authentication (the key is in the AAD).
    let s2 = snap("s2");
    w.store.set_raw(
        &keys::manifest(&w.org, &s2),
        w.store.raw(&keys::manifest(&w.org, &s1)).unwrap(),
    );
    let err = w.vault.read_manifest(&w.org, &s2).await.unwrap_err();
    assert!(matches!(err, SnapshotError::Tampered { .. }), "{err}");

    let key = w.vault.new_sealing_key(&w.org, &s2).await.unwrap();
    let m = Manifest::new(w.org.clone(), s1.clone(), JobId::new("j").unwrap(), "t".into(), None);
    assert!(matches!(
        w.vault.write_manifest(&key, &m).await,
        Err(SnapshotError::InvalidInput { .. })
    ));
}

#[tokio::test]
async fn sealing_key_debug_shows_no_key_material() {
    let w = world();
    let key = w.vault.new_sealing_key(&w.org, &snap("s1")).await.unwrap();
    let debug = format!("{key:?}");
    assert!(debug.contains("<redacted>") && debug.contains("s1"), "{debug}");
    assert!(!debug.contains(&format!("{:?}", key.wrapped())), "{debug}");
}

#[tokio::test]
async fn manifest_of_100k_entries_stays_small() {
    let w = world();
    let s = snap("20260101T000000Z-aaaa");
    let key = w.vault.new_sealing_key(&w.org, &s).await.unwrap();
    let mut m = Manifest::new(w.org.clone(), s.clone(), JobId::new("j").unwrap(), "t".into(), None);
    for n in 0..100_000u32 {
        let id = format!("00u{n:07}abcdEFGH5d7"); // Okta-like 20-character ids
        let hash = hash_object(id.as_bytes());
        let last_updated = format!(
            "2025-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
            n % 12 + 1,
            n % 28 + 1,
            n % 24,
            n % 60,
            n % 59
        );
        let location = Location {
            segment_key: keys::segment(&w.org, &s, "users", n / 500, &TAG),
            index: n % 500,
        };
        m.add_entry("users", id, hash, Some(last_updated), &location);
    }
    w.vault.write_manifest(&key, &m).await.unwrap();
    let blobs = crate::ports::BlobStore::list(w.store.as_ref(), &keys::snapshot_prefix(&w.org, &s))
        .await
        .unwrap();
    let sealed_len: usize = blobs.iter().map(|k| w.store.raw(k).unwrap().len()).sum();
    println!(
        "manifest of 100k entries: {} blobs, {sealed_len} bytes sealed",
        blobs.len()
    );
    assert_eq!(blobs.len(), 3, "the head and two parts of {PART_ENTRIES}: {blobs:?}");
    // 32 random bytes of hash per entry cannot compress: 3.2 MB is the floor.
    assert!(sealed_len < 6_000_000, "{sealed_len}");
    let back = w.fresh_vault().read_manifest(&w.org, &s).await.unwrap();
    assert_eq!(back, m);
    let reader = SnapshotReader::open(w.fresh_vault(), &w.org, &s).await.unwrap();
    let users = &reader.head().categories["users"];
    assert_eq!((users.objects, users.parts.len()), (100_000, 2));
    assert_eq!(users.part_for("00u0060000abcdEFGH5d7"), Some(1));
}

#[tokio::test]
async fn a_format_1_manifest_written_before_format_2_is_still_read_and_verified() {
    let w = world();
    let s = snap("20251201T000000Z-aaaa");
    let key = w.vault.new_sealing_key(&w.org, &s).await.unwrap();
    let mut m = Manifest {
        format_version: manifest::FORMAT_1,
        ..Manifest::new(w.org.clone(), s.clone(), JobId::new("j").unwrap(), "t".into(), None)
    };
    let objects: Vec<_> = (0..12).map(canonical_user).collect();
    for (seq, page) in objects.chunks(5).enumerate() {
        let blob_key = keys::segment(&w.org, &s, "users", seq as u32, &TAG);
        w.vault.write_segment(&key, &blob_key, page).await.unwrap();
        m.add_segment("users", &blob_key, page);
    }
    m.mark_skipped("groups", "not granted");
    // As an oktavault of format 1 wrote it: the whole manifest in one sealed blob.
    let bytes = manifest::encode(&m).unwrap();
    w.vault
        .put_sealed(&key, &keys::manifest(&w.org, &s), BlobKind::Manifest, &bytes)
        .await
        .unwrap();

    let reader = SnapshotReader::open(w.fresh_vault(), &w.org, &s).await.unwrap();
    assert_eq!(reader.head().format_version, 1);
    assert_eq!(reader.head().categories["users"].objects, 12);
    assert_eq!(
        reader.head().categories["groups"].skipped.as_deref(),
        Some("not granted")
    );
    assert_eq!(reader.object("users", "00u11").await.unwrap(), Some(user(11)));
    assert_eq!(reader.objects("users").await.unwrap().len(), 12);
    assert!(reader.verify().await.is_ok());
    assert_same_entries(&w.fresh_vault().read_manifest(&w.org, &s).await.unwrap(), &m);
}
