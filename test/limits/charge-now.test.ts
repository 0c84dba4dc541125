/**
 * What keeps one rate limit cheap on a cache hit (docs/benchmarks.md, "Limits cost"): with a
 * limit store that answers in this process, the guard charges in the turn of the hit (no
 * promise), the store is asked through its synchronous form, and the headers' fixed part is
 * built once per key; and whoever overrides or wraps `consume` or `chargeLimits` is still
 * called.
 */
import { fc, test as propTest } from '@fast-check/vitest'
import { describe, expect, test } from 'vitest'
import { createRequestGuard, type RequestAccessors } from '../../src/http/index.js'
import {
  applyLimitCheck,
  createApiKeyAuth,
  LeasingLimitStore,
  type LimitCheck,
  type LimitOutcome,
  type LimitStore,
  MemoryKeyStore,
  MemoryLimitStore,
} from '../../src/index.js'
import {
  CONSUME_MEMO,
  CONSUME_NOW,
  consumeNowOf,
  type MemoCheck,
} from '../../src/lib/consume-now.js'
import {
  decimal,
  limitHeaderPlan,
  limitHeaders,
  rateLimitHeader,
  sharedLimitHeaderPlan,
} from '../../src/limits/headers.js'
import { checkJson } from '../../adapters/stores/redis/redis-limit-store.js'
import { registerKey } from '../support/secret-scan.js'

// A store's synchronous form, charging each check at the check's own `cost` and `now` (the
// limiter passes them; its check's own fields are stale).
function formOf(store: LimitStore): ((check: LimitCheck) => LimitOutcome | undefined) | undefined {
  const form = consumeNowOf(store)
  return form && ((check) => form(check, check.cost, check.now))
}

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

async function guarded(
  store: LimitStore,
  change?: (auth: ReturnType<typeof createApiKeyAuth>) => void,
) {
  const auth = createApiKeyAuth({
    store: new MemoryKeyStore(),
    logger: false,
    limits: { store, defaults: { rate } },
  })
  change?.(auth)
  const { key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['models:read'] })
  registerKey(key)
  const guard = createRequestGuard(auth, { scopes: ['models:read'] }, ACCESSORS)
  const request = { headers: { authorization: `Bearer ${key}` } }
  // The first request reads the store: a promise. Later ones are cache hits.
  const first = guard(request)
  expect(first).toBeInstanceOf(Promise)
  expect((await first).ok).toBe(true)
  return { guard, request }
}

