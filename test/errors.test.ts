/** The error vocabulary: every seed code through `authenticate`, with status, body and challenge. */
import { describe, expect, it } from 'vitest'
import {
  AUTH_ERROR_STATUS,
  AuthError,
  generateApiKey,
  isAuthError,
  type AuthErrorResponse,
} from '../src/index.js'
import { errorOf, recordFor, setup } from './support/setup.js'

const INVALID_TOKEN = 'Bearer realm="vydra", error="invalid_token"'
const INVALID_REQUEST = 'Bearer realm="vydra", error="invalid_request"'

/** Both ways of turning an error into a response agree. */
function responses(auth: ReturnType<typeof setup>['auth'], error: unknown): AuthErrorResponse {
  expect(isAuthError(error)).toBe(true)
  const direct = (error as AuthError).toResponse()
  expect(auth.errorResponse(error)).toEqual(direct)
  return direct
}

function expectShape(
  response: AuthErrorResponse,
  status: number,
  code: string,
  challenge: string | undefined,
): void {
  expect(response.status).toBe(status)
  expect(response.body.error.code).toBe(code)
  expect(typeof response.body.error.message).toBe('string')
  expect(response.body.error.message.length).toBeGreaterThan(0)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  expect(response.headers['cache-control']).toBe('no-store')
  expect(response.headers['www-authenticate']).toBe(challenge)
  expect(JSON.parse(JSON.stringify(response.body))).toEqual(response.body)
}

