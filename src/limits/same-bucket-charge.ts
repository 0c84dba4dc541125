/**
 * The memory store's shortcut for its most common charge: one rate limit and no credits, the
 * same frozen limits as the key's last charge, landing in the bucket the last one did, and
 * fitting. It reads the key's window track and its newest `[bucket, units]` pair, and nothing
 * else of the state: over HTTP, with many keys in turn, every object of a key's state read on
 * a charge is a read from memory (docs/benchmarks.md, "Limits cost, sixth session"), and the
 * full path reads the state, its window object, the window's id and bucket array besides.
 *
 * It gives what `applyInPlace` (./sliding-window-in-place.ts) gives for that charge, and leaves
 * the state as it would: nothing to prune (the oldest bucket is still inside the window),
 * admitted, the cost added to the newest bucket and to the track. Any other charge returns
 * `undefined` and takes the full path. Held to it by test/limits/charge-now.test.ts (the
 * store against `applyLimitCheck` over random charges).
 * @module
 */
import { bucketMs } from './sliding-window.js'
import type { WindowTrack } from './sliding-window-in-place.js'
import type { LimitOutcome, RateLimit } from './types.js'

/**
 * Charges `cost` at `now` to the single window of `limit` whose newest bucket is `newest` and
 * whose track is `track` (both changed in place), when it lands in that bucket and fits;
 * `undefined` otherwise (nothing changed).
 */
export function chargeSameBucket(
  newest: [number, number],
  track: WindowTrack,
  limit: RateLimit,
  cost: number,
  now: number,
): LimitOutcome | undefined {
  const windowMs = limit.windowMs
  const size = bucketMs(windowMs)
  const bucket = newest[0]
  if (bucket !== Math.floor(now / size)) return undefined
  // The oldest bucket has left the window: the full path prunes it.
  if (((track[1] as number) + 1) * size <= now - windowMs) return undefined
  const units = (track[0] as number) + cost
  if (units > limit.limit) return undefined
  newest[1] += cost
  track[0] = units
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
