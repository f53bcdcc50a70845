import { describe, expect, it } from 'vitest'
import type { LogLine } from '../api/executions'
import claude from './fixtures/claude.jsonl?raw'
import codex from './fixtures/codex.jsonl?raw'
import gemini from './fixtures/gemini.jsonl?raw'
import opencode from './fixtures/opencode.jsonl?raw'
import { entryText, hasTranscript, toolSubject, Transcript, transcriptOf, type Entry } from './index'

function lines(text: string): LogLine[] {
  return text
    .trim()
    .split('\n')
    .map((content, i) => ({ seq: i + 1, stream: 'stdout', content, timestamp: '2026-12-06T10:00:00Z' }))
}

const tools = (entries: readonly Entry[]) => entries.filter((e) => e.kind === 'tool')
const kinds = (entries: readonly Entry[]) => entries.map((e) => e.kind)

describe('claude stream-json', () => {
  const entries = transcriptOf('claude', lines(claude))

  it('reads the session, messages, tool calls joined to their results, and the result', () => {
    expect(kinds(entries)).toEqual(['session', 'message', 'tool', 'tool', 'message', 'result'])
    expect(entries[0]).toMatchObject({ model: 'claude-sonnet-4-5-20250929', session: '3f1c6a52-9f3e-4d7e-a8e1-0c2b7d5e9a11' })
    expect(entries[1]).toMatchObject({ role: 'assistant', text: "I'll look at the failing test first.", seq: 2 })
    const [bash, read] = tools(entries)
    expect(bash).toMatchObject({ name: 'Bash', failed: false, output: 'test result: FAILED. 11 passed; 1 failed', seq: 3 })
    expect(bash?.kind === 'tool' && JSON.parse(bash.input)).toEqual({ command: 'cargo test -p parser 2>&1 | tail -5', description: 'Run the parser tests' })
    expect(read).toMatchObject({ name: 'Read', failed: true, output: '<tool_use_error>File does not exist.</tool_use_error>' })
    expect(entries.at(-1)).toMatchObject({ kind: 'result', failed: false, text: 'The **empty input** case panics. Fixed in `src/lib.rs`.' })
  })

  it('reads result blocks given as a list of text parts', () => {
    const list = JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] } })
    const got = transcriptOf('claude', lines(list))
    expect(got[0]).toMatchObject({ kind: 'tool', id: 'toolu_9', output: 'a\nb' })
  })

  it('keeps a failed result, usage-only records and unknown lines without losing text', () => {
    const text = [
      '{"type":"assistant","message":{"usage":{"input_tokens":1,"output_tokens":2}}}',
      'Error: not JSON at all',
      '{"type":"something_new","x":1}',
      '{"type":"result","subtype":"error_during_execution","is_error":true,"result":"the model refused"}',
    ].join('\n')
    const got = transcriptOf('claude', lines(text))
    expect(kinds(got)).toEqual(['output', 'result'])
    expect(got[0]).toMatchObject({ text: 'Error: not JSON at all\n{"type":"something_new","x":1}' })
    expect(got[1]).toMatchObject({ failed: true, text: 'the model refused' })
  })
})

describe('codex exec --json', () => {
  const entries = transcriptOf('codex', lines(codex))

  it('reads reasoning, commands with their output and exit, file changes and the message', () => {
    expect(kinds(entries)).toEqual(['session', 'thinking', 'tool', 'tool', 'tool', 'message'])
    expect(entries[0]).toMatchObject({ session: '0199a213-81c0-7800-8aa1-bbab2a035a53' })
    const [rg, test, edit] = tools(entries)
    expect(rg).toMatchObject({ name: 'shell', input: "bash -lc 'rg -n parse_header src'", output: 'src/header.rs:12:pub fn parse_header(', failed: false, seq: 4 })
    expect(test).toMatchObject({ failed: true, output: 'error[E0425]: cannot find value `x`' })
    expect(edit).toMatchObject({ name: 'edit files', input: 'update src/header.rs' })
    expect(entries.at(-1)).toMatchObject({ role: 'assistant', text: 'Fixed `parse_header` for empty input.' })
  })

  it('shows a running command before its result arrives', () => {
    const t = new Transcript('codex')
    t.add(lines(codex).slice(0, 4))
    expect(tools(t.entries)[0]).toMatchObject({ output: null })
    t.add(lines(codex).slice(4, 5))
    expect(tools(t.entries)[0]).toMatchObject({ output: 'src/header.rs:12:pub fn parse_header(' })
  })

  it('shows a failed turn as an error', () => {
    const got = transcriptOf('codex', lines('{"type":"turn.failed","error":{"message":"stream disconnected"}}'))
    expect(got).toEqual([{ kind: 'error', seq: 1, text: 'stream disconnected' }])
  })
})

describe('gemini stream-json', () => {
  const entries = transcriptOf('gemini', lines(gemini))

  it('joins assistant deltas into one message and tool results to their calls', () => {
    expect(kinds(entries)).toEqual(['session', 'message', 'tool', 'tool', 'message', 'result'])
    expect(entries[1]).toMatchObject({ role: 'user', text: 'List the files' })
    const [ls, read] = tools(entries)
    expect(ls).toMatchObject({ name: 'list_directory', output: 'Listed 3 item(s).', failed: false })
    expect(read).toMatchObject({ name: 'read_file', failed: true, output: 'File not found: /srv/repo/nope.txt' })
    expect(entries[4]).toMatchObject({ role: 'assistant', text: 'There are three files: `a`, `b` and `c`.' })
    expect(entries.at(-1)).toMatchObject({ kind: 'result', failed: false })
  })
})

describe('opencode run --format json', () => {
  const entries = transcriptOf('opencode', lines(opencode))

  it('reads tool parts with their state, text, and errors', () => {
    expect(kinds(entries)).toEqual(['tool', 'tool', 'message', 'error'])
    expect(entries[0]).toMatchObject({ name: 'bash', output: 'README.md\nsrc\n', failed: false })
    expect(entries[1]).toMatchObject({ name: 'read', output: 'File not found: /srv/repo/nope', failed: true })
    expect(entries[2]).toMatchObject({ text: 'The repository has a `README.md` and `src/`.' })
    expect(entries[3]).toMatchObject({ text: 'Rate limit exceeded' })
  })
})

describe('other backends and stderr', () => {
  it('gives custom commands no transcript and keeps stderr as output', () => {
    expect(hasTranscript('claude')).toBe(true)
    expect(hasTranscript('my-script')).toBe(false)
    const stderr: LogLine = { seq: 1, stream: 'stderr', content: '{"type":"text","part":{"text":"x"}}', timestamp: '' }
    expect(transcriptOf('opencode', [stderr])).toEqual([{ kind: 'output', seq: 1, stream: 'stderr', text: stderr.content }])
  })

  it('searches tool names, inputs and outputs', () => {
    const tool = tools(transcriptOf('claude', lines(claude)))[0]
    expect(tool && entryText(tool)).toContain('cargo test -p parser')
    expect(tool && entryText(tool)).toContain('11 passed')
  })
})

describe('tool call summaries', () => {
  it('show the command, file or query of the call, else its first text', () => {
    expect(toolSubject('{"command":"cargo test","description":"Run tests"}')).toBe('cargo test')
    expect(toolSubject('{"file_path":"/srv/a.rs"}')).toBe('/srv/a.rs')
    expect(toolSubject('{"limit":3,"thing":"x"}')).toBe('x')
    expect(toolSubject("bash -lc 'ls'\nmore")).toBe("bash -lc 'ls'")
    expect(toolSubject('{"n":1}')).toBe('')
  })
})
