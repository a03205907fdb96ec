//! How one batch of job log lines becomes DynamoDB items: the lines as JSON, zstd-compressed
//! (log lines repeat a lot), cut into parts that each fit under DynamoDB's 400 KB item limit
//! with room for the keys. Almost every batch is one part; a huge one spans several, which the
//! catalog writes and replaces in one transaction so readers never see a mix.

use crate::ports::LogEntry;

/// Bytes of compressed data per item: 400 KB minus generous room for keys and attributes.
pub(crate) const MAX_PART_BYTES: usize = 350 * 1024;
/// A transaction holds at most 100 actions and 4 MB: parts plus deletions of stale parts.
pub(crate) const MAX_PARTS: usize = 10;
const ZSTD_LEVEL: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub(crate) enum LogBatchError {
    #[error(
        "it is {compressed} bytes compressed, more than {MAX_PARTS} items of {MAX_PART_BYTES} bytes; split it into smaller batches"
    )]
    TooLarge { compressed: usize },
    #[error("its lines could not be encoded: {0}")]
    Encode(String),
    #[error("its stored parts could not be decoded: {0}")]
    Decode(String),
}

/// The parts `entries` is stored as, in order.
pub(crate) fn encode(entries: &[LogEntry]) -> Result<Vec<Vec<u8>>, LogBatchError> {
    let json = serde_json::to_vec(entries).map_err(|e| LogBatchError::Encode(e.to_string()))?;
    let compressed = zstd::bulk::compress(&json, ZSTD_LEVEL).map_err(|e| LogBatchError::Encode(e.to_string()))?;
    if compressed.len() > MAX_PARTS * MAX_PART_BYTES {
        return Err(LogBatchError::TooLarge {
            compressed: compressed.len(),
        });
    }
    Ok(compressed.chunks(MAX_PART_BYTES).map(<[u8]>::to_vec).collect())
}

/// The lines stored as `parts` (in part order).
pub(crate) fn decode(parts: &[&[u8]]) -> Result<Vec<LogEntry>, LogBatchError> {
    let compressed = parts.concat();
    let json = zstd::stream::decode_all(compressed.as_slice()).map_err(|e| LogBatchError::Decode(e.to_string()))?;
    serde_json::from_slice(&json).map_err(|e| LogBatchError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn entry(message: String) -> LogEntry {
        LogEntry {
            at: "2026-11-23T12:00:00Z".into(),
            category: "users".into(),
            object_id: Some("00u1".into()),
            outcome: "error".into(),
            message,
        }
    }

    /// Hex of pseudo-random bytes: compresses only about 2:1, so it forces several parts.
    fn incompressible(len: usize, seed: u64) -> String {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len / 16)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                format!("{x:016x}")
            })
            .collect()
    }

    #[test]
    fn small_batches_are_one_part_and_round_trip() {
        let entries: Vec<_> = (0..200).map(|i| entry(format!("object {i} failed"))).collect();
        let parts = encode(&entries).unwrap();
        assert_eq!(parts.len(), 1);
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        assert_eq!(decode(&refs).unwrap(), entries);
    }

    #[test]
    fn large_batches_split_into_parts_under_the_item_limit() {
        let entries: Vec<_> = (0..20).map(|i| entry(incompressible(100_000, i + 1))).collect();
        let parts = encode(&entries).unwrap();
        assert!(parts.len() > 1, "{} parts", parts.len());
        assert!(parts.iter().all(|p| p.len() <= MAX_PART_BYTES));
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        assert_eq!(decode(&refs).unwrap(), entries);
    }

    #[test]
    fn a_batch_beyond_the_transaction_limit_is_refused() {
        let entries: Vec<_> = (0..80).map(|i| entry(incompressible(100_000, i + 1))).collect();
        assert!(matches!(encode(&entries), Err(LogBatchError::TooLarge { .. })));
    }

    #[test]
    fn damaged_parts_are_reported() {
        assert!(matches!(decode(&[b"not zstd"]), Err(LogBatchError::Decode(_))));
    }
}
