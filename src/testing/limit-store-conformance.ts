/**
 * The conformance suite of the {@link LimitStore} port: every store must give the answers of the
 * reference algorithm (`applyLimitCheck`), charge atomically under concurrency, and charge
 * nothing for a refusal. A store whose `consume` carries a synchronous form (the built-in
 * in-process ones: src/lib/consume-now.ts) is held to the same answers through that form too.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { consumeNowOf } from '../lib/consume-now.js'
import type { LimitStore } from '../limit-store.js'
import { applyCheck, type LimitState } from '../limits/sliding-window.js'
import type { LimitCheck, LimitOutcome } from '../limits/types.js'

/** Options of {@link limitStoreConformance}. */
export interface LimitStoreConformanceOptions<S extends LimitStore> {
  /** Called after each test with the store it used (close connections, drop tables…). */
  cleanup?: (store: S) => Promise<void> | void
  /** Concurrent checks in the atomicity tests. @defaultValue `50` */
  concurrency?: number
}

const T0 = Date.UTC(2026, 0, 1)
const DAY = 86_400_000

// A deterministic generator (a linear congruential one): the same sequence on every backend.
function sequence(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    return state / 2 ** 32
  }
}

// The checks of one scripted run: bursts, window edges, long pauses, costs, credits with refill.
function scriptedChecks(
  subject: string,
  seed: number,
  count: number,
  frozen = false,
): LimitCheck[] {
  const next = sequence(seed)
  const rate = [
    { name: 'second', limit: 5, windowMs: 1_000 },
    { name: 'minute', limit: 40, windowMs: 60_000 },
  ]
  const credits = { remaining: 10, refill: { amount: 8, intervalMs: 45_000 } }
  if (frozen) {
    for (const limit of rate) Object.freeze(limit)
    Object.freeze(rate)
    Object.freeze(credits.refill)
    Object.freeze(credits)
  }
  const firstOnly = Object.freeze([rate[0] as (typeof rate)[0]])
  const checks: LimitCheck[] = []
  let now = T0 + 123
  for (let i = 0; i < count; i++) {
    const r = next()
    now += r < 0.4 ? 0 : r < 0.8 ? Math.floor(next() * 400) : Math.floor(next() * 70_000)
    const cost = 1 + Math.floor(next() * 4)
    const kind = next()
    if (kind < 0.4) checks.push({ subject, rate, cost, now })
    else if (kind < 0.7) checks.push({ subject, rate, credits, cost, now })
    else if (kind < 0.85) checks.push({ subject, rate: [], credits, cost, now })
    else
      checks.push({ subject, rate: frozen ? firstOnly : [rate[0] as (typeof rate)[0]], cost, now })
  }
  return checks
}

/**
 * Registers the `LimitStore` conformance tests with vitest. Each test gets a fresh store from
 * `makeStore`. Call it at the top level of a vitest file.
 *
 * @example
 * ```ts
 * limitStoreConformance('RedisLimitStore', () => new RedisLimitStore(redis, { prefix: unique() }))
 * ```
 */
