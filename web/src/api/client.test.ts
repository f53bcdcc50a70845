import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, request, setApiKey } from './client'
import { checkHealth } from './health'

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
}

afterEach(() => {
  vi.unstubAllGlobals()
  localStorage.clear()
  sessionStorage.clear()
})

describe('request', () => {
  it('returns the parsed body of a successful call', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(200, { status: 'ok' })))
    await expect(request('/health/liveness')).resolves.toEqual({ status: 'ok' })
  })

  it('turns the error envelope into an ApiError with code, message and request id', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(404, { error: 'no route for GET /admin/x', code: 'not_found' }, { 'x-request-id': 'rid-1' })))
    const err = await request('/admin/x').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 404, code: 'not_found', message: 'no route for GET /admin/x', requestId: 'rid-1' })
  })

  it('retries a read after a network error, then succeeds', async () => {
    const fetch = vi.fn().mockRejectedValueOnce(new TypeError('network down')).mockResolvedValueOnce(jsonResponse(200, { n: 1 }))
    vi.stubGlobal('fetch', fetch)
    await expect(request('/health/liveness')).resolves.toEqual({ n: 1 })
    expect(fetch).toHaveBeenCalledTimes(2)
  })

  it('never retries a write', async () => {
    const fetch = vi.fn(async () => jsonResponse(503, { error: 'busy', code: 'unavailable' }))
    vi.stubGlobal('fetch', fetch)
    await expect(request('/admin/triggers', { method: 'POST', body: {} })).rejects.toMatchObject({ status: 503 })
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('sends the stored API key and JSON bodies', async () => {
    const fetch = vi.fn(async (_path: string, _init: RequestInit) => jsonResponse(200, {}))
    vi.stubGlobal('fetch', fetch)
    setApiKey('ak_test', true)
    await request('/admin/triggers', { method: 'POST', body: { name: 'x' } })
    const init = fetch.mock.calls[0]?.[1]
    expect(init?.headers).toMatchObject({ 'X-API-Key': 'ak_test', 'Content-Type': 'application/json' })
    expect(init?.body).toBe('{"name":"x"}')
  })

  it('sends an upload as the raw body, not as JSON', async () => {
    const fetch = vi.fn(async (_path: string, _init: RequestInit) => jsonResponse(202, {}))
    vi.stubGlobal('fetch', fetch)
    const file = new Blob([new Uint8Array([83, 81, 76])])
    await request('/admin/import/python', { method: 'POST', upload: file })
    const init = fetch.mock.calls[0]?.[1]
    expect(init?.headers).toMatchObject({ 'Content-Type': 'application/octet-stream' })
    expect(init?.body).toBe(file)
  })
})

describe('checkHealth', () => {
  it('is ok when the server is ready', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(200, { status: 'ok', timestamp: '2026-11-21T00:00:00Z' })))
    await expect(checkHealth()).resolves.toMatchObject({ state: 'ok', label: 'Server ready' })
  })

  it('is degraded when the database does not answer', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(503, { status: 'unavailable', timestamp: '2026-11-21T00:00:00Z' })))
    await expect(checkHealth()).resolves.toMatchObject({ state: 'degraded', label: 'Database unavailable' })
  })

  it('is unreachable when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('connection refused'))))
    await expect(checkHealth()).resolves.toMatchObject({ state: 'unreachable', label: 'Server unreachable' })
  })
})

describe('the stored key', () => {
  it('lives in session storage unless the user asks to be remembered', async () => {
    const { apiKey, setApiKey: store } = await import('./client')
    store('agd_session')
    expect(sessionStorage.getItem('agented.apiKey')).toBe('agd_session')
    expect(localStorage.getItem('agented.apiKey')).toBeNull()
    store('agd_remembered', true)
    expect(localStorage.getItem('agented.apiKey')).toBe('agd_remembered')
    expect(sessionStorage.getItem('agented.apiKey')).toBeNull()
    expect(apiKey()).toBe('agd_remembered')
  })

  it('is forgotten, and listeners told, when the server refuses it', async () => {
    const { apiKey, onUnauthorized, request: send, setApiKey: store } = await import('./client')
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(401, { error: 'invalid or revoked API key', code: 'unauthorized' })))
    store('agd_revoked')
    const heard = vi.fn()
    const stop = onUnauthorized(heard)
    await expect(send('/admin/session')).rejects.toMatchObject({ status: 401 })
    stop()
    expect(apiKey()).toBeNull()
    expect(heard).toHaveBeenCalledTimes(1)
  })
})
