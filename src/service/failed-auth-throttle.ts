/**
 * Failed-authentication throttling (`limits.failedAuth`): 401 answers counted per client address
 * in the limit store, and the local memory of which addresses are over the cap, so that their
 * requests are refused before any hash or lookup. Internal: not exported.
 * @module
 */
import { AuthError } from '../errors.js'
import { describeError } from '../lib/describe-error.js'
import { withTimeout } from '../lib/with-timeout.js'
import { failedAuthSubject } from '../limits/address-subject.js'
import { limitHeaderPlan, limitHeaders, retryAfterSeconds } from '../limits/headers.js'
import type { LimitCheck, RateLimit } from '../limits/types.js'
import { MemoryLimitStore } from '../memory-limit-store.js'
import type { ResolvedAuthOptions } from '../options/types.js'
import type { RequestMetadata } from '../events.js'
import type { ServiceClock } from './clock.js'
import type { ThrottleReporter } from './key-events.js'

/**
 * The throttle the guard of every adapter consults: `retryAfter` before verifying (no I/O), and
 * `recordFailure` after a 401.
 */
export interface FailedAuthThrottle {
  /** Trusted proxies in front of the service, for the client-address resolution. */
  readonly trustProxy: number
  /**
   * Whole seconds `address` must still wait (at least 1) when this instance knows it is over the
   * cap, else 0. Synchronous and without I/O: it runs before the key is hashed.
   */
  retryAfter(address: string): number
  /**
   * The 429 to answer `address` now, when this instance knows it is over the cap (what
   * `retryAfter` says), with `Retry-After` and, unless `limits.headers` is off, the
   * `RateLimit-Policy`/`RateLimit` headers of the `failed-auth` policy; else `undefined`.
   * Synchronous and without I/O, like `retryAfter`.
   */
  refusal(address: string): AuthError | undefined
  /**
   * Counts a 401 answered to `address`. Resolves with the 429 to answer instead when the address
   * was already over the cap (the 401 is then not counted; the block begins, reported as
   * `auth.throttled` with `request`), else `undefined`. Never rejects: a limit-store failure
   * leaves the 401 as it is (logged, at most every 10 s).
   */
  recordFailure(address: string, request?: RequestMetadata): Promise<AuthError | undefined>
}

// Addresses over the cap that this instance remembers; the oldest are forgotten first (the
// store still refuses them: the next failure relearns the block).
const MAX_BLOCKED = 10_000
const WARN_EVERY_MS = 10_000
/** The policy name of the failed-authentication limit. */
export const FAILED_AUTH_POLICY = 'failed-auth'
// `failed-auth:` before the address in a subject (../limits/address-subject.ts).
const SUBJECT_HEAD = 'failed-auth:'

// The 429 of a block this instance remembers: nothing left until it ends (`t`, in seconds like
// Retry-After, which is what the store's own answer would say).
function refusalOf(
  retryAfter: (address: string) => number,
  policy: string,
  headersOn: boolean,
): (address: string) => AuthError | undefined {
  return (address) => {
    const wait = retryAfter(address)
    if (wait === 0) return undefined
    return new AuthError('RATE_LIMITED', {
      reason: 'failed_auth',
      retryAfterSeconds: wait,
      ...(headersOn
        ? {
            limitHeaders: {
              'ratelimit-policy': policy,
              ratelimit: `"${FAILED_AUTH_POLICY}";r=0;t=${wait}`,
            },
          }
        : {}),
    })
  }
}

/** Builds the throttle, or `undefined` when `limits.failedAuth` is off. */
export function createFailedAuthThrottle(
  options: Pick<ResolvedAuthOptions, 'limits' | 'storeTimeoutMs' | 'logger'>,
  clock: ServiceClock,
  onThrottled?: ThrottleReporter,
): FailedAuthThrottle | undefined {
  const settings = options.limits.failedAuth
  if (settings === undefined) return undefined
  const { store } = options.limits
  const { logger, storeTimeoutMs } = options
  const inProcess = store instanceof MemoryLimitStore
  const rate: readonly RateLimit[] = Object.freeze([
    Object.freeze({ name: FAILED_AUTH_POLICY, limit: settings.limit, windowMs: settings.windowMs }),
  ])
  // The policy's half of the headers never changes: built once.
  const policy = limitHeaderPlan(rate, undefined).policy
  const headersOn = options.limits.headers
  // subject → time (service clock, ms) until which its requests are refused without a lookup.
  const blocked = new Map<string, number>()
  let lastWarning = Number.NEGATIVE_INFINITY

  const block = (subject: string, until: number): void => {
    blocked.delete(subject)
    blocked.set(subject, until)
    if (blocked.size > MAX_BLOCKED) blocked.delete(blocked.keys().next().value as string)
  }

  const retryAfter = (address: string): number => {
    if (blocked.size === 0) return 0
    const subject = failedAuthSubject(address)
    const until = blocked.get(subject)
    if (until === undefined) return 0
    const wait = until - clock()
    if (wait > 0) return retryAfterSeconds(wait)
    blocked.delete(subject)
    return 0
  }

  const refusal = refusalOf(retryAfter, policy, options.limits.headers)

  const recordFailure = async (
    address: string,
    request?: RequestMetadata,
  ): Promise<AuthError | undefined> => {
    const subject = failedAuthSubject(address)
    try {
      const now = clock()
      const check: LimitCheck = { subject, rate, cost: 1, now }
      const outcome = await (inProcess
        ? store.consume(check)
        : withTimeout(
            () => store.consume(check),
            storeTimeoutMs,
            () => new Error(`limit store timed out after ${storeTimeoutMs} ms`),
          ))
      if (typeof outcome?.allowed !== 'boolean') throw new Error('malformed limit outcome')
      if (outcome.allowed) return undefined
      // Over the cap: remember it until one more failure would fit again (the window's own
      // answer), at least one second.
      const waitMs = Math.max(1_000, outcome.retryAfterMs ?? settings.windowMs)
      block(subject, now + waitMs)
      onThrottled?.(subject.slice(SUBJECT_HEAD.length), waitMs, request)
      return new AuthError('RATE_LIMITED', {
        reason: 'failed_auth',
        retryAfterSeconds: retryAfterSeconds(waitMs),
        ...(headersOn && Array.isArray(outcome.rate)
          ? { limitHeaders: limitHeaders(outcome, undefined) }
          : {}),
      })
    } catch (cause) {
      const wall = Date.now()
      if (wall - lastWarning >= WARN_EVERY_MS) {
        lastWarning = wall
        logger.warn('limit store failed: a failed authentication was not counted', {
          error: describeError(cause),
        })
      }
      return undefined
    }
  }

  return { trustProxy: settings.trustProxy, retryAfter, refusal, recordFailure }
}
