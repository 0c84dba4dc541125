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
 * What a key's charges share, built on its first charge and kept per principal (one object per
 * cached key, so a hit finds it with one `WeakMap` lookup): the limits that apply, the store
 * subject (the same string each time, its hash computed once) and the headers' fixed parts. A
 * principal whose `keyId` or `limits` differ from the plan's gets a new one.
 *
 * The plan is also the check a store that answers in this process is given (its synchronous
 * form, src/lib/consume-now.ts), with that store's memo and shortcut numbers on it: over HTTP
 * with many keys in turn, every per-key object a charge reads is a read from memory, and one
 * object holding all of it is the fewest (docs/benchmarks.md, "Issue 12: the memory limit
 * against a hand-written limit"). Its `cost` and `now` are never written (they are passed: a
 * time is a number V8 keeps in a box of its own); a check that must go to `consume` is a copy.
 * The fields a charge reads come first.
 */
export interface ChargePlan extends LimitHeaderPlan, LimitCheck, CheckShortcut {
  [CONSUME_MEMO]: unknown
  /** No limit applies: nothing to charge. */
  readonly none: boolean
  readonly keyId: string
  readonly limits: ApiKeyPrincipal['limits']
  readonly rate: readonly RateLimit[]
  readonly credits: CreditLimit | undefined
  readonly subject: string
  /** Units of the credits' quota in `RateLimit-Policy`. */
  readonly quota: number | undefined
}

function buildPlan(
  principal: ApiKeyPrincipal,
  defaults: Readonly<KeyLimits> | undefined,
): ChargePlan {
  const rate = principal.limits?.rate ?? defaults?.rate ?? []
  const credits = principal.limits?.credits ?? defaults?.credits
  const quota = credits?.refill?.amount ?? credits?.remaining
  const header = sharedLimitHeaderPlan(rate, quota)
  // Every slot from the start, in one order: one shape for every key's plan.
  return {
    none: rate.length === 0 && credits === undefined,
    keyId: principal.keyId,
    limits: principal.limits,
    rate,
    credits,
    shortcutOf: undefined,
    shortcutRate: undefined,
    bucket: 0,
    count: 0,
    oldest: 0,
    pending: 0,
    stamp: 0,
    policy: header.policy,
    heads: header.heads,
    creditsHead: header.creditsHead,
    [CONSUME_MEMO]: undefined,
    subject: `key:${principal.keyId}`,
    quota,
    cost: 1,
    now: 0,
  }
}

/** The plan of a principal, cached (see {@link ChargePlan}). */
export function planCache(
  defaults: Readonly<KeyLimits> | undefined,
): (principal: ApiKeyPrincipal) => ChargePlan {
  const plans = new WeakMap<ApiKeyPrincipal, ChargePlan>()
  return (principal: ApiKeyPrincipal): ChargePlan => {
    const known = plans.get(principal)
    if (
      known !== undefined &&
      known.keyId === principal.keyId &&
      known.limits === principal.limits
    ) {
      return known
    }
    const plan = buildPlan(principal, defaults)
    plans.set(principal, plan)
    return plan
  }
}
