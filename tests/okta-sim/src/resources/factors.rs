//! Users' enrolled MFA factors (`/api/v1/users/{id}/factors`): about a third of ACTIVE users have one
//! to three (email, SMS, voice call, TOTP, Okta Verify push, WebAuthn, security question); the others
//! none. Shapes follow the spec's `UserFactor` variants (discriminated by `factorType`) and its
//! `ListFactorsResults` example.
//!
//! A 100k-user org seeds some 50k factors, so each is kept short: the links a client needs (`self`,
//! `user`, `verify`) without `hints`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Resource, SeedCtx, Seeded, Shape};
use crate::prng::SplitMix64;
use crate::ratelimit::USER_GET;

pub const RESOURCES: &[Resource] = &[Resource {
    name: "user_factors",
    route: "/api/v1/users/{userId}/factors",
    item_route: Some("/api/v1/users/{userId}/factors/{factorId}"),
    parent: Some("users"),
    shape: Shape::Array(None),
    scope: "okta.users.read",
    bucket: USER_GET,
    seed: seed_factors,
    ..Resource::DEFAULTS
}];

/// The factor types the simulator enrolls, in the order `enroll_factor` tries them.
pub const FACTOR_TYPES: &[&str] = &[
    "sms",
    "email",
    "token:software:totp",
    "push",
    "call",
    "webauthn",
    "question",
];

/// (id prefix, provider, vendorName) of a factor type, as Okta writes them.
fn kind(factor_type: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match factor_type {
        "email" => ("emf", "OKTA", "OKTA"),
        "sms" => ("mbl", "OKTA", "OKTA"),
        "call" => ("clf", "OKTA", "OKTA"),
        "token:software:totp" => ("uft", "GOOGLE", "GOOGLE"),
        "push" => ("opf", "OKTA", "OKTA"),
        "webauthn" => ("fwf", "FIDO", "FIDO"),
        "question" => ("ufs", "OKTA", "OKTA"),
        _ => return None,
    })
}

/// The id prefix of a factor type's ids; `None` for a type the simulator does not enroll.
pub fn id_prefix(factor_type: &str) -> Option<&'static str> {
    kind(factor_type).map(|(prefix, ..)| prefix)
}

const QUESTIONS: &[(&str, &str)] = &[
    ("disliked_food", "What is the food you least liked as a child?"),
    ("favorite_art_piece", "What is your favorite piece of art?"),
    ("first_award", "What was the first award you received?"),
    (
        "favorite_toy",
        "What is the toy/stuffed animal you liked the most as a kid?",
    ),
];

const DEVICES: &[(&str, &str, &str)] = &[
    ("SmartPhone_IPhone", "IOS", "iPhone 15"),
    ("SmartPhone_Android", "ANDROID", "Pixel 8"),
];

/// A phone number in E.164 form, as the spec's factor profiles require.
fn phone(rng: &mut SplitMix64) -> String {
    format!("+1555{:07}", rng.below(10_000_000))
}

/// What a factor of `factor_type` records about the user (login and email from their profile).
pub fn profile(factor_type: &str, login: &str, email: &str, rng: &mut SplitMix64) -> Value {
    match factor_type {
        "email" => json!({ "email": email }),
        "sms" => json!({ "phoneNumber": phone(rng) }),
        "call" => json!({ "phoneNumber": phone(rng), "phoneExtension": null }),
        "token:software:totp" => json!({ "credentialId": login }),
        "push" => {
            let (device_type, platform, name) = DEVICES[rng.below(DEVICES.len() as u64) as usize];
            json!({ "credentialId": login, "deviceType": device_type, "name": name, "platform": platform,
                    "version": "9.29.0" })
        }
        "webauthn" => {
            json!({ "authenticatorName": "MacBook Touch ID", "credentialId": format!("AHoO{:016x}", rng.next_u64()) })
        }
        _ => {
            let (question, text) = QUESTIONS[rng.below(QUESTIONS.len() as u64) as usize];
            json!({ "question": question, "questionText": text })
        }
    }
}

/// A UserFactor of `factor_type` (one of [`FACTOR_TYPES`]) enrolled by `user_id`.
pub fn factor(base: &str, user_id: &str, factor_type: &str, id: &str, created: &str, profile: Value) -> Value {
    let (_, provider, vendor) = kind(factor_type).unwrap_or(("", "OKTA", "OKTA"));
    let user = format!("{base}/api/v1/users/{user_id}");
    let mut links = json!({
        "self": { "href": format!("{user}/factors/{id}") },
        "user": { "href": user },
    });
    if factor_type != "question" {
        links["verify"] = json!({ "href": format!("{user}/factors/{id}/verify") });
    }
    json!({
        "id": id, "factorType": factor_type, "provider": provider, "vendorName": vendor, "status": "ACTIVE",
        "created": created, "lastUpdated": created, "profile": profile, "_links": links,
    })
}

/// The two profile fields a factor needs, read without building the whole user.
#[derive(Deserialize)]
struct Login {
    profile: LoginProfile,
}

#[derive(Deserialize)]
struct LoginProfile {
    #[serde(default)]
    login: String,
    #[serde(default)]
    email: String,
}

fn seed_factors(ctx: &mut SeedCtx) -> Seeded {
    let mut out = Seeded::new();
    let org = ctx.org;
    for user in org.users.iter().filter(|u| &*u.status == "ACTIVE") {
        if !ctx.rng.chance(1.0 / 3.0) {
            continue;
        }
        let Ok(Login { profile: who }) = serde_json::from_str::<Login>(&user.json) else {
            continue;
        };
        let count = 1 + ctx.rng.below(3) as usize;
        let first = ctx.rng.below(FACTOR_TYPES.len() as u64) as usize;
        let mut factors = Vec::with_capacity(count);
        for k in 0..count {
            let factor_type = FACTOR_TYPES[(first + k * 2) % FACTOR_TYPES.len()];
            let id = ctx.ids.next(id_prefix(factor_type).unwrap_or("ufs"));
            let (created, _) = ctx.times();
            let profile = profile(factor_type, &who.login, &who.email, &mut ctx.rng);
            factors.push(factor(ctx.base, &user.id, factor_type, &id, &created, profile));
        }
        out.insert(user.id.to_string(), factors);
    }
    out
}
