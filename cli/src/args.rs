use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "oktavault", version, about = "Encrypted point-in-time backups of Okta orgs")]
pub struct Cli {
    /// Where snapshots, keys and job records are kept.
    #[arg(long, global = true, env = "OKTAVAULT_STORE", default_value = "./oktavault-data")]
    pub store: PathBuf,
    /// Print one JSON document instead of text (for scripts).
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start the bundled Okta simulator with a seeded org, back it up, and show the snapshot.
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
    /// Back up an Okta org (resumes the org's unfinished backup job if there is one).
    Backup(BackupArgs),
    /// The snapshot timeline, newest first, grouped as last 24 hours / last 7 days / earlier: each snapshot's
    /// status and what it lacks, its object count, and what changed since the one before (+added -removed
    /// ~changed per category).
    Snapshots(SnapshotsArgs),
    /// Show a snapshot's categories with counts, or the objects of one category.
    Ls(LsArgs),
    /// Print one object of a snapshot.
    Show(ShowArgs),
    /// Read and authenticate every blob a snapshot needs; report any that is missing or fails.
    Verify(VerifyArgs),
    /// What changed between two snapshots of an org, or in the live org since a snapshot (--live): objects added,
    /// removed and changed, attribute by attribute.
    ///
    /// `diff A B` compares two snapshots of one org. `diff A --live --org URL (auth flags)` compares snapshot A with
    /// the org as it is now, read the way a backup reads it (read scopes, within --rate-share of each rate-limit
    /// bucket): every category A holds, or the --category ones. The System Log is never compared (each snapshot
    /// holds only its own window of events). A category the org's plan or the app's scopes do not allow is listed
    /// as not compared, with why. Both use the comparison the restore plan uses.
    Diff(DiffArgs),
    /// List backup jobs and their status.
    Jobs(JobsArgs),
    /// Show one job: status, per-category counts and its per-object log.
    Job(JobArgs),
    /// Restore objects of a snapshot into an Okta org: planned against the live org first (--dry-run shows the
    /// plan), then applied object by object.
    Restore(RestoreArgs),
    /// Undo one admin change the System Log recorded: put the objects the event names back as they were in the
    /// last snapshot whose job finished before the event, with their relationships (a deleted group comes back
    /// with its members, the rules that assigned it and its app assignments), overwriting what the org holds.
    /// Planned first like any restore (--dry-run shows the plan; the guardrail applies).
    Undo(UndoArgs),
    /// Find objects in every snapshot of an org by part of a name, login, email or label, or by a whole id; each
    /// with its versions, the snapshots that hold them and what changed. A deleted object is found in the last
    /// snapshot that had it.
    Search(SearchArgs),
    /// The versions of one object across the org's snapshots, with the attributes that changed between them.
    History(HistoryArgs),
    /// Take objects of a snapshot out as a file: JSON (one document per category, with the snapshot's metadata) or
    /// CSV (the tables: users with their profile attributes as columns, groups, memberships, assignments); several
    /// categories make a zip of one file per category. Runs as a download job; `--link JOB` says where a finished
    /// download is.
    Download(DownloadArgs),
    /// Authorize an org for unattended backups (its credentials checked live, then kept sealed in the store), and
    /// show or change the orgs: `org add`, `org list`, `org show`, `org set`, `org delete`.
    Org(OrgCommandArgs),
    /// Show or set how long an org's snapshots are kept: --days N (older ones go) and --count N (scheduled and
    /// manual snapshots beyond the newest N go; captures go by age only), each `none` for no limit. The newest
    /// snapshot of an org that is still backed up is always kept. `oktavault prune` applies it.
    Retention(RetentionArgs),
    /// Delete the snapshots retention expires and the segments no remaining snapshot needs (--dry-run shows
    /// which go and which stay, and why). Safe to interrupt: the next run finishes what this one started.
    Prune(PruneArgs),
    /// Serve the HTTP API over this store (the routes the AWS deployment serves; docs/api.md): reads, restores,
    /// downloads and backups of the orgs authorized with stored credentials, to the holder of a bearer token.
    Serve(ServeArgs),
    /// Run one workflow step on the JSON payload on stdin, as a Lambda would (for the benchmark).
    #[command(hide = true)]
    Step(StepArgs),
}

