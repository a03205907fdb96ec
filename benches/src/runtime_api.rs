//! A local Lambda Runtime API: the endpoints `lambda_runtime` talks to inside a Lambda container,
//! enough to run a function binary outside AWS. It notes when each poll for the next event
//! arrives, hands out the events it was given in order, and reports every answer. A poll with no
//! event left is held open, as Lambda holds the poll of an idle container, until the emulator is
//! dropped.
//!
//! Any other request is answered 404 and reported as [`Report::Unexpected`]: with the function's
//! AWS endpoint pointed here, that is how a measurement sees an AWS call it did not expect.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

/// The ARN handed to the function with each event.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:oktavault-local";
/// How long an invocation may run, as its deadline header says (the functions' timeout).
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(300);

/// What the emulator saw, in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// `GET /2018-06-01/runtime/invocation/next`: the function is ready for an event.
    Poll { at: Instant },
    /// `POST /2018-06-01/runtime/invocation/{id}/response`: an invocation's result.
    Response { request_id: String, body: Value },
    /// `POST /2018-06-01/runtime/invocation/{id}/error`: an invocation failed.
    Error {
        request_id: String,
        error_type: String,
        error_message: String,
    },
    /// `POST /2018-06-01/runtime/init/error`: the function could not start.
    InitError { error_type: String, error_message: String },
    /// A request that is not part of the Runtime API.
    Unexpected { method: String, path: String },
}

/// The emulator, listening on a free loopback port until dropped.
pub struct RuntimeApi {
    address: SocketAddr,
    reports: mpsc::UnboundedReceiver<Report>,
    closed: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    events: Mutex<VecDeque<(String, Value)>>,
    reports: mpsc::UnboundedSender<Report>,
    closed: watch::Receiver<bool>,
}

impl RuntimeApi {
    /// Listens on 127.0.0.1; the function's polls receive `events` one by one, request ids
    /// `request-1`, `request-2`, ...
    pub async fn start(events: Vec<Value>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let (report_tx, reports) = mpsc::unbounded_channel();
        let (closed, closed_rx) = watch::channel(false);
        let events = events
            .into_iter()
            .enumerate()
            .map(|(i, event)| (format!("request-{}", i + 1), event))
            .collect();
        let shared = Arc::new(Shared {
            events: Mutex::new(events),
            reports: report_tx,
            closed: closed_rx,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_event))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(invocation_response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(invocation_error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .fallback(unexpected)
            .with_state(shared);
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("the Lambda Runtime API emulator stopped: {e}");
            }
        });
        Ok(Self {
            address,
            reports,
            closed,
            server,
        })
    }

    /// `host:port`: the value of a function's `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// The next thing the emulator saw, waiting at most `timeout`; `None` if nothing came.
    pub async fn next_report(&mut self, timeout: Duration) -> Option<Report> {
        tokio::time::timeout(timeout, self.reports.recv()).await.ok().flatten()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // Held polls answer 410 and end; then the listener stops.
        let _ = self.closed.send(true);
        self.server.abort();
    }
}

async fn next_event(State(shared): State<Arc<Shared>>) -> Response {
    let _ = shared.reports.send(Report::Poll { at: Instant::now() });
    let next = shared.events.lock().expect("event queue").pop_front();
    let Some((request_id, event)) = next else {
        let mut closed = shared.closed.clone();
        let _ = closed.wait_for(|closed| *closed).await;
        return (StatusCode::GONE, "the Runtime API emulator is shutting down").into_response();
    };
    let deadline = SystemTime::now() + INVOCATION_TIMEOUT;
    let deadline_ms = deadline.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    (
        [
            ("lambda-runtime-aws-request-id", request_id),
            ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
            ("lambda-runtime-invoked-function-arn", FUNCTION_ARN.to_owned()),
            (header::CONTENT_TYPE.as_str(), "application/json".to_owned()),
        ],
        event.to_string(),
    )
        .into_response()
}

async fn invocation_response(
    State(shared): State<Arc<Shared>>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let body = serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    let _ = shared.reports.send(Report::Response { request_id, body });
    StatusCode::ACCEPTED
}

