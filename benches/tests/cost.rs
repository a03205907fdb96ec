//! `--cost` over the Okta simulator and the embedded store: what the meters count agrees with what the store holds,
//! and a week has the shape the month is built from (a first snapshot, daily runs, a weekly refresh).

use std::path::Path;

use oktavault_bench::cost::{CostBench, RunKind, measure};

fn bytes_under(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                bytes_under(&entry.path())
            } else {
                meta.len()
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_measured_week_counts_the_bytes_the_store_holds_and_daily_runs_cost_less_than_the_refresh() {
    let store = tempfile::tempdir().unwrap();
    let bench = CostBench {
        users: 80,
        seed: 11,
        rate_scale: 100.0,
        rate_share: 0.5,
        days: 7,
        change: 0.05,
        groups_changed: 2,
    };
    let runs = measure(&bench, store.path()).await.unwrap();

    let kinds: Vec<RunKind> = runs.iter().map(|r| r.kind).collect();
    let mut expected = vec![RunKind::First];
    expected.extend([RunKind::Incremental; 6]);
    expected.push(RunKind::Refresh);
    assert_eq!(kinds, expected);

    // The meter's count of live objects is what the blob directory holds, byte for byte.
    assert_eq!(
        runs.last().unwrap().stored_bytes,
        bytes_under(&store.path().join("blobs"))
    );

    let first = &runs[0];
    assert!(first.usage.s3_new_bytes > 0 && first.usage.s3_put_tier > 0, "{first:?}");
    assert!(
        first.usage.dynamodb_write_units > 0 && first.usage.kms_generate_data_key > 0,
        "{first:?}"
    );
    for run in &runs {
        // Every Task invocation is a state entered; Choices and the Map add more.
        assert!(run.transitions > run.invocations, "{run:?}");
        assert!(run.okta_calls > 0 && run.billed_ms > 0, "{run:?}");
    }
    let refresh = runs.last().unwrap();
    for (before, daily) in runs.iter().zip(&runs[1..7]) {
        // A day stores what changed, far less than the first snapshot, and reads fewer Okta pages than a refresh.
        assert!(daily.stored_bytes > before.stored_bytes, "{daily:?}");
        assert!(
            daily.stored_bytes - before.stored_bytes < first.stored_bytes / 2,
            "{daily:?}"
        );
        assert!(daily.okta_calls < refresh.okta_calls, "{daily:?} vs {refresh:?}");
    }
}
