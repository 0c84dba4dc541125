/**
 * Usage limits of verified keys: which limits apply, the charge through the limit store with a
 * deadline, the 429 and its headers, and the outage policy. Internal: not exported.
 * @module
 */
import { AuthError } from '../errors.js'
import { describeError } from '../lib/describe-error.js'
import { withTimeout } from '../lib/with-timeout.js'
import { limitHeaders, retryAfterSeconds } from '../limits/headers.js'
import { MAX_COST } from '../limits/schema.js'
import { MemoryLimitStore } from '../memory-limit-store.js'
import type { LimitCheck, LimitOutcome } from '../limits/types.js'
import type { ResolvedAuthOptions } from '../options/types.js'
import type { ApiKeyPrincipal } from '../types.js'
import type { RequestMetadata } from '../events.js'
import type { ServiceClock } from './clock.js'

/** Options of `chargeLimits`. */
export interface ChargeOptions {
  /** Units this request costs: an integer from 1 to 1000. @defaultValue `1` */
  cost?: number
  /**
   * The request being charged, for the `limit.hit` event: its `method`, `path` and
   * `clientAddress` are copied (nothing else), and only when a refusal has a listener. The
   * guard of every adapter passes it.
   */
  request?: RequestMetadata
}

/** What {@link createLimiter} reads of the options: limits, the store deadline, the logger. */
export type LimiterOptions = Pick<ResolvedAuthOptions, 'limits' | 'storeTimeoutMs' | 'logger'>

/** Reports a refusal by a limit (`limit.hit`); it checks for listeners itself. */
export type LimitHitReporter = (
  principal: ApiKeyPrincipal,
  outcome: LimitOutcome,
  request: RequestMetadata | undefined,
) => void

/** The limits half of the service. */
export interface Limiter {
  /**
   * Charges a request of `principal`; resolves with the `RateLimit` headers to send (none when no
   * limit applies or headers are off), rejects with the 429 or, by the outage policy, a 503.
   */
  charge(principal: ApiKeyPrincipal, options?: ChargeOptions): Promise<Record<string, string>>
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>
// An outage warns at most this often: a flood of admitted requests must not flood the log.
const WARN_EVERY_MS = 10_000

/** Builds the limiter. */
export function createLimiter(
  options: LimiterOptions,
  clock: ServiceClock,
  onLimitHit?: LimitHitReporter,
): Limiter {
  const { limits, logger, storeTimeoutMs } = options
  const { store, defaults } = limits
  const inProcess = store instanceof MemoryLimitStore
  let warnedMemory = false
  let lastOutageWarning = Number.NEGATIVE_INFINITY

  const outage = (cause: unknown, hasCredits: boolean): Record<string, string> => {
    const policy = hasCredits ? limits.onStoreError.credits : limits.onStoreError.rate
    if (policy === 'closed') {
      logger.error('limit store failed: request refused (outage policy closed)', {
        error: describeError(cause),
      })
      throw new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'limit_store_error' })
    }
    const now = Date.now()
    if (now - lastOutageWarning >= WARN_EVERY_MS) {
      lastOutageWarning = now
      logger.warn('limit store failed: requests admitted unlimited (outage policy open)', {
        error: describeError(cause),
      })
    }
    return NO_HEADERS
  }

  const charge = async (
    principal: ApiKeyPrincipal,
    options?: ChargeOptions,
  ): Promise<Record<string, string>> => {
    const cost = options?.cost ?? 1
    if (!Number.isInteger(cost) || cost < 1 || cost > MAX_COST) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: `cost must be an integer from 1 to ${MAX_COST}`,
      })
    }
    const rate = principal.limits?.rate ?? defaults?.rate ?? []
    const credits = principal.limits?.credits ?? defaults?.credits
    if (rate.length === 0 && credits === undefined) return NO_HEADERS
    if (!limits.sharedStore && !warnedMemory) {
      warnedMemory = true
      logger.warn(
        'usage limits are counted in this process only (MemoryLimitStore): pass limits.store ' +
          'to count them across instances',
      )
    }
    const check: LimitCheck = { subject: `key:${principal.keyId}`, rate, cost, now: clock() }
    if (credits !== undefined) check.credits = credits
    let outcome: LimitOutcome
    try {
      // The memory store answers synchronously and cannot hang: no deadline timer per request.
      outcome = await (inProcess
        ? store.consume(check)
        : withTimeout(
            () => store.consume(check),
            storeTimeoutMs,
            () => new Error(`limit store timed out after ${storeTimeoutMs} ms`),
          ))
      if (typeof outcome?.allowed !== 'boolean' || !Array.isArray(outcome.rate)) {
        throw new Error('limit store returned a malformed outcome')
      }
    } catch (cause) {
      return outage(cause, credits !== undefined)
    }
    const quota = credits?.refill?.amount ?? credits?.remaining
    const headers = limits.headers ? limitHeaders(outcome, quota) : NO_HEADERS
    if (outcome.allowed) return headers
    onLimitHit?.(principal, outcome, options?.request)
    throw new AuthError(outcome.deniedBy === 'credits' ? 'CREDITS_EXHAUSTED' : 'RATE_LIMITED', {
      limitHeaders: headers,
      ...(outcome.retryAfterMs === undefined
        ? {}
        : { retryAfterSeconds: retryAfterSeconds(outcome.retryAfterMs) }),
    })
  }

  return { charge }
}
