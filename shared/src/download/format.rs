//! The file formats a download writes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One document per category: the snapshot's metadata and the objects as Okta returned them.
    Json,
    /// The tabular categories as rows of flattened columns (a user's profile attributes as columns).
    Csv,
    /// One SQLite file: a table per category (flattened columns and the whole object as JSON) and a `snapshots`
    /// table. Embedded only.
    Sqlite,
    /// The SQLite export's tables as gzipped JSON Lines, one directory (or S3 prefix) per table, partitioned
    /// Hive-style by org and snapshot (`download::jsonl`): what Athena, DuckDB and Spark read as tables.
    Jsonl,
}

impl Format {
    pub const ALL: &[Format] = &[Format::Json, Format::Csv, Format::Sqlite, Format::Jsonl];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Sqlite => "sqlite",
            Format::Jsonl => "jsonl",
        }
    }

    /// The extension of one category's file.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "json.gz",
            other => other.as_str(),
        }
    }

    /// Whether the download holds every snapshot of a `--from`/`--to` range (a table with a snapshot column).
    pub fn holds_ranges(self) -> bool {
        matches!(self, Format::Sqlite | Format::Jsonl)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL.iter().copied().find(|f| f.as_str() == s).ok_or_else(|| {
            format!(
                "unknown download format {s:?}; the formats are {}",
                Format::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}
