import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, base64url } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createSessionVerifier, type SessionVerifierOptions } from '../src/index.js'
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

const withCookie = (
  token: string,
  name = '__session',
): { headers: object; cookies: Record<string, string> } => ({
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
