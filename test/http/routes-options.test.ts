/**
 * The routes' own options (0.2): `session` and `allowedOrigins` given to the routes, and the
 * deprecated places on `createApiKeyAuth` still working with a one-time warning.
 */
import { describe, expect, test } from 'vitest'
import {
  type AuthRequest,
  createApiKeyAuth,
  createApiKeyRoutes,
  MemoryKeyStore,
  type SessionOptions,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'

const hook: SessionOptions = {
  authenticate: async (r) => (r.cookies.sid === 'alice' ? { userId: 'alice' } : null),
}
const create = (over: Partial<AuthRequest> = {}): AuthRequest => ({
  method: 'POST',
  path: '/api/v1/api-keys',
  headers: { cookie: 'sid=alice', 'content-type': 'application/json' },
  body: { name: 'k' },
  ...over,
})
const status = async (routes: ReturnType<typeof createApiKeyRoutes>, request: AuthRequest) =>
  (await routes(request))?.status

describe('routes options', () => {
  test('the deprecated places still work, with one warning per option per process', async () => {
    // First in this file: the warning is once per process, and each test file has its own
    // module graph (vitest isolation), so no earlier test has warned yet.
    const logs = createLogSink()
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: logs.logger,
      session: hook,
      allowedOrigins: ['https://app.example'],
    })
    const routes = createApiKeyRoutes(auth)
    expect(await status(routes, create())).toBe(201)
    expect(
      await status(
        routes,
        create({ headers: { ...create().headers, origin: 'https://evil.example' } }),
      ),
    ).toBe(403)
    const warnings = logs.lines.filter((l) => /is deprecated since 0\.2/.test(l.message))
    expect(warnings.map((l) => l.context?.option).sort()).toEqual(['allowedOrigins', 'session'])
    const again = createLogSink()
    createApiKeyAuth({ store: new MemoryKeyStore(), logger: again.logger, session: hook })
    expect(again.lines.filter((l) => /deprecated/.test(l.message))).toEqual([])
  })

  test('session and allowedOrigins given to the routes are used', async () => {
    const logs = createLogSink()
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: logs.logger })
    const routes = createApiKeyRoutes(auth, {
      session: hook,
      allowedOrigins: ['https://app.example'],
    })
    expect(await status(routes, create())).toBe(201)
    expect(
      await status(
        routes,
        create({ headers: { ...create().headers, origin: 'https://app.example' } }),
      ),
    ).toBe(201)
    expect(
      await status(
        routes,
        create({ headers: { ...create().headers, origin: 'https://evil.example' } }),
      ),
    ).toBe(403)
    expect(logs.lines.map((l) => l.message).join('\n')).not.toMatch(/deprecated|without session/)
  })

  test('the routes option wins over the deprecated one', async () => {
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: false,
      session: { authenticate: async () => null },
    })
    expect(await status(createApiKeyRoutes(auth), create())).toBe(401)
    expect(await status(createApiKeyRoutes(auth, { session: hook }), create())).toBe(201)
  })

  test('bad routes options fail at set-up, naming the option and what was expected', () => {
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    const cases: [object, RegExp][] = [
      [
        { session: { jwt: { secret: 'short' } } },
        /apiKeyRoutes: session\.jwt\.secret: must be at least 32 bytes/,
      ],
      [
        { session: { jwt: {} } },
        /apiKeyRoutes: session\.jwt: give exactly one of secret, publicKey or jwksUrl/,
      ],
      [{ session: 42 }, /apiKeyRoutes: session: /],
      [{ allowedOrigins: ['https://app.example/path'] }, /allowedOrigins\.0: must be an origin/],
      [{ allowedOrigins: 'https://app.example' }, /allowedOrigins: expected an array of origins/],
    ]
    for (const [options, message] of cases) {
      expect(() => createApiKeyRoutes(auth, options as never)).toThrow(
        expect.objectContaining({
          code: 'CONFIGURATION_ERROR',
          message: expect.stringMatching(message),
        }),
      )
    }
  })

  test('a JWT secret given to the routes is copied and not reachable from the service', async () => {
    const { inspect } = await import('node:util')
    const secret = 'routes-session-secret-Zq8Lm3Xw9Rv5Tn1BcK4'
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    createApiKeyRoutes(auth, { session: { jwt: { secret } } })
    expect(inspect(auth, { depth: Infinity, showHidden: true })).not.toContain(secret)
  })
})
