//! Workflows as YAML files, for keeping them in a repository: `kind: workflow`, its
//! fields, and its graph exactly as the editor writes `graph_json`. Reading checks
//! everything a stored version must pass and names, for each problem, the line and the
//! field (`graph.nodes[2].config.command`). Writing then reading gives the same workflow.

use crate::definition::{WorkflowFields, WorkflowPatch};
use crate::document::GraphDocument;
use crate::graph::Graph;
use crate::team::{MAX_MEMBERS, Team, TeamPatch, Topology};
use agented_kernel::AgentId;
use saphyr::{LoadableYamlNode, Mapping, MarkedYaml, Scalar, Yaml, YamlData, YamlEmitter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The `kind` of a workflow file.
pub const KIND: &str = "workflow";
/// The `kind` of a team file.
pub const TEAM_KIND: &str = "team";
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

/// A team file: `kind: team`, its fields, its topology, and its members by agent id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamFile {
    /// Always `team`.
    pub kind: String,
    /// The team's name.
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub description: String,
    /// Whether it runs (default true).
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// One of the seven topologies (default `sequential`).
    #[serde(default = "sequential")]
    pub topology: String,
    /// The topology's settings.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub topology_config: Map<String, Value>,
    /// The leading agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_id: Option<String>,
    /// Its members, in order.
    #[serde(default)]
    pub members: Vec<MemberFile>,
}

fn sequential() -> String {
    Topology::Sequential.name().to_owned()
}

/// A member in a team file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberFile {
    /// The agent (`agent-…`), which must exist where the file is imported.
    pub agent_id: String,
    /// Its name in the team (default: the agent's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its role (default `member`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The line its `agent_id` is on, when read from a file.
    #[serde(skip)]
    pub line: usize,
}

impl TeamFile {
    /// The file of `team`.
    #[must_use]
    pub fn of(team: &Team) -> Self {
        let f = &team.fields;
        Self {
            kind: TEAM_KIND.to_owned(),
            name: f.name.clone(),
            description: f.description.clone(),
            enabled: f.enabled,
            topology: f.topology.name().to_owned(),
            topology_config: f.topology_config.clone(),
            leader_id: f.leader_id.as_ref().map(ToString::to_string),
            members: team
                .members
                .iter()
                .map(|m| MemberFile {
                    agent_id: m.agent_id.to_string(),
                    name: Some(m.name.clone()),
                    role: Some(m.role.clone()),
                    line: 0,
                })
                .collect(),
        }
    }

    /// Its fields, as a patch for creating the team.
    #[must_use]
    pub fn patch(&self) -> TeamPatch {
        TeamPatch {
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            topology: Some(self.topology.clone()),
            topology_config: Some(self.topology_config.clone()),
            leader_id: Some(self.leader_id.clone()),
            enabled: Some(self.enabled),
            // Server ids belong to one installation: an imported team attaches none.
            tooling: None,
        }
    }
}

/// A workflow or a team file.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigFile {
    /// `kind: workflow`.
    Workflow(WorkflowFile),
    /// `kind: team`.
    Team(TeamFile),
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

/// A file's single document as JSON, with where each field starts.
struct Document {
    value: Value,
    lines: Lines,
}

impl Document {
    /// Reads `text`: YAML (JSON is YAML) of one document, within [`MAX_YAML_BYTES`].
    fn load(text: &str) -> Result<Self, Vec<YamlProblem>> {
        if text.len() > MAX_YAML_BYTES {
            return Err(vec![problem(1, "", format!("the file is over {MAX_YAML_BYTES} bytes"))]);
        }
        let docs = MarkedYaml::load_from_str(text).map_err(|e| {
            vec![problem(e.marker().line(), "", format!("not YAML: {} (column {})", e.info(), e.marker().col() + 1))]
        })?;
        let doc = match docs.as_slice() {
            [one] => one,
            [] => return Err(vec![problem(1, "", "the file is empty")]),
            [_, second, ..] => {
                return Err(vec![problem(second.span.start.line(), "", "one workflow or team per file")]);
            }
        };
        let (mut lines, mut problems) = (Lines::new(), Vec::new());
        let value = to_json(doc, "", &mut lines, &mut problems);
        if problems.is_empty() { Ok(Self { value, lines }) } else { Err(problems) }
    }

    fn kind(&self) -> Option<&str> {
        self.value.get("kind").and_then(Value::as_str)
    }

