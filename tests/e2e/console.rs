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

/// `oktavault serve` with its printed lines read: the console link, and the server kept alive.
async fn serve_console(store: &Path) -> (tokio::process::Child, String, String) {
    let mut server = command(store)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let (mut base, mut link) = (None, None);
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(rest) = line.strip_prefix("listening on ") {
            base = Some(rest.to_owned());
        }
        if let Some(rest) = line.strip_prefix("console: ") {
            link = Some(rest.to_owned());
            break;
        }
    }
    (
        server,
        base.expect("serve prints where it listens"),
        link.expect("serve prints the console link"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oktavault_serve_answers_the_console_with_content_types_cache_headers_and_page_fallback_and_its_link_signs_in_once()
 {
    let store = tempfile::tempdir().unwrap();
    let (_server, base, link) = serve_console(store.path()).await;
    let http = reqwest::Client::new();

    let index = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(index.headers()["cache-control"], "no-cache");
    let html = index.text().await.unwrap();
    let script = html
        .split('"')
        .find(|part| part.starts_with("/assets/") && part.ends_with(".js"))
        .expect("index.html names its hashed script");
    let asset = http.get(format!("{base}{script}")).send().await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    // A console page is the page itself (it routes in the browser); a missing file and an unknown API route are
    // the API's JSON 404, and the API still wants its token.
    let page = http.get(format!("{base}/jobs/job-1")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.text().await.unwrap(), html);
    for missing in ["/assets/missing.js", "/v1/nothing"] {
        let answer = http.get(format!("{base}{missing}")).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{missing}");
        assert_eq!(answer.headers()["content-type"], "application/json");
    }
    assert_eq!(http.get(format!("{base}/v1/orgs")).send().await.unwrap().status(), 401);

    // The link's code is traded once for a session token that reads the API; a second use is told so.
    let code = link.split_once("#code=").unwrap().1;
    let sign_in = |code: &str| {
        http.post(format!("{base}/v1/console/sessions"))
            .json(&serde_json::json!({ "code": code }))
            .send()
    };
    let wrong = sign_in("0123456789abcdef0123456789abcdef").await.unwrap();
    assert_eq!(wrong.status(), 401);
    let session: serde_json::Value = sign_in(code).await.unwrap().json().await.unwrap();
    let token = session["token"].as_str().expect("a session token");
    assert_eq!(session["role"], "admin");
    let orgs = http
        .get(format!("{base}/v1/orgs"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(orgs.status(), 200);
    let again = sign_in(code).await.unwrap();
    assert_eq!(again.status(), 401);
    let message: serde_json::Value = again.json().await.unwrap();
    assert!(
        message["error"]["message"].as_str().unwrap().contains("used already"),
        "{message}"
    );
}
