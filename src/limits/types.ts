/**
 * The data of usage limits: what a key record and the instance defaults hold, what a limit store
 * is asked and what it answers (docs/limits.md).
 * @module
 */

/** One named rate limit: at most `limit` units of cost in any window of `windowMs`. */
export interface RateLimit {
  /** Name shown in the `RateLimit-Policy` header: 1–32 of `[A-Za-z0-9_-]`, unique per key. */
  name: string
  /** Units of cost admitted per window: a positive integer. */
  limit: number
  /** Length of the sliding window in ms: 1 000 (1 s) to 2 678 400 000 (31 days). */
  windowMs: number
}

/** Lazy refill of credits: every `intervalMs`, the balance is raised back to `amount`. */
export interface CreditRefill {
  /** Balance after a refill (a balance above it is kept): a positive integer. */
  amount: number
  /** Time between refills in ms: 1 000 (1 s) to 2 678 400 000 (31 days). */
  intervalMs: number
}

/** A balance of credits that each request spends; at 0 the key is refused until a refill. */
export interface CreditLimit {
  /** The balance the key starts with: a non-negative integer. */
  remaining: number
  /** Optional refill, computed on use (no timer, no cron). */
  refill?: CreditRefill
}

/** The usage limits of a key, or the defaults of an instance. */
export interface KeyLimits {
  /** Named rate limits, all checked at once (at most 10). */
  rate?: RateLimit[]
  /** Credits. */
  credits?: CreditLimit
}

/** What a {@link LimitStore} is asked: charge `cost` to `subject` if every limit allows it. */
export interface LimitCheck {
  /** Whose usage this is: `key:<key id>` for a key (opaque to the store, at most 200 chars). */
  subject: string
  /** The rate limits to check; may be empty. */
  rate: readonly RateLimit[]
  /** The credits to spend from, if the subject has any. */
  credits?: CreditLimit
  /** Units to charge: a positive integer. */
  cost: number
  /** The caller's clock, in ms since the epoch (docs/limits.md: clocks across a fleet). */
  now: number
}

/** The state of one rate limit after a check. */
export interface RateLimitState {
  name: string
  limit: number
  windowMs: number
  /** Units still admitted in the current window (after this request, if it was admitted). */
  remaining: number
  /** Ms until all the usage now counted has left the window (0 when none is counted). */
  resetMs: number
}

/** The state of the credits after a check. */
export interface CreditState {
  /** Balance after this request (if it was admitted). */
  remaining: number
  /** Ms until the next refill; absent without refill. */
  resetMs?: number
}

/** A limit store's answer. A refused check changes nothing (a denied request does not consume). */
export interface LimitOutcome {
  /** Whether the cost was charged. */
  allowed: boolean
  /** For a refusal: `credits` when the balance is short (waiting for a window would not do), else `rate`. */
  deniedBy?: 'rate' | 'credits'
  /** For a refusal: ms until the same request would be admitted; absent when it never will. */
  retryAfterMs?: number
  /** One entry per rate limit checked, in the order given. */
  rate: RateLimitState[]
  /** Present when credits were checked. */
  credits?: CreditState
}
