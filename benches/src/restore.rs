//! `--restore`: how close a restore of deleted users comes to the time Okta's rate limits allow.
//!
//! The scene: a simulated org is backed up with the release `oktavault`, then users are deleted through the
//! simulator's API (deactivate, delete: Okta takes their memberships and app assignments with them), and
//! `oktavault restore latest --select users` brings them back. The restore must make a known number of calls
//! in each rate-limit bucket (a create and an activation per user, an assignment per direct app assignment,
//! and the listings planning needs); at the configured share of each bucket's limit, the slowest bucket sets
//! the shortest time the restore could take, the bound. The bench prints the wall time against it.
//!
//! The scene is set up with the simulator's limits lifted, and the restore starts on fresh windows, so only the
//! restore is measured against the buckets.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use okta_sim::{OrgState, RateConfig, SimConfig, SimHandle};
use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, Secret};
use serde_json::Value;

/// What a restore bench run does.
#[derive(Debug, Clone)]
pub struct RestoreBench {
    /// Users in the simulated org.
    pub users: usize,
    /// Users deleted and restored: the first ones in id order that are not DEPROVISIONED, but the admin the API
    /// token belongs to (default: all of them, at most 10,000).
    pub delete: Option<usize>,
    pub seed: u64,
    /// Multiplies the simulator's Okta limits.
    pub rate_scale: f64,
    /// The part of each bucket oktavault may use (`--rate-share`).
    pub rate_share: f64,
}

/// The calls a restore must make in one rate-limit bucket, and what the bucket allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub bucket: &'static str,
    /// Calls per window the simulator allows in this bucket (Okta's limit, scaled).
    pub limit: u64,
    pub calls: u64,
}

/// The shortest time the buckets allow: each bucket's calls take `calls / (share * limit)` windows, and the
/// buckets are used side by side, so the slowest one sets the time.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub time: Duration,
    /// The bucket that sets it (`None` when no call is needed).
    pub slowest: Option<&'static str>,
}

/// The time `need`'s calls take at `share` of its limit, `window` long windows.
pub fn bucket_time(need: &Need, share: f64, window: Duration) -> Duration {
    let per_window = need.limit as f64 * share;
    if need.calls == 0 || per_window <= 0.0 {
        return Duration::ZERO;
    }
    window.mul_f64(need.calls as f64 / per_window)
}

pub fn bound(needs: &[Need], share: f64, window: Duration) -> Bound {
    needs
        .iter()
        .map(|n| (bucket_time(n, share, window), n.bucket))
        .filter(|(time, _)| !time.is_zero())
        .max_by_key(|(time, _)| *time)
        .map_or(
            Bound {
                time: Duration::ZERO,
                slowest: None,
            },
            |(time, bucket)| Bound {
                time,
                slowest: Some(bucket),
            },
        )
}

/// Calls (`(method, endpoint template, count)`) summed per bucket, with each bucket's limit at `scale`, as the
/// simulator counts them.
pub fn per_bucket<'a>(calls: impl IntoIterator<Item = (&'a str, &'a str, u64)>, scale: f64) -> Vec<Need> {
    let mut out: BTreeMap<&'static str, Need> = BTreeMap::new();
    for (method, template, n) in calls {
        let bucket = okta_sim::bucket_for(method, template);
        let limit = ((bucket.base_limit as f64 * scale).ceil() as u64).max(1);
        out.entry(bucket.name)
            .or_insert(Need {
                bucket: bucket.name,
                limit,
                calls: 0,
            })
            .calls += n;
    }
    out.into_values().collect()
}

/// What restoring `deleted` (user ids) of `before` (the org as backed up) with `--select users` must cost: the
/// writes (with the lookup by login before each create), and the reads planning needs at the least (`planning`:
/// for the users, and the groups and apps their relationships name, the cheaper of one listing at the largest page
/// size and a GET each; and, to check a live user's relationships, the cheaper of each group's members and each
/// live user's groups, and each app's direct assignments).
pub struct Expected {
    pub writes: Vec<(&'static str, &'static str, u64)>,
    pub planning: Vec<(&'static str, &'static str, u64)>,
}

