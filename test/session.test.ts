import { constants, createHash, generateKeyPairSync, sign as cryptoSign } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, base64url } from 'jose'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import {
  AuthError,
  createApiKeyAuth,
  createSessionVerifier,
  isValidUserId,
  MemoryKeyStore,
  type SessionLogLevel,
  type SessionRequest,
  type SessionVerifierOptions,
} from '../src/index.js'
import { createLogSink } from './support/log-sink.js'
import { registerSecret } from './support/secret-scan.js'

const NOW = Date.UTC(2026, 0, 1)
const T = NOW / 1000
const SECRET = 'session-secret-for-unit-tests-0123456789abcdef'
registerSecret(SECRET) // the log scan of every test looks for it too
const secretBytes = new TextEncoder().encode(SECRET)

const verifierFor = (
  session: SessionVerifierOptions['session'],
  extra: Partial<SessionVerifierOptions> = {},
): ReturnType<typeof createSessionVerifier> =>
  createSessionVerifier({
    session,
    sessionCookie: '__session',
    now: () => NOW,
    logger: createLogSink().logger,
    ...extra,
  })

const sign = (
  claims: Record<string, unknown>,
  key: Parameters<SignJWT['sign']>[0] = secretBytes,
  alg = 'HS256',
  header: Record<string, unknown> = {},
): Promise<string> =>
  new SignJWT({ sub: 'u1', iat: T, exp: T + 60, ...claims })
    .setProtectedHeader({ alg, ...header })
    .sign(key)

const withCookie = (token: string, name = '__session'): SessionRequest => ({
  headers: {},
  cookies: { [name]: token },
})

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
}

