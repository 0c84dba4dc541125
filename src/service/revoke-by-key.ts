/**
 * Revocation from the full key string, for secret scanners and support tooling: whoever holds a
 * leaked key may have it revoked, without knowing its owner or id. Internal: not exported.
 * @module
 */
import { isWellFormedKey } from '../api-key.js'
import type { ApiKeyInfo, ApiKeyRecord } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import type { KeyEvents } from './key-events.js'
import { toInfo } from './key-manager.js'

/** Options of `auth.revokeByKey`. */
export interface RevokeByKeyOptions {
  /**
   * Why, stored with the revocation where the store keeps reasons, e.g. `'leaked'`. At most
   * 100 characters. @defaultValue `'leaked'`
   */
  reason?: string
  /** Where the key was found (a URL, a ticket), for logs and `onLeak`; never stored in the key. */
  source?: string
}

/** What `auth.revokeByKey` did. */
export interface RevokeByKeyResult {
  /**
   * `revoked`: revoked now; `already_revoked`: it was revoked before (the original `revokedAt`
   * stands); `not_found`: not a key of this instance (malformed, bad checksum, another prefix or
   * environment, or unknown).
   */
  status: 'revoked' | 'already_revoked' | 'not_found'
  /** The key as its owner sees it (never its secret); `null` when not found. */
  key: ApiKeyInfo | null
}

/** What {@link createRevokeByKey} needs. */
export interface RevokeByKeyDeps {
  keyHead: string
  clock: ServiceClock
  store: GuardedStore
  /** The record of a well-formed key, by whichever digest it is stored under. */
  findByKey: (key: string) => Promise<ApiKeyRecord | null>
  /** Emitters of `key.revoked` and `key.leaked`. */
  events?: KeyEvents
}

const NOT_FOUND: RevokeByKeyResult = Object.freeze({ status: 'not_found', key: null })
const MAX_REASON_LENGTH = 100
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/**
 * Builds `revokeByKey`. The grammar and checksum are checked offline first: a scanner's false
 * match never reaches the store. It throws only `AUTH_UNAVAILABLE` (the store failed); anything
 * about the key itself is a result.
 */
export function createRevokeByKey(
  deps: RevokeByKeyDeps,
): (key: unknown, options?: RevokeByKeyOptions) => Promise<RevokeByKeyResult> {
  return async (key, options) => {
    if (typeof key !== 'string' || !isWellFormedKey(key, deps.keyHead)) return NOT_FOUND
    const reason = cleanReason(options?.reason)
    const record = await deps.findByKey(key)
    if (record === null) return NOT_FOUND
    if (record.revokedAt !== null)
      return { status: 'already_revoked', key: toInfo(record, deps.clock()) }
    const at = new Date(deps.clock())
    const revoked = await deps.store.revoke(record.id, record.userId, at, reason)
    if (revoked === null) return NOT_FOUND
    // Two revocations racing: the store kept the first `revokedAt`, so only one caller revoked.
    const ours = revoked.revokedAt?.getTime() === at.getTime()
    const info = toInfo(revoked, at.getTime())
    if (ours && deps.events !== undefined) {
      const context = { actor: { type: 'system', id: 'revokeByKey' }, reason } as const
      deps.events.revoked(info, context)
      if (reason === 'leaked') deps.events.leaked(info, context, options?.source ?? null)
    }
    return { status: ours ? 'revoked' : 'already_revoked', key: info }
  }
}

/**
 * Builds `lookupKey`: the record of a full key string as its owner sees it, revoked and expired
 * ones included, without verifying it; `null` for anything that is not a key of this instance.
 */
export function createLookupKey(
  deps: Pick<RevokeByKeyDeps, 'keyHead' | 'findByKey' | 'clock'>,
): (key: unknown) => Promise<ApiKeyInfo | null> {
  return async (key) => {
    if (typeof key !== 'string' || !isWellFormedKey(key, deps.keyHead)) return null
    const record = await deps.findByKey(key)
    return record === null ? null : toInfo(record, deps.clock())
  }
}

// A reason is free text from the caller: bounded and without control characters (it reaches logs).
function cleanReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.length === 0) return 'leaked'
  const trimmed = reason.slice(0, MAX_REASON_LENGTH)
  return CONTROL_CHARS.test(trimmed) ? 'leaked' : trimmed
}
