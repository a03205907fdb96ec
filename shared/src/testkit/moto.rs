//! A moto server (a local fake of S3, KMS, DynamoDB, Step Functions, ...) as a child process of
//! the tests, on a free loopback port, from the project's venv (`scripts/ensure-moto`).
//!
//! The server is stopped when the [`MotoServer`] is dropped, and also when the test process
//! ends without dropping it (a `static`, a panic, a kill): moto runs under a small shell that
//! stops it as soon as its stdin, a pipe held by this process, closes.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};

/// The region every test client uses.
pub const REGION: &str = "us-east-1";
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const START_ATTEMPTS: usize = 3;

/// moto's own server (`moto.server.main`) with one change: requests are handled one at a time.
/// moto checks a conditional write's condition and applies the write in separate steps, so two
/// concurrent `If-None-Match: *` puts (or DynamoDB conditional puts) can both succeed, which AWS
/// never allows; the races the tests run would then fail now and then. The Step Functions
/// interpreter runs executions in background threads, outside any request, so serializing
/// requests cannot deadlock it.
const SERIALIZED_MOTO: &str = r#"
import sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

host, port = sys.argv[1], int(sys.argv[2])
app = DomainDispatcherApplication(create_backend_app)
app.debug = True
lock = threading.Lock()

def one_at_a_time(environ, start_response):
    with lock:
        return list(app(environ, start_response))

run_simple(host, port, one_at_a_time, threaded=True, request_handler=MotoRequestHandler)
"#;

/// How to start moto.
#[derive(Debug, Clone)]
pub struct MotoOptions {
    /// The port moto believes it serves (`MOTO_PORT`): the Step Functions interpreter invokes
    /// Lambda functions at `http://localhost:$MOTO_PORT/2015-03-31/functions/...`. Point it at a
    /// test-owned proxy that runs the project's handlers; `None` keeps moto's own port.
    pub lambda_invoke_port: Option<u16>,
    /// Handle one request at a time so conditional writes are atomic as on AWS (see
    /// [`SERIALIZED_MOTO`]); `false` runs the stock `moto_server`.
    pub serialize_requests: bool,
}

impl Default for MotoOptions {
    fn default() -> Self {
        Self {
            lambda_invoke_port: None,
            serialize_requests: true,
        }
    }
}

/// A running moto server on `127.0.0.1`.
#[derive(Debug)]
pub struct MotoServer {
    /// The shell that owns moto; killing it or closing its stdin stops moto.
    supervisor: Child,
    port: u16,
    log: PathBuf,
}

impl MotoServer {
    /// Starts a server with default options; panics when it cannot (this is a test helper).
    pub fn start() -> Self {
        Self::start_with(MotoOptions::default())
    }