describe('JWT sessions with a shared secret', () => {
  // Built inside each test (not while the file loads), for exact per-test coverage.
  const verify: ReturnType<typeof verifierFor> = (request) =>
    verifierFor({ jwt: { secret: SECRET, issuer: 'https://issuer.test', audience: 'api' } })(
      request,
    )
  const good = { iss: 'https://issuer.test', aud: 'api' }

  test('a valid HS256 session gives its sub as the user', async () => {
    await expect(verify(withCookie(await sign(good)) as never)).resolves.toEqual({ userId: 'u1' })
  })

  test('EXP-08 every forged, stale or malformed token is SESSION_REQUIRED', async () => {
    const valid = await sign(good)
    const [h, p, s] = valid.split('.') as [string, string, string]
    const cases: [string, string][] = [
      ['alg none', `${base64url.encode('{"alg":"none"}')}.${p}.`],
      ['alg none with a signature', `${base64url.encode('{"alg":"none"}')}.${p}.${s}`],
      ['HS512 not allowed', await sign(good, secretBytes, 'HS512')],
      ['wrong secret', await sign(good, new TextEncoder().encode('x'.repeat(48)))],
      ['bad signature', `${h}.${p}.${s.slice(0, -2)}AA`],
      [
        'payload swapped',
        `${h}.${base64url.encode(JSON.stringify({ ...good, sub: 'admin', exp: T + 60 }))}.${s}`,
      ],
      ['expired', await sign({ ...good, exp: T - 60 })],
      ['not yet valid', await sign({ ...good, nbf: T + 60 })],
      ['no exp', await sign({ ...good, exp: undefined })],
      ['no sub', await sign({ ...good, sub: undefined })],
      ['numeric sub', await sign({ ...good, sub: 42 })],
      ['sub with a space', await sign({ ...good, sub: 'a b' })],
      ['sub too long', await sign({ ...good, sub: 'a'.repeat(65) })],
      ['wrong issuer', await sign({ ...good, iss: 'https://evil.test' })],
      ['no issuer', await sign({ aud: 'api' })],
      ['wrong audience', await sign({ ...good, aud: 'other' })],
      ['not a JWT', 'abc'],
      ['empty', ''],
      ['huge', 'a'.repeat(10_000)],
    ]
    for (const [label, token] of cases) {
      expect([label, await codeOf(verify(withCookie(token) as never))]).toEqual([
        label,
        'SESSION_REQUIRED',
      ])
    }
    expect(await codeOf(verify({ headers: {}, cookies: {} }))).toBe('SESSION_REQUIRED')
  })

  test('clock tolerance: 5 s by default, configurable', async () => {
    const justExpired = await sign({ ...good, exp: T - 3 })
    expect(await codeOf(verify(withCookie(justExpired) as never))).toBe('ok')
    expect(await codeOf(verify(withCookie(await sign({ ...good, exp: T - 10 })) as never))).toBe(
      'SESSION_REQUIRED',
    )
    const strict = verifierFor({ jwt: { secret: SECRET, clockToleranceSec: 0 } })
    expect(await codeOf(strict(withCookie(justExpired) as never))).toBe('SESSION_REQUIRED')
  })

  test('the cookie name is configurable, and the first cookie of a name is read', async () => {
    const verifyNamed = verifierFor(
      { jwt: { secret: SECRET }, cookie: 'sid' },
      { sessionCookie: 'sid' },
    )
    const token = await sign({})
    expect(await codeOf(verifyNamed(withCookie(token, 'sid') as never))).toBe('ok')
    expect(await codeOf(verifyNamed(withCookie(token) as never))).toBe('SESSION_REQUIRED')
  })

  test('explicit HS384 is enforced, and asymmetric algorithms are refused with a secret', async () => {
    const hs384 = verifierFor({ jwt: { secret: SECRET, algorithms: ['HS384'] } })
    expect(await codeOf(hs384(withCookie(await sign({}, secretBytes, 'HS384')) as never))).toBe(
      'ok',
    )
    expect(await codeOf(hs384(withCookie(await sign({})) as never))).toBe('SESSION_REQUIRED')
    expect(() => verifierFor({ jwt: { secret: SECRET, algorithms: ['RS256'] } })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
  })
})

describe('JWT sessions with a public key', () => {
  test('RS256 from a PEM: algorithms derived from the key; HS256 signed with the PEM is refused', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const verify = verifierFor({ jwt: { publicKey: pem } })
    expect(await codeOf(verify(withCookie(await sign({}, privateKey, 'RS256')) as never))).toBe(
      'ok',
    )
    // Algorithm confusion: the public key text used as an HMAC secret.
    const confused = await sign({}, new TextEncoder().encode(pem), 'HS256')
    expect(await codeOf(verify(withCookie(confused) as never))).toBe('SESSION_REQUIRED')
    const onlyRs256 = verifierFor({ jwt: { publicKey: pem, algorithms: ['RS256'] } })
    expect(await codeOf(onlyRs256(withCookie(await sign({}, privateKey, 'PS256')) as never))).toBe(
      'SESSION_REQUIRED',
    )
  })

  test('ES256 from a JWK and EdDSA from a CryptoKey', async () => {
    const es = await generateKeyPair('ES256', { extractable: true })
    const fromJwk = verifierFor({ jwt: { publicKey: await exportJWK(es.publicKey) } })
    expect(await codeOf(fromJwk(withCookie(await sign({}, es.privateKey, 'ES256')) as never))).toBe(
      'ok',
    )
    const other = await generateKeyPair('ES256')
    expect(
      await codeOf(fromJwk(withCookie(await sign({}, other.privateKey, 'ES256')) as never)),
    ).toBe('SESSION_REQUIRED')
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    const fromCryptoKey = verifierFor({ jwt: { publicKey: ed.publicKey } })
    expect(
      await codeOf(fromCryptoKey(withCookie(await sign({}, ed.privateKey, 'EdDSA')) as never)),
    ).toBe('ok')
    expect(
      await codeOf(fromCryptoKey(withCookie(await sign({}, es.privateKey, 'ES256')) as never)),
    ).toBe('SESSION_REQUIRED')
  })

  test('unreadable keys and algorithms that do not fit the key are configuration errors', () => {
    expect(() => verifierFor({ jwt: { publicKey: 'not a pem' } })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
  })

  test('algorithms that do not fit the key are configuration errors', async () => {
    const { publicKey } = await generateKeyPair('ES256')
    expect(() => verifierFor({ jwt: { publicKey, algorithms: ['RS256'] } })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
    expect(() =>
      verifierFor({ jwt: { jwksUrl: 'https://example.test/jwks', algorithms: ['HS256'] } }),
    ).toThrow(expect.objectContaining({ code: 'CONFIGURATION_ERROR' }))
  })
})

describe('JWT sessions with a JWKS URL (real local HTTP server)', () => {
  let server: Server
  let base: string
  let status = 200
  let jwks: unknown
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true })
    privateKey = pair.privateKey
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }
    server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(status === 200 ? JSON.stringify(jwks) : 'oops')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  test('a token signed by a listed key is accepted; an unknown kid is SESSION_REQUIRED', async () => {
    const verify = verifierFor({ jwt: { jwksUrl: `${base}/jwks.json` } })
    expect(
      await codeOf(verify(withCookie(await sign({}, privateKey, 'ES256', { kid: 'k1' })) as never)),
    ).toBe('ok')
    const stranger = await generateKeyPair('ES256')
    expect(
      await codeOf(
        verify(withCookie(await sign({}, stranger.privateKey, 'ES256', { kid: 'k9' })) as never),
      ),
    ).toBe('SESSION_REQUIRED')
  })

  test('a key set that cannot be fetched is 503 AUTH_UNAVAILABLE, not a bad session', async () => {
    status = 500
    const failing = verifierFor({ jwt: { jwksUrl: `${base}/broken.json` } })
    const token = await sign({}, privateKey, 'ES256', { kid: 'k1' })
    expect(await codeOf(failing(withCookie(token) as never))).toBe('AUTH_UNAVAILABLE')
    status = 200
    // A key-set host that drops every connection: a network failure we own, instead of
    // assuming that nothing listens on some port of this machine.
    const dropper = createNetServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = dropper.address() as AddressInfo
      const down = verifierFor({ jwt: { jwksUrl: `http://127.0.0.1:${port}/jwks.json` } })
      expect(await codeOf(down(withCookie(token) as never))).toBe('AUTH_UNAVAILABLE')
    } finally {
      await new Promise<void>((resolve) => dropper.close(() => resolve()))
    }
  })
})

