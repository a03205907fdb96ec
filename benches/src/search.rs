//! `--search`: the search index at scale. Builds `users` users x `days` daily snapshots, `change` of the users
//! changing a day, through the library (the real segment and manifest writers and vault, on a local store; 90
//! simulator backups would take hours), indexing each snapshot as FinalizeBackup does and compacting the index as
//! the daily retention sweep does. Then prints the keyword
//! query latency with the index loaded, the cold load (blob reads and key unwraps apart), and the index size.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use oktavault_shared::ids::{JobId, OrgId, SnapshotId};
use oktavault_shared::local::{LocalBlobStore, LocalKeyProvider};
use oktavault_shared::ports::{
    BlobStore, DataKey, JobStatus, KeyContext, KeyError, KeyProvider, PlainKey, SnapshotRecord, StoreError,
};
use oktavault_shared::search;
use oktavault_shared::snapshot::{CanonicalObject, Location, ManifestWriter, ObjectHash, Vault, id_order, keys};
use serde_json::{Value, json};

pub struct SearchBench {
    pub users: usize,
    pub days: usize,
    /// The share of users changed each day.
    pub change: f64,
}

/// Objects per written segment, as a backup page holds.
const PAGE: usize = 1000;

pub async fn run(bench: &SearchBench) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let blobs = Arc::new(Timed::new(LocalBlobStore::open(dir.path().join("blobs"))?));
    let keys_provider = Arc::new(TimedKeys::new(LocalKeyProvider::open(dir.path().join("master.key"))?));
    let vault = Vault::new(blobs.clone(), keys_provider.clone());
    let org = OrgId::new("bench.okta.com")?;
    println!(
        "\nsearch: {} users x {} daily snapshots, {:.1}% of users changing a day",
        bench.users,
        bench.days,
        bench.change * 100.0
    );
    let mut users: Vec<(String, Value)> = (0..bench.users).map(|i| user(i, 0)).collect();
    users.sort_by(|a, b| id_order(&a.0, &b.0));
    let mut at: Vec<Option<(ObjectHash, Location, Option<String>)>> = vec![None; users.len()];
    let mut records = Vec::new();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let per_day = ((bench.users as f64) * bench.change).round() as usize;
    let (mut writing, mut indexing, mut compacting) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut compactions = 0;
    for day in 0..bench.days {
        let started = Instant::now();
        let changed: Vec<usize> = if day == 0 {
            (0..users.len()).collect()
        } else {
            let mut picked: Vec<usize> = (0..per_day)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    (rng % users.len() as u64) as usize
                })
                .collect();
            picked.sort_unstable();
            picked.dedup();
            picked
        };
        for &i in &changed {
            if day > 0 {
                let n: usize = users[i].0[3..].parse()?;
                users[i] = user(n, day);
            }
        }
        let snapshot = SnapshotId::new(format!("20260101T000000Z-d{day:03}"))?;
        let key = vault.new_sealing_key(&org, &snapshot).await?;
        for (seq, page) in changed.chunks(PAGE).enumerate() {
            let objects: Vec<CanonicalObject> = page
                .iter()
                .map(|&i| {
                    let updated = users[i].1["lastUpdated"].as_str().map(String::from);
                    CanonicalObject::new(users[i].0.clone(), updated, &users[i].1)
                })
                .collect();
            let segment = vault.write_page_segment(&key, "users", seq as u32, &objects).await?;
            for (index, (&i, o)) in page.iter().zip(&objects).enumerate() {
                let location = Location {
                    segment_key: segment.clone(),
                    index: index as u32,
                };
                at[i] = Some((o.hash, location, o.last_updated.clone()));
            }
        }
        let created_at = format!("2026-01-01T00:00:00Z+{day:03}");
        let mut writer = ManifestWriter::new(
            &vault,
            &key,
            JobId::new(format!("job-{day}"))?,
            created_at.clone(),
            None,
        );
        writer.begin("users", Vec::new()).await?;
        for (i, (id, _)) in users.iter().enumerate() {
            let (hash, location, updated) = at[i].as_ref().expect("every user is written on day 0");
            writer.push(id.clone(), *hash, updated.clone(), location).await?;
        }
        let manifest_key = writer.finish().await?;
        records.push(SnapshotRecord {
            snapshot_id: snapshot.clone(),
            org_id: org.clone(),
            job_id: JobId::new(format!("job-{day}"))?,
            created_at,
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
        writing += started.elapsed();
        let started = Instant::now();
        search::index_snapshot(&vault, &org, &records, &snapshot).await?;
        indexing += started.elapsed();
        // The day's retention sweep folds the deltas into the base once enough wait.
        let started = Instant::now();
        if search::compact_if_due(&vault, &org, &records).await?.is_some() {
            compactions += 1;
        }
        compacting += started.elapsed();
    }
    println!(
        "  built in {:.1} s writing snapshots, {:.1} s indexing them ({:.0} ms a finalize on average)",
        writing.as_secs_f64(),
        indexing.as_secs_f64(),
        indexing.as_secs_f64() * 1000.0 / bench.days as f64
    );
    println!(
        "  {compactions} compactions by the sweep, {:.0} ms each on average",
        compacting.as_secs_f64() * 1000.0 / compactions.max(1) as f64
    );

    // Cold load: a fresh vault (no cached keys), counting blob reads and key unwraps.
    blobs.reset();
    keys_provider.reset();
    let cold = Vault::new(blobs.clone(), keys_provider.clone());
    let started = Instant::now();
    let loaded = search::load(&cold, &org, &records).await?;
    let load = started.elapsed();
    anyhow::ensure!(
        loaded.reindexed.is_empty(),
        "the index needed repair: {:?}",
        loaded.reindexed
    );
    let index = loaded.index;
    println!(
        "  cold load {:.0} ms: blob reads {:.0} ms ({} blobs, {:.1} MiB), key unwraps {:.1} ms ({}), opening and \
         decoding the rest; {} versions over {} snapshots",
        ms(load),
        ms(blobs.read_time()),
        blobs.reads.load(Ordering::Relaxed),
        blobs.bytes.load(Ordering::Relaxed) as f64 / 1048576.0,
        ms(keys_provider.time()),
        keys_provider.unwraps.load(Ordering::Relaxed),
        index.version_count(),
        index.snapshots().len()
    );

    for query in [
        "user0004217",
        "USER00042",
        "example.com",
        "Lovelace-77",
        "no-such-person",
    ] {
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..5 {
            let started = Instant::now();
            let hits = index.matching(query, Some("users"));
            // The versions of each object found, as a search answer lists them.
            let versions: usize = hits.iter().map(|(c, id)| index.versions_of(c, id).len()).sum();
            times.push(started.elapsed());
            found = hits.len();
            std::hint::black_box(versions);
        }
        times.sort();
        println!(
            "  query {query:?}: {found} objects, {:.1} ms (median of 5, index loaded)",
            ms(times[2])
        );
    }
    let mut size = 0u64;
    let mut count = 0;
    for key in blobs.list(&format!("orgs/{org}/search/")).await? {
        size += blobs.get(&key).await?.map_or(0, |b| b.len() as u64);
        count += 1;
    }
    println!(
        "  index size {:.1} MiB in {count} blobs (base {}, deltas under {})",
        size as f64 / 1048576.0,
        keys::search_base(&org),
        keys::search_deltas_prefix(&org)
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// User `n` as changed on `day`: its title and lastUpdated move.
fn user(n: usize, day: usize) -> (String, Value) {
    let id = format!("00u{n:07}");
    let value = json!({
        "id": id,
        "status": "ACTIVE",
        "lastUpdated": format!("2026-{:02}-{:02}T08:00:00.000Z", 1 + day / 28, 1 + day % 28),
        "profile": {
            "login": format!("user{n:07}@example.com"),
            "email": format!("user{n:07}@example.com"),
            "firstName": format!("Ada-{}", n % 1000),
            "lastName": format!("Lovelace-{}", n % 997),
            "title": format!("Engineer, day {day}"),
        },
    });
    (id, value)
}

/// A blob store that times its reads.
struct Timed<B> {
    inner: B,
    reads: AtomicU64,
    bytes: AtomicU64,
    nanos: AtomicU64,
}

impl<B> Timed<B> {
    fn new(inner: B) -> Self {
        Timed {
            inner,
            reads: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
        }
    }

    fn reset(&self) {
        for c in [&self.reads, &self.bytes, &self.nanos] {
            c.store(0, Ordering::Relaxed);
        }
    }

    fn read_time(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

#[async_trait]
impl<B: BlobStore> BlobStore for Timed<B> {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.inner.put(key, bytes).await
    }
    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        self.inner.put_if_absent(key, bytes).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let started = Instant::now();
        let got = self.inner.get(key).await;
        self.nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.reads.fetch_add(1, Ordering::Relaxed);
        if let Ok(Some(bytes)) = &got {
            self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        got
    }
    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.exists(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list(prefix).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }
}

/// A key provider that times its unwraps.
struct TimedKeys<K> {
    inner: K,
    unwraps: AtomicU64,
    nanos: AtomicU64,
}

impl<K> TimedKeys<K> {
    fn new(inner: K) -> Self {
        TimedKeys {
            inner,
            unwraps: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
        }
    }

    fn reset(&self) {
        self.unwraps.store(0, Ordering::Relaxed);
        self.nanos.store(0, Ordering::Relaxed);
    }

    fn time(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

#[async_trait]
impl<K: KeyProvider> KeyProvider for TimedKeys<K> {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        self.inner.generate_data_key(context).await
    }
    async fn unwrap_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<PlainKey, KeyError> {
        let started = Instant::now();
        let key = self.inner.unwrap_data_key(wrapped, context).await;
        self.nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.unwraps.fetch_add(1, Ordering::Relaxed);
        key
    }
}
