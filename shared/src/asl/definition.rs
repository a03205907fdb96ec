//! Loading a definition: definition substitutions, then a typed tree of states. Anything the runner
//! would not execute faithfully (other state types, JSONata, distributed Maps, unknown fields) is refused
//! here, by name, rather than ignored at run time.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::choice::ChoiceRule;
use super::error::AslError;
use super::path::{JsonPath, PathRoot};
use super::retry::{Catcher, Retrier, reference_path};
use super::template::Template;

/// The only Task resource the definitions use: Lambda invoke through the optimized integration.
pub const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// The largest Task `TimeoutSeconds` Step Functions accepts (aws/amazon-states-language-service schema).
const MAX_TIMEOUT_SECONDS: u64 = 99_999_999;

/// A `States` block with its `StartAt`: the whole machine, or a Map's item processor.
#[derive(Debug)]
pub struct Scope {
    pub start_at: String,
    pub states: HashMap<String, State>,
}

#[derive(Debug)]
pub struct State {
    pub name: String,
    /// `None` is `"InputPath": null` (the state sees `{}`); absent means `$`.
    pub input_path: Option<JsonPath>,
    /// `None` is `"OutputPath": null` (the state outputs `{}`); absent means `$`.
    pub output_path: Option<JsonPath>,
    pub kind: StateKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Next(String),
    End,
}

#[derive(Debug)]
pub enum StateKind {
    Task(TaskState),
    Map(MapState),
    Choice(ChoiceState),
    Pass(PassState),
    Succeed,
    Fail(FailState),
}

#[derive(Debug)]
pub struct TaskState {
    pub parameters: Template,
    pub result_selector: Option<Template>,
    pub result_path: Option<JsonPath>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub timeout_seconds: Option<u64>,
    pub transition: Transition,
}

#[derive(Debug)]
pub struct MapState {
    pub items_path: JsonPath,
    /// `ItemSelector` (or its older name `Parameters`): builds each iteration's input.
    pub item_selector: Option<Template>,
    /// 0 means no limit.
    pub max_concurrency: usize,
    pub processor: Arc<Scope>,
    pub result_selector: Option<Template>,
    pub result_path: Option<JsonPath>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub transition: Transition,
}

#[derive(Debug)]
pub struct ChoiceState {
    pub choices: Vec<ChoiceRule>,
    pub default: Option<String>,
}

#[derive(Debug)]
pub struct PassState {
    pub result: Option<Value>,
    pub parameters: Option<Template>,
    pub result_path: Option<JsonPath>,
    pub transition: Transition,
}

#[derive(Debug)]
pub struct FailState {
    pub error: String,
    pub cause: String,
}

/// Parses a whole definition after applying `substitutions` (`${Key}` in any string becomes its value).
pub fn parse_definition(
    definition_json: &str,
    substitutions: &HashMap<String, String>,
) -> Result<(Arc<Scope>, BTreeSet<String>), AslError> {
    let mut root: Value = serde_json::from_str(definition_json).map_err(AslError::InvalidJson)?;
    substitute(&mut root, substitutions, "the definition")?;
    let object = root
        .as_object()
        .ok_or_else(|| AslError::invalid("the definition", "it must be a JSON object"))?;
    check_fields(
        object,
        "the definition",
        &["Comment", "StartAt", "States", "Version", "QueryLanguage"],
    )?;
    check_query_language(object, "the definition")?;
    let mut functions = BTreeSet::new();
    let scope = parse_scope(object, "the definition", &mut functions)?;
    Ok((Arc::new(scope), functions))
}

