//! `--format sqlite`: one SQLite file holding a table per category and a `snapshots` table, for SQL over a
//! snapshot ("which users were in group G"). Each category's table has the snapshot's id, the object's id, the
//! flattened columns of a tabular category (`tables.rs`: a user's profile attributes, a membership's ends) and the
//! whole object as JSON (`json`, which SQLite's JSON functions read). The relationship categories (group_members,
//! app_users, app_groups, user_roles, group_roles) are the relationship tables.
//!
//! The rows come from the staged pieces, read one at a time and handed to a thread that owns the connection (a
//! connection cannot be held across an await), through a channel of two pieces: memory stays bounded.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;

use rusqlite::{Connection, params_from_iter};
use serde_json::Value;

use super::plan::{DownloadPlan, read_piece};
use super::render::WriteError;
use crate::snapshot::Vault;

/// What the reading side sends the writing thread.
enum Message {
    /// Start the table of file `n`.
    Table(usize),
    /// Rows of the current table: JSON lines `[id, object]`.
    Rows(Vec<u8>),
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn sql_error(e: rusqlite::Error) -> WriteError {
    WriteError::Io(std::io::Error::other(format!("SQLite: {e}")))
}

/// Writes the SQLite file at `path` from the plan's pieces; returns the rows written per category.
pub async fn write_db(vault: &Vault, plan: &DownloadPlan, path: &Path) -> Result<BTreeMap<String, u64>, WriteError> {
    let (sender, receiver) = mpsc::sync_channel::<Message>(2);
    let writer = {
        let plan = plan.clone();
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || write_rows(&plan, &path, receiver))
    };
    let mut counts = BTreeMap::new();
    let mut sent = Ok(());
    'files: for (n, file) in plan.files.iter().enumerate() {
        if sender.send(Message::Table(n)).is_err() {
            break;
        }
        let mut objects = 0;
        for unit in 0..file.units.len() {
            let piece = match read_piece(vault, plan, n, unit).await {
                Ok(piece) => piece,
                Err(e) => {
                    sent = Err(WriteError::Snapshot(e));
                    break 'files;
                }
            };
            objects += piece.objects;
            if sender.send(Message::Rows(piece.body)).is_err() {
                break 'files;
            }
        }
        counts.insert(file.category.clone(), objects);
    }
    drop(sender);
    let written = writer
        .await
        .map_err(|e| WriteError::Io(std::io::Error::other(format!("the SQLite writer stopped: {e}"))))?;
    sent?;
    written?;
    Ok(counts)
}

/// The writing thread: creates the tables and inserts the rows it receives, in one transaction.
fn write_rows(plan: &DownloadPlan, path: &Path, receiver: mpsc::Receiver<Message>) -> Result<(), WriteError> {
    let mut conn = Connection::open(path).map_err(sql_error)?;
    // The file is new and appears only when whole: no journal is needed to survive a crash.
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        .map_err(sql_error)?;
    let tx = conn.transaction().map_err(sql_error)?;
    tx.execute_batch(
        "CREATE TABLE snapshots (snapshot_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, job_id TEXT NOT NULL, \
         created_at TEXT NOT NULL, status TEXT NOT NULL)",
    )
    .map_err(sql_error)?;
    for s in &plan.snapshots {
        tx.execute(
            "INSERT INTO snapshots VALUES (?1, ?2, ?3, ?4, ?5)",
            [
                s.snapshot_id.as_str(),
                s.org_id.as_str(),
                s.job_id.as_str(),
                s.created_at.as_str(),
                s.status.as_str(),
            ],
        )
        .map_err(sql_error)?;
    }
    let mut current: Option<usize> = None;
    for message in receiver {
        match message {
            Message::Table(n) => {
                let file = &plan.files[n];
                let columns: Vec<String> = file
                    .columns
                    .iter()
                    .flatten()
                    .filter(|c| c.name != "id")
                    .map(|c| format!("{} TEXT", quoted(&c.name)))
                    .collect();
                let mut definition = vec!["snapshot_id TEXT NOT NULL".to_owned(), "id TEXT NOT NULL".to_owned()];
                definition.extend(columns);
                definition.push("json TEXT NOT NULL".to_owned());
                definition.push("PRIMARY KEY (snapshot_id, id)".to_owned());
                tx.execute_batch(&format!(
                    "CREATE TABLE IF NOT EXISTS {} ({})",
                    quoted(&file.category),
                    definition.join(", ")
                ))
                .map_err(sql_error)?;
                current = Some(n);
            }
            Message::Rows(body) => {
                let file = &plan.files[current.expect("a table before its rows")];
                let columns: Vec<_> = file.columns.iter().flatten().filter(|c| c.name != "id").collect();
                let placeholders = vec!["?"; columns.len() + 3].join(", ");
                let mut insert = tx
                    .prepare_cached(&format!(
                        "INSERT INTO {} VALUES ({placeholders})",
                        quoted(&file.category)
                    ))
                    .map_err(sql_error)?;
                for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    let (id, object): (String, Value) = serde_json::from_slice(line)
                        .map_err(|e| WriteError::Io(std::io::Error::other(format!("a staged row: {e}"))))?;
                    let snapshot = &plan.snapshots[file.snapshot].snapshot_id;
                    let mut values: Vec<Option<String>> = vec![Some(snapshot.to_string()), Some(id)];
                    values.extend(columns.iter().map(|c| c.cell(&object)));
                    values.push(Some(object.to_string()));
                    insert.execute(params_from_iter(values)).map_err(sql_error)?;
                }
            }
        }
    }
    tx.commit().map_err(sql_error)?;
    Ok(())
}
