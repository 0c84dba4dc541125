/**
 * Usage limits of verified keys: which limits apply, the charge through the limit store with a
 * deadline, the 429 and its headers, and the outage policy. Internal: not exported.
 * @module
 */
import { AuthError } from '../errors.js'
import { describeError } from '../lib/describe-error.js'
import { createDeadlineQueue } from '../lib/deadline-queue.js'
import { CHARGE_NOW, type ChargeNow } from '../lib/charge-now.js'
import { consumeNowOf } from '../lib/consume-now.js'
import { limitHeaders, rateLimitHeader, retryAfterSeconds } from '../limits/headers.js'
import { MAX_COST } from '../limits/schema.js'
import { MemoryLimitStore } from '../memory-limit-store.js'
import type { LimitCheck, LimitOutcome } from '../limits/types.js'
import type { ResolvedAuthOptions } from '../options/types.js'
import type { ApiKeyPrincipal } from '../types.js'
import type { RequestMetadata } from '../events.js'
import {
  type ChargePlan,
  chargesNothing,
  NO_ENTRIES,
  planCache,
  type PlanEntries,
} from './charge-plan.js'
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
   * Carries its synchronous form (`CHARGE_NOW`, src/lib/charge-now.ts) for the HTTP guard.
   */
  charge(principal: ApiKeyPrincipal, options?: ChargeOptions): Promise<Record<string, string>>
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>
// An outage warns at most this often: a flood of admitted requests must not flood the log.
const WARN_EVERY_MS = 10_000

function checkOutcome(outcome: LimitOutcome): LimitOutcome {
  if (typeof outcome?.allowed !== 'boolean' || !Array.isArray(outcome.rate)) {
    throw new Error('limit store returned a malformed outcome')
  }
  return outcome
}

// The outage policy (`limits.onStoreError`): the refusal (503) or, open, no headers and a
// warning at most every 10 s.
function outagePolicy(
  options: LimiterOptions,
): (cause: unknown, hasCredits: boolean) => Record<string, string> | AuthError {
  const { limits, logger } = options
  let lastOutageWarning = Number.NEGATIVE_INFINITY
  return (cause, hasCredits) => {
    const policy = hasCredits ? limits.onStoreError.credits : limits.onStoreError.rate
    if (policy === 'closed') {
      logger.error('limit store failed: request refused (outage policy closed)', {
        error: describeError(cause),
      })
      return new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'limit_store_error' })
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
}

type Settle = (
  plan: ChargePlan,
  outcome: LimitOutcome,
  principal: ApiKeyPrincipal,
  request: RequestMetadata | undefined,
) => Record<string, string> | AuthError

// The answer to an outcome: the headers, or the refusal (returned, not thrown).
function settler(headersOn: boolean, onLimitHit: LimitHitReporter | undefined): Settle {
  return (
    plan: ChargePlan,
    outcome: LimitOutcome,
    principal: ApiKeyPrincipal,
    request: RequestMetadata | undefined,
  ): Record<string, string> | AuthError => {
    let headers = NO_HEADERS
    if (headersOn) {
      // The plan's fixed parts fit an outcome of the limits it was built for; a store answering
      // otherwise gets the headers built from its own answer, as before.
      headers =
        outcome.rate.length === plan.rate.length &&
        (outcome.credits === undefined) === (plan.credits === undefined)
          ? {
              'ratelimit-policy': plan.header.policy,
              ratelimit: rateLimitHeader(plan.header, outcome),
            }
          : limitHeaders(outcome, plan.quota)
    }
    if (outcome.allowed) return headers
    onLimitHit?.(principal, outcome, request)
    return new AuthError(outcome.deniedBy === 'credits' ? 'CREDITS_EXHAUSTED' : 'RATE_LIMITED', {
      limitHeaders: headers,
      ...(outcome.retryAfterMs === undefined
        ? {}
        : { retryAfterSeconds: retryAfterSeconds(outcome.retryAfterMs) }),
    })
  }
}

