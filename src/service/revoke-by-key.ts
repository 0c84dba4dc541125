/**
 * Revocation from the full key string, for secret scanners and support tooling: whoever holds a
 * leaked key may have it revoked, without knowing its owner or id. Internal: not exported.
 * @module
 */
import { isWellFormedKey } from '../api-key.js'
import type { ApiKeyInfo, ApiKeyRecord } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import { toInfo } from './key-manager.js'
import type { RecordLookup } from './pepper-rotation.js'
import { embeddedUserId } from './verifier.js'

/** Options of `auth.revokeByKey`. */
export interface RevokeByKeyOptions {
  /**
   * Why, stored with the revocation where the store keeps reasons, e.g. `'leaked'`. At most
   * 100 characters. @defaultValue `'leaked'`
   */
  reason?: string
  /** Where the key was found (a URL, a ticket), for logs and events; never stored in the key. */
  source?: string
  /**
   * Who reported it, e.g. `'github'`: with reason `'leaked'`, a `key.leaked` event names it.
   * @defaultValue `'api'`
   */
  reportedBy?: string
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
  /** Tells the event stream (`key.revoked`, `key.leaked`). */
  report: LeakReporter
}

/** Emits the events of a revocation by key string. */
export type LeakReporter = (
  info: ApiKeyInfo,
  revoked: boolean,
  reason: string,
  options: RevokeByKeyOptions | undefined,
) => void

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
    if (record.revokedAt !== null) {
      const info = toInfo(record)
      deps.report(info, false, reason, options)
      return { status: 'already_revoked', key: info }
    }
    const at = new Date(deps.clock())
    const revoked = await deps.store.revoke(record.id, record.userId, at, reason)
    if (revoked === null) return NOT_FOUND
    // Two revocations racing: the store kept the first `revokedAt`, so only one caller revoked.
    const ours = revoked.revokedAt?.getTime() === at.getTime()
    const info = toInfo(revoked)
    deps.report(info, ours, reason, options)
    return { status: ours ? 'revoked' : 'already_revoked', key: info }
  }
}

/**
 * Builds `lookupKey`: the record of a full key string as its owner sees it, revoked and expired
 * ones included, without verifying it; `null` for anything that is not a key of this instance.
 */
export function createLookupKey(
  deps: Pick<RevokeByKeyDeps, 'keyHead' | 'findByKey'>,
): (key: unknown) => Promise<ApiKeyInfo | null> {
  return async (key) => {
    if (typeof key !== 'string' || !isWellFormedKey(key, deps.keyHead)) return null
    const record = await deps.findByKey(key)
    return record === null ? null : toInfo(record)
  }
}

/** What {@link createKeyLookups} needs. */
export interface KeyLookupsDeps {
  keyHead: string
  clock: ServiceClock
  store: GuardedStore
  lookup: RecordLookup
  /** The cache key (current-pepper digest) of a key. */
  hash: (key: string) => string
  report: LeakReporter
}

/** Builds `revokeByKey` and `lookupKey` over the service's record lookup. */
export function createKeyLookups(deps: KeyLookupsDeps): {
  revokeByKey: ReturnType<typeof createRevokeByKey>
  lookupKey: ReturnType<typeof createLookupKey>
} {
  const { keyHead, clock, store, lookup, hash, report } = deps
  const findByKey = (key: string): Promise<ApiKeyRecord | null> =>
    lookup.find(hash(key), key, embeddedUserId(key, keyHead))
  return {
    revokeByKey: createRevokeByKey({ keyHead, clock, store, findByKey, report }),
    lookupKey: createLookupKey({ keyHead, findByKey }),
  }
}

// A reason is free text from the caller: bounded and without control characters (it reaches logs).
function cleanReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.length === 0) return 'leaked'
  const trimmed = reason.slice(0, MAX_REASON_LENGTH)
  return CONTROL_CHARS.test(trimmed) ? 'leaked' : trimmed
}
