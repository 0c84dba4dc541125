/**
 * An outside acceptance pass over the public contract (README, docs/): hostile inputs to every
 * exported function and every `auth.*` method. Nothing may throw a non-AuthError, hang, or grant.
 */
import { describe, expect, it } from 'vitest'
import {
  AuthError,
  createApiKeyAuth,
  formatKeyPrefix,
  generateApiKey,
  hashApiKey,
  hasScopes,
  isAuthError,
  MemoryKeyStore,
  parseApiKey,
  parseBearerHeader,
  scopeSatisfies,
  validateScope,
} from '../src/index.js'
import { recordFor, setup } from './support/setup.js'

const nullProto = Object.create(null) as object
const throwingToString = {
  toString: () => {
    throw new Error('toString')
  },
  valueOf: () => {
    throw new Error('valueOf')
  },
}
const HOSTILE: unknown[] = [
  undefined,
  null,
  0,
  -1,
  NaN,
  Infinity,
  1n,
  true,
  '',
  ' ',
  '\u0000',
  '\uD800',
  '🔑'.repeat(300),
  'é',
  'x'.repeat(1_000_000),
  Symbol('s'),
  [],
  [[]],
  ['a', 'b'],
  {},
  nullProto,
  throwingToString,
  () => 'Bearer x',
  new Date(NaN),
  new Uint8Array(8),
]

/** Settles with 'ok', an AuthError code, or a description of the foreign error (a failure). */
async function outcome(fn: () => unknown): Promise<string> {
  try {
    await Promise.race([
      Promise.resolve().then(fn),
      new Promise((_, reject) => setTimeout(() => reject(new Error('HANG')), 3_000).unref()),
    ])
    return 'ok'
  } catch (error) {
    if (isAuthError(error)) return error.code
    return `FOREIGN ${error instanceof Error ? error.message : typeof error}`
  }
}

async function foreignOutcomes(name: string, fn: (value: unknown) => unknown): Promise<string[]> {
  const bad: string[] = []
  for (const [i, value] of HOSTILE.entries()) {
    const result = await outcome(() => fn(value))
    if (result.startsWith('FOREIGN')) bad.push(`${name}(#${i}): ${result}`)
  }
  return bad
}

