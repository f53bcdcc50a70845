import { describe, expect, it } from 'vitest'
import { parseAnsi, stripAnsi } from './ansi'

describe('parseAnsi', () => {
  it('leaves plain text alone', () => {
    expect(parseAnsi('hello')).toEqual([{ text: 'hello', classes: [], style: {} }])
  })

  it('colours text and resets', () => {
    expect(parseAnsi('\x1b[31merror\x1b[0m done')).toEqual([
      { text: 'error', classes: ['ansi-fg-1'], style: {} },
      { text: ' done', classes: [], style: {} },
    ])
  })

  it('combines bold with bright colours and backgrounds', () => {
    expect(parseAnsi('\x1b[1;92;44mok')).toEqual([{ text: 'ok', classes: ['ansi-bold', 'ansi-fg-10', 'ansi-bg-4'], style: {} }])
  })

  it('turns 256-colour and true-colour codes into styles', () => {
    expect(parseAnsi('\x1b[38;5;196mred\x1b[48;2;1;2;3mboth')).toEqual([
      { text: 'red', classes: [], style: { color: 'rgb(255, 0, 0)' } },
      { text: 'both', classes: [], style: { color: 'rgb(255, 0, 0)', backgroundColor: 'rgb(1, 2, 3)' } },
    ])
  })

  it('drops cursor moves and window titles', () => {
    expect(parseAnsi('\x1b[2K\x1b[1Gprogress\x1b]0;title\x07 50%')).toEqual([
      { text: 'progress', classes: [], style: {} },
      { text: ' 50%', classes: [], style: {} },
    ])
  })

  it('strips escapes for searching', () => {
    expect(stripAnsi('\x1b[33mwarn\x1b[39m: disk')).toBe('warn: disk')
  })
})
