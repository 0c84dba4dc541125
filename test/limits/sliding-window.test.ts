/** The limit algorithm on a fake clock: window edges, buckets, cost, refill, refusals. */
import { describe, expect, test } from 'vitest'
import { applyLimitCheck, type LimitCheck, type LimitState } from '../../src/index.js'
import { BUCKETS_PER_WINDOW, bucketMs } from '../../src/limits/sliding-window.js'

const T0 = Date.UTC(2026, 0, 1)

// Runs checks in order on one subject's state, as a store would.
function runner(): (
  check: Omit<LimitCheck, 'subject'>,
) => ReturnType<typeof applyLimitCheck>['outcome'] {
  let state: LimitState | undefined
  return (check) => {
    const applied = applyLimitCheck(state, { subject: 'key:k', ...check })
    state = applied.state
    return applied.outcome
  }
}

const perSecond = { name: 'second', limit: 3, windowMs: 1000 }

describe('rate limits (sliding window in buckets)', () => {
  test('admits the limit, refuses the next, and says when it fits again', () => {
    const run = runner()
    for (let i = 0; i < 3; i++) {
      expect(run({ rate: [perSecond], cost: 1, now: T0 + i * 10 }).allowed).toBe(true)
    }
    const refused = run({ rate: [perSecond], cost: 1, now: T0 + 30 })
    expect(refused).toMatchObject({ allowed: false, deniedBy: 'rate' })
    expect(refused.rate[0]).toMatchObject({ name: 'second', limit: 3, remaining: 0 })
    // All three fell in the first 50 ms bucket: free once it has left the window.
    expect(refused.retryAfterMs).toBe(bucketMs(1000) + 1000 - 30)
    expect(run({ rate: [perSecond], cost: 1, now: T0 + 1049 }).allowed).toBe(false)
    expect(run({ rate: [perSecond], cost: 1, now: T0 + 1050 }).allowed).toBe(true)
  })

  test('the window slides: usage leaves bucket by bucket, not all at once', () => {
    const run = runner()
    const limit = { name: 'ten', limit: 2, windowMs: 10_000 }
    expect(run({ rate: [limit], cost: 1, now: T0 }).allowed).toBe(true)
    expect(run({ rate: [limit], cost: 1, now: T0 + 5_000 }).allowed).toBe(true)
    expect(run({ rate: [limit], cost: 1, now: T0 + 9_999 }).allowed).toBe(false)
    // The first request's bucket [T0, T0+500) leaves at T0 + 10 500; the second stays counted.
    expect(run({ rate: [limit], cost: 1, now: T0 + 10_499 }).allowed).toBe(false)
    expect(run({ rate: [limit], cost: 1, now: T0 + 10_500 }).allowed).toBe(true)
    expect(run({ rate: [limit], cost: 1, now: T0 + 10_600 }).allowed).toBe(false)
  })

  test('a refused request is not charged', () => {
    const run = runner()
    expect(run({ rate: [perSecond], cost: 3, now: T0 }).allowed).toBe(true)
    for (let i = 0; i < 50; i++)
      expect(run({ rate: [perSecond], cost: 1, now: T0 + 500 }).allowed).toBe(false)
    expect(run({ rate: [perSecond], cost: 3, now: T0 + 1050 }).allowed).toBe(true)
  })

  test('cost counts in units; a cost above the limit is never admitted and has no retry time', () => {
    const run = runner()
    expect(run({ rate: [perSecond], cost: 2, now: T0 }).rate[0]?.remaining).toBe(1)
    expect(run({ rate: [perSecond], cost: 2, now: T0 + 1 }).allowed).toBe(false)
    expect(run({ rate: [perSecond], cost: 1, now: T0 + 2 }).allowed).toBe(true)
    const never = run({ rate: [perSecond], cost: 4, now: T0 + 5_000 })
    expect(never.allowed).toBe(false)
    expect(never.retryAfterMs).toBeUndefined()
  })

  test('several windows: charged to all only when all allow, refused by the tightest', () => {
    const run = runner()
    const rate = [perSecond, { name: 'day', limit: 4, windowMs: 86_400_000 }]
    for (let i = 0; i < 3; i++) expect(run({ rate, cost: 1, now: T0 + i }).allowed).toBe(true)
    const second = run({ rate, cost: 1, now: T0 + 3 })
    expect(second.allowed).toBe(false)
    expect(second.rate.map((r) => r.remaining)).toEqual([0, 1])
    expect(run({ rate, cost: 1, now: T0 + 2_000 }).allowed).toBe(true)
    const day = run({ rate, cost: 1, now: T0 + 4_000 })
    expect(day.allowed).toBe(false)
    expect(day.rate.map((r) => r.remaining)).toEqual([3, 0])
    // The day's usage sits in the first bucket of 72 minutes: it leaves the window after it.
    expect(day.retryAfterMs).toBe(bucketMs(86_400_000) + 86_400_000 - 4_000)
  })

  test('resetMs: when everything now counted has left the window', () => {
    const run = runner()
    const first = run({ rate: [perSecond], cost: 1, now: T0 + 120 })
    expect(first.rate[0]?.resetMs).toBe(150 + 1000 - 120)
    const empty = run({ rate: [perSecond], cost: 3, now: T0 + 10_000 })
    expect(empty.allowed).toBe(true)
    expect(empty.rate[0]?.remaining).toBe(0)
  })

  test('a window whose length changes starts afresh; a removed window is forgotten', () => {
    let state: LimitState | undefined
    const apply = (rate: LimitCheck['rate']): boolean => {
      const applied = applyLimitCheck(state, { subject: 's', rate, cost: 1, now: T0 })
      state = applied.state
      return applied.outcome.allowed
    }
    expect(apply([{ name: 'w', limit: 1, windowMs: 1000 }])).toBe(true)
    expect(apply([{ name: 'w', limit: 1, windowMs: 1000 }])).toBe(false)
    expect(apply([{ name: 'w', limit: 1, windowMs: 2000 }])).toBe(true)
    expect(Object.keys(state?.w ?? {})).toEqual(['w:2000'])
    expect(apply([])).toBe(true)
    expect(state?.w).toEqual({})
  })

  test('at most BUCKETS_PER_WINDOW + 1 buckets are kept per window', () => {
    let state: LimitState | undefined
    const limit = { name: 'w', limit: 1_000_000, windowMs: 1000 }
    for (let t = 0; t < 5_000; t += 7) {
      state = applyLimitCheck(state, { subject: 's', rate: [limit], cost: 1, now: T0 + t }).state
      expect(state.w['w:1000']?.length ?? 0).toBeLessThanOrEqual(BUCKETS_PER_WINDOW + 1)
    }
  })
})

