import { request } from './client'

export type McpTransport = 'stdio' | 'http' | 'sse'

/** An MCP server; secrets in `env`, `headers` and `args` are `${NAME}` references, listed in `secrets`. */
export interface McpServer {
  id: string
  name: string
  display_name: string | null
  description: string | null
  server_type: McpTransport
  command: string | null
  args: string[]
  env: Record<string, string>
  url: string | null
  headers: Record<string, string>
  secrets: string[]
  timeout_ms: number
  enabled: boolean
  category: string
  is_preset: boolean
  documentation_url: string | null
  npm_package: string | null
  created_at: string
  updated_at: string
}

export type McpServerInput = Partial<Pick<McpServer, 'name' | 'display_name' | 'description' | 'server_type' | 'command' | 'args' | 'env' | 'url' | 'headers' | 'timeout_ms' | 'enabled' | 'category'>>

export interface McpPreset {
  key: string
  server: McpServerInput & { documentation_url?: string | null }
}

/** How a handshake test went. */
export interface McpTest {
  ok: boolean
  error: string | null
  server_name: string | null
  server_version: string | null
  protocol_version: string | null
  tools: { name: string; description: string | null }[]
}

const path = (id: string) => `/admin/mcp-servers/${encodeURIComponent(id)}`

export async function listMcpServers(): Promise<McpServer[]> {
  return (await request<{ servers: McpServer[] }>('/admin/mcp-servers')).servers
}

export async function listMcpPresets(): Promise<McpPreset[]> {
  return (await request<{ presets: McpPreset[] }>('/admin/mcp-servers/presets')).presets
}

export function addMcpPreset(key: string, changes: McpServerInput = {}): Promise<McpServer> {
  return request(`/admin/mcp-servers/presets/${encodeURIComponent(key)}`, { method: 'POST', body: changes })
}

export function createMcpServer(input: McpServerInput): Promise<McpServer> {
  return request('/admin/mcp-servers', { method: 'POST', body: input })
}

export function updateMcpServer(id: string, input: McpServerInput): Promise<McpServer> {
  return request(path(id), { method: 'PUT', body: input })
}

export function deleteMcpServer(id: string): Promise<void> {
  return request(path(id), { method: 'DELETE' })
}

export function testMcpServer(id: string): Promise<McpTest> {
  return request(`${path(id)}/test`, { method: 'POST' })
}
