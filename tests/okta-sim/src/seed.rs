//! A realistic org generated from a seed: the same seed always gives the same users, groups, apps,
//! memberships and assignments (timestamps come from a fixed range, not from the wall clock).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Value, json};

use crate::clock::{SEED_END_MS, SEED_EPOCH_MS, format_ms};
use crate::ids::{APP_PREFIX, GROUP_PREFIX, IdGen, USER_PREFIX, USER_TYPE_PREFIX};
use crate::prng::SplitMix64;
use crate::shapes::{self, GroupKind, GroupTimes, SIGN_ON_MODES, USER_STATUSES, UserTimes};
use crate::store::{Collection, Org, Record};

const FIRST_NAMES: &[&str] = &[
    "Alice", "Bob", "Carol", "David", "Emma", "Farid", "Grace", "Hiro", "Isabel", "Jamal", "Kate", "Liam", "Maria",
    "Noah", "Olivia", "Priya", "Quentin", "Rosa", "Samuel", "Tara", "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe",
    "Aiko", "Bruno", "Chloe", "Dmitri", "Elena", "Felix", "Greta", "Hassan", "Ines", "Jonas", "Keiko", "Lucas", "Mei",
    "Nadia", "Oscar", "Paula", "Rafael", "Sofia", "Tomas", "Ursula", "Victor", "Wanda", "Yara", "Zain",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Garcia",
    "Nguyen",
    "Kim",
    "Patel",
    "Muller",
    "Rossi",
    "Dubois",
    "Silva",
    "Tanaka",
    "Cohen",
    "Okafor",
    "Haddad",
    "Novak",
    "Larsen",
    "Kowalski",
    "Ivanova",
    "Fischer",
    "Moreau",
    "Santos",
    "Yamamoto",
    "Chen",
    "Singh",
    "Brown",
    "Wilson",
    "Taylor",
    "Anderson",
    "Thomas",
    "Martin",
    "Lopez",
    "Hernandez",
    "Walker",
    "Young",
    "Allen",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
];
const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Engineering",
        &[
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "Engineering Manager",
        ],
    ),
    (
        "Sales",
        &["Account Executive", "Sales Development Rep", "Regional Sales Director"],
    ),
    (
        "Marketing",
        &["Marketing Manager", "Content Strategist", "Product Marketing Manager"],
    ),
    ("Finance", &["Financial Analyst", "Controller", "Accountant"]),
    (
        "Human Resources",
        &["HR Business Partner", "Recruiter", "People Operations Specialist"],
    ),
    ("Legal", &["Counsel", "Paralegal"]),
    ("Support", &["Support Engineer", "Customer Success Manager"]),
    ("Operations", &["Operations Analyst", "Program Manager"]),
    ("IT", &["IT Administrator", "Security Engineer", "Help Desk Technician"]),
    ("Product", &["Product Manager", "Product Designer", "UX Researcher"]),
];
const CITIES: &[(&str, &str)] = &[
    ("San Francisco", "US"),
    ("New York", "US"),
    ("Austin", "US"),
    ("Toronto", "CA"),
    ("London", "GB"),
    ("Berlin", "DE"),
    ("Paris", "FR"),
    ("Madrid", "ES"),
    ("Sydney", "AU"),
    ("Tokyo", "JP"),
    ("Bangalore", "IN"),
    ("Sao Paulo", "BR"),
];
const APP_LABELS: &[&str] = &[
    "Acme Intranet",
    "Salesforce",
    "Slack",
    "Zoom",
    "GitHub",
    "Workday",
    "Jira",
    "Confluence",
    "Box",
    "Dropbox",
    "ServiceNow",
    "Tableau",
    "AWS Console",
    "Google Workspace",
    "Microsoft 365",
    "DocuSign",
    "Zendesk",
    "HubSpot",
    "Asana",
    "Figma",
    "Notion",
    "Datadog",
    "PagerDuty",
    "Okta Dashboard Bookmark",
    "Expensify",
    "Coupa",
];
const PROJECT_WORDS: &[&str] = &[
    "Atlas", "Phoenix", "Orion", "Nimbus", "Falcon", "Aurora", "Helix", "Zephyr",
];
const DAY_MS: i64 = 86_400_000;

