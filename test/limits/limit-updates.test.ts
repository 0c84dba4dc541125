/**
 * Changing a key's usage limits: `auth.updateKey({ limits })` on the server sets anything
 * (validated as at creation), `null` falls back to the instance defaults; the session route
 * `PATCH /api/v1/api-keys/:id` only narrows. The change reaches the guard at once on this
 * instance and, through the store's invalidation, on every instance sharing the store.
 */
import { describe, expect, test } from 'vitest'
import { createApiKeyGuard, createApiKeyRoutes } from '../../src/http/index.js'
import {
  type ApiKeyAuth,
  AuthError,
  createApiKeyAuth,
  type KeyLimits,
  MemoryKeyStore,
  MemoryLimitStore,
} from '../../src/index.js'
import { createClock } from '../support/clock.js'
import { registerKey } from '../support/secret-scan.js'
import { type HarnessOptions, setup as baseSetup } from '../support/setup.js'

// A key store with the lifecycle methods (update, roll).
const setup = (options: HarnessOptions = {}) => baseSetup({ spy: { lifecycle: true }, ...options })

const MINUTE = 60_000
const perMinute = (limit: number, name = 'minute') => ({ name, limit, windowMs: MINUTE })

async function limitedKey(auth: ApiKeyAuth, limits: KeyLimits | undefined, userId = 'alice') {
  const created = await auth.createKey({
    userId,
    name: 'k',
    scopes: ['models:read'],
    ...(limits === undefined ? {} : { limits }),
  })
  registerKey(created.key)
  return created
}

const statusOf = async (auth: ApiKeyAuth, key: string) => {
  const result = await createApiKeyGuard(auth)({ headers: { authorization: `Bearer ${key}` } })
  return result.ok ? 200 : result.response.status
}

describe('auth.updateKey({ limits }) on the server', () => {
  test('raises a limit: the next request is admitted under the new one', async () => {
    const h = setup()
    const { key, id } = await limitedKey(h.auth, { rate: [perMinute(1)] })
    expect([await statusOf(h.auth, key), await statusOf(h.auth, key)]).toEqual([200, 429])
    const info = await h.auth.updateKey({
      userId: 'alice',
      keyId: id,
      limits: { rate: [perMinute(3)] },
    })
    expect(info.limits).toEqual({ rate: [perMinute(3)] })
    // Same name and window: the usage so far still counts (1 of 3).
    expect([await statusOf(h.auth, key), await statusOf(h.auth, key)]).toEqual([200, 200])
    expect(await statusOf(h.auth, key)).toBe(429)
  })

  test("null removes the key's own limits: the instance defaults apply again", async () => {
    const h = setup({ limits: { defaults: { rate: [perMinute(1, 'default')] } } })
    const { key, id } = await limitedKey(h.auth, { rate: [] })
    expect([await statusOf(h.auth, key), await statusOf(h.auth, key)]).toEqual([200, 200])
    const info = await h.auth.updateKey({ userId: 'alice', keyId: id, limits: null })
    expect(info.limits).toBeUndefined()
    expect([await statusOf(h.auth, key), await statusOf(h.auth, key)]).toEqual([200, 429])
  })

  test('limits are validated as at creation: 400 VALIDATION_ERROR naming the field', async () => {
    const h = setup()
    const { id } = await limitedKey(h.auth, undefined)
    for (const [limits, path] of [
      [{ rate: [{ name: 'm', limit: 0, windowMs: MINUTE }] }, ['limits', 'rate', 0, 'limit']],
      [{ rate: [{ name: 'm', limit: 1, windowMs: 10 }] }, ['limits', 'rate', 0, 'windowMs']],
      [{ credits: { remaining: -1 } }, ['limits', 'credits', 'remaining']],
      [{ rate: [perMinute(1), perMinute(2)] }, ['limits', 'rate']],
      ['lots', ['limits']],
    ] as const) {
      const error = await h.auth
        .updateKey({ userId: 'alice', keyId: id, limits: limits as never })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AuthError)
      expect((error as AuthError).code).toBe('VALIDATION_ERROR')
      expect((error as AuthError).issues?.map((i) => i.path)).toContainEqual(path)
    }
  })

  test('key.updated names limits among the changes, never their values', async () => {
    const h = setup()
    const { id } = await limitedKey(h.auth, undefined)
    const events: unknown[] = []
    h.auth.on('key.updated', (event) => void events.push(event))
    await h.auth.updateKey({ userId: 'alice', keyId: id, limits: { rate: [perMinute(7)] } })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(events).toMatchObject([{ keyId: id, changes: ['limits'] }])
    expect(JSON.stringify(events)).not.toContain('"limit":7')
  })

  test('roll copies the updated limits to the new key', async () => {
    const h = setup()
    const { id } = await limitedKey(h.auth, { rate: [perMinute(2)] })
    await h.auth.updateKey({ userId: 'alice', keyId: id, limits: { rate: [perMinute(9)] } })
    const rolled = await h.auth.rollKey({ userId: 'alice', keyId: id })
    registerKey(rolled.key)
    expect(rolled.apiKey.limits).toEqual({ rate: [perMinute(9)] })
    expect((await h.auth.verifyKey(rolled.key)).limits).toEqual({ rate: [perMinute(9)] })
  })
})

