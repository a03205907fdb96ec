//! A serverless oktavault on moto, for tests of the AWS host: moto's Step Functions interpreter runs the
//! project's state machines (`statemachines/*.asl.json`), and every Task's Lambda invocation lands in the
//! project's own step code, storing into moto S3, KMS and DynamoDB through the AWS adapters.
//!
//! How (see ../shared/TESTING.md, "the proxy approach"): the stack binds a loopback proxy port P and starts moto
//! (on its own port M) with `MOTO_PORT=P`, so moto's interpreter sends
//! `POST /2015-03-31/functions/<fn>/invocations` to the proxy. The proxy runs `workflow::dispatch` with the
//! StepContext a Lambda container builds (`lambda::step_context`, endpoint pointed at moto) through the
//! Lambda host's own `lambda::handle` and answers as Lambda
//! does (a failure is a 200 with `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage}`); it forwards
//! anything else to moto.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use okta_sim::SimHandle;
use serde_json::{Value, json};

use crate::api::launcher::StateMachines;
use crate::aws::TableSpec;
use crate::credentials::store_org_credentials;
use crate::ids::OrgId;
use crate::lambda::{Adapters, LambdaSettings, handle, step_context};
use crate::okta::{Credentials, OrgUrl, Secret};
use crate::ports::{AuthKind, BlobStore, Catalog, JobRecord, LockRule, OrgRecord};
use crate::snapshot::Vault;
use crate::testkit::aws_fixtures::{create_bucket, create_key};
use crate::testkit::moto::{MotoOptions, MotoServer};
use crate::timefmt;
use crate::workflow::embedded::{BACKUP_DEFINITION, DOWNLOAD_DEFINITION, RESTORE_DEFINITION};
use crate::workflow::{STEPS, StepContext};

/// How long a test waits for one execution or job (a guard against a hang, not a measure: a job continued over
/// many executions takes minutes on moto on a loaded 2-core machine).
pub const EXECUTION_TIMEOUT: Duration = Duration::from_secs(480);

pub struct AwsStack {
    /// Stops moto when the stack is dropped.
    pub moto: MotoServer,
    /// The context a Lambda container builds: what the proxy runs the steps with.
    pub ctx: Arc<StepContext>,
    pub proxy: Arc<LambdaProxy>,
    pub sfn: aws_sdk_sfn::Client,
    pub state_machine_arn: String,
    pub restore_machine_arn: String,
    pub download_machine_arn: String,
    pub adapters: Adapters,
    pub settings: LambdaSettings,
    pub sdk: SdkConfig,
    pub bucket: String,
}

/// What a stack is started with beyond the defaults.
pub struct StackOptions {
    /// Replaces the S3 blob store the steps use (to inject a failure).
    pub wrap_blobs: Box<dyn FnOnce(Arc<dyn BlobStore>) -> Arc<dyn BlobStore> + Send>,
    /// S3 Object Lock on the snapshot blobs, as the template's `ObjectLockMode` and `ObjectLockDays` set it (the
    /// bucket gets Object Lock on, the functions' settings the rule).
    pub object_lock: Option<LockRule>,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            wrap_blobs: Box::new(|blobs| blobs),
            object_lock: None,
        }
    }
}

