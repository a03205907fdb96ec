//! Downloads: the real binary takes a snapshot's selection out as a file, through the download workflow, as a
//! job; what the file holds is compared with the snapshot read back through the library, and the zip is read by
//! Python's zipfile (an independent reader).

use std::path::Path;

use serde_json::Value;

use crate::support::*;

/// Runs `oktavault --json download ARGS`; answers the exit code, the report and everything printed.
async fn download(store: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["--json", "download"];
    all.extend_from_slice(args);
    let out = oktavault(store, &all).await;
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), report, text(&out))
}

/// Every entry of the zip at `path`, extracted by Python's zipfile (which checks each CRC), by name.
fn unzip(path: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n\
                  z.extractall(sys.argv[2])\nprint('\\n'.join(z.namelist()))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .arg(dir.path())
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|name| (name.to_owned(), std::fs::read(dir.path().join(name)).unwrap()))
        .collect()
}

/// The `objects` of a category's JSON document, by id field `id_field`.
fn objects(document: &[u8]) -> Vec<Value> {
    let document: Value = serde_json::from_slice(document).expect("each file is one JSON document");
    let objects = document["objects"]
        .as_array()
        .expect("a document holds its objects")
        .clone();
    assert_eq!(document["count"].as_u64(), Some(objects.len() as u64), "its count");
    objects
}