/// The seeded org plus the ids other parts of the simulator need.
pub struct Seeded {
    pub org: Org,
    pub user_type_id: String,
    pub ids: IdGen,
}

/// The registered private_key_jwt service app, listed among the apps as Okta lists service apps.
pub struct ServiceApp<'a> {
    pub client_id: &'a str,
    pub jwk: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SeedProfile<'a> {
    first_name: &'a str,
    last_name: &'a str,
    display_name: String,
    login: &'a str,
    email: &'a str,
    second_email: Option<&'a str>,
    mobile_phone: Option<String>,
    department: &'a str,
    title: &'a str,
    employee_number: String,
    city: &'a str,
    country_code: &'a str,
    preferred_language: &'a str,
}

#[derive(Serialize)]
struct NoValue {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SeedAppCredentials<'a> {
    user_name: &'a str,
    // Write-only in Okta: an empty object says a password is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<NoValue>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct SeedAppProfile<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
}

struct SeedUser {
    id: String,
    status: &'static str,
    email: String,
    first: &'static str,
    last: &'static str,
}

pub fn generate(users: usize, seed: u64, base: &str, service_app: ServiceApp) -> Seeded {
    let mut ids = IdGen::new(seed);
    let user_type_id = ids.next(USER_TYPE_PREFIX);
    let mut rng = SplitMix64::derive(seed, "users");
    let (user_records, people) = seed_users(users, base, &user_type_id, &mut ids, &mut rng);
    let mut org = Org {
        users: Collection::from_sorted(user_records),
        ..Org::default()
    };

    let mut rng = SplitMix64::derive(seed, "groups");
    let apps_rng = SplitMix64::derive(seed, "apps");
    let okta_groups = seed_groups(&mut org, users, base, &people, &mut ids, &mut rng);
    seed_apps(
        &mut org,
        users,
        base,
        &people,
        &okta_groups,
        service_app,
        &mut ids,
        apps_rng,
    );
    org.rebuild_login_index();
    // Configuration resources last: their ids come after every id above, which stay as they were.
    crate::resources::seed_all(&mut org, base, seed, &mut ids, &user_type_id);
    crate::handlers::apps::seed_access_policies(&mut org, base);
    Seeded { org, user_type_id, ids }
}

fn seed_status(i: usize, n: usize, rng: &mut SplitMix64) -> &'static str {
    if n >= USER_STATUSES.len() * 4 && i.is_multiple_of(n / USER_STATUSES.len()) {
        // Spread one user of every status through the list, so even a small org has each one.
        return USER_STATUSES[(i / (n / USER_STATUSES.len())).min(USER_STATUSES.len() - 1)];
    }
    match rng.below(1000) {
        0..850 => "ACTIVE",
        850..880 => "STAGED",
        880..905 => "PROVISIONED",
        905..925 => "SUSPENDED",
        925..940 => "LOCKED_OUT",
        940..955 => "PASSWORD_EXPIRED",
        955..965 => "RECOVERY",
        _ => "DEPROVISIONED",
    }
}

