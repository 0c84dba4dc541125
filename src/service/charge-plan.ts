/**
 * The charge plan of a verified key: what every charge of the key shares, and the check a limit
 * store that answers in this process is handed. Internal: not exported.
 * @module
 */
import { type CheckShortcut, CONSUME_MEMO } from '../lib/consume-now.js'
import { type LimitHeaderPlan, sharedLimitHeaderPlan } from '../limits/headers.js'
import type { CreditLimit, KeyLimits, LimitCheck, RateLimit } from '../limits/types.js'
import type { ApiKeyPrincipal } from '../types.js'

/**
 * What a key's charges share, built on its first charge: the limits that apply, the store
 * subject (the same string each time, its hash computed once) and the headers' fixed parts.
 *
 * Its fields are on the key's verification cache entry (src/service/verification-cache.ts,
 * `CachedKey`), which the verification of the same request has just read: over HTTP with many
 * keys in turn, every other per-key object a charge reads is a read from memory
 * (docs/benchmarks.md, "Issue 12: the memory limit against a hand-written limit"), and a plan of
 * its own was one. The entry is found from the principal (`VerificationCache.entryOf`); a
 * principal with none (built elsewhere, or another instance's) gets a plan of its own, kept in
 * a `WeakMap`.
 *
 * The plan is also the check a store that answers in this process is given (its synchronous
 * form, src/lib/consume-now.ts), with that store's memo and shortcut numbers on it. Its `cost`
 * and `now` are never written (they are passed: a time is a number V8 keeps in a box of its
 * own); a check that must go to `consume` is a copy.
 */
export interface ChargePlan extends LimitCheck, CheckShortcut {
  /** The limiter that built it; `undefined`: not built yet. */
  chargedBy: unknown
  rate: readonly RateLimit[]
  credits: CreditLimit | undefined
  /** The headers' fixed parts. */
  header: LimitHeaderPlan
  [CONSUME_MEMO]: unknown
  subject: string
  /** Units of the credits' quota in `RateLimit-Policy`. */
  quota: number | undefined
}

/** No rate limits: what a plan not built yet holds. */
export const NO_RATE: readonly RateLimit[] = Object.freeze([])
/** The header plan of no limits: what a plan not built yet holds. */
export const NO_HEADER: LimitHeaderPlan = sharedLimitHeaderPlan(NO_RATE, undefined)

// Builds `plan` for `principal`, for the limiter `owner`.
function build(
  plan: ChargePlan,
  owner: unknown,
  principal: ApiKeyPrincipal,
  defaults: Readonly<KeyLimits> | undefined,
): ChargePlan {
  const rate = principal.limits?.rate ?? defaults?.rate ?? NO_RATE
  const credits = principal.limits?.credits ?? defaults?.credits
  const quota = credits?.refill?.amount ?? credits?.remaining
  plan.rate = rate
  plan.credits = credits
  plan.header = sharedLimitHeaderPlan(rate, quota)
  plan.subject = `key:${principal.keyId}`
  plan.quota = quota
  plan.chargedBy = owner
  return plan
}

// A plan of its own, for a principal without a cache entry: the same fields in the same order
// as a cache entry's (verification-cache.ts).
function ownPlan(): ChargePlan {
  return {
    chargedBy: undefined,
    rate: NO_RATE,
    credits: undefined,
    shortcutOf: undefined,
    shortcutRate: undefined,
    bucket: 0,
    count: 0,
    oldest: 0,
    pending: 0,
    stamp: 0,
    header: NO_HEADER,
    [CONSUME_MEMO]: undefined,
    subject: '',
    quota: undefined,
    cost: 1,
    now: 0,
  }
}

/** Where a principal's charge plan may already be: the verification cache (its entry). */
export interface PlanEntries {
  entryOf(principal: ApiKeyPrincipal): ChargePlan | undefined
}

/** No entries: every principal gets a plan of its own. */
export const NO_ENTRIES: PlanEntries = { entryOf: () => undefined }

/** No limit applies: nothing to charge. */
export const chargesNothing = (plan: ChargePlan): boolean =>
  plan.rate.length === 0 && plan.credits === undefined

/**
 * The plan of a principal for one limiter: its cache entry's, when the entry is this limiter's
 * to build (`owner`), else one kept per principal. A principal that is not frozen could change
 * its `keyId` or `limits`: it gets a new plan on each charge.
 */
export function planCache(
  defaults: Readonly<KeyLimits> | undefined,
  entries: PlanEntries,
): (principal: ApiKeyPrincipal) => ChargePlan {
  const plans = new WeakMap<ApiKeyPrincipal, ChargePlan>()
  // This limiter, as a plan's builder.
  const owner = plans
  return (principal: ApiKeyPrincipal): ChargePlan => {
    const entry = entries.entryOf(principal)
    if (entry !== undefined) {
      if (entry.chargedBy === owner) return entry
      if (entry.chargedBy === undefined) return build(entry, owner, principal, defaults)
    }
    const known = plans.get(principal)
    if (known !== undefined) return known
    const plan = build(ownPlan(), owner, principal, defaults)
    if (Object.isFrozen(principal)) plans.set(principal, plan)
    return plan
  }
}
