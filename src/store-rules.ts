/**
 * The rules of the lifecycle store methods as pure functions over records, so that every store
 * written in JavaScript (the memory store; a store whose atomicity comes from a lock or a
 * transaction around them) applies exactly what `docs/stores.md` specifies.
 * Public through `@vydra/auth/store-kit` (src/store-kit.ts); the built-in stores use it there.
 * @module
 */
import { effectiveExpiryMs, keyStatus } from './key-record.js'
import type {
  KeyPageQuery,
  KeyRollRefusal,
  KeyRollRequest,
  KeyUpdateExpectation,
} from './key-store.js'
import type { KeyLimits } from './limits/types.js'
import type { ApiKeyRecord } from './types.js'

/** Why `record` cannot be rolled at `atMs`, or `null` when it can. */
export function rollRefusal(record: ApiKeyRecord, atMs: number): KeyRollRefusal | null {
  if (record.revokedAt !== null) return 'revoked'
  if (effectiveExpiryMs(record) <= atMs) return 'expired'
  if (record.disabledAt != null) return 'disabled'
  if (record.replacedBy != null) return 'replaced'
  return null
}

/** The new record of a roll: a copy of `old` (unknown fields included) with the new identity. */
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

/** Applies a roll's effect to the old record, in place. */
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
export function graceRunning(predecessor: ApiKeyRecord, atMs: number): boolean {
  return (
    predecessor.revokedAt === null &&
    (predecessor.graceEndsAt == null || predecessor.graceEndsAt.getTime() > atMs)
  )
}

/** The end of a first-use grace started at `atMs` for `old`: capped by its own expiry. */
export function firstUseGraceEnd(old: ApiKeyRecord, graceMs: number, atMs: number): Date {
  return new Date(Math.min(atMs + graceMs, effectiveExpiryMs(old)))
}

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
 * true), `null` expects none of its own.
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

/** The page order: `createdAt`, then `id` as strings. */
export function comparePosition(
  a: { createdAt: Date; id: string },
  b: { createdAt: Date; id: string },
): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime()
  if (byTime !== 0) return byTime
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** One page of `records` (any order) as {@link KeyStore.listPage} specifies. */
export function pageOf(records: readonly ApiKeyRecord[], query: KeyPageQuery): ApiKeyRecord[] {
  const at = query.at.getTime()
  const after = query.after
  return records
    .filter(
      (r) =>
        r.keyPrefix.startsWith(query.keyPrefix) &&
        (query.status === 'all' || keyStatus(r, at) === query.status) &&
        (after === null || comparePosition(r, after) > 0),
    )
    .sort(comparePosition)
    .slice(0, query.limit)
}

/** Whether `record` counts toward a cap at `atMs`: neither revoked nor expired. */
export function countsTowardCap(record: ApiKeyRecord, keyPrefix: string, atMs: number): boolean {
  return (
    record.keyPrefix.startsWith(keyPrefix) &&
    record.revokedAt === null &&
    effectiveExpiryMs(record) > atMs
  )
}
