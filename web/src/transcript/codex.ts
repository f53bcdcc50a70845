// Codex's `exec --json`: `thread.started`, `turn.*`, and `item.started` /
// `item.updated` / `item.completed` records whose `item.type` says what it is
// (agent_message, reasoning, command_execution, file_change, mcp_tool_call,
// web_search, todo_list, error).
import { isObject, type Json, type TranscriptBuilder } from './model'

export function parseCodex(event: Json, t: TranscriptBuilder): boolean {
  switch (event.type) {
    case 'thread.started':
      t.session(null, event.thread_id)
      return true
    case 'turn.started':
    case 'turn.completed':
      return true
    case 'turn.failed':
      t.error(isObject(event.error) ? event.error.message : event.error)
      return true
    case 'error':
      t.error(event.message)
      return true
    case 'item.started':
    case 'item.updated':
    case 'item.completed':
      return isObject(event.item) ? item(event.item, event.type === 'item.completed', t) : false
    default:
      return false
  }
}

function item(it: Json, done: boolean, t: TranscriptBuilder): boolean {
  switch (it.type) {
    case 'agent_message':
      if (done) t.message('assistant', it.text)
      return true
    case 'reasoning':
      if (done) t.thinking(it.text)
      return true
    case 'command_execution':
      t.tool(it.id, 'shell', it.command)
      if (done) t.toolResult(it.id, it.aggregated_output, typeof it.exit_code === 'number' && it.exit_code !== 0)
      return true
    case 'file_change': {
      const changes = Array.isArray(it.changes) ? it.changes.filter(isObject) : []
      t.tool(it.id, 'edit files', changes.map((c) => `${String(c.kind)} ${String(c.path)}`).join('\n'))
      if (done) t.toolResult(it.id, String(it.status ?? 'completed'), it.status === 'failed')
      return true
    }
    case 'mcp_tool_call':
      t.tool(it.id, `${String(it.server)}.${String(it.tool)}`, it.arguments ?? '')
      if (done) t.toolResult(it.id, it.result ?? it.error ?? String(it.status ?? ''), it.status === 'failed')
      return true
    case 'web_search':
      t.tool(it.id, 'web search', it.query)
      if (done) t.toolResult(it.id, '', false)
      return true
    case 'todo_list':
      if (done && Array.isArray(it.items)) {
        t.message('assistant', it.items.filter(isObject).map((i) => `- [${i.completed ? 'x' : ' '}] ${String(i.text)}`).join('\n'))
      }
      return true
    case 'error':
      t.error(it.message)
      return true
    default:
      return false
  }
}
