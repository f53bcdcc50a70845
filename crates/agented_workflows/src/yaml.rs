//! Workflows as YAML files, for keeping them in a repository: `kind: workflow`, its
//! fields, and its graph exactly as the editor writes `graph_json`. Reading checks
//! everything a stored version must pass and names, for each problem, the line and the
//! field (`graph.nodes[2].config.command`). Writing then reading gives the same workflow.

use crate::definition::{WorkflowFields, WorkflowPatch};
use crate::document::GraphDocument;
use crate::graph::Graph;
use saphyr::{LoadableYamlNode, Mapping, MarkedYaml, Scalar, Yaml, YamlData, YamlEmitter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The `kind` of a workflow file.
pub const KIND: &str = "workflow";
/// The JSON Schema of workflow files (`docs/workflow.schema.json`, served at `/schemas/workflow.json`).
pub const SCHEMA: &str = include_str!("../../../docs/workflow.schema.json");
/// The largest file read, in bytes.
pub const MAX_YAML_BYTES: usize = 256 * 1024;

/// A workflow file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowFile {
    /// Always `workflow`.
    pub kind: String,
    /// The workflow's name.
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub description: String,
    /// Whether it runs (default true).
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Its graph, as `graph_json`.
    pub graph: GraphDocument,
}

const fn enabled() -> bool {
    true
}

impl WorkflowFile {
    /// The file of a workflow with `fields` and `graph`.
    #[must_use]
    pub fn of(fields: &WorkflowFields, graph: GraphDocument) -> Self {
        Self {
            kind: KIND.to_owned(),
            name: fields.name.clone(),
            description: fields.description.clone(),
            enabled: fields.enabled,
            graph,
        }
    }

    /// Its fields, as a patch for creating the workflow.
    #[must_use]
    pub fn patch(&self) -> WorkflowPatch {
        WorkflowPatch {
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            enabled: Some(self.enabled),
        }
    }
}

/// One problem with a file: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YamlProblem {
    /// 1-based line (the nearest enclosing field's when the field itself is missing).
    pub line: usize,
    /// The field (`graph.edges[0].target`), empty for the file as a whole.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for YamlProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.field, self.message)
        }
    }
}

/// Where each field of a document starts, by path.
type Lines = BTreeMap<String, usize>;

fn problem(line: usize, field: &str, message: impl Into<String>) -> YamlProblem {
    YamlProblem { line, field: field.to_owned(), message: message.into() }
}

/// The line of `field`, or of the nearest enclosing field written in the file.
fn line_of(lines: &Lines, field: &str) -> usize {
    let mut path = field;
    loop {
        if let Some(line) = lines.get(path) {
            return *line;
        }
        match path.rfind(['.', '[']) {
            Some(cut) => path = &path[..cut],
            None => return lines.get("").copied().unwrap_or(1),
        }
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() { key.to_owned() } else { format!("{parent}.{key}") }
}

/// The JSON value of `node`, recording where each field starts.
fn to_json(node: &MarkedYaml<'_>, path: &str, lines: &mut Lines, problems: &mut Vec<YamlProblem>) -> Value {
    let line = node.span.start.line();
    lines.entry(path.to_owned()).or_insert(line);
    match &node.data {
        YamlData::Value(scalar) => match scalar {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(*b),
            Scalar::Integer(i) => Value::from(*i),
            Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number),
            Scalar::String(s) => Value::String(s.to_string()),
        },
        YamlData::Sequence(items) => Value::Array(
            items.iter().enumerate().map(|(i, item)| to_json(item, &format!("{path}[{i}]"), lines, problems)).collect(),
        ),
        YamlData::Mapping(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                let YamlData::Value(Scalar::String(name)) = &key.data else {
                    problems.push(problem(key.span.start.line(), path, "keys must be plain text"));
                    continue;
                };
                let child = join(path, name);
                lines.insert(child.clone(), key.span.start.line());
                out.insert(name.to_string(), to_json(value, &child, lines, problems));
            }
            Value::Object(out)
        }
        YamlData::Tagged(_, inner) => to_json(inner, path, lines, problems),
        YamlData::Alias(_) => {
            problems.push(problem(line, path, "aliases (*name) are not supported"));
            Value::Null
        }
        YamlData::Representation(text, ..) => Value::String(text.to_string()),
        YamlData::BadValue => {
            problems.push(problem(line, path, "not a value"));
            Value::Null
        }
    }
}