fn seed_users(
    n: usize,
    base: &str,
    type_id: &str,
    ids: &mut IdGen,
    rng: &mut SplitMix64,
) -> (Vec<Record>, Vec<SeedUser>) {
    let mut records = Vec::with_capacity(n);
    let mut people = Vec::with_capacity(n);
    let mut name_uses: HashMap<(usize, usize), u32> = HashMap::new();
    let span = (SEED_END_MS - SEED_EPOCH_MS - 60 * DAY_MS) as u64;
    for i in 0..n {
        let id = ids.next(USER_PREFIX);
        let status = seed_status(i, n, rng);
        let (fi, li) = (
            rng.below(FIRST_NAMES.len() as u64) as usize,
            rng.below(LAST_NAMES.len() as u64) as usize,
        );
        let (first, last) = (FIRST_NAMES[fi], LAST_NAMES[li]);
        let uses = name_uses.entry((fi, li)).or_insert(0);
        *uses += 1;
        let suffix = if *uses == 1 { String::new() } else { uses.to_string() };
        let email = format!("{}.{}{suffix}@example.com", first.to_lowercase(), last.to_lowercase());
        let (department, titles) = DEPARTMENTS[rng.below(DEPARTMENTS.len() as u64) as usize];
        let (city, country) = CITIES[rng.below(CITIES.len() as u64) as usize];
        let mobile = rng
            .chance(0.7)
            .then(|| format!("+1 555 01{:02} {:04}", rng.below(100), rng.below(10_000)));

        let created = SEED_EPOCH_MS + rng.below(span) as i64;
        let activated = created + rng.below(3 * DAY_MS as u64) as i64;
        let last_updated = activated + rng.below((SEED_END_MS - activated) as u64) as i64;
        let status_changed = activated + rng.below((last_updated - activated + 1) as u64) as i64;
        let last_login = activated + rng.below((SEED_END_MS - activated) as u64) as i64;
        let password_changed = activated + rng.below((last_updated - activated + 1) as u64) as i64;
        let never_activated = matches!(status, "STAGED" | "PROVISIONED");
        let times = UserTimes {
            created: format_ms(created),
            activated: (status != "STAGED").then(|| format_ms(activated)),
            status_changed: (status != "STAGED")
                .then(|| format_ms(if status == "ACTIVE" { activated } else { status_changed })),
            last_login: (!never_activated).then(|| format_ms(last_login)),
            last_updated: format_ms(last_updated),
            password_changed: (!never_activated).then(|| format_ms(password_changed)),
        };
        let profile = SeedProfile {
            first_name: first,
            last_name: last,
            display_name: format!("{first} {last}"),
            login: &email,
            email: &email,
            second_email: None,
            mobile_phone: mobile,
            department,
            title: titles[rng.below(titles.len() as u64) as usize],
            employee_number: format!("{}", 100_000 + i),
            city,
            country_code: country,
            preferred_language: "en",
        };
        let init = shapes::UserInit {
            base,
            id: &id,
            status,
            times: &times,
            type_id,
            profile,
            password: !never_activated,
        };
        records.push(Record::from_parts(
            &id,
            status,
            &times.last_updated,
            shapes::user_text(init),
        ));
        people.push(SeedUser {
            id,
            status,
            email,
            first,
            last,
        });
    }
    (records, people)
}

fn seed_time(rng: &mut SplitMix64) -> (String, String) {
    let created = SEED_EPOCH_MS + rng.below((SEED_END_MS - SEED_EPOCH_MS) as u64 / 2) as i64;
    let updated = created + rng.below((SEED_END_MS - created) as u64) as i64;
    (format_ms(created), format_ms(updated))
}

fn group_name(i: usize) -> String {
    let d = DEPARTMENTS.len();
    let c = CITIES.len();
    match i {
        _ if i < d => DEPARTMENTS[i].0.to_string(),
        _ if i < d + d * c => {
            let k = i - d;
            format!("{} - {}", DEPARTMENTS[k / c].0, CITIES[k % c].0)
        }
        _ => {
            let k = i - d - d * c;
            format!(
                "Project {} {}",
                PROJECT_WORDS[k % PROJECT_WORDS.len()],
                k / PROJECT_WORDS.len() + 1
            )
        }
    }
}

