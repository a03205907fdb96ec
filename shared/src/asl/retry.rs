//! Retry and Catch: which error names a rule matches, how long to wait before the next attempt, and the
//! parsing of both (including the ASL rule that `States.ALL` stands alone in the last rule).

use std::ops::RangeInclusive;
use std::time::Duration;

use serde_json::{Map, Value};

use super::error::{AslError, names};
use super::path::JsonPath;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    None,
    /// AWS "FULL" jitter: wait a uniformly random time between zero and the computed delay.
    Full,
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: u32,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u32>,
    pub jitter: Jitter,
}

/// Bounds Step Functions puts on retrier fields (developer guide, concepts-error-handling, "Retrier fields";
/// the same bounds are in the schema of aws/amazon-states-language-service, `partial/common.json`).
/// `IntervalSeconds` and `MaxDelaySeconds` are positive integers, `MaxAttempts` a non-negative integer,
/// `BackoffRate` a number of at least 1.0. A JSON number with a fraction (`1.5`, even `2.0`) is not an
/// integer here: stricter than AWS at worst, never laxer.
const MAX_INTERVAL_SECONDS: u32 = 99_999_999;
const MAX_ATTEMPTS: u32 = 99_999_999;
/// One leap year of seconds.
const MAX_DELAY_SECONDS: u32 = 31_622_400;

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: String,
    /// `None` is `"ResultPath": null`: the error is dropped and the state's input passes on unchanged.
    pub result_path: Option<JsonPath>,
}

/// Whether an `ErrorEquals` list matches an error name. `States.ALL` matches everything and
/// `States.TaskFailed` everything but `States.Timeout`; `States.Runtime` is never matched, because AWS never
/// retries or catches it (see [`names`]).
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    if error == names::RUNTIME {
        return false;
    }
    error_equals
        .iter()
        .any(|name| name == error || name == names::ALL || (name == names::TASK_FAILED && error != names::TIMEOUT))
}

impl Retrier {
    /// The wait before retry number `retry_index` (0 for the first retry):
    /// `IntervalSeconds * BackoffRate^retry_index`, capped at `MaxDelaySeconds`, then jittered.
    /// `random_unit` is a number in `[0, 1)` used only by FULL jitter; `scale` shrinks the wait (tests use 0).
    pub fn delay(&self, retry_index: u32, random_unit: f64, scale: f64) -> Duration {
        let exponent = i32::try_from(retry_index).unwrap_or(i32::MAX);
        let mut seconds = f64::from(self.interval_seconds) * self.backoff_rate.powi(exponent);
        if let Some(cap) = self.max_delay_seconds {
            seconds = seconds.min(f64::from(cap));
        }
        if self.jitter == Jitter::Full {
            seconds *= random_unit.clamp(0.0, 1.0);
        }
        let scaled = seconds * scale.max(0.0);
        // A huge backoff must not overflow Duration; a year is as good as forever here.
        Duration::from_secs_f64(if scaled.is_finite() {
            scaled.min(31_536_000.0)
        } else {
            31_536_000.0
        })
    }

