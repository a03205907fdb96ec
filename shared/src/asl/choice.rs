//! Choice rules (JSONPath flavour): `Variable` plus one comparison, or `And` / `Or` / `Not` of rules.

use serde_json::{Map, Value};

use super::error::{AslError, StateFailure};
use super::path::JsonPath;
use super::template::{describe_root, resolve};

/// A top-level rule of a Choice state: when `condition` holds, go to `next`.
#[derive(Debug, Clone)]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: String,
}

#[derive(Debug, Clone)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Compare {
        variable: JsonPath,
        operator: Operator,
        operand: Operand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    IsPresent,
    IsNull,
    IsBoolean,
    IsNumeric,
    IsString,
}

#[derive(Debug, Clone)]
pub enum Operand {
    Literal(Value),
    /// The `...Path` form of an operator: compare with another node of the input.
    Path(JsonPath),
}

const OPERATORS: &[(&str, Operator)] = &[
    ("StringEquals", Operator::StringEquals),
    ("StringLessThan", Operator::StringLessThan),
    ("StringGreaterThan", Operator::StringGreaterThan),
    ("StringLessThanEquals", Operator::StringLessThanEquals),
    ("StringGreaterThanEquals", Operator::StringGreaterThanEquals),
    ("StringMatches", Operator::StringMatches),
    ("NumericEquals", Operator::NumericEquals),
    ("NumericLessThan", Operator::NumericLessThan),
    ("NumericGreaterThan", Operator::NumericGreaterThan),
    ("NumericLessThanEquals", Operator::NumericLessThanEquals),
    ("NumericGreaterThanEquals", Operator::NumericGreaterThanEquals),
    ("BooleanEquals", Operator::BooleanEquals),
    ("IsPresent", Operator::IsPresent),
    ("IsNull", Operator::IsNull),
    ("IsBoolean", Operator::IsBoolean),
    ("IsNumeric", Operator::IsNumeric),
    ("IsString", Operator::IsString),
];

impl Operator {
    /// The JSON type the literal operand must have.
    fn operand_kind(self) -> &'static str {
        match self {
            Operator::StringEquals
            | Operator::StringLessThan
            | Operator::StringGreaterThan
            | Operator::StringLessThanEquals
            | Operator::StringGreaterThanEquals
            | Operator::StringMatches => "string",
            Operator::NumericEquals
            | Operator::NumericLessThan
            | Operator::NumericGreaterThan
            | Operator::NumericLessThanEquals
            | Operator::NumericGreaterThanEquals => "number",
            _ => "boolean",
        }
    }

    fn has_path_form(self) -> bool {
        !matches!(
            self,
            Operator::StringMatches
                | Operator::IsPresent
                | Operator::IsNull
                | Operator::IsBoolean
                | Operator::IsNumeric
                | Operator::IsString
        )
    }
}

impl ChoiceRule {
    pub fn parse(value: &Value, location: &str) -> Result<Self, AslError> {
        let object = value
            .as_object()
            .ok_or_else(|| AslError::invalid(location, "a choice rule must be an object"))?;
        let next = object
            .get("Next")
            .and_then(Value::as_str)
            .ok_or_else(|| AslError::invalid(location, "a top-level choice rule needs a string \"Next\""))?
            .to_string();
        Ok(ChoiceRule {
            condition: Condition::parse_fields(object, location, &["Next"])?,
            next,
        })
    }
}

impl Condition {
    pub fn parse(value: &Value, location: &str) -> Result<Self, AslError> {
        let object = value
            .as_object()
            .ok_or_else(|| AslError::invalid(location, "a choice rule must be an object"))?;
        if object.contains_key("Next") {
            return Err(AslError::invalid(
                location,
                "a rule nested in And/Or/Not must not have \"Next\"",
            ));
        }
        Condition::parse_fields(object, location, &[])
    }