#[cfg(feature = "demo")]
#[derive(Args)]
pub struct DemoArgs {
    /// Users in the simulated org.
    #[arg(long, default_value_t = 500)]
    pub users: usize,
    /// Seed of the simulated org's data.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

#[derive(Args)]
pub struct OrgArgs {
    /// The org's URL, e.g. https://acme.okta.com
    #[arg(long = "org", env = "OKTAVAULT_ORG")]
    pub url: String,
    /// An API token (sent as `SSWS`).
    #[arg(long, env = "OKTAVAULT_TOKEN", hide_env_values = true, conflicts_with_all = ["client_id"])]
    pub token: Option<String>,
    /// Client id of an API service integration or a custom service app.
    #[arg(long, env = "OKTAVAULT_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Client secret of an API service integration.
    #[arg(
        long,
        env = "OKTAVAULT_CLIENT_SECRET",
        hide_env_values = true,
        requires = "client_id",
        conflicts_with = "private_key"
    )]
    pub client_secret: Option<String>,
    /// PKCS#8 PEM private key of a service app using private_key_jwt.
    #[arg(long, env = "OKTAVAULT_PRIVATE_KEY", requires = "client_id")]
    pub private_key: Option<PathBuf>,
    /// Key id (`kid`) of that private key, if the app has several.
    #[arg(long, env = "OKTAVAULT_KEY_ID")]
    pub key_id: Option<String>,
    /// OAuth scopes to request (default: the scopes the command needs: read scopes to back up, and the manage
    /// scopes of what is written to restore).
    #[arg(long, value_delimiter = ',')]
    pub scopes: Option<Vec<String>>,
    /// Allow an http://, loopback or private-address org URL (the simulator in tests and demos).
    #[arg(long)]
    pub allow_local_org: bool,
    /// Allow an org URL outside Okta's domains: the org's own custom domain (https only).
    #[arg(long)]
    pub allow_custom_domain: bool,
    /// Share of each Okta rate-limit bucket oktavault may use (0.05 to 1.0).
    #[arg(long, default_value_t = 0.5)]
    pub rate_share: f64,
}

#[derive(Args)]
pub struct OrgCommandArgs {
    #[command(subcommand)]
    pub action: OrgAction,
}

#[derive(Subcommand)]
pub enum OrgAction {
    /// Check the credentials against the live org (a token, then one read per scope group), then seal and store
    /// them: later commands on this org need no credential flags. An org already stored gets the new credentials
    /// in place of the old; its snapshots and settings stay. An OAuth app asks for the read and manage scopes
    /// (or --scopes) and keeps those it is granted; the categories the rest leave out are listed.
    Add(OrgArgs),
    /// Every org's card: domain, storage, backup on or off, app status, last backup, next run.
    List,
    /// One org's card.
    Show(OrgRef),
    /// Change an org's settings.
    Set(OrgSetArgs),
    /// Stop backing an org up and drop its stored credentials; its snapshots are kept per its retention, then
    /// purged. `org add` brings it back.
    Delete(OrgRef),
}

#[derive(Args)]
pub struct OrgRef {
    /// The org: its id (acme.okta.com) or URL.
    pub org: String,
}

#[derive(Args)]
pub struct OrgSetArgs {
    #[command(flatten)]
    pub org: OrgRef,
    /// Scheduled backups on or off.
    #[arg(long, value_parser = clap::builder::BoolishValueParser::new())]
    pub backup: Option<bool>,
    /// Hours between scheduled backups: 1 (hourly) to 24 (daily).
    #[arg(long)]
    pub every_hours: Option<u32>,
    /// Days between reads of linked-object values (0, every backup, to 365; default 7); carried in between, since
    /// Okta logs no event for a link change. `backup --full` reads them whatever this says.
    #[arg(long)]
    pub linked_objects_every_days: Option<u32>,
}

#[derive(Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub org: OrgArgs,
    /// Only these categories (comma separated; parents they need are added).
    #[arg(long, value_delimiter = ',')]
    pub categories: Option<Vec<String>>,
    /// List every group's members and every app's assignments again, instead of carrying the
    /// unchanged ones from the previous snapshot (done automatically every 7th snapshot).
    #[arg(long)]
    pub full: bool,
    /// Seconds one backup step keeps fetching before it saves its position.
    #[arg(long, default_value_t = 20, hide = true)]
    pub page_budget_secs: u64,
    /// At most this many steps per category in one run of the workflow before it continues in a new one
    /// (the history limit sets the default; smaller values exercise continuations).
    #[arg(long, hide = true)]
    pub max_page_calls: Option<u32>,
}

#[derive(Args)]
pub struct StepArgs {
    /// The step: PlanBackup, BackupPage, FinalizeBackup, ContinueBackup or FailJob.
    pub step: String,
    #[command(flatten)]
    pub backup: BackupArgs,
}

#[derive(Args)]
pub struct SnapshotsArgs {
    /// Only this org's snapshots (its id, e.g. acme.okta.com).
    #[arg(long)]
    pub org: Option<String>,
    /// Only snapshots created since then: a span back from now (24h, 7d), a date (2026-11-01) or an RFC 3339 time.
    #[arg(long)]
    pub since: Option<String>,
    /// Only snapshots created until then (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
}

