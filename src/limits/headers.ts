/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10) of a limit check:
 * `RateLimit-Policy` (each policy's quota and window) and `RateLimit` (what is left, and when it
 * resets). Names are checked by the schema (`[A-Za-z0-9_-]`), so they need no escaping.
 * @module
 */
import type { LimitOutcome, RateLimit } from './types.js'

/** Policy name of a key's credits in the headers; no rate limit may take it. */
export const CREDITS_POLICY = 'credits'

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000))

const policyItem = (name: string, quota: number, windowMs?: number): string =>
  windowMs === undefined ? `"${name}";q=${quota}` : `"${name}";q=${quota};w=${seconds(windowMs)}`

/** `ratelimit-policy` and `ratelimit` for `outcome` (lower-case names, as responses carry them). */
export function limitHeaders(
  outcome: LimitOutcome,
  creditQuota: number | undefined,
): Record<string, string> {
  const policy: string[] = []
  const state: string[] = []
  for (const limit of outcome.rate) {
    policy.push(policyItem(limit.name, limit.limit, limit.windowMs))
    state.push(`"${limit.name}";r=${limit.remaining};t=${seconds(limit.resetMs)}`)
  }
  const credits = outcome.credits
  if (credits !== undefined) {
    policy.push(policyItem(CREDITS_POLICY, creditQuota ?? credits.remaining))
    state.push(
      credits.resetMs === undefined
        ? `"${CREDITS_POLICY}";r=${credits.remaining}`
        : `"${CREDITS_POLICY}";r=${credits.remaining};t=${seconds(credits.resetMs)}`,
    )
  }
  if (policy.length === 0) return {}
  return { 'ratelimit-policy': policy.join(', '), ratelimit: state.join(', ') }
}

/**
 * What the headers of one set of limits share on every request, built once when the limits
 * are first charged: the whole `RateLimit-Policy` (it changes only when the limits do) and the
 * head of each `RateLimit` item. A request then builds one string (see {@link rateLimitHeader}).
 */
export interface LimitHeaderPlan {
  /** The `RateLimit-Policy` value. */
  readonly policy: string
  /** Per rate limit, in order: `"name";r=`, with the `, ` before every one but the first. */
  readonly heads: readonly string[]
  /** The credits' `"credits";r=` (with its `, ` when rate limits come first), if any. */
  readonly creditsHead: string | undefined
}

// Header plans already built, by the limits they describe: keys with the same limits (the
// instance defaults, a plan tier) share one plan, so its strings and array stay in the CPU's
// caches from one request to the next. Per key they were copies, each read from memory on the
// key's next request: over HTTP with 1,000 keys in turn, a limit's state and headers are out
// of the nearest caches by then, and each distinct line read cost tens of ns
// (docs/benchmarks.md, "Limits cost, sixth session"). Bounded: emptied when full.
const sharedPlans = new Map<string, LimitHeaderPlan>()
const MAX_SHARED_PLANS = 1_000

/**
 * {@link limitHeaderPlan}, shared by every caller asking for the same limits and quota (the
 * plan and its parts are frozen: nobody may change them).
 */
export function sharedLimitHeaderPlan(
  rate: readonly RateLimit[],
  creditQuota: number | undefined,
): LimitHeaderPlan {
  let id = `${creditQuota ?? ''}`
  for (const limit of rate) id += `|${limit.name}:${limit.limit}:${limit.windowMs}`
  const known = sharedPlans.get(id)
  if (known !== undefined) return known
  const plan = limitHeaderPlan(rate, creditQuota)
  Object.freeze(plan.heads)
  if (sharedPlans.size >= MAX_SHARED_PLANS) sharedPlans.clear()
  sharedPlans.set(id, Object.freeze(plan))
  return plan
}

/** The {@link LimitHeaderPlan} of `rate` and `credits`, whose quota is `creditQuota`. */
export function limitHeaderPlan(
  rate: readonly RateLimit[],
  creditQuota: number | undefined,
): LimitHeaderPlan {
  const policy = rate.map((limit) => policyItem(limit.name, limit.limit, limit.windowMs))
  if (creditQuota !== undefined) policy.push(policyItem(CREDITS_POLICY, creditQuota))
  return {
    policy: policy.join(', '),
    heads: rate.map((limit, i) => `${i === 0 ? '' : ', '}"${limit.name}";r=`),
    creditsHead:
      creditQuota === undefined
        ? undefined
        : `${rate.length === 0 ? '' : ', '}"${CREDITS_POLICY}";r=`,
  }
}

// "000" to "999", and "0" to "999": the digits of a number in groups of three.
let padded: readonly string[] | undefined
let plain: readonly string[] | undefined

/**
 * `String(n)`, by table for the integers from 0 to 999 999 999 (every count a header carries).
 * A header's `r` changes on every request, so V8's number-to-string cache misses and each
 * conversion was a runtime call: about 60 ns of the `RateLimit` value's 95 (busy-machine
 * microbenchmark, docs/benchmarks.md). Two or three table strings joined cost a third of that.
 */
export function decimal(n: number): string {
  if (!((n | 0) === n && n >= 0 && n < 1_000_000_000)) return `${n}`
  if (padded === undefined || plain === undefined) {
    plain = Array.from({ length: 1000 }, (_, i) => String(i))
    padded = plain.map((digits) => digits.padStart(3, '0'))
  }
  if (n < 1000) return plain[n] as string
  const low = padded[n % 1000] as string
  if (n < 1_000_000) return (plain[(n / 1000) | 0] as string) + low
  return (plain[(n / 1_000_000) | 0] as string) + (padded[((n / 1000) | 0) % 1000] as string) + low
}

/**
 * The `RateLimit` value of `outcome` with the heads of `plan`: the same text as
 * {@link limitHeaders}, in one string built by concatenation (no arrays, no join). `outcome`
 * must answer the limits `plan` was built for (same rate limits in the same order, credits
 * when the plan has them).
 */
export function rateLimitHeader(plan: LimitHeaderPlan, outcome: LimitOutcome): string {
  let value = ''
  const heads = plan.heads
  const states = outcome.rate
  for (let i = 0; i < states.length; i++) {
    const state = states[i] as LimitOutcome['rate'][number]
    value +=
      (heads[i] as string) + decimal(state.remaining) + ';t=' + decimal(seconds(state.resetMs))
  }
  const credits = outcome.credits
  if (plan.creditsHead !== undefined && credits !== undefined) {
    value +=
      credits.resetMs === undefined
        ? plan.creditsHead + decimal(credits.remaining)
        : plan.creditsHead + decimal(credits.remaining) + ';t=' + decimal(seconds(credits.resetMs))
  }
  return value
}

/** `Retry-After` in whole seconds, at least 1: a client retrying sooner would be refused. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000))
