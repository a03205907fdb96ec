//! Progress bars for a running backup, fed by polling the job's saved per-category progress
//! (the same records a resumed run starts from). The job is the one this process holds the org's
//! backup lease for. Hidden when stderr is not a terminal.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use oktavault_shared::ids::OrgId;
use oktavault_shared::ports::{Catalog, JobKind};
use oktavault_shared::workflow::runner::local_runner;
use tokio::task::JoinHandle;

pub struct BackupProgress {
    task: JoinHandle<()>,
    bars: MultiProgress,
}

impl BackupProgress {
    pub fn start(catalog: Arc<dyn Catalog>, org_id: OrgId, categories: Vec<String>, enabled: bool) -> Self {
        let bars = MultiProgress::new();
        if !enabled {
            bars.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let style = ProgressStyle::with_template("{spinner} {prefix:>14} {msg}").expect("valid template");
        let by_category: BTreeMap<String, ProgressBar> = categories
            .into_iter()
            .map(|name| {
                let bar = bars.add(
                    ProgressBar::new_spinner()
                        .with_style(style.clone())
                        .with_prefix(name.clone()),
                );
                bar.set_message("waiting");
                (name, bar)
            })
            .collect();
        let task = tokio::spawn(async move {
            let mut job_id = None;
            loop {
                if job_id.is_none()
                    && let Ok(Some(lease)) = catalog.get_lease(&org_id, JobKind::Backup).await
                    && lease.owner == local_runner()
                {
                    job_id = Some(lease.job_id);
                }
                if let Some(job_id) = &job_id
                    && let Ok(progress) = catalog.load_progress(job_id).await
                {
                    for (name, bar) in &by_category {
                        if let Some(p) = progress.get(name) {
                            let state = match (&p.counts.skipped, p.done) {
                                (Some(reason), _) => format!("skipped: {reason}"),
                                (None, true) => "done".to_owned(),
                                (None, false) => "running".to_owned(),
                            };
                            bar.set_message(format!("{} objects, {} pages, {state}", p.counts.objects, p.pages));
                            if p.done && !bar.is_finished() {
                                bar.finish();
                            }
                        }
                        bar.tick();
                    }
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
        Self { task, bars }
    }

    pub fn finish(self) {
        self.task.abort();
        let _ = self.bars.clear();
    }
}
