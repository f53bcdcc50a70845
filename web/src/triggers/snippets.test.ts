import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { curlSnippet, exampleBody, newSecret, shellQuote } from './snippets'

const rules = { match_field_path: null, match_field_value: null, text_field_path: 'text', detection_keyword: null }

describe('webhook snippets', () => {
  it('builds a body the trigger matches: the match field at its path, the keyword in the text', () => {
    expect(exampleBody(rules)).toBe('{"text":"Sent from curl"}')
    expect(exampleBody({ ...rules, match_field_path: 'event.type', match_field_value: 'alert', detection_keyword: 'disk' })).toBe(
      '{"event":{"type":"alert"},"text":"disk: sent from curl"}',
    )
    expect(exampleBody({ ...rules, match_field_path: 'data.0.kind', match_field_value: "it's", text_field_path: 'msg.body' })).toBe(
      '{"data":[{"kind":"it\'s"}],"msg":{"body":"Sent from curl"}}',
    )
  })

  it('quotes for the shell, whatever the text holds', () => {
    const nasty = `it's "$(rm -rf /)" \`x\``
    expect(execFileSync('sh', ['-c', `printf '%s' ${shellQuote(nasty)}`]).toString()).toBe(nasty)
  })

  it('signs exactly the bytes it sends, as the server checks them', () => {
    const body = exampleBody({ ...rules, match_field_path: 'event.type', match_field_value: "it's" })
    const script = curlSnippet('http://127.0.0.1:9/', body, true, 'whsec_s3cret').replace(/^curl .*$/m, 'printf "%s\\n%s" "$sig" "$body"')
    const [sig, sent] = execFileSync('sh', ['-c', script]).toString().split('\n')
    expect(sent).toBe(body)
    expect(sig).toBe(`sha256=${createHmac('sha256', 'whsec_s3cret').update(body).digest('hex')}`)
  })

  it('reads the secret from the environment when it does not carry it', () => {
    const script = curlSnippet('http://x/', '{}', true)
    expect(script).toContain('# AGENTED_WEBHOOK_SECRET holds')
    expect(script).not.toMatch(/^AGENTED_WEBHOOK_SECRET=/m)
    expect(curlSnippet('http://x/', '{}', false)).not.toContain('sig')
  })

  it('makes Standard Webhooks secrets of 32 random bytes', () => {
    const secret = newSecret((b) => b.fill(7))
    expect(secret).toBe(`whsec_${Buffer.alloc(32, 7).toString('base64')}`)
    expect(newSecret()).not.toBe(newSecret())
  })
})