/// Seeds Everyone, the OKTA_GROUPs, two AD-sourced APP_GROUPs and all memberships; returns the
/// OKTA_GROUP ids (the ones apps get assigned).
fn seed_groups(
    org: &mut Org,
    users: usize,
    base: &str,
    people: &[SeedUser],
    ids: &mut IdGen,
    rng: &mut SplitMix64,
) -> Vec<String> {
    let count = (users / 100).max(8);
    let everyone_id = ids.next(GROUP_PREFIX);
    let okta_ids: Vec<String> = (0..count).map(|_| ids.next(GROUP_PREFIX)).collect();
    let app_group_ids: Vec<String> = (0..2).map(|_| ids.next(GROUP_PREFIX)).collect();
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();

    for person in people {
        if person.status != "DEPROVISIONED" {
            members.entry(everyone_id.clone()).or_default().push(person.id.clone());
        }
        let k = rng.range(1, 4.min(count as u64));
        let mut chosen: Vec<usize> = Vec::with_capacity(4);
        while chosen.len() < k as usize {
            let g = rng.below(count as u64) as usize;
            if !chosen.contains(&g) {
                chosen.push(g);
            }
        }
        for g in chosen {
            members.entry(okta_ids[g].clone()).or_default().push(person.id.clone());
        }
        for app_group in &app_group_ids {
            if rng.chance(0.01) {
                members.entry(app_group.clone()).or_default().push(person.id.clone());
            }
        }
    }

    let end = format_ms(SEED_END_MS - DAY_MS);
    let mut groups = Vec::with_capacity(count + 3);
    let everyone_times = GroupTimes {
        created: &format_ms(SEED_EPOCH_MS),
        last_updated: &format_ms(SEED_EPOCH_MS),
        last_membership_updated: &end,
    };
    let everyone_profile = json!({ "name": "Everyone", "description": "All users in your organization" });
    groups.push(shapes::group(
        base,
        &everyone_id,
        GroupKind::BuiltIn,
        &everyone_times,
        everyone_profile,
        None,
    ));
    for (i, id) in okta_ids.iter().enumerate() {
        let (created, updated) = seed_time(rng);
        let membership =
            format_ms(crate::clock::parse_ms(&updated).unwrap_or(SEED_EPOCH_MS) + rng.below(30 * DAY_MS as u64) as i64);
        let name = group_name(i);
        let profile = json!({ "name": name, "description": format!("{name} team members") });
        let times = GroupTimes {
            created: &created,
            last_updated: &updated,
            last_membership_updated: &membership,
        };
        groups.push(shapes::group(base, id, GroupKind::Okta, &times, profile, None));
    }
    for (i, id) in app_group_ids.iter().enumerate() {
        let (created, updated) = seed_time(rng);
        let name = ["Domain Admins", "VPN Users"][i];
        let profile = json!({
            "name": name, "description": format!("{name} (imported from Active Directory)"),
            "groupType": "Security", "samAccountName": name, "groupScope": "Global",
            "objectSid": format!("S-1-5-21-717838489-685202119-709183397-{}", 1100 + i),
            "dn": format!("CN={name},OU=Groups,DC=corp,DC=example,DC=com"),
            "windowsDomainQualifiedName": format!("CORP\\{name}"),
            "externalId": format!("ad-{}", &id[3..]),
        });
        let times = GroupTimes {
            created: &created,
            last_updated: &updated,
            last_membership_updated: &updated,
        };
        groups.push(shapes::group(base, id, GroupKind::App, &times, profile, None));
    }
    let mut records: Vec<Record> = groups.iter().map(Record::from_value).collect();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    org.groups = Collection::from_sorted(records);
    org.group_members = members;
    okta_ids
}

