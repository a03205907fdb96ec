//! AWS billing units from what a backup did: DynamoDB request units by item size, S3 LIST pages, Step Functions
//! state transitions from an execution's history, Lambda GB-seconds from invocation durations. Prices are not here:
//! docs/cost.md applies the published ones to these units.

use std::time::Duration;

use oktavault_shared::asl::HistoryEventType;

/// DynamoDB on-demand: one write request unit per 1 KB of item written, rounded up per item.
pub fn write_units(item_bytes: u64) -> u64 {
    item_bytes.div_ceil(1024).max(1)
}

/// DynamoDB on-demand: one read request unit per 4 KB read with strong consistency (the adapter reads consistently),
/// rounded up per GetItem, or per Query page over the sum of the items it returned; a read that finds nothing still
/// costs one unit.
pub fn read_units(bytes_read: u64) -> u64 {
    bytes_read.div_ceil(4096).max(1)
}

/// S3 ListObjectsV2 answers at most 1,000 keys a request; listing an empty prefix is still one request.
pub fn list_requests(keys: u64) -> u64 {
    keys.div_ceil(1000).max(1)
}

/// Lambda bills each invocation's duration rounded up to the millisecond.
pub fn billed_ms(duration: Duration) -> u64 {
    let nanos = duration.as_nanos();
    nanos.div_ceil(1_000_000) as u64
}

/// GB-seconds of `billed_ms` at `memory_mb` (Lambda counts 1,024 MB as 1 GB).
pub fn gb_seconds(billed_ms: u64, memory_mb: u64) -> f64 {
    billed_ms as f64 / 1000.0 * memory_mb as f64 / 1024.0
}

/// Step Functions Standard bills a state transition each time a state is entered, and again for each retry of a
/// Task or Map (another attempt of the same state): states entered plus attempts beyond each state's first.
pub fn state_transitions(history: &[HistoryEventType]) -> u64 {
    use HistoryEventType as E;
    let count = |wanted: &[E]| history.iter().filter(|e| wanted.contains(e)).count() as u64;
    let entered = count(&[
        E::TaskStateEntered,
        E::MapStateEntered,
        E::ChoiceStateEntered,
        E::PassStateEntered,
        E::SucceedStateEntered,
        E::FailStateEntered,
    ]);
    let task_retries = count(&[E::TaskScheduled]).saturating_sub(count(&[E::TaskStateEntered]));
    let map_retries = count(&[E::MapStateStarted]).saturating_sub(count(&[E::MapStateEntered]));
    entered + task_retries + map_retries
}

#[cfg(test)]
mod tests {
    use super::*;
    use HistoryEventType as E;

    #[test]
    fn dynamodb_units_round_up_per_item_and_never_fall_to_zero() {
        assert_eq!(write_units(0), 1);
        assert_eq!(write_units(1024), 1);
        assert_eq!(write_units(1025), 2);
        assert_eq!(write_units(10 * 1024 + 1), 11);
        assert_eq!(read_units(0), 1);
        assert_eq!(read_units(4096), 1);
        assert_eq!(read_units(4097), 2);
    }

    #[test]
    fn a_listing_pays_one_request_per_thousand_keys() {
        assert_eq!(list_requests(0), 1);
        assert_eq!(list_requests(1000), 1);
        assert_eq!(list_requests(1001), 2);
    }

    #[test]
    fn lambda_rounds_each_invocation_up_to_the_millisecond() {
        assert_eq!(billed_ms(Duration::from_micros(1)), 1);
        assert_eq!(billed_ms(Duration::from_micros(1000)), 1);
        assert_eq!(billed_ms(Duration::from_micros(1001)), 2);
        assert_eq!(gb_seconds(2000, 512), 1.0);
        assert_eq!(gb_seconds(1000, 1024), 1.0);
    }

    #[test]
    fn transitions_count_states_entered_and_retries_not_other_events() {
        // A Task that failed once and was retried, a Choice, and a Succeed.
        let history = [
            E::ExecutionStarted,
            E::TaskStateEntered,
            E::TaskScheduled,
            E::TaskStarted,
            E::TaskFailed,
            E::TaskScheduled,
            E::TaskStarted,
            E::TaskSucceeded,
            E::TaskStateExited,
            E::ChoiceStateEntered,
            E::ChoiceStateExited,
            E::SucceedStateEntered,
            E::SucceedStateExited,
            E::ExecutionSucceeded,
        ];
        assert_eq!(state_transitions(&history), 4);
        // A Map entered once with two iterations of one Task each: the Map and each Task entered.
        let map = [
            E::MapStateEntered,
            E::MapStateStarted,
            E::MapIterationStarted,
            E::TaskStateEntered,
            E::TaskScheduled,
            E::TaskStateExited,
            E::MapIterationSucceeded,
            E::MapIterationStarted,
            E::TaskStateEntered,
            E::TaskScheduled,
            E::TaskStateExited,
            E::MapIterationSucceeded,
            E::MapStateSucceeded,
            E::MapStateExited,
        ];
        assert_eq!(state_transitions(&map), 3);
    }
}