impl AwsStack {
    /// moto behind the proxy, the bucket, keys and table, a function per step and the three state machines.
    pub async fn start(options: StackOptions) -> Self {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let proxy_port = listener.local_addr().unwrap().port();
        let moto = tokio::task::spawn_blocking(move || {
            MotoServer::start_with(MotoOptions {
                lambda_invoke_port: Some(proxy_port),
                ..MotoOptions::default()
            })
        })
        .await
        .unwrap();
        // Before any state machine exists: machines created earlier keep the canned behaviour.
        moto.configure(&json!({"stepfunctions": {"execute_state_machine": true}, "lambda": {"use_docker": false}}))
            .await;
        let sdk = moto.sdk_config();

        let settings = LambdaSettings {
            bucket: "oktavault-snapshots".into(),
            table: "oktavault-catalog".into(),
            kms_key_id: create_key(&sdk).await,
            bucket_kms_key_id: create_key(&sdk).await,
            page_budget: Duration::ZERO,
            allow_local_orgs: true,
            alert_topic_arn: None,
            object_lock: options.object_lock,
        };
        create_bucket(&sdk, &settings.bucket, options.object_lock.is_some()).await;
        TableSpec::new(&settings.table)
            .create_table(&aws_sdk_dynamodb::Client::new(&sdk))
            .await
            .unwrap();

        // The context a Lambda container builds, with the test's blob store wrapper if any.
        let mut adapters = Adapters::from_config(&sdk, &settings);
        adapters.blobs = (options.wrap_blobs)(adapters.blobs);
        let ctx = Arc::new(step_context(adapters.clone(), &settings));
        let proxy = LambdaProxy::serve(listener, ctx.clone(), moto.endpoint());

        let role_arn = create_role(&moto).await;
        let mut arns = Vec::new();
        for step in STEPS {
            arns.push((step, create_function(&moto, step, &role_arn).await));
        }
        let sfn = aws_sdk_sfn::Client::new(&sdk);
        let mut machines = Vec::new();
        for (name, definition) in [
            ("oktavault-backup", BACKUP_DEFINITION),
            ("oktavault-restore", RESTORE_DEFINITION),
            ("oktavault-download", DOWNLOAD_DEFINITION),
        ] {
            let mut definition = definition.to_owned();
            for (step, arn) in &arns {
                definition = definition.replace(&format!("${{{step}FunctionArn}}"), arn);
            }
            assert!(
                !definition.contains("${"),
                "every placeholder is replaced: {definition}"
            );
            let machine = sfn
                .create_state_machine()
                .name(name)
                .definition(definition)
                .role_arn(&role_arn)
                .send()
                .await
                .unwrap();
            machines.push(machine.state_machine_arn().to_owned());
        }
        Self {
            state_machine_arn: machines[0].clone(),
            restore_machine_arn: machines[1].clone(),
            download_machine_arn: machines[2].clone(),
            bucket: settings.bucket.clone(),
            settings,
            sdk,
            moto,
            ctx,
            proxy,
            sfn,
            adapters,
        }
    }

    /// The state machines' ARNs, as the API's launcher takes them.
    pub fn machines(&self) -> StateMachines {
        StateMachines {
            backup: self.state_machine_arn.clone(),
            restore: self.restore_machine_arn.clone(),
            download: self.download_machine_arn.clone(),
        }
    }

    pub fn catalog(&self) -> &Arc<dyn Catalog> {
        &self.ctx.catalog
    }

    pub fn vault(&self) -> Vault {
        self.ctx.vault.clone()
    }

    /// Registers the simulated org with its API token sealed on its record (what authorizing an
    /// org for scheduled backups does), through the real KMS key provider.
    pub async fn authorize(&self, sim: &SimHandle) -> (OrgId, OrgRecord) {
        let org_id = org_id(sim);
        let record = api_token_org(&org_id, sim);
        let token = Credentials::ApiToken(Secret::new(sim.api_token()));
        let stored = store_org_credentials(
            self.adapters.catalog.as_ref(),
            self.adapters.keys.as_ref(),
            record,
            &OrgUrl::parse(&sim.url(), true).unwrap(),
            &token,
        )
        .await
        .expect("the org is authorized");
        assert!(!stored.sealed_credentials.as_deref().unwrap().contains(&sim.api_token()));
        (org_id, stored)
    }

    /// What the scheduler or the API does: an execution asking for a backup of the org. Returns its name.
    pub async fn start_execution(&self, org_id: &OrgId, input: Value) -> String {
        let prefix = format!("backup-{org_id}").replace('.', "-");
        self.start_named(&prefix, &self.state_machine_arn, input).await
    }

    /// What the API does for a restore: an execution of the restore state machine. Returns its name.
    pub async fn start_restore(&self, input: Value) -> String {
        self.start_named("restore", &self.restore_machine_arn, input).await
    }

    /// An execution of `machine` named `<prefix>-<random>` (`wait_for_success` knows the machine by the prefix:
    /// `restore`, `download`, else backup). Returns its name.
    pub async fn start_named(&self, prefix: &str, machine: &str, input: Value) -> String {
        let name = format!("{prefix}-{}", crate::ids::random_suffix());
        self.sfn
            .start_execution()
            .state_machine_arn(machine)
            .name(&name)
            .input(input.to_string())
            .send()
            .await
            .unwrap();
        name
    }

    /// The org's one job.
    pub async fn only_job(&self, org_id: &OrgId) -> JobRecord {
        let jobs = self.catalog().list_jobs(org_id, None).await.unwrap();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        jobs.into_iter().next().unwrap()
    }