    /// The document as `T`, or the first field that does not fit.
    fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, Vec<YamlProblem>> {
        serde_path_to_error::deserialize(self.value.clone()).map_err(|e| {
            let field = e.path().to_string().trim_start_matches('.').to_owned();
            let field = if field == "." { String::new() } else { field };
            vec![self.problem(&field, e.into_inner().to_string())]
        })
    }

    fn problem(&self, field: &str, message: impl Into<String>) -> YamlProblem {
        problem(line_of(&self.lines, field), field, message)
    }

    /// `problems` sorted by line, or `ok` when there are none.
    fn verdict<T>(&self, ok: T, mut problems: Vec<YamlProblem>) -> Result<T, Vec<YamlProblem>> {
        problems.sort_by(|a, b| (a.line, &a.field).cmp(&(b.line, &b.field)));
        if problems.is_empty() { Ok(ok) } else { Err(problems) }
    }
}

fn check_workflow(doc: &Document) -> Result<WorkflowFile, Vec<YamlProblem>> {
    let file: WorkflowFile = doc.read()?;
    let mut problems = Vec::new();
    if let Err(errors) = file.patch().create() {
        problems.extend(errors.into_iter().map(|(field, why)| doc.problem(&field, why)));
    }
    if let Err(errors) = Graph::read(&file.graph) {
        problems.extend(errors.into_iter().map(|(at, why)| doc.problem(&format!("graph.{at}"), why)));
    }
    doc.verdict(file, problems)
}

fn check_team(doc: &Document) -> Result<TeamFile, Vec<YamlProblem>> {
    let mut file: TeamFile = doc.read()?;
    let mut problems = Vec::new();
    if let Err(errors) = file.patch().create() {
        problems.extend(errors.into_iter().map(|(field, why)| doc.problem(&field, why)));
    }
    if file.members.len() > MAX_MEMBERS {
        problems.push(doc.problem("members", format!("a team has at most {MAX_MEMBERS} members")));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, m) in file.members.iter_mut().enumerate() {
        let field = format!("members[{i}].agent_id");
        m.line = line_of(&doc.lines, &field);
        match AgentId::parse(&m.agent_id) {
            Ok(_) if !seen.insert(m.agent_id.clone()) => problems.push(doc.problem(&field, "a member twice")),
            Ok(_) => {}
            Err(e) => problems.push(doc.problem(&field, e.to_string())),
        }
    }
    doc.verdict(file, problems)
}

/// Reads and checks a workflow or team file, by its `kind`.
///
/// # Errors
/// Every problem found, each with its line and field: YAML that does not parse, unknown or
/// missing fields, an unknown `kind`, invalid fields, and every problem of a graph a stored
/// version would be refused for.
pub fn read_file(text: &str) -> Result<ConfigFile, Vec<YamlProblem>> {
    let doc = Document::load(text)?;
    match doc.kind() {
        Some(KIND) => check_workflow(&doc).map(ConfigFile::Workflow),
        Some(TEAM_KIND) => check_team(&doc).map(ConfigFile::Team),
        _ => Err(vec![doc.problem("kind", format!("must be '{KIND}' or '{TEAM_KIND}'"))]),
    }
}

/// Reads and checks a workflow file.
///
/// # Errors
/// As [`read_file`]; a file of another kind is refused.
pub fn read_workflow(text: &str) -> Result<WorkflowFile, Vec<YamlProblem>> {
    let doc = Document::load(text)?;
    if doc.kind() != Some(KIND) {
        return Err(vec![doc.problem("kind", format!("must be '{KIND}'"))]);
    }
    check_workflow(&doc)
}

/// Reads and checks a team file.
///
/// # Errors
/// As [`read_file`]; a file of another kind is refused.
pub fn read_team(text: &str) -> Result<TeamFile, Vec<YamlProblem>> {
    let doc = Document::load(text)?;
    if doc.kind() != Some(TEAM_KIND) {
        return Err(vec![doc.problem("kind", format!("must be '{TEAM_KIND}'"))]);
    }
    check_team(&doc)
}

/// Keys written first, in this order, where they occur (a file reads top-down: what it is,
/// then its graph; a node's id and kind before its settings); the rest follow by name.
const FIRST: [&str; 21] = [
    "kind",
    "name",
    "description",
    "enabled",
    "topology",
    "topology_config",
    "leader_id",
    "members",
    "agent_id",
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
    "role",
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
    write_file(file)
}

/// A workflow or team file as YAML, its keys in a stable order (see `FIRST`).
#[must_use]
pub fn write_file<T: Serialize>(file: &T) -> String {
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
