//! What a node hands on: the original platform's node output
//! (`{content_type, text, data, metadata, exit_code, stdout, stderr}`) plus the
//! branch a conditional took and the error of a node that failed and continued.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A node's output, and a node's input when one edge feeds it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NodeOutput {
    /// `text`, `trigger`, `command_output`, `conditional`, `agent`, `approval`, `merged`, `error`.
    pub content_type: String,
    /// The text, when there is one.
    pub text: Option<String>,
    /// Structured data (parsed JSON, a condition's result, a fan-in's outputs by node).
    pub data: Option<Value>,
    /// `source_node_id` and what produced it.
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// A command's exit code.
    pub exit_code: Option<i32>,
    /// A command's standard output.
    pub stdout: Option<String>,
    /// A command's standard error.
    pub stderr: Option<String>,
    /// The branch a conditional took: `true` or `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Why the node failed, for a node that failed and continued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl NodeOutput {
    /// Plain text from `node`.
    #[must_use]
    pub fn text(node: &str, text: impl Into<String>) -> Self {
        Self { content_type: "text".into(), text: Some(text.into()), ..Self::default() }.from_node(node)
    }

    /// Marks the node that produced it.
    #[must_use]
    pub fn from_node(mut self, node: &str) -> Self {
        self.metadata.insert("source_node_id".into(), Value::from(node));
        self
    }

    /// The failure of `node`, handed on because its `on_error` is `continue`.
    #[must_use]
    pub fn failure(node: &str, error: &str) -> Self {
        Self {
            content_type: "error".into(),
            text: Some(error.to_owned()),
            error: Some(error.to_owned()),
            ..Self::default()
        }
        .from_node(node)
    }

    /// The outputs of several nodes meeting at one (fan-in): their texts one after the
    /// other, and each output under its node's id in `data`.
    #[must_use]
    pub fn merged(parts: &[(String, Self)]) -> Self {
        let text = parts.iter().map(|(_, o)| o.as_text()).collect::<Vec<_>>().join("\n\n");
        let data = parts
            .iter()
            .map(|(id, o)| (id.clone(), serde_json::to_value(o).unwrap_or(Value::Null)))
            .collect::<Map<_, _>>();
        Self { content_type: "merged".into(), text: Some(text), data: Some(Value::Object(data)), ..Self::default() }
    }

    /// The text a template's `{input}` and a condition see: `text`, else `stdout`, else
    /// `data` as JSON.
    #[must_use]
    pub fn as_text(&self) -> String {
        match (&self.text, &self.stdout, &self.data) {
            (Some(t), _, _) | (None, Some(t), _) => t.clone(),
            (None, None, Some(Value::String(s))) => s.clone(),
            (None, None, Some(v)) => v.to_string(),
            (None, None, None) => String::new(),
        }
    }

    /// The data a JSON path reads: `data`, else the text parsed as JSON, else the text.
    #[must_use]
    pub fn as_json(&self) -> Value {
        if let Some(data) = &self.data {
            return data.clone();
        }
        let text = self.as_text();
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}
