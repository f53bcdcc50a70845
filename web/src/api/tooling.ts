import { apiKey, request } from './client'
import { listMcpServers, type McpServer } from './mcpServers'

/** The kinds of tooling besides MCP servers. */
export type ItemKind = 'skill' | 'command' | 'hook' | 'rule'

/** Each kind's collection path under `/admin`, also its key in a `tooling` field. */
export const KIND_PATHS: Record<ItemKind, 'skills' | 'commands' | 'hooks' | 'rules'> = {
  skill: 'skills',
  command: 'commands',
  hook: 'hooks',
  rule: 'rules',
}

export const HOOK_EVENTS = [
  'PreToolUse',
  'PostToolUse',
  'UserPromptSubmit',
  'Stop',
  'SubagentStop',
  'SessionStart',
  'SessionEnd',
  'Notification',
  'PreCompact',
] as const

/** A skill, command, hook or rule; every change makes a new version. */
export interface ToolingItem {
  id: string
  kind: ItemKind
  name: string
  description: string | null
  content: string
  files: Record<string, string>
  event: string | null
  matcher: string | null
  arguments: string | null
  rule_type: string | null
  enabled: boolean
  version: number
  created_at: string
  updated_at: string
}

export type ToolingItemInput = Partial<
  Pick<ToolingItem, 'name' | 'description' | 'content' | 'files' | 'event' | 'matcher' | 'arguments' | 'rule_type' | 'enabled'>
>

/** What something attaches for its runs, ids per kind. */
export interface Tooling {
  mcp_servers: string[]
  skills: string[]
  commands: string[]
  hooks: string[]
  rules: string[]
}

/** `tooling` as stored (kinds with nothing attached may be absent). */
export function toolingOf(t: Partial<Tooling> | undefined): Tooling {
  return {
    mcp_servers: [...(t?.mcp_servers ?? [])],
    skills: [...(t?.skills ?? [])],
    commands: [...(t?.commands ?? [])],
    hooks: [...(t?.hooks ?? [])],
    rules: [...(t?.rules ?? [])],
  }
}

const collection = (kind: ItemKind) => `/admin/${KIND_PATHS[kind]}`
const one = (kind: ItemKind, id: string) => `${collection(kind)}/${encodeURIComponent(id)}`

export async function listItems(kind: ItemKind): Promise<ToolingItem[]> {
  return (await request<{ items: ToolingItem[] }>(collection(kind))).items
}

export function createItem(kind: ItemKind, input: ToolingItemInput): Promise<ToolingItem> {
  return request(collection(kind), { method: 'POST', body: input })
}

export function updateItem(kind: ItemKind, id: string, input: ToolingItemInput): Promise<ToolingItem> {
  return request(one(kind, id), { method: 'PUT', body: input })
}

export function deleteItem(kind: ItemKind, id: string): Promise<void> {
  return request(one(kind, id), { method: 'DELETE' })
}

/** Everything there is to attach. */
export interface ToolingChoices {
  servers: McpServer[]
  items: ToolingItem[]
}

/** Every MCP server and item (none of a kind the caller may not read). */
export async function loadToolingChoices(): Promise<ToolingChoices> {
  const kinds: ItemKind[] = ['skill', 'command', 'hook', 'rule']
  const [servers, ...lists] = await Promise.all([
    listMcpServers().catch(() => []),
    ...kinds.map((k) => listItems(k).catch(() => [])),
  ])
  return { servers, items: lists.flat() }
}

/** A Claude Code plugin: its skills, commands and hooks are items; its other files are kept. */
export interface Plugin {
  id: string
  name: string
  description: string | null
  version: string | null
  author: string | null
  source: string
  marketplace: string | null
  components: { id: string; kind: ItemKind; path: string }[]
  files: string[]
  created_at: string
}

/** Where an import reads from: exactly one of these. */
export type PluginImport =
  | { files: Record<string, string> }
  | { path: string }
  | { git: string; ref?: string }

export interface PluginImported {
  plugins: Plugin[]
  warnings: string[]
  skipped: string[]
}

export async function listPlugins(): Promise<Plugin[]> {
  return (await request<{ plugins: Plugin[] }>('/admin/plugins')).plugins
}

export function importPlugin(source: PluginImport): Promise<PluginImported> {
  return request('/admin/plugins/import', { method: 'POST', body: source })
}

export function deletePlugin(id: string): Promise<void> {
  return request(`/admin/plugins/${encodeURIComponent(id)}`, { method: 'DELETE' })
}

/** A plugin's folder (or a marketplace's, by name) as a zip. */
export async function exportPluginZip(target: { plugin: string } | { marketplace: string }): Promise<Blob> {
  const path =
    'plugin' in target
      ? `/admin/plugins/${encodeURIComponent(target.plugin)}/export?format=zip`
      : `/admin/plugins/marketplaces/${encodeURIComponent(target.marketplace)}/export?format=zip`
  const key = apiKey()
  const res = await fetch(path, { headers: key ? { 'X-API-Key': key } : {} })
  if (!res.ok) throw new Error(`export failed: HTTP ${res.status}`)
  return res.blob()
}
