// Starts the real `agented` binary on a free port with a fresh data folder,
// serving this folder's built dist/. Used by the browser tests.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

const here = dirname(fileURLToPath(import.meta.url))
export const webDir = resolve(here, '..')
export const repoDir = resolve(webDir, '..')

export async function startServer() {
  const bin = process.env.AGENTED_BIN ?? join(repoDir, 'target/debug/agented')
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build it with cargo build -p agented_server (cargo xtask e2e does)`)
  if (!existsSync(join(webDir, 'dist/index.html'))) throw new Error('web/dist is missing: run npm run build (cargo xtask e2e does)')
  const dataDir = mkdtempSync(join(tmpdir(), 'agented-e2e-'))
  const child = spawn(bin, ['serve'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      AGENTED_ENV: 'test',
      AGENTED_CONFIG_DIR: join(repoDir, 'config'),
      AGENTED__DATA_DIR: join(dataDir, 'data'),
      AGENTED__WEB__DIST_DIR: join(webDir, 'dist'),
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
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
