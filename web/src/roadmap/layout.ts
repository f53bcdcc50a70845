// Positions for the dependency graph: dagre lays the phases out left to right,
// each after the phases it depends on.
import { Graph, layout } from '@dagrejs/dagre'
import type { PhaseView } from '../api/projects'

export const NODE_WIDTH = 200
export const NODE_HEIGHT = 72

export interface Placed {
  number: string
  x: number
  y: number
}

/** Top-left corners of each phase's node; edges run from a dependency to its dependent. */
export function placePhases(phases: PhaseView[]): Placed[] {
  const g = new Graph()
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 64, marginx: 8, marginy: 8 })
  g.setDefaultEdgeLabel(() => ({}))
  const known = new Set(phases.map((p) => p.number))
  for (const p of phases) g.setNode(p.number, { width: NODE_WIDTH, height: NODE_HEIGHT })
  for (const p of phases) {
    for (const dep of p.depends_on) if (known.has(dep)) g.setEdge(dep, p.number)
  }
  layout(g)
  return phases.map((p) => {
    const node = g.node(p.number)
    return { number: p.number, x: (node?.x ?? 0) - NODE_WIDTH / 2, y: (node?.y ?? 0) - NODE_HEIGHT / 2 }
  })
}