describe('charging in the turn of a cache hit', () => {
  test('on the memory store a hit is charged in this turn, with both headers, until the 429', async () => {
    const { guard, request } = await guarded(new MemoryLimitStore())
    const second = guard(request)
    expect(second).not.toBeInstanceOf(Promise)
    expect(second).toMatchObject({
      ok: true,
      headers: {
        'ratelimit-policy': '"minute";q=3;w=60',
        ratelimit: expect.stringMatching(/^"minute";r=1;t=6\d$/),
      },
    })
    expect(guard(request)).toMatchObject({
      ok: true,
      headers: { ratelimit: expect.stringMatching(/^"minute";r=0;t=6\d$/) },
    })
    const refused = guard(request)
    expect(refused).not.toBeInstanceOf(Promise)
    expect(refused).toMatchObject({
      ok: false,
      response: {
        status: 429,
        headers: {
          'retry-after': expect.stringMatching(/^\d+$/),
          ratelimit: expect.stringMatching(/^"minute";r=0;t=6\d$/),
        },
      },
    })
  })

  test('a subclass that overrides consume is called for every charge', async () => {
    const seen: LimitCheck[] = []
    class Counting extends MemoryLimitStore {
      override consume(check: LimitCheck): Promise<LimitOutcome> {
        seen.push(check)
        return super.consume(check)
      }
    }
    const store = new Counting()
    expect(formOf(store)).toBeUndefined()
    const { guard, request } = await guarded(store)
    const second = guard(request)
    expect(second).toBeInstanceOf(Promise)
    expect((await second).ok).toBe(true)
    expect(seen).toHaveLength(2)
  })

  test('a wrapper object around the memory store is called: its consume carries no synchronous form', async () => {
    const inner = new MemoryLimitStore()
    let calls = 0
    const { guard, request } = await guarded({
      consume: (check) => {
        calls++
        return inner.consume(check)
      },
    })
    expect(await guard(request)).toMatchObject({ ok: true })
    expect(calls).toBe(2)
  })

  test('a replaced auth.chargeLimits is called by the guard', async () => {
    let calls = 0
    const { guard, request } = await guarded(new MemoryLimitStore(), (auth) => {
      const original = auth.chargeLimits.bind(auth)
      ;(auth as { chargeLimits: typeof auth.chargeLimits }).chargeLimits = (principal, options) => {
        calls++
        return original(principal, options)
      }
    })
    expect(await guard(request)).toMatchObject({ ok: true })
    expect(calls).toBe(2)
  })

  test('the memory store answers consume and its synchronous form alike, from one count', async () => {
    const store = new MemoryLimitStore()
    const now = formOf(store)
    expect(now).toBeTypeOf('function')
    const check = { subject: 'key:s', rate, cost: 1, now: Date.UTC(2026, 0, 1) }
    expect(now?.(check)?.rate[0]?.remaining).toBe(2)
    expect((await store.consume(check)).rate[0]?.remaining).toBe(1)
    expect(now?.(check)?.rate[0]?.remaining).toBe(0)
    expect(now?.(check)?.allowed).toBe(false)
  })

  test('a lease held in this process answers synchronously; taking one does not', async () => {
    const store = new LeasingLimitStore(new MemoryLimitStore(), { batch: 3 })
    const limits = Object.freeze([Object.freeze({ name: 'minute', limit: 100, windowMs: 60_000 })])
    const check = (): LimitCheck => ({ subject: 'key:l', rate: limits, cost: 1, now: 1_000_000 })
    const now = formOf(store)
    expect(now?.(check())).toBeUndefined()
    expect((await store.consume(check())).allowed).toBe(true)
    expect(now?.(check())).toMatchObject({ allowed: true })
    // The last unit is spent in this turn too, and the lease, now empty, is topped up in the
    // background (a second round trip, not awaited by this request).
    expect(now?.(check())).toMatchObject({ allowed: true })
    expect(store.roundTrips).toBe(2)
    // Until the top-up lands, the next check has to wait for it (`consume`)...
    expect(now?.(check())).toBeUndefined()
    await new Promise((resolve) => setImmediate(resolve))
    // ...and then it is answered in the turn again, with no store call.
    expect(now?.(check())).toMatchObject({ allowed: true, rate: [{ remaining: 94 + 2 }] })
    expect(now?.(check())).toMatchObject({ allowed: true })
    expect(store.roundTrips).toBe(2)
  })

  test('a held lease charges in the turn with no store call: consume is never called', async () => {
    const inner = new MemoryLimitStore()
    let calls = 0
    const store = new LeasingLimitStore(
      { consume: (c: LimitCheck) => (calls++, inner.consume(c)) },
      { batch: 100 },
    )
    const limits = Object.freeze([
      Object.freeze({ name: 'minute', limit: 1_000, windowMs: 60_000 }),
    ])
    const check: LimitCheck = { subject: 'key:h', rate: limits, cost: 1, now: 5_000 }
    expect((await store.consume({ ...check })).allowed).toBe(true)
    const now = formOf(store)
    // The same check object, changed, as the limiter hands it: 70 requests of the lease's 99.
    for (let i = 0; i < 70; i++) {
      check.now = 5_000 + i
      const outcome = now?.(check)
      expect(outcome).toMatchObject({ allowed: true })
      expect(outcome).not.toBeInstanceOf(Promise)
    }
    expect(calls).toBe(1)
  })
})

