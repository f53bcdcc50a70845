import { describe, expect, it } from 'vitest'
import type { PhaseView } from '../api/projects'
import { placePhases } from './layout'

const phase = (number: string, depends_on: string[] = []): PhaseView => ({
  id: number,
  number,
  name: `Phase ${number}`,
  goal: '',
  phase_type: null,
  depends_on,
  requirements: [],
  success_criteria: [],
  verification_level: 'sanity',
  status: 'pending',
  plans: [],
})

describe('placePhases', () => {
  it('puts every phase to the right of what it depends on', () => {
    const placed = placePhases([phase('1'), phase('2', ['1']), phase('2.1', ['2']), phase('3', ['1']), phase('4')])
    const x = Object.fromEntries(placed.map((p) => [p.number, p.x]))
    expect(x['2']).toBeGreaterThan(x['1'] ?? 0)
    expect(x['2.1']).toBeGreaterThan(x['2'] ?? 0)
    expect(x['3']).toBeGreaterThan(x['1'] ?? 0)
    const positions = new Set(placed.map((p) => `${p.x},${p.y}`))
    expect(positions.size).toBe(5)
  })

  it('ignores a dependency on a phase it was not given', () => {
    expect(placePhases([phase('5', ['9'])])).toHaveLength(1)
  })
})