fn slug(label: &str) -> String {
    label
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn seed_apps(
    org: &mut Org,
    users: usize,
    base: &str,
    people: &[SeedUser],
    okta_groups: &[String],
    service_app: ServiceApp,
    ids: &mut IdGen,
    mut rng: SplitMix64,
) {
    let count = (users / 2000).max(SIGN_ON_MODES.len());
    let assignable: Vec<&SeedUser> = people.iter().filter(|p| p.status != "DEPROVISIONED").collect();
    let mut apps = Vec::with_capacity(count + 1);
    for j in 0..count {
        let id = ids.next(APP_PREFIX);
        let mode = SIGN_ON_MODES[j % SIGN_ON_MODES.len()];
        let label = match j / APP_LABELS.len() {
            0 => APP_LABELS[j].to_string(),
            round => format!("{} {}", APP_LABELS[j % APP_LABELS.len()], round + 1),
        };
        let slug = slug(&label);
        let (name, mut credentials, settings) = shapes::app_mode_defaults(mode, &label, &slug);
        if mode == "OPENID_CONNECT" {
            credentials["oauthClient"]["client_id"] = json!(id);
            credentials["oauthClient"]["client_secret"] = json!(ids.random_text(64));
        }
        let (created, updated) = seed_time(&mut rng);
        let status = if j % 7 == 6 { "INACTIVE" } else { "ACTIVE" };
        let app = shapes::app(
            base,
            shapes::AppInit {
                id: &id,
                name: &name,
                label: &label,
                mode,
                status,
                created: &created,
                last_updated: &updated,
                credentials,
                settings_extra: settings,
            },
        );
        apps.push(app);
        seed_app_assignments(org, base, &id, mode, &assignable, okta_groups, &mut rng);
    }
    for kind in CLIENT_APPS {
        let id = ids.next(APP_PREFIX);
        let (created, updated) = seed_time(&mut rng);
        let secret = kind
            .auth_method
            .starts_with("client_secret")
            .then(|| ids.random_text(64));
        apps.push(client_app_json(base, &id, kind, secret, &created, &updated));
        if kind.application_type != "service" {
            seed_app_assignments(org, base, &id, "OPENID_CONNECT", &assignable, okta_groups, &mut rng);
        }
    }
    apps.push(service_app_json(base, &service_app));
    let mut records: Vec<Record> = apps.iter().map(Record::from_value).collect();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    org.apps = Collection::from_sorted(records);
}

fn seed_app_assignments(
    org: &mut Org,
    base: &str,
    app_id: &str,
    mode: &str,
    assignable: &[&SeedUser],
    okta_groups: &[String],
    rng: &mut SplitMix64,
) {
    let (created, updated) = seed_time(rng);
    let swa = matches!(
        mode,
        "AUTO_LOGIN" | "BASIC_AUTH" | "SECURE_PASSWORD_STORE" | "BROWSER_PLUGIN"
    );
    let app_user = |user: &SeedUser, scope: &str| {
        let credentials = SeedAppCredentials {
            user_name: &user.email,
            password: swa.then_some(NoValue {}),
        };
        let profile = match mode {
            "BOOKMARK" => SeedAppProfile::default(),
            _ => SeedAppProfile {
                email: Some(&user.email),
                first_name: Some(user.first),
                last_name: Some(user.last),
            },
        };
        let init = shapes::AppUserInit {
            app_id,
            user_id: &user.id,
            scope,
            status: "ACTIVE",
            created: &created,
            last_updated: &updated,
            credentials,
            profile,
        };
        Record::from_parts(&user.id, "ACTIVE", &updated, shapes::app_user_text(base, init))
    };

    // Direct (USER-scoped) assignments to 1-5 % of the users, at least a few.
    let share = 0.01 + rng.unit() * 0.04;
    let mut rows: BTreeMap<String, Record> = BTreeMap::new();
    for user in assignable {
        if rng.chance(share) {
            rows.insert(user.id.clone(), app_user(user, "USER"));
        }
    }
    for user in assignable.iter().take(3) {
        rows.entry(user.id.clone()).or_insert_with(|| app_user(user, "USER"));
    }

    // Group assignments, and some of those groups' members listed with scope GROUP, as Okta lists them.
    let group_count = rng.range(1, 3.min(okta_groups.len() as u64));
    let mut app_groups: BTreeMap<String, Value> = BTreeMap::new();
    for priority in 0..group_count {
        let group_id = rng.pick(okta_groups).clone();
        if app_groups.contains_key(&group_id) {
            continue;
        }
        let row = shapes::app_group(base, app_id, &group_id, priority, &updated, json!({}));
        app_groups.insert(group_id.clone(), row);
        let members: Vec<String> = org
            .group_members
            .get(&group_id)
            .map(|m| m.iter().take(10).cloned().collect())
            .unwrap_or_default();
        for member in &members {
            // `assignable` is in id order, like the users it was taken from.
            if let Ok(i) = assignable.binary_search_by(|u| u.id.as_str().cmp(member)) {
                rows.entry(member.clone())
                    .or_insert_with(|| app_user(assignable[i], "GROUP"));
            }
        }
    }
    org.app_users.insert(
        app_id.to_string(),
        Collection::from_sorted(rows.into_values().collect()),
    );
    org.app_groups.insert(
        app_id.to_string(),
        Collection::from_sorted(app_groups.values().map(Record::from_value).collect()),
    );
}

/// The custom OAuth service app that authenticates with private_key_jwt (its public key in `jwks`).
/// An OIDC app of one OAuth client type (beyond the web apps of the sign-on-mode rotation), so the
/// org's OAuth clients (`/oauth2/v1/clients`) span every `application_type`.
struct ClientApp {
    label: &'static str,
    application_type: &'static str,
    auth_method: &'static str,
    grant_types: &'static [&'static str],
    response_types: &'static [&'static str],
    /// Where the client is redirected after sign-in (and sign-out); service clients have none.
    redirect_base: Option<&'static str>,
}