describe('session.authenticate hook', () => {
  test('its user, null as no session, and a throw as 503 (fail closed)', async () => {
    const logs = createLogSink()
    const seen: unknown[] = []
    let behaviour: 'user' | 'null' | 'throw' | 'bad' = 'user'
    const verify = verifierFor(
      {
        authenticate: async (request) => {
          seen.push(request)
          if (behaviour === 'throw') throw new Error('session db down')
          if (behaviour === 'null') return null
          if (behaviour === 'bad') return { userId: 'not valid!' }
          return { userId: 'hooked' }
        },
      },
      { logger: logs.logger },
    )
    const request = { headers: { cookie: 'sid=1' }, cookies: { sid: '1' } }
    await expect(verify(request)).resolves.toEqual({ userId: 'hooked' })
    expect(seen[0]).toEqual(request)
    behaviour = 'null'
    expect(await codeOf(verify(request))).toBe('SESSION_REQUIRED')
    behaviour = 'throw'
    expect(await codeOf(verify(request))).toBe('AUTH_UNAVAILABLE')
    behaviour = 'bad'
    expect(await codeOf(verify(request))).toBe('AUTH_UNAVAILABLE')
    expect(logs.count('error')).toBe(2)
  })

  test('a hook rejecting with any value, even one String() throws on, is a logged 503', async () => {
    const hostile: unknown[] = [
      Object.create(null),
      {
        toString: () => {
          throw new Error('no')
        },
      },
      Symbol('s'),
      undefined,
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('trap')
          },
        },
      ),
    ]
    for (const value of hostile) {
      const logs = createLogSink()
      const verify = verifierFor(
        { authenticate: () => Promise.reject(value) },
        { logger: logs.logger },
      )
      const request = { headers: {}, cookies: {} }
      expect(await codeOf(verify(request))).toBe('AUTH_UNAVAILABLE')
      expect(logs.count('error')).toBe(1)
      expect(typeof logs.lines[0]?.context?.error).toBe('string')
    }
  })

  test('without session options every request is SESSION_REQUIRED', async () => {
    expect(await codeOf(verifierFor(undefined)({ headers: {}, cookies: { __session: 'x' } }))).toBe(
      'SESSION_REQUIRED',
    )
  })
})

