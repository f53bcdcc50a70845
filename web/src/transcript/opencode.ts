// OpenCode's `run --format json`: `step_start` / `step_finish` around each
// step, `text` parts, `tool_use` parts whose `state` carries input, output
// and status, and `error`.
import { isObject, type Json, type TranscriptBuilder } from './model'

export function parseOpencode(event: Json, t: TranscriptBuilder): boolean {
  const part = isObject(event.part) ? event.part : {}
  switch (event.type) {
    case 'step_start':
    case 'step_finish':
      return true
    case 'text':
      t.message('assistant', part.text)
      return true
    case 'reasoning':
      t.thinking(part.text)
      return true
    case 'tool_use': {
      const state = isObject(part.state) ? part.state : {}
      t.tool(part.callID ?? part.id, part.tool, state.input)
      if (state.status === 'completed') t.toolResult(part.callID ?? part.id, state.output, false)
      else if (state.status === 'error') t.toolResult(part.callID ?? part.id, state.error, true)
      return true
    }
    case 'error': {
      const error = isObject(event.error) ? event.error : {}
      const data = isObject(error.data) ? error.data : {}
      t.error(data.message ?? error.message ?? error.name ?? event.error)
      return true
    }
    default:
      return false
  }
}
