/**
 * The hand-written minimal pipeline the library is measured against: Bearer parse, prefix and
 * length check, one SHA-256 hex, `Map.get`, revoked/expiry, scope check. No checksum, no LRU,
 * no `lastUsedAt`, no fail-closed timeouts: the least any API-key middleware has to do.
 */
import { hash } from 'node:crypto'
import type { ApiKeyPrincipal } from '../../src/index.js'
import type { HandRecord } from './keys.js'

const HEAD = 'vydra_live_user_'
export const UNAUTHORIZED_BODY = '{"error":{"code":"UNAUTHORIZED","message":"Unauthorized"}}'

/** The principal, or `undefined` for a 401. */
export function handVerify(
  table: Map<string, HandRecord>,
  authorization: string | undefined,
  required: readonly string[],
): ApiKeyPrincipal | undefined {
  if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined
  const key = authorization.slice(7)
  if (key.length > 512 || !key.startsWith(HEAD)) return undefined
  const record = table.get(hash('sha256', key, 'hex'))
  if (record === undefined || record.revoked || Date.now() >= record.expiresAtMs) return undefined
  for (const need of required) {
    if (!record.principal.scopes.some((s) => s === '*' || s === need)) return undefined
  }
  return record.principal
}

/**
 * The hand-written minimal rate limit the library's limits are measured against (bench/limits.ts,
 * section 8b's floor rows): one fixed window per key id in a `Map`, the limit the bench gives
 * every key (never reached), and the same two IETF headers the library sends. No sliding window,
 * no credits, no store port, no deadline, no outage policy: the least a per-key limit with its
 * headers has to do in the server's memory.
 */
export const HAND_LIMIT = { name: 'minute', limit: 1_000_000_000, windowMs: 60_000 } as const
const HAND_POLICY = `"${HAND_LIMIT.name}";q=${HAND_LIMIT.limit};w=${HAND_LIMIT.windowMs / 1000}`

interface HandWindow {
  start: number
  count: number
}

/** Charges one request of `keyId`: its two headers, or `undefined` for a 429. */
export function handLimiter(): (keyId: string, now: number) => Record<string, string> | undefined {
  const windows = new Map<string, HandWindow>()
  return (keyId, now) => {
    const start = now - (now % HAND_LIMIT.windowMs)
    let window = windows.get(keyId)
    if (window === undefined) {
      window = { start, count: 0 }
      windows.set(keyId, window)
    } else if (window.start !== start) {
      window.start = start
      window.count = 0
    }
    if (window.count >= HAND_LIMIT.limit) return undefined
    window.count++
    const reset = Math.ceil((start + HAND_LIMIT.windowMs - now) / 1000)
    return {
      'ratelimit-policy': HAND_POLICY,
      ratelimit: `"${HAND_LIMIT.name}";r=${HAND_LIMIT.limit - window.count};t=${reset}`,
    }
  }
}
