/**
 * `apiKeyRoutes` is a Fastify plugin without `fastify-plugin` (issue 9): it carries the metadata
 * Fastify reads, so it behaves as a `fastify-plugin`-wrapped plugin would.
 */
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'
import { describe, expect, test } from 'vitest'
import { apiKeyRoutes, requireApiKey } from '../../adapters/frameworks/fastify/index.js'
import { createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'

const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
const meta = (symbol: string): unknown =>
  (apiKeyRoutes as unknown as Record<symbol, unknown>)[Symbol.for(symbol)]

describe('@vydra/auth/fastify as a plugin', () => {
  test('carries the metadata Fastify reads: no encapsulation, its name, Fastify 5', () => {
    expect(meta('skip-override')).toBe(true)
    expect(meta('fastify.display-name')).toBe('@vydra/auth/fastify')
    expect(meta('plugin-meta')).toEqual({ name: '@vydra/auth/fastify', fastify: '5.x' })
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      peerDependencies: Record<string, string>
    }
    expect(pkg.peerDependencies.fastify).toBe('^5.0.0')
  })

  test('registers in the caller’s context: request.auth is declared there, and hasPlugin knows it', async () => {
    const app = Fastify()
    await app.register(apiKeyRoutes, { auth })
    app.get('/me', { onRequest: requireApiKey(auth) }, async (request) => ({ auth: request.auth }))
    app.get('/open', async (request) => ({ auth: request.auth }))
    await app.ready()
    expect(app.hasRequestDecorator('auth')).toBe(true)
    expect(app.hasPlugin('@vydra/auth/fastify')).toBe(true)
    expect((await app.inject('/open')).json()).toEqual({ auth: null })
    expect((await app.inject('/me')).statusCode).toBe(401)
    expect((await app.inject('/api/v1/api-keys')).statusCode).toBe(401)
    await app.close()
  })

  test('the adapter imports no fastify-plugin', () => {
    const source = readFileSync('adapters/frameworks/fastify/index.ts', 'utf8')
    expect(source).not.toMatch(/from ['"]fastify-plugin['"]/)
  })
})