describe('the check a store is handed', () => {
  test("the synchronous form gets one object per key, the limiter's plan, with cost and now passed and never written to it", async () => {
    const inner = new MemoryLimitStore()
    const form = consumeNowOf(inner)
    const seen: { check: MemoCheck; cost: number; now: number; its: [number, number] }[] = []
    const consume = (check: LimitCheck): Promise<LimitOutcome> => inner.consume(check)
    Object.defineProperty(consume, CONSUME_NOW, {
      value: (check: MemoCheck, cost: number, now: number) => {
        seen.push({ check, cost, now, its: [check.cost, check.now] })
        return form?.(check, cost, now)
      },
    })
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: false,
      limits: { store: { consume }, defaults: { rate } },
    })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['models:read'] })
    registerKey(key)
    const request = { headers: { authorization: `Bearer ${key}` } }
    const once = createRequestGuard(auth, { scopes: ['models:read'] }, ACCESSORS)
    const twice = createRequestGuard(auth, { scopes: ['models:read'], cost: 2 }, ACCESSORS)
    expect(await once(request)).toMatchObject({ ok: true })
    expect(once(request)).toMatchObject({ ok: true, headers: { ratelimit: /r=1;/ } })
    expect(twice(request)).toMatchObject({ ok: false })
    expect(seen.map((s) => s.cost)).toEqual([1, 1, 2])
    const plan = seen[0]?.check
    expect(seen.every((s) => s.check === plan)).toBe(true)
    expect(seen.every((s) => s.now >= Date.UTC(2026, 0, 1))).toBe(true)
    // The plan's own cost and now stay as built: a time is never stored on it per request.
    expect(seen.map((s) => s.its)).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
    ])
    // The store's memo and its shortcut's numbers are on that one object.
    expect(plan?.[CONSUME_MEMO]).toBeTypeOf('object')
    expect(plan?.shortcutOf).toBe(inner)
    expect(plan?.count).toBe(2)
  })

  test('a check that must go to consume is its own object, never the one reused for the next request', async () => {
    // A store with a synchronous form that cannot answer now: every check goes to `consume`,
    // which holds it until later, while the next requests of the key are charged.
    const seen: LimitCheck[] = []
    const release: (() => void)[] = []
    const inner = new MemoryLimitStore()
    const consume = (check: LimitCheck): Promise<LimitOutcome> => {
      seen.push(check)
      return new Promise((resolve) => release.push(() => resolve(inner.consume(check))))
    }
    Object.defineProperty(consume, CONSUME_NOW, { value: () => undefined })
    const store: LimitStore = { consume }
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: false,
      limits: { store, defaults: { rate } },
    })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['models:read'] })
    registerKey(key)
    const request = { headers: { authorization: `Bearer ${key}` } }
    const once = createRequestGuard(auth, { scopes: ['models:read'] }, ACCESSORS)
    const twice = createRequestGuard(auth, { scopes: ['models:read'], cost: 2 }, ACCESSORS)
    const first = once(request)
    await new Promise((resolve) => setImmediate(resolve))
    const second = twice(request)
    expect(seen.map((check) => check.cost)).toEqual([1, 2])
    expect(seen[0]).not.toBe(seen[1])
    for (const go of release) go()
    expect(await first).toMatchObject({ ok: true })
    expect(await second).toMatchObject({ ok: true })
    expect(seen.map((check) => check.cost)).toEqual([1, 2])
  })
})

describe('decimal', () => {
  propTest.prop([
    fc.oneof(
      fc.integer({ min: 0, max: 999 }),
      fc.integer({ min: 0, max: 1_000_000_010 }),
      fc.constantFrom(0, -0, 999, 1000, 999_999, 1_000_000, 999_999_999, 1_000_000_000),
      fc.double(),
      fc.integer(),
    ),
  ])('gives the text of String(n), for every number', (n) => {
    expect(decimal(n)).toBe(String(n))
  })
})

describe('headers built from a plan', () => {
  const outcome = (credits?: LimitOutcome['credits']): LimitOutcome => ({
    allowed: true,
    rate: [
      { name: 'second', limit: 10, windowMs: 1000, remaining: 9, resetMs: 1001 },
      { name: 'day', limit: 10_000, windowMs: 86_400_000, remaining: 42, resetMs: 0 },
    ],
    ...(credits === undefined ? {} : { credits }),
  })
  test.each([
    ['rate limits only', undefined, undefined],
    ['credits without refill', { remaining: 7 }, 50],
    ['credits with refill', { remaining: 7, resetMs: 2500 }, 100],
  ])('%s: the same text as limitHeaders', (_, credits, quota) => {
    const limits = outcome(credits).rate
    const plan = limitHeaderPlan(limits, quota)
    expect({
      'ratelimit-policy': plan.policy,
      ratelimit: rateLimitHeader(plan, outcome(credits)),
    }).toEqual(limitHeaders(outcome(credits), quota))
  })
  test('credits alone', () => {
    const only: LimitOutcome = { allowed: true, rate: [], credits: { remaining: 3 } }
    const plan = limitHeaderPlan([], 5)
    expect({ 'ratelimit-policy': plan.policy, ratelimit: rateLimitHeader(plan, only) }).toEqual(
      limitHeaders(only, 5),
    )
  })
})