    pub fn parse_list(value: &Value, location: &str) -> Result<Vec<Self>, AslError> {
        let rules = list(value, location)?;
        let retriers = rules
            .iter()
            .enumerate()
            .map(|(index, rule)| Retrier::parse(rule, &format!("{location}[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        check_states_all_last(retriers.iter().map(|retrier| &retrier.error_equals), location)?;
        Ok(retriers)
    }

    fn parse(value: &Value, location: &str) -> Result<Self, AslError> {
        let object = rule_object(
            value,
            location,
            &[
                "ErrorEquals",
                "IntervalSeconds",
                "MaxAttempts",
                "BackoffRate",
                "MaxDelaySeconds",
                "JitterStrategy",
                "Comment",
            ],
        )?;
        let integer = |field: &str, range: RangeInclusive<u32>| -> Result<Option<u32>, AslError> {
            match object.get(field) {
                None => Ok(None),
                Some(value) => value
                    .as_u64()
                    .and_then(|number| u32::try_from(number).ok())
                    .filter(|number| range.contains(number))
                    .map(Some)
                    .ok_or_else(|| {
                        AslError::invalid(
                            location,
                            format!(
                                "\"{field}\" must be a whole number from {} to {} (Step Functions refuses {value})",
                                range.start(),
                                range.end()
                            ),
                        )
                    }),
            }
        };
        let interval_seconds = integer("IntervalSeconds", 1..=MAX_INTERVAL_SECONDS)?.unwrap_or(1);
        let max_attempts = integer("MaxAttempts", 0..=MAX_ATTEMPTS)?.unwrap_or(3);
        let max_delay_seconds = integer("MaxDelaySeconds", 1..=MAX_DELAY_SECONDS)?;
        let backoff_rate = match object.get("BackoffRate") {
            None => 2.0,
            Some(value) => value.as_f64().filter(|rate| *rate >= 1.0).ok_or_else(|| {
                AslError::invalid(
                    location,
                    format!("\"BackoffRate\" must be a number of at least 1.0 (Step Functions refuses {value})"),
                )
            })?,
        };
        let jitter = match object.get("JitterStrategy").map(|value| value.as_str()) {
            None | Some(Some("NONE")) => Jitter::None,
            Some(Some("FULL")) => Jitter::Full,
            Some(_) => {
                return Err(AslError::invalid(
                    location,
                    "\"JitterStrategy\" must be \"FULL\" or \"NONE\"",
                ));
            }
        };
        Ok(Retrier {
            error_equals: error_equals(object, location)?,
            interval_seconds,
            max_attempts,
            backoff_rate,
            max_delay_seconds,
            jitter,
        })
    }
}

impl Catcher {
    pub fn parse_list(value: &Value, location: &str) -> Result<Vec<Self>, AslError> {
        let rules = list(value, location)?;
        let catchers = rules
            .iter()
            .enumerate()
            .map(|(index, rule)| Catcher::parse(rule, &format!("{location}[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        check_states_all_last(catchers.iter().map(|catcher| &catcher.error_equals), location)?;
        Ok(catchers)
    }

    fn parse(value: &Value, location: &str) -> Result<Self, AslError> {
        let object = rule_object(value, location, &["ErrorEquals", "Next", "ResultPath", "Comment"])?;
        let next = object
            .get("Next")
            .and_then(Value::as_str)
            .ok_or_else(|| AslError::invalid(location, "a Catch rule needs a string \"Next\""))?
            .to_string();
        let result_path = match object.get("ResultPath") {
            None => Some(JsonPath::root()),
            Some(Value::Null) => None,
            Some(Value::String(text)) => Some(reference_path(text, &format!("{location}.ResultPath"))?),
            Some(_) => {
                return Err(AslError::invalid(
                    location,
                    "\"ResultPath\" must be a JSONPath string or null",
                ));
            }
        };
        Ok(Catcher {
            error_equals: error_equals(object, location)?,
            next,
            result_path,
        })
    }
}

/// A path that writes into the input (ResultPath): it must be rooted at `$`, not the context object.
pub fn reference_path(text: &str, location: &str) -> Result<JsonPath, AslError> {
    let path = JsonPath::parse(text).map_err(|error| AslError::invalid(location, error.0))?;
    if path.root_kind() != super::path::PathRoot::Input {
        return Err(AslError::invalid(
            location,
            format!("'{text}' must start with '$', not '$$'"),
        ));
    }
    Ok(path)
}

fn list<'a>(value: &'a Value, location: &str) -> Result<&'a Vec<Value>, AslError> {
    value
        .as_array()
        .ok_or_else(|| AslError::invalid(location, "must be an array of rules"))
}

fn rule_object<'a>(value: &'a Value, location: &str, known: &[&str]) -> Result<&'a Map<String, Value>, AslError> {
    let object = value
        .as_object()
        .ok_or_else(|| AslError::invalid(location, "a rule must be an object"))?;
    if let Some(unknown) = object.keys().find(|key| !known.contains(&key.as_str())) {
        return Err(AslError::unsupported(location, format!("the field \"{unknown}\"")));
    }
    Ok(object)
}

fn error_equals(object: &Map<String, Value>, location: &str) -> Result<Vec<String>, AslError> {
    let names: Option<Vec<String>> = object
        .get("ErrorEquals")
        .and_then(Value::as_array)
        .filter(|names| !names.is_empty())
        .map(|names| names.iter().map(|name| name.as_str().map(str::to_string)).collect())
        .and_then(|names: Option<Vec<String>>| names);
    let names =
        names.ok_or_else(|| AslError::invalid(location, "\"ErrorEquals\" must be a non-empty array of strings"))?;
    if names.iter().any(|name| name == names::ALL) && names.len() > 1 {
        return Err(AslError::invalid(
            location,
            "\"States.ALL\" must appear alone in \"ErrorEquals\"",
        ));
    }
    Ok(names)
}

fn check_states_all_last<'a>(
    mut rules: impl ExactSizeIterator<Item = &'a Vec<String>>,
    location: &str,
) -> Result<(), AslError> {
    let last = rules.len().saturating_sub(1);
    match rules.position(|names| names.iter().any(|name| name == names::ALL)) {
        Some(index) if index != last => Err(AslError::invalid(
            format!("{location}[{index}]"),
            "a rule with \"States.ALL\" must be the last one",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn retrier(rule: Value) -> Retrier {
        Retrier::parse_list(&json!([rule]), "Retry").unwrap().remove(0)
    }

    #[test]
    fn backoff_grows_geometrically_from_the_interval() {
        let retrier = retrier(json!({"ErrorEquals": ["X"], "IntervalSeconds": 2, "BackoffRate": 2}));
        let delays: Vec<f64> = (0..5).map(|n| retrier.delay(n, 0.5, 1.0).as_secs_f64()).collect();
        assert_eq!(delays, vec![2.0, 4.0, 8.0, 16.0, 32.0]);
    }

    #[test]
    fn defaults_follow_the_asl_spec() {
        let retrier = retrier(json!({"ErrorEquals": ["X"]}));
        assert_eq!(retrier.max_attempts, 3);
        assert_eq!(retrier.delay(0, 0.0, 1.0), Duration::from_secs(1));
        assert_eq!(retrier.delay(2, 0.0, 1.0), Duration::from_secs(4));
    }

    #[test]
    fn max_delay_caps_and_full_jitter_scales_the_wait() {
        let retrier = retrier(json!({
            "ErrorEquals": ["X"], "IntervalSeconds": 3, "BackoffRate": 3, "MaxDelaySeconds": 20, "JitterStrategy": "FULL"
        }));
        assert_eq!(retrier.delay(1, 0.999_999, 1.0).as_secs_f64().round(), 9.0);
        assert_eq!(retrier.delay(5, 0.999_999, 1.0).as_secs_f64().round(), 20.0);
        assert_eq!(retrier.delay(5, 0.25, 1.0), Duration::from_secs(5));
        assert_eq!(retrier.delay(5, 0.0, 1.0), Duration::ZERO);
    }

    #[test]
    fn scale_shrinks_waits_and_huge_backoffs_do_not_overflow() {
        let retrier = retrier(json!({"ErrorEquals": ["X"], "IntervalSeconds": 2, "BackoffRate": 10}));
        assert_eq!(retrier.delay(3, 0.0, 0.0), Duration::ZERO);
        assert_eq!(retrier.delay(1, 0.0, 0.5), Duration::from_secs(10));
        assert_eq!(retrier.delay(400, 0.0, 1.0), Duration::from_secs(31_536_000));
    }

    #[test]
    fn states_all_matches_everything_except_runtime() {
        let all = vec!["States.ALL".to_string()];
        assert!(error_matches(&all, "OktaVault.Fatal"));
        assert!(error_matches(&all, "States.NoChoiceMatched"));
        assert!(!error_matches(&all, "States.Runtime"));
        let task_failed = vec!["States.TaskFailed".to_string()];
        assert!(error_matches(&task_failed, "OktaVault.Retryable"));
        assert!(!error_matches(&task_failed, "States.Timeout"));
        assert!(!error_matches(&task_failed, "States.Runtime"));
        let named = vec!["OktaVault.Retryable".to_string(), "Lambda.ServiceException".to_string()];
        assert!(error_matches(&named, "Lambda.ServiceException"));
        assert!(!error_matches(&named, "OktaVault.Fatal"));
    }

    #[test]
    fn catch_result_path_defaults_to_root_and_may_be_null() {
        let catchers = Catcher::parse_list(
            &json!([
                {"ErrorEquals": ["A"], "Next": "X"},
                {"ErrorEquals": ["B"], "Next": "X", "ResultPath": null},
                {"ErrorEquals": ["States.ALL"], "Next": "X", "ResultPath": "$.error"}
            ]),
            "Catch",
        )
        .unwrap();
        assert!(catchers[0].result_path.as_ref().unwrap().is_root());
        assert!(catchers[1].result_path.is_none());
        assert_eq!(catchers[2].result_path.as_ref().unwrap().to_string(), "$.error");
    }

    #[test]
    fn states_all_must_be_alone_and_last() {
        let error = Retrier::parse_list(&json!([{"ErrorEquals": ["States.ALL", "X"]}]), "state 'T' Retry").unwrap_err();
        assert!(error.to_string().contains("alone"), "{error}");
        let error = Catcher::parse_list(
            &json!([{"ErrorEquals": ["States.ALL"], "Next": "F"}, {"ErrorEquals": ["X"], "Next": "F"}]),
            "state 'T' Catch",
        )
        .unwrap_err();
        assert!(error.to_string().contains("state 'T' Catch[0]"), "{error}");
    }

    #[test]
    fn invalid_retry_fields_are_refused() {
        for (rule, words) in [
            (json!({"ErrorEquals": []}), "ErrorEquals"),
            (json!({"ErrorEquals": ["X"], "MaxAttempts": -1}), "MaxAttempts"),
            (json!({"ErrorEquals": ["X"], "BackoffRate": 0.5}), "BackoffRate"),
            (
                json!({"ErrorEquals": ["X"], "JitterStrategy": "HALF"}),
                "JitterStrategy",
            ),
            (json!({"ErrorEquals": ["X"], "Backoff": 2}), "Backoff"),
        ] {
            let error = Retrier::parse_list(&json!([rule]), "Retry").unwrap_err().to_string();
            assert!(error.contains(words), "{words}: {error}");
        }
    }
}
