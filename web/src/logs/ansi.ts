// ANSI escape sequences in CLI output → styled segments. Only SGR ("…m")
// sequences change the look; every other escape sequence is dropped, so a
// cursor move or a window title never shows up as garbage in the log.

export interface Segment {
  text: string
  /** CSS classes: ansi-bold, ansi-fg-N, ansi-bg-N … (N = 0–15). */
  classes: string[]
  /** Colours outside the 16-colour palette (256-colour and true-colour codes). */
  style: Record<string, string>
}

interface Pen {
  bold: boolean
  dim: boolean
  italic: boolean
  underline: boolean
  fg: number | string | null
  bg: number | string | null
}

const blank = (): Pen => ({ bold: false, dim: false, italic: false, underline: false, fg: null, bg: null })

// CSI … final byte, OSC … BEL/ST, and lone two-byte escapes.
const ESCAPE = /\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g

const CUBE = [0, 95, 135, 175, 215, 255]

/** The colour of a 256-colour index ≥ 16, as CSS. */
function xterm256(n: number): string {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10
    return `rgb(${v}, ${v}, ${v})`
  }
  const i = n - 16
  return `rgb(${CUBE[Math.floor(i / 36) % 6]}, ${CUBE[Math.floor(i / 6) % 6]}, ${CUBE[i % 6]})`
}

/** Reads an extended colour (`5;n` or `2;r;g;b`) starting at codes[i]; returns it and how many codes it used. */
function extended(codes: number[], i: number): [number | string | null, number] {
  if (codes[i] === 5 && codes[i + 1] !== undefined) {
    const n = codes[i + 1] ?? 0
    return [n < 16 ? n : xterm256(n), 2]
  }
  if (codes[i] === 2 && codes[i + 3] !== undefined) {
    return [`rgb(${codes[i + 1]}, ${codes[i + 2]}, ${codes[i + 3]})`, 4]
  }
  return [null, 0]
}

function apply(pen: Pen, params: string): Pen {
  const codes = params === '' ? [0] : params.split(';').map((p) => Number.parseInt(p, 10) || 0)
  let next = { ...pen }
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] ?? 0
    if (c === 0) next = blank()
    else if (c === 1) next.bold = true
    else if (c === 2) next.dim = true
    else if (c === 3) next.italic = true
    else if (c === 4) next.underline = true
    else if (c === 22) next.bold = next.dim = false
    else if (c === 23) next.italic = false
    else if (c === 24) next.underline = false
    else if (c >= 30 && c <= 37) next.fg = c - 30
    else if (c >= 90 && c <= 97) next.fg = c - 90 + 8
    else if (c === 39) next.fg = null
    else if (c >= 40 && c <= 47) next.bg = c - 40
    else if (c >= 100 && c <= 107) next.bg = c - 100 + 8
    else if (c === 49) next.bg = null
    else if (c === 38 || c === 48) {
      const [colour, used] = extended(codes, i + 1)
      if (c === 38) next.fg = colour
      else next.bg = colour
      i += used
    }
  }
  return next
}

function segment(text: string, pen: Pen): Segment {
  const classes: string[] = []
  const style: Record<string, string> = {}
  if (pen.bold) classes.push('ansi-bold')
  if (pen.dim) classes.push('ansi-dim')
  if (pen.italic) classes.push('ansi-italic')
  if (pen.underline) classes.push('ansi-underline')
  if (typeof pen.fg === 'number') classes.push(`ansi-fg-${pen.fg}`)
  else if (pen.fg) style.color = pen.fg
  if (typeof pen.bg === 'number') classes.push(`ansi-bg-${pen.bg}`)
  else if (pen.bg) style.backgroundColor = pen.bg
  return { text, classes, style }
}

/** Splits one line into styled segments; escape sequences themselves never appear in the text. */
export function parseAnsi(line: string): Segment[] {
  if (!line.includes('\x1b')) return [{ text: line, classes: [], style: {} }]
  const out: Segment[] = []
  let pen = blank()
  let at = 0
  for (const match of line.matchAll(ESCAPE)) {
    const index = match.index ?? 0
    if (index > at) out.push(segment(line.slice(at, index), pen))
    if (match[2] === 'm') pen = apply(pen, match[1] ?? '')
    at = index + match[0].length
  }
  if (at < line.length) out.push(segment(line.slice(at), pen))
  return out
}

/** The line without any escape sequence (for searching). */
export function stripAnsi(line: string): string {
  return line.includes('\x1b') ? line.replace(ESCAPE, '') : line
}
