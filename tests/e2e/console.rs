//! The web console in a real browser: `console/tests/flows.mjs` (playwright-core driving Debian's chromium)
//! against `oktavault serve` on a simulated org, signed in with the one-time link the server prints. Through the
//! browser it authorizes the org, backs it up, finds a deleted user by search, previews and applies its restore
//! (the user is back in the simulator), downloads a selection and reads the file, and opens a failed restore to
//! read its per-object error; it writes a screenshot of each page at 1280 and 390 px and fails on any console
//! error. `scripts/test` runs `npm ci` in console/ and installs chromium (`scripts/ensure-chromium`) first.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use okta_sim::{PathAnswer, PathFault};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{command, start_sim};

fn console_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("console")
}

/// The browser the flows drive: `CHROMIUM`, or Debian's package.
fn chromium() -> PathBuf {
    let path = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(
        path.is_file(),
        "{} is missing: run scripts/ensure-chromium (it installs Debian's chromium)",
        path.display()
    );
    path
}

/// A deletable group (an `OKTA_GROUP`, the fewest members) and an active user outside it: the flows delete both
/// between two backups, restore the user, and see the group's restore refused.
fn victims(state: &okta_sim::OrgState) -> (String, String) {
    let group = state
        .groups
        .iter()
        .filter(|g| g["type"] == "OKTA_GROUP")
        .min_by_key(|g| state.group_members.get(g["id"].as_str().unwrap()).map_or(0, Vec::len))
        .expect("the seeded org has an OKTA_GROUP");
    let group = group["id"].as_str().unwrap().to_owned();
    let members = state.group_members.get(&group).cloned().unwrap_or_default();
    let user = state
        .users
        .iter()
        .filter(|u| u["status"] == "ACTIVE")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .find(|id| !members.contains(id))
        .expect("an active user outside the group");
    (user, group)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_console_authorizes_backs_up_finds_restores_downloads_and_shows_a_failed_job() {
    let console = console_dir();
    assert!(
        console.join("node_modules/playwright-core").is_dir(),
        "{}/node_modules is missing: run `npm ci` in console/ (scripts/test does)",
        console.display()
    );
    let chromium = chromium();
    let sim = start_sim(20, 31).await;
    // Creating a group is refused for good: the group's restore fails, naming why, while the rest works.
    sim.fail_path(PathFault {
        path: "/api/v1/groups".into(),
        method: Some("POST".into()),
        answer: PathAnswer::Error {
            status: 400,
            code: "E0000001".into(),
            summary: "Api validation failed: profile.name is reserved".into(),
        },
        times: None,
    });
    let (user, group) = victims(&sim.snapshot_state());

    let store = tempfile::tempdir().unwrap();
    let mut server = command(store.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--allow-local-org"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut link = None;
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(rest) = line.strip_prefix("console: ") {
            link = Some(rest.to_owned());
            break;
        }
    }
    let link = link.expect("oktavault serve prints the console's sign-in link");
    assert!(link.contains("/sign-in#code="), "{link}");

    // Screenshots go to a temporary directory unless asked for elsewhere (docs/console is refreshed this way).
    let shots_dir = tempfile::tempdir().unwrap();
    let shots = std::env::var("OKTAVAULT_CONSOLE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| shots_dir.path().to_owned());
    let output = tokio::process::Command::new("node")
        .arg("tests/flows.mjs")
        .current_dir(&console)
        .env("CONSOLE_LINK", &link)
        .env("SIM_URL", sim.url())
        .env("SIM_TOKEN", sim.api_token())
        .env("DELETED_USER", &user)
        .env("DELETED_GROUP", &group)
        .env("SCREENSHOTS", &shots)
        .env("CHROMIUM", &chromium)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(900), output)
        .await
        .expect("the browser flows finish within 15 minutes")
        .expect("node runs (Node.js 20 or later is needed)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{text}");
    assert!(output.status.success(), "the console's flows failed:\n{text}");
    assert!(text.contains("all flows passed"), "{text}");
    for page in [
        "orgs-after-backup",
        "timeline",
        "browse",
        "object",
        "search",
        "restore-plan",
        "downloads",
        "jobs",
    ] {
        for width in ["1280", "390"] {
            let shot = shots.join(format!("{page}-{width}.png"));
            assert!(shot.is_file(), "no screenshot {}", shot.display());
        }
    }
}
