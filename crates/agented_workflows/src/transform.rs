//! `transform` nodes: a template, a JSON path, parsing, or a change of case.

use crate::output::NodeOutput;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

/// What a `transform` node does to its input (the original's `transform_type`).
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    /// `{input}` replaced by the input's text, `{input.KEY}` by a key of its JSON.
    Template(String),
    /// The values an RFC 9535 JSON path selects in the input's JSON.
    JsonPath(JsonPath),
    /// The input's text parsed as JSON into `data`.
    ParseJson,
    /// Upper case.
    Uppercase,
    /// Lower case.
    Lowercase,
    /// Surrounding whitespace removed.
    Trim,
}

impl Transform {
    /// Every transform's name.
    pub const NAMES: [&'static str; 6] = ["template", "json_path", "parse_json", "uppercase", "lowercase", "trim"];

    /// The transform named `name`, reading what it needs from `config`.
    ///
    /// # Errors
    /// An unknown name, or a missing or bad `template` or `path`, as `(key, why)`.
    pub fn parse(name: &str, config: &Map<String, Value>) -> Result<Self, (&'static str, String)> {
        let field = |key: &'static str| match config.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            _ => Err((key, format!("a '{name}' transform needs `{key}` (text)"))),
        };
        match name {
            "template" => field("template").map(Self::Template),
            "json_path" => {
                let path = field("path")?;
                JsonPath::parse(&path).map(Self::JsonPath).map_err(|e| ("path", format!("not a JSON path: {e}")))
            }
            "parse_json" => Ok(Self::ParseJson),
            "uppercase" => Ok(Self::Uppercase),
            "lowercase" => Ok(Self::Lowercase),
            "trim" => Ok(Self::Trim),
            other => {
                Err(("transform_type", format!("unknown transform '{other}': use one of {}", Self::NAMES.join(", "))))
            }
        }
    }

    /// `input` transformed, as node `node`'s output.
    ///
    /// # Errors
    /// Text that `parse_json` cannot parse.
    pub fn apply(&self, node: &str, input: &NodeOutput) -> Result<NodeOutput, String> {
        let text = |t: String| NodeOutput::text(node, t);
        let out = match self {
            Self::Template(template) => text(render(template, input)),
            Self::JsonPath(path) => {
                let found: Vec<Value> = path.query(&input.as_json()).all().into_iter().cloned().collect();
                let data = if found.len() == 1 {
                    found.into_iter().next().unwrap_or(Value::Null)
                } else {
                    Value::Array(found)
                };
                let shown = match &data {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                NodeOutput { data: Some(data), ..text(shown) }
            }
            Self::ParseJson => {
                let parsed: Value =
                    serde_json::from_str(input.as_text().trim()).map_err(|e| format!("the input is not JSON: {e}"))?;
                NodeOutput { content_type: "json".into(), text: None, data: Some(parsed), ..text(String::new()) }
            }
            Self::Uppercase => text(input.as_text().to_uppercase()),
            Self::Lowercase => text(input.as_text().to_lowercase()),
            Self::Trim => text(input.as_text().trim().to_owned()),
        };
        Ok(out)
    }
}

/// `template` with `{input}` and `{input.KEY}` (a top-level key of the input's JSON;
/// after a fan-in, the text of node KEY's output) replaced; any other braces are left
/// as they are.
#[must_use]
pub fn render(template: &str, input: &NodeOutput) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    let json = std::cell::OnceCell::new();
    while let Some(start) = rest.find("{input") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{input".len()..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        if inner.is_empty() {
            out.push_str(&input.as_text());
        } else if let Some(key) = inner.strip_prefix('.').filter(|k| !k.is_empty() && !k.contains(['{', ' '])) {
            match json.get_or_init(|| input.as_json()).get(key) {
                Some(Value::String(s)) => out.push_str(s),
                // A node's output in a fan-in reads as its text.
                Some(Value::Object(o)) if o.get("text").is_some_and(Value::is_string) => {
                    out.push_str(o.get("text").and_then(Value::as_str).unwrap_or_default());
                }
                Some(other) => out.push_str(&other.to_string()),
                None => {}
            }
        } else {
            out.push_str(&rest[start..start + "{input".len() + end + 1]);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn templates_fill_in_the_input_and_its_keys_and_leave_other_braces() {
        let input = NodeOutput { data: Some(json!({"title": "Fix it", "n": 3})), ..NodeOutput::text("a", "raw") };
        assert_eq!(
            render("PR {input.title} #{input.n}: {input} {other} {input.missing}.", &input),
            "PR Fix it #3: raw {other} ."
        );
        assert_eq!(render("unclosed {input", &input), "unclosed {input");
    }

    #[test]
    fn json_paths_parse_and_case_transforms_apply() {
        let input = NodeOutput::text("a", r#"{"items":[{"id":1},{"id":2}],"name":"x"}"#);
        let one = Transform::parse("json_path", &config(json!({"path": "$.name"}))).expect("path");
        assert_eq!(one.apply("t", &input).expect("ok").text.as_deref(), Some("x"));
        let many = Transform::parse("json_path", &config(json!({"path": "$.items[*].id"}))).expect("path");
        assert_eq!(many.apply("t", &input).expect("ok").data, Some(json!([1, 2])));
        let parsed = Transform::ParseJson.apply("t", &input).expect("json");
        assert_eq!(parsed.data.as_ref().and_then(|d| d.get("name")), Some(&json!("x")));
        assert!(Transform::ParseJson.apply("t", &NodeOutput::text("a", "not json")).unwrap_err().contains("not JSON"));
        assert_eq!(
            Transform::Uppercase.apply("t", &NodeOutput::text("a", "ready")).expect("up").text.as_deref(),
            Some("READY")
        );
    }

    #[test]
    fn a_bad_transform_names_the_key() {
        assert_eq!(Transform::parse("json_path", &config(json!({"path": "$["}))).unwrap_err().0, "path");
        assert_eq!(Transform::parse("template", &config(json!({}))).unwrap_err().0, "template");
        assert_eq!(Transform::parse("exec", &config(json!({}))).unwrap_err().0, "transform_type");
    }
}