describe('adversarial contract: pure functions', () => {
  it('no exported function throws anything but an AuthError on hostile input', async () => {
    const key = generateApiKey('u123')
    const bad = [
      ...(await foreignOutcomes('parseApiKey', (v) => parseApiKey(v))),
      ...(await foreignOutcomes('parseApiKey(key, opts)', (v) => parseApiKey(key, v as never))),
      ...(await foreignOutcomes('parseBearerHeader', (v) => parseBearerHeader(v))),
      ...(await foreignOutcomes('formatKeyPrefix', (v) => formatKeyPrefix(v as string))),
      ...(await foreignOutcomes('generateApiKey', (v) => generateApiKey(v as string))),
      ...(await foreignOutcomes('generateApiKey(u, opts)', (v) => generateApiKey('u', v as never))),
      ...(await foreignOutcomes('hashApiKey', (v) => hashApiKey(v as string))),
      ...(await foreignOutcomes('hashApiKey(k, pepper)', (v) => hashApiKey(key, v as string))),
      ...(await foreignOutcomes('validateScope', (v) => validateScope(v))),
      ...(await foreignOutcomes('scopeSatisfies', (v) => scopeSatisfies(v as string, 'a:b'))),
      ...(await foreignOutcomes('scopeSatisfies(r)', (v) => scopeSatisfies('*', v as string))),
      ...(await foreignOutcomes('hasScopes', (v) => hasScopes(v as string[], ['a']))),
      ...(await foreignOutcomes('hasScopes(r)', (v) => hasScopes(['*'], v as string[]))),
      ...(await foreignOutcomes('isAuthError', (v) => isAuthError(v))),
      ...(await foreignOutcomes('AuthError#toResponse', (v) =>
        new AuthError('KEY_NOT_FOUND').toResponse(v as never),
      )),
    ]
    expect(bad).toEqual([])
  })

  it('hostile input never grants: scopes, parsing and hashing fail closed', () => {
    for (const value of HOSTILE) {
      if (value === '') continue
      expect(() => parseApiKey(value)).toThrow(AuthError)
      expect(scopeSatisfies(value as string, 'models:read')).toBe(false)
      expect(hasScopes(value as string[], ['models:read'])).toBe(false)
    }
    expect(() => parseApiKey('')).toThrow(AuthError)
  })

  it('a pepper of the wrong type, or an empty one, is refused, never silently dropped', () => {
    const key = generateApiKey('u123')
    for (const pepper of [42, {}, [], true]) {
      expect(() => hashApiKey(key, pepper as never)).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
    for (const pepper of ['', new Uint8Array(0)]) {
      expect(() => hashApiKey(key, pepper)).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
    expect(hashApiKey(key, 'p')).not.toBe(hashApiKey(key))
    expect(hashApiKey(key, new TextEncoder().encode('p'))).toBe(hashApiKey(key, 'p'))
  })

  it('toResponse never puts a hostile realm into a header', () => {
    const error = new AuthError('KEY_NOT_FOUND')
    for (const realm of ['a"b', 'a\r\nSet-Cookie: x=1', '\u0000', 'x'.repeat(10_000)]) {
      const header = error.toResponse({ realm }).headers['www-authenticate'] ?? ''
      // eslint-disable-next-line no-control-regex -- injected control characters are the point
      expect(header).not.toMatch(/[\r\n\u0000]/)
      expect(header.match(/"/g)?.length).toBe(4)
      expect(header.length).toBeLessThan(300)
    }
  })

  it('a random source that never yields usable bytes fails instead of hanging', async () => {
    for (const randomBytes of [
      () => new Uint8Array(0),
      (n: number) => new Uint8Array(n).fill(255),
    ]) {
      expect(await outcome(() => generateApiKey({ userId: 'u', randomBytes }))).toBe(
        'CONFIGURATION_ERROR',
      )
    }
  })
})

describe('adversarial contract: auth methods', () => {
  it('no auth method throws anything but an AuthError on hostile input', async () => {
    const { auth, issue } = setup()
    const { key } = await issue()
    const bad = [
      ...(await foreignOutcomes('verifyKey', (v) => auth.verifyKey(v))),
      ...(await foreignOutcomes('verifyKey(key, opts)', (v) => auth.verifyKey(key, v as never))),
      ...(await foreignOutcomes('verifyKey(key, {scopes})', (v) =>
        auth.verifyKey(key, { scopes: v as string[] }),
      )),
      ...(await foreignOutcomes('authenticate', (v) => auth.authenticate(v))),
      ...(await foreignOutcomes('authenticate(h, opts)', (v) =>
        auth.authenticate(`Bearer ${key}`, v as never),
      )),
      ...(await foreignOutcomes('createKey', (v) => auth.createKey(v as never))),
      ...(await foreignOutcomes('createKey(name)', (v) =>
        auth.createKey({ userId: 'u9', name: v as string }),
      )),
      ...(await foreignOutcomes('createKey(scopes)', (v) =>
        auth.createKey({ userId: 'u9', name: 'n', scopes: v as string[] }),
      )),
      ...(await foreignOutcomes('listKeys', (v) => auth.listKeys(v as string))),
      ...(await foreignOutcomes('revokeKey', (v) => auth.revokeKey(v as never))),
      ...(await foreignOutcomes('revokeKey(ids)', (v) =>
        auth.revokeKey({ userId: v as string, keyId: v as string }),
      )),
      ...(await foreignOutcomes('requireScopes', (v) => auth.requireScopes(v as string[]))),
      ...(await foreignOutcomes('errorResponse', (v) => auth.errorResponse(v))),
      ...(await foreignOutcomes('createApiKeyAuth', (v) => createApiKeyAuth(v as never))),
    ]
    expect(bad).toEqual([])
  })

  it('hostile required-scope options never skip the scope check', async () => {
    const { auth, issue } = setup()
    const { key } = await issue({ scopes: ['models:read'] })
    for (const scopes of [42, null, 'models:write', { length: 1 }, [42], [null], [''], [{}]]) {
      const result = await outcome(() => auth.verifyKey(key, { scopes: scopes as never }))
      expect(result, JSON.stringify(scopes)).not.toBe('ok')
      expect(result.startsWith('FOREIGN')).toBe(false)
    }
  })

  it('a broken clock fails closed: expired keys are never accepted and nothing is created', async () => {
    for (const now of [
      () => NaN,
      () => new Date('nope'),
      () => 'soon',
      () => undefined,
      () => Infinity,
    ]) {
      const store = new MemoryKeyStore()
      const key = generateApiKey('u123')
      await store.insert(recordFor(key, { expiresAt: new Date(Date.UTC(2000, 0, 1)) }))
      const auth = createApiKeyAuth({ store, now: now as never, logger: false })
      const verified = await outcome(() => auth.verifyKey(key))
      expect(verified, String(now())).toBe('AUTH_UNAVAILABLE')
      const created = await outcome(() => auth.createKey({ userId: 'u123', name: 'n' }))
      expect(created).toBe('AUTH_UNAVAILABLE')
      expect(await store.listByUser('u123')).toHaveLength(1)
    }
  })

  it('huge and unicode inputs are refused quickly with INVALID_FORMAT and never looked up', async () => {
    const { auth, spy } = setup()
    const inputs = [
      `Bearer ${'A'.repeat(10_240)}`,
      `Bearer vydra_live_user_${'a'.repeat(10_000)}_${'A'.repeat(38)}`,
      `Bearer ${'x'.repeat(1_000_000)}`,
      'Bearer vydra_live_user_ü_' + 'A'.repeat(38),
      'Bearer vydra_live_user_u123_' + 'Ａ'.repeat(38),
    ]
    for (const header of inputs)
      expect(await outcome(() => auth.authenticate(header))).toBe('INVALID_FORMAT')
    expect(spy.calls.findByHash).toBe(0)
    expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0 })
  })

  it('returned principals and infos cannot be used to change what is stored or cached', async () => {
    const { auth, spy, issue } = setup()
    const { key, id } = await issue({ scopes: ['models:read'] })
    const principal = await auth.verifyKey(key)
    expect(() => (principal.scopes as string[]).push('*')).toThrow()
    const [info] = await auth.listKeys('u123')
    info!.scopes.push('*')
    info!.revokedAt = null
    expect((await auth.verifyKey(key)).scopes).toEqual(['models:read'])
    expect((await spy.memory.listByUser('u123'))[0]?.scopes).toEqual(['models:read'])
    expect(id).toBe(principal.keyId)
  })

  it('close() stops revocation delivery and can be called twice', async () => {
    const memory = new MemoryKeyStore()
    const a = createApiKeyAuth({ store: memory, logger: false })
    const b = createApiKeyAuth({ store: memory, logger: false })
    const { key, id } = await a.createKey({ userId: 'u', name: 'n' })
    await b.verifyKey(key)
    b.close()
    b.close()
    await a.revokeKey({ userId: 'u', keyId: id })
    expect(b.cacheStats().positive).toBe(1)
  })
})

describe('adversarial contract: challenge header', () => {
  it('required scopes never break out of the scope="…" attribute', async () => {
    const { auth, issue } = setup()
    const { key } = await issue({ scopes: ['models:read'] })
    for (const scope of ['a"b', 'a\r\nSet-Cookie: x=1', 'a\\', 'ü', 'a b']) {
      const error = await auth.verifyKey(key, { scopes: [scope] }).catch((e: unknown) => e)
      const header = auth.errorResponse(error).headers['www-authenticate'] ?? ''
      // eslint-disable-next-line no-control-regex -- injected control characters are the point
      expect(header, scope).not.toMatch(/[\r\n\u0000-\u001f\u007f]/)
      expect(header.match(/"/g)?.length, scope).toBe(6)
      expect(header).toMatch(/^Bearer realm="vydra", error="insufficient_scope", scope="[^"\\]*"$/)
    }
    const error = new AuthError('INSUFFICIENT_SCOPE', { requiredScopes: ['models:write', 'x"y'] })
    expect(error.toResponse().headers['www-authenticate']).toBe(
      'Bearer realm="vydra", error="insufficient_scope", scope="models:write"',
    )
  })
})

describe('adversarial contract: hostile collaborators', () => {
  const memoryMethods = (memory: MemoryKeyStore) => ({
    insert: memory.insert.bind(memory),
    findByHash: memory.findByHash.bind(memory),
    listByUser: memory.listByUser.bind(memory),
    revoke: memory.revoke.bind(memory),
  })

  it('a store whose onRevoke throws is a CONFIGURATION_ERROR; a non-function unsubscribe is ignored', async () => {
    const base = memoryMethods(new MemoryKeyStore())
    const throwing = {
      ...base,
      onRevoke: () => {
        throw new Error('subscribe failed')
      },
    }
    expect(await outcome(() => createApiKeyAuth({ store: throwing, logger: false }))).toBe(
      'CONFIGURATION_ERROR',
    )
    const odd = { ...base, onRevoke: (() => 42) as never }
    expect(await outcome(() => createApiKeyAuth({ store: odd, logger: false }).close())).toBe('ok')
  })

  it('a logger that throws changes no outcome', async () => {
    const memory = new MemoryKeyStore()
    const logger = {
      warn: () => {
        throw new Error('log sink down')
      },
      error: () => {
        throw new Error('log sink down')
      },
    }
    const down = { ...memoryMethods(memory), findByHash: () => Promise.reject(new Error('db')) }
    const auth = createApiKeyAuth({ store: down, logger })
    expect(await outcome(() => auth.verifyKey(generateApiKey('u')))).toBe('AUTH_UNAVAILABLE')
    const key = generateApiKey('u')
    await memory.insert(recordFor(key, { userId: 'someone' }))
    const mismatch = createApiKeyAuth({ store: memory, logger })
    expect(await outcome(() => mismatch.verifyKey(key))).toBe('KEY_NOT_FOUND')
    expect(mismatch.errorResponse(new Error('x')).status).toBe(503)
  })

  it('a clock that throws fails closed with AUTH_UNAVAILABLE', async () => {
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: false,
      now: () => {
        throw new Error('clock')
      },
    })
    expect(await outcome(() => auth.verifyKey(generateApiKey('u')))).toBe('AUTH_UNAVAILABLE')
    expect(await outcome(() => auth.createKey({ userId: 'u', name: 'n' }))).toBe('AUTH_UNAVAILABLE')
  })
})
