//! Okta's SCIM-like `filter` and `search` expressions: `status eq "ACTIVE"`,
//! `lastUpdated gt "2024-01-01T00:00:00.000Z" and (status eq "LOCKED_OUT" or status eq "RECOVERY")`.
//!
//! `filter` is strict, as in Okta: only the attributes each endpoint lists, only `eq`, and the
//! inequalities only on timestamps. `search` takes any attribute and `eq sw co gt ge lt le pr`.

use std::cell::OnceCell;

use serde_json::Value;

use crate::clock;
use crate::store::Record;

/// Which expressions an endpoint accepts.
#[derive(Debug, Clone, Copy)]
pub enum Rules {
    /// `filter=`: these attributes only; `eq`, plus `gt ge lt le` on the timestamp ones.
    Filter(&'static [&'static str]),
    /// `search=`: any attribute, any operator.
    Search,
}

pub const USER_FILTER: Rules = Rules::Filter(&[
    "status",
    "lastUpdated",
    "id",
    "profile.login",
    "profile.email",
    "profile.firstName",
    "profile.lastName",
]);
pub const GROUP_FILTER: Rules = Rules::Filter(&["id", "type", "lastUpdated", "lastMembershipUpdated"]);
pub const APP_FILTER: Rules = Rules::Filter(&[
    "id",
    "status",
    "name",
    "credentials.signing.kid",
    "settings.slo.enabled",
]);

const TIMESTAMP_ATTRS: &[&str] = &[
    "lastUpdated",
    "lastMembershipUpdated",
    "created",
    "activated",
    "statusChanged",
    "passwordChanged",
    "lastLogin",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Sw,
    Co,
    Gt,
    Ge,
    Lt,
    Le,
    Pr,
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Text(String),
    Bool(bool),
    Number(f64),
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare {
        attr: String,
        op: Op,
        value: Option<Literal>,
    },
}

/// A parsed expression, ready to test records against.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    root: Node,
    case_insensitive: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    Quoted(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' => {
                chars.next();
                tokens.push(if c == '(' { Token::Open } else { Token::Close });
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err(format!("unterminated string in `{text}`")),
                        Some('"') => break,
                        Some('\\') => s.push(chars.next().ok_or("dangling escape at the end")?),
                        Some(ch) => s.push(ch),
                    }
                }
                tokens.push(Token::Quoted(s));
            }
            _ => {
                let mut word = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || ch == '(' || ch == ')' || ch == '"' {
                        break;
                    }
                    word.push(ch);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    rules: Rules,
    text: &'a str,
}

