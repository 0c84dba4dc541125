/**
 * Usage limits through the service and the guard: validation at creation and start-up, the 429
 * and its headers, order 401 > 403 > 429, denied requests not charged, the outage policy, and
 * limits off by default.
 */
import { describe, expect, test } from 'vitest'
import { createApiKeyGuard, createApiKeyRoutes } from '../../src/http/index.js'
import {
  AuthError,
  createApiKeyAuth,
  MemoryKeyStore,
  MemoryLimitStore,
  type LimitStore,
} from '../../src/index.js'
import { setup } from '../support/setup.js'
import { registerKey } from '../support/secret-scan.js'

const perMinute = { name: 'minute', limit: 2, windowMs: 60_000 }

async function limitedKey(h: ReturnType<typeof setup>, limits: object, scopes = ['models:read']) {
  const created = await h.auth.createKey({ userId: 'u1', name: 'k', scopes, limits })
  registerKey(created.key)
  return created
}

const request = (key: string) => ({ headers: { authorization: `Bearer ${key}` } })

describe('limits at creation', () => {
  test('a key keeps its limits: on the record, in listKeys and on the principal', async () => {
    const h = setup()
    const limits = {
      rate: [perMinute],
      credits: { remaining: 5, refill: { amount: 5, intervalMs: 86_400_000 } },
    }
    const { key, apiKey } = await limitedKey(h, limits)
    expect(apiKey.limits).toEqual(limits)
    expect((await h.auth.listKeys('u1'))[0]?.limits).toEqual(limits)
    const principal = await h.auth.verifyKey(key)
    expect(principal.limits).toEqual(limits)
    expect(Object.isFrozen(principal.limits)).toBe(true)
  })

  test('a key without limits has no limits field anywhere', async () => {
    const h = setup()
    const { key } = await h.issue()
    expect('limits' in (await h.auth.verifyKey(key))).toBe(false)
    expect('limits' in ((await h.auth.listKeys('u123'))[0] ?? {})).toBe(false)
  })

  test.each([
    [{ rate: [{ name: 'm', limit: 0, windowMs: 60_000 }] }, ['limits', 'rate', 0, 'limit']],
    [{ rate: [{ name: 'm', limit: 1.5, windowMs: 60_000 }] }, ['limits', 'rate', 0, 'limit']],
    [{ rate: [{ name: 'm', limit: 1, windowMs: 999 }] }, ['limits', 'rate', 0, 'windowMs']],
    [
      { rate: [{ name: 'm', limit: 1, windowMs: 31 * 86_400_000 + 1 }] },
      ['limits', 'rate', 0, 'windowMs'],
    ],
    [{ rate: [{ name: 'bad name', limit: 1, windowMs: 1000 }] }, ['limits', 'rate', 0, 'name']],
    [{ rate: [{ name: 'credits', limit: 1, windowMs: 1000 }] }, ['limits', 'rate', 0, 'name']],
    [
      { rate: Array.from({ length: 11 }, (_, i) => ({ name: `w${i}`, limit: 1, windowMs: 1000 })) },
      ['limits', 'rate'],
    ],
    [{ rate: [perMinute, perMinute] }, ['limits', 'rate']],
    [{ credits: { remaining: -1 } }, ['limits', 'credits', 'remaining']],
    [
      { credits: { remaining: 1, refill: { amount: 1, intervalMs: 10 } } },
      ['limits', 'credits', 'refill', 'intervalMs'],
    ],
    [{ credits: { remaining: 1 }, extra: true }, ['limits']],
  ])('bad limits %j are VALIDATION_ERROR naming %j', async (limits, path) => {
    const h = setup()
    const error = await h.auth
      .createKey({ userId: 'u1', name: 'k', limits: limits as never })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).code).toBe('VALIDATION_ERROR')
    expect((error as AuthError).status).toBe(400)
    expect((error as AuthError).issues?.map((i) => i.path)).toContainEqual(path)
  })

  test('invalid defaults or limit options are CONFIGURATION_ERROR at start-up', () => {
    const bad = [
      { defaults: { rate: [{ name: 'm', limit: -1, windowMs: 1000 }] } },
      { defaults: { credits: { remaining: 1.5 } } },
      { store: {} },
      { headers: 'yes' },
      { onStoreError: { rate: 'sometimes' } },
      { unknown: 1 },
    ]
    for (const limits of bad) {
      expect(() =>
        createApiKeyAuth({ store: new MemoryKeyStore(), limits: limits as never }),
      ).toThrow(expect.objectContaining({ code: 'CONFIGURATION_ERROR' }))
    }
  })

  test('a route cost outside 1..1000 is CONFIGURATION_ERROR at set-up', () => {
    const h = setup()
    for (const cost of [0, 1001, 1.5, '2', Number.NaN]) {
      expect(() => createApiKeyGuard(h.auth, { cost: cost as never })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
  })
})

