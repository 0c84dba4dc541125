/** Options: validated once at construction; a bad option is CONFIGURATION_ERROR naming it. */
import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  AuthError,
  createApiKeyAuth,
  createSessionVerifier,
  hashApiKey,
  MemoryKeyStore,
} from '../src/index.js'

const PEPPER = 'pepper-Q7v2Lr9xKc4mWz8pTb3nHs6dJf0gYa1e'
const SESSION_SECRET = 'session-N4k8Pq2Wx7Rt5Zm1Lc9Vb3Hd6Gf0Sj'

const store = new MemoryKeyStore()

function configError(options: unknown): AuthError {
  try {
    createApiKeyAuth(options as never)
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).code).toBe('CONFIGURATION_ERROR')
    return error as AuthError
  }
  throw new Error(`accepted ${String(options)}`)
}

describe('options', () => {
  it('fills in the documented defaults', () => {
    const { options } = createApiKeyAuth({ store })
    expect(options).toMatchObject({
      prefix: 'vydra',
      environment: 'live',
      cache: {
        ttlMs: 30_000,
        maxEntries: 10_000,
        negativeTtlMs: 5_000,
        negativeMaxEntries: 10_000,
      },
      storeTimeoutMs: 2_000,
      touchIntervalMs: 60_000,
      maxKeysPerUser: 100,
      realm: 'vydra',
      clockToleranceMs: 0,
    })
  })

  it.each([
    ['store', { store: undefined }],
    ['store', { store: {} }],
    ['store', { store: { ...store, findByHash: 1 } }],
    ['prefix', { store, prefix: 'Vydra' }],
    ['prefix', { store, prefix: 'vy_dra' }],
    ['prefix', { store, prefix: '' }],
    ['environment', { store, environment: 'LIVE' }],
    ['environment', { store, environment: 'li_ve' }],
    ['pepper', { store, pepper: '' }],
    ['pepper', { store, pepper: 42 }],
    ['pepper', { store, pepper: new Uint8Array(0) }],
    ['pepper', { store, pepper: 'too-short-pepper' }],
    ['pepper', { store, pepper: randomBytes(31) }],
    ['pepper', { store, pepper: 'a'.repeat(64) }],
    ['pepper', { store, pepper: 'changeme'.repeat(8) }],
    ['pepper', { store, pepper: undefined }],
    ['session.jwt.secret', { store, session: { jwt: { secret: '' } } }],
    ['session.jwt.secret', { store, session: { jwt: { secret: new Uint8Array(0) } } }],
    ['session.jwt.secret', { store, session: { jwt: { secret: 'x'.repeat(31) } } }],
    ['session.jwt.secret', { store, session: { jwt: { secret: randomBytes(16) } } }],
    [
      'session.jwt.secret',
      { store, session: { jwt: { secret: randomBytes(40), algorithms: ['HS512'] } } },
    ],
    ['scopes', { store, scopes: ['models:'] }],
    ['scopes', { store, scopes: [] }],
    ['cache', { store, cache: { ttlMs: 60_000 } }],
    ['cache', { store, cache: { ttlMs: -1 } }],
    ['cache', { store, cache: { maxEntries: 1.5 } }],
    ['cache', { store, cache: { typo: 1 } }],
    ['cache', { store, cache: true }],
    ['storeTimeoutMs', { store, storeTimeoutMs: 0 }],
    ['storeTimeoutMs', { store, storeTimeoutMs: Infinity }],
    ['storeTimeoutMs', { store, storeTimeoutMs: '2000' }],
    ['touchIntervalMs', { store, touchIntervalMs: -5 }],
    ['maxKeysPerUser', { store, maxKeysPerUser: 0 }],
    ['maxKeysPerUser', { store, maxKeysPerUser: NaN }],
    ['maxExpiresInDays', { store, maxExpiresInDays: 1e9 }],
    ['realm', { store, realm: 'a"b' }],
    ['realm', { store, realm: 'a\r\nb' }],
    ['realm', { store, realm: '' }],
    ['allowedOrigins', { store, allowedOrigins: ['https://app.example/path'] }],
    ['allowedOrigins', { store, allowedOrigins: ['*'] }],
    ['clockToleranceMs', { store, clockToleranceMs: 86_400_000 }],
    ['now', { store, now: 123 }],
    ['logger', { store, logger: {} }],
    ['session', { store, session: { jwt: {} } }],
    ['typoOption', { store, typoOption: true }],
  ])('rejects a bad %s and names it', (name, options) => {
    const error = configError(options)
    expect(error.message).toContain(name)
    expect(error.status).toBe(500)
  })

  it('rejects non-objects', () => {
    for (const value of [undefined, null, 42, 'store', [], () => {}]) configError(value)
  })

  it('keeps the pepper out of serialised options and error messages', () => {
    const { options } = createApiKeyAuth({ store, pepper: PEPPER })
    expect(JSON.stringify(options)).not.toContain(PEPPER)
    expect('pepper' in options).toBe(false)
    const error = configError({ store, pepper: PEPPER, realm: 'bad"' })
    expect(error.message).not.toContain(PEPPER)
  })

  it('accepts a cache of false and a clock returning Date or number', async () => {
    const a = createApiKeyAuth({
      store: new MemoryKeyStore(),
      cache: false,
      now: () => new Date(0),
    })
    expect(a.options.cache).toBe(false)
    const created = await a.createKey({ userId: 'u', name: 'n' })
    expect(created.apiKey.createdAt.getTime()).toBe(0)
    const b = createApiKeyAuth({ store: new MemoryKeyStore(), now: () => 5 })
    expect((await b.createKey({ userId: 'u', name: 'n' })).apiKey.createdAt.getTime()).toBe(5)
  })

  it('names the expected type instead of "Invalid input"', () => {
    const cases: [object, RegExp][] = [
      [
        { store, pepper: 42 },
        /pepper: expected a string or bytes \(Uint8Array\) of at least 32 bytes/,
      ],
      [{ store, pepper: 'short' }, /pepper: must be at least 32 bytes \(got 5\)/],
      [{ store, cache: true }, /cache: expected false or \{ ttlMs/],
      [
        { store, logger: 'console' },
        /logger: expected false or an object with warn\(\) and error\(\)/,
      ],
      [
        { store, session: { jwt: { secret: 7 } } },
        /session\.jwt\.secret: expected a string or bytes/,
      ],
      [
        { store, session: { jwt: { jwksUrl: 7 } } },
        /session\.jwt\.jwksUrl: expected a URL string or a URL/,
      ],
    ]
    for (const [options, message] of cases) {
      const error = configError(options)
      expect(error.message).toMatch(message)
      expect(error.message).not.toContain('Invalid input')
    }
  })

  it('an unset environment variable as pepper is refused; null means no pepper', async () => {
    const env: Record<string, string | undefined> = {}
    const error = configError({ store, pepper: env.API_KEY_PEPPER })
    expect(error.message).toMatch(/pepper: is undefined/)
    const keyStore = new MemoryKeyStore()
    const plain = createApiKeyAuth({ store: keyStore, pepper: null })
    const { key } = await plain.createKey({ userId: 'u1', name: 'n' })
    await expect(keyStore.findByHash(hashApiKey(key))).resolves.toMatchObject({ userId: 'u1' })
  })

  it("secrets are copied at construction: mutating the caller's bytes changes nothing", async () => {
    const keyStore = new MemoryKeyStore()
    const pepper = new Uint8Array(randomBytes(32))
    const secret = new Uint8Array(randomBytes(32))
    const signingKey = secret.slice()
    const auth = createApiKeyAuth({ store: keyStore, pepper, session: { jwt: { secret } } })
    const { key } = await auth.createKey({ userId: 'u1', name: 'n' })
    pepper.fill(0)
    secret.fill(0)
    const fresh = createApiKeyAuth({ store: keyStore, pepper: new Uint8Array(randomBytes(32)) })
    await expect(fresh.verifyKey(key)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' })
    await expect(auth.verifyKey(key)).resolves.toMatchObject({ userId: 'u1' })
    const now = Math.floor(Date.now() / 1000)
    const jwt = await new SignJWT({ sub: 'u1', exp: now + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(signingKey)
    const verify = createSessionVerifier(auth.options)
    await expect(verify({ headers: {}, cookies: { __session: jwt } })).resolves.toEqual({
      userId: 'u1',
    })
  })

  it('no property, inspect or JSON of the service reveals the pepper or the session secret', () => {
    const pepperBytes = new Uint8Array(randomBytes(32))
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
    for (const pepper of [PEPPER, pepperBytes]) {
      const auth = createApiKeyAuth({
        store: new MemoryKeyStore(),
        pepper,
        session: { jwt: { secret: SESSION_SECRET } },
      })
      const texts = [
        JSON.stringify(auth),
        JSON.stringify(auth.options),
        inspect(auth, { showHidden: true, depth: Infinity, getters: true }),
        inspect(auth.options, { showHidden: true, depth: Infinity, getters: true }),
      ]
      for (const text of texts) {
        expect(text).not.toContain(PEPPER)
        expect(text).not.toContain(SESSION_SECRET)
        expect(text).not.toContain(hex(pepperBytes))
      }
      // Every value reachable through own properties (symbols and non-enumerables included).
      const seen = new Set<unknown>()
      const walk = (value: unknown): void => {
        if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
          expect(value).not.toBe(PEPPER)
          expect(value).not.toBe(SESSION_SECRET)
          return
        }
        if (seen.has(value)) return
        seen.add(value)
        if (value instanceof Uint8Array) expect(hex(value)).not.toBe(hex(pepperBytes))
        for (const name of Reflect.ownKeys(value)) {
          const descriptor = Object.getOwnPropertyDescriptor(value, name)
          if (descriptor !== undefined && 'value' in descriptor) walk(descriptor.value)
        }
      }
      walk(auth)
    }
  })
})
