//! Payload templates: the JSON of `Parameters`, `ItemSelector` and `ResultSelector`, where a field whose
//! name ends in `.$` takes its value from a path (`"job_id.$": "$.job_id"`) and keeps the name without it.

use serde_json::{Map, Value};

use super::error::{AslError, StateFailure};
use super::path::{JsonPath, PathRoot};

#[derive(Debug, Clone)]
pub enum Template {
    Literal(Value),
    Object(Vec<(String, Field)>),
    Array(Vec<Template>),
}

#[derive(Debug, Clone)]
pub enum Field {
    /// `"name.$": "$.path"`: the field is named `name` and holds the node at the path.
    Path {
        source_key: String,
        path: JsonPath,
    },
    Template(Template),
}

impl Template {
    /// Compiles a template; `location` names where it sits (e.g. `state 'PlanBackup' Parameters`).
    pub fn parse(value: &Value, location: &str) -> Result<Self, AslError> {
        match value {
            Value::Object(object) => {
                let mut fields = Vec::with_capacity(object.len());
                for (key, field_value) in object {
                    let field_location = format!("{location}.{key}");
                    match key.strip_suffix(".$") {
                        Some(name) => {
                            let path = parse_path_field(field_value, &field_location)?;
                            fields.push((
                                name.to_string(),
                                Field::Path {
                                    source_key: key.clone(),
                                    path,
                                },
                            ));
                        }
                        None => fields.push((
                            key.clone(),
                            Field::Template(Template::parse(field_value, &field_location)?),
                        )),
                    }
                }
                Ok(Template::Object(fields))
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| Template::parse(item, &format!("{location}[{index}]")))
                .collect::<Result<_, _>>()
                .map(Template::Array),
            literal => Ok(Template::Literal(literal.clone())),
        }
    }

    /// Builds the template's value from the effective input (`$`) and the context object (`$$`).
    pub fn evaluate(&self, input: &Value, context: &Value) -> Result<Value, StateFailure> {
        match self {
            Template::Literal(value) => Ok(value.clone()),
            Template::Array(items) => items
                .iter()
                .map(|item| item.evaluate(input, context))
                .collect::<Result<_, _>>()
                .map(Value::Array),
            Template::Object(fields) => {
                let mut object = Map::with_capacity(fields.len());
                for (name, field) in fields {
                    let value = match field {
                        Field::Template(template) => template.evaluate(input, context)?,
                        Field::Path { source_key, path } => resolve(path, input, context)
                            .ok_or_else(|| {
                                StateFailure::runtime(format!(
                                    "the JSONPath '{path}' given for the field '{source_key}' could not be found in the {}",
                                    describe_root(path)
                                ))
                            })?
                            .clone(),
                    };
                    object.insert(name.clone(), value);
                }
                Ok(Value::Object(object))
            }
        }
    }
}

/// Reads a path against the input or the context object, whichever it is rooted at.
pub fn resolve<'a>(path: &JsonPath, input: &'a Value, context: &'a Value) -> Option<&'a Value> {
    match path.root_kind() {
        PathRoot::Input => path.get(input),
        PathRoot::Context => path.get(context),
    }
}

pub fn describe_root(path: &JsonPath) -> &'static str {
    match path.root_kind() {
        PathRoot::Input => "state input",
        PathRoot::Context => "context object",
    }
}

fn parse_path_field(value: &Value, location: &str) -> Result<JsonPath, AslError> {
    let Some(text) = value.as_str() else {
        return Err(AslError::invalid(
            location,
            "a field ending in '.$' must hold a JSONPath string",
        ));
    };
    if text.starts_with("States.") {
        let function = text.split('(').next().unwrap_or(text);
        return Err(AslError::unsupported(
            location,
            format!("the intrinsic function {function}"),
        ));
    }
    JsonPath::parse(text).map_err(|error| AslError::invalid(location, error.0))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn template(value: Value) -> Template {
        Template::parse(&value, "test").unwrap()
    }

    #[test]
    fn path_fields_take_values_from_input_and_context_and_drop_the_suffix() {
        let template = template(json!({
            "FunctionName": "BackupPage",
            "Payload": {"job_id.$": "$.job_id", "category.$": "$$.Map.Item.Value", "fixed": [1, {"n.$": "$.n"}]}
        }));
        let input = json!({"job_id": "j1", "n": 3});
        let context = json!({"Map": {"Item": {"Value": "users", "Index": 0}}});
        let value = template.evaluate(&input, &context).unwrap();
        assert_eq!(
            value,
            json!({"FunctionName": "BackupPage", "Payload": {"job_id": "j1", "category": "users", "fixed": [1, {"n": 3}]}})
        );
    }

    #[test]
    fn root_path_copies_the_whole_input() {
        let input = json!({"org_id": "o", "job_id": "j"});
        let value = template(json!({"Payload.$": "$"}))
            .evaluate(&input, &json!({}))
            .unwrap();
        assert_eq!(value, json!({"Payload": input}));
    }

    #[test]
    fn a_path_that_does_not_resolve_is_a_runtime_failure_naming_it() {
        let failure = template(json!({"job_id.$": "$.missing"}))
            .evaluate(&json!({}), &json!({}))
            .unwrap_err();
        assert_eq!(failure.error, "States.Runtime");
        assert!(
            failure.cause.contains("'$.missing'") && failure.cause.contains("'job_id.$'"),
            "{}",
            failure.cause
        );
    }

    #[test]
    fn intrinsic_functions_and_non_string_paths_are_refused_at_parse() {
        let error = Template::parse(&json!({"x.$": "States.Format('{}', $.a)"}), "state 'S' Parameters").unwrap_err();
        assert!(error.to_string().contains("States.Format"), "{error}");
        let error = Template::parse(&json!({"x.$": 5}), "state 'S' Parameters").unwrap_err();
        assert!(error.to_string().contains("state 'S' Parameters.x.$"), "{error}");
    }
}
