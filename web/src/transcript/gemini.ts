// Gemini CLI's `--output-format stream-json`: `init`, `message` records (the
// assistant's arrive as `delta` pieces of one message), `tool_use` and
// `tool_result` joined by `tool_id`, `error`, and a final `result`.
import { isObject, type Json, type TranscriptBuilder } from './model'

export function parseGemini(event: Json, t: TranscriptBuilder): boolean {
  switch (event.type) {
    case 'init':
      t.session(event.model, event.session_id)
      return true
    case 'message':
      t.message(event.role === 'user' ? 'user' : 'assistant', event.content, event.delta === true)
      return true
    case 'tool_use':
      t.tool(event.tool_id, event.tool_name, event.parameters)
      return true
    case 'tool_result': {
      const failed = event.status === 'error'
      const error = isObject(event.error) ? event.error.message : null
      t.toolResult(event.tool_id, failed && error ? error : event.output, failed)
      return true
    }
    case 'error':
      t.error(event.message)
      return true
    case 'result':
      t.result(null, event.status === 'error')
      return true
    default:
      return false
  }
}
