// A run's output as a conversation: what each backend's parser makes of the
// CLI's stream lines. Lines no parser understands stay as `output` entries,
// so nothing printed is ever hidden from the transcript.

/** One block of the transcript, with the log line (`seq`) it started at. */
export type Entry =
  | { kind: 'session'; seq: number; model: string | null; session: string | null }
  | { kind: 'message'; seq: number; role: 'assistant' | 'user'; text: string }
  | { kind: 'thinking'; seq: number; text: string }
  | { kind: 'tool'; seq: number; id: string; name: string; input: string; output: string | null; failed: boolean }
  | { kind: 'error'; seq: number; text: string }
  | { kind: 'result'; seq: number; text: string | null; failed: boolean }
  | { kind: 'output'; seq: number; stream: 'stdout' | 'stderr'; text: string }

export type Json = Record<string, unknown>

/** Collects entries; parsers call it as they read each line. */
export class TranscriptBuilder {
  readonly entries: Entry[] = []
  private readonly tools = new Map<string, Extract<Entry, { kind: 'tool' }>>()
  seq = 0

  session(model: unknown, session: unknown): void {
    this.entries.push({ kind: 'session', seq: this.seq, model: str(model), session: str(session) })
  }

  /** Assistant or user text; a `delta` continues the previous message of that role. */
  message(role: 'assistant' | 'user', text: unknown, delta = false): void {
    const t = str(text)
    if (!t) return
    const last = this.entries.at(-1)
    if (delta && last?.kind === 'message' && last.role === role) {
      last.text += t
      return
    }
    this.entries.push({ kind: 'message', seq: this.seq, role, text: t })
  }

  thinking(text: unknown): void {
    const t = str(text)
    if (t) this.entries.push({ kind: 'thinking', seq: this.seq, text: t })
  }

  /** A tool call; calling it again with the same id updates the call (input, then output). */
  tool(id: unknown, name: unknown, input: unknown): void {
    const key = str(id) ?? `seq-${this.seq}`
    const known = this.tools.get(key)
    if (known) {
      if (input !== undefined && input !== null && input !== '') known.input = show(input)
      return
    }
    const entry: Extract<Entry, { kind: 'tool' }> = {
      kind: 'tool',
      seq: this.seq,
      id: key,
      name: str(name) ?? 'tool',
      input: input === undefined ? '' : show(input),
      output: null,
      failed: false,
    }
    this.tools.set(key, entry)
    this.entries.push(entry)
  }

  /** A tool's result, joined to its call by id (an unknown id gets a call of its own). */
  toolResult(id: unknown, output: unknown, failed: boolean, name?: unknown): void {
    const key = str(id) ?? `seq-${this.seq}`
    if (!this.tools.has(key)) this.tool(key, name, undefined)
    const entry = this.tools.get(key)
    if (!entry) return
    entry.output = show(output ?? '')
    entry.failed = failed
  }

  error(text: unknown): void {
    this.entries.push({ kind: 'error', seq: this.seq, text: str(text) ?? show(text) })
  }

  result(text: unknown, failed: boolean): void {
    this.entries.push({ kind: 'result', seq: this.seq, text: str(text), failed })
  }

  output(stream: 'stdout' | 'stderr', text: string): void {
    const last = this.entries.at(-1)
    if (last?.kind === 'output' && last.stream === stream) {
      last.text += '\n' + text
      return
    }
    this.entries.push({ kind: 'output', seq: this.seq, stream, text })
  }
}

/** A non-empty string, or null. */
export function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

/** A value as readable text: strings as they are, anything else as indented JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every((v) => isObject(v) && typeof v.text === 'string')) {
    return value.map((v) => (v as Json).text as string).join('\n')
  }
  return JSON.stringify(value, null, 2) ?? ''
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The searchable text of an entry. */
export function entryText(e: Entry): string {
  switch (e.kind) {
    case 'session':
      return [e.model, e.session].filter(Boolean).join(' ')
    case 'tool':
      return `${e.name}\n${e.input}\n${e.output ?? ''}`
    case 'result':
      return e.text ?? ''
    default:
      return e.text
  }
}

/** Input fields that say what a tool call is about, most telling first. */
const SUBJECT_FIELDS = ['command', 'file_path', 'filePath', 'absolute_path', 'path', 'dir_path', 'pattern', 'query', 'url', 'description']

/** A one-line summary of a tool call's input: its command, file, pattern or query. */
export function toolSubject(input: string): string {
  let value: unknown
  try {
    value = JSON.parse(input)
  } catch {
    return input.split('\n')[0] ?? ''
  }
  if (!isObject(value)) return input.split('\n')[0] ?? ''
  const field = SUBJECT_FIELDS.find((k) => typeof value[k] === 'string') ?? Object.keys(value).find((k) => typeof value[k] === 'string')
  return field ? String(value[field]).split('\n')[0] ?? '' : ''
}