describe('the six seed error codes through authenticate', () => {
  it('MISSING_AUTH: 401, challenge without an error attribute', async () => {
    const { auth, spy } = setup()
    for (const header of [undefined, null, '', '   ', '\t', []]) {
      const error = await errorOf(() => auth.authenticate(header))
      expectShape(responses(auth, error), 401, 'MISSING_AUTH', 'Bearer realm="vydra"')
    }
    expect(spy.calls.findByHash).toBe(0)
  })

  it('INVALID_FORMAT: 401 invalid_token for a Bearer token that is not a key', async () => {
    const { auth, spy } = setup()
    const key = generateApiKey('u123')
    for (const header of [
      'Bearer nope',
      'Bearer vydra_live_user_abc_X7kM9pQ',
      `Bearer ${key.slice(0, -1)}`,
      `Bearer ${key}=`,
      `Bearer ${key.replace('_live_', '_test_')}`,
      `Bearer ${'A'.repeat(513)}`,
    ]) {
      const error = await errorOf(() => auth.authenticate(header))
      expectShape(responses(auth, error), 401, 'INVALID_FORMAT', INVALID_TOKEN)
    }
    expect(spy.calls.findByHash).toBe(0)
  })

  it('INVALID_FORMAT: 401 invalid_request for a Bearer attempt that is not one well-formed credential', async () => {
    const { auth, spy } = setup()
    for (const header of [
      'Bearer',
      'Bearer ',
      'Bearer\tx',
      'Bearer:x',
      'bearer a b',
      'Bearer a, Bearer b',
      'Bearer "a"',
      ['Bearer a', 'Bearer a'],
    ]) {
      const error = await errorOf(() => auth.authenticate(header))
      expectShape(responses(auth, error), 401, 'INVALID_FORMAT', INVALID_REQUEST)
    }
    expect(spy.calls.findByHash).toBe(0)
  })

  it('INVALID_FORMAT: another scheme (Basic, Token, Digest, ApiKey) or one word has a challenge without error', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    for (const header of [
      'Basic dXNlcjpwYXNz',
      `Token ${key}`,
      'Digest username="a"',
      `ApiKey ${key}`,
      'Bearer123456',
      key,
      'vydra_live_user_u_x',
    ]) {
      const error = await errorOf(() => auth.authenticate(header))
      expectShape(responses(auth, error), 401, 'INVALID_FORMAT', 'Bearer realm="vydra"')
    }
    expect(spy.calls.findByHash).toBe(0)
  })

  it('KEY_NOT_FOUND, KEY_REVOKED, KEY_EXPIRED: 401 invalid_token with fixed messages', async () => {
    const { auth, spy, clock, issue } = setup()
    const revoked = await issue()
    await auth.revokeKey({ userId: 'u123', keyId: revoked.id })
    const expired = generateApiKey('u123')
    await spy.memory.insert(recordFor(expired, { expiresAt: new Date(clock.time - 1) }))
    const unknown = generateApiKey('u123')
    const cases: [string, string][] = [
      [unknown, 'KEY_NOT_FOUND'],
      [revoked.key, 'KEY_REVOKED'],
      [expired, 'KEY_EXPIRED'],
    ]
    const messages = new Set<string>()
    for (const [key, code] of cases) {
      const response = responses(auth, await errorOf(() => auth.authenticate(`Bearer ${key}`)))
      expectShape(response, 401, code, INVALID_TOKEN)
      messages.add(response.body.error.message)
      expect(JSON.stringify(response)).not.toContain(key.slice(-38, -20))
    }
    expect(messages.size).toBe(3)
  })

  it('INSUFFICIENT_SCOPE: 403 naming every required scope the key lacks, in the route order', async () => {
    const { auth, issue } = setup()
    const { key } = await issue({ scopes: ['jobs:*'] })
    const error = await errorOf(() =>
      auth.authenticate(`Bearer ${key}`, {
        scopes: ['models:read', 'jobs:x', 'account:read', 'models:read'],
      }),
    )
    const response = responses(auth, error)
    expectShape(
      response,
      403,
      'INSUFFICIENT_SCOPE',
      'Bearer realm="vydra", error="insufficient_scope", scope="models:read account:read"',
    )
    expect(response.body.error.requiredScopes).toEqual(['models:read', 'account:read'])
  })

  it('INSUFFICIENT_SCOPE: 403 naming the required scope, not the granted ones', async () => {
    const { auth, issue } = setup()
    const { key } = await issue({ scopes: ['models:read', 'jobs:*'] })
    const error = await errorOf(() =>
      auth.authenticate(`Bearer ${key}`, { scopes: ['models:write'] }),
    )
    const response = responses(auth, error)
    expectShape(
      response,
      403,
      'INSUFFICIENT_SCOPE',
      'Bearer realm="vydra", error="insufficient_scope", scope="models:write"',
    )
    expect(response.body.error.requiredScopes).toEqual(['models:write'])
    expect(JSON.stringify(response)).not.toMatch(/models:read|jobs:\*/)
  })

  it('the realm is configurable and used by errorResponse', async () => {
    const { auth } = setup({ realm: 'api.example' })
    const response = auth.errorResponse(await errorOf(() => auth.authenticate('Bearer x')))
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="api.example", error="invalid_token"',
    )
  })
})