describe('limitsNarrowOnly (what the session route sets)', () => {
  const narrow = async (
    current: KeyLimits | undefined,
    next: KeyLimits | null,
    defaults?: KeyLimits,
  ) => {
    const h = setup(defaults === undefined ? {} : { limits: { defaults } })
    const { id } = await limitedKey(h.auth, current)
    return h.auth
      .updateKey({ userId: 'alice', keyId: id, limits: next, limitsNarrowOnly: true })
      .then(
        () => 'ok',
        (e: unknown) =>
          `${(e as AuthError).code} ${JSON.stringify((e as AuthError).issues?.map((i) => i.path))}`,
      )
  }
  const credits = { remaining: 10, refill: { amount: 10, intervalMs: 86_400_000 } }

  test.each([
    ['a lower limit', { rate: [perMinute(5)] }, { rate: [perMinute(4)] }, undefined, 'ok'],
    [
      'the same limits',
      { rate: [perMinute(5)], credits },
      { rate: [perMinute(5)], credits },
      undefined,
      'ok',
    ],
    [
      'one more window',
      { rate: [perMinute(5)] },
      { rate: [perMinute(5), perMinute(50, 'hour')] },
      undefined,
      'ok',
    ],
    [
      'credits on a key without any',
      { rate: [perMinute(5)] },
      { rate: [perMinute(5)], credits },
      undefined,
      'ok',
    ],
    ['limits on an unlimited key', undefined, { rate: [perMinute(5)] }, undefined, 'ok'],
    [
      'a higher limit',
      { rate: [perMinute(5)] },
      { rate: [perMinute(6)] },
      undefined,
      'VALIDATION_ERROR [["limits","rate"]]',
    ],
    [
      'the same name on another window',
      { rate: [perMinute(5)] },
      { rate: [{ name: 'minute', limit: 5, windowMs: 1_000 }] },
      undefined,
      'VALIDATION_ERROR [["limits","rate"]]',
    ],
    [
      'a window dropped',
      { rate: [perMinute(5), perMinute(50, 'hour')] },
      { rate: [perMinute(5)] },
      undefined,
      'VALIDATION_ERROR [["limits","rate"]]',
    ],
    [
      'credits changed (a new balance)',
      { credits },
      { credits: { ...credits, remaining: 9 } },
      undefined,
      'VALIDATION_ERROR [["limits","credits"]]',
    ],
    ['credits dropped', { credits }, {}, undefined, 'VALIDATION_ERROR [["limits","credits"]]'],
    [
      'opting out of the defaults',
      undefined,
      { rate: [] },
      { rate: [perMinute(5)] },
      'VALIDATION_ERROR [["limits","rate"]]',
    ],
    [
      'null over stricter own limits',
      { rate: [perMinute(1)] },
      null,
      { rate: [perMinute(5)] },
      'VALIDATION_ERROR [["limits","rate"]]',
    ],
    ['null over the same defaults', { rate: [perMinute(5)] }, null, { rate: [perMinute(5)] }, 'ok'],
  ] as const)('%s: %s', async (_name, current, next, defaults, expected) => {
    expect(
      await narrow(
        current as KeyLimits | undefined,
        next as KeyLimits | null,
        defaults as KeyLimits | undefined,
      ),
    ).toBe(expected)
  })
})

describe('PATCH /api/v1/api-keys/:id with limits', () => {
  const routesOf = (auth: ApiKeyAuth) =>
    createApiKeyRoutes(auth, {
      session: {
        authenticate: async (r) => (r.cookies.sid === 'alice' ? { userId: 'alice' } : null),
      },
    })
  const patch = (id: string, body: unknown) => ({
    method: 'PATCH',
    path: `/api/v1/api-keys/${id}`,
    headers: { cookie: 'sid=alice', 'content-type': 'application/json' },
    body,
  })

  test('a key owner may lower their limits, never raise them', async () => {
    const h = setup()
    const { key, id } = await limitedKey(h.auth, { rate: [perMinute(5)] })
    const routes = routesOf(h.auth)
    const raised = await routes(patch(id, { limits: { rate: [perMinute(1_000_000)] } }))
    expect(raised?.status).toBe(400)
    expect(raised?.body).toMatchObject({ error: { code: 'VALIDATION_ERROR' } })
    expect((await h.auth.listKeys('alice'))[0]?.limits).toEqual({ rate: [perMinute(5)] })
    const removed = await routes(patch(id, { limits: null }))
    expect(removed?.status).toBe(400)
    const lowered = await routes(patch(id, { limits: { rate: [perMinute(1)] } }))
    expect(lowered?.status).toBe(200)
    expect([await statusOf(h.auth, key), await statusOf(h.auth, key)]).toEqual([200, 429])
  })

  test('a body cannot switch the narrowing off', async () => {
    const h = setup()
    const { id } = await limitedKey(h.auth, { rate: [perMinute(5)] })
    const res = await routesOf(h.auth)(
      patch(id, { limits: { rate: [perMinute(6)] }, limitsNarrowOnly: false }),
    )
    expect(res?.status).toBe(400)
    expect((await h.auth.listKeys('alice'))[0]?.limits).toEqual({ rate: [perMinute(5)] })
  })
})

