// Starts the real `agented` binary on a free port with a fresh data folder,
// serving this folder's built dist/. Used by the browser tests.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, existsSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

const here = dirname(fileURLToPath(import.meta.url))
export const webDir = resolve(here, '..')
export const repoDir = resolve(webDir, '..')

/** Starts the server; `env` adds to (or overrides) its environment. */
export async function startServer({ env = {} } = {}) {
  const bin = resolve(process.env.AGENTED_BIN ?? join(repoDir, 'target/debug/agented'))
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build it with cargo build -p agented_server (cargo xtask e2e does)`)
  if (!existsSync(join(webDir, 'dist/index.html'))) throw new Error('web/dist is missing: run npm run build (cargo xtask e2e does)')
  const dataDir = mkdtempSync(join(tmpdir(), 'agented-e2e-'))
  // The fake bot stands in for the four CLIs, first on the runner's PATH.
  const bot = resolve(process.env.FAKE_BOT ?? join(repoDir, 'target/debug/fake-bot'))
  if (!existsSync(bot)) throw new Error(`${bot} is missing: build it with cargo build -p agented_test_support --bin fake-bot (cargo xtask e2e does)`)
  const fakeBin = join(dataDir, 'fake-bin')
  mkdirSync(fakeBin)
  for (const name of ['claude', 'codex', 'gemini', 'opencode']) symlinkSync(bot, join(fakeBin, name))
  const child = spawn(bin, ['serve'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      AGENTED_ENV: 'test',
      AGENTED_CONFIG_DIR: join(repoDir, 'config'),
      AGENTED__DATA_DIR: join(dataDir, 'data'),
      // Inside the test's own folder, so nothing is left behind in the temp folder.
      AGENTED__RUNNER__WORKSPACE_DIR: join(dataDir, 'work'),
      AGENTED__WEB__DIST_DIR: join(webDir, 'dist'),
      AGENTED__RUNNER__EXTRA_PATH: fakeBin,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let adminKey = null
  const url = await new Promise((resolveUrl, reject) => {
    const lines = createInterface({ input: child.stderr })
    const timer = setTimeout(() => reject(new Error('the server did not print its address within 30 s')), 30_000)
    lines.on('line', (line) => {
      // The admin key the server creates at its first start, printed once on the terminal.
      const key = /^\s+(agd_[0-9a-f]+)\s*$/.exec(line)
      if (key) adminKey = key[1]
      const match = /^agented listening on (http:\/\/[^/]+)\//.exec(line)
      if (match) {
        clearTimeout(timer)
        resolveUrl(match[1])
      }
    })
    child.on('exit', (code) => reject(new Error(`the server exited early with code ${code}`)))
    child.on('error', reject)
  })
  const exited = new Promise((resolveExit) => child.on('exit', resolveExit))
  if (!adminKey) throw new Error('the server printed no admin key at its first start')
  return {
    url,
    adminKey,
    /** Calls the API with the admin key. */
    async api(path, init = {}) {
      const res = await fetch(url + path, {
        ...init,
        headers: { 'X-API-Key': adminKey, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
      })
      return { status: res.status, body: await res.json() }
    },
    /** Reads an execution's live stream, event by event, until `done(name, data)` says so (or it ends). */
    async readStream(id, done) {
      const controller = new AbortController()
      const res = await fetch(`${url}/admin/executions/${id}/stream`, { headers: { 'X-API-Key': adminKey }, signal: controller.signal })
      const decoder = new TextDecoder()
      let buffer = ''
      try {
        for await (const chunk of res.body) {
          buffer += decoder.decode(chunk, { stream: true })
          let end
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const name = /^event: (.*)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (name && data && done(name, JSON.parse(data))) return
          }
        }
      } finally {
        controller.abort()
      }
    },
    /** The first `n` log lines of an execution, read from its live stream as they arrive. */
    async firstLogLines(id, n) {
      const lines = []
      await this.readStream(id, (name, data) => {
        if (name === 'log') lines.push(data)
        return name === 'complete' || lines.length >= n
      })
      return lines
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
