// The one API client: every request to the Agented server goes through here.
// It owns the JSON conventions, the API key header, retries of idempotent
// reads and the translation of the server's error envelope.

export interface ErrorEnvelope {
  error: string
  code: string
  details?: Record<string, string>
}

/** A failed API call, with the server's message and code when it sent them. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: Record<string, string> | undefined
  readonly requestId: string | null

  constructor(status: number, code: string, message: string, details?: Record<string, string>, requestId: string | null = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
    this.requestId = requestId
  }
}

/** Status 0: the server could not be reached at all. */
export const UNREACHABLE = 0

const API_KEY_STORAGE = 'agented.apiKey'

/** The signed-in key: this tab's session storage, or local storage after "remember me". */
export function apiKey(): string | null {
  try {
    return sessionStorage.getItem(API_KEY_STORAGE) ?? localStorage.getItem(API_KEY_STORAGE)
  } catch {
    return null
  }
}

/** Stores the key for this tab only, or across browser restarts with `remember`. */
export function setApiKey(key: string, remember = false): void {
  clearApiKey()
  ;(remember ? localStorage : sessionStorage).setItem(API_KEY_STORAGE, key)
}

export function clearApiKey(): void {
  sessionStorage.removeItem(API_KEY_STORAGE)
  localStorage.removeItem(API_KEY_STORAGE)
}

type UnauthorizedListener = (error: ApiError) => void
const unauthorizedListeners = new Set<UnauthorizedListener>()

/** Called whenever the server refuses the stored key (401); returns an unsubscribe function. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener)
  return () => unauthorizedListeners.delete(listener)
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  body?: unknown
  /** A file sent as the raw body (application/octet-stream) instead of JSON. */
  upload?: Blob
  signal?: AbortSignal
  /** Extra attempts for GET on network errors and 502/503/504 (default 2). */
  retries?: number
}

const RETRYABLE = new Set([502, 503, 504])

function isEnvelope(value: unknown): value is ErrorEnvelope {
  return typeof value === 'object' && value !== null && typeof (value as ErrorEnvelope).error === 'string'
}

async function toApiError(res: Response): Promise<ApiError> {
  const requestId = res.headers.get('x-request-id')
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    // Not JSON: fall back to the status text below.
  }
  if (isEnvelope(body)) return new ApiError(res.status, body.code ?? 'error', body.error, body.details, requestId)
  return new ApiError(res.status, 'error', res.statusText || `HTTP ${res.status}`, undefined, requestId)
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Sends a request and returns the parsed JSON body, or throws an ApiError. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET'
  const headers: Record<string, string> = { Accept: 'application/json' }
  const key = apiKey()
  if (key) headers['X-API-Key'] = key
  if (options.upload !== undefined) headers['Content-Type'] = 'application/octet-stream'
  else if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  const attempts = 1 + (method === 'GET' ? (options.retries ?? 2) : 0)

  let last: ApiError = new ApiError(UNREACHABLE, 'unreachable', 'The Agented server could not be reached.')
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await wait(250 * 2 ** (attempt - 1))
    let res: Response
    try {
      res = await fetch(path, {
        method,
        headers,
        body: options.upload ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
        signal: options.signal,
      })
    } catch (e) {
      if (options.signal?.aborted) throw e
      continue
    }
    if (res.ok) return (res.status === 204 ? undefined : await res.json()) as T
    last = await toApiError(res)
    if (res.status === 401 && key) {
      // The stored key no longer works (revoked, or the server was reset): forget it.
      clearApiKey()
      unauthorizedListeners.forEach((listener) => listener(last))
    }
    if (!RETRYABLE.has(res.status)) break
  }
  throw last
}

export interface ReadinessComponent {
  status: 'ok' | 'unavailable'
  error?: string
  figures?: Record<string, number>
}

export interface Readiness {
  status: 'ok' | 'unavailable'
  timestamp: string
  /** With a key: database, queue and runner. */
  components?: Record<string, ReadinessComponent>
  startup_warnings?: string[]
}

/** The server's readiness. A 503 still carries the body, so it is returned, not thrown. */
export async function getReadiness(signal?: AbortSignal): Promise<Readiness> {
  try {
    return await request<Readiness>('/health/readiness', { signal, retries: 0 })
  } catch (e) {
    if (e instanceof ApiError && e.status === 503) return { status: 'unavailable', timestamp: new Date().toISOString() }
    throw e
  }
}

export interface Session {
  name: string
  scope: 'admin' | 'read'
  credential: string
}

/** Who the stored key belongs to. */
export function getSession(): Promise<Session> {
  return request<Session>('/admin/session', { retries: 0 })
}

/** What to tell the user about a failed call; `forbidden` replaces the server's 403 message. */
export function errorMessage(e: unknown, forbidden?: string): string {
  if (e instanceof ApiError) return e.status === 403 && forbidden ? forbidden : e.message
  return 'Something went wrong.'
}

/** The server's reason field by field (`field: message; …`), or its message when it named no field. */
export function fieldErrors(e: unknown): string {
  if (e instanceof ApiError && e.details) return Object.entries(e.details).map(([k, v]) => `${k}: ${v}`).join('; ')
  return errorMessage(e)
}