async fn invocation_error(
    State(shared): State<Arc<Shared>>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let (error_type, error_message) = diagnostic(&headers, &body);
    let _ = shared.reports.send(Report::Error {
        request_id,
        error_type,
        error_message,
    });
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let (error_type, error_message) = diagnostic(&headers, &body);
    let _ = shared.reports.send(Report::InitError {
        error_type,
        error_message,
    });
    StatusCode::ACCEPTED
}

async fn unexpected(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> StatusCode {
    let _ = shared.reports.send(Report::Unexpected {
        method: method.to_string(),
        path: uri.path().to_owned(),
    });
    StatusCode::NOT_FOUND
}

/// An error body `{"errorType": ..., "errorMessage": ...}`; without one, the error-type header
/// and the raw body.
fn diagnostic(headers: &HeaderMap, body: &[u8]) -> (String, String) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|v| v[name].as_str()).map(str::to_owned);
    let header_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        field("errorType").unwrap_or(header_type),
        field("errorMessage").unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(5);

    fn url(api: &RuntimeApi, path: &str) -> String {
        format!("http://{}/2018-06-01/runtime/{path}", api.address())
    }

    #[tokio::test]
    async fn a_poll_gets_the_next_event_with_the_headers_lambda_runtime_needs() {
        let mut api = RuntimeApi::start(vec![serde_json::json!({"step": 1})]).await.unwrap();
        let answer = reqwest::get(url(&api, "invocation/next")).await.unwrap();
        assert_eq!(answer.status(), 200);
        let header = |name: &str| answer.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("lambda-runtime-aws-request-id"), "request-1");
        assert_eq!(header("lambda-runtime-invoked-function-arn"), FUNCTION_ARN);
        let deadline: u128 = header("lambda-runtime-deadline-ms").parse().unwrap();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis();
        assert!(
            deadline > now + 250_000 && deadline <= now + 300_000,
            "{deadline} vs {now}"
        );
        assert_eq!(answer.json::<Value>().await.unwrap(), serde_json::json!({"step": 1}));
        assert!(matches!(api.next_report(WAIT).await, Some(Report::Poll { .. })));
    }

    #[tokio::test]
    async fn answers_and_other_requests_are_reported_in_order() {
        let mut api = RuntimeApi::start(Vec::new()).await.unwrap();
        let client = reqwest::Client::new();
        let sent = client
            .post(url(&api, "invocation/request-1/response"))
            .body(r#"{"done":true}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 202);
        client
            .post(url(&api, "invocation/request-2/error"))
            .body(r#"{"errorType":"OktaVault.Fatal","errorMessage":"no"}"#)
            .send()
            .await
            .unwrap();
        client
            .post(url(&api, "init/error"))
            .header("lambda-runtime-function-error-type", "Runtime.InitError")
            .body("cannot start")
            .send()
            .await
            .unwrap();
        let other = client
            .put(format!("http://{}/backups/key", api.address()))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 404);

        let expected = [
            Report::Response {
                request_id: "request-1".into(),
                body: serde_json::json!({"done": true}),
            },
            Report::Error {
                request_id: "request-2".into(),
                error_type: "OktaVault.Fatal".into(),
                error_message: "no".into(),
            },
            Report::InitError {
                error_type: "Runtime.InitError".into(),
                error_message: "cannot start".into(),
            },
            Report::Unexpected {
                method: "PUT".into(),
                path: "/backups/key".into(),
            },
        ];
        for report in expected {
            assert_eq!(api.next_report(WAIT).await, Some(report));
        }
    }

    #[tokio::test]
    async fn a_poll_with_no_event_left_is_held_until_the_emulator_is_dropped() {
        let mut api = RuntimeApi::start(Vec::new()).await.unwrap();
        let poll = tokio::spawn(reqwest::get(url(&api, "invocation/next")));
        assert!(matches!(api.next_report(WAIT).await, Some(Report::Poll { .. })));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!poll.is_finished(), "an idle poll must be held open");
        drop(api);
        let answer = tokio::time::timeout(WAIT, poll).await.unwrap().unwrap().unwrap();
        assert_eq!(answer.status(), 410);
    }
}
