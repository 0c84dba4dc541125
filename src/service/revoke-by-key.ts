/**
 * Revocation from the full key string, for secret scanners and support tooling: whoever holds a
 * leaked key may have it revoked, without knowing its owner or id. Internal: not exported.
 * @module
 */
import { isWellFormedKey } from '../api-key.js'
import type { ApiKeyInfo, ApiKeyRecord } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import type { AuditLog } from './audit-log.js'
import type { KeyEvents } from './key-events.js'
import { toInfo } from './key-manager.js'
import type { RecordLookup } from './pepper-rotation.js'
import { embeddedOwnerKey } from './verifier.js'

/** Options of `auth.revokeByKey`. */
export interface RevokeByKeyOptions {
  /**
   * Why, stored with the revocation where the store keeps reasons, e.g. `'leaked'`. At most
   * 100 characters. @defaultValue `'leaked'`
   */
  reason?: string
  /** Where the key was found (a URL, a ticket), for events; never stored with the key. */
  source?: string
  /**
   * Who reported it, e.g. `'github'`: the actor id of `key.revoked` and the `source` of
   * `key.leaked`. At most 100 characters. @defaultValue `'revokeByKey'`
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
  /** Heads of the other owner kinds this instance accepts (`org_`, `svc_`). */
  otherHeads?: readonly string[]
  clock: ServiceClock
  store: GuardedStore
  /** The record of a well-formed key, by whichever digest it is stored under. */
  findByKey: (key: string) => Promise<ApiKeyRecord | null>
  /** Emitters of `key.revoked` and `key.leaked`. */
  events?: KeyEvents
  /** Where the revocation's audit record goes. */
  audit?: AuditLog
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
    if (!isOurs(key, deps)) return NOT_FOUND
    const reason = cleanReason(options?.reason)
    const record = await deps.findByKey(key)
    if (record === null) return NOT_FOUND
    if (record.revokedAt !== null)
      return { status: 'already_revoked', key: toInfo(record, deps.clock()) }
    const at = new Date(deps.clock())
    const id = typeof options?.reportedBy === 'string' ? options.reportedBy : 'revokeByKey'
    const context = { actor: { type: 'system', id: id.slice(0, 100) }, reason } as const
    // The source (a URL) is not recorded: it is the reporter's text and may quote the key.
    const audit = deps.audit?.record(
      reason === 'leaked' ? 'leaked' : 'revoked',
      record,
      at.getTime(),
      context,
    )
    const write = deps.audit?.forStore([audit])
    const revoked = await deps.store.revoke(record.id, record.userId, at, reason, write)
    if (revoked === null) return NOT_FOUND
    // Two revocations racing: the store kept the first `revokedAt`, so only one caller revoked.
    const ours = revoked.revokedAt?.getTime() === at.getTime()
    await deps.audit?.after([audit], ours)
    const info = toInfo(revoked, at.getTime())
    if (ours && deps.events !== undefined) {
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
  deps: Pick<RevokeByKeyDeps, 'keyHead' | 'otherHeads' | 'findByKey' | 'clock'>,
): (key: unknown) => Promise<ApiKeyInfo | null> {
  return async (key) => {
    if (!isOurs(key, deps)) return null
    const record = await deps.findByKey(key)
    return record === null ? null : toInfo(record, deps.clock())
  }
}

// A well-formed key of this instance's head or of another owner kind it accepts.
function isOurs(
  key: unknown,
  deps: Pick<RevokeByKeyDeps, 'keyHead' | 'otherHeads'>,
): key is string {
  if (typeof key !== 'string') return false
  return (
    isWellFormedKey(key, deps.keyHead) ||
    (deps.otherHeads ?? []).some((head) => isWellFormedKey(key, head))
  )
}

/** What {@link createKeyLookups} needs. */
export interface KeyLookupsDeps {
  keyHead: string
  otherHeads: readonly string[]
  clock: ServiceClock
  store: GuardedStore
  lookup: RecordLookup
  /** The cache key (current-pepper digest) of a key. */
  hash: (key: string) => string
  events: KeyEvents
  audit: AuditLog
}

/** Builds `revokeByKey` and `lookupKey` over the service's record lookup (every pepper). */
export function createKeyLookups(deps: KeyLookupsDeps): {
  revokeByKey: ReturnType<typeof createRevokeByKey>
  lookupKey: ReturnType<typeof createLookupKey>
} {
  const { keyHead, otherHeads, clock, store, lookup, hash, events, audit } = deps
  const findByKey = (key: string): Promise<ApiKeyRecord | null> =>
    lookup.find(hash(key), key, embeddedOwnerKey(key, keyHead, otherHeads))
  return {
    revokeByKey: createRevokeByKey({
      keyHead,
      otherHeads,
      clock,
      store,
      findByKey,
      events,
      audit,
    }),
    lookupKey: createLookupKey({ keyHead, otherHeads, clock, findByKey }),
  }
}

// A reason is free text from the caller: bounded and without control characters (it reaches logs).
function cleanReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.length === 0) return 'leaked'
  const trimmed = reason.slice(0, MAX_REASON_LENGTH)
  return CONTROL_CHARS.test(trimmed) ? 'leaked' : trimmed
}
