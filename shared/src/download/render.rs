//! Renders one unit of a snapshot's objects in a download's format, and streams the finished file out of the
//! rendered pieces.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::Value;

use super::format::Format;
use super::jsonl::{self, RowShape};
use super::plan::{DownloadPlan, FilePlan, Piece, Unit, read_piece};
use super::tables::csv_row;
use super::zip::ZipWriter;
use crate::snapshot::{SnapshotError, SnapshotReader, Vault};

/// Separates two objects of a JSON document's array.
const JSON_SEPARATOR: &[u8] = b",\n";

/// The objects of `unit` that `file` selects, rendered.
pub async fn render(
    reader: &SnapshotReader,
    format: Format,
    file: &FilePlan,
    unit: &Unit,
) -> Result<Piece, SnapshotError> {
    let part = reader.part(&file.category, unit.part).await?;
    let mut piece = Piece::default();
    let rows = (format == Format::Jsonl).then(|| RowShape::of(file));
    let end = unit.end.min(part.entries.len());
    for entry in &part.entries[unit.start.min(end)..end] {
        if file.ids.as_ref().is_some_and(|ids| !ids.contains(&entry.id)) {
            continue;
        }
        let object = reader.value(&file.category, &part, entry).await?;
        match &rows {
            Some(rows) => {
                rows.append(&mut piece.body, &entry.id, &object);
                piece.objects += 1;
            }
            None => append(&mut piece, format, file, &entry.id, &object),
        }
    }
    if rows.is_some() {
        // Each piece is a part file of its own, stored as it will be published.
        piece.body = jsonl::gzip(&piece.body);
    }
    Ok(piece)
}

fn append(piece: &mut Piece, format: Format, file: &FilePlan, id: &str, object: &Value) {
    match format {
        Format::Json => {
            if piece.objects > 0 {
                piece.body.extend_from_slice(JSON_SEPARATOR);
            }
            serde_json::to_writer(&mut piece.body, object).expect("a JSON value serializes");
        }
        Format::Csv => {
            let cells: Vec<Option<String>> = file
                .columns
                .iter()
                .flatten()
                .map(|column| column.cell(object))
                .collect();
            csv_row(&mut piece.body, cells.iter().map(Option::as_deref));
        }
        Format::Sqlite => {
            // A JSON line `[id, object]`: the table's rows are made from it when the file is written.
            serde_json::to_writer(&mut piece.body, &(id, object)).expect("a JSON value serializes");
            piece.body.push(b'\n');
        }
        Format::Jsonl => unreachable!("JSON Lines rows are rendered by jsonl::RowShape"),
    }
    piece.objects += 1;
}

/// Streams the finished download into `out` (a zip of one file per category, or the one file), reading one piece
/// at a time; returns the objects written per category.
pub async fn write_file<W: Write>(
    vault: &Vault,
    plan: &DownloadPlan,
    out: W,
) -> Result<BTreeMap<String, u64>, WriteError> {
    let mut counts = BTreeMap::new();
    if plan.is_zip() {
        let mut zip = ZipWriter::new(out);
        for n in 0..plan.files.len() {
            zip.start(&plan.entry_name(n))?;
            counts.insert(
                plan.files[n].category.clone(),
                write_one(vault, plan, n, &mut zip).await?,
            );
        }
        zip.finish()?.flush()?;
    } else {
        let mut out = out;
        for n in 0..plan.files.len() {
            counts.insert(
                plan.files[n].category.clone(),
                write_one(vault, plan, n, &mut out).await?,
            );
        }
        out.flush()?;
    }
    Ok(counts)
}

/// Why the file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("writing the download: {0}")]
    Io(#[from] std::io::Error),
}

async fn write_one<W: Write>(vault: &Vault, plan: &DownloadPlan, n: usize, out: &mut W) -> Result<u64, WriteError> {
    let file = &plan.files[n];
    let mut objects = 0;
    match plan.format {
        Format::Json => {
            let head = serde_json::json!({"snapshot": plan.snapshot, "category": file.category});
            let head = serde_json::to_string(&head).expect("metadata serializes");
            // The document is the metadata object with the objects added last, as they stream.
            out.write_all(&head.as_bytes()[..head.len() - 1])?;
            out.write_all(b",\"objects\":[\n")?;
        }
        Format::Sqlite | Format::Jsonl => {
            return Err(WriteError::Io(std::io::Error::other(format!(
                "a {} download is written table by table, not streamed as one file",
                plan.format
            ))));
        }
        Format::Csv => {
            let mut header = Vec::new();
            let names = file.columns.iter().flatten().map(|c| c.name.as_str());
            csv_row(&mut header, names.map(Some));
            out.write_all(&header)?;
        }
    }
    for unit in 0..file.units.len() {
        let piece = read_piece(vault, plan, n, unit).await?;
        if plan.format == Format::Json && objects > 0 && piece.objects > 0 {
            out.write_all(JSON_SEPARATOR)?;
        }
        out.write_all(&piece.body)?;
        objects += piece.objects;
    }
    if plan.format == Format::Json {
        write!(out, "\n],\"count\":{objects}}}\n")?;
    }
    Ok(objects)
}
