//! The index over snapshots written with the real writer and vault on in-memory ports.

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{JobStatus, SnapshotRecord};
use crate::snapshot::tests::fakes::{MasterKeyProvider, MemoryStore};
use crate::snapshot::{CanonicalObject, ManifestWriter, Vault, id_order, keys};

struct World {
    store: Arc<MemoryStore>,
    vault: Vault,
    org: OrgId,
    records: Vec<SnapshotRecord>,
}

fn world() -> World {
    let store = Arc::new(MemoryStore::default());
    let vault = Vault::new(store.clone(), Arc::new(MasterKeyProvider::new()));
    World {
        store,
        vault,
        org: OrgId::new("acme.okta.com").unwrap(),
        records: Vec::new(),
    }
}

fn user(id: &str, login: &str, updated: &str) -> Value {
    json!({"id": id, "lastUpdated": updated, "profile": {"login": login, "email": login, "firstName": "Person"}})
}

impl World {
    /// Writes snapshot number `n` holding `users` (one segment), records it and indexes it, as finalize does.
    async fn snapshot(&mut self, n: u32, users: &[Value]) -> SnapshotId {
        let id = SnapshotId::new(format!("20260101T{n:06}Z-test")).unwrap();
        let key = self.vault.new_sealing_key(&self.org, &id).await.unwrap();
        let mut objects: Vec<CanonicalObject> = users
            .iter()
            .map(|u| {
                let updated = u["lastUpdated"].as_str().map(String::from);
                CanonicalObject::new(u["id"].as_str().unwrap().to_owned(), updated, u)
            })
            .collect();
        objects.sort_by(|a, b| id_order(&a.id, &b.id));
        let segment = self.vault.write_page_segment(&key, "users", 0, &objects).await.unwrap();
        let mut writer = ManifestWriter::new(&self.vault, &key, JobId::new("job").unwrap(), format!("{n:06}"), None);
        writer.begin("users", Vec::new()).await.unwrap();
        for (index, o) in objects.iter().enumerate() {
            let at = crate::snapshot::Location {
                segment_key: segment.clone(),
                index: index as u32,
            };
            writer
                .push(o.id.clone(), o.hash, o.last_updated.clone(), &at)
                .await
                .unwrap();
        }
        let manifest_key = writer.finish().await.unwrap();
        self.records.push(SnapshotRecord {
            snapshot_id: id.clone(),
            org_id: self.org.clone(),
            job_id: JobId::new("job").unwrap(),
            created_at: format!("2026-01-01T00:00:{n:02}Z"),
            manifest_key,
            counts: Default::default(),
            status: JobStatus::Completed,
            full_refresh: false,
            as_of: Default::default(),
            previous: None,
            changes: None,
            lacks: Vec::new(),
            trigger: Default::default(),
        });
        index_snapshot(&self.vault, &self.org, &self.records, &id)
            .await
            .unwrap();
        id
    }

    async fn load(&self) -> Loaded {
        load(&self.vault, &self.org, &self.records).await.unwrap()
    }
}

/// Three snapshots: ada changes her email in the second; bob is deleted in the third.
async fn three(w: &mut World) -> Vec<SnapshotId> {
    let ada = user("00u1", "ada@example.com", "2026-01-01T00:00:00.000Z");
    let ada2 = user("00u1", "ada.l@example.com", "2026-02-01T00:00:00.000Z");
    let bob = user("00u2", "bob@example.com", "2026-01-01T00:00:00.000Z");
    vec![
        w.snapshot(1, &[ada.clone(), bob.clone()]).await,
        w.snapshot(2, &[ada2.clone(), bob]).await,
        w.snapshot(3, &[ada2]).await,
    ]
}

#[tokio::test]
async fn each_version_is_held_once_with_the_snapshots_that_hold_it() {
    let mut w = world();
    let s = three(&mut w).await;
    let Loaded { index, reindexed } = w.load().await;
    assert!(reindexed.is_empty(), "{reindexed:?}");
    assert_eq!(index.snapshots(), &s[..]);
    assert_eq!(index.version_count(), 3, "ada twice, bob once");
    assert_eq!(
        index.matching("BOB@", None),
        vec![("users".to_owned(), "00u2".to_owned())]
    );
    assert_eq!(index.matching("00u1", None).len(), 1, "a whole id matches");
    assert!(index.matching("00u", None).is_empty(), "part of an id does not");
    assert!(index.matching("bob", Some("groups")).is_empty());
    let bob = index.versions_of("users", "00u2");
    assert_eq!(bob.len(), 1);
    assert_eq!(index.span_snapshots(bob[0].spans[0]), &s[..2]);
    assert!(!bob[0].is_current(), "bob is gone from the newest snapshot");
    let ada = index.versions_of("users", "00u1");
    assert_eq!(ada.len(), 2);
    assert_eq!(ada[0].names[0], "ada@example.com");
    assert_eq!(index.span_snapshots(ada[1].spans[0]), &s[1..]);
    assert_eq!(ada[1].last_updated.as_deref(), Some("2026-02-01T00:00:00.000Z"));
    assert_eq!(index.named("users", "ADA.L@example.com"), vec!["00u1".to_owned()]);
}