impl Expected {
    pub fn of(before: &OrgState, deleted: &HashSet<String>) -> Expected {
        let by_id: BTreeMap<&str, &Value> = before.users.iter().map(|u| (id_of(u), u)).collect();
        let was_active = |id: &str| {
            by_id.get(id).and_then(|u| u["status"].as_str()).is_some_and(|s| {
                matches!(
                    s,
                    "ACTIVE" | "PROVISIONED" | "RECOVERY" | "PASSWORD_EXPIRED" | "LOCKED_OUT"
                )
            })
        };
        let activations = deleted.iter().filter(|id| was_active(id)).count() as u64;
        // USER-scoped assignments are created one call each; GROUP-scoped ones come from the group's assignment,
        // and memberships ride on the user's create (`groupIds`).
        let assignments = before
            .app_users
            .values()
            .flatten()
            .filter(|a| deleted.contains(id_of(a)) && a["scope"] == "USER")
            .count() as u64;
        // A restored user also brings what hangs off it (restore::select): its admin role assignments, their group
        // targets, and its links to a primary user (a manager).
        // Kept under `<user id>` (roles) or `<user id>/<role assignment id>` (targets).
        let of_deleted = |resource: &str| -> u64 {
            before.resources.get(resource).map_or(0, |by_parent| {
                by_parent
                    .iter()
                    .filter(|(parent, _)| deleted.contains(parent.split('/').next().unwrap_or(parent)))
                    .map(|(_, items)| items.len() as u64)
                    .sum()
            })
        };
        let primary_names: HashSet<&str> = before
            .resources
            .get("linked_object_definitions")
            .into_iter()
            .flat_map(|by_parent| by_parent.values().flatten())
            .filter_map(|d| d["primary"]["name"].as_str())
            .collect();
        let links: u64 = before.resources.get("linked_object_values").map_or(0, |by_parent| {
            by_parent
                .iter()
                .filter(|(key, _)| {
                    key.split_once('/')
                        .is_some_and(|(u, name)| deleted.contains(u) && primary_names.contains(name))
                })
                .map(|(_, items)| items.len() as u64)
                .sum()
        });
        let writes = vec![
            // Before each create, the user is looked up by login: a create repeated after a crash finds it.
            ("GET", "/api/v1/users/{idOrLogin}", deleted.len() as u64),
            ("POST", "/api/v1/users", deleted.len() as u64),
            ("POST", "/api/v1/users/{id}/lifecycle/activate", activations),
            ("POST", "/api/v1/apps/{id}/users", assignments),
            ("POST", "/api/v1/users/{userId}/roles", of_deleted("user_roles")),
            (
                "PUT",
                "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/groups/{groupId}",
                of_deleted("user_role_group_targets"),
            ),
            (
                "PUT",
                "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}/{appId}",
                of_deleted("user_role_app_targets"),
            ),
            (
                "PUT",
                "/api/v1/users/{userIdOrLogin}/linkedObjects/{primaryRelationshipName}/{primaryUserId}",
                links,
            ),
        ];

        let live_users: Vec<&Value> = before.users.iter().filter(|u| !deleted.contains(id_of(u))).collect();
        let deprovisioned = live_users.iter().filter(|u| u["status"] == "DEPROVISIONED").count();
        let pages = |n: usize, size: usize| n.div_ceil(size).max(1) as u64;
        // Each category planning must find things in costs the cheaper of one listing and one GET per thing: the
        // selected users (all of them), and the groups and apps their relationships name.
        let named_groups = before.group_members.values().filter(|m| !m.is_empty()).count() as u64;
        let named_apps = before.app_users.values().filter(|rows| !rows.is_empty()).count() as u64;
        // `--select users` brings every user's relationships: those of a restored user are new, but those of a live
        // user must be checked (Okta's own groups and the groups an app imports are left alone: no check), from
        // the cheaper side: each group's members, or each live user's groups.
        let writable: HashSet<&str> = before
            .groups
            .iter()
            .filter(|g| g["type"] == "OKTA_GROUP")
            .map(id_of)
            .collect();
        let member_pages: u64 = before
            .group_members
            .iter()
            .filter(|(g, _)| writable.contains(g.as_str()))
            .map(|(_, members)| members.iter().filter(|m| !deleted.contains(*m)).count())
            .filter(|live| *live > 0)
            .map(|live| pages(live, 1000))
            .sum();
        let live_members: HashSet<&str> = before
            .group_members
            .iter()
            .filter(|(g, _)| writable.contains(g.as_str()))
            .flat_map(|(_, members)| members.iter().map(String::as_str))
            .filter(|m| !deleted.contains(*m))
            .collect();
        let memberships = if (live_members.len() as u64) < member_pages {
            ("GET", "/api/v1/users/{id}/groups", live_members.len() as u64)
        } else {
            ("GET", "/api/v1/groups/{id}/users", member_pages)
        };
        // Each app's live direct assignments: one listing, or one GET each when fewer.
        let assignment_pages: u64 = before
            .app_users
            .values()
            .map(|rows| {
                rows.iter()
                    .filter(|a| a["scope"] == "USER" && !deleted.contains(id_of(a)))
                    .count()
            })
            .filter(|live| *live > 0)
            .map(|live| pages(live, 500))
            .sum();
        let planning = vec![
            // Two passes: Okta's user list leaves DEPROVISIONED users out unless asked for them.
            (
                "GET",
                "/api/v1/users",
                (pages(live_users.len() - deprovisioned, 200) + pages(deprovisioned, 200))
                    .min(before.users.len() as u64),
            ),
            (
                "GET",
                "/api/v1/groups",
                pages(before.groups.len(), 10000).min(named_groups),
            ),
            ("GET", "/api/v1/apps", pages(before.apps.len(), 200).min(named_apps)),
            memberships,
            ("GET", "/api/v1/apps/{id}/users", assignment_pages),
        ];
        Expected { writes, planning }
    }
}

