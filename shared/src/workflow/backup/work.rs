//! Work documents: the commit record of one page of a category. A page's document says which objects it
//! contributed and where their bytes are, and where the category stands after it (the cursor, the counts, the
//! parts it could not list, its log lines). It is written once, with a conditional put: the first writer of a
//! page wins, and any other writer of the same page (a retried invocation overlapping the first, a second
//! process) reads the winner's document and continues from its cursor. So the documents of a category always
//! form one chain, each page computed from the cursor of the page before it, and FinalizeBackup folds exactly
//! that chain into the manifest, whatever the interleaving of writers.
//!
//! Documents live under the job (`orgs/<org>/work/<job>/<category>/<seq>`) until the job can no longer be
//! resumed: they are deleted when it finishes, or when it is abandoned (see `super::plan`).

use serde::{Deserialize, Serialize};

use super::cursor::Cursor;
use crate::ids::{JobId, OrgId};
use crate::ports::{CategoryCounts, LogEntry};
use crate::snapshot::{BlobKind, Incomplete, Location, ObjectHash, SealingKey, SnapshotError, Vault, keys};
use crate::workflow::StepError;

/// One object of a page and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkEntry {
    pub id: String,
    pub hash: ObjectHash,
    pub last_updated: Option<String>,
    pub at: Location,
}

/// The commit record of page `seq` of a category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkDoc {
    /// Segment keys the entries point into (each entry names one by index).
    segments: Vec<String>,
    /// `[id, hash, last_updated, segment, index]` per object.
    entries: Vec<(String, ObjectHash, Option<String>, u32, u32)>,
    /// Where the next page starts.
    pub cursor: Cursor,
    /// The category's counts including this page.
    pub counts: CategoryCounts,
    /// Whether the category is complete after this page.
    pub done: bool,
    #[serde(default)]
    pub incomplete: Vec<Incomplete>,
    /// The page's job log lines (written to the catalog by whoever commits or adopts the page).
    #[serde(default)]
    pub log: Vec<LogEntry>,
}

impl WorkDoc {
    pub fn new(entries: Vec<WorkEntry>, cursor: Cursor, counts: CategoryCounts, done: bool) -> Self {
        let mut doc = WorkDoc {
            cursor,
            counts,
            done,
            ..WorkDoc::default()
        };
        doc.entries.reserve(entries.len());
        for e in entries {
            let segment = match doc.segments.iter().rposition(|k| *k == e.at.segment_key) {
                Some(i) => i,
                None => {
                    doc.segments.push(e.at.segment_key);
                    doc.segments.len() - 1
                }
            };
            doc.entries
                .push((e.id, e.hash, e.last_updated, segment as u32, e.at.index));
        }
        doc
    }

    /// The page's objects, or an error naming the document when one points past its segment list.
    pub fn into_entries(self, blob_key: &str) -> Result<Vec<WorkEntry>, StepError> {
        let segments = self.segments;
        self.entries
            .into_iter()
            .map(|(id, hash, last_updated, segment, index)| {
                let segment_key = segments.get(segment as usize).cloned().ok_or_else(|| {
                    StepError::fatal(format!(
                        "work document {blob_key} is damaged: {id} points at segment {segment} of {}",
                        segments.len()
                    ))
                })?;
                Ok(WorkEntry {
                    id,
                    hash,
                    last_updated,
                    at: Location { segment_key, index },
                })
            })
            .collect()
    }
}

/// A [`WorkEntry`] held compactly, for steps that hold a whole category (a million users): its segment key is
/// a number into a [`SegmentKeys`] shared by all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compact {
    pub id: Box<str>,
    pub hash: ObjectHash,
    pub last_updated: Option<Box<str>>,
    pub segment: u32,
    pub index: u32,
}

impl Compact {
    pub fn of(e: WorkEntry, segments: &mut SegmentKeys) -> Self {
        Compact {
            segment: segments.number(&e.at.segment_key),
            index: e.at.index,
            hash: e.hash,
            last_updated: e.last_updated.map(String::into_boxed_str),
            id: e.id.into_boxed_str(),
        }
    }

    /// Where its bytes are.
    pub fn location(&self, segments: &SegmentKeys) -> Location {
        Location {
            segment_key: segments.key(self.segment).to_owned(),
            index: self.index,
        }
    }
}

/// Segment keys, each held once, numbered.
#[derive(Debug, Default)]
pub struct SegmentKeys {
    keys: Vec<String>,
    numbers: std::collections::HashMap<String, u32>,
}

