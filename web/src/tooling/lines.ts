// Lists and maps edited as lines of text: one argument per line, `KEY=value` per
// environment variable, `Name: value` per header.

/** The non-empty lines of `text`, trimmed at the end. */
export function linesOf(text: string): string[] {
  return text.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '')
}

/** `KEY<sep>value` lines as a map; the first separator splits, a line without one maps to ''. */
export function mapOf(text: string, separator: '=' | ':'): Record<string, string> {
  const map: Record<string, string> = {}
  for (const line of linesOf(text)) {
    const at = line.indexOf(separator)
    const key = (at < 0 ? line : line.slice(0, at)).trim()
    map[key] = at < 0 ? '' : line.slice(at + 1).trim()
  }
  return map
}

/** A map as `KEY<sep>value` lines (`: ` for headers). */
export function linesFromMap(map: Record<string, string>, separator: '=' | ':'): string {
  const join = separator === ':' ? ': ' : '='
  return Object.entries(map).map(([k, v]) => `${k}${join}${v}`).join('\n')
}