describe('issue 9: rejected sessions are logged with a reason, never with the token', () => {
  const issuer = 'https://issuer.test'
  const good = { iss: issuer, aud: 'api' }
  const jwtOptions = { secret: SECRET, issuer, audience: 'api' }
  const withLogs = (
    session: SessionVerifierOptions['session'],
    levels: readonly ('info' | 'debug')[] = ['info', 'debug'],
  ): {
    verify: ReturnType<typeof createSessionVerifier>
    logs: ReturnType<typeof createLogSink>
  } => {
    const logs = createLogSink(levels)
    return { verify: verifierFor(session, { logger: logs.logger }), logs }
  }

  test('each kind of rejection: the same SESSION_REQUIRED, one info line with its reason', async () => {
    const { verify, logs } = withLogs({ jwt: jwtOptions })
    const valid = await sign(good)
    const [h, p, s] = valid.split('.') as [string, string, string]
    const otherSecret = new TextEncoder().encode('another-secret-of-sufficient-length-0123456789')
    const cases: [string, SessionRequest, string, Record<string, unknown>?][] = [
      ['no cookie', { headers: {}, cookies: {} }, 'no_cookie'],
      [
        'a JWT sent as Bearer',
        { headers: { authorization: `Bearer ${valid}` }, cookies: {} },
        'bearer_jwt',
      ],
      [
        'the JWT in another cookie',
        { headers: {}, cookies: { session: valid, theme: 'dark' } },
        'jwt_in_other_cookie',
        { jwtCookies: ['session'] },
      ],
      ['too long', withCookie('a'.repeat(10_000)), 'token_too_long'],
      ['not a JWT', withCookie('abc'), 'malformed_token'],
      [
        'another algorithm',
        withCookie(await sign(good, secretBytes, 'HS512')),
        'algorithm_not_allowed',
      ],
      ['a wrong secret', withCookie(await sign(good, otherSecret)), 'bad_signature'],
      ['a tampered signature', withCookie(`${h}.${p}.${s.slice(0, -2)}AA`), 'bad_signature'],
      ['expired', withCookie(await sign({ ...good, exp: T - 60 })), 'expired'],
      ['not yet valid', withCookie(await sign({ ...good, nbf: T + 60 })), 'not_yet_valid'],
      [
        'no exp',
        withCookie(await sign({ ...good, exp: undefined })),
        'missing_claim',
        { claim: 'exp' },
      ],
      [
        'no sub',
        withCookie(await sign({ ...good, sub: undefined })),
        'missing_claim',
        { claim: 'sub' },
      ],
      [
        'another issuer',
        withCookie(await sign({ ...good, iss: 'https://evil.test' })),
        'claim_mismatch',
        { claim: 'iss' },
      ],
      [
        'an Auth0 subject',
        withCookie(await sign({ ...good, sub: 'auth0|5f7c8ec7c33c6c004bbafe82' })),
        'invalid_subject',
        { claim: 'sub', problem: 'has characters outside [A-Za-z0-9_-]' },
      ],
      [
        'an e-mail subject',
        withCookie(await sign({ ...good, sub: 'ada.lovelace@example.com' })),
        'invalid_subject',
      ],
    ]
    for (const [label, request, reason, detail] of cases) {
      logs.lines.length = 0
      let error: unknown
      await verify(request as never).catch((e: unknown) => (error = e))
      expect([label, (error as AuthError).code, (error as AuthError).reason]).toEqual([
        label,
        'SESSION_REQUIRED',
        reason,
      ])
      // The answer a client sees is the same whatever the reason.
      expect((error as AuthError).toResponse()).toEqual(
        new AuthError('SESSION_REQUIRED').toResponse(),
      )
      expect([label, logs.lines.map((l) => [l.level, l.context?.reason])]).toEqual([
        label,
        [['info', reason]],
      ])
      expect(logs.lines[0]?.context).toMatchObject({ cookie: '__session', ...detail })
      const text = logs.text()
      for (const value of [
        ...Object.values(request.cookies),
        ...Object.values(request.headers).map(String),
      ]) {
        for (const part of value.split('.').filter((x) => x.length >= 8)) {
          expect([label, text.includes(part)]).toEqual([label, false])
        }
      }
      for (const secret of [SECRET, 'auth0|5f7c8ec7c33c6c004bbafe82', 'ada.lovelace', 'dark']) {
        expect([label, text.includes(secret)]).toEqual([label, false])
      }
    }
  })

  test('without session options: no_session_config; a hook returning null: no_user', async () => {
    const none = withLogs(undefined)
    expect(await codeOf(none.verify({ headers: {}, cookies: {} }))).toBe('SESSION_REQUIRED')
    expect(none.logs.lines.map((l) => l.context?.reason)).toEqual(['no_session_config'])
    const hook = withLogs({ authenticate: async () => null })
    expect(await codeOf(hook.verify({ headers: {}, cookies: {} }))).toBe('SESSION_REQUIRED')
    expect(hook.logs.lines.map((l) => l.context?.reason)).toEqual(['no_user'])
  })

  test('logRejections picks the level; a logger without it falls back to info, then warn', async () => {
    const request = { headers: {}, cookies: {} }
    const levelsOf = async (
      logRejections: SessionLogLevel | undefined,
      levels: readonly ('info' | 'debug')[],
    ): Promise<string[]> => {
      const { verify, logs } = withLogs({ jwt: { secret: SECRET }, logRejections }, levels)
      await codeOf(verify(request))
      return logs.lines.map((l) => l.level)
    }
    expect(await levelsOf('debug', ['info', 'debug'])).toEqual(['debug'])
    expect(await levelsOf('debug', ['info'])).toEqual(['info'])
    expect(await levelsOf('debug', [])).toEqual(['warn'])
    expect(await levelsOf('info', ['info', 'debug'])).toEqual(['info'])
    expect(await levelsOf('info', [])).toEqual(['warn'])
    expect(await levelsOf('warn', ['info', 'debug'])).toEqual(['warn'])
    expect(await levelsOf(false, ['info', 'debug'])).toEqual([])
    expect(await levelsOf(undefined, ['info', 'debug'])).toEqual(['info'])
  })

  test('off by default when NODE_ENV is production, unless logRejections says otherwise', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    try {
      const quiet = withLogs({ jwt: { secret: SECRET } })
      expect(await codeOf(quiet.verify({ headers: {}, cookies: {} }))).toBe('SESSION_REQUIRED')
      expect(quiet.logs.lines).toEqual([])
      const chosen = withLogs({ jwt: { secret: SECRET }, logRejections: 'debug' })
      await codeOf(chosen.verify({ headers: {}, cookies: {} }))
      expect(chosen.logs.lines.map((l) => [l.level, l.context?.reason])).toEqual([
        ['debug', 'no_cookie'],
      ])
    } finally {
      vi.unstubAllEnvs()
    }
  })

  test('createApiKeyAuth validates logRejections and jwt.userId', () => {
    const store = new MemoryKeyStore()
    const bad: unknown[] = [
      { jwt: { secret: SECRET }, logRejections: 'verbose' },
      { jwt: { secret: SECRET }, logRejections: true },
      { jwt: { secret: SECRET, userId: 'sub' } },
      { authenticate: async () => null, logRejections: 'trace' },
    ]
    for (const session of bad) {
      expect(() => createApiKeyAuth({ store, session: session as never })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
    const auth = createApiKeyAuth({
      store,
      logger: false,
      session: { jwt: { secret: SECRET, userId: () => 'x' }, logRejections: 'debug' },
    })
    expect(auth.options.session).toMatchObject({ logRejections: 'debug' })
  })
})

describe('issue 9: session.jwt.userId maps claims to a key-safe user id', () => {
  const hashed = (sub: unknown): string =>
    createHash('sha256').update(String(sub)).digest('base64url')

  test('an Auth0 or e-mail subject, hashed by the documented recipe, is a valid, stable user id', async () => {
    const verify = verifierFor({ jwt: { secret: SECRET, userId: ({ sub }) => hashed(sub) } })
    for (const sub of ['auth0|5f7c8ec7c33c6c004bbafe82', 'ada.lovelace@example.com']) {
      const user = await verify(withCookie(await sign({ sub })) as never)
      expect(isValidUserId(user.userId)).toBe(true)
      expect(user.userId).toBe(hashed(sub))
      expect((await verify(withCookie(await sign({ sub })) as never)).userId).toBe(user.userId)
    }
  })

  test('an async lookup of your own user id; with a mapper sub is no longer required', async () => {
    const users = new Map([['ada.lovelace@example.com', 'user_42']])
    const verify = verifierFor({
      jwt: {
        secret: SECRET,
        userId: async (claims) => users.get(String(claims.email)) ?? null,
      },
    })
    const token = await sign({ sub: undefined, email: 'ada.lovelace@example.com' })
    await expect(verify(withCookie(token) as never)).resolves.toEqual({ userId: 'user_42' })
    // exp is still required.
    const noExp = await sign({ sub: undefined, exp: undefined, email: 'ada.lovelace@example.com' })
    expect(await codeOf(verify(withCookie(noExp) as never))).toBe('SESSION_REQUIRED')
  })

  test('a mapper result that cannot be embedded is SESSION_REQUIRED invalid_subject; null is no_user', async () => {
    const logs = createLogSink(['info'])
    let result: unknown = 'auth0|abc'
    const verify = verifierFor(
      { jwt: { secret: SECRET, userId: () => result as string } },
      { logger: logs.logger },
    )
    const token = await sign({})
    for (const value of ['auth0|abc', 'a@b.example', '', 'x'.repeat(65), 42, {}, undefined, null]) {
      result = value
      logs.lines.length = 0
      let error: unknown
      await verify(withCookie(token) as never).catch((e: unknown) => (error = e))
      const reason = value === null || value === undefined ? 'no_user' : 'invalid_subject'
      expect([value, (error as AuthError).code, (error as AuthError).reason]).toEqual([
        value,
        'SESSION_REQUIRED',
        reason,
      ])
      expect(logs.lines.map((l) => l.context?.reason)).toEqual([reason])
      expect(logs.text()).not.toContain('auth0|abc')
      expect(logs.text()).not.toContain('a@b.example')
    }
  })

  test('a mapper that throws or rejects, with any value, is a logged 503', async () => {
    for (const failure of [new Error('users db down'), Object.create(null), Symbol('s')]) {
      const logs = createLogSink()
      const verify = verifierFor(
        { jwt: { secret: SECRET, userId: () => Promise.reject(failure) } },
        { logger: logs.logger },
      )
      expect(await codeOf(verify(withCookie(await sign({})) as never))).toBe('AUTH_UNAVAILABLE')
      expect(logs.lines.map((l) => [l.level, l.message])).toEqual([
        ['error', 'session.jwt.userId failed'],
      ])
    }
  })
})

/** `CODE reason` of a rejection, `ok` for a session. */
async function verdict(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    return `${(error as { code?: string }).code} ${(error as { reason?: string }).reason}`
  }
}