describe('limits in the guard', () => {
  test('admits the limit with headers, then 429 RATE_LIMITED with Retry-After and headers', async () => {
    const h = setup()
    const { key } = await limitedKey(h, { rate: [perMinute] })
    const guard = createApiKeyGuard(h.auth, { scopes: ['models:read'] })
    const first = await guard(request(key))
    expect(first).toMatchObject({
      ok: true,
      headers: { 'ratelimit-policy': '"minute";q=2;w=60', ratelimit: '"minute";r=1;t=63' },
    })
    expect((await guard(request(key))).ok).toBe(true)
    const limited = await guard(request(key))
    expect(limited.ok).toBe(false)
    if (limited.ok) return
    expect(limited.response.status).toBe(429)
    expect(limited.response.body).toEqual({
      error: { code: 'RATE_LIMITED', message: 'Rate limit exceeded' },
    })
    expect(limited.response.headers).toMatchObject({
      'retry-after': '63',
      'ratelimit-policy': '"minute";q=2;w=60',
      ratelimit: '"minute";r=0;t=63',
      'cache-control': 'no-store',
    })
    expect(limited.response.headers['www-authenticate']).toBeUndefined()
    h.clock.advance(63_000)
    expect((await guard(request(key))).ok).toBe(true)
  })

  test('cost per route; a refused request charges nothing', async () => {
    const h = setup()
    const { key } = await limitedKey(h, { rate: [{ name: 'm', limit: 10, windowMs: 60_000 }] })
    const expensive = createApiKeyGuard(h.auth, { cost: 6 })
    const cheap = createApiKeyGuard(h.auth)
    expect((await expensive(request(key))).ok).toBe(true)
    for (let i = 0; i < 5; i++) expect((await expensive(request(key))).ok).toBe(false)
    for (let i = 0; i < 4; i++) expect((await cheap(request(key))).ok).toBe(true)
    expect((await cheap(request(key))).ok).toBe(false)
  })

  test('credits: CREDITS_EXHAUSTED at 0, with the refill time as Retry-After', async () => {
    const h = setup()
    const { key } = await limitedKey(h, {
      credits: { remaining: 1, refill: { amount: 1, intervalMs: 3_600_000 } },
    })
    const guard = createApiKeyGuard(h.auth)
    expect(await guard(request(key))).toMatchObject({
      ok: true,
      headers: { 'ratelimit-policy': '"credits";q=1', ratelimit: '"credits";r=0;t=3600' },
    })
    const empty = await guard(request(key))
    expect(empty).toMatchObject({
      ok: false,
      response: {
        status: 429,
        body: { error: { code: 'CREDITS_EXHAUSTED' } },
        headers: { 'retry-after': '3600' },
      },
    })
    h.clock.advance(3_600_000)
    expect((await guard(request(key))).ok).toBe(true)
  })

  test('401 and 403 come before 429, and neither is charged', async () => {
    const h = setup()
    const { key } = await limitedKey(h, { rate: [{ name: 'm', limit: 1, windowMs: 60_000 }] })
    const admin = createApiKeyGuard(h.auth, { scopes: ['models:write'] })
    const read = createApiKeyGuard(h.auth, { scopes: ['models:read'] })
    for (let i = 0; i < 3; i++) {
      const forbidden = await admin(request(key))
      expect(forbidden.ok ? 200 : forbidden.response.status).toBe(403)
    }
    const missing = await read({ headers: {} })
    expect(missing.ok ? 200 : missing.response.status).toBe(401)
    expect((await read(request(key))).ok).toBe(true)
    const forbiddenAfter = await admin(request(key))
    expect(forbiddenAfter.ok ? 200 : forbiddenAfter.response.status).toBe(403)
  })

  test('instance defaults apply per field to keys without their own; a key may opt out with rate: []', async () => {
    const h = setup({ limits: { defaults: { rate: [{ name: 'd', limit: 1, windowMs: 60_000 }] } } })
    const plain = await h.issue()
    const own = await limitedKey(h, { rate: [] })
    const guard = createApiKeyGuard(h.auth)
    expect((await guard(request(plain.key))).ok).toBe(true)
    expect((await guard(request(plain.key))).ok).toBe(false)
    for (let i = 0; i < 3; i++)
      expect(await guard(request(own.key))).toEqual({
        ok: true,
        principal: expect.anything(),
        headers: {},
      })
  })

  test('headers: false sends no RateLimit fields, but still Retry-After on the 429', async () => {
    const h = setup({ limits: { headers: false } })
    const { key } = await limitedKey(h, { rate: [{ name: 'm', limit: 1, windowMs: 60_000 }] })
    const guard = createApiKeyGuard(h.auth)
    expect(await guard(request(key))).toMatchObject({ ok: true, headers: {} })
    const limited = await guard(request(key))
    if (limited.ok) throw new Error('expected a 429')
    expect(Object.keys(limited.response.headers).sort()).toEqual([
      'cache-control',
      'content-type',
      'retry-after',
    ])
  })

  test('off by default: an unlimited key never reaches the limit store', async () => {
    let calls = 0
    const store: LimitStore = {
      consume: (check) => {
        calls++
        return new MemoryLimitStore().consume(check)
      },
    }
    const h = setup({ limits: { store } })
    const { key } = await h.issue()
    const guard = createApiKeyGuard(h.auth, { cost: 5 })
    for (let i = 0; i < 10; i++)
      expect(await guard(request(key))).toEqual({ ok: true, principal: expect.anything() })
    expect(calls).toBe(0)
  })

  test('the default memory store warns once that it counts per process', async () => {
    const h = setup()
    const { key } = await limitedKey(h, { rate: [perMinute] })
    const guard = createApiKeyGuard(h.auth)
    await guard(request(key))
    await guard(request(key))
    expect(h.logs.lines.filter((e) => e.message.includes('MemoryLimitStore'))).toHaveLength(1)
  })
})

