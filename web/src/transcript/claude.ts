// Claude Code's `--output-format stream-json`: `system/init`, then `assistant`
// messages whose content holds text, thinking and `tool_use` blocks, `user`
// messages carrying `tool_result` blocks, and one final `result`.
import { isObject, type Json, type TranscriptBuilder } from './model'

export function parseClaude(event: Json, t: TranscriptBuilder): boolean {
  switch (event.type) {
    case 'system':
      if (event.subtype !== 'init') return true
      t.session(event.model, event.session_id)
      return true
    case 'assistant':
    case 'user': {
      const message = isObject(event.message) ? event.message : {}
      const content = message.content
      if (typeof content === 'string') {
        t.message(event.type, content)
        return true
      }
      if (!Array.isArray(content)) return true // a usage-only record
      for (const block of content) {
        if (!isObject(block)) continue
        if (block.type === 'text') t.message(event.type, block.text)
        else if (block.type === 'thinking') t.thinking(block.thinking)
        else if (block.type === 'tool_use') t.tool(block.id, block.name, block.input)
        else if (block.type === 'tool_result') t.toolResult(block.tool_use_id, block.content, block.is_error === true)
      }
      return true
    }
    case 'result':
      t.result(event.result, event.is_error === true)
      return true
    default:
      return false
  }
}
