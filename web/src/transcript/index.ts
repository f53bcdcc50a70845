// Builds a run's transcript from its log lines with the parser of its backend.
import type { LogLine } from '../api/executions'
import { parseClaude } from './claude'
import { parseCodex } from './codex'
import { parseGemini } from './gemini'
import { isObject, TranscriptBuilder, type Entry, type Json } from './model'
import { parseOpencode } from './opencode'

export type { Entry } from './model'
export { entryText, toolSubject } from './model'

const parsers: Record<string, (event: Json, t: TranscriptBuilder) => boolean> = {
  claude: parseClaude,
  codex: parseCodex,
  gemini: parseGemini,
  opencode: parseOpencode,
}

/** Whether runs of `backend` have a transcript (custom commands print what they like). */
export function hasTranscript(backend: string): boolean {
  return backend in parsers
}

/** Reads lines as they arrive; `entries` grows (and its last entries may change) with each batch. */
export class Transcript {
  private readonly builder = new TranscriptBuilder()
  private readonly parse: ((event: Json, t: TranscriptBuilder) => boolean) | undefined

  constructor(backend: string) {
    this.parse = parsers[backend]
  }

  get entries(): readonly Entry[] {
    return this.builder.entries
  }

  add(lines: readonly LogLine[]): void {
    for (const line of lines) {
      this.builder.seq = line.seq
      const event = line.stream === 'stdout' && this.parse ? json(line.content) : null
      if (!event || !this.parse?.(event, this.builder)) this.builder.output(line.stream, line.content)
    }
  }
}

/** The transcript of a finished list of lines. */
export function transcriptOf(backend: string, lines: readonly LogLine[]): readonly Entry[] {
  const t = new Transcript(backend)
  t.add(lines)
  return t.entries
}

function json(content: string): Json | null {
  if (!content.startsWith('{')) return null
  try {
    const value: unknown = JSON.parse(content)
    return isObject(value) ? value : null
  } catch {
    return null
  }
}
