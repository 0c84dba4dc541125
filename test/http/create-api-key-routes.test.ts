import { describe, expect, test } from 'vitest'
import {
  type AuthRequest,
  type AuthResponse,
  createApiKeyAuth,
  createApiKeyRoutes,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { createStoreSpy } from '../support/store-spy.js'

function setup(session: 'hook' | 'none' = 'hook'): {
  routes: ReturnType<typeof createApiKeyRoutes>
  spy: ReturnType<typeof createStoreSpy>
} {
  const spy = createStoreSpy()
  const auth = createApiKeyAuth({
    store: spy.store,
    logger: createLogSink().logger,
    session:
      session === 'hook'
        ? { authenticate: async (r) => (r.cookies.sid === 'alice' ? { userId: 'alice' } : null) }
        : undefined,
  })
  return { routes: createApiKeyRoutes(auth), spy }
}

const req = (over: Partial<AuthRequest>): AuthRequest => ({
  method: 'GET',
  path: '/api/v1/api-keys',
  headers: { cookie: 'sid=alice', 'content-type': 'application/json' },
  ...over,
})
const code = (res: AuthResponse | null): string | undefined =>
  (res?.body as { error?: { code: string } } | undefined)?.error?.code

describe('createApiKeyRoutes', () => {
  test('other paths and OPTIONS are not ours (null)', async () => {
    const { routes } = setup()
    for (const path of ['/api/v1/models', '/api/v1/api-keysx', '/api/v1/api-keys/a/b', '/']) {
      expect(await routes(req({ path }))).toBeNull()
    }
    expect(await routes(req({ method: 'OPTIONS' }))).toBeNull()
  })

  test('a body a framework already parsed is used as is', async () => {
    const { routes } = setup()
    const res = await routes(req({ method: 'POST', body: { name: 'parsed' } }))
    expect(res?.status).toBe(201)
    expect(res?.body).toMatchObject({ name: 'parsed', scopes: ['*'] })
  })

  test('no body at all is INVALID_JSON; a failing body reader is 503, never a throw', async () => {
    const { routes } = setup()
    expect(code(await routes(req({ method: 'POST' })))).toBe('INVALID_JSON')
    const failing = await routes(
      req({ method: 'POST', readBody: () => Promise.reject(new Error('socket hang up')) }),
    )
    expect([failing?.status, code(failing)]).toEqual([503, 'AUTH_UNAVAILABLE'])
    const invalidUtf8 = await routes(
      req({ method: 'POST', readBody: async () => new Uint8Array([0x7b, 0xff, 0x7d]) }),
    )
    expect(code(invalidUtf8)).toBe('INVALID_JSON')
  })

  test('HEAD lists like GET; the trailing slash form is the collection', async () => {
    const { routes } = setup()
    expect((await routes(req({ method: 'HEAD' })))?.status).toBe(200)
    expect((await routes(req({ path: '/api/v1/api-keys/' })))?.body).toEqual({ keys: [] })
  })

  test('a store failure is 503 AUTH_UNAVAILABLE with Retry-After', async () => {
    const { routes, spy } = setup()
    spy.behave.listByUser = { kind: 'reject', error: new Error('db down') }
    const res = await routes(req({}))
    expect([res?.status, code(res), res?.headers['retry-after']]).toEqual([
      503,
      'AUTH_UNAVAILABLE',
      '5',
    ])
  })

  test('without session options, session routes are 401 SESSION_REQUIRED', async () => {
    const { routes } = setup('none')
    expect(code(await routes(req({})))).toBe('SESSION_REQUIRED')
    expect(code(await routes(req({ method: 'POST', body: { name: 'x' } })))).toBe(
      'SESSION_REQUIRED',
    )
  })

  test('HDR-16 two Authorization lines on GET and DELETE /api/v1/api-keys are 401 INVALID_FORMAT, no lookup, nothing revoked', async () => {
    const spy = createStoreSpy()
    const auth = createApiKeyAuth({ store: spy.store, logger: createLogSink().logger })
    const routes = createApiKeyRoutes(auth)
    const star = await auth.createKey({ userId: 'alice', name: 'admin', scopes: ['*'] })
    const victim = await auth.createKey({ userId: 'alice', name: 'victim' })
    const good = `Bearer ${star.key}`
    const lines = (first: string, second: string): Partial<AuthRequest> => ({
      headers: { authorization: first },
      rawHeaders: ['Authorization', first, 'Host', 'api.test', 'authorization', second],
    })
    for (const [first, second] of [
      [good, good],
      [good, 'Bearer nope'],
      ['Bearer nope', good],
    ] as const) {
      for (const request of [
        req({ ...lines(first, second) }),
        req({ method: 'DELETE', path: `/api/v1/api-keys/${victim.id}`, ...lines(first, second) }),
      ]) {
        const res = await routes(request)
        expect([request.method, res?.status, code(res)]).toEqual([
          request.method,
          401,
          'INVALID_FORMAT',
        ])
        expect(res?.headers['www-authenticate']).toBe('Bearer realm="vydra", error="invalid_token"')
      }
    }
    expect(spy.calls.findByHash).toBe(0)
    expect(spy.calls.revoke).toBe(0)
    expect(spy.calls.listByUser).toBe(2) // the two creations only
    // One line of the same key is served: the refusals above were about the duplicate.
    const single = await routes(
      req({ headers: { authorization: good }, rawHeaders: ['Authorization', good] }),
    )
    expect(single?.status).toBe(200)
  })

  test('basePath is configurable and must be absolute', async () => {
    const spy = createStoreSpy()
    const auth = createApiKeyAuth({
      store: spy.store,
      session: { authenticate: async () => ({ userId: 'alice' }) },
    })
    const routes = createApiKeyRoutes(auth, { basePath: '/keys/' })
    expect((await routes(req({ path: '/keys' })))?.status).toBe(200)
    expect(await routes(req({}))).toBeNull()
    expect(() => createApiKeyRoutes(auth, { basePath: 'keys' })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
  })
})