#[tokio::test]
async fn a_missing_or_damaged_delta_is_indexed_again_from_the_manifest_and_reported() {
    let mut w = world();
    let s = three(&mut w).await;
    let whole = w.load().await.index;
    w.store.remove(&keys::search_delta(&w.org, &s[1]));
    let mut damaged = w.store.raw(&keys::search_delta(&w.org, &s[2])).unwrap();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    w.store.set_raw(&keys::search_delta(&w.org, &s[2]), damaged);

    let Loaded { index, reindexed } = w.load().await;
    assert_eq!(reindexed.len(), 2, "{reindexed:?}");
    assert_eq!(reindexed[0].snapshot.as_ref(), Some(&s[1]));
    assert!(reindexed[0].reason.contains("missing"), "{}", reindexed[0].reason);
    assert_eq!(reindexed[1].snapshot.as_ref(), Some(&s[2]));
    assert!(reindexed[1].reason.contains("unreadable"), "{}", reindexed[1].reason);
    assert_eq!(index.matching("example", None), whole.matching("example", None));
    assert_eq!(index.versions_of("users", "00u2"), whole.versions_of("users", "00u2"));
    assert!(
        w.load().await.reindexed.is_empty(),
        "the repaired deltas were written back"
    );
}

#[tokio::test]
async fn a_delta_is_stored_in_parts_and_one_missing_part_makes_it_indexed_again() {
    let mut w = world();
    let users: Vec<Value> = (0..2 * delta::PART_VERSIONS + 1)
        .map(|n| {
            user(
                &format!("00u{n}"),
                &format!("user{n}@example.com"),
                "2026-01-01T00:00:00.000Z",
            )
        })
        .collect();
    let s = w.snapshot(1, &users).await;
    let parts = w.store_keys(&keys::search_delta_parts_prefix(&w.org, &s)).await;
    assert_eq!(parts.len(), 3, "{parts:?}");
    let whole = w.load().await;
    assert!(whole.reindexed.is_empty(), "{:?}", whole.reindexed);
    assert_eq!(whole.index.version_count(), users.len());

    w.store.remove(&keys::search_delta_part(&w.org, &s, 1));
    let Loaded { index, reindexed } = w.load().await;
    assert_eq!(reindexed.len(), 1, "{reindexed:?}");
    assert!(reindexed[0].reason.contains("part 1"), "{}", reindexed[0].reason);
    assert_eq!(index.matching("example", None), whole.index.matching("example", None));
    assert!(w.load().await.reindexed.is_empty(), "written back whole");

    delta::delete(&w.vault, &w.org, &s).await.unwrap();
    assert!(
        w.store_keys(&keys::search_delta_parts_prefix(&w.org, &s))
            .await
            .is_empty()
    );
    assert!(w.store.raw(&keys::search_delta(&w.org, &s)).is_none());
}

#[tokio::test]
async fn a_delta_written_whole_in_one_blob_by_an_older_version_is_still_read() {
    let mut w = world();
    let s = three(&mut w).await;
    let whole = w.load().await.index;
    // Format 1: the versions inline in the head, no parts.
    let mut old = delta::read(&w.vault, &w.org, &s[1]).await.unwrap().unwrap();
    old.format = 1;
    delta::delete(&w.vault, &w.org, &s[1]).await.unwrap();
    let key = w.vault.new_index_key(&w.org).await.unwrap();
    let bytes = serde_json::to_vec(&old).unwrap();
    w.vault
        .put_sealed(
            &key,
            &keys::search_delta(&w.org, &s[1]),
            crate::snapshot::BlobKind::Index,
            &bytes,
        )
        .await
        .unwrap();
    let Loaded { index, reindexed } = w.load().await;
    assert!(reindexed.is_empty(), "{reindexed:?}");
    assert_eq!(index.versions_of("users", "00u1"), whole.versions_of("users", "00u1"));
    assert_eq!(index.versions_of("users", "00u2"), whole.versions_of("users", "00u2"));
}

