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

// Drops the buckets that have left the window (all of them lie before the first live one);
// returns the units they held.
function prune(usage: WindowUsage, limit: RateLimit, now: number): number {
  const size = bucketMs(limit.windowMs)
  let dead = 0
  let units = 0
  while (
    dead < usage.length &&
    ((usage[dead] as [number, number])[0] + 1) * size <= now - limit.windowMs
  ) {
    units += (usage[dead] as [number, number])[1]
    dead++
  }
  if (dead > 0) usage.splice(0, dead)
  return units
}

/**
 * What the memory store keeps beside a state to spare reading its buckets on every check: per
 * rate limit `i` of the check, `[2i]` the units its window counts and `[2i + 1]` the index of
 * its oldest bucket (`Infinity` when it counts none). Without it, a check sums every bucket of
 * every window and reads the oldest to prune: up to 21 small arrays per window, which for a
 * store of many keys are cache misses on every request (docs/benchmarks.md, "Limits cost").
 * Built by {@link trackOf}; {@link applyInPlace} keeps it exact.
 */
export type WindowTrack = Float64Array

/** The {@link WindowTrack} of `state` for the windows `ids` (in the check's order). */
export function trackOf(state: LimitState, ids: readonly string[]): WindowTrack {
  const track = new Float64Array(ids.length * 2)
  for (let i = 0; i < ids.length; i++) {
    const usage = state.w[ids[i] as string]
    track[2 * i] = used(usage)
    track[2 * i + 1] =
      usage === undefined || usage.length === 0 ? Infinity : (usage[0] as [number, number])[0]
  }
  return track
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
 *
 * `track`: with `known`, the {@link WindowTrack} of `state` for those ids; it is read instead of
 * the buckets and kept up to date.
 */
export function applyInPlace(
  state: LimitState,
  check: LimitCheck,
  known?: readonly string[],
  track?: WindowTrack,
): LimitOutcome {
  const { now, cost, rate } = check
  const w = state.w
  let ids = known
  if (ids === undefined) {
    ids = rate.map(windowId)
    dropUnchecked(w, ids)
  }
  const t = known === undefined ? undefined : track
  let rateWait: number | undefined = -1
  for (let i = 0; i < rate.length; i++) {
    const limit = rate[i] as RateLimit
    const usage = w[ids[i] as string]
    let units: number
    if (t === undefined) {
      if (usage !== undefined) prune(usage, limit, now)
      units = used(usage)
    } else {
      // The oldest bucket is read only once it has left the window.
      if (((t[2 * i + 1] as number) + 1) * bucketMs(limit.windowMs) <= now - limit.windowMs) {
        t[2 * i] = (t[2 * i] as number) - prune(usage as WindowUsage, limit, now)
        t[2 * i + 1] = usage?.length ? (usage[0] as [number, number])[0] : Infinity
      }
      units = t[2 * i] as number
    }
    if (units + cost <= limit.limit) continue
    const wait = waitFor(usage ?? [], limit, cost, now)
    rateWait = wait === undefined || rateWait === undefined ? undefined : Math.max(rateWait, wait)
  }
  const credits = check.credits === undefined ? undefined : refill(state, check.credits, now)
  if (credits === undefined && state.c !== undefined) delete state.c
  const creditShort = credits !== undefined && credits.b < cost
  const allowed = rateWait === -1 && !creditShort
  // Sized up front: an empty array grown by `push` allocates room for 17 (about 110 bytes more
  // per check, garbage on every request).
  const states = new Array<RateLimitState>(rate.length)
  for (let i = 0; i < rate.length; i++) {
    states[i] = charged(w, ids[i] as string, rate[i] as RateLimit, allowed ? cost : 0, now, t, i)
  }
  if (allowed && credits !== undefined) credits.b -= cost
  const outcome: LimitOutcome = { allowed, rate: states }
  return finishOutcome(outcome, check, credits, creditShort, rateWait, now)
}

// One window after the check: `cost` (0 for a refusal) added to its current bucket, and its
// state in the outcome; `t` (the track, when kept) updated at `i`.
function charged(
  w: LimitState['w'],
  id: string,
  limit: RateLimit,
  cost: number,
  now: number,
  t: WindowTrack | undefined,
  i: number,
): RateLimitState {
  const size = bucketMs(limit.windowMs)
  let usage = w[id]
  let last = usage?.[usage.length - 1]
  if (cost > 0) {
    const bucket = Math.floor(now / size)
    if (last !== undefined && last[0] === bucket) last[1] += cost
    else if (usage !== undefined) usage.push((last = [bucket, cost]))
    else usage = w[id] = [(last = [bucket, cost])]
    if (t !== undefined) {
      t[2 * i] = (t[2 * i] as number) + cost
      // A window that counted nothing begins with this bucket.
      if ((t[2 * i + 1] as number) === Infinity) t[2 * i + 1] = bucket
    }
  }
  if (usage !== undefined && usage.length === 0) {
    delete w[id]
    usage = undefined
    last = undefined
  }
  return {
    name: limit.name,
    limit: limit.limit,
    windowMs: limit.windowMs,
    remaining: Math.max(0, limit.limit - (t === undefined ? used(usage) : (t[2 * i] as number))),
    resetMs: last === undefined ? 0 : (last[0] + 1) * size + limit.windowMs - now,
  }
}
