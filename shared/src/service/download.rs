//! Downloads as a person asks for them and reads about them: the request checked and resolved (`latest`, the
//! selection's form, the format, the file) before any job starts; the report of a download job; and the link to a
//! finished download, made only when asked for and never stored.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::jobs::{JobState, state_of};
use super::{ServiceError, snapshots};
use crate::download::Format;
use crate::download::select;
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{Catalog, ExportStore, JobKind, JobRecord, JobStatus, LogEntry};
use crate::workflow::download::DownloadRequest;

/// SigV4 presigned URLs are valid for at most 7 days.
pub const MAX_LINK_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);
/// What a link is valid for unless asked otherwise.
pub const DEFAULT_LINK_VALIDITY: Duration = Duration::from_secs(15 * 60);

/// A download as a person asks for it.
#[derive(Debug, Clone)]
pub struct DownloadAsk {
    /// A snapshot id, or `latest` (ignored with `from` and `to`).
    pub snapshot: String,
    /// Every snapshot taken from this date (`YYYY-MM-DD`, or RFC 3339) to `to` (SQLite and JSON Lines only).
    pub from: Option<String>,
    pub to: Option<String>,
    /// The org whose snapshot it is (needed for `latest` when the store holds several orgs).
    pub org: Option<OrgId>,
    pub selection: Vec<String>,
    pub relationships: bool,
    /// `json`, `csv`, `sqlite` or `jsonl`.
    pub format: String,
    /// The file to write (embedded); `None` on a host that puts downloads in its export store.
    pub path: Option<String>,
}

/// The workflow request for `ask`, or why it cannot run.
pub async fn request(catalog: &dyn Catalog, ask: &DownloadAsk) -> Result<DownloadRequest, ServiceError> {
    select::check(&ask.selection).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let format: Format = ask.format.parse().map_err(ServiceError::Invalid)?;
    if format == Format::Sqlite && ask.path.is_none() {
        return Err(ServiceError::Invalid(
            "a SQLite download is written by the `oktavault` command to a file (-o PATH); here, download as json or csv"
                .into(),
        ));
    }
    if let Some(path) = &ask.path {
        let path = Path::new(path);
        if path.exists() {
            return Err(ServiceError::Invalid(format!(
                "{} exists: a download never replaces a file; remove it or name another",
                path.display()
            )));
        }
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(ServiceError::Invalid(format!(
                "{} is not a directory: create it, or name a file in one that exists",
                dir.display()
            )));
        }
    }
    let range = match (&ask.from, &ask.to) {
        (None, None) => None,
        (Some(from), Some(to)) => Some(in_range(catalog, ask, from, to, format).await?),
        _ => {
            return Err(ServiceError::Invalid(
                "give both --from and --to (dates such as 2026-03-01, or RFC 3339 times)".into(),
            ));
        }
    };
    let snapshot = match &range {
        Some(range) => range.last().cloned().expect("a range holds a snapshot"),
        None => snapshots::resolve(catalog, &ask.snapshot, ask.org.as_ref()).await?,
    };
    Ok(DownloadRequest {
        snapshots: range.unwrap_or_default().into_iter().map(|s| s.snapshot_id).collect(),
        org_id: snapshot.org_id,
        snapshot_id: snapshot.snapshot_id,
        selection: ask.selection.clone(),
        relationships: ask.relationships,
        format,
        path: ask.path.clone(),
        new_job_id: None,
    })
}

/// A date (`2026-03-01`, the start of that day in UTC) or an RFC 3339 time; `end` takes the end of a date's day.
fn instant(value: &str, end: bool) -> Result<time::OffsetDateTime, ServiceError> {
    if let Some(t) = crate::timefmt::parse_rfc3339(value) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(value, &format).map_err(|_| {
        ServiceError::Invalid(format!(
            "{value:?} is not a date: give YYYY-MM-DD or an RFC 3339 time such as 2026-03-01T12:00:00Z"
        ))
    })?;
    let start = day.midnight().assume_utc();
    Ok(if end { start + time::Duration::days(1) } else { start })
}

/// The snapshots of the org taken from `from` to `to`, oldest first.
async fn in_range(
    catalog: &dyn Catalog,
    ask: &DownloadAsk,
    from: &str,
    to: &str,
    format: Format,
) -> Result<Vec<crate::ports::SnapshotRecord>, ServiceError> {
    if !format.holds_ranges() {
        return Err(ServiceError::Invalid(
            "--from and --to write every version in the range, which only --format sqlite and jsonl hold".into(),
        ));
    }
    let (from, to) = (instant(from, false)?, instant(to, true)?);
    let mut all: Vec<_> = snapshots::list(catalog, ask.org.as_ref())
        .await?
        .into_iter()
        .filter(|s| crate::timefmt::parse_rfc3339(&s.created_at).is_some_and(|t| from <= t && t < to))
        .collect();
    let orgs: std::collections::BTreeSet<&OrgId> = all.iter().map(|s| &s.org_id).collect();
    if orgs.len() > 1 {
        return Err(ServiceError::Invalid(
            "snapshots of several orgs are in that range: name the org with --org".into(),
        ));
    }
    all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.snapshot_id.cmp(&b.snapshot_id)));
    if all.is_empty() {
        return Err(ServiceError::NotFound("no snapshot was taken in that range".into()));
    }
    Ok(all)
}

async fn download_job(catalog: &dyn Catalog, job_id: &JobId) -> Result<JobRecord, ServiceError> {
    catalog
        .get_job(job_id)
        .await?
        .filter(|j| j.kind == JobKind::Download && j.download.is_some())
        .ok_or_else(|| ServiceError::NotFound(format!("no download job {job_id}")))
}

