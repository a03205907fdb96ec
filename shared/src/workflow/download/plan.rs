//! PlanDownload: creates the download job (or finds the one this runner already created, when the step is
//! retried), takes the org's download lease, resolves the selection in the snapshot and writes the plan: one file
//! per category, each a list of units to render.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::{piece_key, spec};
use crate::categories::CATEGORIES;
use crate::download::plan::{DownloadPlan, FilePlan, SnapshotMeta, read_plan, units, write_plan};
use crate::download::select::{self, SelectError};
use crate::download::{Format, tables};
use crate::ids::{JobId, OrgId, SnapshotId};
use crate::ports::{DownloadSpec, JobKind, JobRecord, JobStatus};
use crate::snapshot::SnapshotReader;
use crate::timefmt;
use crate::workflow::download::export::ExportPageInput;
use crate::workflow::job::job_log;
use crate::workflow::{StepContext, StepError, lease};

/// A download as a host asks for it (the service layer resolves `latest` and checks the selection first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadRequest {
    /// The org whose snapshot is read.
    pub org_id: OrgId,
    pub snapshot_id: SnapshotId,
    /// Every snapshot to read, oldest first (a `--from`/`--to` range, SQLite and JSON Lines only); just `snapshot_id` when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<SnapshotId>,
    pub selection: Vec<String>,
    #[serde(default)]
    pub relationships: bool,
    pub format: Format,
    /// Embedded: the file to write. On AWS: none (the file goes to the exports prefix in S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The id the new job takes, chosen by a host that answers with the job before the workflow runs (the HTTP
    /// API). Once that job exists, the request continues it (a repeated PlanDownload); a random id otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_job_id: Option<JobId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanDownloadInput {
    pub request: DownloadRequest,
    pub owner: String,
}

pub async fn plan_download(ctx: &StepContext, input: PlanDownloadInput) -> Result<ExportPageInput, StepError> {
    let request = &input.request;
    ctx.registered_org(&request.org_id).await?;
    let job = choose_job(ctx, request, &input.owner).await?;
    if read_plan(&ctx.vault, &job.org_id, &job.job_id).await?.is_none() {
        let plan = make_plan(ctx, &job).await?;
        for (n, note) in plan.notes.iter().enumerate() {
            job_log(ctx, &job.job_id, &format!("plan-{n:03}"), note.clone()).await?;
        }
        write_plan(&ctx.vault, &piece_key(ctx, &job).await?, &plan).await?;
    }
    Ok(ExportPageInput {
        job_id: job.job_id,
        org_id: job.org_id,
        owner: input.owner,
        file: 0,
        unit: 0,
    })
}

/// The job this runner already made for the request (a retried step), or a new one, with the org's lease.
async fn choose_job(ctx: &StepContext, request: &DownloadRequest, owner: &str) -> Result<JobRecord, StepError> {
    let org = &request.org_id;
    if let Some(job_id) = &request.new_job_id
        && let Some(job) = ctx.catalog.get_job(job_id).await?
    {
        if job.kind != JobKind::Download || job.org_id != *org || job.status != JobStatus::Running {
            return Err(StepError::fatal(format!(
                "job {job_id} is a {} job of {} that is {}: it cannot be this download; ask for the download again",
                job.kind, job.org_id, job.status
            )));
        }
        lease::take(ctx, org, JobKind::Download, &job.job_id, owner).await?;
        return Ok(job);
    }
    if let Some(held) = ctx.catalog.get_lease(org, JobKind::Download).await?
        && held.owner == owner
        && let Some(job) = ctx.catalog.get_job(&held.job_id).await?
        && job.status == JobStatus::Running
    {
        lease::take(ctx, org, JobKind::Download, &job.job_id, owner).await?;
        return Ok(job);
    }
    let now = timefmt::now();
    let job_id = request.new_job_id.clone().unwrap_or_else(|| JobId::generate(now));
    lease::take(ctx, org, JobKind::Download, &job_id, owner).await?;
    let piece_key = SnapshotId::generate(now);
    let key = ctx.vault.new_sealing_key(org, &piece_key).await?;
    let format = request.format;
    let job = JobRecord {
        wrapped_key: Some(BASE64.encode(key.wrapped())),
        download: Some(DownloadSpec {
            snapshot_id: request.snapshot_id.clone(),
            snapshots: if request.snapshots.is_empty() {
                vec![request.snapshot_id.clone()]
            } else {
                request.snapshots.clone()
            },
            selection: request.selection.clone(),
            relationships: request.relationships,
            format: format.as_str().to_owned(),
            path: request.path.clone(),
            export_key: None,
            file_name: file_name(org, &request.snapshot_id, &request.selection, format),
            piece_key,
        }),
        ..JobRecord::new(job_id.clone(), org.clone(), JobKind::Download, timefmt::rfc3339(now))
    };
    ctx.catalog.create_job(&job).await?;
    Ok(job)
}

