//! `Link` header parsing (RFC 8288), by hand: Okta's spec declares the header on almost no operation.
//!
//! A response may carry several `Link` headers, or one with comma-separated links; a link's URI may
//! itself contain commas and semicolons (filters, `after` cursors), so the parser reads the `<...>`
//! first and only then splits parameters. The next URL is returned verbatim: it is opaque.

/// One link: its target and the relation types of its `rel` parameter (lowercased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub target: String,
    pub rels: Vec<String>,
}

/// Every link in the given `Link` header values; malformed entries are skipped.
pub fn parse_links<'a>(header_values: impl IntoIterator<Item = &'a str>) -> Vec<Link> {
    let mut links = Vec::new();
    for value in header_values {
        let mut rest = value;
        while let Some(start) = rest.find('<') {
            let after_start = &rest[start + 1..];
            let Some(end) = after_start.find('>') else { break };
            let target = after_start[..end].trim().to_owned();
            let (params, remainder) = split_params(&after_start[end + 1..]);
            links.push(Link {
                target,
                rels: rel_values(params),
            });
            rest = remainder;
        }
    }
    links
}

/// The target of the first link with relation `next`, if any.
pub fn next_link<'a>(header_values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    parse_links(header_values)
        .into_iter()
        .find(|link| link.rels.iter().any(|rel| rel == "next"))
        .map(|l| l.target)
}

/// A stable 64-bit fingerprint of a next link (the first 8 bytes of its SHA-256), for a cursor that
/// remembers the links a walk followed and must notice one coming back, without storing every URL. It is the
/// same in every process and version (unlike `std`'s hasher), so it can be saved with the cursor. Pass
/// [`Page::next`](super::Page) as it is: the client already resolved it to an absolute URL.
pub fn url_fingerprint(url: &str) -> u64 {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, url.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    u64::from_be_bytes(first)
}

/// Splits `; rel="next"; title="a,b", <next-link>` into this link's parameters and the rest,
/// at the first comma outside a quoted string.
fn split_params(input: &str) -> (&str, &str) {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in input.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => return (&input[..i], &input[i + 1..]),
            _ => {}
        }
    }
    (input, "")
}

/// The space-separated values of the `rel` parameter (`rel="next last"`, `rel=next`, `REL = "Next"`).
fn rel_values(params: &str) -> Vec<String> {
    for param in params.split(';') {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("rel") {
            return value
                .trim()
                .trim_matches('"')
                .split_ascii_whitespace()
                .map(|rel| rel.to_ascii_lowercase())
                .collect();
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_next_among_several_header_values() {
        let headers = [
            r#"<https://acme.okta.com/api/v1/users?limit=200>; rel="self""#,
            r#"<https://acme.okta.com/api/v1/users?after=00ub0oNGTSWTBKOLGLNR&limit=200>; rel="next""#,
        ];
        assert_eq!(
            next_link(headers).as_deref(),
            Some("https://acme.okta.com/api/v1/users?after=00ub0oNGTSWTBKOLGLNR&limit=200")
        );
    }

    #[test]
    fn finds_next_in_one_comma_separated_value() {
        let header = r#"<https://a.okta.com/api/v1/groups?limit=2>; rel="self", <https://a.okta.com/api/v1/groups?after=g2&limit=2>; rel="next""#;
        assert_eq!(
            next_link([header]).as_deref(),
            Some("https://a.okta.com/api/v1/groups?after=g2&limit=2")
        );
    }

    #[test]
    fn commas_and_semicolons_inside_the_uri_or_quoted_params_do_not_split() {
        let header = r#"<https://a.okta.com/api/v1/users?filter=status eq "ACTIVE",x;y&after=a,b>; title="one, two; three"; rel="next", <https://a.okta.com/z>; rel=prev"#;
        let links = parse_links([header]);
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[0].target,
            r#"https://a.okta.com/api/v1/users?filter=status eq "ACTIVE",x;y&after=a,b"#
        );
        assert_eq!(links[0].rels, ["next"]);
        assert_eq!(links[1].rels, ["prev"]);
    }

    #[test]
    fn rel_is_case_insensitive_unquoted_and_may_hold_several_types() {
        assert_eq!(next_link(["<https://a/x>; REL = Next"]).as_deref(), Some("https://a/x"));
        assert_eq!(
            next_link([r#"<https://a/y>;rel="last next""#]).as_deref(),
            Some("https://a/y")
        );
        assert_eq!(next_link([r#"<https://a/y>; rel="nextpage""#]), None);
    }

    #[test]
    fn url_fingerprints_are_sha256_prefixes_so_they_stay_the_same_across_versions() {
        // Known answers: the first 8 bytes of SHA-256 of each URL, as `sha256sum` prints them.
        assert_eq!(
            url_fingerprint("https://acme.okta.com/api/v1/users?after=00u1&limit=200"),
            0xc579_e392_5398_f3b9
        );
        assert_eq!(
            url_fingerprint("https://acme.okta.com/api/v1/users?after=00u2&limit=200"),
            0x67f5_82cc_18e3_51cd
        );
    }

    #[test]
    fn no_next_link_gives_none_and_malformed_entries_are_skipped() {
        assert_eq!(next_link([r#"<https://a.okta.com/api/v1/users>; rel="self""#]), None);
        assert_eq!(next_link(std::iter::empty()), None);
        assert_eq!(next_link(["garbage", r#"<https://a/unterminated; rel="next""#]), None);
        assert_eq!(next_link([r#"https://a/no-brackets; rel="next""#]), None);
        assert_eq!(next_link([r#"<https://a/no-rel>"#]), None);
    }
}
