/**
 * The limit algorithm, as a pure function of a subject's state: a sliding window counted in
 * buckets for each rate limit, and a lazily refilled balance for credits. The memory and SQLite
 * stores run this code; the Redis script and the PostgreSQL function are line-by-line ports of
 * it, and the conformance kit holds all four to the same answers (docs/limits.md).
 * @module
 */
import type { CreditLimit, LimitCheck, LimitOutcome, RateLimit, RateLimitState } from './types.js'

/**
 * Buckets per window. A window of `windowMs` is counted in buckets of `ceil(windowMs / 20)`; a
 * bucket counts while any part of it is inside the window, so the count never misses a request
 * (no over-admission) and frees capacity at most one bucket (5 % of the window) late.
 */
export const BUCKETS_PER_WINDOW = 20

/** One rate limit's usage: `[bucket index, units]`, oldest first. */
export type WindowUsage = [number, number][]

/**
 * What a store keeps per subject, the same fields in every backend: an object in memory, JSON
 * in SQLite and PostgreSQL, packed numbers in Redis (adapters/stores/redis/limit-script.ts).
 */
export interface LimitState {
  /** Usage per rate limit, by `name:windowMs` (a changed window starts afresh). */
  w: Record<string, WindowUsage>
  /** Credits: balance, start of the current refill period, and the settings it was begun with. */
  c?: { b: number; t: number; f: string }
}

/** The result of {@link applyCheck}: the answer, and the state to keep. */
export interface Applied {
  outcome: LimitOutcome
  state: LimitState
}

/** Bucket length of a window. */
export const bucketMs = (windowMs: number): number => Math.ceil(windowMs / BUCKETS_PER_WINDOW)

/** The settings a credit balance was begun with: new settings (an update) begin a new balance. */
export const creditFingerprint = (credits: CreditLimit): string =>
  `${credits.remaining}:${credits.refill?.amount ?? ''}:${credits.refill?.intervalMs ?? ''}`

// The live buckets of one window at `now`: those with any part inside (now − windowMs, now].
function liveUsage(usage: WindowUsage | undefined, limit: RateLimit, now: number): WindowUsage {
  const size = bucketMs(limit.windowMs)
  return (usage ?? []).filter(([bucket]) => (bucket + 1) * size > now - limit.windowMs)
}

const used = (usage: WindowUsage): number => usage.reduce((sum, [, units]) => sum + units, 0)

/**
 * Ms until `cost` more units fit in `usage` (the live buckets): drop the oldest buckets until
 * they do. `undefined` if never. Shared with ./sliding-window-in-place.ts. @internal
 */
export function waitFor(
  usage: WindowUsage,
  limit: RateLimit,
  cost: number,
  now: number,
): number | undefined {
  if (cost > limit.limit) return undefined
  const size = bucketMs(limit.windowMs)
  let left = used(usage)
  for (const [bucket, units] of usage) {
    left -= units
    if (left + cost <= limit.limit) return (bucket + 1) * size + limit.windowMs - now
  }
  return 0
}

// Ms until every counted unit has left the window.
function resetOf(usage: WindowUsage, limit: RateLimit, now: number): number {
  const last = usage[usage.length - 1]
  return last === undefined ? 0 : (last[0] + 1) * bucketMs(limit.windowMs) + limit.windowMs - now
}

// The balance at `now`, refilled lazily: every whole interval since the period began raises it
// to `amount` (never lowers it).
function creditsAt(
  state: LimitState['c'],
  credits: CreditLimit,
  now: number,
): NonNullable<LimitState['c']> {
  const f = creditFingerprint(credits)
  const current =
    state !== undefined && state.f === f ? { ...state } : { b: credits.remaining, t: now, f }
  const refill = credits.refill
  if (refill !== undefined && now >= current.t + refill.intervalMs) {
    current.t += Math.floor((now - current.t) / refill.intervalMs) * refill.intervalMs
    current.b = Math.max(current.b, refill.amount)
  }
  return current
}

/**
 * Applies `check` to `state` (`undefined` for a subject never seen). The cost is charged to every
 * rate limit and the credits only if all of them allow it; a refusal changes only what time has
 * already expired. Deterministic: the same state and check always give the same result.
 */
export function applyCheck(state: LimitState | undefined, check: LimitCheck): Applied {
  const { now, cost } = check
  const windows = check.rate.map((limit) => ({
    limit,
    id: `${limit.name}:${limit.windowMs}`,
    usage: liveUsage(state?.w[`${limit.name}:${limit.windowMs}`], limit, now),
  }))
  const credits = check.credits === undefined ? undefined : creditsAt(state?.c, check.credits, now)
  let rateWait: number | undefined = -1
  for (const { limit, usage } of windows) {
    if (used(usage) + cost <= limit.limit) continue
    const wait = waitFor(usage, limit, cost, now)
    rateWait = wait === undefined || rateWait === undefined ? undefined : Math.max(rateWait, wait)
  }
  const creditShort = credits !== undefined && credits.b < cost
  const allowed = rateWait === -1 && !creditShort
  if (allowed) {
    for (const window of windows) {
      const bucket = Math.floor(now / bucketMs(window.limit.windowMs))
      const last = window.usage[window.usage.length - 1]
      if (last !== undefined && last[0] === bucket) last[1] += cost
      else window.usage.push([bucket, cost])
    }
    if (credits !== undefined) credits.b -= cost
  }
  const next: LimitState = { w: {} }
  for (const { id, usage } of windows) if (usage.length > 0) next.w[id] = usage
  if (credits !== undefined) next.c = credits
  const rate: RateLimitState[] = windows.map(({ limit, usage }) => ({
    name: limit.name,
    limit: limit.limit,
    windowMs: limit.windowMs,
    remaining: Math.max(0, limit.limit - used(usage)),
    resetMs: resetOf(usage, limit, now),
  }))
  const outcome: LimitOutcome = { allowed, rate }
  return {
    outcome: finishOutcome(outcome, check, credits, creditShort, rateWait, now),
    state: next,
  }
}

/** How long a store must keep the state: `undefined` (forever) while it holds credits. */
export function stateLifetimeMs(check: LimitCheck): number | undefined {
  if (check.credits !== undefined) return undefined
  return check.rate.reduce(
    (max, limit) => Math.max(max, limit.windowMs + bucketMs(limit.windowMs)),
    1000,
  )
}

/**
 * Completes `outcome` (its `allowed` and `rate` set): the credits left and when they refill,
 * and for a refusal what refused it and when to retry (`rateWait`: -1 when no rate limit
 * refused, `undefined` when one never admits `cost`). Shared with ./sliding-window-in-place.ts.
 * @internal
 */
export function finishOutcome(
  outcome: LimitOutcome,
  check: LimitCheck,
  credits: { b: number; t: number } | undefined,
  creditShort: boolean,
  rateWait: number | undefined,
  now: number,
): LimitOutcome {
  if (credits !== undefined && check.credits !== undefined) {
    const refill = check.credits.refill
    outcome.credits =
      refill === undefined
        ? { remaining: credits.b }
        : { remaining: credits.b, resetMs: credits.t + refill.intervalMs - now }
  }
  if (!outcome.allowed) {
    outcome.deniedBy = creditShort ? 'credits' : 'rate'
    const retry = creditShort ? outcome.credits?.resetMs : rateWait
    if (retry !== undefined && retry !== -1) outcome.retryAfterMs = retry
  }
  return outcome
}