/// The name a person gets the file under: `<org>-<snapshot>-<category>.<format>`, or `.zip` for several.
fn file_name(org: &OrgId, snapshot: &SnapshotId, selection: &[String], format: Format) -> String {
    let one = match selection {
        [one] if one != "all" => Some(one.split(':').next().unwrap_or(one)),
        _ => None,
    };
    match (one, format) {
        (_, Format::Sqlite) => format!("{org}-{snapshot}.sqlite"),
        (_, Format::Jsonl) => format!("{org}-{snapshot}-tables"),
        (Some(category), _) => format!("{org}-{snapshot}-{category}.{}", format.extension()),
        (None, _) => format!("{org}-{snapshot}.zip"),
    }
}

async fn make_plan(ctx: &StepContext, job: &JobRecord) -> Result<DownloadPlan, StepError> {
    let spec = spec(job)?;
    let format: Format = spec.format.parse().map_err(StepError::fatal)?;
    let read = if spec.snapshots.is_empty() {
        std::slice::from_ref(&spec.snapshot_id)
    } else {
        spec.snapshots.as_slice()
    };
    let named: Vec<&str> = spec
        .selection
        .iter()
        .map(|s| s.split(':').next().unwrap_or(s))
        .collect();
    let mut snapshots = Vec::new();
    let mut notes = Vec::new();
    let mut files = Vec::new();
    for (index, snapshot_id) in read.iter().enumerate() {
        let record = ctx
            .catalog
            .get_snapshot(&job.org_id, snapshot_id)
            .await?
            .ok_or_else(|| StepError::fatal(format!("org {} has no snapshot {snapshot_id}", job.org_id)))?;
        let reader = SnapshotReader::open(ctx.vault.clone(), &job.org_id, snapshot_id).await?;
        let chosen = select::resolve(&reader, &spec.selection, spec.relationships)
            .await
            .map_err(|e| match e {
                SelectError::Snapshot(e) => StepError::from(e),
                other => StepError::fatal(format!("snapshot {snapshot_id}: {other}")),
            })?;
        let user_schemas: Vec<serde_json::Value> = match format {
            Format::Csv | Format::Sqlite | Format::Jsonl => reader
                .objects("user_schemas")
                .await?
                .into_iter()
                .map(|(_, v)| v)
                .collect(),
            Format::Json => Vec::new(),
        };
        for row in CATEGORIES {
            let Some(ids) = chosen.get(row.name) else { continue };
            let columns = match format {
                Format::Csv => match tables::columns(row.name, &user_schemas) {
                    Some(columns) => Some(columns),
                    None if named.contains(&row.name) => {
                        return Err(StepError::fatal(format!(
                            "{} is not a table: CSV holds {}; download it as --format json",
                            row.name,
                            tables::tabular().collect::<Vec<_>>().join(", ")
                        )));
                    }
                    None => {
                        if index == 0 {
                            notes.push(format!(
                                "{} is left out: CSV holds only tables; --format json has it",
                                row.name
                            ));
                        }
                        continue;
                    }
                },
                // Every snapshot's table has the same columns: those of the first (newest columns would drop
                // nothing a row needs, since each row keeps its whole object as JSON).
                Format::Sqlite | Format::Jsonl => match files.iter().find(|f: &&FilePlan| f.category == row.name) {
                    Some(first) => first.columns.clone(),
                    None => tables::columns(row.name, &user_schemas),
                },
                Format::Json => None,
            };
            if let Some(head) = reader.head().categories.get(row.name) {
                if let Some(why) = &head.skipped {
                    notes.push(format!("the snapshot {snapshot_id} has no {}: {why}", row.name));
                }
                for incomplete in &head.incomplete {
                    notes.push(format!(
                        "the snapshot {snapshot_id} lacks part of {} ({}): {}",
                        row.name, incomplete.part, incomplete.reason
                    ));
                }
            }
            files.push(FilePlan {
                category: row.name.to_owned(),
                snapshot: index,
                ids: ids.clone(),
                columns,
                units: units(&reader, row.name),
            });
        }
        snapshots.push(SnapshotMeta {
            org_id: record.org_id,
            snapshot_id: record.snapshot_id,
            job_id: record.job_id,
            created_at: record.created_at,
            status: record.status,
        });
    }
    Ok(DownloadPlan {
        job_id: job.job_id.clone(),
        format,
        snapshot: snapshots.last().cloned().expect("at least one snapshot"),
        snapshots,
        files,
        notes,
    })
}