/// Replaces `${Key}` placeholders in every string value, as CloudFormation's DefinitionSubstitutions do.
fn substitute(value: &mut Value, substitutions: &HashMap<String, String>, location: &str) -> Result<(), AslError> {
    match value {
        Value::String(text) => {
            let mut result = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(start) = rest.find("${") {
                let Some(length) = rest[start + 2..].find('}') else {
                    break;
                };
                let key = &rest[start + 2..start + 2 + length];
                let replacement = substitutions.get(key).ok_or_else(|| AslError::MissingSubstitution {
                    location: location.to_string(),
                    placeholder: key.to_string(),
                })?;
                result.push_str(&rest[..start]);
                result.push_str(replacement);
                rest = &rest[start + 3 + length..];
            }
            result.push_str(rest);
            *text = result;
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                substitute(item, substitutions, &format!("{location}[{index}]"))?;
            }
        }
        Value::Object(object) => {
            for (key, item) in object.iter_mut() {
                substitute(item, substitutions, &format!("{location}.{key}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn parse_scope(
    object: &Map<String, Value>,
    location: &str,
    functions: &mut BTreeSet<String>,
) -> Result<Scope, AslError> {
    let start_at = required_str(object, "StartAt", location)?.to_string();
    let states_json = object
        .get("States")
        .and_then(Value::as_object)
        .filter(|states| !states.is_empty())
        .ok_or_else(|| AslError::invalid(location, "\"States\" must be a non-empty object"))?;
    let mut states = HashMap::with_capacity(states_json.len());
    for (name, state_json) in states_json {
        states.insert(name.clone(), parse_state(name, state_json, functions)?);
    }
    let scope = Scope { start_at, states };
    check_targets(&scope, location)?;
    Ok(scope)
}

/// Every `StartAt`, `Next`, `Default` and Catch target must name a state of the same `States` block.
fn check_targets(scope: &Scope, location: &str) -> Result<(), AslError> {
    let exists = |target: &str, referrer: &str| {
        if scope.states.contains_key(target) {
            Ok(())
        } else {
            Err(AslError::invalid(
                referrer,
                format!("it refers to a state \"{target}\" that does not exist here"),
            ))
        }
    };
    exists(&scope.start_at, &format!("{location} StartAt"))?;
    for state in scope.states.values() {
        let here = format!("state '{}'", state.name);
        let (transition, catch): (Option<&Transition>, &[Catcher]) = match &state.kind {
            StateKind::Task(task) => (Some(&task.transition), &task.catch),
            StateKind::Map(map) => (Some(&map.transition), &map.catch),
            StateKind::Pass(pass) => (Some(&pass.transition), &[]),
            StateKind::Choice(choice) => {
                for rule in &choice.choices {
                    exists(&rule.next, &here)?;
                }
                if let Some(default) = &choice.default {
                    exists(default, &here)?;
                }
                (None, &[])
            }
            StateKind::Succeed | StateKind::Fail(_) => (None, &[]),
        };
        if let Some(Transition::Next(next)) = transition {
            exists(next, &here)?;
        }
        for catcher in catch {
            exists(&catcher.next, &format!("{here} Catch"))?;
        }
    }
    Ok(())
}

const COMMON_FIELDS: &[&str] = &["Type", "Comment", "QueryLanguage"];

fn parse_state(name: &str, value: &Value, functions: &mut BTreeSet<String>) -> Result<State, AslError> {
    let location = format!("state '{name}'");
    let object = value
        .as_object()
        .ok_or_else(|| AslError::invalid(&location, "a state must be an object"))?;
    check_query_language(object, &location)?;
    let state_type = required_str(object, "Type", &location)?;
    let (fields, kind): (&[&str], StateKind) = match state_type {
        "Task" => (
            &[
                "Resource",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "InputPath",
                "OutputPath",
                "Retry",
                "Catch",
                "TimeoutSeconds",
                "Next",
                "End",
            ],
            StateKind::Task(parse_task(object, &location, functions)?),
        ),
        "Map" => (
            &[
                "InputPath",
                "OutputPath",
                "ItemsPath",
                "ItemSelector",
                "Parameters",
                "ItemProcessor",
                "Iterator",
                "MaxConcurrency",
                "ResultSelector",
                "ResultPath",
                "Retry",
                "Catch",
                "Next",
                "End",
            ],
            StateKind::Map(parse_map(object, &location, functions)?),
        ),
        "Choice" => (
            &["InputPath", "OutputPath", "Choices", "Default"],
            StateKind::Choice(parse_choice(object, &location)?),
        ),
        "Pass" => (
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "Result",
                "ResultPath",
                "Next",
                "End",
            ],
            StateKind::Pass(PassState {
                result: object.get("Result").cloned(),
                parameters: optional_template(object, "Parameters", &location)?,
                result_path: result_path(object, &location)?,
                transition: transition(object, &location)?,
            }),
        ),
        "Succeed" => (&["InputPath", "OutputPath"], StateKind::Succeed),
        "Fail" => (
            &["Error", "Cause"],
            StateKind::Fail(FailState {
                error: optional_str(object, "Error", &location)?.unwrap_or_default(),
                cause: optional_str(object, "Cause", &location)?.unwrap_or_default(),
            }),
        ),
        other => return Err(AslError::unsupported(&location, format!("the state type \"{other}\""))),
    };
    let allowed: Vec<&str> = COMMON_FIELDS.iter().chain(fields).copied().collect();
    check_fields(object, &location, &allowed)?;
    Ok(State {
        name: name.to_string(),
        input_path: io_path(object, "InputPath", &location)?,
        output_path: io_path(object, "OutputPath", &location)?,
        kind,
    })
}

fn parse_task(
    object: &Map<String, Value>,
    location: &str,
    functions: &mut BTreeSet<String>,
) -> Result<TaskState, AslError> {
    let resource = required_str(object, "Resource", location)?;
    if resource != LAMBDA_INVOKE {
        return Err(AslError::unsupported(
            location,
            format!("the Task resource \"{resource}\" (only \"{LAMBDA_INVOKE}\" is run)"),
        ));
    }
    let parameters_location = format!("{location} Parameters");
    let parameters_json = object.get("Parameters").and_then(Value::as_object).ok_or_else(|| {
        AslError::invalid(
            location,
            "a lambda:invoke Task needs \"Parameters\" with \"FunctionName\"",
        )
    })?;
    for key in parameters_json.keys() {
        if !matches!(
            key.as_str(),
            "FunctionName" | "FunctionName.$" | "Payload" | "Payload.$"
        ) {
            return Err(AslError::unsupported(
                &parameters_location,
                format!("the lambda:invoke parameter \"{key}\""),
            ));
        }
    }
    let parameters = Template::parse(&Value::Object(parameters_json.clone()), &parameters_location)?;
    match parameters_json.get("FunctionName") {
        Some(Value::String(function)) => {
            functions.insert(super::function_name(function).to_string());
        }
        Some(_) => {
            return Err(AslError::invalid(
                &parameters_location,
                "\"FunctionName\" must be a string",
            ));
        }
        None if parameters_json.contains_key("FunctionName.$") => {}
        None => return Err(AslError::invalid(&parameters_location, "\"FunctionName\" is required")),
    }
    let timeout_seconds = match object.get("TimeoutSeconds") {
        None => None,
        Some(value) => Some(
            value
                .as_u64()
                .filter(|seconds| (1..=MAX_TIMEOUT_SECONDS).contains(seconds))
                .ok_or_else(|| {
                    AslError::invalid(
                        location,
                        format!("\"TimeoutSeconds\" must be a whole number from 1 to {MAX_TIMEOUT_SECONDS}"),
                    )
                })?,
        ),
    };
    Ok(TaskState {
        parameters,
        result_selector: optional_template(object, "ResultSelector", location)?,
        result_path: result_path(object, location)?,
        retry: retry(object, location)?,
        catch: catch(object, location)?,
        timeout_seconds,
        transition: transition(object, location)?,
    })
}

fn parse_map(
    object: &Map<String, Value>,
    location: &str,
    functions: &mut BTreeSet<String>,
) -> Result<MapState, AslError> {
    let items_path = match object.get("ItemsPath") {
        None => JsonPath::root(),
        Some(Value::String(text)) => JsonPath::parse(text).map_err(|error| AslError::invalid(location, error.0))?,
        Some(_) => return Err(AslError::invalid(location, "\"ItemsPath\" must be a JSONPath string")),
    };
    let item_selector = match (object.contains_key("ItemSelector"), object.contains_key("Parameters")) {
        (true, true) => {
            return Err(AslError::invalid(
                location,
                "use \"ItemSelector\" or \"Parameters\", not both",
            ));
        }
        (true, false) => optional_template(object, "ItemSelector", location)?,
        (false, _) => optional_template(object, "Parameters", location)?,
    };
    let max_concurrency = match object.get("MaxConcurrency") {
        None => 0,
        Some(value) => value
            .as_u64()
            .and_then(|limit| usize::try_from(limit).ok())
            .ok_or_else(|| AslError::invalid(location, "\"MaxConcurrency\" must be a non-negative integer"))?,
    };
    let (processor_key, processor_json) = match (object.get("ItemProcessor"), object.get("Iterator")) {
        (Some(_), Some(_)) => {
            return Err(AslError::invalid(
                location,
                "use \"ItemProcessor\" or \"Iterator\", not both",
            ));
        }
        (Some(processor), None) => ("ItemProcessor", processor),
        (None, Some(iterator)) => ("Iterator", iterator),
        (None, None) => return Err(AslError::invalid(location, "a Map state needs \"ItemProcessor\"")),
    };
    let processor_location = format!("{location} {processor_key}");
    let processor_object = processor_json
        .as_object()
        .ok_or_else(|| AslError::invalid(&processor_location, "must be an object with StartAt and States"))?;
    check_fields(
        processor_object,
        &processor_location,
        &["Comment", "StartAt", "States", "ProcessorConfig"],
    )?;
    check_processor_config(processor_object, &processor_location)?;
    Ok(MapState {
        items_path,
        item_selector,
        max_concurrency,
        processor: Arc::new(parse_scope(processor_object, &processor_location, functions)?),
        result_selector: optional_template(object, "ResultSelector", location)?,
        result_path: result_path(object, location)?,
        retry: retry(object, location)?,
        catch: catch(object, location)?,
        transition: transition(object, location)?,
    })
}

fn check_processor_config(processor: &Map<String, Value>, location: &str) -> Result<(), AslError> {
    let Some(config) = processor.get("ProcessorConfig") else {
        return Ok(());
    };
    let config = config
        .as_object()
        .ok_or_else(|| AslError::invalid(location, "\"ProcessorConfig\" must be an object"))?;
    check_fields(config, &format!("{location} ProcessorConfig"), &["Mode"])?;
    match config.get("Mode").map(|mode| mode.as_str()) {
        None | Some(Some("INLINE")) => Ok(()),
        Some(Some(mode)) => Err(AslError::unsupported(
            location,
            format!("the Map mode \"{mode}\" (only INLINE is run)"),
        )),
        Some(None) => Err(AslError::invalid(location, "\"ProcessorConfig.Mode\" must be a string")),
    }
}

fn parse_choice(object: &Map<String, Value>, location: &str) -> Result<ChoiceState, AslError> {
    let choices = object
        .get("Choices")
        .and_then(Value::as_array)
        .filter(|choices| !choices.is_empty())
        .ok_or_else(|| AslError::invalid(location, "a Choice state needs a non-empty \"Choices\" array"))?
        .iter()
        .enumerate()
        .map(|(index, rule)| ChoiceRule::parse(rule, &format!("{location} Choices[{index}]")))
        .collect::<Result<_, _>>()?;
    Ok(ChoiceState {
        choices,
        default: optional_str(object, "Default", location)?,
    })
}

fn check_fields(object: &Map<String, Value>, location: &str, known: &[&str]) -> Result<(), AslError> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(unknown) => Err(AslError::unsupported(location, format!("the field \"{unknown}\""))),
        None => Ok(()),
    }
}

fn check_query_language(object: &Map<String, Value>, location: &str) -> Result<(), AslError> {
    match object.get("QueryLanguage").map(|language| language.as_str()) {
        None | Some(Some("JSONPath")) => Ok(()),
        Some(Some(language)) => Err(AslError::unsupported(
            location,
            format!("the query language \"{language}\""),
        )),
        Some(None) => Err(AslError::invalid(location, "\"QueryLanguage\" must be a string")),
    }
}

fn required_str<'a>(object: &'a Map<String, Value>, field: &str, location: &str) -> Result<&'a str, AslError> {
    object
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| AslError::invalid(location, format!("\"{field}\" must be a string")))
}

