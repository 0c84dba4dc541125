/**
 * The memory store's shortcut for its most common charge: one rate limit and no credits, the
 * same frozen limits as the key's last charge, landing in the bucket the last one did, and
 * fitting. It reads and writes four numbers ({@link SameBucket}), kept on the key's entry or, for
 * the limiter's own check of the key, on that check (src/lib/consume-now.ts, `CheckShortcut`),
 * and nothing of the state: over HTTP, with many keys in turn, every object of a key's state read
 * on a charge is a read from memory (docs/benchmarks.md, "Limits cost, sixth session"), and the
 * full path reads the state, its window object, the window's id, its bucket array, the newest
 * `[bucket, units]` pair and the track.
 *
 * The units it admits are `pending`: the store adds them to the newest pair and the track
 * ({@link settleSameBucket}) before the full path next reads the state, which is then what
 * `applyInPlace` (./sliding-window-in-place.ts) would have left. Any other charge returns
 * `undefined` and takes the full path. Held to it by test/limits/charge-now.test.ts (the store
 * against `applyLimitCheck` over random charges).
 * @module
 */
import { bucketMs } from './sliding-window.js'
import type { WindowTrack } from './sliding-window-in-place.js'
import type { LimitOutcome, RateLimit } from './types.js'

/**
 * What the shortcut keeps of a key's single window, beside its state (where the window's
 * newest `[bucket, units]` pair is: the store keeps it with the entry).
 */
export interface SameBucket {
  /** The newest bucket, the units the window counts (pending ones included) and its oldest bucket. */
  bucket: number
  count: number
  oldest: number
  /** Units admitted by the shortcut and not yet in `newest` and the track. */
  pending: number
}

/**
 * Charges `cost` at `now` to the single window of `limit` kept in `slot`, when it lands in the
 * newest bucket and fits; `undefined` otherwise (nothing changed).
 */
export function chargeSameBucket(
  slot: SameBucket,
  limit: RateLimit,
  cost: number,
  now: number,
): LimitOutcome | undefined {
  const windowMs = limit.windowMs
  const size = bucketMs(windowMs)
  const bucket = slot.bucket
  if (bucket !== Math.floor(now / size)) return undefined
  // The oldest bucket has left the window: the full path prunes it.
  if ((slot.oldest + 1) * size <= now - windowMs) return undefined
  const units = slot.count + cost
  if (units > limit.limit) return undefined
  slot.count = units
  slot.pending += cost
  return {
    allowed: true,
    rate: [
      {
        name: limit.name,
        limit: limit.limit,
        windowMs,
        remaining: limit.limit - units,
        resetMs: (bucket + 1) * size + windowMs - now,
      },
    ],
  }
}

/** Writes the shortcut's pending units into the state's newest pair and `track`. */
export function settleSameBucket(
  slot: SameBucket,
  newest: [number, number] | undefined,
  track: WindowTrack,
): void {
  if (slot.pending === 0 || newest === undefined) return
  newest[1] += slot.pending
  track[0] = (track[0] as number) + slot.pending
  slot.pending = 0
}

/**
 * Arms the shortcut after a charge by the full path, from the window's newest pair (the charge
 * had one rate limit, no credits and frozen limits) and its track.
 */
export function armSameBucket(
  slot: SameBucket,
  newest: [number, number],
  track: WindowTrack,
): void {
  slot.pending = 0
  slot.bucket = newest[0]
  slot.count = track[0] as number
  slot.oldest = track[1] as number
}