/// A download job as a person reads it.
#[derive(Debug, Clone, Serialize)]
pub struct DownloadReport {
    pub job_id: JobId,
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
    pub state: JobState,
    pub error: Option<String>,
    pub format: String,
    /// The file written (embedded), once the job completed.
    pub path: Option<String>,
    /// The S3 key of the file (AWS), once the job completed.
    pub export_key: Option<String>,
    /// Objects written, per category.
    pub objects: BTreeMap<String, u64>,
    /// What the download left out, and what the snapshot lacks.
    pub notes: Vec<LogEntry>,
}

/// The report of download job `job_id`.
pub async fn report(catalog: &dyn Catalog, job_id: &JobId) -> Result<DownloadReport, ServiceError> {
    let job = download_job(catalog, job_id).await?;
    let spec = job.download.clone().expect("a download job has its spec");
    let finished = matches!(job.status, JobStatus::Completed | JobStatus::CompletedWithErrors);
    Ok(DownloadReport {
        state: state_of(catalog, &job).await?,
        notes: catalog.read_log(&job.job_id).await?,
        objects: job.counts.iter().map(|(c, n)| (c.clone(), n.objects)).collect(),
        job_id: job.job_id,
        org_id: job.org_id,
        snapshot_id: spec.snapshot_id,
        error: job.error,
        format: spec.format,
        path: spec.path.filter(|_| finished),
        export_key: spec.export_key,
    })
}

impl fmt::Display for DownloadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (category, objects) in &self.objects {
            writeln!(
                f,
                "  {category:<w$} {objects:>9} objects",
                w = crate::categories::name_width()
            )?;
        }
        for note in &self.notes {
            writeln!(f, "  note: {}", note.message)?;
        }
        writeln!(
            f,
            "Download job {} of snapshot {} ({}): {}",
            self.job_id, self.snapshot_id, self.format, self.state
        )?;
        if let Some(path) = &self.path {
            writeln!(f, "  written to {path}")?;
        }
        if let Some(key) = &self.export_key
            && self.format == Format::Jsonl.as_str()
        {
            writeln!(f, "  tables stored under {key}; docs/athena.md defines them for Athena")?;
        } else if let Some(key) = &self.export_key {
            writeln!(
                f,
                "  stored at {key}; `oktavault download --link {}` makes a link to it",
                self.job_id
            )?;
        }
        if let Some(error) = &self.error {
            writeln!(f, "  {error}")?;
        }
        Ok(())
    }
}

/// Where a finished download can be fetched.
#[derive(Debug, Clone, Serialize)]
pub struct DownloadLink {
    pub job_id: JobId,
    pub file_name: String,
    /// A presigned HTTPS URL (AWS), or the file's `file://` URL (embedded: the file is on this machine).
    pub url: String,
    /// How long the URL is valid for (none for a local file).
    pub expires_in_secs: Option<u64>,
}

impl fmt::Display for DownloadLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.url)?;
        match self.expires_in_secs {
            Some(secs) => writeln!(f, "  {} , valid for {secs} s", self.file_name),
            None => writeln!(f, "  {} , on this machine", self.file_name),
        }
    }
}

/// A link to the finished download `job_id`, valid for `expires` (at most 7 days; the store may cut it to what
/// its credentials allow). Made when asked for and never stored.
pub async fn link(
    catalog: &dyn Catalog,
    exports: Option<&dyn ExportStore>,
    job_id: &JobId,
    expires: Duration,
) -> Result<DownloadLink, ServiceError> {
    if expires.is_zero() || expires > MAX_LINK_VALIDITY {
        return Err(ServiceError::Invalid(format!(
            "a link is valid for 1 second to 7 days (SigV4's limit); {} s was asked for",
            expires.as_secs()
        )));
    }
    let job = download_job(catalog, job_id).await?;
    if !matches!(job.status, JobStatus::Completed | JobStatus::CompletedWithErrors) {
        return Err(ServiceError::Invalid(format!(
            "download job {job_id} is {}: only a finished download has a file to link to",
            job.status
        )));
    }
    let spec = job.download.expect("a download job has its spec");
    if spec.format == Format::Jsonl.as_str() {
        let at = spec
            .export_key
            .as_ref()
            .or(spec.path.as_ref())
            .cloned()
            .unwrap_or_default();
        return Err(ServiceError::Invalid(format!(
            "download job {job_id} wrote tables, not a file: query them where they are ({at}), with Athena or \
             DuckDB (docs/athena.md)"
        )));
    }
    match (&spec.export_key, &spec.path) {
        (Some(key), _) => {
            let exports = exports.ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "download job {job_id} is in the export store ({key}); ask the host that wrote it for a link"
                ))
            })?;
            let link = exports
                .link(key, &spec.file_name, expires)
                .await
                .map_err(|e| ServiceError::Snapshot(e.into()))?;
            Ok(DownloadLink {
                job_id: job.job_id,
                file_name: spec.file_name,
                url: link.url,
                expires_in_secs: Some(link.expires.as_secs()),
            })
        }
        (None, Some(path)) => {
            let absolute = std::fs::canonicalize(path).map_err(|e| {
                ServiceError::NotFound(format!("download job {job_id} wrote {path}, which is gone: {e}"))
            })?;
            Ok(DownloadLink {
                job_id: job.job_id,
                file_name: spec.file_name,
                url: format!("file://{}", absolute.display()),
                expires_in_secs: None,
            })
        }
        (None, None) => Err(ServiceError::NotFound(format!(
            "download job {job_id} recorded no file"
        ))),
    }
}