impl SegmentKeys {
    pub fn number(&mut self, key: &str) -> u32 {
        if let Some(&n) = self.numbers.get(key) {
            return n;
        }
        self.keys.push(key.to_owned());
        let n = (self.keys.len() - 1) as u32;
        self.numbers.insert(key.to_owned(), n);
        n
    }

    pub fn key(&self, n: u32) -> &str {
        &self.keys[n as usize]
    }
}

/// Commits page `seq`: writes `doc` unless a document of that page exists. Returns whether this writer's
/// document is the page's (false: another writer committed it first; read theirs).
pub async fn commit(
    vault: &Vault,
    key: &SealingKey,
    job: &JobId,
    category: &str,
    seq: u64,
    doc: &WorkDoc,
) -> Result<bool, StepError> {
    let bytes =
        serde_json::to_vec(doc).map_err(|e| StepError::fatal(format!("could not encode a work document: {e}")))?;
    let blob_key = keys::work(&key.org_id, job, category, page_number(category, seq)?);
    Ok(vault
        .put_sealed_if_absent(key, &blob_key, BlobKind::Work, &bytes)
        .await?)
}

/// The committed document of page `seq`, if that page was committed.
pub async fn read(
    vault: &Vault,
    org: &OrgId,
    job: &JobId,
    category: &str,
    seq: u64,
) -> Result<Option<WorkDoc>, StepError> {
    let blob_key = keys::work(org, job, category, page_number(category, seq)?);
    match vault.get_opened(org, &blob_key, BlobKind::Work).await {
        Ok(bytes) => Ok(Some(decode(&blob_key, &bytes)?)),
        Err(SnapshotError::Missing { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn decode(blob_key: &str, bytes: &[u8]) -> Result<WorkDoc, StepError> {
    serde_json::from_slice(bytes).map_err(|e| StepError::fatal(format!("work document {blob_key} is unreadable: {e}")))
}

fn page_number(category: &str, seq: u64) -> Result<u32, StepError> {
    u32::try_from(seq).map_err(|_| StepError::fatal(format!("{category} has more pages than a snapshot can hold")))
}

/// The keys of the pages a category committed in this job, in page order.
pub async fn page_keys(vault: &Vault, org: &OrgId, job: &JobId, category: &str) -> Result<Vec<String>, StepError> {
    let prefix = format!("{}{category}/", keys::work_prefix(org, job));
    Ok(vault.blobs().list(&prefix).await?)
}

/// The committed page at `blob_key`.
pub async fn read_page(vault: &Vault, org: &OrgId, blob_key: &str) -> Result<WorkDoc, StepError> {
    decode(blob_key, &vault.get_opened(org, blob_key, BlobKind::Work).await?)
}

/// Removes a job's work documents, once the job can no longer be resumed.
pub async fn delete_all(vault: &Vault, org: &OrgId, job: &JobId) -> Result<(), StepError> {
    for blob_key in vault.blobs().list(&keys::work_prefix(org, job)).await? {
        vault.blobs().delete(&blob_key).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::hash_object;

    fn entry(id: &str, segment: &str, index: u32) -> WorkEntry {
        WorkEntry {
            id: id.into(),
            hash: hash_object(id.as_bytes()),
            last_updated: Some("2026-01-01T00:00:00.000Z".into()),
            at: Location {
                segment_key: segment.into(),
                index,
            },
        }
    }

    #[test]
    fn a_document_keeps_its_entries_and_names_each_segment_once() {
        let entries = vec![entry("a", "s/1", 0), entry("b", "s/0", 4), entry("c", "s/1", 1)];
        let doc = WorkDoc::new(entries.clone(), Cursor::default(), CategoryCounts::default(), false);
        assert_eq!(doc.segments, ["s/1", "s/0"]);
        let json = serde_json::to_vec(&doc).unwrap();
        let back = decode("k", &json).unwrap();
        assert_eq!(back, doc);
        assert_eq!(back.into_entries("k").unwrap(), entries);
    }

    #[test]
    fn a_document_pointing_past_its_segments_is_refused_naming_it() {
        let mut doc = WorkDoc::new(
            vec![entry("a", "s/1", 0)],
            Cursor::default(),
            CategoryCounts::default(),
            true,
        );
        doc.entries[0].3 = 7;
        let err = doc.into_entries("orgs/o/work/j/users/00000003").unwrap_err();
        assert!(err.message.contains("orgs/o/work/j/users/00000003"), "{err}");
    }
}
