//! Group ids inside Okta Expression Language strings (group rule conditions, policy rule `elCondition`s).
//!
//! Okta names groups by id in `isMemberOfGroup("00g…")`, `isMemberOfAnyGroup("00g…", "00g…")` and in a
//! `'group.id'` entry (`user.isMemberOf({'group.id': {'00g…', '00g…'}})`). Functions that take group names
//! (`isMemberOfGroupName("Sales")`) name no id. A string that merely contains those words is not a call.

use std::ops::Range;

const GROUP_ID_FUNCTIONS: &[&str] = &["isMemberOfGroup", "isMemberOfAnyGroup"];
const GROUP_ID_KEY: &str = "group.id";

/// The byte ranges of the group ids in `expression` (inside the quotes), in order.
pub(crate) fn group_ids(expression: &str) -> Vec<Range<usize>> {
    let bytes = expression.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        if b == b'"' || b == b'\'' {
            let Some(literal) = literal(expression, at) else {
                break;
            };
            at = literal.end + 1;
            if &expression[literal.clone()] == GROUP_ID_KEY {
                at = group_id_entry(expression, at, &mut found);
            }
        } else if is_identifier_start(b) {
            let start = at;
            while at < bytes.len() && is_identifier_part(bytes[at]) {
                at += 1;
            }
            let name = &expression[start..at];
            let after = skip_spaces(expression, at);
            if GROUP_ID_FUNCTIONS.contains(&name) && bytes.get(after) == Some(&b'(') {
                at = string_arguments(expression, after, b')', &mut found);
            }
        } else {
            at += 1;
        }
    }
    found
}

/// After a `'group.id'` key: `: '00g…'` or `: {'00g…', …}`. Returns where scanning goes on.
fn group_id_entry(expression: &str, at: usize, found: &mut Vec<Range<usize>>) -> usize {
    let bytes = expression.as_bytes();
    let colon = skip_spaces(expression, at);
    if bytes.get(colon) != Some(&b':') {
        return at;
    }
    let value = skip_spaces(expression, colon + 1);
    match bytes.get(value) {
        Some(b'{') => string_arguments(expression, value, b'}', found),
        Some(b'"' | b'\'') => match literal(expression, value) {
            Some(id) => {
                let end = id.end + 1;
                push_id(expression, id, found);
                end
            }
            None => expression.len(),
        },
        _ => value,
    }
}

/// The string literals directly inside the bracket that opens at `open` and closes with `close`. Returns the
/// position after the closing bracket (or the end of the expression when it never closes).
fn string_arguments(expression: &str, open: usize, close: u8, found: &mut Vec<Range<usize>>) -> usize {
    let bytes = expression.as_bytes();
    let opening = bytes[open];
    let mut depth = 0usize;
    let mut at = open;
    while at < bytes.len() {
        match bytes[at] {
            b'"' | b'\'' => {
                let Some(id) = literal(expression, at) else {
                    return expression.len();
                };
                at = id.end + 1;
                if depth == 1 {
                    push_id(expression, id, found);
                }
                continue;
            }
            b if b == opening => depth += 1,
            b if b == close => {
                depth -= 1;
                if depth == 0 {
                    return at + 1;
                }
            }
            _ => {}
        }
        at += 1;
    }
    at
}

/// An id is a literal without escapes or spaces: anything else is not an Okta id, and is left alone.
fn push_id(expression: &str, range: Range<usize>, found: &mut Vec<Range<usize>>) {
    let text = &expression[range.clone()];
    if !text.is_empty() && !text.contains(['\\', ' ']) {
        found.push(range);
    }
}

/// The content range of the string literal whose opening quote is at `open`; `None` when it never closes.
fn literal(expression: &str, open: usize) -> Option<Range<usize>> {
    let bytes = expression.as_bytes();
    let quote = bytes[open];
    let mut at = open + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b if b == quote => return Some(open + 1..at),
            _ => at += 1,
        }
    }
    None
}

fn skip_spaces(expression: &str, mut at: usize) -> usize {
    let bytes = expression.as_bytes();
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

fn is_identifier_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_identifier_part(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(expression: &str) -> Vec<&str> {
        group_ids(expression).into_iter().map(|r| &expression[r]).collect()
    }

    #[test]
    fn finds_the_arguments_of_both_membership_functions() {
        assert_eq!(ids(r#"isMemberOfGroup("00g1")"#), vec!["00g1"]);
        assert_eq!(
            ids(r#"user.department=="Sales" AND isMemberOfAnyGroup("00g1", '00g2' ,"00g3")"#),
            vec!["00g1", "00g2", "00g3"]
        );
    }

    #[test]
    fn finds_the_members_of_a_group_id_entry() {
        assert_eq!(
            ids(r#"user.isMemberOf({'group.id': {'00g1', '00g2'}}) || user.isMemberOf({"group.id":"00g3"})"#),
            vec!["00g1", "00g2", "00g3"]
        );
    }

    #[test]
    fn names_and_look_alikes_are_not_ids() {
        assert!(ids(r#"isMemberOfGroupName("Sales") AND isMemberOfGroupNameStartsWith("00g")"#).is_empty());
        assert!(ids(r#"user.title == "isMemberOfGroup(\"00g1\")""#).is_empty());
        assert!(ids(r#"String.stringContains(user.title, "Marketing")"#).is_empty());
        assert!(ids(r#"user.notisMemberOfGroup("00g1")"#).is_empty());
    }

    #[test]
    fn nested_calls_inside_the_arguments_name_no_id() {
        assert_eq!(
            ids(r#"isMemberOfAnyGroup("00g1", String.toLowerCase("X"), "00g2")"#),
            vec!["00g1", "00g2"]
        );
    }

    #[test]
    fn an_unclosed_expression_ends_the_scan_without_panicking() {
        assert_eq!(ids(r#"isMemberOfAnyGroup("00g1", "00g2"#), vec!["00g1"]);
        assert!(ids(r#"isMemberOfGroup("#).is_empty());
        assert!(ids(r#"{'group.id': "#).is_empty());
    }

    #[test]
    fn ranges_point_inside_the_quotes_so_a_rewrite_keeps_them() {
        let expression = r#"isMemberOfGroup( "00g1" )"#;
        let range = group_ids(expression)[0].clone();
        let mut rewritten = expression.to_owned();
        rewritten.replace_range(range, "00gNEW");
        assert_eq!(rewritten, r#"isMemberOfGroup( "00gNEW" )"#);
    }
}