#[derive(Args)]
pub struct LsArgs {
    /// Snapshot id, or `latest`.
    pub snapshot: String,
    pub category: Option<String>,
}

#[derive(Args)]
pub struct ShowArgs {
    /// Snapshot id, or `latest`.
    pub snapshot: String,
    pub category: String,
    pub id: String,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Snapshot id or `latest`; every snapshot when absent.
    pub snapshot: Option<String>,
}

#[derive(Args)]
// The org's arguments are asked for with --live only.
#[command(mut_arg("url", |a| a.required(false)))]
#[command(
    after_help = "Examples:\n  oktavault diff SNAPSHOT latest\n  oktavault diff latest --live --org https://acme.okta.com \
    --token \"$OKTA_API_TOKEN\"\n  oktavault diff latest --live --category users,groups --org https://acme.okta.com \
    --client-id 0oa... --client-secret ..."
)]
pub struct DiffArgs {
    /// The earlier snapshot (id or `latest`).
    pub from: String,
    /// The later snapshot (id or `latest`); with --live, none.
    #[arg(required_unless_present = "live", conflicts_with = "live")]
    pub to: Option<String>,
    /// Compare with the live org instead of a later snapshot (needs --org and credentials).
    #[arg(long, requires = "url")]
    pub live: bool,
    /// With --live: only these categories (comma separated; default: every category of the snapshot).
    #[arg(long = "category", value_delimiter = ',', requires = "live")]
    pub categories: Vec<String>,
    #[command(flatten)]
    pub org: Option<OrgArgs>,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  oktavault search alice\n  oktavault search finance --type groups\n  oktavault search     @example.com --type users --from 2026-03-01 --to 2026-03-31"
)]
pub struct SearchArgs {
    /// Part of a name, login, email or label (any case), or a whole id.
    pub query: String,
    /// The org (its id, e.g. acme.okta.com); may be left out when the store holds one org.
    #[arg(long)]
    pub org: Option<String>,
    /// Only objects of this category (e.g. users, groups, apps).
    #[arg(long = "type", value_name = "CATEGORY")]
    pub category: Option<String>,
    /// Only objects with a version modified (its lastUpdated) on or after this date (2026-03-01) or time.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Only objects with a version modified on or before this date (the whole day) or time.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  oktavault history users alice@example.com\n  oktavault history groups 00g1abc")]
pub struct HistoryArgs {
    /// The object's category (users, groups, apps...).
    pub category: String,
    /// Its id, or a name it had (login, email, group name, label).
    pub id_or_name: String,
    /// The org (its id); may be left out when the store holds one org.
    #[arg(long)]
    pub org: Option<String>,
}

#[derive(Args)]
pub struct JobsArgs {
    #[arg(long)]
    pub org: Option<String>,
}

#[derive(Args)]
pub struct JobArgs {
    pub job_id: String,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// Snapshot id, or `latest` (the newest snapshot of --source-org, or of the org restored into).
    #[arg(required_unless_present = "resume")]
    pub snapshot: Option<String>,
    /// What to restore: CATEGORY, CATEGORY:ID_OR_NAME (an Okta id, a login, a group's name, an app's label) or
    /// `all`. Repeat it, or separate selectors with commas.
    #[arg(long, value_delimiter = ',', required_unless_present = "resume")]
    pub select: Vec<String>,
    /// The org the snapshot was taken of (its id, e.g. acme.okta.com), when it is not the org restored into.
    #[arg(long)]
    pub source_org: Option<String>,
    /// What to do with an object the org has already: leave it (skip), replace its attributes with the
    /// snapshot's (overwrite), or fill in what it lacks (merge).
    #[arg(long, value_enum, default_value_t = ConflictArg::Skip)]
    pub on_conflict: ConflictArg,
    /// Only create what the org lacks (the same as --on-conflict skip).
    #[arg(long, conflicts_with = "on_conflict")]
    pub missing_only: bool,
    /// Restore only the selected objects, not their group memberships and app assignments.
    #[arg(long)]
    pub no_relationships: bool,
    /// Leave recreated users STAGED: no activation email.
    #[arg(long)]
    pub no_activate: bool,
    /// Do not add back memberships of groups that an active group rule assigns: the API cannot tell them from
    /// direct ones, and added back they become direct memberships that outlive the rule. Once the rule is active
    /// again, Okta adds the users it matches.
    #[arg(long, conflicts_with = "no_relationships")]
    pub leave_rule_memberships: bool,
    /// Print the plan and write nothing to Okta.
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm a plan the guardrail holds (a mass change, or many activation emails).
    #[arg(long)]
    pub yes: bool,
    /// Confirm the held plan this token came from: the restore applies only if planning finds the same changes.
    #[arg(long, value_name = "TOKEN", conflicts_with = "yes")]
    pub confirm: Option<String>,
    /// Continue this restore job (interrupted, or failed for a transient cause).
    #[arg(long, conflicts_with_all = ["snapshot", "select"])]
    pub resume: Option<String>,
    #[command(flatten)]
    pub org: OrgArgs,
    /// Seconds one restore step applies objects before it saves its position.
    #[arg(long, default_value_t = 20, hide = true)]
    pub page_budget_secs: u64,
}

#[derive(Args)]
pub struct UndoArgs {
    /// The event's uuid, as the System Log (or `oktavault show SNAPSHOT system_log UUID`) shows it.
    pub event: String,
    /// Print the plan and write nothing to Okta.
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm a plan the guardrail holds (a mass change, or many activation emails).
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub org: OrgArgs,
    /// Seconds one restore step applies objects before it saves its position.
    #[arg(long, default_value_t = 20, hide = true)]
    pub page_budget_secs: u64,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ConflictArg {
    Skip,
    Overwrite,
    Merge,
}

#[derive(Args)]
pub struct DownloadArgs {
    /// Snapshot id, or `latest` (the newest snapshot of --org, or of the store).
    #[arg(required_unless_present_any = ["link", "from"])]
    pub snapshot: Option<String>,
    /// With --to, instead of one snapshot: every snapshot taken in the range (YYYY-MM-DD or RFC 3339), each
    /// object's version in each (--format sqlite or jsonl).
    #[arg(long, requires = "to", conflicts_with = "snapshot")]
    pub from: Option<String>,
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// What to download: CATEGORY, CATEGORY:ID_OR_NAME (an Okta id, a login, a group's name, an app's label) or
    /// `all`. Repeat it, or separate selectors with commas.
    #[arg(long, value_delimiter = ',', required_unless_present = "link")]
    pub select: Vec<String>,
    /// Add what the selected objects relate to: a user's groups, app assignments, factors and admin roles; a
    /// group's members, rules, app assignments and roles.
    #[arg(long)]
    pub with_relationships: bool,
    /// json, csv, sqlite, or jsonl (a directory of gzipped JSON Lines tables, partitioned by org and snapshot,
    /// which Athena and DuckDB query; docs/athena.md).
    #[arg(long, default_value = "json")]
    pub format: String,
    /// The file (a directory, for jsonl) to write; it appears only once whole, and an existing one is never
    /// replaced.
    #[arg(short = 'o', long = "output", required_unless_present = "link")]
    pub output: Option<std::path::PathBuf>,
    /// The org whose snapshot it is (its id, e.g. acme.okta.com), for `latest` in a store of several orgs.
    #[arg(long)]
    pub org: Option<String>,
    /// Say where the finished download of this job is (a presigned link on AWS).
    #[arg(long, conflicts_with_all = ["snapshot", "select", "output"])]
    pub link: Option<String>,
    /// How long a link is valid for, in seconds (at most 7 days).
    #[arg(long, default_value_t = 900, requires = "link")]
    pub expires_secs: u64,
    /// Seconds one export step renders objects before it answers with its position.
    #[arg(long, default_value_t = 20, hide = true)]
    pub page_budget_secs: u64,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  oktavault retention --org acme.okta.com\n  oktavault retention --org \
    https://acme.okta.com --days 90 --count 30\n  oktavault retention --org acme.okta.com --days none"
)]
pub struct RetentionArgs {
    /// The org: its id (acme.okta.com) or its URL.
    #[arg(long)]
    pub org: String,
    /// Keep snapshots this many days (a whole number from 1), or `none` for no age limit.
    #[arg(long, value_name = "N|none")]
    pub days: Option<String>,
    /// Keep at most the newest N scheduled and manual snapshots, or `none` for no count limit.
    #[arg(long, value_name = "N|none")]
    pub count: Option<String>,
}

#[derive(Args)]
pub struct PruneArgs {
    /// Only this org (its id or URL); every org when left out, deleted and disabled ones included.
    #[arg(long)]
    pub org: Option<String>,
    /// Show what would be deleted and what is kept, and why; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default: the API holds the keys to every org in the store).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// The bearer token callers must send (at least 16 characters); a fresh one is made and printed when absent.
    #[arg(long, env = "OKTAVAULT_API_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Allow orgs whose stored URL is http://, loopback or private (the simulator in tests and demos).
    #[arg(long)]
    pub allow_local_org: bool,
    /// Start no scheduled backups (by default each backed-up org's runs every `every_hours`, as on AWS).
    #[arg(long)]
    pub no_schedules: bool,
}