impl Parser<'_> {
    fn keyword(&self, kw: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn or_expr(&mut self) -> Result<Node, String> {
        let mut left = self.and_expr()?;
        while self.keyword("or") {
            self.pos += 1;
            left = Node::Or(Box::new(left), Box::new(self.and_expr()?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Node, String> {
        let mut left = self.factor()?;
        while self.keyword("and") {
            self.pos += 1;
            left = Node::And(Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Node, String> {
        match self.tokens.get(self.pos).cloned() {
            Some(Token::Open) => {
                self.pos += 1;
                let inner = self.or_expr()?;
                if self.tokens.get(self.pos) != Some(&Token::Close) {
                    return Err(format!("missing `)` in `{}`", self.text));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Word(attr)) => {
                self.pos += 1;
                let op = match self.tokens.get(self.pos) {
                    Some(Token::Word(op)) => parse_op(op)?,
                    _ => return Err(format!("expected an operator after `{attr}`")),
                };
                self.pos += 1;
                let value = if op == Op::Pr { None } else { Some(self.literal(&attr)?) };
                self.check_allowed(&attr, op)?;
                Ok(Node::Compare { attr, op, value })
            }
            other => Err(format!("expected an attribute, found {other:?} in `{}`", self.text)),
        }
    }

    fn literal(&mut self, attr: &str) -> Result<Literal, String> {
        let token = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or_else(|| format!("missing value for `{attr}`"))?;
        self.pos += 1;
        let literal = match token {
            Token::Quoted(s) if TIMESTAMP_ATTRS.contains(&attr) => Literal::Text(
                clock::canonical(&s).ok_or_else(|| format!("`{s}` is not an ISO-8601 timestamp (for `{attr}`)"))?,
            ),
            Token::Quoted(s) => Literal::Text(s),
            Token::Word(w) if w == "true" || w == "false" => Literal::Bool(w == "true"),
            Token::Word(w) => Literal::Number(w.parse().map_err(|_| format!("`{w}` is not a value; quote strings"))?),
            other => return Err(format!("expected a value for `{attr}`, found {other:?}")),
        };
        Ok(literal)
    }

    fn check_allowed(&self, attr: &str, op: Op) -> Result<(), String> {
        let Rules::Filter(allowed) = self.rules else {
            return Ok(());
        };
        if !allowed.contains(&attr) {
            return Err(format!(
                "`{attr}` cannot be used in a filter here (allowed: {})",
                allowed.join(", ")
            ));
        }
        let inequality = matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le);
        if op != Op::Eq && !(inequality && TIMESTAMP_ATTRS.contains(&attr)) {
            return Err(format!("operator not supported on `{attr}` in a filter; use `search`"));
        }
        Ok(())
    }
}

fn parse_op(op: &str) -> Result<Op, String> {
    Ok(match op.to_ascii_lowercase().as_str() {
        "eq" => Op::Eq,
        "sw" => Op::Sw,
        "co" => Op::Co,
        "gt" => Op::Gt,
        "ge" => Op::Ge,
        "lt" => Op::Lt,
        "le" => Op::Le,
        "pr" => Op::Pr,
        other => return Err(format!("unknown operator `{other}`")),
    })
}

impl Expr {
    /// Parses `text` under `rules`; the error says what is wrong, for the `errorCauses` of a 400.
    pub fn parse(text: &str, rules: Rules) -> Result<Expr, String> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            rules,
            text,
        };
        let root = parser.or_expr()?;
        if parser.pos != parser.tokens.len() {
            return Err(format!("unexpected text after position {} in `{text}`", parser.pos));
        }
        Ok(Expr {
            root,
            case_insensitive: matches!(rules, Rules::Search),
        })
    }

    pub fn matches(&self, record: &Record) -> bool {
        let parsed = OnceCell::new();
        self.eval(&self.root, record, &parsed)
    }

    fn eval(&self, node: &Node, record: &Record, parsed: &OnceCell<Value>) -> bool {
        match node {
            Node::And(a, b) => self.eval(a, record, parsed) && self.eval(b, record, parsed),
            Node::Or(a, b) => self.eval(a, record, parsed) || self.eval(b, record, parsed),
            Node::Compare { attr, op, value } => {
                // The fields kept on the record answer most filters without parsing the JSON.
                let fast = match attr.as_str() {
                    "id" => Some(&*record.id),
                    "status" => Some(&*record.status),
                    "lastUpdated" => Some(&*record.last_updated),
                    "lastMembershipUpdated" => Some(&*record.last_membership_updated),
                    _ => None,
                };
                if let Some(text) = fast {
                    return self.compare(&Value::String(text.to_string()), *op, value.as_ref());
                }
                let json = parsed.get_or_init(|| record.value());
                let pointer = format!("/{}", attr.replace('.', "/"));
                match json.pointer(&pointer) {
                    Some(Value::Array(items)) => items.iter().any(|item| self.compare(item, *op, value.as_ref())),
                    Some(found) => self.compare(found, *op, value.as_ref()),
                    None => false,
                }
            }
        }
    }

    fn compare(&self, found: &Value, op: Op, wanted: Option<&Literal>) -> bool {
        if op == Op::Pr {
            return !found.is_null();
        }
        match (found, wanted) {
            (Value::String(have), Some(Literal::Text(want))) => {
                let (have, want) = if self.case_insensitive {
                    (have.to_lowercase(), want.to_lowercase())
                } else {
                    (have.clone(), want.clone())
                };
                match op {
                    Op::Eq => have == want,
                    Op::Sw => have.starts_with(&want),
                    Op::Co => have.contains(&want),
                    Op::Gt => have > want,
                    Op::Ge => have >= want,
                    Op::Lt => have < want,
                    Op::Le => have <= want,
                    Op::Pr => true,
                }
            }
            (Value::Bool(have), Some(Literal::Bool(want))) => op == Op::Eq && have == want,
            (Value::Number(have), Some(Literal::Number(want))) => {
                let have = have.as_f64().unwrap_or(f64::NAN);
                match op {
                    Op::Eq => have == *want,
                    Op::Gt => have > *want,
                    Op::Ge => have >= *want,
                    Op::Lt => have < *want,
                    Op::Le => have <= *want,
                    _ => false,
                }
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(status: &str, updated: &str, login: &str) -> Record {
        Record::from_value(&json!({"id": "00u1", "status": status, "lastUpdated": updated,
                                   "profile": {"login": login, "department": "Sales"}}))
    }

    #[test]
    fn status_and_timestamp_filters_match_as_okta_does() {
        let u = user("LOCKED_OUT", "2024-05-01T00:00:00.000Z", "a@example.com");
        let e = |t: &str| Expr::parse(t, USER_FILTER).unwrap();
        assert!(e(r#"status eq "LOCKED_OUT""#).matches(&u));
        assert!(!e(r#"status eq "ACTIVE""#).matches(&u));
        assert!(e(r#"lastUpdated gt "2024-04-30T23:59:59Z""#).matches(&u));
        assert!(!e(r#"lastUpdated gt "2024-05-01T00:00:00.000Z""#).matches(&u));
        assert!(
            e(r#"lastUpdated gt "2013-06-01T00:00:00.000Z" and (status eq "LOCKED_OUT" or status eq "RECOVERY")"#)
                .matches(&u)
        );
        assert!(e(r#"profile.login eq "a@example.com""#).matches(&u));
        assert!(
            !e(r#"profile.login eq "A@example.com""#).matches(&u),
            "filter values are case-sensitive"
        );
    }

    #[test]
    fn filter_refuses_what_okta_refuses() {
        assert!(Expr::parse(r#"profile.department eq "Sales""#, USER_FILTER).is_err());
        assert!(Expr::parse(r#"status gt "A""#, USER_FILTER).is_err());
        assert!(Expr::parse(r#"lastUpdated gt "not a date""#, USER_FILTER).is_err());
        assert!(Expr::parse(r#"status eq "ACTIVE" and"#, USER_FILTER).is_err());
        assert!(Expr::parse(r#"(status eq "ACTIVE""#, USER_FILTER).is_err());
        assert!(Expr::parse(r#"status eq "ACTIVE"#, USER_FILTER).is_err());
    }

    #[test]
    fn search_takes_any_attribute_case_insensitively() {
        let u = user("ACTIVE", "2024-05-01T00:00:00.000Z", "a@example.com");
        let e = Expr::parse(r#"profile.department sw "sal""#, Rules::Search).unwrap();
        assert!(e.matches(&u));
    }
}