/// Reads and checks a workflow file.
///
/// # Errors
/// Every problem found, each with its line and field: YAML that does not parse, unknown or
/// missing fields, a `kind` other than `workflow`, invalid fields, and every problem of the
/// graph a stored version would be refused for.
pub fn read_workflow(text: &str) -> Result<WorkflowFile, Vec<YamlProblem>> {
    if text.len() > MAX_YAML_BYTES {
        return Err(vec![problem(1, "", format!("the file is over {MAX_YAML_BYTES} bytes"))]);
    }
    let docs = MarkedYaml::load_from_str(text).map_err(|e| {
        vec![problem(e.marker().line(), "", format!("not YAML: {} (column {})", e.info(), e.marker().col() + 1))]
    })?;
    let doc = match docs.as_slice() {
        [one] => one,
        [] => return Err(vec![problem(1, "", "the file is empty")]),
        [_, second, ..] => return Err(vec![problem(second.span.start.line(), "", "one workflow per file")]),
    };
    let (mut lines, mut problems) = (Lines::new(), Vec::new());
    let value = to_json(doc, "", &mut lines, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let file: WorkflowFile = serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string().trim_start_matches('.').to_owned();
        let field = if field == "." { String::new() } else { field };
        vec![problem(line_of(&lines, &field), &field, e.into_inner().to_string())]
    })?;
    if file.kind != KIND {
        problems.push(problem(line_of(&lines, "kind"), "kind", format!("must be '{KIND}'")));
    }
    if let Err(errors) = file.patch().create() {
        problems.extend(errors.into_iter().map(|(field, why)| problem(line_of(&lines, &field), &field, why)));
    }
    if let Err(errors) = Graph::read(&file.graph) {
        for (at, why) in errors {
            let field = format!("graph.{at}");
            problems.push(problem(line_of(&lines, &field), &field, why));
        }
    }
    problems.sort_by(|a, b| (a.line, &a.field).cmp(&(b.line, &b.field)));
    if problems.is_empty() { Ok(file) } else { Err(problems) }
}

/// Keys written first, in this order, where they occur (a file reads top-down: what it is,
/// then its graph; a node's id and kind before its settings); the rest follow by name.
const FIRST: [&str; 15] = [
    "kind",
    "name",
    "description",
    "enabled",
    "graph",
    "nodes",
    "edges",
    "settings",
    "id",
    "type",
    "label",
    "source",
    "target",
    "branch",
    "config",
];

fn to_yaml(value: &Value) -> Yaml<'_> {
    match value {
        Value::Null => Yaml::Value(Scalar::Null),
        Value::Bool(b) => Yaml::Value(Scalar::Boolean(*b)),
        Value::Number(n) => n.as_i64().map_or_else(
            || Yaml::Value(Scalar::FloatingPoint(n.as_f64().unwrap_or(f64::NAN).into())),
            |i| Yaml::Value(Scalar::Integer(i)),
        ),
        Value::String(s) => Yaml::Value(Scalar::String(Cow::Borrowed(s))),
        Value::Array(items) => Yaml::Sequence(items.iter().map(to_yaml).collect()),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| (FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()), k.as_str()));
            let mut out = Mapping::new();
            for k in keys {
                out.insert(Yaml::Value(Scalar::String(Cow::Borrowed(k))), to_yaml(&map[k]));
            }
            Yaml::Mapping(out)
        }
    }
}

/// The file as YAML: `kind`, `name`, `description`, `enabled`, then `graph` as written.
#[must_use]
pub fn write_workflow(file: &WorkflowFile) -> String {
    let value = serde_json::to_value(file).unwrap_or(Value::Null);
    let mut out = String::new();
    let mut emitter = YamlEmitter::new(&mut out);
    emitter.multiline(true);
    if emitter.dump(&to_yaml(&value)).is_err() {
        // Emitting into a String cannot fail; keep the JSON (valid YAML) if it ever does.
        return serde_json::to_string_pretty(&value).unwrap_or_default();
    }
    let body = out.strip_prefix("---\n").unwrap_or(&out).to_owned();
    body + "\n"
}
