/** Integrity check of what a store returns. Internal: not exported from the package. */
import type { ApiKeyRecord } from '../types.js'

const isDate = (value: unknown): value is Date =>
  value instanceof Date && !Number.isNaN(value.getTime())

const isDateOrNull = (value: unknown): boolean => value === null || isDate(value)

/**
 * The name of the first field that makes `value` unusable as a record, or `undefined` when it is
 * sound. A missing `expiresAt` or `revokedAt` is corrupt, not "never": absence must not grant.
 */
export function findCorruptField(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'record'
  const r = value as Partial<Record<keyof ApiKeyRecord, unknown>>
  if (typeof r.id !== 'string' || r.id.length === 0) return 'id'
  if (typeof r.userId !== 'string' || r.userId.length === 0) return 'userId'
  if (typeof r.hash !== 'string') return 'hash'
  if (typeof r.name !== 'string') return 'name'
  if (typeof r.keyPrefix !== 'string') return 'keyPrefix'
  if (!Array.isArray(r.scopes) || !r.scopes.every((s) => typeof s === 'string')) return 'scopes'
  if (!isDate(r.createdAt)) return 'createdAt'
  if (!isDateOrNull(r.expiresAt)) return 'expiresAt'
  if (!isDateOrNull(r.revokedAt)) return 'revokedAt'
  if (r.lastUsedAt !== undefined && !isDateOrNull(r.lastUsedAt)) return 'lastUsedAt'
  return findCorruptLifecycleField(r)
}

const OWNER_TYPES: ReadonlySet<unknown> = new Set(['user', 'org', 'svc'])
const isStringOrNull = (value: unknown): boolean => value === null || typeof value === 'string'

// The 0.2 fields are optional (a 0.1 store has none), but one that is present must be sound:
// a `disabledAt` read as garbage must not turn into "enabled".
function findCorruptLifecycleField(
  r: Partial<Record<keyof ApiKeyRecord, unknown>>,
): string | undefined {
  if (r.ownerType !== undefined && !OWNER_TYPES.has(r.ownerType)) return 'ownerType'
  for (const field of ['disabledAt', 'graceEndsAt'] as const) {
    if (r[field] !== undefined && !isDateOrNull(r[field])) return field
  }
  for (const field of ['createdBy', 'revokedReason', 'replacedBy', 'rolledFrom'] as const) {
    if (r[field] !== undefined && !isStringOrNull(r[field])) return field
  }
  const grace = r.firstUseGraceMs
  if (grace !== undefined && grace !== null && !(typeof grace === 'number' && grace >= 0)) {
    return 'firstUseGraceMs'
  }
  const metadata = r.metadata
  if (
    metadata !== undefined &&
    (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
  ) {
    return 'metadata'
  }
  return undefined
}
