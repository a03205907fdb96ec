//! A segment: one page of objects packed in one blob, addressed by index.
//!
//! Plaintext layout (before zstd and sealing), all integers big-endian:
//!
//! ```text
//! count u32, then per object:
//!   id len u16 | id (UTF-8) | hash (32) | last_updated len u16 (0xFFFF = none) | last_updated
//!   | object len u32 | canonical JSON bytes
//! ```
//!
//! Each object carries its id and hash so a segment can be checked, and its objects recovered,
//! without the manifest.

use std::ops::Range;

use serde_json::Value;

use super::error::SnapshotError;
use super::hash::{CanonicalObject, ObjectHash, hash_object};

const NO_LAST_UPDATED: u16 = u16::MAX;

/// The objects of one opened segment. Every object's bytes have been checked against its hash.
#[derive(Debug, Clone)]
pub struct Segment {
    blob_key: String,
    data: Vec<u8>,
    entries: Vec<SegmentEntry>,
}

#[derive(Debug, Clone)]
struct SegmentEntry {
    id: Range<usize>,
    hash: ObjectHash,
    last_updated: Option<Range<usize>>,
    bytes: Range<usize>,
}

impl Segment {
    pub fn blob_key(&self) -> &str {
        &self.blob_key
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The canonical JSON bytes of object `index`.
    pub fn object(&self, index: u32) -> Option<&[u8]> {
        self.entries.get(index as usize).map(|e| &self.data[e.bytes.clone()])
    }

    pub fn id(&self, index: u32) -> Option<&str> {
        self.entries.get(index as usize).map(|e| self.str_at(&e.id))
    }

    pub fn hash(&self, index: u32) -> Option<ObjectHash> {
        self.entries.get(index as usize).map(|e| e.hash)
    }

    pub fn last_updated(&self, index: u32) -> Option<&str> {
        self.entries
            .get(index as usize)
            .and_then(|e| e.last_updated.as_ref())
            .map(|r| self.str_at(r))
    }

    /// Object `index` parsed as JSON.
    pub fn value(&self, index: u32) -> Result<Value, SnapshotError> {
        let bytes = self.object(index).ok_or_else(|| SnapshotError::ObjectNotInSegment {
            key: self.blob_key.clone(),
            index,
            len: self.len(),
        })?;
        serde_json::from_slice(bytes).map_err(|e| SnapshotError::Decode {
            key: self.blob_key.clone(),
            reason: format!("object {index} is not JSON: {e}"),
        })
    }

    fn str_at(&self, range: &Range<usize>) -> &str {
        std::str::from_utf8(&self.data[range.clone()]).expect("checked to be UTF-8 when the segment was decoded")
    }
}

/// Packs objects into the segment plaintext. Refuses an object whose hash is not its bytes' hash,
/// so a segment can never be written that would later fail verification.
pub fn encode(blob_key: &str, objects: &[CanonicalObject]) -> Result<Vec<u8>, SnapshotError> {
    let invalid = |reason: String| SnapshotError::InvalidInput {
        what: format!("segment {blob_key:?}"),
        reason,
    };
    let count = u32::try_from(objects.len()).map_err(|_| invalid("more than 2^32 objects".into()))?;
    let size: usize = objects.iter().map(|o| 40 + o.id.len() + o.bytes.len() + 32).sum();
    let mut out = Vec::with_capacity(4 + size);
    out.extend_from_slice(&count.to_be_bytes());
    for object in objects {
        if hash_object(&object.bytes) != object.hash {
            return Err(invalid(format!(
                "object {:?} has a hash that is not the hash of its bytes",
                object.id
            )));
        }
        let id_len = u16::try_from(object.id.len())
            .map_err(|_| invalid(format!("object id {:?}… is over 64 KiB", short(&object.id))))?;
        out.extend_from_slice(&id_len.to_be_bytes());
        out.extend_from_slice(object.id.as_bytes());
        out.extend_from_slice(object.hash.as_bytes());
        match &object.last_updated {
            Some(lu) => {
                let lu_len = u16::try_from(lu.len())
                    .ok()
                    .filter(|&n| n != NO_LAST_UPDATED)
                    .ok_or_else(|| invalid(format!("lastUpdated of object {:?} is over 64 KiB", object.id)))?;
                out.extend_from_slice(&lu_len.to_be_bytes());
                out.extend_from_slice(lu.as_bytes());
            }
            None => out.extend_from_slice(&NO_LAST_UPDATED.to_be_bytes()),
        }
        let len =
            u32::try_from(object.bytes.len()).map_err(|_| invalid(format!("object {:?} is over 4 GiB", object.id)))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&object.bytes);
    }
    Ok(out)
}

