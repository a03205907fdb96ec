//! `--format jsonl`: the SQLite export's tables as gzipped JSON Lines, laid out so that Athena and DuckDB read
//! each as a partitioned table:
//!
//! ```text
//! <root>/<category>/org=<org>/snapshot=<snapshot>/part-<unit>.json.gz
//! <root>/snapshots/org=<org>/snapshot=<snapshot>/part-00000.json.gz
//! ```
//!
//! A table is a directory of its own (an Athena table's LOCATION holds only its files), and `org` and `snapshot`
//! are Hive-style `key=value` directories, which Athena (`MSCK REPAIR TABLE`, or partition projection) and
//! DuckDB (`hive_partitioning`) turn into columns. A row is the table's flattened columns (`tables.rs`, named by
//! [`tables::field_names`]) as strings, the object's `id`, and the whole object as a JSON string (`json`).
//!
//! Each unit of the plan is one part file: ExportPage renders it compressed into its staged piece, and
//! FinalizeDownload copies the pieces out, one at a time, so memory holds one piece. A unit that selects no object
//! writes no part.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

use super::plan::{DownloadPlan, FilePlan, SnapshotMeta, read_piece};
use super::render::WriteError;
use super::tables::{self, Column};
use crate::ports::ExportStore;
use crate::snapshot::{SnapshotError, Vault};

/// The table that names each snapshot read (its backup job, when it was taken, its status).
pub const SNAPSHOTS_TABLE: &str = "snapshots";

/// How one file's rows are written: its columns and their field names.
pub struct RowShape<'a> {
    columns: Vec<&'a Column>,
    fields: Vec<String>,
}

impl<'a> RowShape<'a> {
    /// The shape of `file`'s rows: every column but `id` (the row's `id` is the object's own).
    pub fn of(file: &'a FilePlan) -> Self {
        let all: &[Column] = file.columns.as_deref().unwrap_or_default();
        let names = tables::field_names(all);
        let (columns, fields) = all.iter().zip(names).filter(|(c, _)| c.name != "id").unzip();
        RowShape { columns, fields }
    }

    /// Appends the row of `object` (whose id is `id`) as one JSON line.
    pub fn append(&self, out: &mut Vec<u8>, id: &str, object: &Value) {
        let mut row = serde_json::Map::with_capacity(self.columns.len() + 2);
        row.insert("id".to_owned(), Value::String(id.to_owned()));
        for (column, field) in self.columns.iter().zip(&self.fields) {
            // An absent value is written as null, so every part names every column and readers that infer a
            // schema (DuckDB) see the same one in each.
            row.insert(field.clone(), column.cell(object).map_or(Value::Null, Value::String));
        }
        row.insert("json".to_owned(), Value::String(object.to_string()));
        serde_json::to_writer(&mut *out, &Value::Object(row)).expect("a JSON value serializes");
        out.push(b'\n');
    }
}

/// `lines` gzipped: one part file's bytes.
pub fn gzip(lines: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(lines.len() / 4 + 64), Compression::default());
    encoder.write_all(lines).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// The directory of a table's rows of one snapshot, relative to the download's root.
pub fn partition(table: &str, snapshot: &SnapshotMeta) -> String {
    format!("{table}/org={}/snapshot={}", snapshot.org_id, snapshot.snapshot_id)
}

/// Part `unit` of file `n`, relative to the download's root.
pub fn part_path(plan: &DownloadPlan, n: usize, unit: usize) -> String {
    let file = &plan.files[n];
    format!(
        "{}/part-{unit:05}.json.gz",
        partition(&file.category, &plan.snapshots[file.snapshot])
    )
}

/// The `snapshots` table's part of `snapshot`: one row.
fn snapshot_part(snapshot: &SnapshotMeta) -> (String, Vec<u8>) {
    let row = serde_json::json!({
        "job_id": snapshot.job_id,
        "created_at": snapshot.created_at,
        "status": snapshot.status,
    });
    let mut line = serde_json::to_vec(&row).expect("a JSON value serializes");
    line.push(b'\n');
    (
        format!("{}/part-00000.json.gz", partition(SNAPSHOTS_TABLE, snapshot)),
        gzip(&line),
    )
}

