/**
 * The `lastUsedAt` throttle of verification: at most one `touch` per key per interval. Internal:
 * not exported from the package. A cache hit reaches it only once per interval
 * (`CachedKey.touchedAt`, verifier.ts).
 * @module
 */
import type { VerifierDeps } from './verifier.js'

// Asks for a `lastUsedAt` write at most once per key per interval; `touch` returns when the
// key's last write was asked for (now, or earlier when throttled).
export function createTouchThrottle(deps: VerifierDeps): {
  touch: (keyId: string, now: number) => number
  lastTouch: Map<string, number>
} {
  const { store, touchIntervalMs, maxTouched } = deps
  const lastTouch = new Map<string, number>()
  const touch = (keyId: string, now: number): number => {
    if (!store.touches) return now
    const last = lastTouch.get(keyId)
    if (last !== undefined && now - last < touchIntervalMs) return last
    lastTouch.delete(keyId)
    lastTouch.set(keyId, now)
    if (lastTouch.size > maxTouched) lastTouch.delete(lastTouch.keys().next().value as string)
    store.touch(keyId, new Date(now))
    return now
  }
  return { touch, lastTouch }
}
