//! Structured logs of the Lambda functions (feature `lambda`): one JSON object per line on stdout, which
//! CloudWatch Logs Insights reads field by field when the function's `LoggingConfig.LogFormat` is `JSON`.
//!
//! Each line carries, at its top level, the fields of the spans it was logged in: the host opens one span per
//! invocation ([`invocation_span`]) naming the step, the job and the org read from the step's input, so every
//! line of one job can be found across its functions with `filter job_id = "..."`. A step whose input names only
//! its job adds the org once it has read the job (`workflow::job::running_job` records it on the current span).
//!
//! Level: `AWS_LAMBDA_LOG_LEVEL` (the template's `LoggingConfig.ApplicationLogLevel`), else `RUST_LOG`, else INFO.

use std::fmt;

use serde_json::{Map, Value};
use tracing::{Event, Span, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use crate::timefmt;

/// The input fields an invocation span takes, wherever in the step's input they are (top level, or one object
/// down: PlanBackup's `request`, FailJob's `state`).
const SPAN_FIELDS: [&str; 2] = ["job_id", "org_id"];

/// Installs the JSON logger on stdout for the whole process. A second call (a test, a host that set one up
/// already) leaves the first in place.
pub fn init() {
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stdout, level_from_env()));
}

/// The JSON logger writing to `writer` at `level` and above (`RUST_LOG` directives, when set, refine it).
pub fn subscriber<W>(writer: W, level: LevelFilter) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    tracing_subscriber::fmt()
        .with_writer(writer)
        .fmt_fields(JsonFields::new())
        .event_format(JsonLines)
        .with_env_filter(filter)
        .finish()
}

fn level_from_env() -> LevelFilter {
    std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.parse().ok())
        .unwrap_or(LevelFilter::INFO)
}

/// The span of one invocation of `step`: its job and org, when its input names them.
pub fn invocation_span(step: &str, input: &Value) -> Span {
    let span = tracing::info_span!(
        "invocation",
        step,
        job_id = tracing::field::Empty,
        org_id = tracing::field::Empty
    );
    for field in SPAN_FIELDS {
        if let Some(value) = find_field(input, field) {
            span.record(field, value);
        }
    }
    span
}

/// A string field of the input's top level, or of an object one level down.
fn find_field<'a>(input: &'a Value, field: &str) -> Option<&'a str> {
    let object = input.as_object()?;
    object.get(field).and_then(Value::as_str).or_else(|| {
        object
            .values()
            .filter_map(Value::as_object)
            .find_map(|inner| inner.get(field).and_then(Value::as_str))
    })
}

/// One line per event: `timestamp` (RFC 3339, which Lambda's log-level filtering needs), `level`, `target`, the
/// fields of its spans (outermost first) and then its own (`message` among them).
struct JsonLines;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = Map::new();
        line.insert("timestamp".into(), timefmt::rfc3339(timefmt::now()).into());
        line.insert("level".into(), event.metadata().level().as_str().into());
        line.insert("target".into(), event.metadata().target().into());
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<JsonFields>>() {
                    merge(&mut line, &fields.fields);
                }
            }
        }
        let mut own = String::new();
        ctx.format_fields(Writer::new(&mut own), event)?;
        merge(&mut line, &own);
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// Adds the fields of a JSON object's text (as [`JsonFields`] writes them) to `line`.
fn merge(line: &mut Map<String, Value>, fields: &str) {
    if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields) {
        line.extend(fields);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what the logger writes, line by line.
    #[derive(Clone, Default)]
    pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Captured {
        pub(crate) fn lines(&self) -> Vec<Value> {
            let bytes = self.0.lock().unwrap().clone();
            String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
                .collect()
        }
    }

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Captured {
        type Writer = Captured;
        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn a_line_carries_its_invocation_s_job_and_org_at_the_top_level_beside_its_own_fields() {
        let captured = Captured::default();
        let input = serde_json::json!({"request": {"org_id": "acme.okta.com", "job_id": "job-1"}, "owner": "x"});
        tracing::subscriber::with_default(subscriber(captured.clone(), LevelFilter::INFO), || {
            let _entered = invocation_span("PlanBackup", &input).entered();
            tracing::info!(pages = 3, "listed");
            tracing::debug!("below the level");
        });
        let lines = captured.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert_eq!(line["message"], "listed");
        assert_eq!(line["pages"], 3);
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["step"], "PlanBackup");
        assert_eq!(line["job_id"], "job-1");
        assert_eq!(line["org_id"], "acme.okta.com");
        assert!(
            timefmt::parse_rfc3339(line["timestamp"].as_str().unwrap()).is_some(),
            "{line}"
        );
    }

    #[test]
    fn the_org_recorded_later_is_on_the_lines_after_it() {
        let captured = Captured::default();
        let input = serde_json::json!({"job_id": "job-2", "category": "users"});
        tracing::subscriber::with_default(subscriber(captured.clone(), LevelFilter::INFO), || {
            let _entered = invocation_span("BackupPage", &input).entered();
            tracing::info!("before");
            Span::current().record("org_id", "acme.okta.com");
            tracing::info!("after");
        });
        let lines = captured.lines();
        assert_eq!(lines[0]["job_id"], "job-2");
        assert!(lines[0].get("org_id").is_none(), "{}", lines[0]);
        assert_eq!(lines[1]["org_id"], "acme.okta.com");
    }
}
