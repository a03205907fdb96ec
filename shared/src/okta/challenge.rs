//! `WWW-Authenticate` challenges: OAuth resource errors (`invalid_token`, `insufficient_scope`) and
//! DPoP nonce requests arrive there rather than in the body.

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};

/// Every `WWW-Authenticate` value of an answer, joined.
pub fn challenge(headers: &HeaderMap) -> String {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `name="value"` from a `WWW-Authenticate` challenge.
pub fn challenge_param(challenge: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let mut search = challenge;
    while let Some(at) = search.find(&needle) {
        let preceded_ok = at == 0 || matches!(search.as_bytes()[at - 1], b' ' | b',');
        let value_start = &search[at + needle.len()..];
        if preceded_ok {
            return value_start.split('"').next().map(str::to_owned);
        }
        search = value_start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_params_are_read_without_confusing_similar_names() {
        let challenge = r#"Bearer authorization_uri="https://a.okta.com/oauth2/v1/authorize", realm="IDX", error_description="The access token is invalid.", error="invalid_token""#;
        assert_eq!(challenge_param(challenge, "error").as_deref(), Some("invalid_token"));
        assert_eq!(
            challenge_param(challenge, "error_description").as_deref(),
            Some("The access token is invalid.")
        );
        assert_eq!(challenge_param(challenge, "scope"), None);
    }
}