describe('the other codes', () => {
  it('AUTH_UNAVAILABLE: 503, Retry-After, no challenge (store that throws and one that hangs)', async () => {
    for (const behave of [{ kind: 'reject' }, { kind: 'defer' }] as const) {
      const { auth, spy, issue } = setup({ storeTimeoutMs: 20 })
      const { key } = await issue()
      spy.behave.findByHash = behave
      const response = responses(auth, await errorOf(() => auth.authenticate(`Bearer ${key}`)))
      expectShape(response, 503, 'AUTH_UNAVAILABLE', undefined)
      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/)
    }
  })

  it('errorResponse turns anything that is not an AuthError into 503 (fail closed) without details', () => {
    const { auth, logs } = setup()
    for (const value of [
      new Error('SELECT * FROM api_keys failed'),
      'x',
      undefined,
      null,
      42,
      {},
    ]) {
      const response = auth.errorResponse(value)
      expect(response.status).toBe(503)
      expect(response.body.error.code).toBe('AUTH_UNAVAILABLE')
      expect(JSON.stringify(response)).not.toContain('SELECT')
    }
    expect(logs.count('error')).toBe(6)
  })

  it('VALIDATION_ERROR 400, KEY_LIMIT_REACHED 409, SESSION_REQUIRED 401, CSRF_REJECTED 403', () => {
    expectShape(
      new AuthError('VALIDATION_ERROR', {
        issues: [{ path: ['name'], message: 'bad' }],
      }).toResponse(),
      400,
      'VALIDATION_ERROR',
      undefined,
    )
    expect(
      new AuthError('VALIDATION_ERROR', {
        issues: [{ path: ['name'], message: 'bad' }],
      }).toResponse().body.error.issues,
    ).toEqual([{ path: ['name'], message: 'bad' }])
    expectShape(
      new AuthError('KEY_LIMIT_REACHED').toResponse(),
      409,
      'KEY_LIMIT_REACHED',
      undefined,
    )
    expectShape(
      new AuthError('SESSION_REQUIRED').toResponse(),
      401,
      'SESSION_REQUIRED',
      'Bearer realm="vydra"',
    )
    expectShape(
      new AuthError('CSRF_REJECTED').toResponse(),
      403,
      'CSRF_REJECTED',
      'Bearer realm="vydra"',
    )
  })

  it('the status of every code is the documented one (DESIGN.md, SECURITY-TESTS.md)', () => {
    // Written out, not read from AUTH_ERROR_STATUS: the table under test is not its own oracle.
    const documented: Record<string, number> = {
      MISSING_AUTH: 401,
      INVALID_FORMAT: 401,
      KEY_NOT_FOUND: 401,
      KEY_REVOKED: 401,
      KEY_EXPIRED: 401,
      INSUFFICIENT_SCOPE: 403,
      SESSION_REQUIRED: 401,
      VALIDATION_ERROR: 400,
      CSRF_REJECTED: 403,
      KEY_LIMIT_REACHED: 409,
      AUTH_UNAVAILABLE: 503,
      CONFIGURATION_ERROR: 500,
      INVALID_JSON: 400,
      METHOD_NOT_ALLOWED: 405,
      PAYLOAD_TOO_LARGE: 413,
      UNSUPPORTED_MEDIA_TYPE: 415,
      RATE_LIMITED: 429,
      CREDITS_EXHAUSTED: 429,
      SIGNATURE_INVALID: 401,
      // Issue 11 (key lifecycle).
      KEY_DISABLED: 401,
      KEY_STATE_CONFLICT: 409,
      NOT_SUPPORTED: 501,
    }
    expect({ ...AUTH_ERROR_STATUS }).toEqual(documented)
    for (const [code, status] of Object.entries(documented)) {
      const error = new AuthError(code as keyof typeof AUTH_ERROR_STATUS)
      expect([code, error.status, error.toResponse().status]).toEqual([code, status, status])
      // The brand that lets another copy of the library (ESM beside CJS) recognise it.
      expect((error as unknown as Record<symbol, unknown>)[Symbol.for('vydra.auth.error')]).toBe(
        true,
      )
    }
  })

  it('every code has a status, a default message, and is recognised by isAuthError', () => {
    for (const [code, status] of Object.entries(AUTH_ERROR_STATUS)) {
      const error = new AuthError(code as keyof typeof AUTH_ERROR_STATUS)
      expect(error.status).toBe(status)
      expect(error.name).toBe('AuthError')
      expect(error.message.length).toBeGreaterThan(0)
      expect(error).toBeInstanceOf(Error)
      expect(isAuthError(error)).toBe(true)
    }
  })

  it('isAuthError recognises a copy from another build by its brand, and nothing else', () => {
    const foreign = Object.assign(new Error('x'), { code: 'KEY_NOT_FOUND' })
    Object.defineProperty(foreign, Symbol.for('vydra.auth.error'), { value: true })
    expect(isAuthError(foreign)).toBe(true)
    expect(
      isAuthError(Object.assign(new Error('x'), { code: 'KEY_NOT_FOUND', name: 'AuthError' })),
    ).toBe(false)
    const badCode = { code: 'NOPE' }
    Object.defineProperty(badCode, Symbol.for('vydra.auth.error'), { value: true })
    expect(isAuthError(badCode)).toBe(false)
    for (const value of [null, undefined, 'AuthError', 42, {}, [], () => {}]) {
      expect(isAuthError(value)).toBe(false)
    }
  })

  it('a store failure keeps its cause for logs but never sends it', async () => {
    const { auth, spy } = setup()
    const cause = new Error('password authentication failed for user "vydra"')
    spy.behave.findByHash = { kind: 'reject', error: cause }
    const error = await errorOf(() => auth.verifyKey(generateApiKey('u123')))
    expect((error as Error).cause).toBe(cause)
    expect(JSON.stringify(auth.errorResponse(error))).not.toContain('password')
  })
})