const configMessage = (fn: () => unknown): string => {
  try {
    fn()
    return 'no error'
  } catch (error) {
    return `${(error as { code: string }).code}: ${(error as Error).message}`
  }
}

describe('session details: algorithms each key allows', () => {
  test('a secret: HS512 when asked for, a secret given as bytes, and only HMAC algorithms', async () => {
    const hs512 = verifierFor({ jwt: { secret: SECRET, algorithms: ['HS512'] } })
    expect(await verdict(hs512(withCookie(await sign({}, secretBytes, 'HS512')) as never))).toBe(
      'ok',
    )
    const bytes = verifierFor({ jwt: { secret: secretBytes } })
    expect(await verdict(bytes(withCookie(await sign({})) as never))).toBe('ok')
    expect(
      configMessage(() => verifierFor({ jwt: { secret: SECRET, algorithms: ['HS256', 'RS256'] } })),
    ).toBe(
      'CONFIGURATION_ERROR: session.jwt.algorithms must be HS256, HS384 or HS512 with a secret',
    )
  })

  test('an RSA key verifies every RS and PS algorithm; an RSA-PSS key is refused whatever the algorithms', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const verifyRsa = verifierFor({ jwt: { publicKey: rsa.publicKey } })
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']) {
      expect([
        alg,
        await verdict(verifyRsa(withCookie(await sign({}, rsa.privateKey, alg)) as never)),
      ]).toEqual([alg, 'ok'])
    }
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey
    for (const alg of ['PS256', 'PS384', 'PS512', 'RS256']) {
      expect([
        alg,
        configMessage(() => verifierFor({ jwt: { publicKey: pss, algorithms: [alg] } })),
      ]).toEqual([alg, expect.stringMatching(/^CONFIGURATION_ERROR: .*RSA-PSS/)])
    }
  })

  // Found by the issue 17 audit: an RSA-PSS public key passed start-up, but jose cannot verify
  // with it, and every session became 503. It is now refused at start-up; the same key material
  // as an RSA (rsaEncryption) key verifies PS256.
  test('an RSA-PSS key is refused at start-up; as an RSA key it verifies PS256 sessions', async () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
    expect(() => verifierFor({ jwt: { publicKey: pss.publicKey } })).toThrow(
      expect.objectContaining({
        code: 'CONFIGURATION_ERROR',
        message: expect.stringContaining('RSA-PSS'),
      }),
    )
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
    const input = `${part({ alg: 'PS256' })}.${part({ sub: 'u1', iat: T, exp: T + 60 })}`
    const signature = cryptoSign('sha256', Buffer.from(input), {
      key: rsa.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    })
    const verify = verifierFor({ jwt: { publicKey: rsa.publicKey, algorithms: ['PS256'] } })
    expect(
      await verdict(verify(withCookie(`${input}.${signature.toString('base64url')}`) as never)),
    ).toBe('ok')
  })

  test('an EC key verifies the algorithm of its curve; Ed25519 keys take EdDSA and Ed25519', async () => {
    for (const [namedCurve, alg] of [
      ['P-256', 'ES256'],
      ['P-384', 'ES384'],
      ['P-521', 'ES512'],
    ] as const) {
      const ec = generateKeyPairSync('ec', { namedCurve })
      const verify = verifierFor({ jwt: { publicKey: ec.publicKey } })
      expect([
        alg,
        await verdict(verify(withCookie(await sign({}, ec.privateKey, alg)) as never)),
      ]).toEqual([alg, 'ok'])
      for (const wrong of ['ES256', 'ES384', 'ES512'].filter((a) => a !== alg)) {
        expect(
          configMessage(() =>
            verifierFor({ jwt: { publicKey: ec.publicKey, algorithms: [wrong] } }),
          ),
        ).toMatch(/^CONFIGURATION_ERROR/)
      }
    }
    const ed = generateKeyPairSync('ed25519')
    const verifyEd = verifierFor({ jwt: { publicKey: ed.publicKey } })
    for (const alg of ['EdDSA', 'Ed25519']) {
      expect([
        alg,
        await verdict(verifyEd(withCookie(await sign({}, ed.privateKey, alg)) as never)),
      ]).toEqual([alg, 'ok'])
    }
  })

  test('keys no JWS algorithm fits, and algorithm lists that do not fit, are configuration errors', () => {
    const misfit = 'CONFIGURATION_ERROR: session.jwt.algorithms do not fit the public key'
    for (const publicKey of [
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      generateKeyPairSync('x25519').publicKey,
    ]) {
      expect(configMessage(() => verifierFor({ jwt: { publicKey } }))).toBe(misfit)
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey
    expect(configMessage(() => verifierFor({ jwt: { publicKey: rsa, algorithms: [] } }))).toBe(
      misfit,
    )
    expect(
      configMessage(() => verifierFor({ jwt: { publicKey: rsa, algorithms: ['RS256', 'ES256'] } })),
    ).toBe(misfit)
    expect(
      configMessage(() =>
        verifierFor({
          jwt: { jwksUrl: 'https://example.test/jwks', algorithms: ['RS256', 'HS256'] },
        }),
      ),
    ).toBe('CONFIGURATION_ERROR: session.jwt.algorithms cannot be HMAC with a jwksUrl')
  })

  test('a public KeyObject is used as is; a private one, or garbage, is refused', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    expect(configMessage(() => verifierFor({ jwt: { publicKey } }))).toBe('no error')
    for (const bad of [privateKey, 'not a pem', { kty: 'nope' }]) {
      let error: unknown
      try {
        verifierFor({ jwt: { publicKey: bad as never } })
      } catch (e) {
        error = e
      }
      expect(error).toMatchObject({
        code: 'CONFIGURATION_ERROR',
        message: 'session.jwt.publicKey is not a readable public key',
      })
    }
    let cause: unknown
    try {
      verifierFor({ jwt: { publicKey: privateKey as never } })
    } catch (e) {
      cause = (e as Error).cause
    }
    expect((cause as Error).message).toBe('not a public key')
  })
})