const CLIENT_APPS: &[ClientApp] = &[
    ClientApp {
        label: "Expense Tracker SPA",
        application_type: "browser",
        auth_method: "none",
        grant_types: &["authorization_code", "refresh_token"],
        response_types: &["code"],
        redirect_base: Some("https://expenses.example.com"),
    },
    ClientApp {
        label: "Field Service Mobile",
        application_type: "native",
        auth_method: "none",
        grant_types: &["authorization_code", "refresh_token"],
        response_types: &["code"],
        redirect_base: Some("com.example.fieldservice:"),
    },
    ClientApp {
        label: "Nightly Reports Job",
        application_type: "service",
        auth_method: "client_secret_basic",
        grant_types: &["client_credentials"],
        response_types: &["token"],
        redirect_base: None,
    },
];

fn client_app_json(
    base: &str,
    id: &str,
    kind: &ClientApp,
    secret: Option<String>,
    created: &str,
    updated: &str,
) -> Value {
    let (name, mut credentials, mut settings) =
        shapes::app_mode_defaults("OPENID_CONNECT", kind.label, &slug(kind.label));
    let oauth = &mut credentials["oauthClient"];
    oauth["client_id"] = json!(id);
    oauth["token_endpoint_auth_method"] = json!(kind.auth_method);
    // Public clients (no secret) must prove possession with PKCE.
    oauth["pkce_required"] = json!(secret.is_none());
    if let Some(secret) = secret {
        oauth["client_secret"] = json!(secret);
    }
    let client = &mut settings["oauthClient"];
    client["application_type"] = json!(kind.application_type);
    client["grant_types"] = json!(kind.grant_types);
    client["response_types"] = json!(kind.response_types);
    match kind.redirect_base {
        Some(redirect) => {
            match redirect.starts_with("https:") {
                true => client["client_uri"] = json!(redirect),
                false => {
                    if let Some(fields) = client.as_object_mut() {
                        fields.remove("client_uri");
                    }
                }
            }
            client["redirect_uris"] = json!([format!("{redirect}/callback")]);
            client["post_logout_redirect_uris"] = json!([format!("{redirect}/signed-out")]);
        }
        None => {
            // No web page of its own: left out (the management spec's `client_uri` is not nullable).
            if let Some(fields) = client.as_object_mut() {
                fields.remove("client_uri");
            }
            client["redirect_uris"] = json!([]);
        }
    }
    shapes::app(
        base,
        shapes::AppInit {
            id,
            name: &name,
            label: kind.label,
            mode: "OPENID_CONNECT",
            status: "ACTIVE",
            created,
            last_updated: updated,
            credentials,
            settings_extra: settings,
        },
    )
}