describe('credits', () => {
  test('spent per request; at 0 refused with CREDITS deniedBy and no retry without refill', () => {
    const run = runner()
    const credits = { remaining: 3 }
    expect(run({ rate: [], credits, cost: 2, now: T0 }).credits).toEqual({ remaining: 1 })
    const short = run({ rate: [], credits, cost: 2, now: T0 })
    expect(short).toMatchObject({ allowed: false, deniedBy: 'credits', credits: { remaining: 1 } })
    expect(short.retryAfterMs).toBeUndefined()
    expect(run({ rate: [], credits, cost: 1, now: T0 }).allowed).toBe(true)
    expect(run({ rate: [], credits, cost: 1, now: T0 + 10 ** 9 }).allowed).toBe(false)
  })

  test('refill is lazy: raised to amount at each whole interval since the period began', () => {
    const run = runner()
    const credits = { remaining: 2, refill: { amount: 5, intervalMs: 60_000 } }
    expect(run({ rate: [], credits, cost: 2, now: T0 }).allowed).toBe(true)
    const empty = run({ rate: [], credits, cost: 1, now: T0 + 59_000 })
    expect(empty).toMatchObject({ allowed: false, deniedBy: 'credits', retryAfterMs: 1_000 })
    expect(run({ rate: [], credits, cost: 1, now: T0 + 60_000 }).credits).toEqual({
      remaining: 4,
      resetMs: 60_000,
    })
    // Over three intervals later: one refill to 5 (refills do not accumulate), and the period
    // realigned to T0 + 240 000, so the next refill is at T0 + 300 000.
    expect(run({ rate: [], credits, cost: 1, now: T0 + 250_000 }).credits).toEqual({
      remaining: 4,
      resetMs: 50_000,
    })
  })

  test('rate limits and credits: a rate refusal spends no credit; a credit refusal charges no window', () => {
    const run = runner()
    const rate = [{ name: 's', limit: 1, windowMs: 1000 }]
    const credits = { remaining: 2 }
    expect(run({ rate, credits, cost: 1, now: T0 }).allowed).toBe(true)
    const limited = run({ rate, credits, cost: 1, now: T0 + 1 })
    expect(limited).toMatchObject({ allowed: false, deniedBy: 'rate', credits: { remaining: 1 } })
    expect(run({ rate, credits, cost: 1, now: T0 + 2_000 }).allowed).toBe(true)
    const broke = run({ rate, credits, cost: 1, now: T0 + 4_000 })
    expect(broke).toMatchObject({ allowed: false, deniedBy: 'credits' })
    expect(broke.rate[0]?.remaining).toBe(1)
  })

  test('new credit settings (an update) begin a new balance', () => {
    const run = runner()
    expect(run({ rate: [], credits: { remaining: 1 }, cost: 1, now: T0 }).allowed).toBe(true)
    expect(run({ rate: [], credits: { remaining: 1 }, cost: 1, now: T0 }).allowed).toBe(false)
    expect(run({ rate: [], credits: { remaining: 10 }, cost: 1, now: T0 }).credits).toEqual({
      remaining: 9,
    })
  })
})
