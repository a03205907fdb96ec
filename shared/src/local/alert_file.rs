//! [`AlertFile`]: the embedded host's alerts, one JSON document per line in a file of the store (`alerts.jsonl`),
//! where a person or a script (cron mail, a monitoring agent) picks them up.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{Alert, AlertError, Alerts};

#[derive(Debug)]
pub struct AlertFile {
    path: PathBuf,
    /// One writer at a time in this process, so lines never interleave.
    lock: Mutex<()>,
}

impl AlertFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    /// Every alert written so far, oldest first.
    pub fn read(&self) -> std::io::Result<Vec<Alert>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(std::io::Error::other))
            .collect()
    }
}

#[async_trait]
impl Alerts for AlertFile {
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let failed = |message: String| AlertError {
            kind: alert.kind,
            org: alert.org_id.clone(),
            message,
        };
        let mut line = serde_json::to_vec(alert).map_err(|e| failed(e.to_string()))?;
        line.push(b'\n');
        let _guard = self.lock.lock().expect("alert file lock");
        // One write of a whole line in append mode: other processes' lines stay whole too.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| file.write_all(&line))
            .map_err(|e| failed(format!("{}: {e}", self.path.display())))
    }
}
