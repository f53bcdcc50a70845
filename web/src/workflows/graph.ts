// Editing a workflow's graph (the server's `graph_json`) as plain data: adding a node
// of a kind with a starting config, wiring it after another, removing nodes and edges.
// The editor calls these; every change returns a new graph, and keys the editor does
// not know stay as they were.
import { Graph as Layout, layout } from '@dagrejs/dagre'
import type { Graph, GraphNode } from '../api/workflows'

export const NODE_WIDTH = 190
export const NODE_HEIGHT = 76

/** Each node kind, what it does, and the config a new one starts with. */
export const NODE_KINDS: Record<string, { title: string; hint: string; config: Record<string, unknown> }> = {
  trigger: { title: 'Start', hint: 'Where a run starts: hands the input on.', config: {} },
  agent: { title: 'Agent', hint: 'Runs an agent (agent_id) or a backend (backend) on the prompt.', config: { backend: 'claude', prompt: '{input}' } },
  command: { title: 'Command', hint: 'Runs a program: argv, never a shell.', config: { argv: ['echo', '{input}'] } },
  conditional: { title: 'Condition', hint: 'Takes the true or the false branch.', config: { condition: 'contains', value: 'OK' } },
  transform: { title: 'Transform', hint: 'Reshapes its input: template, json_path, parse_json, case, trim.', config: { transform_type: 'template', template: '{input}' } },
  approval: { title: 'Approval', hint: 'Waits for a person to approve or reject.', config: { message: 'Approve to go on' } },
  wait: { title: 'Wait', hint: 'Waits a number of seconds.', config: { seconds: 60 } },
  workflow: { title: 'Sub-workflow', hint: 'Runs another workflow (workflow_id) with this input.', config: { workflow_id: '' } },
}

export const emptyGraph = (): Graph => ({ nodes: [], edges: [] })

/** A node id for `kind` not used in `graph`: `approval`, then `approval_2`, … */
export function freshId(graph: Graph, kind: string): string {
  const taken = new Set(graph.nodes.map((n) => n.id))
  if (!taken.has(kind)) return kind
  let n = 2
  while (taken.has(`${kind}_${n}`)) n++
  return `${kind}_${n}`
}

/** `graph` with a new `kind` node, wired after node `after` when given (and placed to its right). */
export function addNode(graph: Graph, kind: string, after?: string | null): { graph: Graph; id: string } {
  const id = freshId(graph, kind)
  const from = after ? graph.nodes.find((n) => n.id === after) : undefined
  const rightmost = Math.max(-NODE_WIDTH, ...graph.nodes.map((n) => n.position?.x ?? 0))
  const position = from?.position
    ? { x: from.position.x + NODE_WIDTH + 60, y: from.position.y }
    : { x: rightmost + NODE_WIDTH + 60, y: 0 }
  const node: GraphNode = {
    id,
    type: kind,
    label: NODE_KINDS[kind]?.title ?? kind,
    position,
    config: structuredClone(NODE_KINDS[kind]?.config ?? {}),
  }
  const next: Graph = { ...graph, nodes: [...graph.nodes, node] }
  return { graph: from ? connect(next, from.id, id) : next, id }
}

/** `graph` with an edge from `source` to `target` (on `branch`), unless it is there or a self-loop. */
export function connect(graph: Graph, source: string, target: string, branch?: string): Graph {
  if (source === target) return graph
  const same = graph.edges.some((e) => e.source === source && e.target === target && (e.branch ?? null) === (branch ?? null))
  if (same) return graph
  return { ...graph, edges: [...graph.edges, { source, target, ...(branch ? { branch } : {}) }] }
}

/** `graph` without node `id` and the edges that touch it. */
export function removeNode(graph: Graph, id: string): Graph {
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => n.id !== id),
    edges: graph.edges.filter((e) => e.source !== id && e.target !== id),
  }
}

/** `graph` without the `index`th edge. */
export function removeEdge(graph: Graph, index: number): Graph {
  return { ...graph, edges: graph.edges.filter((_, i) => i !== index) }
}

/** `graph` with node `id` changed by `change` (its id stays). */
export function updateNode(graph: Graph, id: string, change: Partial<GraphNode>): Graph {
  return { ...graph, nodes: graph.nodes.map((n) => (n.id === id ? { ...n, ...change, id } : n)) }
}

/** Where each node is drawn: its own position, else a left-to-right layout of the graph. */
export function positions(graph: Graph): Record<string, { x: number; y: number }> {
  if (graph.nodes.every((n) => n.position)) {
    return Object.fromEntries(graph.nodes.map((n) => [n.id, n.position ?? { x: 0, y: 0 }]))
  }
  const g = new Layout()
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 60, marginx: 8, marginy: 8 })
  g.setDefaultEdgeLabel(() => ({}))
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT })
  for (const e of graph.edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target)
  layout(g)
  return Object.fromEntries(
    graph.nodes.map((n) => {
      const at = g.node(n.id)
      return [n.id, n.position ?? { x: (at?.x ?? 0) - NODE_WIDTH / 2, y: (at?.y ?? 0) - NODE_HEIGHT / 2 }]
    }),
  )
}
