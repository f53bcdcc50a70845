import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// The API runs on the Agented server; `npm run dev` proxies to it.
const api = process.env.AGENTED_URL ?? 'http://127.0.0.1:20000'
const proxied = ['/admin', '/api', '/health', '/docs', '/openapi.json']

export default defineConfig({
  plugins: [vue()],
  server: {
    proxy: Object.fromEntries(proxied.map((path) => [path, { target: api, changeOrigin: false }])),
  },
  build: {
    // The strict Content-Security-Policy forbids inline scripts: keep every script in a file.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
})
