/**
 * The limit algorithm of `applyCheck` (./sliding-window.ts), applied to a state in place: what
 * the memory limit store runs on every charge. `applyCheck` stays the reference (pure, the one
 * the Redis script, the PostgreSQL function and the conformance kit follow); this form gives
 * the same answers and the same state (test/property/limits-in-place.test.ts compares both on
 * random sequences) without building a new state per check.
 *
 * Why it exists: the pure form builds, per check, the window objects, a filtered copy of each
 * window's buckets, a new state and its `name:windowMs` keys; on the memory store that was the
 * largest part of what one rate limit cost a cache hit (docs/benchmarks.md, "Limits cost").
 * Here a check allocates only its outcome (and a bucket when a new one begins).
 * @module
 */
import {
  bucketMs,
  creditFingerprint,
  finishOutcome,
  type LimitState,
  waitFor,
  type WindowUsage,
} from './sliding-window.js'
import type { CreditLimit, LimitCheck, LimitOutcome, RateLimit, RateLimitState } from './types.js'

/** `name:windowMs`: the key of a limit's window in the state (as in ./sliding-window.ts). */
export const windowId = (limit: RateLimit): string => `${limit.name}:${limit.windowMs}`

// The credits' fingerprint, built once per credits object (the service passes the same frozen
// object on every check of a key); checked against the object's fields on each use, so a
// caller that mutates its credits is never answered from a stale fingerprint.
interface Fingerprint {
  remaining: number
  amount: number | undefined
  intervalMs: number | undefined
  f: string
}
const fingerprints = new WeakMap<CreditLimit, Fingerprint>()
function fingerprintOf(credits: CreditLimit): string {
  const known = fingerprints.get(credits)
  if (
    known !== undefined &&
    known.remaining === credits.remaining &&
    known.amount === credits.refill?.amount &&
    known.intervalMs === credits.refill?.intervalMs
  ) {
    return known.f
  }
  const f = creditFingerprint(credits)
  fingerprints.set(credits, {
    remaining: credits.remaining,
    amount: credits.refill?.amount,
    intervalMs: credits.refill?.intervalMs,
    f,
  })
  return f
}

// Drops the buckets that have left the window (all of them lie before the first live one).
function prune(usage: WindowUsage, limit: RateLimit, now: number): void {
  const size = bucketMs(limit.windowMs)
  let dead = 0
  while (
    dead < usage.length &&
    ((usage[dead] as [number, number])[0] + 1) * size <= now - limit.windowMs
  ) {
    dead++
  }
  if (dead > 0) usage.splice(0, dead)
}

function used(usage: WindowUsage | undefined): number {
  let sum = 0
  if (usage !== undefined)
    for (let i = 0; i < usage.length; i++) sum += (usage[i] as [number, number])[1]
  return sum
}

// Windows of limits no longer checked leave the state, as the pure form does not copy them.
function dropUnchecked(w: LimitState['w'], ids: readonly string[]): void {
  for (const id in w) if (!ids.includes(id)) delete w[id]
}

// The balance at `now`, refilled lazily, as `creditsAt` of ./sliding-window.ts, in place.
function refill(
  state: LimitState,
  credits: CreditLimit,
  now: number,
): NonNullable<LimitState['c']> {
  const f = fingerprintOf(credits)
  let c = state.c
  if (c === undefined || c.f !== f) c = state.c = { b: credits.remaining, t: now, f }
  const every = credits.refill
  if (every !== undefined && now >= c.t + every.intervalMs) {
    c.t += Math.floor((now - c.t) / every.intervalMs) * every.intervalMs
    c.b = Math.max(c.b, every.amount)
  }
  return c
}

/**
 * Applies `check` to `state` in place and returns the outcome: the same outcome as
 * `applyCheck(state, check)`, and `state` becomes its `state`. `state.c` is deleted when the
 * check has no credits.
 *
 * `known`: the window ids of `check.rate` (`windowId` of each, in order), given by a caller
 * that knows `state` holds no window of other limits (it was last charged with the same
 * limits); then none is looked for, and no id is built. Without it, both are done here.
 */
export function applyInPlace(
  state: LimitState,
  check: LimitCheck,
  known?: readonly string[],
): LimitOutcome {
  const { now, cost, rate } = check
  const w = state.w
  let ids = known
  if (ids === undefined) {
    ids = rate.map(windowId)
    dropUnchecked(w, ids)
  }
  let rateWait: number | undefined = -1
  for (let i = 0; i < rate.length; i++) {
    const limit = rate[i] as RateLimit
    const usage = w[ids[i] as string]
    if (usage !== undefined) prune(usage, limit, now)
    if (used(usage) + cost <= limit.limit) continue
    const wait = waitFor(usage ?? [], limit, cost, now)
    rateWait = wait === undefined || rateWait === undefined ? undefined : Math.max(rateWait, wait)
  }
  const credits = check.credits === undefined ? undefined : refill(state, check.credits, now)
  if (credits === undefined) delete state.c
  const creditShort = credits !== undefined && credits.b < cost
  const allowed = rateWait === -1 && !creditShort
  const states: RateLimitState[] = []
  for (let i = 0; i < rate.length; i++) {
    const limit = rate[i] as RateLimit
    const id = ids[i] as string
    let usage = w[id]
    if (allowed) {
      const bucket = Math.floor(now / bucketMs(limit.windowMs))
      const last = usage?.[usage.length - 1]
      if (last !== undefined && last[0] === bucket) last[1] += cost
      else if (usage !== undefined) usage.push([bucket, cost])
      else usage = w[id] = [[bucket, cost]]
    }
    if (usage !== undefined && usage.length === 0) {
      delete w[id]
      usage = undefined
    }
    const last = usage?.[usage.length - 1]
    states.push({
      name: limit.name,
      limit: limit.limit,
      windowMs: limit.windowMs,
      remaining: Math.max(0, limit.limit - used(usage)),
      resetMs:
        last === undefined ? 0 : (last[0] + 1) * bucketMs(limit.windowMs) + limit.windowMs - now,
    })
  }
  if (allowed && credits !== undefined) credits.b -= cost
  const outcome: LimitOutcome = { allowed, rate: states }
  return finishOutcome(outcome, check, credits, creditShort, rateWait, now)
}
