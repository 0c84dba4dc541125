/**
 * Reading the limit script's answer for one check (./limit-script.ts): a flat array of integers,
 * completed with the check's own limits into the {@link LimitOutcome} `applyCheck` gives. The
 * names, limits and windows are the caller's already, so the script sends back only what it
 * counted, and no JSON is built or parsed for an outcome on either side.
 * @module
 */
import type { CreditLimit, LimitOutcome, RateLimit, RateLimitState } from '../../../src/index.js'

/** What a check's answer is read against: the limits it was made with. */
export interface ReplyShape {
  readonly rate: readonly RateLimit[]
  readonly credits?: CreditLimit | undefined
}

// The answer's fixed head, then `remaining, resetMs` per rate limit, in the check's order.
const STATUS = 0
const RETRY_AFTER = 1
const CREDITS_REMAINING = 2
const CREDITS_RESET = 3
const HEAD = 4
const ABSENT = -1

/**
 * The outcome of one check from its answer. Throws on an answer that is not one of this shape
 * (the script's error text for that check, a wrong length, a non-integer): the service then
 * takes its outage path for that check alone.
 */
export function outcomeOf(answer: unknown, shape: ReplyShape): LimitOutcome {
  if (typeof answer === 'string') throw new Error(`limit script: ${answer}`)
  const { rate: limits, credits } = shape
  if (
    !Array.isArray(answer) ||
    answer.length !== HEAD + 2 * limits.length ||
    !answer.every(Number.isSafeInteger)
  ) {
    throw new Error('limit script: unexpected answer')
  }
  const values = answer as number[]
  const status = values[STATUS]
  if (status !== 0 && status !== 1 && status !== 2)
    throw new Error('limit script: unexpected answer')
  const rate: RateLimitState[] = limits.map((limit, i) => ({
    name: limit.name,
    limit: limit.limit,
    windowMs: limit.windowMs,
    remaining: values[HEAD + 2 * i] as number,
    resetMs: values[HEAD + 2 * i + 1] as number,
  }))
  const outcome: LimitOutcome = { allowed: status === 0, rate }
  if (credits !== undefined) {
    const remaining = values[CREDITS_REMAINING] as number
    const resetMs = values[CREDITS_RESET] as number
    outcome.credits = resetMs === ABSENT ? { remaining } : { remaining, resetMs }
  }
  if (status !== 0) {
    outcome.deniedBy = status === 2 ? 'credits' : 'rate'
    const retry = values[RETRY_AFTER] as number
    if (retry !== ABSENT) outcome.retryAfterMs = retry
  }
  return outcome
}