/// Where the parts go: a directory on this machine, or a prefix of the export store.
pub enum Destination<'a> {
    Directory(&'a Path),
    Exports {
        store: &'a dyn ExportStore,
        prefix: &'a str,
        /// A scratch file each part passes through on its way up (the store uploads from disk).
        scratch: &'a Path,
    },
}

impl Destination<'_> {
    async fn put(&self, relative: &str, bytes: &[u8]) -> Result<(), WriteError> {
        match self {
            Destination::Directory(root) => {
                let path = root.join(relative);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&path, bytes)?;
                Ok(())
            }
            Destination::Exports { store, prefix, scratch } => {
                std::fs::write(scratch, bytes)?;
                store
                    .publish(&format!("{prefix}/{relative}"), scratch)
                    .await
                    .map_err(|e| WriteError::Snapshot(SnapshotError::from(e)))
            }
        }
    }
}

/// Writes every part of the download to `to`, a piece at a time; returns the rows written per category.
pub async fn write_parts(
    vault: &Vault,
    plan: &DownloadPlan,
    to: &Destination<'_>,
) -> Result<BTreeMap<String, u64>, WriteError> {
    let mut counts = BTreeMap::new();
    for snapshot in &plan.snapshots {
        let (relative, bytes) = snapshot_part(snapshot);
        to.put(&relative, &bytes).await?;
    }
    for (n, file) in plan.files.iter().enumerate() {
        let mut objects = 0;
        for unit in 0..file.units.len() {
            let piece = read_piece(vault, plan, n, unit).await?;
            if piece.objects == 0 {
                continue;
            }
            to.put(&part_path(plan, n, unit), &piece.body).await?;
            objects += piece.objects;
        }
        *counts.entry(file.category.clone()).or_insert(0) += objects;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use serde_json::json;

    use super::*;
    use crate::download::plan::Unit;

    fn users_file() -> FilePlan {
        let schema = json!({"definitions": {"base": {"properties": {"login": {}}}}});
        FilePlan {
            category: "users".into(),
            snapshot: 0,
            ids: None,
            columns: tables::columns("users", &[schema]),
            units: vec![Unit {
                part: 0,
                start: 0,
                end: 1,
            }],
        }
    }

    #[test]
    fn a_row_has_the_id_the_flattened_fields_as_strings_and_the_whole_object() {
        let file = users_file();
        let shape = RowShape::of(&file);
        let mut out = Vec::new();
        let user = json!({"id": "00u1", "status": "ACTIVE", "type": {"id": "oty1"}, "profile": {"login": "a@x"}});
        shape.append(&mut out, "00u1", &user);
        let row: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(out.last(), Some(&b'\n'));
        assert_eq!(row["id"], "00u1");
        assert_eq!(row["status"], "ACTIVE");
        assert_eq!(row["type_id"], "oty1");
        assert_eq!(row["profile_login"], "a@x");
        assert_eq!(
            row["lastLogin"],
            Value::Null,
            "an absent value is a null, not a missing field"
        );
        assert_eq!(
            serde_json::from_str::<Value>(row["json"].as_str().unwrap()).unwrap(),
            user
        );
    }

    #[test]
    fn parts_are_gzip_under_hive_style_partitions() {
        let lines = b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n";
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gzip(lines)[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back.as_bytes(), lines);
        let meta = SnapshotMeta {
            org_id: crate::ids::OrgId::new("acme.okta.com").unwrap(),
            snapshot_id: crate::ids::SnapshotId::new("20260301T000000Z-abcd").unwrap(),
            job_id: crate::ids::JobId::new("job-1").unwrap(),
            created_at: "2026-03-01T00:00:00Z".into(),
            status: crate::ports::JobStatus::Completed,
        };
        let plan = DownloadPlan {
            job_id: crate::ids::JobId::new("job-2").unwrap(),
            format: crate::download::Format::Jsonl,
            snapshot: meta.clone(),
            snapshots: vec![meta.clone()],
            files: vec![users_file()],
            notes: Vec::new(),
        };
        assert_eq!(
            part_path(&plan, 0, 7),
            "users/org=acme.okta.com/snapshot=20260301T000000Z-abcd/part-00007.json.gz"
        );
        assert_eq!(
            snapshot_part(&meta).0,
            "snapshots/org=acme.okta.com/snapshot=20260301T000000Z-abcd/part-00000.json.gz"
        );
    }
}
