/**
 * Properties of usage limits on the memory limit store, against oracles that keep every admitted
 * request: no window of any length-W interval ever holds more than the limit (any interleaving
 * of concurrent checks, several windows, any costs); a refusal is only ever due to usage within
 * W plus one bucket; credits never admit more than the balance plus its refills.
 */
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { MemoryLimitStore, type RateLimit } from '../../src/index.js'
import { bucketMs } from '../../src/limits/sliding-window.js'

const T0 = Date.UTC(2026, 0, 1)

const windowArb = fc.record({
  limit: fc.integer({ min: 1, max: 20 }),
  windowMs: fc.integer({ min: 1000, max: 20_000 }),
})
// Steps between checks: often 0 (a burst), sometimes long enough to cross windows.
const stepArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 400 }),
  fc.integer({ min: 400, max: 25_000 }),
)
const batchArb = fc.record({
  step: stepArb,
  costs: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }),
})

interface Admitted {
  at: number
  cost: number
}
const usageIn = (admitted: Admitted[], from: number, to: number): number =>
  admitted.filter((a) => a.at >= from && a.at <= to).reduce((sum, a) => sum + a.cost, 0)

describe('limits on the memory store', () => {
  test.prop([
    fc.array(windowArb, { minLength: 1, maxLength: 3 }),
    fc.array(batchArb, { maxLength: 60 }),
  ])(
    'never admits more than the limit in any window; refuses only for usage within W + one bucket',
    async (windows, batches) => {
      const rate: RateLimit[] = windows.map((w, i) => ({ name: `w${i}`, ...w }))
      const store = new MemoryLimitStore()
      const admitted: Admitted[] = []
      let now = T0
      for (const { step, costs } of batches) {
        now += step
        const at = now
        // A batch is checked concurrently: the store decides in whatever order they arrive.
        const outcomes = await Promise.all(
          costs.map((cost) => store.consume({ subject: 'key:p', rate, cost, now: at })),
        )
        outcomes.forEach((outcome, i) => {
          const cost = costs[i] as number
          if (outcome.allowed) {
            admitted.push({ at, cost })
            return
          }
          // Some window really was near full: counting one extra bucket of history, the cost
          // would not fit (the documented worst case of the bucketed window).
          const justified = rate.some(
            (w) => usageIn(admitted, at - w.windowMs - bucketMs(w.windowMs), at) + cost > w.limit,
          )
          expect(justified).toBe(true)
        })
      }
      for (const w of rate) {
        for (const { at } of admitted) {
          expect(usageIn(admitted, at - w.windowMs, at)).toBeLessThanOrEqual(w.limit)
        }
      }
    },
  )

  test.prop([
    fc.integer({ min: 0, max: 30 }),
    fc.option(
      fc.record({
        amount: fc.integer({ min: 1, max: 20 }),
        intervalMs: fc.integer({ min: 1000, max: 10_000 }),
      }),
      {
        nil: undefined,
      },
    ),
    fc.array(fc.record({ step: stepArb, cost: fc.integer({ min: 1, max: 5 }) }), { maxLength: 80 }),
  ])(
    'credits: admitted cost never exceeds the balance plus one amount per refill',
    async (remaining, refill, requests) => {
      const store = new MemoryLimitStore()
      const credits = refill === undefined ? { remaining } : { remaining, refill }
      let now = T0
      let spent = 0
      for (const { step, cost } of requests) {
        now += step
        const outcome = await store.consume({ subject: 'key:c', rate: [], credits, cost, now })
        if (outcome.allowed) spent += cost
        expect(outcome.credits?.remaining).toBeGreaterThanOrEqual(0)
      }
      const refills = refill === undefined ? 0 : Math.floor((now - T0) / refill.intervalMs)
      expect(spent).toBeLessThanOrEqual(remaining + refills * (refill?.amount ?? 0))
    },
  )
})
