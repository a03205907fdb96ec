//! Lambda init time: from the start of a function's process to its first poll of the Runtime API
//! (`GET /2018-06-01/runtime/invocation/next`), the part of a cold start the binary decides.
//!
//! Each function binary runs against the local emulator ([`crate::runtime_api`]) with the
//! environment a deployed container has and nothing from this process's own: its settings, a
//! region, dummy credentials, instance metadata off, and every AWS endpoint pointed at the
//! emulator, where an AWS call shows up as [`Report::Unexpected`]. A function must reach its
//! first poll without any AWS service.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::runtime_api::{Report, RuntimeApi};

/// Far above any real init: a function that has not polled by then is stuck.
pub const FIRST_POLL_TIMEOUT: Duration = Duration::from_secs(20);

/// The settings a function container reads (see `oktavault_shared::lambda`). Nothing is read
/// from or written to them until an event asks.
const SETTINGS: [(&str, &str); 4] = [
    ("OKTAVAULT_BUCKET", "oktavault-init-bench"),
    ("OKTAVAULT_TABLE", "oktavault-init-bench"),
    ("OKTAVAULT_KMS_KEY_ID", "alias/oktavault-init-bench"),
    ("OKTAVAULT_BUCKET_KMS_KEY_ID", "alias/oktavault-init-bench-bucket"),
];

/// A function binary running as a Lambda container would, against a [`RuntimeApi`].
pub struct FunctionProcess {
    name: String,
    started: Instant,
    child: Child,
    /// Taken when first awaited.
    output: Option<JoinHandle<String>>,
    _home: tempfile::TempDir,
}

impl FunctionProcess {
    /// Starts `binary` with the environment of a container of the deployment template (512 MB,
    /// us-east-1), `AWS_LAMBDA_RUNTIME_API` naming `api`, plus `extra` variables. An empty
    /// `extra` value removes the variable (to start a misconfigured container).
    pub fn start(binary: &Path, api: &RuntimeApi, extra: &[(&str, &str)]) -> anyhow::Result<Self> {
        let name = function_name(binary);
        let home = tempfile::tempdir().context("a temporary HOME for the function")?;
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", &name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIAOKTAVAULTBENCH00")
            .env("AWS_SECRET_ACCESS_KEY", "oktavault-bench-dummy-secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", format!("http://{}", api.address()))
            // No profile files: only what is set here configures the SDK.
            .env("HOME", home.path())
            .env("AWS_CONFIG_FILE", home.path().join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("aws-credentials"))
            .envs(SETTINGS)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in extra {
            if value.is_empty() {
                command.env_remove(key);
            } else {
                command.env(key, value);
            }
        }
        let started = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let output = Some(collect_output(&mut child));
        Ok(Self {
            name,
            started,
            child,
            output,
            _home: home,
        })
    }

    /// When the process was spawned.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// What `api` sees next while this process runs. Fails, with the process's output, if it
    /// exits first or nothing arrives within `timeout`.
    pub async fn next_report(&mut self, api: &mut RuntimeApi, timeout: Duration) -> anyhow::Result<Report> {
        tokio::select! {
            // A report sent just before the process exits still counts.
            biased;
            report = api.next_report(timeout) => match report {
                Some(report) => Ok(report),
                None => bail!("{} sent nothing to the Runtime API within {timeout:?}", self.name),
            },
            status = self.child.wait() => {
                let status = status.with_context(|| format!("waiting for {}", self.name))?;
                bail!(self.exited(status).await)
            }
        }
    }

    /// When the function first polled for an event. Anything else first is an error: an AWS
    /// call before the first poll means init needs AWS to be reachable.
    pub async fn first_poll(&mut self, api: &mut RuntimeApi) -> anyhow::Result<Instant> {
        match self.next_report(api, FIRST_POLL_TIMEOUT).await? {
            Report::Poll { at } => Ok(at),
            Report::Unexpected { method, path } => bail!(
                "{} called {method} {path} before its first poll: init must not need AWS to be reachable",
                self.name
            ),
            other => bail!("{} sent {other:?} before its first poll", self.name),
        }
    }

    /// Ends the process (a container being frozen for good).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    async fn output(&mut self) -> String {
        match self.output.take() {
            Some(output) => output.await.unwrap_or_default(),
            None => String::new(),
        }
    }

    async fn exited(&mut self, status: ExitStatus) -> String {
        let output = self.output().await;
        format!(
            "{} exited ({status}) while the Runtime API waited for it; its output:\n{output}",
            self.name
        )
    }
}