fn field_set(objects: &[Value], field: &str) -> std::collections::BTreeSet<String> {
    objects
        .iter()
        .map(|o| o[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Files in `dir` whose name is not `keep` (a partial file left behind would be one).
fn other_files(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !keep.contains(&name.as_str()))
        .collect()
}

#[tokio::test]
async fn a_download_of_one_user_with_relationships_holds_its_groups_and_assignments() {
    let sim = start_sim(60, 21).await;
    let store = tempfile::tempdir().unwrap();
    let report = backup_with_token(store.path(), &sim).await;
    let snapshot = snapshot_id(&report);
    let view = open_store(store.path());
    let contents = view.contents(&snapshot).await;
    // A user with memberships and app assignments, found in the snapshot through the library.
    let memberships = &contents["group_members"];
    let assignments = &contents["app_users"];
    let (user_id, user) = contents["users"]
        .iter()
        .find(|(id, _)| {
            memberships.values().filter(|m| m["userId"] == id.as_str()).count() >= 2
                && assignments.values().any(|a| a["id"] == id.as_str())
        })
        .expect("a user in two groups with an app assignment");
    let login = user["profile"]["login"].as_str().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("user.zip");

    let (code, report, output) = download(
        store.path(),
        &[
            &snapshot.to_string(),
            "--select",
            &format!("users:{login}"),
            "--with-relationships",
            "-o",
            path.to_str().unwrap(),
        ],
    )
    .await;

    assert_eq!(code, Some(0), "{output}");
    assert_eq!(report["state"]["state"], "completed", "{output}");
    let files = unzip(&path);
    let users = objects(&files["users.json"]);
    assert_eq!(users.len(), 1);
    assert_eq!(&users[0], user, "the user as the snapshot holds it");
    let expected_groups: std::collections::BTreeSet<String> = memberships
        .values()
        .filter(|m| m["userId"] == user_id.as_str())
        .map(|m| m["groupId"].as_str().unwrap().to_owned())
        .collect();
    let rows = objects(&files["group_members.json"]);
    assert!(
        rows.iter().all(|m| m["userId"] == user_id.as_str()),
        "only the user's memberships"
    );
    assert_eq!(field_set(&rows, "groupId"), expected_groups);
    assert_eq!(
        field_set(&objects(&files["groups.json"]), "id"),
        expected_groups,
        "its groups, whole"
    );
    let expected_apps: std::collections::BTreeSet<String> = assignments
        .values()
        .filter(|a| a["id"] == user_id.as_str())
        .map(|a| a["appId"].as_str().unwrap().to_owned())
        .collect();
    let rows = objects(&files["app_users.json"]);
    assert!(rows.iter().all(|a| a["id"] == user_id.as_str()));
    assert_eq!(field_set(&rows, "appId"), expected_apps);
    assert_eq!(field_set(&objects(&files["apps.json"]), "id"), expected_apps);
    let factors = contents
        .get("user_factors")
        .map_or(0, |f| f.values().filter(|f| f["userId"] == user_id.as_str()).count());
    assert_eq!(
        files.get("user_factors.json").map_or(0, |f| objects(f).len()),
        factors,
        "its factors"
    );
    // Each document names the snapshot it came from.
    let users_doc: Value = serde_json::from_slice(&files["users.json"]).unwrap();
    assert_eq!(users_doc["snapshot"]["snapshot_id"], snapshot.to_string());
    assert_eq!(users_doc["category"], "users");
    assert!(other_files(out_dir.path(), &["user.zip"]).is_empty());
    let job = view.job(&report).await;
    assert_eq!(job.kind, oktavault_shared::ports::JobKind::Download);
    assert_eq!(job.download.unwrap().path.as_deref(), path.to_str());
}

#[tokio::test]
async fn a_csv_download_has_a_column_per_profile_attribute_and_a_row_per_user() {
    let sim = start_sim(40, 5).await;
    let store = tempfile::tempdir().unwrap();
    let report = backup_with_token(store.path(), &sim).await;
    let snapshot = snapshot_id(&report);
    let contents = open_store(store.path()).contents(&snapshot).await;
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("users.csv");

    let (code, _, output) = download(
        store.path(),
        &[
            "latest",
            "--select",
            "users",
            "--format",
            "csv",
            "-o",
            path.to_str().unwrap(),
        ],
    )
    .await;

    assert_eq!(code, Some(0), "{output}");
    // Python's csv module reads it back: one row per user, each cell the user's value.
    let script = "import csv, json, sys\nrows = list(csv.DictReader(open(sys.argv[1], newline='')))\n\
                  print(json.dumps(rows))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<std::collections::BTreeMap<String, String>> = serde_json::from_slice(&out.stdout).unwrap();
    let users = &contents["users"];
    assert_eq!(rows.len(), users.len());
    for row in &rows {
        let user = &users[&row["id"]];
        assert_eq!(row["profile.login"], user["profile"]["login"].as_str().unwrap());
        assert_eq!(row["profile.email"], user["profile"]["email"].as_str().unwrap());
        assert_eq!(row["status"], user["status"].as_str().unwrap());
    }
}

#[tokio::test]
async fn a_malformed_selection_or_an_unknown_snapshot_is_refused_and_writes_nothing() {
    let sim = start_sim(10, 3).await;
    let store = tempfile::tempdir().unwrap();
    backup_with_token(store.path(), &sim).await;
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("x.json");
    let path = path.to_str().unwrap();
    for (args, says) in [
        (vec!["latest", "--select", "users:", "-o", path], "names no object"),
        (vec!["latest", "--select", "nosuch", "-o", path], "unknown category"),
        (
            vec!["latest", "--select", "policies", "--format", "csv", "-o", path],
            "not a table",
        ),
        (
            vec!["latest", "--select", "users", "--format", "xml", "-o", path],
            "unknown download format",
        ),
        (
            vec!["20200101T000000Z-abcdef", "--select", "users", "-o", path],
            "no snapshot",
        ),
    ] {
        let (code, _, output) = download(store.path(), &args).await;
        assert_ne!(code, Some(0), "{args:?}: {output}");
        assert!(output.contains(says), "{args:?} should say {says:?}: {output}");
        assert!(other_files(out_dir.path(), &[]).is_empty(), "{args:?} wrote a file");
    }
    // A login the snapshot does not hold: the job fails, saying so.
    let (code, report, output) = download(
        store.path(),
        &["latest", "--select", "users:nobody@example.com", "-o", path],
    )
    .await;
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(report["state"]["state"], "failed", "{output}");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("no users object with the id or name"),
        "{output}"
    );
    assert!(other_files(out_dir.path(), &[]).is_empty());
}

#[tokio::test]
async fn a_damaged_segment_or_a_lost_manifest_fails_the_job_and_leaves_no_file() {
    let sim = start_sim(20, 8).await;
    let store = tempfile::tempdir().unwrap();
    let report = backup_with_token(store.path(), &sim).await;
    let snapshot = snapshot_id(&report);
    let view = open_store(store.path());
    let org = view.snapshot_org(&snapshot).await;
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("users.json");
    let path = path.to_str().unwrap();

    // One byte of a users segment flipped on disk.
    let segments = view.blob_keys(&format!("orgs/{org}/segments/{snapshot}/users/")).await;
    let damaged = store.path().join("blobs").join(&segments[0]);
    let mut bytes = std::fs::read(&damaged).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&damaged, &bytes).unwrap();
    let (code, report, output) =
        download(store.path(), &[&snapshot.to_string(), "--select", "users", "-o", path]).await;
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(report["state"]["state"], "failed", "{output}");
    assert!(
        report["error"].as_str().unwrap().contains("failed authentication"),
        "{output}"
    );
    assert!(
        other_files(out_dir.path(), &[]).is_empty(),
        "no file, not even a partial one"
    );
    let job = view.job(&report).await;
    assert!(
        view.blob_keys(&format!("orgs/{org}/downloads/{}/", job.job_id))
            .await
            .is_empty(),
        "its pieces are deleted"
    );

    // The manifest of the snapshot gone: the job fails naming the missing blob.
    std::fs::remove_file(
        store
            .path()
            .join("blobs")
            .join(format!("orgs/{org}/snapshots/{snapshot}/manifest")),
    )
    .unwrap();
    let (code, report, output) =
        download(store.path(), &[&snapshot.to_string(), "--select", "groups", "-o", path]).await;
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(report["state"]["state"], "failed", "{output}");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("is missing from the blob store"),
        "{output}"
    );
    assert!(other_files(out_dir.path(), &[]).is_empty());
}