fn service_app_json(base: &str, service: &ServiceApp) -> Value {
    let created = format_ms(SEED_END_MS - 10 * DAY_MS);
    let mut app = shapes::app(
        base,
        shapes::AppInit {
            id: service.client_id,
            name: "oidc_client",
            label: "oktavault backup service",
            mode: "OPENID_CONNECT",
            status: "ACTIVE",
            created: &created,
            last_updated: &created,
            credentials: json!({
                "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" },
                "signing": { "kid": "sim-service-signing-kid" },
                "oauthClient": { "autoKeyRotation": true, "client_id": service.client_id,
                                 "token_endpoint_auth_method": "private_key_jwt", "pkce_required": false },
            }),
            settings_extra: json!({ "app": {}, "oauthClient": {
                "response_types": ["token"], "grant_types": ["client_credentials"], "application_type": "service",
                "issuer_mode": "DYNAMIC", "dpop_bound_access_tokens": false,
                "jwks": { "keys": [service.jwk] },
            } }),
        },
    );
    app["visibility"]["hide"] = json!({ "iOS": true, "web": true });
    app
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(users: usize, seed: u64) -> Org {
        generate(
            users,
            seed,
            "http://127.0.0.1:1",
            ServiceApp {
                client_id: "0oaservice",
                jwk: json!({}),
            },
        )
        .org
    }

    #[test]
    fn same_seed_gives_same_org_and_another_seed_does_not() {
        assert_eq!(org(300, 7).to_state(), org(300, 7).to_state());
        assert_ne!(org(300, 7).to_state(), org(300, 8).to_state());
    }

    #[test]
    fn org_has_every_status_groups_memberships_and_every_sign_on_mode() {
        let o = org(1000, 1);
        assert_eq!(o.users.len(), 1000);
        for status in USER_STATUSES {
            assert!(o.users.iter().any(|u| &*u.status == *status), "no {status} user");
        }
        assert_eq!(o.groups.len(), 10 + 3);
        let apps = o.apps.values();
        for mode in SIGN_ON_MODES {
            assert!(apps.iter().any(|a| a["signOnMode"] == *mode), "no {mode} app");
        }
        let everyone = o
            .groups
            .iter()
            .map(|g| g.value())
            .find(|g| g["type"] == "BUILT_IN")
            .unwrap();
        let everyone_members = &o.group_members[everyone["id"].as_str().unwrap()];
        let deprovisioned = o.users.iter().filter(|u| &*u.status == "DEPROVISIONED").count();
        assert_eq!(everyone_members.len(), 1000 - deprovisioned);
        assert!(o.app_users.values().all(|rows| rows.len() > 0));
        assert!(o.app_groups.values().filter(|rows| rows.len() > 0).count() >= SIGN_ON_MODES.len());
        assert_eq!(o.logins.len(), 1000, "logins are unique");
    }
}
#[cfg(test)]
mod timing {
    use super::*;

    /// The requirement is for optimized builds; a debug build is several times slower.
    #[test]
    #[cfg_attr(
        debug_assertions,
        ignore = "timing is meaningful in release: cargo test --release -p okta-sim"
    )]
    fn seeding_100k_users_takes_under_3_seconds() {
        let started = std::time::Instant::now();
        let seeded = generate(
            100_000,
            1,
            "http://127.0.0.1:1",
            ServiceApp {
                client_id: "0oa1",
                jwk: json!({}),
            },
        );
        let elapsed = started.elapsed();
        assert_eq!(seeded.org.logins.len(), 100_000);
        assert!(
            elapsed < std::time::Duration::from_secs(3),
            "seeding 100k users took {elapsed:?}"
        );
    }
}
