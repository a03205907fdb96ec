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
        if self.json {
            println!("{}", serde_json::to_string_pretty(report).expect("reports serialize"));
        } else {
            print!("{report}");
        }
    }

    /// A line for a person about what is happening; silent in `--json` mode.
    pub fn note(&self, line: impl Display) {
        if !self.json {
            eprintln!("{line}");
        }
    }
}

pub fn print_error(json: bool, error: &anyhow::Error) {
    let message = format!("{error:#}");
    if json {
        println!("{}", serde_json::json!({ "error": message }));
    } else {
        eprintln!("error: {message}");
    }
}

pub use oktavault_shared::categories::{name_width as category_width, title_width};
