// Ready-to-run examples for a webhook trigger: a body its rules match, and the
// curl command that sends it, signed when the trigger has a secret.
import type { Trigger } from '../api/triggers'

type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

/** The variable the signed snippet reads the secret from when it does not carry it. */
export const SECRET_VARIABLE = 'AGENTED_WEBHOOK_SECRET'

/** Sets `value` at the dot path, creating objects (or arrays for numeric segments) on the way. */
function setPath(target: Record<string, Json> | Json[], path: string, value: Json): void {
  const segments = path.split('.').filter(Boolean)
  let node: Record<string, Json> | Json[] = target
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1
    const nextIsIndex = /^\d+$/.test(segments[i + 1] ?? '')
    const key = Array.isArray(node) ? Number(segment) : segment
    const store = (v: Json) => ((node as Record<string | number, Json>)[key] = v)
    if (last) {
      store(value)
      return
    }
    const existing = (node as Record<string | number, Json>)[key]
    const child = typeof existing === 'object' && existing !== null ? existing : nextIsIndex ? [] : {}
    store(child)
    node = child as Record<string, Json> | Json[]
  })
}

/** A JSON body this trigger's match field and keyword accept. */
export function exampleBody(t: Pick<Trigger, 'match_field_path' | 'match_field_value' | 'text_field_path' | 'detection_keyword'>): string {
  const body: Record<string, Json> = {}
  if (t.match_field_path) setPath(body, t.match_field_path, t.match_field_value ?? 'any value')
  const text = t.detection_keyword ? `${t.detection_keyword}: sent from curl` : 'Sent from curl'
  setPath(body, t.text_field_path || 'text', text)
  return JSON.stringify(body)
}

/** Single-quoted for a POSIX shell. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * The curl command that sends `body` to `url`. With `signed`, it signs the body with
 * HMAC-SHA256 (`X-Webhook-Signature-256`), the secret given, or else read from
 * `$AGENTED_WEBHOOK_SECRET`.
 */
export function curlSnippet(url: string, body: string, signed: boolean, secret?: string): string {
  const send = `curl -sS -X POST ${shellQuote(url)} -H 'Content-Type: application/json'`
  if (!signed) return `body=${shellQuote(body)}\n${send} -d "$body"`
  return [
    secret ? `${SECRET_VARIABLE}=${shellQuote(secret)}` : `# ${SECRET_VARIABLE} holds the trigger's webhook secret`,
    `body=${shellQuote(body)}`,
    `sig="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$${SECRET_VARIABLE}" -hex | sed 's/^.*= //')"`,
    `${send} -H "X-Webhook-Signature-256: $sig" -d "$body"`,
  ].join('\n')
}

/** A new random secret in the Standard Webhooks form (`whsec_` and 32 random bytes in base64). */
export function newSecret(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const bytes = random(new Uint8Array(32))
  return `whsec_${btoa(String.fromCharCode(...bytes))}`
}
