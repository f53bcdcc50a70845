//! A workflow version's graph as written: the original platform's `graph_json`
//! (`{nodes: [{id, type, label, config}], edges: [{source, target}], settings}`),
//! kept whole so the dashboard's editor and YAML round-trip without loss: keys this
//! crate does not read (a node's `position`, an edge's `id`) are carried along.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A graph as stored and exchanged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GraphDocument {
    /// Its nodes, in the author's order.
    #[serde(default)]
    pub nodes: Vec<NodeDocument>,
    /// Its edges.
    #[serde(default)]
    pub edges: Vec<EdgeDocument>,
    /// Workflow-wide settings (`timeout_seconds`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub settings: Map<String, Value>,
}

/// One node as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDocument {
    /// Unique in the graph.
    pub id: String,
    /// `trigger`, `agent`, `command`, `conditional`, `transform`, `approval`, `wait` or `workflow`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What the node's kind needs (see [`crate::NodeKind`]), plus `timeout_seconds`,
    /// `retries`, `retry_backoff_seconds` and `on_error` for any kind.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub config: Map<String, Value>,
    /// Everything else (`label`, the editor's `position`), kept as it was.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One edge as written: `source`'s output goes to `target`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeDocument {
    /// The node whose output it carries.
    pub source: String,
    /// The node it feeds.
    pub target: String,
    /// For an edge out of a `conditional` node: the branch (`true` or `false`) it follows;
    /// for one out of a node whose `on_error` is `continue`: `error` follows its failure.
    /// The editor writes it as `sourceHandle`.
    #[serde(default, alias = "sourceHandle", skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Everything else (the editor's `id`), kept as it was.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