#[tokio::test]
async fn deltas_fold_into_a_base_once_enough_wait_and_a_damaged_base_is_rebuilt_from_the_manifests() {
    let mut w = world();
    let mut ada = user("00u1", "ada@example.com", "2026-01-01T00:00:00.000Z");
    for n in 0..(store::COMPACT_AFTER as u32 - 1) {
        ada["profile"]["firstName"] = json!(format!("Ada{}", n / 3));
        w.snapshot(n, &[ada.clone()]).await;
    }
    assert!(
        compact_if_due(&w.vault, &w.org, &w.records).await.unwrap().is_none(),
        "not yet due"
    );
    for n in (store::COMPACT_AFTER as u32 - 1)..(store::COMPACT_AFTER as u32 + 2) {
        ada["profile"]["firstName"] = json!(format!("Ada{}", n / 3));
        w.snapshot(n, &[ada.clone()]).await;
    }
    assert!(
        w.store.raw(&keys::search_base(&w.org)).is_none(),
        "a backup never compacts"
    );
    let reindexed = compact_if_due(&w.vault, &w.org, &w.records).await.unwrap();
    assert_eq!(reindexed, Some(Vec::new()));
    let deltas = w.store_keys(&keys::search_deltas_prefix(&w.org)).await;
    assert!(w.store.raw(&keys::search_base(&w.org)).is_some(), "compacted");
    assert!(deltas.is_empty(), "{deltas:?}");
    assert!(
        w.store_keys(&keys::search_all_delta_parts_prefix(&w.org))
            .await
            .is_empty(),
        "the parts went with their heads"
    );
    let whole = w.load().await;
    assert!(whole.reindexed.is_empty());
    assert_eq!(whole.index.snapshots().len(), store::COMPACT_AFTER + 2);
    assert_eq!(whole.index.versions_of("users", "00u1").len(), 6);

    w.store.set_raw(&keys::search_base(&w.org), b"OVLT-not-really".to_vec());
    let rebuilt = w.load().await;
    assert!(rebuilt.reindexed[0].snapshot.is_none() && rebuilt.reindexed[0].reason.contains("base"));
    assert_eq!(
        rebuilt.reindexed.len(),
        1 + store::COMPACT_AFTER + 2,
        "every snapshot the base covered (all of them: it was compacted after the last)"
    );
    assert_eq!(
        rebuilt.index.versions_of("users", "00u1"),
        whole.index.versions_of("users", "00u1")
    );
}

#[tokio::test]
async fn forgetting_a_snapshot_drops_the_versions_only_it_held() {
    let mut w = world();
    let s = three(&mut w).await;
    // Bob's only version is in s0 and s1; forgetting s0 keeps it (s1 holds it), forgetting s1 too drops it.
    forget_snapshot(&w.vault, &w.org, &w.records, &s[0]).await.unwrap();
    w.records.remove(0);
    let index = w.load().await.index;
    assert_eq!(index.snapshots(), &s[1..]);
    assert_eq!(index.matching("bob", None).len(), 1);
    assert!(
        index.matching("ada@", None).is_empty(),
        "ada's first version was only in s0"
    );
    forget_snapshot(&w.vault, &w.org, &w.records, &s[1]).await.unwrap();
    w.records.remove(0);
    let Loaded { index, reindexed } = w.load().await;
    assert!(reindexed.is_empty(), "{reindexed:?}");
    assert!(index.matching("bob", None).is_empty());
    assert_eq!(index.version_count(), 1);
    assert!(index.versions_of("users", "00u1")[0].is_current());
}

#[test]
fn forgetting_the_snapshot_between_two_runs_of_a_version_joins_them() {
    let org = OrgId::new("o").unwrap();
    let s: Vec<SnapshotId> = (0..4).map(|i| SnapshotId::new(format!("s{i}")).unwrap()).collect();
    let a = NewVersion {
        category: "users".into(),
        id: "u".into(),
        hash: crate::snapshot::hash_object(b"a"),
        last_updated: None,
        names: vec!["Ann".into()],
    };
    let b = NewVersion {
        hash: crate::snapshot::hash_object(b"b"),
        ..a.clone()
    };
    let key = |v: &NewVersion| VersionKey {
        category: v.category.clone(),
        id: v.id.clone(),
        hash: v.hash,
    };
    let delta = |n: usize, added: Vec<NewVersion>, removed: Vec<VersionKey>| Delta {
        format: delta::DELTA_FORMAT,
        snapshot: s[n].clone(),
        against: n.checked_sub(1).map(|p| s[p].clone()),
        added,
        removed,
    };
    let mut index = SearchIndex::empty(org);
    index.apply(&delta(0, vec![a.clone()], vec![])).unwrap();
    index.apply(&delta(1, vec![b.clone()], vec![key(&a)])).unwrap();
    index.apply(&delta(2, vec![a.clone()], vec![key(&b)])).unwrap();
    assert!(
        index.apply(&delta(3, vec![a.clone()], vec![])).is_err(),
        "a delta adding a version already held does not fit"
    );
    let versions = index.versions_of("users", "u");
    assert_eq!(
        versions[0].spans,
        vec![Span(0, 1), Span(2, Span::OPEN)],
        "a, b, then a again"
    );
    assert!(index.forget(&s[1]));
    let versions = index.versions_of("users", "u");
    assert_eq!(versions.len(), 1, "b was only in s1");
    assert_eq!(versions[0].spans, vec![Span(0, Span::OPEN)]);
}

impl World {
    async fn store_keys(&self, prefix: &str) -> Vec<String> {
        self.vault.blobs().list(prefix).await.unwrap()
    }
}
