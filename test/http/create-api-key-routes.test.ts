import { createHash } from 'node:crypto'
import { SignJWT } from 'jose'
import { describe, expect, test } from 'vitest'
import {
  type AuthRequest,
  type AuthResponse,
  createApiKeyAuth,
  createApiKeyRoutes,
  createBodyErrorTranslator,
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
    expect((await routes(req({ path: '/api/v1/api-keys/' })))?.body).toEqual({
      keys: [],
      nextCursor: null,
    })
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
        expect(res?.headers['www-authenticate']).toBe(
          'Bearer realm="vydra", error="invalid_request"',
        )
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

describe('issue 9: createBodyErrorTranslator', () => {
  const auth = createApiKeyAuth({ store: createStoreSpy().store, logger: false })
  const translate = createBodyErrorTranslator(auth)
  const typed = (type: string, status: number): Error =>
    Object.assign(new Error(`boom ${type}`), { type, status, body: '{"secret":' })

  test("body-parser, raw-body and co-body errors on the routes' paths", () => {
    const cases: [unknown, number, string][] = [
      [typed('entity.parse.failed', 400), 400, 'INVALID_JSON'],
      [typed('request.size.invalid', 400), 400, 'INVALID_JSON'],
      [typed('request.aborted', 400), 400, 'INVALID_JSON'],
      [typed('entity.too.large', 413), 413, 'PAYLOAD_TOO_LARGE'],
      [typed('parameters.too.many', 413), 413, 'PAYLOAD_TOO_LARGE'],
      [typed('charset.unsupported', 415), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [typed('encoding.unsupported', 415), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      // co-body: a bare SyntaxError with status 400.
      [Object.assign(new SyntaxError('Unexpected end'), { status: 400 }), 400, 'INVALID_JSON'],
    ]
    for (const [error, status, errorCode] of cases) {
      for (const path of ['/api/v1/api-keys', '/api/v1/api-keys/', '/api/v1/api-keys/some-id']) {
        const res = translate({ path }, error)
        expect([path, res?.status, code(res)]).toEqual([path, status, errorCode])
        expect(JSON.stringify(res)).not.toContain('boom')
        expect(JSON.stringify(res)).not.toContain('secret')
      }
    }
  })

  test('other paths and other errors are not ours (null), hostile values included', () => {
    expect(translate({ path: '/api/v1/models' }, typed('entity.parse.failed', 400))).toBeNull()
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap')
        },
      },
    )
    for (const error of [
      new Error('downstream failure'),
      typed('entity.verify.failed', 403),
      typed('stream.encoding.set', 500),
      Object.assign(new SyntaxError('x'), { status: 500 }),
      new SyntaxError('no status'),
      Object.create(null),
      hostile,
      'a string',
      undefined,
      null,
    ]) {
      expect(translate({ path: '/api/v1/api-keys' }, error)).toBeNull()
    }
    const custom = createBodyErrorTranslator(auth, { basePath: '/keys' })
    expect(code(custom({ path: '/keys' }, typed('entity.parse.failed', 400)))).toBe('INVALID_JSON')
    expect(custom({ path: '/api/v1/api-keys' }, typed('entity.parse.failed', 400))).toBeNull()
  })
})

describe('issue 9: a JWT sent as a Bearer token to list or revoke is logged', () => {
  test('the answer stays INVALID_FORMAT; the log says bearer_jwt, without the token', async () => {
    const logs = createLogSink(['info'])
    const auth = createApiKeyAuth({
      store: createStoreSpy().store,
      logger: logs.logger,
      session: { jwt: { secret: 'routes-session-secret-0123456789abcdef0123456789' } },
    })
    const routes = createApiKeyRoutes(auth)
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLXBhcnQtMTIzNDU2Nzg5MA'
    for (const method of ['GET', 'DELETE']) {
      logs.lines.length = 0
      const path = method === 'GET' ? '/api/v1/api-keys' : '/api/v1/api-keys/some-id'
      const res = await routes(req({ method, path, headers: { authorization: `Bearer ${jwt}` } }))
      expect([method, res?.status, code(res)]).toEqual([method, 401, 'INVALID_FORMAT'])
      expect(logs.lines.map((l) => [l.level, l.context?.reason])).toEqual([['info', 'bearer_jwt']])
      for (const part of jwt.split('.')) expect(logs.text()).not.toContain(part)
    }
    // An API key that is merely wrong is not a session problem: nothing logged.
    logs.lines.length = 0
    await routes(req({ headers: { authorization: 'Bearer not-a-key' } }))
    expect(logs.lines).toEqual([])
  })
})

describe('issue 9: session.jwt.userId through createApiKeyAuth and the routes', () => {
  test('an Auth0 subject creates a key owned by the mapped id', async () => {
    const secret = 'routes-session-secret-0123456789abcdef0123456789'
    const auth = createApiKeyAuth({
      store: createStoreSpy().store,
      logger: false,
      session: {
        jwt: {
          secret,
          userId: ({ sub }) => createHash('sha256').update(String(sub)).digest('base64url'),
        },
      },
    })
    const routes = createApiKeyRoutes(auth)
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({ sub: 'auth0|5f7c8ec7c33c6c004bbafe82', exp: now + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret))
    const res = await routes(
      req({
        method: 'POST',
        headers: { cookie: `__session=${token}`, 'content-type': 'application/json' },
        body: { name: 'idp' },
      }),
    )
    expect(res?.status).toBe(201)
    const userId = createHash('sha256').update('auth0|5f7c8ec7c33c6c004bbafe82').digest('base64url')
    expect((res?.body as { key: string }).key).toContain(`_user_${userId}_`)
    expect((await auth.listKeys(userId)).map((k) => k.name)).toEqual(['idp'])
  })
})
