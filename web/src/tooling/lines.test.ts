import { describe, expect, it } from 'vitest'
import { linesFromMap, linesOf, mapOf } from './lines'

describe('lines', () => {
  it('keeps non-empty lines as arguments', () => {
    expect(linesOf('-y\n\n@acme/docs-mcp  \n')).toEqual(['-y', '@acme/docs-mcp'])
  })

  it('splits variables at the first = and headers at the first :', () => {
    expect(mapOf('TOKEN=${DOCS_TOKEN}\nURL=https://x/?a=b\nEMPTY', '=')).toEqual({
      TOKEN: '${DOCS_TOKEN}',
      URL: 'https://x/?a=b',
      EMPTY: '',
    })
    expect(mapOf('Authorization: Bearer ${T}\nX-Url: https://a:1', ':')).toEqual({
      Authorization: 'Bearer ${T}',
      'X-Url': 'https://a:1',
    })
  })

  it('writes maps back as the lines they were read from', () => {
    const headers = { Authorization: 'Bearer ${T}' }
    expect(mapOf(linesFromMap(headers, ':'), ':')).toEqual(headers)
    expect(linesFromMap({ A: '1', B: '2' }, '=')).toBe('A=1\nB=2')
  })
})
