/**
 * The service clock: the `now` option, guarded. Internal: not exported from the package.
 * @module
 */
import { AuthError } from '../errors.js'
import { describeError } from '../lib/describe-error.js'
import type { AuthLogger } from '../options/types.js'

/** Milliseconds since the epoch, from the injected clock; throws `AUTH_UNAVAILABLE` when broken. */
export type ServiceClock = () => number

// `Date.now` as the engine provides it: the one clock known to return a valid time. Taken when
// this module loads, and only if it still prints as the engine's own function then (engine
// functions print alike but for their name, so it must print as `Math.max` does, renamed): a
// fake installed before, by a test's timer library, or a bound or wrapped one, is guarded like
// any other clock.
const printed = (fn: unknown): string => Function.prototype.toString.call(fn)
const ENGINE_DATE_NOW: (() => number) | undefined =
  printed(Date.now) === printed(Math.max).replace('max', 'now') ? Date.now : undefined

// Beyond ±8.64e15 ms a Date is invalid: such a reading is a broken clock, not a time.
const MAX_TIME_MS = 8.64e15

/**
 * Wraps the `now` option. A clock that throws or returns NaN, an Invalid Date or a non-date is a
 * 503, never a time: a broken clock must not make an expired key valid.
 */
export function createServiceClock(now: () => Date | number, logger: AuthLogger): ServiceClock {
  // The default clock needs no guard: the engine's own `Date.now` cannot throw and always returns
  // a valid time, and every verification reads the clock, so the guard (a closure call, a `try`,
  // the type and range checks) was work for nothing on every hit (too little to measure alone:
  // docs/benchmarks.md, "Sixth session"). Any other function, including a replaced or spied
  // `Date.now`, is guarded.
  if (now === ENGINE_DATE_NOW) return now as () => number
  return () => {
    let t: unknown
    try {
      t = now()
    } catch (error) {
      logger.error('the clock threw', { error: describeError(error) })
      throw new AuthError('AUTH_UNAVAILABLE', { reason: 'invalid_clock' })
    }
    const ms = typeof t === 'number' ? t : t instanceof Date ? t.getTime() : Number.NaN
    if (!(Math.abs(ms) <= MAX_TIME_MS)) {
      logger.error('the clock returned an invalid time', { type: typeof t })
      throw new AuthError('AUTH_UNAVAILABLE', { reason: 'invalid_clock' })
    }
    return ms
  }
}
