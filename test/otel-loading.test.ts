/**
 * "Without the package nothing is loaded": a service that never imports `@vydra/auth/otel` loads
 * no module of `@opentelemetry/*`, in a child process whose module resolution is recorded (ESM
 * through a resolve hook, CommonJS through `require.cache`). The control imports the entry and
 * must see `@opentelemetry/api` resolved, so the check can fail.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'

const root = join(import.meta.dirname, '..')

// Records every URL the loader resolves (ESM) and every CommonJS module, then prints those of
// OpenTelemetry after `body` ran.
const script = (body: string): string => `
import { register, createRequire } from 'node:module'
import { MessageChannel } from 'node:worker_threads'
const { port1, port2 } = new MessageChannel()
const resolved = []
port1.on('message', (url) => resolved.push(url))
port1.unref()
const hook = 'let port; export function initialize(data) { port = data.port }' +
  ' export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r }'
register('data:text/javascript,' + encodeURIComponent(hook), {
  parentURL: import.meta.url,
  data: { port: port2 },
  transferList: [port2],
})
${body}
await new Promise((done) => setTimeout(done, 50))
const require = createRequire(import.meta.url)
const loaded = [...resolved, ...Object.keys(require.cache)]
console.log(JSON.stringify({ total: loaded.length, otel: loaded.filter((u) => u.includes('@opentelemetry')) }))
`

const run = (body: string): { total: number; otel: string[] } =>
  JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(body)], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as { total: number; otel: string[] }

describe('OpenTelemetry is loaded only through @vydra/auth/otel', () => {
  test('a service with events, usage counting and verifications loads nothing of it', () => {
    const result = run(`
const { createApiKeyAuth, MemoryKeyStore, MemoryUsageStore } = await import('./src/index.ts')
await import('./src/http/index.ts')
const auth = createApiKeyAuth({ store: new MemoryKeyStore(), usageStore: new MemoryUsageStore(), logger: false })
auth.on('auth.denied', () => {})
const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
await auth.verifyKey(key)
await auth.verifyKey('bad').catch(() => {})
await auth.close()
`)
    expect(result.total).toBeGreaterThan(10)
    expect(result.otel).toEqual([])
  }, 60_000)

  test('control: importing @vydra/auth/otel resolves @opentelemetry/api', () => {
    const result = run(`
const { createApiKeyAuth, MemoryKeyStore } = await import('./src/index.ts')
const { openTelemetry } = await import('./adapters/telemetry/otel/index.ts')
createApiKeyAuth({ store: new MemoryKeyStore(), logger: false, telemetry: openTelemetry() })
`)
    expect(result.otel.some((url) => url.includes('@opentelemetry/api'))).toBe(true)
  }, 60_000)
})