/// Reads a segment plaintext and checks every object against its hash.
pub fn decode(blob_key: &str, data: Vec<u8>) -> Result<Segment, SnapshotError> {
    let decode_error = |reason: String| SnapshotError::Decode {
        key: blob_key.to_string(),
        reason,
    };
    let mut r = Reader { data: &data, pos: 0 };
    let truncated = || decode_error("the segment ends in the middle of an object".into());
    let count = r.u32().ok_or_else(truncated)?;
    // Each object takes at least 42 bytes, so a corrupt count cannot make us reserve gigabytes.
    let mut entries = Vec::with_capacity((count as usize).min(data.len() / 42 + 1));
    for index in 0..count {
        let id_len = r.u16().ok_or_else(truncated)? as usize;
        let id = r.range(id_len).ok_or_else(truncated)?;
        let hash = ObjectHash(data[r.range(32).ok_or_else(truncated)?].try_into().expect("32 bytes"));
        let lu_len = r.u16().ok_or_else(truncated)?;
        let last_updated = match lu_len {
            NO_LAST_UPDATED => None,
            n => Some(r.range(n as usize).ok_or_else(truncated)?),
        };
        let len = r.u32().ok_or_else(truncated)? as usize;
        let bytes = r.range(len).ok_or_else(truncated)?;
        for text in std::iter::once(&id).chain(last_updated.as_ref()) {
            if std::str::from_utf8(&data[text.clone()]).is_err() {
                return Err(decode_error(format!(
                    "object {index} has an id or lastUpdated that is not UTF-8"
                )));
            }
        }
        let actual = hash_object(&data[bytes.clone()]);
        if actual != hash {
            return Err(SnapshotError::ObjectHashMismatch {
                key: blob_key.to_string(),
                index,
                expected: hash,
                actual,
            });
        }
        entries.push(SegmentEntry {
            id,
            hash,
            last_updated,
            bytes,
        });
    }
    if r.pos != data.len() {
        return Err(decode_error(format!(
            "{} bytes follow the last object",
            data.len() - r.pos
        )));
    }
    Ok(Segment {
        blob_key: blob_key.to_string(),
        data,
        entries,
    })
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn range(&mut self, n: usize) -> Option<Range<usize>> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.data.len())?;
        let range = self.pos..end;
        self.pos = end;
        Some(range)
    }

    fn u16(&mut self) -> Option<u16> {
        let r = self.range(2)?;
        Some(u16::from_be_bytes(self.data[r].try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        let r = self.range(4)?;
        Some(u32::from_be_bytes(self.data[r].try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn objects() -> Vec<CanonicalObject> {
        vec![
            CanonicalObject::new(
                "00u1".into(),
                Some("2026-01-01T00:00:00.000Z".into()),
                &json!({"id": "00u1", "n": 1}),
            ),
            CanonicalObject::new("00u2".into(), None, &json!({"id": "00u2", "profile": {"login": "é@x"}})),
        ]
    }

    #[test]
    fn segment_plaintext_round_trips() {
        let objects = objects();
        let segment = decode("k", encode("k", &objects).unwrap()).unwrap();
        assert_eq!(segment.len(), 2);
        for (i, o) in objects.iter().enumerate() {
            let i = i as u32;
            assert_eq!(segment.object(i).unwrap(), o.bytes.as_slice());
            assert_eq!(segment.id(i).unwrap(), o.id);
            assert_eq!(segment.hash(i).unwrap(), o.hash);
            assert_eq!(segment.last_updated(i), o.last_updated.as_deref());
        }
        assert_eq!(
            segment.value(1).unwrap(),
            json!({"id": "00u2", "profile": {"login": "é@x"}})
        );
        assert!(segment.object(2).is_none());
        assert!(matches!(
            segment.value(2),
            Err(SnapshotError::ObjectNotInSegment { index: 2, len: 2, .. })
        ));
    }

    #[test]
    fn encode_refuses_an_object_whose_hash_is_not_its_bytes_hash() {
        let mut objects = objects();
        objects[1].bytes = b"{}".to_vec();
        let err = encode("orgs/o/segments/s/users/00000001", &objects).unwrap_err();
        assert!(err.to_string().contains("00u2") && err.to_string().contains("orgs/o/segments/s/users/00000001"));
    }

    #[test]
    fn decode_refuses_changed_object_bytes_and_truncation() {
        let mut plain = encode("k", &objects()).unwrap();
        let truncated = plain[..plain.len() - 1].to_vec();
        assert!(matches!(decode("k", truncated), Err(SnapshotError::Decode { .. })));
        let last = plain.len() - 2;
        plain[last] ^= 1;
        assert!(matches!(
            decode("k", plain),
            Err(SnapshotError::ObjectHashMismatch { index: 1, .. })
        ));
    }
}