fn optional_str(object: &Map<String, Value>, field: &str, location: &str) -> Result<Option<String>, AslError> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(AslError::invalid(location, format!("\"{field}\" must be a string"))),
    }
}

fn optional_template(object: &Map<String, Value>, field: &str, location: &str) -> Result<Option<Template>, AslError> {
    let Some(value) = object.get(field) else {
        return Ok(None);
    };
    if !value.is_object() {
        return Err(AslError::invalid(location, format!("\"{field}\" must be an object")));
    }
    Template::parse(value, &format!("{location} {field}")).map(Some)
}

fn io_path(object: &Map<String, Value>, field: &str, location: &str) -> Result<Option<JsonPath>, AslError> {
    match object.get(field) {
        None => Ok(Some(JsonPath::root())),
        Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            let path = JsonPath::parse(text).map_err(|error| AslError::invalid(location, error.0))?;
            if path.root_kind() == PathRoot::Context {
                return Err(AslError::unsupported(
                    location,
                    format!("a context path in \"{field}\""),
                ));
            }
            Ok(Some(path))
        }
        Some(_) => Err(AslError::invalid(
            location,
            format!("\"{field}\" must be a JSONPath string or null"),
        )),
    }
}

fn result_path(object: &Map<String, Value>, location: &str) -> Result<Option<JsonPath>, AslError> {
    match object.get("ResultPath") {
        None => Ok(Some(JsonPath::root())),
        Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => reference_path(text, &format!("{location} ResultPath")).map(Some),
        Some(_) => Err(AslError::invalid(
            location,
            "\"ResultPath\" must be a JSONPath string or null",
        )),
    }
}

fn retry(object: &Map<String, Value>, location: &str) -> Result<Vec<Retrier>, AslError> {
    object.get("Retry").map_or(Ok(Vec::new()), |value| {
        Retrier::parse_list(value, &format!("{location} Retry"))
    })
}

fn catch(object: &Map<String, Value>, location: &str) -> Result<Vec<Catcher>, AslError> {
    object.get("Catch").map_or(Ok(Vec::new()), |value| {
        Catcher::parse_list(value, &format!("{location} Catch"))
    })
}

fn transition(object: &Map<String, Value>, location: &str) -> Result<Transition, AslError> {
    match (object.get("Next"), object.get("End")) {
        (Some(Value::String(next)), None) => Ok(Transition::Next(next.clone())),
        (None, Some(Value::Bool(true))) => Ok(Transition::End),
        _ => Err(AslError::invalid(
            location,
            "the state needs either a string \"Next\" or \"End\": true",
        )),
    }
}