#[tokio::test]
async fn a_sqlite_download_answers_which_users_were_in_a_group_with_a_join() {
    let sim = start_sim(50, 9).await;
    let store = tempfile::tempdir().unwrap();
    let report = backup_with_token(store.path(), &sim).await;
    let snapshot = snapshot_id(&report);
    let contents = open_store(store.path()).contents(&snapshot).await;
    // The group with the most members, and its members' logins, from the snapshot read through the library.
    let mut members: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for m in contents["group_members"].values() {
        members
            .entry(m["groupId"].as_str().unwrap())
            .or_default()
            .push(m["userId"].as_str().unwrap());
    }
    let (group_id, user_ids) = members.iter().max_by_key(|(_, users)| users.len()).unwrap();
    let group_name = contents["groups"][*group_id]["profile"]["name"].as_str().unwrap();
    let mut expected: Vec<String> = user_ids
        .iter()
        .map(|u| contents["users"][*u]["profile"]["login"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("snapshot.sqlite");

    let (code, report, output) = download(
        store.path(),
        &[
            "latest",
            "--select",
            "users,groups,group_members,apps",
            "--format",
            "sqlite",
            "-o",
            path.to_str().unwrap(),
        ],
    )
    .await;

    assert_eq!(code, Some(0), "{output}");
    assert_eq!(report["objects"]["users"], contents["users"].len(), "{output}");
    // Python's sqlite3 runs the auditor's question as a join.
    let script = "import json, sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n\
                  rows = db.execute('''SELECT u.\"profile.login\" FROM users u\n\
                    JOIN group_members m ON m.userId = u.id AND m.snapshot_id = u.snapshot_id\n\
                    JOIN groups g ON g.id = m.groupId AND g.snapshot_id = m.snapshot_id\n\
                    JOIN snapshots s ON s.snapshot_id = g.snapshot_id\n\
                    WHERE g.\"profile.name\" = ? AND s.snapshot_id = ? ORDER BY 1''', (sys.argv[2], sys.argv[3])).fetchall()\n\
                  apps = db.execute(\"SELECT count(*) FROM apps WHERE json_extract(json, '$.label') IS NOT NULL\").fetchone()[0]\n\
                  print(json.dumps({'logins': [r[0] for r in rows], 'apps': apps}))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .arg(group_name)
        .arg(snapshot.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["logins"], serde_json::json!(expected));
    assert_eq!(answer["apps"], contents["apps"].len(), "every app, whole, as JSON");
}

#[tokio::test]
async fn a_sqlite_download_of_a_date_range_holds_each_snapshots_memberships() {
    let sim = start_sim(30, 12).await;
    let store = tempfile::tempdir().unwrap();
    let first = snapshot_id(&backup_with_token(store.path(), &sim).await);
    // Between the two backups, a user joins a group it was not in.
    let contents = open_store(store.path()).contents(&first).await;
    let (group_id, group) = contents["groups"]
        .iter()
        .find(|(_, g)| g["type"] == "OKTA_GROUP")
        .unwrap();
    let in_group = |user: &str| {
        contents["group_members"]
            .values()
            .any(|m| m["groupId"] == group_id.as_str() && m["userId"] == user)
    };
    let (user_id, user) = contents["users"]
        .iter()
        .find(|(id, u)| u["status"] == "ACTIVE" && !in_group(id))
        .unwrap();
    admin(
        &sim,
        reqwest::Method::PUT,
        &format!("/api/v1/groups/{group_id}/users/{user_id}"),
        None,
    )
    .await;
    let second = snapshot_id(&backup_with_token(store.path(), &sim).await);
    let today = oktavault_shared::timefmt::rfc3339(oktavault_shared::timefmt::now())[..10].to_owned();
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("range.sqlite");

    let (code, _, output) = download(
        store.path(),
        &[
            "--from",
            &today,
            "--to",
            &today,
            "--select",
            "users,groups,group_members",
            "--format",
            "sqlite",
            "-o",
            path.to_str().unwrap(),
        ],
    )
    .await;

    assert_eq!(code, Some(0), "{output}");
    let script = "import json, sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n\
                  snaps = [r[0] for r in db.execute('SELECT snapshot_id FROM snapshots ORDER BY created_at')]\n\
                  q = '''SELECT count(*) FROM group_members m JOIN users u ON u.id = m.userId AND u.snapshot_id = m.snapshot_id\n\
                    WHERE m.groupId = ? AND u.\"profile.login\" = ? AND m.snapshot_id = ?'''\n\
                  print(json.dumps({'snapshots': snaps, 'member': [db.execute(q, (sys.argv[2], sys.argv[3], s)).fetchone()[0] for s in snaps]}))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .arg(group_id)
        .arg(user["profile"]["login"].as_str().unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        answer["snapshots"],
        serde_json::json!([first.to_string(), second.to_string()])
    );
    assert_eq!(
        answer["member"],
        serde_json::json!([0, 1]),
        "not a member, then a member of {}",
        group["profile"]["name"]
    );
    // A range is for SQLite only: JSON and CSV hold one snapshot.
    let (code, _, output) = download(
        store.path(),
        &[
            "--from",
            &today,
            "--to",
            &today,
            "--select",
            "users",
            "-o",
            out_dir.path().join("r.json").to_str().unwrap(),
        ],
    )
    .await;
    assert_ne!(code, Some(0));
    assert!(output.contains("only --format sqlite"), "{output}");
}

/// The project venv's python, with DuckDB (`scripts/ensure-duckdb` installs it).
fn duckdb_python() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let python = root.join(".venv/bin/python");
    let has_duckdb = std::process::Command::new(&python)
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_duckdb,
        "{} cannot import duckdb: run scripts/ensure-duckdb",
        python.display()
    );
    python
}

