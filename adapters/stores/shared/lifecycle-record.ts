/**
 * What the built-in stores share about the 0.2 record: which fields they know (the rest is kept
 * as JSON in an `extra` column or field), and the lifecycle rules for the store that applies
 * them in JavaScript inside a transaction (SQLite). They restate `src/store-rules.ts`, which a
 * store adapter may not import (layer rule: adapters see only the root entry); the conformance
 * kit holds both to the same contract. Internal: not exported from the package.
 * @module
 */
import type {
  ApiKeyRecord,
  KeyLimits,
  KeyRollRefusal,
  KeyRollRequest,
  KeyUpdateExpectation,
} from '../../../src/index.js'

/** Every field a built-in store keeps in a column of its own. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'userId',
  'name',
  'keyPrefix',
  'scopes',
  'hash',
  'createdAt',
  'expiresAt',
  'lastUsedAt',
  'revokedAt',
  'ownerType',
  'createdBy',
  'metadata',
  'disabledAt',
  'revokedReason',
  'replacedBy',
  'rolledFrom',
  'graceEndsAt',
  'firstUseGraceMs',
])

/**
 * The fields of `record` no built-in store knows (a later version's `limits`…), as JSON, or
 * `null` when there are none. They come back as JSON values: a `Date` among them reads back as
 * its ISO string.
 */
export function extraJson(record: ApiKeyRecord): string | null {
  let extra: Record<string, unknown> | undefined
  for (const [field, value] of Object.entries(record)) {
    if (KNOWN_FIELDS.has(field) || value === undefined) continue
    ;(extra ??= {})[field] = value
  }
  return extra === undefined ? null : JSON.stringify(extra)
}

/** The unknown fields stored by {@link extraJson}, to spread under the known ones. */
export function parseExtra(json: string | null | undefined): Record<string, unknown> {
  if (json === null || json === undefined || json === '') return {}
  const value: unknown = JSON.parse(json)
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

/** Metadata as stored (`null` for none, read back as `{}`). */
export const metadataJson = (record: ApiKeyRecord): string | null =>
  record.metadata === undefined ? null : JSON.stringify(record.metadata)

/** When the key stops verifying by time (its expiry or its grace end), `Infinity` for never. */
export function effectiveExpiryMs(record: ApiKeyRecord): number {
  const expires = record.expiresAt === null ? Infinity : record.expiresAt.getTime()
  const grace = record.graceEndsAt == null ? Infinity : record.graceEndsAt.getTime()
  return Math.min(expires, grace)
}

/** Why `record` cannot be rolled at `atMs`, or `null` (the order of `KeyRollResult`). */
export function rollRefusal(record: ApiKeyRecord, atMs: number): KeyRollRefusal | null {
  if (record.revokedAt !== null) return 'revoked'
  if (effectiveExpiryMs(record) <= atMs) return 'expired'
  if (record.disabledAt != null) return 'disabled'
  if (record.replacedBy != null) return 'replaced'
  return null
}

/** The new record of a roll: the old one (unknown fields included) with the new identity. */
export function rolledRecord(old: ApiKeyRecord, request: KeyRollRequest): ApiKeyRecord {
  return {
    ...structuredClone(old),
    id: request.next.id,
    hash: request.next.hash,
    keyPrefix: request.next.keyPrefix,
    createdAt: new Date(request.next.createdAt.getTime()),
    createdBy: request.next.createdBy,
    lastUsedAt: null,
    revokedAt: null,
    revokedReason: null,
    disabledAt: null,
    replacedBy: null,
    rolledFrom: old.id,
    graceEndsAt: null,
    firstUseGraceMs:
      request.graceStarts === 'firstUse' && request.graceMs > 0 ? request.graceMs : null,
  }
}

/** A roll's effect on the old record, in place. */
export function retireRolled(old: ApiKeyRecord, request: KeyRollRequest): void {
  const at = request.at.getTime()
  old.replacedBy = request.next.id
  if (request.graceMs === 0) {
    old.revokedAt = new Date(at)
    old.revokedReason = 'rotated'
  } else if (request.graceStarts === 'now') {
    old.graceEndsAt = new Date(Math.min(at + request.graceMs, effectiveExpiryMs(old)))
  }
}

/** Whether the grace of `predecessor` is still running (or not started) at `atMs`. */
export const graceRunning = (predecessor: ApiKeyRecord, atMs: number): boolean =>
  predecessor.revokedAt === null &&
  (predecessor.graceEndsAt == null || predecessor.graceEndsAt.getTime() > atMs)

/** Whether the stored scopes, expiry (and limits, when expected) still equal what the core checked. */
export function expectationHolds(record: ApiKeyRecord, expected: KeyUpdateExpectation): boolean {
  const time = (d: Date | null): number | null => (d === null ? null : d.getTime())
  return (
    record.scopes.length === expected.scopes.length &&
    record.scopes.every((scope, i) => scope === expected.scopes[i]) &&
    time(record.expiresAt) === time(expected.expiresAt) &&
    limitsExpectationHolds(record.limits, expected.limits)
  )
}

/**
 * Whether a key's own stored limits equal `expected` by value (names, limits, windows, credits;
 * not key order), for {@link KeyUpdateExpectation.limits}: `undefined` expects nothing (always
 * true), `null` expects none of its own. A copy lives in src/store-rules.ts (the layers keep the store
 * adapters and the core apart); keep both alike.
 */
export function limitsExpectationHolds(
  stored: KeyLimits | null | undefined,
  expected: KeyLimits | null | undefined,
): boolean {
  return expected === undefined || limitsText(stored) === limitsText(expected)
}

function limitsText(limits: KeyLimits | null | undefined): string {
  if (limits === null || limits === undefined) return 'none'
  const credits = limits.credits
  return JSON.stringify([
    limits.rate === undefined ? null : limits.rate.map((r) => [r.name, r.limit, r.windowMs]),
    credits === undefined
      ? null
      : [credits.remaining, credits.refill?.amount ?? null, credits.refill?.intervalMs ?? null],
  ])
}
