/** Options: validated once at construction; a bad option is CONFIGURATION_ERROR naming it. */
import { describe, expect, it } from 'vitest'
import { AuthError, createApiKeyAuth, MemoryKeyStore } from '../src/index.js'

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
    const { options } = createApiKeyAuth({ store, pepper: 'super-secret-pepper' })
    expect(JSON.stringify(options)).not.toContain('super-secret-pepper')
    expect(options.pepper).toBe('super-secret-pepper')
    const error = configError({ store, pepper: 'super-secret-pepper', realm: 'bad"' })
    expect(error.message).not.toContain('super-secret-pepper')
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
})