describe('session details: key sets', () => {
  let server: Server
  let base: string
  const tokens: Record<string, string> = {}
  beforeAll(async () => {
    const keys: Record<string, unknown>[] = []
    for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']) {
      const pair = await generateKeyPair(alg, { extractable: true })
      keys.push({ ...(await exportJWK(pair.publicKey)), kid: alg, alg })
      tokens[alg] = await sign({}, pair.privateKey, alg, { kid: alg })
    }
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ keys }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  test('a key set accepts every asymmetric default algorithm', async () => {
    const verify = verifierFor({ jwt: { jwksUrl: `${base}/jwks.json` } })
    for (const alg of Object.keys(tokens)) {
      expect([alg, await verdict(verify(withCookie(tokens[alg] as string) as never))]).toEqual([
        alg,
        'ok',
      ])
    }
  })

  test('a key set that cannot be fetched is logged, and answered 503 jwks_unavailable', async () => {
    const logs = createLogSink()
    const dropper = createNetServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = dropper.address() as AddressInfo
      const verify = verifierFor(
        { jwt: { jwksUrl: `http://127.0.0.1:${port}/` } },
        { logger: logs.logger },
      )
      expect(await verdict(verify(withCookie(tokens.RS256 as string) as never))).toBe(
        'AUTH_UNAVAILABLE jwks_unavailable',
      )
      expect(logs.lines).toHaveLength(1)
      expect(logs.lines[0]).toMatchObject({
        level: 'error',
        message: 'session key set unavailable',
      })
      expect(typeof logs.lines[0]?.context?.error).toBe('string')
    } finally {
      await new Promise<void>((resolve) => dropper.close(() => resolve()))
    }
  })
})

