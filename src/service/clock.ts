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
// this module loads, and only if it is still the native function then (a fake installed before,
// by a test's timer library, is guarded like any other clock).
const ENGINE_DATE_NOW: (() => number) | undefined = /\{\s*\[native code\]\s*\}\s*$/.test(
  Function.prototype.toString.call(Date.now),
)
  ? Date.now
  : undefined

// Beyond ±8.64e15 ms a Date is invalid: such a reading is a broken clock, not a time.
const MAX_TIME_MS = 8.64e15

/**
 * Wraps the `now` option. A clock that throws or returns NaN, an Invalid Date or a non-date is a
 * 503, never a time: a broken clock must not make an expired key valid.
 */
export function createServiceClock(now: () => Date | number, logger: AuthLogger): ServiceClock {
  // The default clock needs no guard: the engine's own `Date.now` cannot throw and always returns
  // a valid time. Every verification reads the clock, and the guard (a closure call, a `try`,
  // the type and range checks) was a measurable part of a cache hit (docs/benchmarks.md,
  // "Sixth session"). Any other function, including a replaced or spied `Date.now`, is guarded.
  if (ENGINE_DATE_NOW !== undefined && now === ENGINE_DATE_NOW) return ENGINE_DATE_NOW
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
