/**
 * A cached key's charge plan is its verification cache entry (src/service/charge-plan.ts): a
 * charge reads the entry its verification has just read, not one more per-key object
 * (docs/benchmarks.md, "Issue 12: the memory limit against a hand-written limit"). Pinned here:
 * the entry carries the plan's slots, empty, from its load; the limiter builds into it and hands
 * it to the store's synchronous form; any other principal gets a plan of its own.
 */
import { describe, expect, test } from 'vitest'
import { createRequestGuard, type RequestAccessors } from '../../src/http/index.js'
import {
  type ApiKeyAuth,
  createApiKeyAuth,
  type LimitCheck,
  type LimitOutcome,
  type LimitStore,
  MemoryKeyStore,
  MemoryLimitStore,
} from '../../src/index.js'
import { CONSUME_MEMO, CONSUME_NOW, consumeNowOf } from '../../src/lib/consume-now.js'
import { NO_HEADER, NO_RATE } from '../../src/service/charge-plan.js'
import { type CachedKey, VerificationCache } from '../../src/service/verification-cache.js'
import { registerKey } from '../support/secret-scan.js'

interface FakeRequest {
  headers: Record<string, string>
}
const ACCESSORS: RequestAccessors<FakeRequest> = {
  headers: (r) => r.headers,
  rawHeaders: () => undefined,
  method: () => 'GET',
  path: () => '/x',
  socketAddress: () => '127.0.0.1',
}
const rate = [{ name: 'minute', limit: 3, windowMs: 60_000 }]

// A memory limit store whose synchronous form records the check it is handed.
function recordingStore(): { store: LimitStore; checks: LimitCheck[] } {
  const inner = new MemoryLimitStore()
  const form = consumeNowOf(inner)
  const checks: LimitCheck[] = []
  const consume = (check: LimitCheck): Promise<LimitOutcome> => inner.consume(check)
  Object.defineProperty(consume, CONSUME_NOW, {
    value: (check: LimitCheck, cost: number, now: number) => {
      checks.push(check)
      return form?.(check, cost, now)
    },
  })
  return { store: { consume }, checks }
}

async function limitedKey(auth: ApiKeyAuth) {
  const { key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['models:read'] })
  registerKey(key)
  return { headers: { authorization: `Bearer ${key}` } }
}

describe("a cached key's charge plan", () => {
  test('is its cache entry: built on the first charge, then handed to the store on every charge', async () => {
    const { store, checks } = recordingStore()
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: false,
      limits: { store, defaults: { rate } },
    })
    const request = await limitedKey(auth)
    const guard = createRequestGuard(auth, { scopes: ['models:read'] }, ACCESSORS)
    const first = await guard(request)
    const second = guard(request)
    expect(second).toMatchObject({ ok: true, headers: { ratelimit: /r=1;/ } })
    const principal = first.ok ? first.principal : undefined
    expect(checks).toHaveLength(2)
    const entry = checks[0] as unknown as CachedKey
    expect(checks[1]).toBe(entry)
    // The verification cache's entry of this principal, with the plan built into it.
    expect(entry.principal).toBe(principal)
    expect(entry.refusal).toBeNull()
    expect(entry.subject).toBe(`key:${principal?.keyId}`)
    expect(entry.rate).toBe(auth.options.limits.defaults?.rate)
    expect(entry.header.policy).toBe('"minute";q=3;w=60')
    expect(entry.chargedBy).toBeDefined()
    // Cost and now are passed, never written to it.
    expect([entry.cost, entry.now]).toEqual([1, 0])
    await auth.close()
  })

  test("a principal of another instance is charged on a plan of that instance's own", async () => {
    const keys = new MemoryKeyStore()
    const a = recordingStore()
    const b = recordingStore()
    const authA = createApiKeyAuth({
      store: keys,
      logger: false,
      limits: { store: a.store, defaults: { rate } },
    })
    const authB = createApiKeyAuth({
      store: keys,
      logger: false,
      limits: { store: b.store, defaults: { rate } },
    })
    const request = await limitedKey(authA)
    const principal = await authA.authenticate(request.headers.authorization)
    // B charges A's principal first: on a plan of B's, not on A's entry.
    await authB.chargeLimits(principal)
    await authB.chargeLimits(principal)
    expect(b.checks[0]).toBe(b.checks[1])
    expect((b.checks[0] as unknown as Partial<CachedKey>).principal).toBeUndefined()
    // A's own charges still use A's entry, and count apart from B's.
    const guard = createRequestGuard(authA, { scopes: ['models:read'] }, ACCESSORS)
    expect(guard(request)).toMatchObject({ ok: true, headers: { ratelimit: /r=2;/ } })
    expect((a.checks[0] as unknown as CachedKey).principal).toBe(principal)
    await expect(authB.chargeLimits(principal)).resolves.toMatchObject({ ratelimit: /r=0;/ })
    await authA.close()
    await authB.close()
  })

  test('without a verification cache each verification builds a new entry, and charges still count', async () => {
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: false,
      cache: false,
      limits: { store: new MemoryLimitStore(), defaults: { rate } },
    })
    const request = await limitedKey(auth)
    const guard = createRequestGuard(auth, { scopes: ['models:read'] }, ACCESSORS)
    const answers = []
    for (let i = 0; i < 4; i++) answers.push(await guard(request))
    expect(answers.map((answer) => answer.ok)).toEqual([true, true, true, false])
    await auth.close()
  })

  test('an entry holds every slot of a plan from its load, empty, after what a hit reads', async () => {
    const record = {
      id: 'id-1',
      userId: 'u1',
      name: 'k',
      keyPrefix: 'vydra_live_user_abc',
      scopes: ['models:read'],
      createdAt: new Date(0),
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      hash: 'd1',
    }
    const cache = new VerificationCache(
      { ttlMs: 30_000, maxEntries: 10, negativeTtlMs: 5_000, negativeMaxEntries: 10 },
      () => Promise.resolve(record as never),
    )
    const entry = (await cache.load('d1', 'k', 0)) as CachedKey
    // In the object literal itself, in this order (slots added later would sit in a backing
    // store of their own: one more object to read).
    expect(Reflect.ownKeys(entry)).toEqual([
      'principal',
      'refusal',
      'expiresAtMs',
      'startsGrace',
      'touchedAt',
      'keyPrefix',
      'lruExpiresAt',
      'lruStamp',
      'chargedBy',
      'rate',
      'credits',
      'shortcutOf',
      'shortcutRate',
      'bucket',
      'count',
      'oldest',
      'pending',
      'stamp',
      'header',
      'subject',
      'quota',
      'cost',
      'now',
      CONSUME_MEMO,
    ])
    expect(entry).toMatchObject({
      chargedBy: undefined,
      rate: NO_RATE,
      credits: undefined,
      shortcutOf: undefined,
      shortcutRate: undefined,
      bucket: 0,
      count: 0,
      oldest: 0,
      pending: 0,
      stamp: 0,
      header: NO_HEADER,
      subject: '',
      quota: undefined,
      cost: 1,
      now: 0,
    })
    expect(entry[CONSUME_MEMO]).toBeUndefined()
    // Found from its principal; a principal this cache did not build has none.
    expect(cache.entryOf(entry.principal)).toBe(entry)
    expect(cache.entryOf({ ...entry.principal })).toBeUndefined()
  })
})
