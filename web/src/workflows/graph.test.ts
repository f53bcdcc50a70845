import { describe, expect, it } from 'vitest'
import { addNode, connect, emptyGraph, positions, removeEdge, removeNode, updateNode } from './graph'

describe('editing a workflow graph', () => {
  it('adds nodes with fresh ids, wired after the node chosen and placed to its right', () => {
    let { graph, id } = addNode(emptyGraph(), 'trigger')
    expect(id).toBe('trigger')
    ;({ graph, id } = addNode(graph, 'approval', 'trigger'))
    ;({ graph, id } = addNode(graph, 'approval', id))
    expect(id).toBe('approval_2')
    expect(graph.edges).toEqual([
      { source: 'trigger', target: 'approval' },
      { source: 'approval', target: 'approval_2' },
    ])
    const at = positions(graph)
    expect(at.approval?.x).toBeGreaterThan(at.trigger?.x ?? Infinity)
    expect(graph.nodes[1]?.config).toEqual({ message: 'Approve to go on' })
  })

  it('connects once, never to itself, and removes nodes with their edges', () => {
    let graph = addNode(addNode(emptyGraph(), 'trigger').graph, 'wait').graph
    graph = connect(connect(connect(graph, 'trigger', 'wait'), 'trigger', 'wait'), 'wait', 'wait')
    expect(graph.edges).toHaveLength(1)
    expect(connect(graph, 'trigger', 'wait', 'true').edges).toHaveLength(2)
    expect(removeEdge(graph, 0).edges).toEqual([])
    const gone = removeNode(graph, 'wait')
    expect(gone.edges).toEqual([])
    expect(gone.nodes.map((n) => n.id)).toEqual(['trigger'])
  })

  it('keeps keys it does not know and lays out a graph without positions', () => {
    const graph = {
      nodes: [
        { id: 'a', type: 'trigger', extra: 1 },
        { id: 'b', type: 'wait', config: { seconds: 5 } },
      ],
      edges: [{ source: 'a', target: 'b', id: 'e1' }],
      settings: { budget_usd: 2 },
    }
    const changed = updateNode(graph, 'b', { label: 'Pause', id: 'renamed' })
    expect(changed.nodes[1]).toEqual({ id: 'b', type: 'wait', config: { seconds: 5 }, label: 'Pause' })
    expect(changed.nodes[0]?.extra).toBe(1)
    expect(changed.settings).toEqual({ budget_usd: 2 })
    const at = positions(graph)
    expect(at.b?.x).toBeGreaterThan(at.a?.x ?? Infinity)
  })
})
