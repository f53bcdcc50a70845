import { request } from './client'

/** Rows of one source table of the original's database. */
export interface ImportTable {
  source_table: string
  target_table: string
  read: number
  imported: number
  already_present: number
  skipped: number
}

/** What an import did, row by row where it matters. */
export interface ImportReport {
  source: string
  dry_run: boolean
  schema_version: number
  timezone: string
  tables: ImportTable[]
  skipped: { source_table: string; id: string; reason: string }[]
  warnings: { source_table: string; id: string; message: string }[]
  not_imported: { source_table: string; rows: number; reason: string }[]
  id_map: { source_table: string; from: string; to: string }[]
}

/** An import of the Python Agented's database: its progress, then its report or its error. */
export interface ImportJob {
  id: string
  dry_run: boolean
  status: 'running' | 'succeeded' | 'failed'
  progress: { step: string; done: number; total: number }
  report: ImportReport | null
  error: string | null
  started_at: string
  finished_at: string | null
}

/** Uploads the original's `agented.db` and starts importing it. */
export function startImport(file: Blob, dryRun: boolean): Promise<ImportJob> {
  return request<ImportJob>(`/admin/import/python?dry_run=${dryRun}`, { method: 'POST', upload: file })
}

export function getImport(id: string): Promise<ImportJob> {
  return request<ImportJob>(`/admin/import/python/${encodeURIComponent(id)}`)
}