#[tokio::test]
async fn a_jsonl_download_of_a_date_range_answers_a_join_in_duckdb_over_hive_partitions() {
    let sim = start_sim(40, 12).await;
    let store = tempfile::tempdir().unwrap();
    let first = snapshot_id(&backup_with_token(store.path(), &sim).await);
    // Between the two backups, a user joins a group it was not in.
    let before = open_store(store.path()).contents(&first).await;
    let (group_id, group) = before["groups"]
        .iter()
        .find(|(_, g)| g["type"] == "OKTA_GROUP")
        .unwrap();
    let in_group = |user: &str| {
        before["group_members"]
            .values()
            .any(|m| m["groupId"] == group_id.as_str() && m["userId"] == user)
    };
    let (user_id, user) = before["users"]
        .iter()
        .find(|(id, u)| u["status"] == "ACTIVE" && !in_group(id))
        .unwrap();
    admin(
        &sim,
        reqwest::Method::PUT,
        &format!("/api/v1/groups/{group_id}/users/{user_id}"),
        None,
    )
    .await;
    let second = snapshot_id(&backup_with_token(store.path(), &sim).await);
    let after = open_store(store.path()).contents(&second).await;
    let group_name = group["profile"]["name"].as_str().unwrap();
    // The group's members in the second snapshot, read through the library.
    let mut expected: Vec<&str> = after["group_members"]
        .values()
        .filter(|m| m["groupId"] == group_id.as_str())
        .map(|m| {
            after["users"][m["userId"].as_str().unwrap()]["profile"]["login"]
                .as_str()
                .unwrap()
        })
        .collect();
    expected.sort();
    let today = oktavault_shared::timefmt::rfc3339(oktavault_shared::timefmt::now())[..10].to_owned();
    let out_dir = tempfile::tempdir().unwrap();
    let root = out_dir.path().join("tables");

    let (code, report, output) = download(
        store.path(),
        &[
            "--from",
            &today,
            "--to",
            &today,
            "--select",
            "users,groups,group_members,apps",
            "--format",
            "jsonl",
            "-o",
            root.to_str().unwrap(),
        ],
    )
    .await;

    assert_eq!(code, Some(0), "{output}");
    assert_eq!(
        report["objects"]["users"],
        before["users"].len() + after["users"].len(),
        "a row per user per snapshot: {output}"
    );
    let org = report["org_id"].as_str().unwrap();
    for snapshot in [&first, &second] {
        for table in ["users", "groups", "group_members", "apps", "snapshots"] {
            let part = root.join(format!("{table}/org={org}/snapshot={snapshot}/part-00000.json.gz"));
            assert!(part.is_file(), "{} is missing", part.display());
        }
    }
    assert!(
        other_files(out_dir.path(), &["tables"]).is_empty(),
        "nothing beside the directory"
    );
    // DuckDB reads each table's directory as Athena does: the org and snapshot come from the partition keys.
    let script = r#"
import duckdb, json, sys
root, group_id, group_name, login, snapshot = sys.argv[1:6]
def t(name):
    return f"read_json_auto('{root}/{name}/**/*.json.gz', hive_partitioning = 1, hive_types_autocast = 0)"
db = duckdb.connect()
logins = db.execute(f'''SELECT u.profile_login FROM {t('users')} u
    JOIN {t('group_members')} m ON m.userId = u.id AND m.org = u.org AND m.snapshot = u.snapshot
    JOIN {t('groups')} g ON g.id = m.groupId AND g.org = m.org AND g.snapshot = m.snapshot
    WHERE g.profile_name = ? AND g.snapshot = ? ORDER BY 1''', [group_name, snapshot]).fetchall()
snapshots = [r[0] for r in db.execute(f"SELECT snapshot FROM {t('snapshots')} ORDER BY created_at").fetchall()]
member = [db.execute(f'''SELECT count(*) FROM {t('group_members')} m
    JOIN {t('users')} u ON u.id = m.userId AND u.snapshot = m.snapshot
    WHERE m.groupId = ? AND u.profile_login = ? AND m.snapshot = ?''', [group_id, login, s]).fetchone()[0]
    for s in snapshots]
apps = db.execute(f"SELECT count(*) FROM {t('apps')} WHERE json_extract_string(json, '$.label') IS NOT NULL AND snapshot = ?", [snapshot]).fetchone()[0]
print(json.dumps({'logins': [r[0] for r in logins], 'snapshots': snapshots, 'member': member, 'apps': apps}))
"#;
    let out = std::process::Command::new(duckdb_python())
        .args(["-c", script])
        .arg(&root)
        .arg(group_id)
        .arg(group_name)
        .arg(user["profile"]["login"].as_str().unwrap())
        .arg(second.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        answer["logins"],
        serde_json::json!(expected),
        "the group's members in the second snapshot"
    );
    assert_eq!(
        answer["snapshots"],
        serde_json::json!([first.to_string(), second.to_string()])
    );
    assert_eq!(
        answer["member"],
        serde_json::json!([0, 1]),
        "not a member, then a member"
    );
    assert_eq!(answer["apps"], after["apps"].len(), "every app, whole, as JSON");
    // The tables are a directory, not a file to link to.
    let job = report["job_id"].as_str().unwrap();
    let (code, _, output) = download(store.path(), &["--link", job]).await;
    assert_ne!(code, Some(0));
    assert!(output.contains("wrote tables, not a file"), "{output}");
}