/// Stdout then stderr of `child`, read as it runs so a chatty process never blocks on a full pipe.
fn collect_output(child: &mut Child) -> JoinHandle<String> {
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    tokio::spawn(async move {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let read_out = async {
            if let Some(mut s) = stdout {
                let _ = s.read_to_end(&mut out).await;
            }
        };
        let read_err = async {
            if let Some(mut s) = stderr {
                let _ = s.read_to_end(&mut err).await;
            }
        };
        tokio::join!(read_out, read_err);
        out.extend_from_slice(&err);
        String::from_utf8_lossy(&out).into_owned()
    })
}

/// The function a binary is: its file name, or its directory for a cargo-lambda `bootstrap`.
pub fn function_name(binary: &Path) -> String {
    // cargo-lambda's packages are `<function>/bootstrap`: the directory names the function.
    let name = binary.file_name().unwrap_or_default();
    let named = if name == "bootstrap" {
        binary.parent().and_then(Path::file_name).unwrap_or(name)
    } else {
        name
    };
    named.to_string_lossy().into_owned()
}

/// One cold start of `binary`: the time from spawning it to its first poll.
pub async fn cold_start(binary: &Path) -> anyhow::Result<Duration> {
    let mut api = RuntimeApi::start(Vec::new())
        .await
        .context("starting the Runtime API emulator")?;
    let mut function = FunctionProcess::start(binary, &api, &[])?;
    let polled = function.first_poll(&mut api).await;
    let started = function.started();
    function.stop().await;
    Ok(polled?.duration_since(started))
}

/// The init times of `runs` cold starts of one binary.
#[derive(Debug, Clone)]
pub struct InitTimes {
    pub function: String,
    pub arch: &'static str,
    pub runs: Vec<Duration>,
}

impl InitTimes {
    pub fn median(&self) -> Duration {
        let mut sorted = self.runs.clone();
        sorted.sort();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    }

    pub fn max(&self) -> Duration {
        self.runs.iter().max().copied().unwrap_or_default()
    }
}

/// `runs` cold starts of each binary, one at a time (none competes with another for the CPU).
pub async fn measure(binaries: &[PathBuf], runs: usize) -> anyhow::Result<Vec<InitTimes>> {
    let mut all = Vec::new();
    for binary in binaries {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            times.push(cold_start(binary).await?);
        }
        all.push(InitTimes {
            function: function_name(binary),
            arch: crate::packages::arch_of(binary).unwrap_or("unknown"),
            runs: times,
        });
    }
    Ok(all)
}

/// The init-time table, one row per binary.
pub fn print(times: &[InitTimes]) {
    println!(
        "{:<30} {:>8} {:>5} {:>10} {:>8}",
        "function", "arch", "runs", "median ms", "max ms"
    );
    for t in times {
        println!(
            "{:<30} {:>8} {:>5} {:>10.1} {:>8.1}",
            t.function,
            t.arch,
            t.runs.len(),
            t.median().as_secs_f64() * 1e3,
            t.max().as_secs_f64() * 1e3
        );
    }
    println!("\ninit = from spawning the binary to its first GET /2018-06-01/runtime/invocation/next");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_is_named_after_its_directory_and_a_binary_after_itself() {
        assert_eq!(
            function_name(Path::new("target/lambda/oktavault-fn-fail-job/bootstrap")),
            "oktavault-fn-fail-job"
        );
        assert_eq!(
            function_name(Path::new("target/release/oktavault-fn-fail-job")),
            "oktavault-fn-fail-job"
        );
    }

    #[test]
    fn the_median_and_max_of_the_runs() {
        let ms = Duration::from_millis;
        let times = InitTimes {
            function: "f".into(),
            arch: "x86_64",
            runs: vec![ms(9), ms(3), ms(5), ms(30), ms(4)],
        };
        assert_eq!(times.median(), ms(5));
        assert_eq!(times.max(), ms(30));
    }
}
