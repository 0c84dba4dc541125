/**
 * The memory store's in-place form of the limit algorithm (src/limits/sliding-window-in-place.ts)
 * against the pure reference `applyLimitCheck`: on any sequence of checks (rate limits that
 * change between checks, credits with and without refill, credits appearing and disappearing,
 * any costs and clock steps), the same outcome after every check and the same state; and with
 * the window track the memory store keeps (counts and oldest buckets read instead of the
 * buckets), the same again, with a track that stays exact.
 */
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import {
  applyLimitCheck,
  type LimitCheck,
  type LimitState,
  type RateLimit,
} from '../../src/index.js'
import {
  applyInPlace,
  trackOf,
  windowId,
  type WindowTrack,
} from '../../src/limits/sliding-window-in-place.js'

const T0 = Date.UTC(2026, 0, 1)

const rateArb = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom('a', 'b', 'c'),
    limit: fc.integer({ min: 1, max: 12 }),
    windowMs: fc.constantFrom(1000, 2000, 7000),
  }),
  { selector: (limit) => limit.name, maxLength: 3 },
)
const creditsArb = fc.option(
  fc.record(
    {
      remaining: fc.integer({ min: 0, max: 15 }),
      refill: fc.record({
        amount: fc.integer({ min: 1, max: 15 }),
        intervalMs: fc.constantFrom(1000, 3000),
      }),
    },
    { requiredKeys: ['remaining'] },
  ),
  { nil: undefined },
)
const stepOf = (advance: fc.Arbitrary<number>) =>
  fc.record({
    advance,
    cost: fc.integer({ min: 1, max: 6 }),
    // Most steps keep the limits of the step before (frozen objects reused, as the service does).
    change: fc.option(fc.tuple(rateArb, creditsArb), { freq: 4, nil: undefined }),
  })
const stepArb = stepOf(
  fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 300, max: 9000 })),
)
// Whole buckets only (50 ms: a 1 s window's), from an aligned start: checks land exactly on
// the edge of a bucket leaving its window.
const alignedStepArb = stepOf(fc.integer({ min: 0, max: 25 }).map((buckets) => buckets * 50))

// Buckets and balances as plain data, key order aside.
const normal = (state: LimitState | undefined): unknown => {
  if (state === undefined || (Object.keys(state.w).length === 0 && state.c === undefined)) {
    return undefined
  }
  const w = Object.fromEntries(Object.entries(state.w).sort(([a], [b]) => a.localeCompare(b)))
  return state.c === undefined ? { w } : { w, c: { ...state.c } }
}

// The in-place form as the memory store runs it: a state and its track (rebuilt when the
// limits change, kept by applyInPlace otherwise). Answers the outcome, the state, and whether
// the kept track still matches the state.
function trackedRunner(): (
  check: LimitCheck,
  same: boolean,
) => { outcome: unknown; state: unknown; exact: boolean } {
  const state: LimitState = { w: {} }
  let track: WindowTrack | undefined
  return (check, same) => {
    const ids = check.rate.map(windowId)
    let outcome
    if (same && track !== undefined) {
      outcome = applyInPlace(state, check, ids, track)
    } else {
      outcome = applyInPlace(state, check)
      track = trackOf(state, ids)
    }
    const exact = [...track].every((value, i) => value === trackOf(state, ids)[i])
    return { outcome, state: normal(state), exact }
  }
}