    /// One server shared by every test of the test binary, started by the first caller.
    /// Tests that share it must keep to their own buckets, tables and keys (and never
    /// [`reset`](Self::reset) it), since they run in parallel.
    pub fn shared() -> &'static MotoServer {
        static SHARED: OnceLock<MotoServer> = OnceLock::new();
        SHARED.get_or_init(MotoServer::start)
    }

    pub fn start_with(options: MotoOptions) -> Self {
        let program = moto_server_path();
        let mut last_problem = String::new();
        // A free port can be taken between choosing it and moto binding it: try a few.
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(&program, &options) {
                Ok(server) => return server,
                Err(problem) => last_problem = problem,
            }
        }
        panic!("moto server did not start after {START_ATTEMPTS} attempts: {last_problem}");
    }

    fn try_start(program: &Path, options: &MotoOptions) -> Result<Self, String> {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("oktavault-moto-{port}.log"));
        let log_file = std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| format!("cannot reuse {}: {e}", log.display()))?;
        let moto_port = options.lambda_invoke_port.unwrap_or(port);
        // `read` returns when our end of the pipe closes, whichever way this process ends.
        let supervise =
            |command: &str| format!(r#"{command} & server=$!; read -r _; kill "$server" 2>/dev/null; wait "$server""#);
        let mut shell = Command::new("sh");
        shell.arg("-c");
        if options.serialize_requests {
            let python = program.with_file_name("python");
            shell
                .arg(supervise(r#""$0" -c "$2" 127.0.0.1 "$1""#))
                .arg(python)
                .arg(port.to_string())
                .arg(SERIALIZED_MOTO);
        } else {
            shell
                .arg(supervise(r#""$0" -H 127.0.0.1 -p "$1""#))
                .arg(program)
                .arg(port.to_string());
        }
        let supervisor = shell
            .env("MOTO_PORT", moto_port.to_string())
            // Nothing in a test may ask the instance metadata service for anything.
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", REGION)
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        let mut server = MotoServer { supervisor, port, log };
        server.wait_until_ready()?;
        Ok(server)
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.supervisor.try_wait() {
                return Err(format!(
                    "moto on port {} exited ({status}); its output is in {}",
                    self.port,
                    self.log.display()
                ));
            }
            if matches!(http(self.port, "GET", "/moto-api/", ""), Ok((200, _))) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "moto on port {} did not answer GET /moto-api/ within {READY_TIMEOUT:?}; its output is in {}",
            self.port,
            self.log.display()
        ))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Clears every resource moto holds (buckets, tables, keys, state machines, ...).
    pub async fn reset(&self) {
        self.post("/moto-api/reset", "").await;
    }

    /// Changes moto's behaviour through `POST /moto-api/config`, e.g.
    /// `{"stepfunctions":{"execute_state_machine":true},"lambda":{"use_docker":false}}`.
    pub async fn configure(&self, config: &serde_json::Value) {
        self.post("/moto-api/config", &config.to_string()).await;
    }

    async fn post(&self, path: &str, body: &str) {
        let (port, path_owned, body) = (self.port, path.to_string(), body.to_string());
        let answer = tokio::task::spawn_blocking(move || http(port, "POST", &path_owned, &body))
            .await
            .expect("the moto request task ran");
        match answer {
            Ok((200..=299, _)) => {}
            Ok((status, text)) => panic!("moto POST {path} answered {status}: {text}"),
            Err(e) => panic!("moto POST {path} failed: {e}; its output is in {}", self.log.display()),
        }
    }

    /// SDK configuration for this server: static dummy credentials, region us-east-1 and the
    /// endpoint override. Built from parts, never through aws-config's provider chains, so no
    /// credential or region lookup can reach the instance metadata service (169.254.169.254),
    /// whatever the environment holds.
    pub fn sdk_config(&self) -> SdkConfig {
        let credentials = Credentials::new("testing", "testing", None, None, "moto");
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .endpoint_url(self.endpoint())
            .build()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Closing stdin lets the shell stop moto; kill the shell too in case it is stuck.
        drop(self.supervisor.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while !matches!(self.supervisor.try_wait(), Ok(Some(_))) {
            if Instant::now() >= deadline {
                let _ = self.supervisor.kill();
                let _ = self.supervisor.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// `<repo>/.venv/bin/moto_server`; panics with the fix when it is missing.
pub fn moto_server_path() -> PathBuf {
    let repo_root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the shared crate sits in the repository root");
    let program = repo_root.join(".venv/bin/moto_server");
    if !program.exists() {
        panic!(
            "{} is missing: run scripts/ensure-moto (scripts/test does it)",
            program.display()
        );
    }
    program
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
    listener.local_addr().expect("a bound socket has an address").port()
}

/// A minimal HTTP/1.0 exchange with moto on the loopback interface: status and body.
fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {answer:.200}")))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reset_clears_state_and_drop_stops_the_server() {
        let server = MotoServer::start();
        let s3 = crate::aws::s3_client(&server.sdk_config());
        s3.create_bucket().bucket("reset-me").send().await.unwrap();
        server.reset().await;
        let buckets = s3.list_buckets().send().await.unwrap();
        assert!(buckets.buckets().is_empty(), "{:?}", buckets.buckets());

        let port = server.port();
        drop(server);
        assert!(
            http(port, "GET", "/moto-api/", "").is_err(),
            "moto still answers on port {port}"
        );
    }

    #[tokio::test]
    async fn configure_switches_on_the_step_functions_interpreter_under_serialized_requests() {
        let server = MotoServer::start();
        server
            .configure(&serde_json::json!({"stepfunctions": {"execute_state_machine": true}}))
            .await;
        let sfn = aws_sdk_sfn::Client::new(&server.sdk_config());
        let definition =
            r#"{"StartAt":"Add","States":{"Add":{"Type":"Pass","Result":{"sum":3},"ResultPath":"$.out","End":true}}}"#;
        let machine = sfn
            .create_state_machine()
            .name("pass")
            .definition(definition)
            .role_arn("arn:aws:iam::123456789012:role/test")
            .send()
            .await
            .unwrap();
        let started = sfn
            .start_execution()
            .state_machine_arn(machine.state_machine_arn())
            .name("run-1")
            .input(r#"{"in":1}"#)
            .send()
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let execution = sfn
                .describe_execution()
                .execution_arn(started.execution_arn())
                .send()
                .await
                .unwrap();
            if execution.status().as_str() == "SUCCEEDED" {
                let output: serde_json::Value = serde_json::from_str(execution.output().unwrap()).unwrap();
                assert_eq!(output, serde_json::json!({"in": 1, "out": {"sum": 3}}));
                break;
            }
            assert!(Instant::now() < deadline, "execution still {:?}", execution.status());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    #[tokio::test]
    async fn moto_port_can_name_another_port_for_lambda_invocations() {
        let server = MotoServer::start_with(MotoOptions {
            lambda_invoke_port: Some(1),
            serialize_requests: false,
        });
        // moto builds its own URLs from MOTO_PORT: the Lambda invoke target of a Task.
        let (status, _) = http(server.port(), "GET", "/moto-api/", "").unwrap();
        assert_eq!(status, 200);
        let environ = std::fs::read_to_string(format!("/proc/{}/environ", server.supervisor.id())).unwrap();
        assert!(environ.split('\0').any(|v| v == "MOTO_PORT=1"), "{environ}");
    }
}