describe('session details: cookies, reasons and the hook', () => {
  const verify = (request: {
    headers: object
    cookies: Record<string, string>
  }): Promise<unknown> => verifierFor({ jwt: { secret: SECRET } })(request as never)

  test('a missing, empty or oversized cookie is refused before the token is parsed', async () => {
    expect(await verdict(verify({ headers: {}, cookies: {} }))).toBe('SESSION_REQUIRED no_cookie')
    expect(await verdict(verify(withCookie('')))).toBe('SESSION_REQUIRED no_cookie')
    expect(await verdict(verify(withCookie('a'.repeat(8_193))))).toBe(
      'SESSION_REQUIRED token_too_long',
    )
    // Up to 8 192 characters the token is parsed (and here refused by the JWT library).
    expect(await verdict(verify(withCookie('a'.repeat(8_192))))).toBe(
      'SESSION_REQUIRED malformed_token',
    )
  })

  test('a refused token says why (a fixed reason code, or the subject)', async () => {
    expect(await verdict(verify(withCookie(await sign({ exp: T - 60 }))))).toBe(
      'SESSION_REQUIRED expired',
    )
    expect(await verdict(verify(withCookie(await sign({ sub: 'a b' }))))).toBe(
      'SESSION_REQUIRED invalid_subject',
    )
    expect(await verdict(verifierFor(undefined)(withCookie('x') as never))).toBe(
      'SESSION_REQUIRED no_session_config',
    )
  })

  test('the hook: its AuthErrors pass through, undefined is no session, anything but a user object is a logged 503', async () => {
    const logs = createLogSink()
    let answer: () => unknown = () => null
    const hooked = verifierFor(
      { authenticate: async () => answer() as never },
      { logger: logs.logger },
    )
    const request = { headers: {}, cookies: {} }
    answer = () => {
      throw new AuthError('SESSION_REQUIRED', { reason: 'expired_session' })
    }
    expect(await verdict(hooked(request))).toBe('SESSION_REQUIRED expired_session')
    answer = () => undefined
    expect(await verdict(hooked(request))).toBe('SESSION_REQUIRED no_user')
    // The rejection's reason is logged (info by default; this sink has only warn, the fallback).
    expect(logs.lines.map((l) => [l.level, l.context?.reason])).toEqual([['warn', 'no_user']])
    logs.lines.length = 0
    answer = () => {
      throw new Error('db down')
    }
    expect(await verdict(hooked(request))).toBe('AUTH_UNAVAILABLE session_hook_error')
    answer = () => Object.assign(() => {}, { userId: 'u1' })
    expect(await verdict(hooked(request))).toBe('AUTH_UNAVAILABLE session_hook_invalid')
    answer = () => 'u1'
    expect(await verdict(hooked(request))).toBe('AUTH_UNAVAILABLE session_hook_invalid')
    expect(logs.lines).toEqual([
      {
        level: 'error',
        message: 'session.authenticate failed',
        context: { error: 'Error: db down' },
      },
      { level: 'error', message: 'session.authenticate returned an invalid user', context: {} },
      { level: 'error', message: 'session.authenticate returned an invalid user', context: {} },
    ])
  })
})