describe('fleet', () => {
  test('a change made on one instance applies on another sharing the stores, at once', async () => {
    const keys = new MemoryKeyStore()
    const limits = new MemoryLimitStore()
    const clock = createClock()
    const make = () => createApiKeyAuth({ store: keys, now: clock.now, limits: { store: limits } })
    const [a, b] = [make(), make()]
    const { key, id } = await limitedKey(a, { rate: [perMinute(100)] })
    // B has the key cached with 100 per minute.
    expect(await statusOf(b, key)).toBe(200)
    await a.updateKey({ userId: 'alice', keyId: id, limits: { rate: [perMinute(2)] } })
    // B was told by the store's invalidation; its next request reads the new limits.
    expect([await statusOf(b, key), await statusOf(b, key)]).toEqual([200, 429])
  })
})

describe('a narrow-only change racing a change of the limits (atomic against the store)', () => {
  // The owner's narrow-only PATCH is checked against the limits it read; a server-side
  // downgrade lands between that read and the owner's write. The write must not apply (it would
  // undo the downgrade): the store's compare-and-set refuses it, the core re-reads and checks
  // the owner's limits against the downgraded ones, which they would widen: 400.
  const racing = (store: MemoryKeyStore, downgrade: KeyLimits) => {
    let raced = false
    const update = store.update.bind(store)
    store.update = async (keyId, userId, patch, expected) => {
      if (!raced && expected.limits !== undefined) {
        raced = true
        const { scopes, expiresAt } = expected
        await update(keyId, userId, { limits: downgrade }, { scopes, expiresAt })
      }
      return update(keyId, userId, patch, expected)
    }
    return () => raced
  }

  test('a downgrade between the check and the write is kept; the owner gets 400', async () => {
    const store = new MemoryKeyStore()
    // Wrapped before the service is built: it takes the store's methods then.
    const raced = racing(store, { rate: [perMinute(100)] })
    const auth = createApiKeyAuth({ store, logger: false })
    const { id } = await limitedKey(auth, { rate: [perMinute(1000)] })
    const owner = auth.updateKey({
      userId: 'alice',
      keyId: id,
      limits: { rate: [perMinute(900)] },
      limitsNarrowOnly: true,
    })
    await expect(owner).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      issues: [expect.objectContaining({ path: ['limits', 'rate'] })],
    })
    expect(raced()).toBe(true)
    const [info] = await auth.listKeys('alice')
    expect(info?.limits).toEqual({ rate: [perMinute(100)] })
  })

  test("a concurrent change the owner's limits still narrow: retried and applied", async () => {
    const store = new MemoryKeyStore()
    // Wrapped before the service is built: it takes the store's methods then.
    const raced = racing(store, { rate: [perMinute(950)] })
    const auth = createApiKeyAuth({ store, logger: false })
    const { id } = await limitedKey(auth, { rate: [perMinute(1000)] })
    await auth.updateKey({
      userId: 'alice',
      keyId: id,
      limits: { rate: [perMinute(900)] },
      limitsNarrowOnly: true,
    })
    expect(raced()).toBe(true)
    expect((await auth.listKeys('alice'))[0]?.limits).toEqual({ rate: [perMinute(900)] })
  })

  test('the server (not narrow-only) sets its limits without comparing them', async () => {
    const store = new MemoryKeyStore()
    const seen: unknown[] = []
    const update = store.update.bind(store)
    store.update = (keyId, userId, patch, expected) => {
      seen.push(expected.limits)
      return update(keyId, userId, patch, expected)
    }
    const auth = createApiKeyAuth({ store, logger: false })
    const { id } = await limitedKey(auth, { rate: [perMinute(5)] })
    await auth.updateKey({ userId: 'alice', keyId: id, limits: { rate: [perMinute(50)] } })
    expect(seen).toEqual([undefined])
  })
})