describe('in-place limit algorithm', () => {
  test.prop([rateArb, creditsArb, fc.array(fc.oneof(stepArb, alignedStepArb), { maxLength: 80 })])(
    'gives the same outcomes and state as applyLimitCheck',
    (rate0, credits0, steps) => {
      let rate = rate0
      let credits = credits0
      let reference: LimitState | undefined
      const inPlace: LimitState = { w: {} }
      let now = T0
      let previous: readonly RateLimit[] | undefined
      const tracked = trackedRunner()
      for (const step of steps) {
        now += step.advance
        if (step.change !== undefined) [rate, credits] = step.change
        Object.freeze(rate)
        const check: LimitCheck = { subject: 'key:p', rate, cost: step.cost, now }
        if (credits !== undefined) check.credits = credits
        const expected = applyLimitCheck(reference, check)
        reference = expected.state
        // As the memory store does: the same frozen limits as last time skip the search for
        // windows of other limits.
        expect(
          applyInPlace(inPlace, check, previous === rate ? rate.map(windowId) : undefined),
        ).toEqual(expected.outcome)
        expect(tracked(check, previous === rate)).toEqual({
          outcome: expected.outcome,
          state: normal(reference),
          exact: true,
        })
        previous = rate
        expect(normal(inPlace)).toEqual(normal(reference))
      }
    },
  )

  test.prop([rateArb, creditsArb, fc.array(alignedStepArb, { maxLength: 80 })])(
    'gives the same outcomes and state on bucket edges',
    (rate0, credits0, steps) => {
      let rate = rate0
      let credits = credits0
      let reference: LimitState | undefined
      const inPlace: LimitState = { w: {} }
      let now = T0
      let previous: readonly RateLimit[] | undefined
      const tracked = trackedRunner()
      for (const step of steps) {
        now += step.advance
        if (step.change !== undefined) [rate, credits] = step.change
        Object.freeze(rate)
        const check: LimitCheck = { subject: 'key:p', rate, cost: step.cost, now }
        if (credits !== undefined) check.credits = credits
        const expected = applyLimitCheck(reference, check)
        reference = expected.state
        // As the memory store does: the same frozen limits as last time skip the search for
        // windows of other limits.
        expect(
          applyInPlace(inPlace, check, previous === rate ? rate.map(windowId) : undefined),
        ).toEqual(expected.outcome)
        expect(tracked(check, previous === rate)).toEqual({
          outcome: expected.outcome,
          state: normal(reference),
          exact: true,
        })
        previous = rate
        expect(normal(inPlace)).toEqual(normal(reference))
      }
    },
  )

  test.prop([rateArb, creditsArb, fc.array(fc.oneof(stepArb, alignedStepArb), { maxLength: 120 })])(
    'keeps its window track exact when the limits stay the same',
    (rate0, credits, steps) => {
      // The memory store's usual case: every check of a key with the same frozen limits, so the
      // track is read and kept on every check, never rebuilt.
      const rate = Object.freeze(rate0)
      let reference: LimitState | undefined
      const tracked = trackedRunner()
      let now = T0
      for (const [i, step] of steps.entries()) {
        now += step.advance
        const check: LimitCheck = { subject: 'key:p', rate, cost: step.cost, now }
        if (credits !== undefined) check.credits = credits
        const expected = applyLimitCheck(reference, check)
        reference = expected.state
        expect(tracked(check, i > 0)).toEqual({
          outcome: expected.outcome,
          state: normal(reference),
          exact: true,
        })
      }
    },
  )

  test.prop([rateArb, fc.array(stepArb, { maxLength: 30 })])(
    'a limit object mutated between checks is counted under its new name and window',
    (rate0, steps) => {
      // A caller that reuses and mutates its limits (the service never does) is not answered
      // from a stale cached key.
      const rate = rate0.map((limit) => ({ ...limit }))
      let reference: LimitState | undefined
      const inPlace: LimitState = { w: {} }
      let now = T0
      for (const [i, step] of steps.entries()) {
        now += step.advance
        const first = rate[0]
        if (first !== undefined && i % 3 === 2)
          first.windowMs = first.windowMs === 1000 ? 2000 : 1000
        const check: LimitCheck = { subject: 'key:p', rate, cost: step.cost, now }
        const expected = applyLimitCheck(reference, structuredClone(check))
        reference = expected.state
        expect(applyInPlace(inPlace, check)).toEqual(expected.outcome)
        expect(normal(inPlace)).toEqual(normal(reference))
      }
    },
  )
})