describe('route vocabulary: no response is patched after it is built', () => {
  it('a missing key addressed by a route is 404 without a challenge; as a credential 401', () => {
    const asResource = new AuthError('KEY_NOT_FOUND', { resource: true }).toResponse()
    expect(asResource.status).toBe(404)
    expect(asResource.headers['www-authenticate']).toBeUndefined()
    expect(asResource.body.error.code).toBe('KEY_NOT_FOUND')
    const asCredential = new AuthError('KEY_NOT_FOUND').toResponse()
    expect(asCredential.status).toBe(401)
    expect(asCredential.headers['www-authenticate']).toBe(
      'Bearer realm="vydra", error="invalid_token"',
    )
    // `resource` means nothing on other codes.
    expect(new AuthError('KEY_REVOKED', { resource: true }).status).toBe(401)
  })

  it('METHOD_NOT_ALLOWED carries its Allow header; other codes never do', () => {
    const response = new AuthError('METHOD_NOT_ALLOWED', { allow: 'GET, HEAD, POST' }).toResponse()
    expect(response.status).toBe(405)
    expect(response.headers.allow).toBe('GET, HEAD, POST')
    expect(
      new AuthError('KEY_NOT_FOUND', { allow: 'GET' }).toResponse().headers.allow,
    ).toBeUndefined()
  })
})

