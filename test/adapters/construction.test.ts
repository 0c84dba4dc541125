/** SCP-12 and set-up errors: every adapter refuses a bad configuration when it is built, not per request. */
import Fastify from 'fastify'
import { describe, expect, test } from 'vitest'
import * as express from '../../adapters/frameworks/express/index.js'
import * as fastify from '../../adapters/frameworks/fastify/index.js'
import * as koa from '../../adapters/frameworks/koa/index.js'
import {
  type ApiKeyAuth,
  createApiKeyAuth,
  createApiKeyRoutes,
  MemoryKeyStore,
} from '../../src/index.js'
import { createLogSink, type LogSink } from '../support/log-sink.js'

const auth = createApiKeyAuth({
  store: new MemoryKeyStore(),
  scopes: ['models:read', 'models:write', 'jobs:*'],
  session: { authenticate: async () => null },
})
const configError = expect.objectContaining({ code: 'CONFIGURATION_ERROR' })

describe('adapter set-up', () => {
  for (const [name, requireApiKey] of [
    ['express', express.requireApiKey],
    ['fastify', fastify.requireApiKey],
    ['koa', koa.requireApiKey],
  ] as const) {
    test(`SCP-12 ${name}: a typo'd or unknown required scope throws at construction`, () => {
      for (const scopes of [['model:read'], ['models:delete'], ['admin'], ['models:'], ['']]) {
        expect(() => requireApiKey(auth, { scopes })).toThrow(configError)
      }
      for (const scopes of [[], ['models:read'], ['jobs:read'], ['jobs:*'], ['*']]) {
        expect(typeof requireApiKey(auth, { scopes })).toBe('function')
      }
    })
  }

  test('apiKeyRoutes without the auth service is a configuration error', async () => {
    expect(() => express.apiKeyRoutes(undefined as never)).toThrow(configError)
    expect(() => koa.apiKeyRoutes(undefined as never)).toThrow(configError)
    const app = Fastify()
    await expect(app.register(fastify.apiKeyRoutes, {} as never).ready()).rejects.toMatchObject({
      code: 'CONFIGURATION_ERROR',
    })
    await app.close()
  })
})

describe('issue 9: option errors say what was expected, at set-up, on every adapter', () => {
  const messageOf = (fn: () => unknown): string => {
    try {
      fn()
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR' })
      return (error as Error).message
    }
    throw new Error('did not throw')
  }

  for (const [name, requireApiKey] of [
    ['express', express.requireApiKey],
    ['fastify', fastify.requireApiKey],
    ['koa', koa.requireApiKey],
  ] as const) {
    test(`${name}: requireApiKey({ scopes }) without the service names the service`, () => {
      const message = messageOf(() => requireApiKey({ scopes: ['models:read'] } as never))
      expect(message).toContain('requireApiKey')
      expect(message).toContain('createApiKeyAuth()')
      expect(message).toContain('got an object with scopes')
      expect(messageOf(() => (requireApiKey as (...a: unknown[]) => unknown)())).toContain(
        'got undefined',
      )
    })

    test(`${name}: scopes that are not an array, and options that are not an object`, () => {
      expect(messageOf(() => requireApiKey(auth, { scopes: 'models:read' as never }))).toMatch(
        /scopes must be an array .* got a string/,
      )
      expect(messageOf(() => requireApiKey(auth, ['models:read'] as never))).toMatch(
        /expected an options object .* got an array/,
      )
    })
  }

  for (const [name, apiKeyRoutes] of [
    ['express', express.apiKeyRoutes],
    ['koa', koa.apiKeyRoutes],
  ] as const) {
    test(`${name}: apiKeyRoutes(auth, '/keys') asks for { basePath }`, () => {
      const message = messageOf(() => apiKeyRoutes(auth, '/keys' as never))
      expect(message).toContain('apiKeyRoutes')
      expect(message).toContain("{ basePath: '/api/v1/api-keys' }")
      expect(message).toContain('got a string')
      expect(messageOf(() => apiKeyRoutes(auth, { basePath: 42 as never }))).toMatch(
        /basePath must be a string .* got a number/,
      )
      expect(messageOf(() => apiKeyRoutes({ basePath: '/keys' } as never))).toMatch(
        /expected the service returned by createApiKeyAuth\(\) as auth .* got an object with basePath/,
      )
    })
  }

  test("fastify: register(apiKeyRoutes, '/keys'), the service itself, or a bad basePath", async () => {
    for (const [options, expected] of [
      [
        '/keys',
        /createApiKeyAuth\(\) as auth .*app\.register\(apiKeyRoutes, \{ auth \}\).* got a string/,
      ],
      [auth, /createApiKeyAuth\(\) as auth .* got undefined/],
      [{ auth, basePath: 42 }, /basePath must be a string .* got a number/],
      [{ auth, basePath: 'keys' }, /basePath must start with \//],
    ] as const) {
      const app = Fastify()
      const error = await app
        .register(fastify.apiKeyRoutes, options as never)
        .ready()
        .then(
          () => null,
          (e: unknown) => e,
        )
      expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR' })
      expect((error as Error).message).toMatch(expected)
      await app.close()
    }
  })
})

describe('issue 9: mounting the key routes without session options warns once, at start-up', () => {
  const withSink = (session: boolean): { auth: ApiKeyAuth; logs: LogSink } => {
    const logs = createLogSink()
    const service = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: logs.logger,
      session: session ? { authenticate: async () => null } : undefined,
    })
    return { auth: service, logs }
  }
  const warnings = (logs: LogSink): string[] =>
    logs.lines.filter((l) => l.level === 'warn').map((l) => l.message)

  test('createApiKeyRoutes, express and koa apiKeyRoutes', () => {
    for (const mount of [
      (a: ApiKeyAuth) => createApiKeyRoutes(a),
      (a: ApiKeyAuth) => express.apiKeyRoutes(a),
      (a: ApiKeyAuth) => koa.apiKeyRoutes(a, { basePath: '/keys' }),
    ]) {
      const without = withSink(false)
      mount(without.auth)
      expect(warnings(without.logs)).toHaveLength(1)
      expect(warnings(without.logs)[0]).toMatch(/without session options.*SESSION_REQUIRED/)
      const withSession = withSink(true)
      mount(withSession.auth)
      expect(withSession.logs.lines).toEqual([])
    }
  })

  test('fastify apiKeyRoutes', async () => {
    for (const [session, count] of [
      [false, 1],
      [true, 0],
    ] as const) {
      const { auth: service, logs } = withSink(session)
      const app = Fastify()
      await app.register(fastify.apiKeyRoutes, { auth: service }).ready()
      expect(warnings(logs)).toHaveLength(count)
      await app.close()
    }
  })
})