    /// Polls until the org's one job has finished (across continuation executions).
    pub async fn wait_for_job_end(&self, org_id: &OrgId) -> JobRecord {
        let deadline = Instant::now() + EXECUTION_TIMEOUT;
        loop {
            let job = self.only_job(org_id).await;
            if job.status.is_finished() {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job still running after {EXECUTION_TIMEOUT:?}: {job:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The names of every execution of the state machine.
    pub async fn executions(&self) -> Vec<String> {
        let listed = self
            .sfn
            .list_executions()
            .state_machine_arn(&self.state_machine_arn)
            .send()
            .await
            .unwrap();
        listed.executions().iter().map(|e| e.name().to_owned()).collect()
    }

    /// Polls until the execution ends; panics with its cause, the failed events and the proxy's
    /// log unless it succeeded. Returns the execution's history.
    pub async fn wait_for_success(&self, execution: &str) -> Vec<HistoryEvent> {
        let machine = if execution.starts_with("restore-") {
            &self.restore_machine_arn
        } else if execution.starts_with("download-") {
            &self.download_machine_arn
        } else {
            &self.state_machine_arn
        };
        let arn = format!("{}:{execution}", machine.replace(":stateMachine:", ":execution:"));
        let deadline = Instant::now() + EXECUTION_TIMEOUT;
        let execution = loop {
            let execution = self.sfn.describe_execution().execution_arn(&arn).send().await.unwrap();
            if execution.status() != &ExecutionStatus::Running {
                break execution;
            }
            assert!(
                Instant::now() < deadline,
                "execution {arn} still running after {EXECUTION_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let history = self.history(&arn).await;
        if execution.status() != &ExecutionStatus::Succeeded {
            let failures: Vec<&HistoryEvent> = history.iter().filter(|e| failed_with(e, "")).collect();
            panic!(
                "execution {arn} ended {:?}: {:?} {:?}\nfailed events: {failures:#?}\nproxy answers: {:#?}",
                execution.status(),
                execution.error(),
                execution.cause(),
                self.proxy.invocations.lock().unwrap()
            );
        }
        history
    }

    pub async fn history(&self, execution_arn: &str) -> Vec<HistoryEvent> {
        let mut events = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .sfn
                .get_execution_history()
                .execution_arn(execution_arn)
                .max_results(1000)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            events.extend(page.events().iter().cloned());
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return events;
            }
        }
    }
}

/// A Task that failed with `error` ("" matches any error).
pub fn failed_with(event: &HistoryEvent, error: &str) -> bool {
    let task = event.task_failed_event_details().and_then(|d| d.error());
    let lambda = event.lambda_function_failed_event_details().and_then(|d| d.error());
    [task, lambda]
        .into_iter()
        .flatten()
        .any(|e| error.is_empty() || e == error)
}

/// moto routes a request by the service named in its (unchecked) signature.
fn signed_as(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
}

/// The role the functions and the state machine name (moto checks that it exists).
async fn create_role(moto: &MotoServer) -> String {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]}, "Action": "sts:AssumeRole"}]});
    let form = [
        ("Action", "CreateRole"),
        ("Version", "2010-05-08"),
        ("RoleName", "oktavault-test"),
        ("AssumeRolePolicyDocument", &trust.to_string()),
    ];
    let answer = reqwest::Client::new()
        .post(format!("{}/", moto.endpoint()))
        .header("Authorization", signed_as("iam"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let xml = answer.text().await.unwrap();
    assert!(status.is_success(), "IAM CreateRole answered {status}: {xml}");
    between(&xml, "<Arn>", "</Arn>")
        .unwrap_or_else(|| panic!("no role ARN in {xml}"))
        .to_owned()
}

/// A function per step so the state machine's ARNs resolve; its code is never run (the proxy
/// answers its invocations), so an empty zip will do.
async fn create_function(moto: &MotoServer, step: &str, role_arn: &str) -> String {
    let empty_zip = [b"PK\x05\x06".as_slice(), &[0u8; 18]].concat();
    let answer = reqwest::Client::new()
        .post(format!("{}/2015-03-31/functions", moto.endpoint()))
        .header("Authorization", signed_as("lambda"))
        .json(&json!({
            "FunctionName": step,
            "Runtime": "provided.al2023",
            "Architectures": ["arm64"],
            "Handler": "bootstrap",
            "Role": role_arn,
            "Code": {"ZipFile": BASE64.encode(empty_zip)},
            "Timeout": 300,
        }))
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let body: Value = answer.json().await.unwrap();
    assert!(
        status.is_success(),
        "Lambda CreateFunction {step} answered {status}: {body}"
    );
    body["FunctionArn"].as_str().unwrap().to_owned()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    Some(&text[from..from + text[from..].find(end)?])
}

// ---------------------------------------------------------------------------------------------
// The proxy: Lambda's Invoke API in front of the step code; everything else goes to moto

#[derive(Debug)]
pub struct Invocation {
    pub step: String,
    pub payload: Value,
    pub error: Option<String>,
}

pub struct LambdaProxy {
    ctx: Arc<StepContext>,
    moto: String,
    http: reqwest::Client,
    /// Every step invocation, in order, with its error if it failed.
    pub invocations: Mutex<Vec<Invocation>>,
}

impl LambdaProxy {
    pub fn serve(listener: tokio::net::TcpListener, ctx: Arc<StepContext>, moto: String) -> Arc<Self> {
        let proxy = Arc::new(LambdaProxy {
            ctx,
            moto,
            http: reqwest::Client::new(),
            invocations: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new().fallback(route).with_state(proxy.clone());
        let addr: SocketAddr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        proxy
    }

    /// Runs the step the function stands for, answering as Lambda's Invoke API does.
    async fn invoke(&self, function: &str, body: Bytes) -> Response {
        let step = function_name(function);
        let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        // What the Lambda host runs per invocation: the step inside its log span (step, job, org).
        let result = handle(&self.ctx, &step, payload.clone(), None).await;
        let error = result
            .as_ref()
            .err()
            .map(|e| format!("{}: {}", e.error_type, e.error_message));
        self.invocations.lock().unwrap().push(Invocation {
            step: step.clone(),
            payload,
            error,
        });
        match result {
            Ok(output) => (StatusCode::OK, axum::Json(output)).into_response(),
            Err(e) => {
                let mut response = (
                    StatusCode::OK,
                    axum::Json(json!({"errorType": e.error_type, "errorMessage": e.error_message})),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert("X-Amz-Function-Error", HeaderValue::from_static("Unhandled"));
                response
            }
        }
    }

    async fn forward(&self, method: Method, path_and_query: &str, headers: HeaderMap, body: Bytes) -> Response {
        let mut request = self
            .http
            .request(method, format!("{}{path_and_query}", self.moto))
            .body(body);
        for (name, value) in &headers {
            if !matches!(
                name.as_str(),
                "host" | "content-length" | "connection" | "transfer-encoding"
            ) {
                request = request.header(name, value);
            }
        }
        let answer = match request.send().await {
            Ok(answer) => answer,
            Err(e) => return (StatusCode::BAD_GATEWAY, format!("proxy: moto did not answer: {e}")).into_response(),
        };
        let mut response = Response::builder().status(answer.status().as_u16());
        for (name, value) in answer.headers() {
            if !matches!(name.as_str(), "content-length" | "connection" | "transfer-encoding") {
                response = response.header(name, value);
            }
        }
        response
            .body(Body::from(answer.bytes().await.unwrap_or_default()))
            .unwrap()
    }
}

async fn route(State(proxy): State<Arc<LambdaProxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let path = parts.uri.path();
    let invoked = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.trim_end_matches('/').strip_suffix("/invocations"));
    match invoked {
        Some(function) if parts.method == Method::POST => proxy.invoke(function, body).await,
        _ => {
            let path_and_query = parts.uri.path_and_query().map_or(path, |pq| pq.as_str()).to_owned();
            proxy.forward(parts.method, &path_and_query, parts.headers, body).await
        }
    }
}

/// `PlanBackup`, or the function's ARN (percent-encoded in the path, maybe with a qualifier).
fn function_name(in_path: &str) -> String {
    let decoded = percent_decode(in_path);
    match decoded.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest).to_owned(),
        None => decoded,
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn org_id(sim: &SimHandle) -> OrgId {
    OrgUrl::parse(&sim.url(), true).unwrap().org_id()
}

/// The record of the simulated org, authorized with its API token (credentials not yet sealed on it).
pub fn api_token_org(org_id: &OrgId, sim: &SimHandle) -> OrgRecord {
    OrgRecord::new(
        org_id.clone(),
        sim.url(),
        AuthKind::ApiToken,
        None,
        timefmt::rfc3339(timefmt::now()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn invoked_function_names_are_read_from_names_and_encoded_arns() {
        assert_eq!(function_name("PlanBackup"), "PlanBackup");
        assert_eq!(
            function_name("arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3ABackupPage"),
            "BackupPage"
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:FailJob:$LATEST"),
            "FailJob"
        );
    }
}