describe('outage policy', () => {
  const failing = (mode: 'reject' | 'hang'): LimitStore => ({
    consume: () =>
      mode === 'reject' ? Promise.reject(new Error('connection refused')) : new Promise(() => {}),
  })

  test('rate limits fail open with one logged warning; no 500', async () => {
    const h = setup({ limits: { store: failing('reject') } })
    const { key } = await limitedKey(h, { rate: [{ name: 'm', limit: 1, windowMs: 60_000 }] })
    const guard = createApiKeyGuard(h.auth)
    for (let i = 0; i < 5; i++)
      expect(await guard(request(key))).toMatchObject({ ok: true, headers: {} })
    expect(
      h.logs.lines.filter((e) => e.level === 'warn' && e.message.includes('outage policy open')),
    ).toHaveLength(1)
  })

  test('credits fail closed: 503 AUTH_UNAVAILABLE with Retry-After, also on a timeout', async () => {
    for (const mode of ['reject', 'hang'] as const) {
      const h = setup({ storeTimeoutMs: 50, limits: { store: failing(mode) } })
      const { key } = await limitedKey(h, { rate: [perMinute], credits: { remaining: 10 } })
      const result = await createApiKeyGuard(h.auth)(request(key))
      expect(result).toMatchObject({
        ok: false,
        response: {
          status: 503,
          body: { error: { code: 'AUTH_UNAVAILABLE' } },
          headers: { 'retry-after': '5' },
        },
      })
    }
  })

  test('the policy is an option either way', async () => {
    const h = setup({
      limits: { store: failing('reject'), onStoreError: { rate: 'closed', credits: 'open' } },
    })
    const rated = await limitedKey(h, { rate: [perMinute] })
    const credited = await limitedKey(h, { credits: { remaining: 1 } })
    const guard = createApiKeyGuard(h.auth)
    expect((await guard(request(rated.key))).ok).toBe(false)
    expect((await guard(request(credited.key))).ok).toBe(true)
  })

  test('a store answering nonsense is an outage, never a grant by accident', async () => {
    const h = setup({
      limits: {
        store: { consume: () => Promise.resolve({} as never) },
        onStoreError: { rate: 'closed' },
      },
    })
    const { key } = await limitedKey(h, { rate: [perMinute] })
    const result = await createApiKeyGuard(h.auth)(request(key))
    expect(result.ok ? 200 : result.response.status).toBe(503)
  })
})

describe('the self-service routes', () => {
  test('never take limits from the request body: a user cannot choose their own plan', async () => {
    const h = setup()
    const routes = createApiKeyRoutes(h.auth, {
      session: {
        authenticate: async (r) => (r.cookies.sid === 'alice' ? { userId: 'alice' } : null),
      },
    })
    const res = await routes({
      method: 'POST',
      path: '/api/v1/api-keys',
      headers: { cookie: 'sid=alice', 'content-type': 'application/json' },
      body: {
        name: 'mine',
        limits: { rate: [{ name: 'x', limit: 1_000_000_000, windowMs: 1000 }] },
      },
    })
    expect(res?.status).toBe(201)
    registerKey((res?.body as { key: string }).key)
    const [info] = await h.auth.listKeys('alice')
    expect(info?.limits).toBeUndefined()
  })
})
