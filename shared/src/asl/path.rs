//! The JSONPath subset the ASL definitions use: `$`, `$.a.b`, `$.a[0]`, `$['a']`, and context paths
//! starting with `$$` (`$$.Map.Item.Value`, `$$.Execution.Name`, ...).
//!
//! Every path names exactly one node (ASL "reference paths"); wildcards, filters, slices and recursive
//! descent are refused when the definition is parsed, so evaluation never has to pick among several nodes.

use std::fmt;

use serde_json::Value;

/// Which document a path reads: the state's input (`$`) or the context object (`$$`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRoot {
    Input,
    Context,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Field(String),
    Index(usize),
}

/// A parsed JSONPath naming a single node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    root: PathRoot,
    segments: Vec<Segment>,
}

/// Why a path text was refused; the caller adds where in the definition it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSyntaxError(pub String);

/// Why a path could not be applied to a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSetError {
    /// The path goes through a node that is neither an object nor an array long enough.
    NotAContainer { at: String },
}

impl JsonPath {
    /// The root path `$`.
    pub fn root() -> Self {
        JsonPath {
            text: "$".to_string(),
            root: PathRoot::Input,
            segments: Vec::new(),
        }
    }

    pub fn parse(text: &str) -> Result<Self, PathSyntaxError> {
        let (root, rest) = if let Some(rest) = text.strip_prefix("$$") {
            (PathRoot::Context, rest)
        } else if let Some(rest) = text.strip_prefix('$') {
            (PathRoot::Input, rest)
        } else {
            return Err(PathSyntaxError(format!("'{text}' does not start with '$' or '$$'")));
        };
        let segments = parse_segments(text, rest)?;
        Ok(JsonPath {
            text: text.to_string(),
            root,
            segments,
        })
    }

    pub fn root_kind(&self) -> PathRoot {
        self.root
    }

    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// Finds the node this path names in `document`, or `None` when some step is missing.
    pub fn get<'a>(&self, document: &'a Value) -> Option<&'a Value> {
        self.segments.iter().try_fold(document, |node, segment| match segment {
            Segment::Field(name) => node.as_object()?.get(name),
            Segment::Index(index) => node.as_array()?.get(*index),
        })
    }

    /// Writes `value` at this path inside `document` (ASL ResultPath semantics): missing object fields on
    /// the way are created, `$` replaces the whole document.
    pub fn set(&self, document: &mut Value, value: Value) -> Result<(), PathSetError> {
        let mut node = document;
        let mut walked = String::from("$");
        for segment in &self.segments {
            node = match segment {
                Segment::Field(name) => {
                    let object = node
                        .as_object_mut()
                        .ok_or(PathSetError::NotAContainer { at: walked.clone() })?;
                    object
                        .entry(name.clone())
                        .or_insert_with(|| Value::Object(Default::default()))
                }
                Segment::Index(index) => node
                    .as_array_mut()
                    .and_then(|array| array.get_mut(*index))
                    .ok_or(PathSetError::NotAContainer { at: walked.clone() })?,
            };
            walked.push_str(&segment.to_string());
        }
        *node = value;
        Ok(())
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Field(name) => write!(f, ".{name}"),
            Segment::Index(index) => write!(f, "[{index}]"),
        }
    }
}

fn parse_segments(text: &str, mut rest: &str) -> Result<Vec<Segment>, PathSyntaxError> {
    let refuse = |what: &str| {
        PathSyntaxError(format!(
            "'{text}' uses {what}, which the embedded runner does not support"
        ))
    };
    let mut segments = Vec::new();
    while !rest.is_empty() {
        if rest.starts_with("..") {
            return Err(refuse("recursive descent '..'"));
        }
        if let Some(after_dot) = rest.strip_prefix('.') {
            let end = after_dot.find(['.', '[']).unwrap_or(after_dot.len());
            let name = &after_dot[..end];
            if name.is_empty() {
                return Err(PathSyntaxError(format!("'{text}' has an empty field name")));
            }
            if name == "*" {
                return Err(refuse("the wildcard '*'"));
            }
            segments.push(Segment::Field(name.to_string()));
            rest = &after_dot[end..];
        } else if let Some(after_bracket) = rest.strip_prefix('[') {
            let end = after_bracket
                .find(']')
                .ok_or_else(|| PathSyntaxError(format!("'{text}' has a '[' without its ']'")))?;
            let inside = after_bracket[..end].trim();
            segments.push(parse_bracket(text, inside, &refuse)?);
            rest = &after_bracket[end + 1..];
        } else {
            return Err(PathSyntaxError(format!(
                "'{text}' has an unexpected '{rest}' (expected '.name' or '[index]')"
            )));
        }
    }
    Ok(segments)
}