fn id_of(object: &Value) -> &str {
    object["id"].as_str().unwrap_or_default()
}

/// Runs the bench and prints what it measured.
pub async fn run(binary: &Path, bench: &RestoreBench) -> anyhow::Result<()> {
    let mut config = SimConfig::new(bench.users, bench.seed);
    config.rate.scale = bench.rate_scale;
    let limits = config.rate;
    let window = Duration::from_secs(limits.window_secs);
    let sim = okta_sim::start(config, 0).await?;
    let unlimited = RateConfig { scale: 1e6, ..limits };
    sim.set_rate_limits(unlimited);
    let store = tempfile::tempdir()?;
    let store = store.path();
    let started = Instant::now();
    oktavault(binary, store, &sim, &["backup"], bench.rate_share).await?;
    let before = sim.snapshot_state();
    // The simulator's API token belongs to its first ACTIVE user (the admin): that one stays.
    let admin = before.users.iter().find(|u| u["status"] == "ACTIVE").map(id_of);
    let deletable: Vec<String> = before
        .users
        .iter()
        .filter(|u| u["status"] != "DEPROVISIONED" && Some(id_of(u)) != admin)
        .map(|u| id_of(u).to_owned())
        .collect();
    let wanted = bench.delete.unwrap_or(deletable.len().min(10_000));
    if deletable.len() < wanted {
        bail!(
            "the org has {} users that are not DEPROVISIONED, fewer than the {wanted} to delete: raise --users",
            deletable.len()
        );
    }
    let deleted = &deletable[..wanted];
    println!(
        "\nrestore of {wanted} deleted users of {} (rate limits x{}, share {})",
        bench.users, bench.rate_scale, bench.rate_share
    );
    delete_users(&sim, deleted).await?;
    let expected = Expected::of(&before, &deleted.iter().cloned().collect());
    println!(
        "set up (backup, {} users deleted) in {:.0} s",
        deleted.len(),
        started.elapsed().as_secs_f64()
    );

    sim.set_rate_limits(limits);
    sim.reset_calls();
    let started = Instant::now();
    let report = oktavault(
        binary,
        store,
        &sim,
        &["restore", "latest", "--select", "users", "--yes"],
        bench.rate_share,
    )
    .await?;
    let wall = started.elapsed();
    let counts = sim.calls();
    sim.shutdown().await;

    let measured = per_bucket(
        counts.by_endpoint.iter().filter_map(|(endpoint, n)| {
            let (method, template) = endpoint.split_once(' ')?;
            Some((method, template, *n))
        }),
        bench.rate_scale,
    );
    let needed = per_bucket(
        expected.writes.iter().chain(&expected.planning).copied(),
        bench.rate_scale,
    );
    print_report(&report, &measured, &needed, &expected, bench.rate_share, window, wall);
    Ok(())
}