    fn parse_fields(object: &Map<String, Value>, location: &str, allowed_extra: &[&str]) -> Result<Self, AslError> {
        let rule_keys: Vec<&str> = object
            .keys()
            .map(String::as_str)
            .filter(|key| *key != "Comment" && *key != "Variable" && !allowed_extra.contains(key))
            .collect();
        let [key] = rule_keys.as_slice() else {
            return Err(AslError::invalid(
                location,
                format!("a choice rule needs exactly one of And, Or, Not or a comparison; found {rule_keys:?}"),
            ));
        };
        let operand_value = &object[*key];
        match *key {
            "And" | "Or" => {
                let rules = operand_value
                    .as_array()
                    .filter(|rules| !rules.is_empty())
                    .ok_or_else(|| {
                        AslError::invalid(location, format!("\"{key}\" must be a non-empty array of rules"))
                    })?;
                let conditions = rules
                    .iter()
                    .enumerate()
                    .map(|(index, rule)| Condition::parse(rule, &format!("{location}.{key}[{index}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(if *key == "And" {
                    Condition::And(conditions)
                } else {
                    Condition::Or(conditions)
                });
            }
            "Not" => {
                return Ok(Condition::Not(Box::new(Condition::parse(
                    operand_value,
                    &format!("{location}.Not"),
                )?)));
            }
            _ => {}
        }
        let (operator, is_path) = lookup_operator(key, location)?;
        let variable_text = object
            .get("Variable")
            .and_then(Value::as_str)
            .ok_or_else(|| AslError::invalid(location, format!("the comparison {key} needs a string \"Variable\"")))?;
        let variable = JsonPath::parse(variable_text).map_err(|error| AslError::invalid(location, error.0))?;
        let operand = if is_path {
            let text = operand_value
                .as_str()
                .ok_or_else(|| AslError::invalid(location, format!("\"{key}\" must be a JSONPath string")))?;
            Operand::Path(JsonPath::parse(text).map_err(|error| AslError::invalid(location, error.0))?)
        } else {
            let kind_matches = match operator.operand_kind() {
                "string" => operand_value.is_string(),
                "number" => operand_value.is_number(),
                _ => operand_value.is_boolean(),
            };
            if !kind_matches {
                return Err(AslError::invalid(
                    location,
                    format!("\"{key}\" must be a {}", operator.operand_kind()),
                ));
            }
            Operand::Literal(operand_value.clone())
        };
        Ok(Condition::Compare {
            variable,
            operator,
            operand,
        })
    }

    /// Evaluates the rule. A `Variable` (or `...Path` operand) that is absent is a `States.Runtime` failure,
    /// except for `IsPresent`; values of the wrong type simply do not match.
    pub fn evaluate(&self, input: &Value, context: &Value) -> Result<bool, StateFailure> {
        match self {
            Condition::And(conditions) => {
                for condition in conditions {
                    if !condition.evaluate(input, context)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Condition::Or(conditions) => {
                for condition in conditions {
                    if condition.evaluate(input, context)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Condition::Not(condition) => Ok(!condition.evaluate(input, context)?),
            Condition::Compare {
                variable,
                operator,
                operand,
            } => {
                let value = resolve(variable, input, context);
                if *operator == Operator::IsPresent {
                    return Ok(value.is_some() == (operand_literal(operand) == &Value::Bool(true)));
                }
                let value = value.ok_or_else(|| missing(variable))?;
                let operand = match operand {
                    Operand::Literal(literal) => literal,
                    Operand::Path(path) => resolve(path, input, context).ok_or_else(|| missing(path))?,
                };
                Ok(compare(*operator, value, operand))
            }
        }
    }
}

fn operand_literal(operand: &Operand) -> &Value {
    match operand {
        Operand::Literal(value) => value,
        Operand::Path(_) => &Value::Null,
    }
}

fn missing(path: &JsonPath) -> StateFailure {
    StateFailure::runtime(format!(
        "the Choice rule's path '{path}' could not be found in the {}",
        describe_root(path)
    ))
}

fn lookup_operator(key: &str, location: &str) -> Result<(Operator, bool), AslError> {
    if key.starts_with("Timestamp") {
        return Err(AslError::unsupported(location, format!("the choice comparison {key}")));
    }
    let (base, is_path) = match key.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (key, false),
    };
    OPERATORS
        .iter()
        .find(|(name, operator)| *name == base && (!is_path || operator.has_path_form()))
        .map(|(_, operator)| (*operator, is_path))
        .ok_or_else(|| AslError::invalid(location, format!("\"{key}\" is not a choice comparison")))
}

fn compare(operator: Operator, value: &Value, operand: &Value) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let strings = || Some(value.as_str()?.cmp(operand.as_str()?));
    let numbers = || value.as_f64()?.partial_cmp(&operand.as_f64()?);
    match operator {
        Operator::StringEquals => strings() == Some(Equal),
        Operator::StringLessThan => strings() == Some(Less),
        Operator::StringGreaterThan => strings() == Some(Greater),
        Operator::StringLessThanEquals => matches!(strings(), Some(Less | Equal)),
        Operator::StringGreaterThanEquals => matches!(strings(), Some(Greater | Equal)),
        Operator::StringMatches => match (value.as_str(), operand.as_str()) {
            (Some(text), Some(pattern)) => wildcard_match(pattern, text),
            _ => false,
        },
        Operator::NumericEquals => numbers() == Some(Equal),
        Operator::NumericLessThan => numbers() == Some(Less),
        Operator::NumericGreaterThan => numbers() == Some(Greater),
        Operator::NumericLessThanEquals => matches!(numbers(), Some(Less | Equal)),
        Operator::NumericGreaterThanEquals => matches!(numbers(), Some(Greater | Equal)),
        Operator::BooleanEquals => value.is_boolean() && value == operand,
        Operator::IsNull => value.is_null() == (operand == &Value::Bool(true)),
        Operator::IsBoolean => value.is_boolean() == (operand == &Value::Bool(true)),
        Operator::IsNumeric => value.is_number() == (operand == &Value::Bool(true)),
        Operator::IsString => value.is_string() == (operand == &Value::Bool(true)),
        Operator::IsPresent => unreachable!("IsPresent is decided before the value is needed"),
    }
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` stand for a literal `*` and `\`.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    enum Token {
        Star,
        Char(char),
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.push(Token::Char(chars.next().unwrap_or('\\'))),
            '*' => tokens.push(Token::Star),
            other => tokens.push(Token::Char(other)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Classic greedy matcher with backtracking to the last star.
    let (mut t, mut p) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Token::Star) => {
                last_star = Some((p, t));
                p += 1;
            }
            _ => match last_star {
                Some((star_p, star_t)) => {
                    last_star = Some((star_p, star_t + 1));
                    p = star_p + 1;
                    t = star_t + 1;
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| matches!(token, Token::Star))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn holds(rule: Value, input: Value) -> Result<bool, StateFailure> {
        Condition::parse(&rule, "test").unwrap().evaluate(&input, &json!({}))
    }

    #[test]
    fn boolean_equals_matches_only_booleans_of_that_value() {
        let rule = json!({"Variable": "$.done", "BooleanEquals": false});
        assert!(holds(rule.clone(), json!({"done": false})).unwrap());
        assert!(!holds(rule.clone(), json!({"done": true})).unwrap());
        assert!(!holds(rule, json!({"done": "false"})).unwrap());
    }

    #[test]
    fn string_and_numeric_comparisons() {
        assert!(
            holds(
                json!({"Variable": "$.c", "StringEquals": "users"}),
                json!({"c": "users"})
            )
            .unwrap()
        );
        assert!(!holds(json!({"Variable": "$.c", "StringEquals": "users"}), json!({"c": 1})).unwrap());
        assert!(holds(json!({"Variable": "$.c", "StringLessThan": "b"}), json!({"c": "a"})).unwrap());
        assert!(holds(json!({"Variable": "$.n", "NumericEquals": 3}), json!({"n": 3.0})).unwrap());
        assert!(
            holds(
                json!({"Variable": "$.n", "NumericGreaterThanEquals": 3}),
                json!({"n": 3})
            )
            .unwrap()
        );
        assert!(!holds(json!({"Variable": "$.n", "NumericLessThan": 3}), json!({"n": 3})).unwrap());
        assert!(
            holds(
                json!({"Variable": "$.n", "NumericEqualsPath": "$.m"}),
                json!({"n": 2, "m": 2})
            )
            .unwrap()
        );
    }

    #[test]
    fn string_matches_supports_wildcards_and_escapes() {
        let rule = |pattern: &str| json!({"Variable": "$.s", "StringMatches": pattern});
        assert!(holds(rule("app_*"), json!({"s": "app_users"})).unwrap());
        assert!(holds(rule("*_users"), json!({"s": "app_users"})).unwrap());
        assert!(holds(rule("a*p*s"), json!({"s": "app_users"})).unwrap());
        assert!(!holds(rule("group*"), json!({"s": "app_users"})).unwrap());
        assert!(holds(rule(r"a\*b"), json!({"s": "a*b"})).unwrap());
        assert!(!holds(rule(r"a\*b"), json!({"s": "axb"})).unwrap());
    }

    #[test]
    fn type_tests_and_presence() {
        let input = json!({"n": null, "b": true, "x": 1.5, "s": "t"});
        assert!(holds(json!({"Variable": "$.n", "IsNull": true}), input.clone()).unwrap());
        assert!(holds(json!({"Variable": "$.b", "IsBoolean": true}), input.clone()).unwrap());
        assert!(holds(json!({"Variable": "$.x", "IsNumeric": true}), input.clone()).unwrap());
        assert!(holds(json!({"Variable": "$.s", "IsString": false}), json!({"s": 1})).unwrap());
        assert!(holds(json!({"Variable": "$.missing", "IsPresent": false}), input.clone()).unwrap());
        assert!(!holds(json!({"Variable": "$.missing", "IsPresent": true}), input.clone()).unwrap());
        assert!(holds(json!({"Variable": "$.n", "IsPresent": true}), input).unwrap());
    }

    #[test]
    fn and_or_not_combine_rules() {
        let rule = json!({"And": [
            {"Variable": "$.a", "BooleanEquals": true},
            {"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Not": {"Variable": "$.s", "StringEquals": "x"}}]}
        ]});
        assert!(holds(rule.clone(), json!({"a": true, "n": 1, "s": "x"})).unwrap());
        assert!(holds(rule.clone(), json!({"a": true, "n": 2, "s": "y"})).unwrap());
        assert!(!holds(rule.clone(), json!({"a": true, "n": 2, "s": "x"})).unwrap());
        assert!(!holds(rule, json!({"a": false, "n": 1, "s": "x"})).unwrap());
    }

    #[test]
    fn a_missing_variable_is_a_runtime_failure_naming_the_path() {
        let failure = holds(json!({"Variable": "$.done", "BooleanEquals": true}), json!({})).unwrap_err();
        assert_eq!(failure.error, "States.Runtime");
        assert!(failure.cause.contains("'$.done'"), "{}", failure.cause);
    }

    #[test]
    fn malformed_and_unsupported_rules_are_refused() {
        let parse = |rule: Value| Condition::parse(&rule, "state 'C' Choices[0]").unwrap_err().to_string();
        assert!(
            parse(json!({"Variable": "$.t", "TimestampEquals": "2020-01-01T00:00:00Z"})).contains("TimestampEquals")
        );
        assert!(parse(json!({"Variable": "$.n", "NumericEquals": "1"})).contains("must be a number"));
        assert!(parse(json!({"Variable": "$.n", "Equals": 1})).contains("\"Equals\" is not a choice comparison"));
        assert!(parse(json!({"Variable": "$.n", "IsNullPath": "$.m"})).contains("IsNullPath"));
        assert!(parse(json!({"BooleanEquals": true})).contains("Variable"));
        assert!(parse(json!({"Variable": "$.a", "BooleanEquals": true, "Next": "X"})).contains("Next"));
        assert!(
            ChoiceRule::parse(&json!({"Variable": "$.a", "BooleanEquals": true}), "r")
                .unwrap_err()
                .to_string()
                .contains("Next")
        );
    }
}