/// The first ```sql block after `heading` in docs/athena.md.
fn documented_query(heading: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let doc = std::fs::read_to_string(root.join("docs/athena.md")).unwrap();
    let after = &doc[doc.find(heading).expect("the heading is in docs/athena.md")..];
    let start = after.find("```sql\n").unwrap() + "```sql\n".len();
    after[start..start + after[start..].find("```").unwrap()].to_owned()
}

#[tokio::test]
async fn the_documented_super_admin_query_answers_from_a_jsonl_download_in_duckdb() {
    let sim = start_sim(40, 5).await;
    let store = tempfile::tempdir().unwrap();
    let snapshot = snapshot_id(&backup_with_token(store.path(), &sim).await);
    let contents = open_store(store.path()).contents(&snapshot).await;
    // Who held SUPER_ADMIN, directly or through a group, read through the library.
    let holder = |id: &str| id.split('/').next().unwrap().to_owned();
    let mut expected: std::collections::BTreeSet<String> = contents["user_roles"]
        .iter()
        .filter(|(_, r)| r["type"] == "SUPER_ADMIN")
        .map(|(id, _)| holder(id))
        .collect();
    for (id, _) in contents["group_roles"]
        .iter()
        .filter(|(_, r)| r["type"] == "SUPER_ADMIN")
    {
        let group = holder(id);
        expected.extend(
            contents["group_members"]
                .values()
                .filter(|m| m["groupId"] == group.as_str())
                .map(|m| m["userId"].as_str().unwrap().to_owned()),
        );
    }
    let expected: std::collections::BTreeSet<&str> = expected
        .iter()
        .map(|u| contents["users"][u]["profile"]["login"].as_str().unwrap())
        .collect();
    assert!(!expected.is_empty(), "the simulator seeds a super admin");
    let out_dir = tempfile::tempdir().unwrap();
    let root = out_dir.path().join("tables");
    let (code, _, output) = download(
        store.path(),
        &[
            "latest",
            "--select",
            "users,group_members,user_roles,group_roles",
            "--format",
            "jsonl",
            "-o",
            root.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{output}");
    // The Athena query of docs/athena.md, as written, over views named like the Athena tables; "1 March" is the
    // day the snapshot was taken.
    let today = oktavault_shared::timefmt::rfc3339(oktavault_shared::timefmt::now())[..10].to_owned();
    let query = documented_query("## \"Who held a super-admin role on 1 March?\"").replace("2026-03-01", &today);
    let script = r#"
import duckdb, json, sys
root, query = sys.argv[1:3]
db = duckdb.connect()
for table in ['snapshots', 'users', 'group_members', 'user_roles', 'group_roles']:
    source = f"read_json_auto('{root}/{table}/**/*.json.gz', hive_partitioning = 1, hive_types_autocast = 0)"
    # Athena's columns are strings; DuckDB infers timestamps, which LIKE does not take.
    cast = ' REPLACE (CAST(created_at AS VARCHAR) AS created_at)' if table == 'snapshots' else ''
    db.execute(f"CREATE VIEW okta_{table} AS SELECT *{cast} FROM {source}")
print(json.dumps(sorted({r[0] for r in db.execute(query).fetchall()})))
"#;
    let out = std::process::Command::new(duckdb_python())
        .args(["-c", script])
        .arg(&root)
        .arg(&query)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer, serde_json::json!(expected), "{query}");
}

#[tokio::test]
async fn a_jsonl_download_never_replaces_a_directory_and_a_damaged_segment_leaves_none() {
    let sim = start_sim(20, 8).await;
    let store = tempfile::tempdir().unwrap();
    let snapshot = snapshot_id(&backup_with_token(store.path(), &sim).await);
    let view = open_store(store.path());
    let org = view.snapshot_org(&snapshot).await;
    let out_dir = tempfile::tempdir().unwrap();
    let root = out_dir.path().join("tables");
    let root = root.to_str().unwrap();
    let args = |select: &'static str| {
        [
            snapshot.to_string(),
            "--select".into(),
            select.into(),
            "--format".into(),
            "jsonl".into(),
            "-o".into(),
            root.to_owned(),
        ]
    };

    // An existing directory at -o is refused before any job starts, and kept as it was.
    std::fs::create_dir(root).unwrap();
    std::fs::write(Path::new(root).join("mine.txt"), b"keep").unwrap();
    let a = args("users");
    let (code, _, output) = download(store.path(), &a.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_ne!(code, Some(0), "{output}");
    assert!(output.contains("exists"), "{output}");
    assert_eq!(std::fs::read(Path::new(root).join("mine.txt")).unwrap(), b"keep");
    std::fs::remove_dir_all(root).unwrap();

    // One byte of a users segment flipped on disk: the job fails and leaves no directory, not even a partial one.
    let segments = view.blob_keys(&format!("orgs/{org}/segments/{snapshot}/users/")).await;
    let damaged = store.path().join("blobs").join(&segments[0]);
    let mut bytes = std::fs::read(&damaged).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&damaged, &bytes).unwrap();
    let (code, report, output) = download(store.path(), &a.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(report["state"]["state"], "failed", "{output}");
    assert!(
        report["error"].as_str().unwrap().contains("failed authentication"),
        "{output}"
    );
    assert!(
        other_files(out_dir.path(), &[]).is_empty(),
        "no directory, not even a partial one"
    );
    let job = view.job(&report).await;
    assert!(
        view.blob_keys(&format!("orgs/{org}/downloads/{}/", job.job_id))
            .await
            .is_empty(),
        "its pieces are deleted"
    );
    // The groups, which the damage does not touch, still download.
    let g = args("groups");
    let (code, report, output) = download(store.path(), &g.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(report["path"], root, "{output}");
    assert!(Path::new(root).join("snapshots").is_dir());
}