fn print_report(
    report: &Value,
    measured: &[Need],
    needed: &[Need],
    expected: &Expected,
    share: f64,
    window: Duration,
    wall: Duration,
) {
    if let Some(applied) = report["applied"].as_object() {
        for (category, tally) in applied {
            println!(
                "  {category:<12} created {:>6}  found {:>4}  unchanged {:>6}  skipped {:>6}  failed {:>4}",
                tally["created"], tally["matched"], tally["unchanged"], tally["skipped"], tally["failed"]
            );
        }
    }
    println!(
        "{:>34} {:>8} {:>8} {:>10} {:>9}",
        "bucket", "calls", "needed", "per window", "needed s"
    );
    let mut buckets: Vec<&'static str> = measured.iter().chain(needed).map(|n| n.bucket).collect();
    buckets.sort();
    buckets.dedup();
    for bucket in buckets {
        let find = |list: &[Need]| list.iter().find(|n| n.bucket == bucket).cloned();
        let (calls, need) = (find(measured), find(needed));
        let limit = need.as_ref().or(calls.as_ref()).map_or(0, |n| n.limit);
        println!(
            "{bucket:>34} {:>8} {:>8} {:>10.0} {:>9.1}",
            calls.map_or(0, |n| n.calls),
            need.as_ref().map_or(0, |n| n.calls),
            limit as f64 * share,
            need.map_or(0.0, |n| bucket_time(&n, share, window).as_secs_f64())
        );
    }
    let bound = bound(needed, share, window);
    let plan_minimum: u64 = expected.planning.iter().map(|(_, _, n)| n).sum();
    println!(
        "wall {:.1} s, bound {:.1} s (set by {}), wall/bound {:.3}",
        wall.as_secs_f64(),
        bound.time.as_secs_f64(),
        bound.slowest.unwrap_or("-"),
        wall.as_secs_f64() / bound.time.as_secs_f64()
    );
    println!(
        "PlanRestore read the live org in {} calls; the minimum for the selection is {plan_minimum}",
        report["plan"]["live_calls"]
    );
}

