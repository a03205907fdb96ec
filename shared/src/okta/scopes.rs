//! Which OAuth read scope an endpoint needs, so a 403 can tell the operator what to grant.
//!
//! Read off the `security` blocks of Okta's management spec (2026.06.3): most endpoints need the read
//! scope of their first path segment; role, grant and email template sub-resources have their own.

/// The read scope Okta asks for on a GET of `path` (a path such as `/api/v1/groups/00g1/users`).
pub fn read_scope_for(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('?').next()?.split('/').filter(|s| !s.is_empty()).collect();
    let rest = match segments.as_slice() {
        ["api", "v1", rest @ ..] => rest,
        ["oauth2", "v1", "clients", tail @ ..] => {
            return Some(if tail.contains(&"roles") {
                "okta.roles.read"
            } else {
                "okta.clients.read"
            });
        }
        _ => return None,
    };
    let (first, tail) = rest.split_first()?;
    if tail.contains(&"roles") {
        return Some("okta.roles.read");
    }
    if *first == "apps" && tail.contains(&"grants") {
        return Some("okta.appGrants.read");
    }
    if *first == "org" && tail.first() == Some(&"captcha") {
        return Some("okta.captchas.read");
    }
    if *first == "brands" && tail.contains(&"templates") {
        return Some("okta.templates.read");
    }
    if *first == "meta" {
        return match tail.first() {
            Some(&"schemas") if tail.contains(&"linkedObjects") => Some("okta.linkedObjects.read"),
            Some(&"schemas") => Some("okta.schemas.read"),
            Some(&"types") => Some("okta.userTypes.read"),
            Some(&"uischemas") => Some("okta.uischemas.read"),
            _ => None,
        };
    }
    Some(match *first {
        "users" => "okta.users.read",
        "groups" => "okta.groups.read",
        "apps" | "first-party-app-settings" => "okta.apps.read",
        "logs" => "okta.logs.read",
        "events" => "okta.events.read",
        "agentPools" => "okta.agentPools.read",
        "api-tokens" => "okta.apiTokens.read",
        "authenticators" => "okta.authenticators.read",
        "authorizationServers" => "okta.authorizationServers.read",
        "behaviors" => "okta.behaviors.read",
        "brands" => "okta.brands.read",
        "captchas" => "okta.captchas.read",
        "device-assurances" => "okta.deviceAssurance.read",
        "device-integrations" => "okta.deviceIntegrations.read",
        "devices" => "okta.devices.read",
        "domains" => "okta.domains.read",
        "email-domains" => "okta.emailDomains.read",
        "email-servers" => "okta.emailServers.read",
        "eventHooks" => "okta.eventHooks.read",
        "features" => "okta.features.read",
        "hook-keys" | "inlineHooks" => "okta.inlineHooks.read",
        "iam" | "roles" => "okta.roles.read",
        "identity-sources" => "okta.identitySources.read",
        "idps" => "okta.idps.read",
        "logStreams" => "okta.logStreams.read",
        "mappings" => "okta.profileMappings.read",
        "org" => "okta.orgs.read",
        "policies" => "okta.policies.read",
        "principal-rate-limits" => "okta.principalRateLimits.read",
        "push-providers" => "okta.pushProviders.read",
        "rate-limit-settings" => "okta.rateLimits.read",
        "realms" => "okta.realms.read",
        "realm-assignments" => "okta.realmAssignments.read",
        "templates" => "okta.templates.read",
        "threats" => "okta.threatInsights.read",
        "trustedOrigins" => "okta.trustedOrigins.read",
        "zones" => "okta.networkZones.read",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_first_segment_and_the_special_sub_resources() {
        assert_eq!(read_scope_for("/api/v1/users?filter=x"), Some("okta.users.read"));
        assert_eq!(read_scope_for("/api/v1/groups/00g1/users"), Some("okta.groups.read"));
        assert_eq!(read_scope_for("/api/v1/groups/00g1/roles"), Some("okta.roles.read"));
        assert_eq!(read_scope_for("/api/v1/apps/0oa1/grants"), Some("okta.appGrants.read"));
        assert_eq!(read_scope_for("/api/v1/meta/types/user"), Some("okta.userTypes.read"));
        assert_eq!(read_scope_for("/api/v1/zones"), Some("okta.networkZones.read"));
        assert_eq!(read_scope_for("/oauth2/v1/clients"), Some("okta.clients.read"));
        assert_eq!(read_scope_for("/api/v1/unknown-thing"), None);
        assert_eq!(read_scope_for("/.well-known/openid-configuration"), None);
    }
}