describe("the Redis limit store's script argument", () => {
  const frozenRate = Object.freeze([Object.freeze({ name: 'minute', limit: 5, windowMs: 60_000 })])
  const frozenCredits = Object.freeze({
    remaining: 3,
    refill: Object.freeze({ amount: 3, intervalMs: 1000 }),
  })
  test.each([
    ['frozen limits', { subject: 'key:a', rate: frozenRate, cost: 2, now: 1_700_000_000_123 }],
    [
      'frozen limits and credits',
      { subject: 'key:a', rate: frozenRate, credits: frozenCredits, cost: 1, now: 5 },
    ],
    [
      'mutable limits',
      { subject: 'key:a', rate: [{ name: 'm', limit: 1, windowMs: 1000 }], cost: 1, now: 5 },
    ],
    ['credits only', { subject: 'key:a', rate: [], credits: { remaining: 0 }, cost: 1, now: 5 }],
  ])('%s: the same text as JSON.stringify', (_, check: LimitCheck) => {
    const { rate, credits, cost, now } = check
    expect(checkJson(check)).toBe(JSON.stringify({ rate, credits, cost, now }))
    expect(checkJson(check)).toBe(JSON.stringify({ rate, credits, cost, now }))
  })
  test('a mutable array changed between checks is serialised as it is now', () => {
    const rate = [{ name: 'm', limit: 1, windowMs: 1000 }]
    checkJson({ subject: 'key:a', rate, cost: 1, now: 5 })
    rate.push({ name: 'n', limit: 2, windowMs: 2000 })
    expect(checkJson({ subject: 'key:a', rate, cost: 1, now: 5 })).toContain('"n"')
  })
})