// `chargeLimits` itself: the public, promise form of `chargeNow`, carrying it (CHARGE_NOW).
function promised(
  chargeNow: ChargeNow,
): (principal: ApiKeyPrincipal, options?: ChargeOptions) => Promise<Record<string, string>> {
  return (principal, options) => {
    try {
      const cost = options?.cost ?? 1
      if (!Number.isInteger(cost) || cost < 1 || cost > MAX_COST) {
        throw new AuthError('CONFIGURATION_ERROR', {
          message: `cost must be an integer from 1 to ${MAX_COST}`,
        })
      }
      const answer = chargeNow(principal, cost, options?.request)
      if (answer instanceof Promise) return answer
      return answer instanceof AuthError ? Promise.reject(answer) : Promise.resolve(answer)
    } catch (error) {
      return Promise.reject(error)
    }
  }
}

/**
 * Builds the limiter. `entries`: the verification cache, whose entry of a principal is that
 * key's charge plan (./charge-plan.ts).
 */
export function createLimiter(
  options: LimiterOptions,
  clock: ServiceClock,
  onLimitHit?: LimitHitReporter,
  entries: PlanEntries = NO_ENTRIES,
): Limiter {
  const { limits, logger, storeTimeoutMs } = options
  const { store, defaults } = limits
  const inProcess = store instanceof MemoryLimitStore
  // The store's synchronous form, when it has one (src/lib/consume-now.ts).
  const consumeNow = consumeNowOf(store)
  const planOf = planCache(defaults, entries)
  const outage = outagePolicy(options)
  const settle = settler(limits.headers, onLimitHit)
  // Every charge waits `storeTimeoutMs`: one timer for all of them, not one per request.
  const deadline = createDeadlineQueue(
    storeTimeoutMs,
    () => new Error(`limit store timed out after ${storeTimeoutMs} ms`),
  )
  let warnedMemory = false

  // The store must be asked: a promise, with the deadline (the memory store cannot hang). Not an
  // async function: its own promise and the resumption after `await` were one more microtask
  // hop per request on the path of every shared store (docs/benchmarks.md, "Limits cost over
  // HTTP"). A store that throws, answers badly or fails goes through the outage policy.
  const pending = (
    plan: ChargePlan,
    check: LimitCheck,
    principal: ApiKeyPrincipal,
    request: RequestMetadata | undefined,
  ): Promise<Record<string, string>> => {
    const hasCredits = plan.credits !== undefined
    const failed = (cause: unknown): Record<string, string> => {
      const answer = outage(cause, hasCredits)
      if (answer instanceof AuthError) throw answer
      return answer
    }
    const answered = (outcome: LimitOutcome): Record<string, string> => {
      let answer: Record<string, string> | AuthError
      try {
        answer = settle(plan, checkOutcome(outcome), principal, request)
      } catch (cause) {
        answer = outage(cause, hasCredits)
      }
      if (answer instanceof AuthError) throw answer
      return answer
    }
    let outcome: PromiseLike<LimitOutcome>
    try {
      outcome = inProcess ? store.consume(check) : deadline(store.consume(check))
    } catch (cause) {
      return new Promise((resolve) => resolve(failed(cause)))
    }
    return Promise.resolve(outcome).then(answered, failed)
  }

  // The charge of the guard (CHARGE_NOW): in this turn when the store answers in this process.
  // Per request it builds the outcome (the store's), the headers object and the `RateLimit`
  // string; no check (the plan is the check), no promise, no closure.
  const chargeNow: ChargeNow = (principal, cost, request) => {
    const plan = planOf(principal)
    if (chargesNothing(plan)) return NO_HEADERS
    if (!limits.sharedStore && !warnedMemory) {
      warnedMemory = true
      logger.warn(
        'usage limits are counted in this process only (MemoryLimitStore): pass limits.store ' +
          'to count them across instances',
      )
    }
    const now = clock()
    if (consumeNow !== undefined) {
      let outcome: LimitOutcome | undefined
      try {
        outcome = consumeNow(plan, cost, now)
        if (outcome !== undefined) checkOutcome(outcome)
      } catch (cause) {
        return outage(cause, plan.credits !== undefined)
      }
      if (outcome !== undefined) return settle(plan, outcome, principal, request)
    }
    const check: LimitCheck = { subject: plan.subject, rate: plan.rate, cost, now }
    if (plan.credits !== undefined) check.credits = plan.credits
    return pending(plan, check, principal, request)
  }

  const charge = promised(chargeNow)
  Object.defineProperty(charge, CHARGE_NOW, { value: chargeNow })

  return { charge }
}