fn parse_bracket(
    text: &str,
    inside: &str,
    refuse: &dyn Fn(&str) -> PathSyntaxError,
) -> Result<Segment, PathSyntaxError> {
    let quoted = |quote: char| inside.strip_prefix(quote).and_then(|s| s.strip_suffix(quote));
    if let Some(name) = quoted('\'').or_else(|| quoted('"')) {
        return Ok(Segment::Field(name.to_string()));
    }
    if inside == "*" {
        return Err(refuse("the wildcard '[*]'"));
    }
    if inside.starts_with('?') || inside.starts_with('(') {
        return Err(refuse("a filter or script expression"));
    }
    if inside.contains(':') || inside.contains(',') {
        return Err(refuse("a slice or union"));
    }
    inside
        .parse::<usize>()
        .map(Segment::Index)
        .map_err(|_| PathSyntaxError(format!("'{text}' has '[{inside}]', which is not a non-negative index")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn get(path: &str, document: &Value) -> Option<Value> {
        JsonPath::parse(path).unwrap().get(document).cloned()
    }

    #[test]
    fn root_path_names_the_whole_document() {
        let document = json!({"a": 1});
        assert_eq!(get("$", &document), Some(document.clone()));
        assert!(JsonPath::parse("$").unwrap().is_root());
    }

    #[test]
    fn dotted_bracketed_and_indexed_steps_resolve() {
        let document = json!({"a": {"b": [10, {"c": "x"}], "odd key": true}});
        assert_eq!(get("$.a.b[0]", &document), Some(json!(10)));
        assert_eq!(get("$.a.b[1].c", &document), Some(json!("x")));
        assert_eq!(get("$['a']['odd key']", &document), Some(json!(true)));
        assert_eq!(get("$[\"a\"].b[1]['c']", &document), Some(json!("x")));
    }

    #[test]
    fn missing_steps_resolve_to_none() {
        let document = json!({"a": {"b": [1]}});
        assert_eq!(get("$.a.x", &document), None);
        assert_eq!(get("$.a.b[5]", &document), None);
        assert_eq!(get("$.a.b.c", &document), None);
        assert_eq!(get("$.a.b[0].c", &document), None);
    }

    #[test]
    fn context_paths_are_marked_as_context() {
        let path = JsonPath::parse("$$.Map.Item.Value").unwrap();
        assert_eq!(path.root_kind(), PathRoot::Context);
        let context = json!({"Map": {"Item": {"Value": "users", "Index": 2}}});
        assert_eq!(path.get(&context), Some(&json!("users")));
        assert_eq!(JsonPath::parse("$.x").unwrap().root_kind(), PathRoot::Input);
    }

    #[test]
    fn multi_node_and_malformed_paths_are_refused_with_the_path_named() {
        for bad in [
            "$..a",
            "$.a[*]",
            "$.*",
            "$.a[?(@.b)]",
            "$.a[1:2]",
            "$.a[-1]",
            "a.b",
            "$.a[0",
            "$.",
            "$a",
        ] {
            let error = JsonPath::parse(bad).expect_err(bad);
            assert!(error.0.contains(bad), "{bad}: {}", error.0);
        }
    }

    #[test]
    fn set_replaces_root_and_creates_missing_objects() {
        let mut document = json!({"job_id": "j1"});
        JsonPath::parse("$.error.detail")
            .unwrap()
            .set(&mut document, json!("boom"))
            .unwrap();
        assert_eq!(document, json!({"job_id": "j1", "error": {"detail": "boom"}}));

        JsonPath::root().set(&mut document, json!([1])).unwrap();
        assert_eq!(document, json!([1]));
    }

    #[test]
    fn set_overwrites_array_elements_but_not_through_scalars() {
        let mut document = json!({"list": [1, 2], "n": 5});
        JsonPath::parse("$.list[1]")
            .unwrap()
            .set(&mut document, json!("two"))
            .unwrap();
        assert_eq!(document["list"], json!([1, "two"]));

        let error = JsonPath::parse("$.n.inner")
            .unwrap()
            .set(&mut document, json!(1))
            .unwrap_err();
        assert_eq!(error, PathSetError::NotAContainer { at: "$.n".to_string() });
        let error = JsonPath::parse("$.list[7]")
            .unwrap()
            .set(&mut document, json!(1))
            .unwrap_err();
        assert_eq!(
            error,
            PathSetError::NotAContainer {
                at: "$.list".to_string()
            }
        );
    }
}