/// Runs `oktavault --json ARGS --org SIM ...` and returns its JSON report. A restore that ends with errors
/// (exit 2) still reports; any other failure stops the bench.
async fn oktavault(binary: &Path, store: &Path, sim: &SimHandle, args: &[&str], share: f64) -> anyhow::Result<Value> {
    let out = tokio::process::Command::new(binary)
        .args(["--store", store.to_str().context("store path")?, "--json"])
        .args(args)
        .args(["--org", &sim.url(), "--token", &sim.api_token(), "--allow-local-org"])
        .args(["--rate-share", &share.to_string()])
        .output()
        .await?;
    if !(out.status.success() || out.status.code() == Some(2)) {
        bail!(
            "oktavault {} failed ({}): {}{}",
            args[0],
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// Deletes `ids` for good through the simulator's API, as an admin does (deactivate, then delete), some at once.
async fn delete_users(sim: &SimHandle, ids: &[String]) -> anyhow::Result<()> {
    let url = OrgUrl::parse(&sim.url(), true)?;
    let mut config = ClientConfig::new(url, Credentials::ApiToken(Secret::new(sim.api_token())));
    config.rate_share = 1.0;
    let client = OktaClient::new(config)?;
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in ids.chunks(ids.len().div_ceil(16).max(1)) {
        let (client, chunk) = (client.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for id in chunk {
                let path = format!("/api/v1/users/{id}");
                for _ in 0..2 {
                    client.write(reqwest::Method::DELETE, &path, None).await?;
                }
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn the_slowest_bucket_at_the_share_sets_the_bound() {
        // 1,000 creates at half of 600 a minute: 200 s; 300 assignments at half of 100 a minute: 360 s.
        let needs = per_bucket(
            [
                ("POST", "/api/v1/users", 1000),
                ("POST", "/api/v1/users/{id}/lifecycle/activate", 900),
                ("POST", "/api/v1/apps/{id}/users", 300),
                ("GET", "/api/v1/apps", 0),
            ],
            1.0,
        );
        let users = needs.iter().find(|n| n.bucket == "/api/v1/users").unwrap();
        assert_eq!((users.limit, users.calls), (600, 1000));
        assert_eq!(bucket_time(users, 0.5, MINUTE), Duration::from_secs(200));
        let found = bound(&needs, 0.5, MINUTE);
        assert_eq!(found.slowest, Some("/api/v1/apps"));
        assert_eq!(found.time, Duration::from_secs(360));
    }

    #[test]
    fn listing_the_apps_shares_the_assignments_bucket_and_the_scale_raises_every_limit() {
        let needs = per_bucket(
            [("POST", "/api/v1/apps/{id}/users", 450), ("GET", "/api/v1/apps", 50)],
            10.0,
        );
        assert_eq!(
            needs,
            [Need {
                bucket: "/api/v1/apps",
                limit: 1000,
                calls: 500
            }]
        );
        // 500 calls at half of 1,000 a minute: one minute, whatever the scale, if the calls scale with it.
        assert_eq!(bound(&needs, 0.5, MINUTE).time, MINUTE);
        assert_eq!(bound(&[], 0.5, MINUTE).slowest, None);
    }

    #[test]
    fn a_deleted_user_costs_a_create_an_activation_if_it_could_sign_in_and_its_direct_assignments() {
        let state: OrgState = serde_json::from_value(serde_json::json!({
            "users": [
                {"id": "00u1", "status": "ACTIVE"},
                {"id": "00u2", "status": "STAGED"},
                {"id": "00u3", "status": "ACTIVE"},
            ],
            "groups": [{"id": "00g1", "type": "OKTA_GROUP"}, {"id": "00g2", "type": "BUILT_IN"}, {"id": "00g3", "type": "OKTA_GROUP"}],
            "group_members": {"00g1": ["00u1", "00u3"], "00g2": ["00u1", "00u3"], "00g3": ["00u1"]},
            "apps": [{"id": "0oa1"}],
            "app_users": {"0oa1": [
                {"id": "00u1", "scope": "USER"},
                {"id": "00u2", "scope": "GROUP"},
                {"id": "00u3", "scope": "USER"},
            ]},
            "app_groups": {},
            // 00u1 holds a group-targeted admin role and has a manager (00u3); 00u3 is its manager's report.
            "resources": {
                "user_roles": {"00u1": [{"id": "ra1"}], "00u3": [{"id": "ra3"}]},
                "user_role_group_targets": {"00u1/ra1": [{"id": "00g1"}, {"id": "00g3"}]},
                "linked_object_definitions": {"": [{"primary": {"name": "manager"}, "associated": {"name": "reports"}}]},
                "linked_object_values": {
                    "00u1/manager": [{"_links": {"self": {"href": "https://x/api/v1/users/00u3"}}}],
                    "00u3/reports": [{"_links": {"self": {"href": "https://x/api/v1/users/00u1"}}}],
                },
            },
        }))
        .unwrap();
        let deleted: HashSet<String> = ["00u1", "00u2"].map(str::to_owned).into();
        let expected = Expected::of(&state, &deleted);
        assert_eq!(
            expected.writes,
            [
                ("GET", "/api/v1/users/{idOrLogin}", 2),
                ("POST", "/api/v1/users", 2),
                ("POST", "/api/v1/users/{id}/lifecycle/activate", 1),
                ("POST", "/api/v1/apps/{id}/users", 1),
                ("POST", "/api/v1/users/{userId}/roles", 1),
                (
                    "PUT",
                    "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/groups/{groupId}",
                    2
                ),
                (
                    "PUT",
                    "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps/{appName}/{appId}",
                    0
                ),
                (
                    "PUT",
                    "/api/v1/users/{userIdOrLogin}/linkedObjects/{primaryRelationshipName}/{primaryUserId}",
                    1
                ),
            ]
        );
        let planning: BTreeMap<&str, u64> = expected.planning.iter().map(|(_, t, n)| (*t, *n)).collect();
        assert_eq!(planning["/api/v1/users"], 2, "one page per listing pass");
        // 00g1 has a live member to check; Everyone's are Okta's, and 00g3's only member is new.
        assert_eq!(planning["/api/v1/groups/{id}/users"], 1);
        assert_eq!(planning["/api/v1/apps/{id}/users"], 1);
    }

    #[test]
    fn planning_needs_no_listing_of_what_nothing_names_and_checks_memberships_from_the_cheaper_side() {
        let state: OrgState = serde_json::from_value(serde_json::json!({
            "users": [{"id": "00u1", "status": "ACTIVE"}, {"id": "00u2", "status": "ACTIVE"}],
            "groups": [
                {"id": "00g1", "type": "OKTA_GROUP"},
                {"id": "00g2", "type": "OKTA_GROUP"},
                {"id": "00g3", "type": "OKTA_GROUP"},
            ],
            "group_members": {"00g1": ["00u1", "00u2"], "00g2": ["00u2"], "00g3": ["00u2"]},
            "apps": [{"id": "0oa1"}],
            "app_users": {},
            "app_groups": {},
        }))
        .unwrap();
        let deleted: HashSet<String> = ["00u1"].map(str::to_owned).into();
        let planning: BTreeMap<&str, u64> = Expected::of(&state, &deleted)
            .planning
            .iter()
            .map(|(_, t, n)| (*t, *n))
            .collect();
        // No relationship names an app: nothing to find there.
        assert_eq!(planning["/api/v1/apps"], 0);
        assert_eq!(planning["/api/v1/groups"], 1);
        // One live user in three groups: its groups, in one call, rather than each group's members.
        assert_eq!(planning["/api/v1/users/{id}/groups"], 1);
        assert!(!planning.contains_key("/api/v1/groups/{id}/users"));
    }
}
