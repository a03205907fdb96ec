//! The changes of a day between the bench's two backups: a share of the users get a new title, and the same share
//! of the memberships and of the app assignments is added, each through the simulator's Okta API as an admin would,
//! so lastUpdated, lastMembershipUpdated and the System Log move as Okta's would.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use okta_sim::SimHandle;
use oktavault_bench::sim_admin::admin_call;
use serde_json::{Value, json};

/// How long one change waits out the simulator's 429s, a second at a time.
const PATIENCE: Duration = Duration::from_secs(300);

/// What was changed, for the report.
#[derive(Debug, Default)]
pub struct Changed {
    pub users: usize,
    pub memberships: usize,
    pub assignments: usize,
}

/// Admin calls in flight at once (each waits out a 429, as a person's script would).
const IN_FLIGHT: usize = 16;

/// Changes `share` of the org's users, memberships and app assignments.
pub async fn change(sim: &SimHandle, share: f64) -> anyhow::Result<Changed> {
    let state = sim.snapshot_state();
    let active: Vec<&str> = state
        .users
        .iter()
        .filter(|u| u["status"] == "ACTIVE")
        .filter_map(|u| u["id"].as_str())
        .collect();
    anyhow::ensure!(!active.is_empty(), "the simulated org has no ACTIVE user to change");
    let part = |total: usize| ((total as f64 * share).ceil() as usize).min(active.len());
    let mut calls: Vec<(reqwest::Method, String, Option<Value>)> = Vec::new();

    let users = part(state.users.len());
    for id in active.iter().take(users) {
        let user = state.users.iter().find(|u| u["id"] == *id).context("a listed user")?;
        let mut profile = user["profile"].clone();
        profile["title"] = json!("Changed between backups");
        calls.push((
            reqwest::Method::POST,
            format!("/api/v1/users/{id}"),
            Some(json!({"profile": profile})),
        ));
    }

    // Only an OKTA_GROUP takes members from an admin.
    let okta_groups: Vec<&str> = state
        .groups
        .iter()
        .filter(|g| g["type"] == "OKTA_GROUP")
        .filter_map(|g| g["id"].as_str())
        .collect();
    let total_members: usize = state.group_members.values().map(Vec::len).sum();
    let memberships = pairs(&okta_groups, &active, part(total_members), |group| {
        state.group_members.get(group).into_iter().flatten().cloned().collect()
    });
    for (group, user) in &memberships {
        calls.push((
            reqwest::Method::PUT,
            format!("/api/v1/groups/{group}/users/{user}"),
            None,
        ));
    }

    let apps: Vec<&str> = state
        .apps
        .iter()
        .filter(|a| a["status"] == "ACTIVE")
        .filter_map(|a| a["id"].as_str())
        .collect();
    let total_assignments: usize = state.app_users.values().map(Vec::len).sum();
    let assignments = pairs(&apps, &active, part(total_assignments), |app| {
        state
            .app_users
            .get(app)
            .into_iter()
            .flatten()
            .filter_map(|row| row["id"].as_str().map(str::to_owned))
            .collect()
    });
    for (app, user) in &assignments {
        calls.push((
            reqwest::Method::POST,
            format!("/api/v1/apps/{app}/users"),
            Some(json!({"id": user, "scope": "USER"})),
        ));
    }

    run_all(sim, calls).await?;
    Ok(Changed {
        users,
        memberships: memberships.len(),
        assignments: assignments.len(),
    })
}

/// `wanted` new (parent, user) pairs, parents in turn, each user one the parent does not have yet.
fn pairs(
    parents: &[&str],
    users: &[&str],
    wanted: usize,
    existing: impl Fn(&str) -> HashSet<String>,
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(wanted);
    if parents.is_empty() {
        return out;
    }
    let mut taken: Vec<HashSet<String>> = parents.iter().map(|p| existing(p)).collect();
    let mut next_user = 0usize;
    let mut misses = 0usize;
    while out.len() < wanted && misses < users.len() * parents.len() {
        let i = (out.len() + misses) % parents.len();
        let user = users[next_user % users.len()];
        next_user += 1;
        if taken[i].insert(user.to_owned()) {
            out.push((parents[i].to_owned(), user.to_owned()));
        } else {
            misses += 1;
        }
    }
    out
}

async fn run_all(sim: &SimHandle, calls: Vec<(reqwest::Method, String, Option<Value>)>) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let calls = Arc::new(std::sync::Mutex::new(calls));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (calls, client, url, token) = (calls.clone(), client.clone(), sim.url(), sim.api_token());
        tasks.spawn(async move {
            loop {
                let Some((method, path, body)) = calls.lock().expect("calls").pop() else {
                    return anyhow::Ok(());
                };
                admin_call(&client, &url, &token, (method, &path, body), PATIENCE).await?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}