describe('error details', () => {
  it('client errors carry no stack frames; server errors keep frames starting at the caller', () => {
    const limit = Error.stackTraceLimit
    for (const code of ['KEY_NOT_FOUND', 'INSUFFICIENT_SCOPE', 'KEY_LIMIT_REACHED'] as const) {
      const error = new AuthError(code)
      expect(error.stack?.split('\n')).toHaveLength(1)
      // …and the global limit, lowered for the constructor, is back.
      expect(Error.stackTraceLimit).toBe(limit)
    }
    for (const code of ['AUTH_UNAVAILABLE', 'CONFIGURATION_ERROR'] as const) {
      const error = new AuthError(code)
      const frames = (error.stack ?? '').split('\n').slice(1)
      expect(frames.length, code).toBeGreaterThan(0)
      expect(frames[0], code).not.toMatch(/AuthError/)
      expect(error.stack, code).toContain('errors.test.ts')
      expect(Error.stackTraceLimit).toBe(limit)
    }
  })

  it('a cause is kept only when given; Retry-After only on AUTH_UNAVAILABLE', () => {
    expect(Object.hasOwn(new AuthError('KEY_NOT_FOUND'), 'cause')).toBe(false)
    const cause = new Error('db down')
    expect(new AuthError('AUTH_UNAVAILABLE', { cause }).cause).toBe(cause)
    for (const code of ['KEY_NOT_FOUND', 'VALIDATION_ERROR', 'CONFIGURATION_ERROR'] as const) {
      const error = new AuthError(code)
      expect(error.retryAfterSeconds).toBeUndefined()
      expect(Object.keys(error.toResponse().headers), code).not.toContain('retry-after')
    }
    expect(new AuthError('AUTH_UNAVAILABLE').toResponse().headers['retry-after']).toBe('5')
    expect(
      new AuthError('AUTH_UNAVAILABLE', { retryAfterSeconds: 30 }).toResponse().headers[
        'retry-after'
      ],
    ).toBe('30')
  })

  it('headers hold exactly what applies: no challenge key at all on a 503 or a 400', () => {
    expect(Object.keys(new AuthError('AUTH_UNAVAILABLE').toResponse().headers).sort()).toEqual([
      'cache-control',
      'content-type',
      'retry-after',
    ])
    expect(Object.keys(new AuthError('VALIDATION_ERROR').toResponse().headers).sort()).toEqual([
      'cache-control',
      'content-type',
    ])
    expect(Object.keys(new AuthError('KEY_EXPIRED').toResponse().headers).sort()).toEqual([
      'cache-control',
      'content-type',
      'www-authenticate',
    ])
  })

  it('the insufficient_scope challenge lists the required scopes space-separated, scope tokens only', () => {
    const challenge = (requiredScopes?: unknown[]): string | undefined =>
      new AuthError('INSUFFICIENT_SCOPE', {
        requiredScopes: requiredScopes as string[],
      }).toResponse().headers['www-authenticate']
    expect(challenge(['models:read', 'jobs:write'])).toBe(
      'Bearer realm="vydra", error="insufficient_scope", scope="models:read jobs:write"',
    )
    // Anything that is not a scope token (not a string, quotes, spaces) stays out of the header.
    expect(challenge([42, 'models:read', 'a"b', 'a b', ''])).toBe(
      'Bearer realm="vydra", error="insufficient_scope", scope="models:read"',
    )
    expect(challenge(undefined)).toBe('Bearer realm="vydra", error="insufficient_scope", scope=""')
  })

  it('isAuthError: branded objects with a known string code only, and never a throw', () => {
    const brand = Symbol.for('vydra.auth.error')
    const branded = (value: object, code: unknown): unknown =>
      Object.assign(value, { code, [brand]: true })
    expect(isAuthError(branded({}, 'KEY_NOT_FOUND'))).toBe(true)
    expect(isAuthError(branded(() => {}, 'KEY_NOT_FOUND'))).toBe(false)
    expect(isAuthError(branded({}, ['KEY_NOT_FOUND']))).toBe(false)
    expect(isAuthError(branded({}, { toString: () => 'KEY_NOT_FOUND' }))).toBe(false)
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap')
        },
        getPrototypeOf() {
          return null
        },
      },
    )
    expect(isAuthError(hostile)).toBe(false)
  })
})

describe('429 codes (usage limits)', () => {
  it('carry Retry-After and only the two RateLimit fields, no challenge', () => {
    for (const code of ['RATE_LIMITED', 'CREDITS_EXHAUSTED'] as const) {
      const response = new AuthError(code, {
        retryAfterSeconds: 7,
        limitHeaders: {
          'ratelimit-policy': '"m";q=1;w=60',
          ratelimit: '"m";r=0;t=7',
          'set-cookie': 'x=1',
        },
      }).toResponse()
      expect(response.status).toBe(429)
      expect(response.headers).toEqual({
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'retry-after': '7',
        'ratelimit-policy': '"m";q=1;w=60',
        ratelimit: '"m";r=0;t=7',
      })
      expect(Object.keys(response.body.error)).toEqual(['code', 'message'])
    }
  })

  it('other codes ignore limit headers', () => {
    const error = new AuthError('KEY_NOT_FOUND', { limitHeaders: { ratelimit: 'x' } })
    expect(error.limitHeaders).toBeUndefined()
    expect(error.toResponse().headers.ratelimit).toBeUndefined()
  })
})
