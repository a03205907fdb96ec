//! Every command prints one report: text for a person, or with `--json` one JSON document.

use std::fmt::Display;

use serde::Serialize;

pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    pub fn emit<T: Serialize + Display>(&self, report: &T) {
        let text = if self.json {
            format!("{}\n", serde_json::to_string_pretty(report).expect("reports serialize"))
        } else {
            report.to_string()
        };
        write_stdout(&text);
    }

    /// A line for a person about what is happening; silent in `--json` mode.
    pub fn note(&self, line: impl Display) {
        if !self.json {
            eprintln!("{line}");
        }
    }
}

/// Writes to standard output. A reader that stopped reading (`oktavault snapshots | head`) is not an error of
/// ours: the rest is dropped quietly instead of panicking as `print!` would.
fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write the report to standard output: {e}");
    }
}

pub fn print_error(json: bool, error: &anyhow::Error) {
    let message = format!("{error:#}");
    if json {
        write_stdout(&format!("{}\n", serde_json::json!({ "error": message })));
    } else {
        eprintln!("error: {message}");
    }
}

pub use oktavault_shared::categories::name_width as category_width;
