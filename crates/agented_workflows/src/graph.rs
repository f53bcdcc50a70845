//! A workflow's graph, checked: unique node ids, edges between existing nodes on
//! branches their source can take, and no cycle (the one found is named).

use crate::document::GraphDocument;
use crate::node::{ErrorMode, Node, NodeId, NodeKind};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

/// Problems by where they are: `nodes[2].config.command`, `edges[0].target`, `nodes`.
pub type GraphErrors = BTreeMap<String, String>;

/// An edge as the graph follows it: the node at the other end and the branch it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Index of the node at the other end.
    pub node: usize,
    /// `true`/`false` out of a conditional, `error` out of a node that continues on error.
    pub branch: Option<String>,
}

/// A checked, acyclic workflow graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    nodes: Vec<Node>,
    incoming: Vec<Vec<Link>>,
    outgoing: Vec<Vec<Link>>,
    order: Vec<usize>,
    budget_usd: Option<f64>,
}

/// The largest budget a run may set, in US dollars.
pub const MAX_BUDGET_USD: f64 = 1_000_000.0;

impl Graph {
    /// The graph `doc` describes.
    ///
    /// # Errors
    /// Every problem found, by where it is.
    pub fn read(doc: &GraphDocument) -> Result<Self, GraphErrors> {
        let mut errors = GraphErrors::new();
        let budget_usd = match doc.settings.get("budget_usd") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => {
                let ok = v.as_f64().filter(|b| *b > 0.0 && *b <= MAX_BUDGET_USD);
                if ok.is_none() {
                    errors.insert(
                        "settings.budget_usd".into(),
                        format!("a number of US dollars, above 0 and at most {MAX_BUDGET_USD}"),
                    );
                }
                ok
            }
        };
        if doc.nodes.is_empty() {
            errors.insert("nodes".into(), "a workflow needs at least one node".into());
        }
        let mut nodes = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, n) in doc.nodes.iter().enumerate() {
            if let Some(first) = index.get(n.id.as_str()) {
                errors.insert(format!("nodes[{i}].id"), format!("'{}' is the id of nodes[{first}] too", n.id));
                continue;
            }
            match Node::read(n) {
                Ok(node) => {
                    index.insert(n.id.as_str(), nodes.len());
                    nodes.push(node);
                }
                Err(problems) => {
                    for (key, why) in problems {
                        errors.insert(format!("nodes[{i}].{key}"), why);
                    }
                }
            }
        }
        let mut incoming = vec![Vec::new(); nodes.len()];
        let mut outgoing = vec![Vec::new(); nodes.len()];
        let mut seen: HashMap<(usize, usize, Option<&str>), usize> = HashMap::new();
        for (i, e) in doc.edges.iter().enumerate() {
            let end = |id: &str, key: &str, errors: &mut GraphErrors| {
                let found = index.get(id).copied();
                if found.is_none() && !doc.nodes.iter().any(|n| n.id == id) {
                    errors.insert(format!("edges[{i}].{key}"), format!("'{id}' is not a node of this workflow"));
                }
                found
            };
            let (Some(from), Some(to)) = (end(&e.source, "source", &mut errors), end(&e.target, "target", &mut errors))
            else {
                continue;
            };
            if let Some(branch) = &e.branch {
                let source = &nodes[from];
                let allowed = match (&source.kind, branch.as_str()) {
                    (NodeKind::Conditional { .. }, "true" | "false") => true,
                    (_, "error") => source.policy.on_error == ErrorMode::Continue,
                    _ => false,
                };
                if !allowed {
                    let why = match source.kind {
                        NodeKind::Conditional { .. } => {
                            "a conditional's edges take branch true or false (or error, when it continues on error)"
                                .to_owned()
                        }
                        _ if branch == "error" => {
                            format!("'{}' stops the run on error: set its on_error to continue", e.source)
                        }
                        _ => format!("'{}' is not a conditional: its edges take no branch but error", e.source),
                    };
                    errors.insert(format!("edges[{i}].branch"), why);
                    continue;
                }
            }
            if let Some(first) = seen.insert((from, to, e.branch.as_deref()), i) {
                errors.insert(format!("edges[{i}]"), format!("repeats edges[{first}]"));
                continue;
            }
            outgoing[from].push(Link { node: to, branch: e.branch.clone() });
            incoming[to].push(Link { node: from, branch: e.branch.clone() });
        }
        let order = match topological(&outgoing, &incoming) {
            Ok(order) => order,
            Err(cycle) => {
                let names: Vec<&str> = cycle.iter().map(|i| nodes[*i].id.as_str()).collect();
                errors.insert("edges".into(), format!("the edges make a cycle: {}", names.join(" → ")));
                Vec::new()
            }
        };
        if errors.is_empty() { Ok(Self { nodes, incoming, outgoing, order, budget_usd }) } else { Err(errors) }
    }

    /// What one run may spend on its agent nodes' executions (`settings.budget_usd`).
    #[must_use]
    pub const fn budget_usd(&self) -> Option<f64> {
        self.budget_usd
    }

    /// The nodes, in the author's order.
    #[must_use]
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The index of the node `id`.
    #[must_use]
    pub fn index_of(&self, id: &NodeId) -> Option<usize> {
        self.nodes.iter().position(|n| &n.id == id)
    }

    /// Edges into node `i`.
    #[must_use]
    pub fn incoming(&self, i: usize) -> &[Link] {
        &self.incoming[i]
    }

    /// Edges out of node `i`.
    #[must_use]
    pub fn outgoing(&self, i: usize) -> &[Link] {
        &self.outgoing[i]
    }

    /// Node indexes, every node after all the nodes it depends on.
    #[must_use]
    pub fn order(&self) -> &[usize] {
        &self.order
    }
}

/// Kahn's order (ties by the author's order), or one cycle (first node repeated at the end) when there is one.
fn topological(outgoing: &[Vec<Link>], incoming: &[Vec<Link>]) -> Result<Vec<usize>, Vec<usize>> {
    let mut waiting: Vec<usize> = incoming.iter().map(Vec::len).collect();
    // Of the nodes ready at once, the author's first comes first.
    let mut ready: BinaryHeap<Reverse<usize>> = (0..waiting.len()).filter(|i| waiting[*i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(waiting.len());
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for link in &outgoing[i] {
            waiting[link.node] -= 1;
            if waiting[link.node] == 0 {
                ready.push(Reverse(link.node));
            }
        }
    }
    if order.len() == waiting.len() {
        return Ok(order);
    }
    // Every node left waits on another node left: walk back along their edges until one repeats.
    let mut path = vec![(0..waiting.len()).find(|i| waiting[*i] > 0).unwrap_or_default()];
    loop {
        let last = path[path.len() - 1];
        let back = incoming[last].iter().map(|l| l.node).find(|n| waiting[*n] > 0).unwrap_or(last);
        if let Some(at) = path.iter().position(|n| *n == back) {
            let mut cycle: Vec<usize> = path[at..].iter().rev().copied().collect();
            // Named from its node the author wrote first.
            let first = (0..cycle.len()).min_by_key(|i| cycle[*i]).unwrap_or(0);
            cycle.rotate_left(first);
            cycle.push(cycle[0]);
            return Err(cycle);
        }
        path.push(back);
    }
}