describe('what a charge reads from memory (docs/benchmarks.md, "Limits cost, sixth session")', () => {
  const limits = Object.freeze([Object.freeze({ name: 'minute', limit: 5, windowMs: 60_000 })])
  const memoCheck = (subject: string, now: number): MemoCheck => ({
    subject,
    rate: limits,
    cost: 1,
    now,
    [CONSUME_MEMO]: undefined,
  })

  test("the memory store keeps the key's entry on the limiter's check and finds it there", () => {
    const store = new MemoryLimitStore()
    const now = formOf(store)
    const check = memoCheck('key:m', 1_000)
    expect(now?.(check)?.rate[0]?.remaining).toBe(4)
    const entry = check[CONSUME_MEMO]
    expect(entry).toBeTypeOf('object')
    expect(now?.(check)?.rate[0]?.remaining).toBe(3)
    expect(check[CONSUME_MEMO]).toBe(entry)
    // The same count through `consume`, which finds the key by its subject.
    expect(now?.({ ...memoCheck('key:m', 1_000) })?.rate[0]?.remaining).toBe(2)
  })

  test('an entry that left the store (evicted, emptied) or belongs to another store is not used', async () => {
    const store = new MemoryLimitStore({ maxSubjects: 2 })
    const now = formOf(store)
    const check = memoCheck('key:a', 1_000)
    expect(now?.(check)?.rate[0]?.remaining).toBe(4)
    // The shortcut's numbers are on the check, this store's.
    expect(check.shortcutOf).toBe(store)
    // Two other keys evict key:a (least recent): its usage is forgotten, as documented, and the
    // numbers on its check are taken back with it.
    now?.(memoCheck('key:b', 1_000))
    now?.(memoCheck('key:c', 1_000))
    expect(store.size).toBe(2)
    expect(check.shortcutOf).toBeUndefined()
    expect(now?.(check)?.rate[0]?.remaining).toBe(4)
    expect(store.size).toBe(2)
    // Emptied: once its window has passed, the state is dropped; the next charge starts afresh.
    check.now = 1_000 + 10 * 60_000
    expect(now?.(check)?.rate[0]?.remaining).toBe(4)
    // Another store handed the same check object keeps its own count.
    const other = new MemoryLimitStore()
    expect(formOf(other)?.(check)?.rate[0]?.remaining).toBe(4)
    expect(now?.(check)?.rate[0]?.remaining).toBe(3)
    // `consume` never writes to the caller's check: a frozen one is charged.
    const frozen = Object.freeze({ subject: 'key:f', rate: limits, cost: 1, now: 1_000 })
    expect((await store.consume(frozen)).allowed).toBe(true)
  })

  test('with the memo a store answers exactly as without it (any order of keys, evictions, windows)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat(4),
            // Mostly within a bucket (the shortcut), sometimes across windows.
            fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 20_000 })),
          ),
          { maxLength: 200 },
        ),
        (steps) => {
          const memo = new MemoryLimitStore({ maxSubjects: 2 })
          const plain = new MemoryLimitStore({ maxSubjects: 2 })
          const memoNow = formOf(memo)
          const checks = Array.from({ length: 5 }, (_, i) => memoCheck(`key:${i}`, 0))
          let now = 0
          for (const [who, advance] of steps) {
            now += advance
            const check = checks[who] as MemoCheck
            check.now = now
            const withMemo = memoNow?.(check)
            const without = formOf(plain)?.({
              subject: check.subject,
              rate: limits,
              cost: 1,
              now,
            })
            expect(withMemo).toEqual(without)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  test('checks of one key from two limiters, throwaway checks and consume calls count as one (the numbers move between check and entry)', async () => {
    const odd = Object.freeze([Object.freeze({ name: 's', limit: 5, windowMs: 1_001 })])
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            via: fc.constantFrom('first', 'second', 'copy', 'consume'),
            who: fc.nat(1),
            advance: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constantFrom(51, 1_001, 3_000)),
            cost: fc.integer({ min: 1, max: 3 }),
            limits: fc.constantFrom(limits, limits, odd),
          }),
          { maxLength: 200 },
        ),
        async (steps) => {
          const memo = new MemoryLimitStore()
          const plain = new MemoryLimitStore()
          const form = consumeNowOf(memo)
          // Per key, the checks of two limiters sharing the store.
          const checks = [0, 1].map((who) => [
            memoCheck(`key:${who}`, 0),
            memoCheck(`key:${who}`, 0),
          ])
          let at = 50_000
          for (const step of steps) {
            at += step.advance
            const subject = `key:${step.who}`
            const check = { subject, rate: step.limits, cost: step.cost, now: at }
            const expected = formOf(plain)?.({ ...check })
            let actual: LimitOutcome | undefined
            if (step.via === 'consume') {
              actual = await memo.consume({ ...check })
            } else if (step.via === 'copy') {
              actual = formOf(memo)?.({ ...check })
            } else {
              const own = checks[step.who]?.[step.via === 'first' ? 0 : 1] as MemoCheck
              own.rate = step.limits
              actual = form?.(own, step.cost, at)
            }
            expect(actual).toEqual(expected)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  test('a lease kept on the check is not spent once it has left the store (evicted, expired, replaced)', async () => {
    const store = new LeasingLimitStore(new MemoryLimitStore(), { batch: 10, maxKeys: 1 })
    const now = formOf(store)
    const a = memoCheck('key:a', 1_000)
    const big = Object.freeze([Object.freeze({ name: 'minute', limit: 1_000, windowMs: 60_000 })])
    a.rate = big
    expect((await store.consume({ ...a })).allowed).toBe(true)
    expect(now?.(a)).toMatchObject({ allowed: true, rate: [{ remaining: 990 + 8 }] })
    expect(a[CONSUME_MEMO]).toBeTypeOf('object')
    // key:b's lease evicts key:a's (maxKeys 1): the kept lease must not be spent.
    expect(
      (await store.consume({ subject: 'key:b', rate: big, cost: 1, now: 1_000 })).allowed,
    ).toBe(true)
    expect(now?.(a)).toBeUndefined()
    // A new lease of key:a is found again (and kept) on the next check.
    expect((await store.consume({ ...a })).allowed).toBe(true)
    expect(now?.(a)).toMatchObject({ allowed: true, rate: [{ remaining: 980 + 8 }] })
    // Past its time the lease is dropped; the kept one is not spent after that.
    a.now = 1_000 + 60_000
    expect(now?.(a)).toBeUndefined()
    a.now = 1_000
    expect(now?.(a)).toBeUndefined()
    expect(store.roundTrips).toBe(3)
  })

  test('the same-bucket shortcut answers as applyLimitCheck, over random charges, limits and credits', () => {
    const one = Object.freeze([Object.freeze({ name: 's', limit: 6, windowMs: 2_000 })])
    const other = Object.freeze([Object.freeze({ name: 's', limit: 9, windowMs: 4_000 })])
    const two = Object.freeze([
      Object.freeze({ name: 's', limit: 6, windowMs: 2_000 }),
      Object.freeze({ name: 'm', limit: 20, windowMs: 60_000 }),
    ])
    // A window that is not a whole number of buckets (1,001 ms in buckets of 51): its oldest
    // bucket can leave the window while the newest is still the current one.
    const odd = Object.freeze([Object.freeze({ name: 's', limit: 6, windowMs: 1_001 })])
    const credits = Object.freeze({ remaining: 30 })
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            advance: fc.oneof(
              fc.integer({ min: 0, max: 150 }),
              fc.constantFrom(20, 51, 100, 950, 1_001, 1_900, 2_000),
            ),
            cost: fc.integer({ min: 1, max: 3 }),
            limits: fc.constantFrom(one, one, odd, odd, other, two),
            withCredits: fc.boolean(),
            viaConsume: fc.boolean(),
          }),
          { maxLength: 150 },
        ),
        (steps) => {
          const store = new MemoryLimitStore()
          const now = formOf(store)
          const check = memoCheck('key:s', 1_000_000)
          let state: Parameters<typeof applyLimitCheck>[0]
          for (const step of steps) {
            check.now += step.advance
            check.cost = step.cost
            check.rate = step.limits
            if (step.withCredits) check.credits = credits
            else delete check.credits
            const expected = applyLimitCheck(state, { ...check })
            state = expected.state
            const outcome = step.viaConsume
              ? now?.({
                  subject: check.subject,
                  rate: check.rate,
                  cost: check.cost,
                  now: check.now,
                  ...(step.withCredits ? { credits } : {}),
                })
              : now?.(check)
            expect(outcome).toEqual(expected.outcome)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  test('the shortcut leaves to the full path a charge whose oldest bucket has just left the window', () => {
    // 1,001 ms in buckets of 51 ms: bucket 1000 leaves the window at 52 052 ms, while 52 020 and
    // 52 060 are both in bucket 1020.
    const odd = Object.freeze([Object.freeze({ name: 's', limit: 6, windowMs: 1_001 })])
    const store = new MemoryLimitStore()
    const now = formOf(store)
    const check = memoCheck('key:o', 51_000)
    check.rate = odd
    let state: Parameters<typeof applyLimitCheck>[0]
    for (const at of [51_000, 52_020, 52_060]) {
      check.now = at
      const expected = applyLimitCheck(state, { ...check })
      state = expected.state
      expect(now?.(check)).toEqual(expected.outcome)
    }
    expect(applyLimitCheck(state, { ...check }).outcome.rate[0]?.remaining).toBe(3)
  })

  test('keys with the same limits share one header plan (its strings stay in the caches)', () => {
    const a = sharedLimitHeaderPlan([{ name: 'minute', limit: 5, windowMs: 60_000 }], undefined)
    const b = sharedLimitHeaderPlan([{ name: 'minute', limit: 5, windowMs: 60_000 }], undefined)
    expect(b).toBe(a)
    expect(Object.isFrozen(a) && Object.isFrozen(a.heads)).toBe(true)
    expect(a).toEqual(limitHeaderPlan([{ name: 'minute', limit: 5, windowMs: 60_000 }], undefined))
    expect(sharedLimitHeaderPlan([{ name: 'minute', limit: 5, windowMs: 60_000 }], 10)).not.toBe(a)
    expect(
      sharedLimitHeaderPlan([{ name: 'minute', limit: 6, windowMs: 60_000 }], undefined),
    ).not.toBe(a)
  })
})
