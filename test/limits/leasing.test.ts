/**
 * Local leasing (`LeasingLimitStore`): the documented overshoot bound (in any window, at most
 * limit + instances × batch admitted) against an oracle that keeps every admission, round trips
 * amortised below one per admitted request, one lease per key per instance under concurrency,
 * credits never leased, bad options refused.
 */
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createApiKeyGuard } from '../../src/http/index.js'
import {
  createApiKeyAuth,
  LeasingLimitStore,
  type LimitCheck,
  type LimitStore,
  MemoryKeyStore,
  MemoryLimitStore,
} from '../../src/index.js'
import { consumeNowOf } from '../../src/lib/consume-now.js'
import { registerKey } from '../support/secret-scan.js'

const rate = (limit: number, windowMs: number) => [{ name: 'w', limit, windowMs }]

function counting(inner: LimitStore = new MemoryLimitStore()) {
  let calls = 0
  return {
    store: { consume: (c: LimitCheck) => (calls++, inner.consume(c)) } satisfies LimitStore,
    get calls() {
      return calls
    },
  }
}

// The most admissions in any closed window of `windowMs` (the oracle keeps them all).
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  let start = 0
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) > windowMs) start++
    most = Math.max(most, end - start + 1)
  }
  return most
}

describe('LeasingLimitStore', () => {
  test('never admits more than limit + instances × batch in any window (any interleaving)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 5, max: 40 }),
        fc.array(
          fc.tuple(fc.nat(4), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 3 })),
          {
            minLength: 50,
            maxLength: 400,
          },
        ),
        async (instances, batch, limit, steps) => {
          const windowMs = 2_000
          const shared = new MemoryLimitStore()
          const fleet = Array.from(
            { length: instances },
            () => new LeasingLimitStore(shared, { batch, maxLeaseMs: 10_000 }),
          )
          let now = 0
          const admitted: number[] = []
          for (const [who, advance, cost] of steps) {
            now += advance
            const store = fleet[who % instances] as LeasingLimitStore
            const outcome = await store.consume({
              subject: 'key:hot',
              rate: rate(limit, windowMs),
              cost,
              now,
            })
            if (outcome.allowed) for (let i = 0; i < cost; i++) admitted.push(now)
          }
          expect(busiestWindow(admitted, windowMs)).toBeLessThanOrEqual(limit + instances * batch)
        },
      ),
      { numRuns: 150 },
    )
  })

  test('the bound is reached: units leased before a window are spent inside it', async () => {
    const shared = new MemoryLimitStore()
    const [a, b] = [0, 1].map(
      () => new LeasingLimitStore(shared, { batch: 10, maxLeaseMs: 60_000 }),
    )
    const check = (now: number): LimitCheck => ({
      subject: 'key:k',
      rate: rate(20, 10_000),
      cost: 1,
      now,
    })
    const times: number[] = []
    const run = async (now: number, tries: number): Promise<number> => {
      let admitted = 0
      for (let i = 0; i < tries; i++) {
        const store = (i % 2 === 0 ? a : b) as LeasingLimitStore
        if ((await store.consume(check(now))).allowed) {
          admitted++
          times.push(now)
        }
      }
      return admitted
    }
    // t=0: each instance leases 10 (the whole limit, charged now) and spends one.
    expect(await run(0, 2)).toBe(2)
    // t=9.9 s: the leases (valid for the 10 s window) are spent: 18 admitted, no round trip.
    expect(await run(9_900, 40)).toBe(18)
    // t=10.6 s: the store has let the t=0 charges leave its window and admits 20 afresh.
    expect(await run(10_600, 40)).toBe(20)
    // In the window [9.9 s, 19.9 s]: 38 admitted, within limit + instances × batch = 40.
    expect(busiestWindow(times, 10_000)).toBe(38)
  })

  test('round trips are amortised: about one per batch', async () => {
    const inner = counting()
    const store = new LeasingLimitStore(inner.store, { batch: 10 })
    let admitted = 0
    for (let i = 0; i < 1_000; i++) {
      const outcome = await store.consume({
        subject: 'key:k',
        rate: rate(100_000, 60_000),
        cost: 1,
        now: 1_000,
      })
      if (outcome.allowed) admitted++
    }
    expect(admitted).toBe(1_000)
    // One take, then a top-up each time the lease is down to a quarter of the batch (2 left):
    // every 8 admitted, the last one right after the 1,000th.
    expect(inner.calls).toBe(1 + 1_000 / 8)
    expect(store.roundTrips / admitted).toBeLessThan(1)
  })

  test('near the limit a batch falls back to the exact cost: nothing is lost while it fits', async () => {
    const store = new LeasingLimitStore(new MemoryLimitStore(), { batch: 4 })
    let admitted = 0
    for (let i = 0; i < 20; i++) {
      const outcome = await store.consume({
        subject: 'key:k',
        rate: rate(6, 60_000),
        cost: 1,
        now: 0,
      })
      if (outcome.allowed) admitted++
    }
    expect(admitted).toBe(6)
  })

  test('concurrent checks of one key on one instance share one take', async () => {
    const inner = counting()
    const store = new LeasingLimitStore(inner.store, { batch: 50 })
    // 30 checks: the lease (49 left after the first) never runs low enough to be topped up.
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        store.consume({ subject: 'key:k', rate: rate(1_000, 60_000), cost: 1, now: 0 }),
      ),
    )
    expect(results.every((r) => r.allowed)).toBe(true)
    expect(inner.calls).toBe(1)
  })

  test('a lease in its last quarter of time is topped up ahead: requests never wait for the take', async () => {
    const inner = counting()
    const store = new LeasingLimitStore(inner.store, { batch: 100, maxLeaseMs: 1_000 })
    const limits = rate(1_000_000, 60_000)
    const check = (now: number): LimitCheck => ({ subject: 'key:t', rate: limits, cost: 1, now })
    expect((await store.consume(check(0))).allowed).toBe(true)
    // 20 requests a second for 10 s: the lease never runs low, but its time does.
    let waited = 0
    for (let now = 50; now <= 10_000; now += 50) {
      const answer = consumeNowOf(store)?.(check(now), 1, now)
      if (answer === undefined) {
        waited++
        expect((await store.consume(check(now))).allowed).toBe(true)
      } else {
        expect(answer.allowed).toBe(true)
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(waited).toBe(0)
    // One take, then one top-up per 750 ms (the first request in the lease's last 250 ms).
    expect(inner.calls).toBe(1 + Math.floor(10_000 / 750))
  })

  test('a top-up takes only what was spent: the instance never holds more than one batch', async () => {
    const shared = new MemoryLimitStore()
    const store = new LeasingLimitStore(shared, { batch: 8 })
    const check = (): LimitCheck => ({
      subject: 'key:b',
      rate: rate(1_000, 60_000),
      cost: 1,
      now: 0,
    })
    let admitted = 0
    for (let i = 0; i < 100; i++) {
      if ((await store.consume(check())).allowed) admitted++
      await new Promise((resolve) => setImmediate(resolve))
      // What the store has charged minus what was admitted is what this instance holds.
      const charged =
        1_000 - ((await shared.consume({ ...check(), cost: 1_000_000 })).rate[0]?.remaining ?? 0)
      expect(charged - admitted).toBeLessThanOrEqual(8)
    }
    expect(admitted).toBe(100)
  })

  test('a refused top-up is not asked again: near the limit a lease costs no round trip per request', async () => {
    const inner = counting()
    const store = new LeasingLimitStore(inner.store, { batch: 8 })
    const check = (): LimitCheck => ({ subject: 'key:r', rate: rate(10, 60_000), cost: 1, now: 0 })
    let admitted = 0
    for (let i = 0; i < 20; i++) {
      if ((await store.consume(check())).allowed) admitted++
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(admitted).toBe(10)
    // Take 8; top-up of 6 at 2 left, refused (2 left in the store); the lease spent; then per
    // request a take of 8 (refused) and the exact cost (admitted twice, refused after).
    expect(inner.calls).toBeLessThanOrEqual(2 + 2 * 12)
    const before = inner.calls
    const fresh = new LeasingLimitStore(inner.store, { batch: 8 })
    const other = (): LimitCheck => ({ subject: 'key:r2', rate: rate(10, 60_000), cost: 1, now: 0 })
    for (let i = 0; i < 8; i++) await fresh.consume(other())
    // 8 admitted from one take and one (refused) top-up: no round trip per request.
    expect(inner.calls - before).toBe(2)
  })

  test('a failed top-up leaves the lease to be spent; the take after it reports the failure', async () => {
    const inner = new MemoryLimitStore()
    let failing = false
    const store = new LeasingLimitStore(
      {
        consume: (c: LimitCheck) =>
          failing ? Promise.reject(new Error('store down')) : inner.consume(c),
      },
      { batch: 4 },
    )
    const check = (): LimitCheck => ({ subject: 'key:f', rate: rate(100, 60_000), cost: 1, now: 0 })
    expect((await store.consume(check())).allowed).toBe(true)
    failing = true
    // 3 left: the lease is spent (a top-up, tried at 1 left, fails in the background)...
    for (let i = 0; i < 3; i++) expect((await store.consume(check())).allowed).toBe(true)
    await new Promise((resolve) => setImmediate(resolve))
    // ...and the next request's take meets the failure (the service's outage policy answers).
    await expect(store.consume(check())).rejects.toThrow('store down')
  })

  test('credits are never leased: a balance is spent exactly', async () => {
    const inner = counting()
    const store = new LeasingLimitStore(inner.store, { batch: 10 })
    let admitted = 0
    for (let i = 0; i < 30; i++) {
      const outcome = await store.consume({
        subject: 'key:c',
        rate: [],
        credits: { remaining: 25 },
        cost: 1,
        now: 0,
      })
      if (outcome.allowed) admitted++
    }
    expect(admitted).toBe(25)
    expect(inner.calls).toBe(30)
  })

  test('bad options are CONFIGURATION_ERROR', () => {
    for (const options of [
      { batch: 1 },
      { batch: 1001 },
      { batch: 2.5 },
      { batch: 10, maxLeaseMs: 0 },
      {},
    ]) {
      expect(() => new LeasingLimitStore(new MemoryLimitStore(), options as never)).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
    expect(() => new LeasingLimitStore({} as never, { batch: 10 })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
  })

  test('through the service: the guard admits with RateLimit headers counting the lease', async () => {
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      limits: { store: new LeasingLimitStore(new MemoryLimitStore(), { batch: 5 }) },
    })
    const { key } = await auth.createKey({
      userId: 'u1',
      name: 'k',
      limits: { rate: rate(3, 60_000) },
    })
    registerKey(key)
    const guard = createApiKeyGuard(auth)
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const r = await guard({ headers: { authorization: `Bearer ${key}` } })
      statuses.push(r.ok ? 200 : r.response.status)
    }
    // The batch is capped at the key's limit (3): exact here.
    expect(statuses).toEqual([200, 200, 200, 429])
  })
})
