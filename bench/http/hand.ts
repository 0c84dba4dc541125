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