export function limitStoreConformance<S extends LimitStore>(
  name: string,
  makeStore: () => S | Promise<S>,
  options: LimitStoreConformanceOptions<S> = {},
): void {
  const concurrency = options.concurrency ?? 50
  const withStore = (fn: (store: S) => Promise<void>) => async (): Promise<void> => {
    const store = await makeStore()
    try {
      await fn(store)
    } finally {
      await options.cleanup?.(store)
    }
  }
  const subject = (): string => `key:${randomUUID()}`

  describe(`LimitStore conformance: ${name}`, () => {
    it(
      'answers exactly as the reference algorithm over a scripted run (windows, cost, credits, refill)',
      withStore(async (store) => {
        const seen = new Set<string>()
        for (const seed of [1, 2, 3]) {
          const checks = scriptedChecks(subject(), seed, 150)
          let reference: LimitState | undefined
          for (const [i, check] of checks.entries()) {
            const expected = applyCheck(reference, check)
            reference = expected.state
            seen.add(expected.outcome.deniedBy ?? 'allowed')
            const actual: LimitOutcome = await store.consume(check)
            expect({ seed, i, outcome: actual }).toEqual({ seed, i, outcome: expected.outcome })
          }
        }
        // The script reaches every answer, so the comparison covers each path.
        expect([...seen].sort()).toEqual(['allowed', 'credits', 'rate'])
      }),
    )

    it(
      'its synchronous form, when its consume carries one, answers as the reference too (frozen limits, as the service passes)',
      withStore(async (store) => {
        const now = consumeNowOf(store)
        let answeredNow = 0
        for (const seed of [4, 5]) {
          const checks = scriptedChecks(subject(), seed, 150, true)
          let reference: LimitState | undefined
          for (const [i, check] of checks.entries()) {
            const expected = applyCheck(reference, check)
            reference = expected.state
            // Every other check through the synchronous form (it may decline: `undefined`).
            const direct = i % 2 === 0 ? now?.(check, check.cost, check.now) : undefined
            if (direct !== undefined) answeredNow++
            const actual: LimitOutcome = direct ?? (await store.consume(check))
            expect({ seed, i, outcome: actual }).toEqual({ seed, i, outcome: expected.outcome })
          }
        }
        // A store without the form is checked through consume alone; one with it must use it.
        if (now !== undefined) expect(answeredNow).toBeGreaterThan(0)
      }),
    )

    it(
      'concurrent checks of one key admit exactly the limit',
      withStore(async (store) => {
        const s = subject()
        const rate = [{ name: 'm', limit: 17, windowMs: 60_000 }]
        const outcomes = await Promise.all(
          Array.from({ length: concurrency }, () =>
            store.consume({ subject: s, rate, cost: 1, now: T0 }),
          ),
        )
        expect(outcomes.filter((o) => o.allowed)).toHaveLength(17)
        expect(outcomes.filter((o) => !o.allowed).every((o) => o.deniedBy === 'rate')).toBe(true)
      }),
    )

    it(
      'concurrent checks spend exactly the credits, never below zero',
      withStore(async (store) => {
        const s = subject()
        const credits = { remaining: 23 }
        const outcomes = await Promise.all(
          Array.from({ length: concurrency }, () =>
            store.consume({ subject: s, rate: [], credits, cost: 1, now: T0 }),
          ),
        )
        expect(outcomes.filter((o) => o.allowed)).toHaveLength(23)
        const last = await store.consume({ subject: s, rate: [], credits, cost: 1, now: T0 + DAY })
        expect(last).toMatchObject({
          allowed: false,
          deniedBy: 'credits',
          credits: { remaining: 0 },
        })
        expect(last.retryAfterMs).toBeUndefined()
      }),
    )

    it(
      'a refused check charges nothing, to no window and no credit',
      withStore(async (store) => {
        const s = subject()
        const rate = [
          { name: 'a', limit: 3, windowMs: 10_000 },
          { name: 'b', limit: 100, windowMs: 60_000 },
        ]
        const credits = { remaining: 100 }
        expect((await store.consume({ subject: s, rate, credits, cost: 3, now: T0 })).allowed).toBe(
          true,
        )
        for (let i = 0; i < 10; i++) {
          const refused = await store.consume({ subject: s, rate, credits, cost: 1, now: T0 + i })
          expect(refused).toMatchObject({
            allowed: false,
            deniedBy: 'rate',
            credits: { remaining: 97 },
          })
          expect(refused.rate.map((r) => r.remaining)).toEqual([0, 97])
        }
      }),
    )

    it(
      'keys are counted apart',
      withStore(async (store) => {
        const rate = [{ name: 'm', limit: 1, windowMs: 60_000 }]
        const a = subject()
        const b = subject()
        expect((await store.consume({ subject: a, rate, cost: 1, now: T0 })).allowed).toBe(true)
        expect((await store.consume({ subject: a, rate, cost: 1, now: T0 })).allowed).toBe(false)
        expect((await store.consume({ subject: b, rate, cost: 1, now: T0 })).allowed).toBe(true)
      }),
    )

    it(
      'state survives long windows and months-long refills (no early expiry)',
      withStore(async (store) => {
        const s = subject()
        const rate = [{ name: 'month', limit: 2, windowMs: 31 * DAY }]
        const credits = { remaining: 1, refill: { amount: 1, intervalMs: 31 * DAY } }
        expect((await store.consume({ subject: s, rate, credits, cost: 1, now: T0 })).allowed).toBe(
          true,
        )
        const later = await store.consume({
          subject: s,
          rate,
          credits,
          cost: 1,
          now: T0 + 30 * DAY,
        })
        expect(later).toMatchObject({ allowed: false, deniedBy: 'credits', retryAfterMs: DAY })
        const refilled = await store.consume({
          subject: s,
          rate,
          credits,
          cost: 1,
          now: T0 + 31 * DAY,
        })
        expect(refilled.allowed).toBe(true)
        expect(refilled.rate[0]?.remaining).toBe(0)
      }),
    )
  })
}
