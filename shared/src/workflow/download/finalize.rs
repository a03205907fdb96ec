//! FinalizeDownload: streams the rendered pieces into the file and ends the job. Embedded, the file is written
//! beside its path and linked there only when whole (never over an existing file); on AWS it is written to a
//! temporary file and uploaded to the exports prefix, and the job records its key. JSON Lines tables are a
//! directory (renamed into place when whole) or objects under the job's exports prefix, which the job records.
//! The staged pieces are deleted.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::spec;
use crate::download::Format;
use crate::download::jsonl;
use crate::download::plan::{DownloadPlan, delete_staged, read_plan};
use crate::download::render::{WriteError, write_file};
use crate::ids::JobId;
use crate::ports::{CategoryCounts, JobKind, JobStatus};
use crate::snapshot::{Vault, keys};
use crate::timefmt;
use crate::workflow::job::running_job;
use crate::workflow::{StepContext, StepError, lease};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinalizeDownloadInput {
    pub job_id: JobId,
    pub owner: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinalizeDownloadOutput {
    pub job_id: JobId,
    pub status: JobStatus,
    /// The file (embedded) or S3 key (AWS) the download is at.
    pub location: String,
}

pub async fn finalize_download(
    ctx: &StepContext,
    input: FinalizeDownloadInput,
) -> Result<FinalizeDownloadOutput, StepError> {
    let mut job = running_job(ctx, &input.job_id).await?;
    lease::renew(ctx, &job.org_id, JobKind::Download, &job.job_id, &input.owner).await?;
    let mut spec = spec(&job)?.clone();
    let plan = read_plan(&ctx.vault, &job.org_id, &job.job_id)
        .await?
        .ok_or_else(|| StepError::fatal(format!("download job {} has no plan", job.job_id)))?;
    let (counts, location) = match &spec.path {
        Some(path) if plan.format == Format::Jsonl => {
            let counts = write_local_tables(&ctx.vault, &plan, Path::new(path)).await?;
            (counts, path.clone())
        }
        None if plan.format == Format::Jsonl => {
            let exports = ctx.exports.as_ref().ok_or_else(|| {
                StepError::fatal("this host has nowhere to put a download: give the directory to write (-o PATH)")
            })?;
            let prefix = keys::export_prefix(&job.org_id, &job.job_id);
            let scratch = Partial(std::env::temp_dir().join(format!("oktavault-{}.part", job.job_id)));
            let to = jsonl::Destination::Exports {
                store: exports.as_ref(),
                prefix: &prefix,
                scratch: &scratch.0,
            };
            let counts = jsonl::write_parts(&ctx.vault, &plan, &to)
                .await
                .map_err(|e| write_error(e, &format!("s3 {prefix}/")))?;
            // The job records the prefix, with its slash: the tables are the objects under it.
            let location = format!("{prefix}/");
            spec.export_key = Some(location.clone());
            (counts, location)
        }
        Some(path) => {
            let counts = write_local(&ctx.vault, &plan, Path::new(path)).await?;
            (counts, path.clone())
        }
        None => {
            let exports = ctx.exports.as_ref().ok_or_else(|| {
                StepError::fatal("this host has nowhere to put a download: give the file to write (-o PATH)")
            })?;
            let temp = Partial(std::env::temp_dir().join(format!("oktavault-{}.partial", job.job_id)));
            let counts = write_to(&ctx.vault, &plan, &temp.0).await?;
            let key = keys::export(&job.org_id, &job.job_id, &spec.file_name);
            exports.publish(&key, &temp.0).await?;
            spec.export_key = Some(key.clone());
            (counts, key)
        }
    };
    job.categories = plan.files.iter().map(|f| f.category.clone()).collect();
    for (category, objects) in counts {
        job.counts.insert(
            category,
            CategoryCounts {
                objects,
                ..CategoryCounts::default()
            },
        );
    }
    // The file holds all the snapshot has; when the snapshot itself lacks some of it, the job says so.
    let lacking: Vec<&String> = plan.notes.iter().filter(|n| n.starts_with("the snapshot")).collect();
    job.status = if lacking.is_empty() {
        JobStatus::Completed
    } else {
        job.error = Some(format!(
            "the file holds all the snapshot has, but {}",
            lacking.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; ")
        ));
        JobStatus::CompletedWithErrors
    };
    job.download = Some(spec);
    let now = timefmt::rfc3339(timefmt::now());
    job.updated_at = now.clone();
    job.finished_at = Some(now);
    ctx.catalog.update_job(&job, JobStatus::Running).await?;
    delete_staged(&ctx.vault, &job.org_id, &job.job_id).await?;
    lease::release(ctx, &job.org_id, JobKind::Download, &input.owner).await?;
    ctx.alert(crate::service::alerts::job_ended(&job)).await;
    Ok(FinalizeDownloadOutput {
        job_id: job.job_id,
        status: job.status,
        location,
    })
}

/// A file being written: removed when dropped, unless it was kept.
struct Partial(PathBuf);

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes the file beside `path` and links it at `path` once whole; an existing file is never replaced.
async fn write_local(
    vault: &Vault,
    plan: &DownloadPlan,
    path: &Path,
) -> Result<std::collections::BTreeMap<String, u64>, StepError> {
    let exists = |path: &Path| {
        StepError::fatal(format!(
            "{} exists: a download never replaces a file; remove it or name another",
            path.display()
        ))
    };
    if path.exists() {
        return Err(exists(path));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = Partial(path.with_file_name(format!(".{name}.{}.partial", plan.job_id)));
    let counts = write_to(vault, plan, &partial.0).await?;
    match std::fs::hard_link(&partial.0, path) {
        Ok(()) => Ok(counts),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists(path)),
        Err(e) => Err(StepError::fatal(format!(
            "could not put the download at {}: {e}",
            path.display()
        ))),
    }
}

/// Converts a writing failure into the step's error, naming where the download was going.
fn write_error(e: WriteError, to: &str) -> StepError {
    match e {
        WriteError::Snapshot(e) => StepError::from(e),
        WriteError::Io(e) => StepError::fatal(format!("could not write the download to {to}: {e}")),
    }
}

/// Writes the JSON Lines tables into a directory beside `path` and renames it to `path` once whole; an existing
/// file or directory is never replaced.
async fn write_local_tables(
    vault: &Vault,
    plan: &DownloadPlan,
    path: &Path,
) -> Result<std::collections::BTreeMap<String, u64>, StepError> {
    let exists = |path: &Path| {
        StepError::fatal(format!(
            "{} exists: a download never replaces a file or directory; remove it or name another",
            path.display()
        ))
    };
    if path.exists() {
        return Err(exists(path));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = PartialDir(path.with_file_name(format!(".{name}.{}.partial", plan.job_id)));
    // A retried step starts the directory afresh: what a failed attempt left is not known to be whole.
    if partial.0.exists() {
        std::fs::remove_dir_all(&partial.0).map_err(|e| {
            StepError::fatal(format!(
                "could not clear {} left by an earlier attempt: {e}",
                partial.0.display()
            ))
        })?;
    }
    let counts = jsonl::write_parts(vault, plan, &jsonl::Destination::Directory(&partial.0))
        .await
        .map_err(|e| write_error(e, &partial.0.display().to_string()))?;
    if path.exists() {
        return Err(exists(path));
    }
    std::fs::rename(&partial.0, path)
        .map_err(|e| StepError::fatal(format!("could not put the download at {}: {e}", path.display())))?;
    Ok(counts)
}

/// A directory being written: removed when dropped, unless it was renamed into place.
struct PartialDir(PathBuf);

impl Drop for PartialDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn write_to(
    vault: &Vault,
    plan: &DownloadPlan,
    path: &Path,
) -> Result<std::collections::BTreeMap<String, u64>, StepError> {
    let io = |e: std::io::Error| StepError::fatal(format!("could not write the download to {}: {e}", path.display()));
    if plan.format == crate::download::Format::Sqlite {
        return write_sqlite(vault, plan, path).await;
    }
    let file = std::fs::File::create(path).map_err(io)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let counts = write_file(vault, plan, &mut out).await.map_err(|e| match e {
        WriteError::Snapshot(e) => StepError::from(e),
        WriteError::Io(e) => io(e),
    })?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(counts)
}

#[cfg(feature = "sqlite")]
async fn write_sqlite(
    vault: &Vault,
    plan: &DownloadPlan,
    path: &Path,
) -> Result<std::collections::BTreeMap<String, u64>, StepError> {
    crate::download::sqlite::write_db(vault, plan, path)
        .await
        .map_err(|e| match e {
            WriteError::Snapshot(e) => StepError::from(e),
            WriteError::Io(e) => StepError::fatal(format!("could not write the download to {}: {e}", path.display())),
        })
}

#[cfg(not(feature = "sqlite"))]
async fn write_sqlite(
    _vault: &Vault,
    _plan: &DownloadPlan,
    _path: &Path,
) -> Result<std::collections::BTreeMap<String, u64>, StepError> {
    Err(StepError::fatal(
        "this host writes no SQLite files (the `oktavault` command does): download as json or csv",
    ))
}
